"""Uncertainty: the exact recomputation a draw stands for. A draw's scenario, given to evaluate(), gives that draw's
costs: the tests hold the vectorised draws to it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from costmodel.evaluate.evaluation import Evaluation
from costmodel.evaluate.uncertainty.draws import Draws, _cache_value, _class_cache_index, _class_cache_value
from costmodel.evaluate.uncertainty.model import _LEVELS, _Model
from costmodel.workload.mix import with_classes
from costmodel.workload.scenario import Scenario


def scenario_for_draw(m_or_scenario: _Model, d: Draws, k: int) -> Scenario:
    """The scenario that draw ``k`` of ``d`` describes: evaluate() of it gives that draw's costs (tests)."""
    m = m_or_scenario
    s = m.evaluations[int(d.output[k])].scenario
    if m.is_mix:
        s = _mix_for_draw(m, s, d, k)
    w = s.workload
    ci = int(d.cache_index[k])
    w2 = (
        w  # a mix: the volume and the classes' cached shares are set by _mix_for_draw
        if m.is_mix
        else w.model_copy(
            update={
                "requests_per_day": w.requests_per_day * float(d.volume[k]),
                "cache_hit_fraction": float(_cache_value(m, np.array([ci]))[0]),
            }
        )
    )
    a2 = s.assumptions.model_copy(
        update={"efficiency": _LEVELS[int(d.level[k])], "overhead_pct": float(d.overhead_pct[k])}
    )
    opts = tuple(
        o.model_copy(update={"usd_per_gpu_hour": float(d.price[i, k])}) if math.isfinite(d.price[i, k]) else o
        for i, o in enumerate(s.self_host_options)
    )
    return s.model_copy(update={"workload": w2, "assumptions": a2, "self_host_options": opts})


def _mix_for_draw(m: _Model, s: Scenario, d: Draws, k: int) -> Scenario:
    """A mix at draw ``k``'s cache-hit shares (each class's) and volume (the total; every class at its share)."""

    h = _class_cache_value(m, _class_cache_index(m, d.take(np.array([k]))))[:, 0]
    classes = tuple(
        c.model_copy(update={"workload": c.workload.model_copy(update={"cache_hit_fraction": float(h[i])})})
        for i, c in enumerate(s.classes)
    )
    total = s.workload.model_copy(
        update={"requests_per_day": s.workload.requests_per_day * float(d.volume[k])}
    )
    return with_classes(s.model_copy(update={"workload": total}), classes)


def verdict_of(ev: Evaluation) -> float:
    """min(API) − min(self-host) monthly cost of an evaluation's table, USD/month (nan when a side is empty)."""
    t = ev.table
    cost = pd.to_numeric(t["monthly_cost_usd"], errors="coerce")
    a = cost[(t["kind"] == "api") & np.isfinite(cost)]
    s = cost[(t["kind"] == "self_host") & np.isfinite(cost)]
    return float(a.min() - s.min()) if len(a) and len(s) else math.nan
