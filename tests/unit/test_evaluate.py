"""evaluate(): every option of a scenario evaluated once, and the table, curves and break-even read from it."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import numpy as np
import pytest

from costmodel.catalog import Catalogue
from costmodel.evaluate import evaluation as compare
from costmodel.pricing import bill as pricing
from costmodel.serving import EFFICIENCY_LEVELS, layouts
from costmodel.workload.presets import preset, preset_names

AS_OF = dt.date(2026, 11, 20)


@pytest.mark.parametrize("name", preset_names())
def test_each_option_is_evaluated_once(catalogue: Catalogue, name: str) -> None:
    """One calculator run: one evaluate_option per self-hosting option, one price resolution per API option,
    one memory plan per attention layout tried and one estimate per layout and efficiency level. (Before this
    change the default preset took 8 evaluate_option, 16 memory_plan, 40 estimate and 20 resolve_price calls.)"""
    s = preset(name, AS_OF)
    n_sh, n_api = len(s.self_host_options), len(s.api_options)
    with (
        mock.patch.object(compare, "evaluate_option", wraps=compare.evaluate_option) as ev,
        mock.patch.object(layouts, "workpoint_plan", wraps=layouts.workpoint_plan) as plans,
        mock.patch.object(layouts, "estimate", wraps=layouts.estimate) as estimates,
        mock.patch.object(pricing, "resolve_price", wraps=pricing.resolve_price) as prices,
    ):
        result = compare.evaluate(s, catalogue)
    # a request mix bills each class on its own (one price resolution per class) and estimates each class's
    # prompt-length buckets on the shared memory plan, besides the mean request
    classes = max(1, len(s.classes))
    points = 1 + sum(len(c.workload.prompt_buckets) for c in s.classes)
    assert ev.call_count == n_sh
    assert prices.call_count == n_api * classes
    n_layouts = 2  # auto: attention data-parallel and tensor-parallel, each planned once
    assert plans.call_count <= n_layouts * n_sh
    assert estimates.call_count <= n_layouts * len(EFFICIENCY_LEVELS) * n_sh * points
    # and everything the pages read is there
    assert len(result.table) == n_sh + n_api
    assert set(result.curves["option"]) <= set(result.table["option"])
    assert len(result.break_even) == n_sh * n_api


def test_curves_at_the_scenario_volume_are_the_table(catalogue: Catalogue) -> None:
    ev = compare.evaluate(preset("agentic-coding", AS_OF), catalogue)
    now = ev.curves[ev.curves["current"]].set_index("option")["monthly_cost_usd"]
    table = ev.table.set_index("option")["monthly_cost_usd"]
    for opt, cost in now.items():
        assert cost == pytest.approx(float(table[opt]), rel=1e-12)


def test_cache_curve_at_the_workload_fraction_is_the_table(catalogue: Catalogue) -> None:
    """The cache-hit curve of each option passes through the table's cost at the workload's own fraction
    (same estimate, sliced), and never rises with the cached share."""
    s = preset("chat", AS_OF)
    s = s.model_copy(update={"workload": s.workload.model_copy(update={"cache_hit_fraction": 0.5})})
    ev = compare.evaluate(s, catalogue)
    level = s.assumptions.efficiency
    for r in ev.self_host:
        cost = r.evaluation.cache_costs[level]
        assert cost is not None
        grid = r.evaluation.cache_hit_fractions
        i = int(np.flatnonzero(np.isclose(grid, 0.5))[0])
        at_workload = r.evaluation.costs[level]
        assert at_workload is not None
        assert float(cost.monthly_cost_usd[i]) == pytest.approx(
            float(at_workload.monthly_cost_usd), rel=1e-12
        )
        assert np.all(np.diff(cost.monthly_cost_usd) <= 1e-6)


def test_ttft_target_is_checked_on_each_use_of_the_estimate(catalogue: Catalogue) -> None:
    """One estimate covers the workload's cached share and the whole cache-hit grid. A TTFT target that the
    workload meets (90 % cached) but an uncached prompt misses keeps the table's cost and leaves the
    cache-hit break-even without a crossing, saying why."""
    s = preset("agentic-coding", AS_OF)
    sh = s.self_host_options[0]
    s = s.model_copy(update={"self_host_options": (sh,)})
    loose = compare.evaluate(s, catalogue).self_host[0].evaluation
    est = loose.estimates[s.assumptions.efficiency]
    ttft_here = float(est.ttft_ms[0])
    s = s.model_copy(
        update={"assumptions": s.assumptions.model_copy(update={"ttft_ms_target": ttft_here * 1.5})}
    )
    ev = compare.evaluate(s, catalogue)
    row = ev.table[ev.table["kind"] == "self_host"].iloc[0]
    assert row["feasible"] and np.isfinite(row["monthly_cost_usd"])
    assert ev.self_host[0].evaluation.cache_costs[s.assumptions.efficiency] is None
    assert (
        ev.break_even["cache_hit_note"] == "none: self-hosting infeasible at some cache-hit fractions"
    ).all()


@pytest.mark.parametrize(
    ("name", "option", "fraction"),
    [("rag-long-docs", 0, 0.0), ("agentic-coding", 0, 0.9), ("agentic-coding", 1, 0.3)],
)
def test_every_cache_curve_point_is_its_own_evaluation(
    catalogue: Catalogue, name: str, option: int, fraction: float
) -> None:
    """Review finding: with aggregated serving the batch meeting the TPOT target depends on each cached length's
    prefill share, so one estimate over the grid must choose the batch per cached length. A grid point must be
    what evaluating that cache-hit share on its own gives."""
    s = preset(name, AS_OF)
    s = s.model_copy(update={"workload": s.workload.model_copy(update={"cache_hit_fraction": 0.5})})
    r = compare.evaluate(s, catalogue).self_host[option]
    grid = r.evaluation.cache_hit_fractions
    curve = r.evaluation.cache_costs[s.assumptions.efficiency]
    assert curve is not None
    at = s.model_copy(update={"workload": s.workload.model_copy(update={"cache_hit_fraction": fraction})})
    alone = compare.evaluate(at, catalogue).table.set_index("option").loc[r.label, "monthly_cost_usd"]
    j = int(np.flatnonzero(np.isclose(grid, fraction))[0])
    assert float(curve.monthly_cost_usd[j]) == pytest.approx(float(alone), rel=1e-12)
