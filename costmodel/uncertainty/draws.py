"""Uncertainty: the inputs of a batch of draws and their exact costs; the scenario a draw stands for."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from costmodel.compare import Evaluation
from costmodel.pricing import bill_arrays
from costmodel.scenario import Scenario
from costmodel.serving import CACHE_HIT_GRID
from costmodel.uncertainty.model import _LEVELS, SWANSON_WEIGHTS, _Model, _SelfHost, _tri_inv
from costmodel.units import FloatArray

# ---- inputs of a batch of draws, and their costs -----------------------------------------------------------


@dataclass(frozen=True)
class Draws:
    """Inputs of a batch of draws (arrays over draws).

    Attributes:
        level: efficiency level index (0 low, 1 base, 2 high).
        output: output point index (0 low, 1 the scenario's, 2 high).
        cache_index: 0 = the workload's own cache-hit share, k ≥ 1 = ``CACHE_HIT_GRID[k - 1]``.
        volume: multiple of the scenario's requests per day.
        overhead_pct: overhead on GPU hours, percent.
        price: rental price per self-hosting option, USD per GPU-hour, shape (options, draws).
    """

    level: npt.NDArray[np.int64]
    output: npt.NDArray[np.int64]
    cache_index: npt.NDArray[np.int64]
    volume: FloatArray
    overhead_pct: FloatArray
    price: FloatArray

    def take(self, idx: npt.NDArray[np.intp]) -> Draws:
        return Draws(
            self.level[idx], self.output[idx], self.cache_index[idx], self.volume[idx], self.overhead_pct[idx],
            self.price[:, idx],
        )  # fmt: skip

    @property
    def size(self) -> int:
        return int(self.volume.size)


def _cache_value(m: _Model, idx: npt.NDArray[np.int64]) -> FloatArray:
    own = m.scenario.workload.cache_hit_fraction
    return np.where(idx == 0, own, CACHE_HIT_GRID[np.maximum(idx - 1, 0)])


@dataclass(frozen=True)
class _Slot:
    """One attention layout of one self-hosting option, per draw (the layout of the draw's output point and
    efficiency level, in this slot): GPUs per deployment, GPU-seconds per request; ``valid`` False where the
    draw's (output, level) has fewer layouts."""

    n: FloatArray
    pf: FloatArray
    dc: FloatArray
    valid: npt.NDArray[np.bool_]

    def take(self, idx: npt.NDArray[np.intp]) -> _Slot:
        return _Slot(self.n[idx], self.pf[idx], self.dc[idx], self.valid[idx])


def _slots(m: _Model, i: int, d: Draws) -> list[_Slot]:
    """The per-draw layout tables of self-hosting option ``i`` (one gather per (output, level) group)."""
    sh = m.self_host[i]
    width = max((len(sh.tables[k][lv]) for k in range(3) for lv in _LEVELS), default=0)
    out = []
    for j in range(width):
        n, pf, dc = np.ones(d.size), np.zeros(d.size), np.zeros(d.size)
        valid = np.zeros(d.size, dtype=bool)
        for k in range(3):
            for li, lv in enumerate(_LEVELS):
                tables = sh.tables[k][lv]
                if j >= len(tables):
                    continue
                sel = np.flatnonzero((d.output == k) & (d.level == li))
                if not sel.size:
                    continue
                t = tables[j]
                ci = d.cache_index[sel] if t.grid_feasible else np.zeros(sel.size, dtype=np.int64)
                n[sel], pf[sel], dc[sel], valid[sel] = (
                    t.deployment_gpus,
                    t.prefill_gpu_s[ci],
                    t.decode_gpu_s[ci],
                    True,
                )
        out.append(_Slot(n, pf, dc, valid))
    return out


def _fleet_cost(
    m: _Model, sh: _SelfHost, t: _Slot, price: FloatArray, overhead_pct: FloatArray, volume: FloatArray
) -> FloatArray:
    """Monthly cost of one layout slot over the draws: :func:`costmodel.serving.fleet.fleet_cost`'s arithmetic
    (inf where the slot has no layout).

    Always-on: the deployments of the busiest hour all week; ``ceil`` and the products are monotone, so the
    busiest hour's need is the need at the busiest hour's requests (exact, no 168-hour arrays). Hour by hour:
    the hours with equal requests need equal deployments, so each distinct hourly count is costed once and
    weighted by how many hours have it (sums of whole GPUs: exact).
    """
    pf, dc, n = t.pf, t.dc, t.n
    a = m.scenario.assumptions
    u = a.target_utilization
    hours_per_slot = m.scenario.workload.days_per_month / 7.0
    k = price * (1.0 + overhead_pct / 100.0) * hours_per_slot
    # always-on: the busiest hour, every one of the week's 168 hours; autoscaled: each distinct hourly count
    hours, counts = (
        (np.array([m.hourly_max]), np.array([168.0]))
        if sh.mode == "always_on"
        else (m.hourly_unique, m.hourly_counts)
    )
    r = hours[None, :] * volume[:, None]
    p2, d2, n2 = pf[:, None], dc[:, None], n[:, None]

    def deploy(need: FloatArray) -> FloatArray:
        out: FloatArray = np.maximum(1.0, np.ceil(need / u / n2 - 1e-9))
        return out

    if sh.disaggregated:
        deps = deploy(r * p2 / 3600.0) + deploy(r * d2 / 3600.0)
    else:
        deps = deploy(r * p2 / 3600.0 + r * d2 / 3600.0)
    gpus_sum = (deps * n2) @ counts
    cost: FloatArray = gpus_sum * k
    # fleet_cost adds the fixed monthly cost only when it is not zero (adding 0.0 would not change a figure)
    if a.ops_usd_per_month:
        cost = cost + a.ops_usd_per_month
    out: FloatArray = np.where(t.valid, cost, np.inf)
    return out


def _cost_slope_floor(
    m: _Model, i: int, slots: list[_Slot], price: FloatArray, overhead_pct: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """A floor under :func:`_option_cost` at every volume multiple ``x``: ``cost(x) >= slope * x - slack``.

    Each layout rents ``max(1, ceil(need - 1e-9))`` deployments an hour, at least ``need - 1e-9``: so its cost is at
    least the cost of the GPU-seconds of work at the target utilisation, ``x × k Σ_h hours_h r_h (pf + dc) / 3600 / u``
    (plus the fixed monthly cost), less ``k n 168 × 2e-9`` for the ``1e-9`` (two pools when disaggregated).
    ``slope`` is the least of the layouts' (inf where none is costed); ``slack`` is the largest, less the fixed cost.
    USD per month per volume multiple, USD per month.
    """
    sh = m.self_host[i]
    a = m.scenario.assumptions
    k = price * (1.0 + overhead_pct / 100.0) * m.scenario.workload.days_per_month / 7.0
    hours, counts = (
        (np.array([m.hourly_max]), np.array([168.0])) if sh.mode == "always_on" else (m.hourly_unique, m.hourly_counts)
    )
    work = float(hours @ counts)  # requests a week at x = 1, each hour weighted by how often it occurs
    slope, slack = np.full(price.size, np.inf), np.zeros(price.size)
    for t in slots:
        b = np.where(t.valid, k * work * (t.pf + t.dc) / 3600.0 / a.target_utilization, np.inf)
        slope = np.minimum(slope, b)
        slack = np.maximum(slack, np.where(t.valid, k * t.n * 168.0 * 2e-9, 0.0))
    return slope, slack - a.ops_usd_per_month


def _option_cost(
    m: _Model, i: int, slots: list[_Slot], price: FloatArray, overhead_pct: FloatArray, volume: FloatArray
) -> FloatArray:
    """The cheaper layout per draw, as evaluate() takes it (inf: no layout costed)."""
    best = np.full(volume.size, np.inf)
    for t in slots:
        best = np.minimum(best, _fleet_cost(m, m.self_host[i], t, price, overhead_pct, volume))
    return best


def _self_host_costs(m: _Model, d: Draws, volume: FloatArray | None = None) -> FloatArray:
    """Monthly cost (USD) of each self-hosting option per draw, shape (options, draws); inf = not costed."""
    vol = d.volume if volume is None else volume
    out = np.full((len(m.self_host), d.size), np.inf)
    for i in range(len(m.self_host)):
        out[i] = _option_cost(m, i, _slots(m, i, d), d.price[i], d.overhead_pct, vol)
    return out


def _api_costs(m: _Model, d: Draws, volume: FloatArray | None = None) -> FloatArray:
    """Monthly bill (USD) of each API option per draw, shape (options, draws); inf = cannot serve."""
    vol = d.volume if volume is None else volume
    w = m.scenario.workload
    h = _cache_value(m, d.cache_index)
    out = np.full((len(m.api), d.size), np.inf)
    billed = np.array([ev.scenario.workload.billed_output_tokens for ev in m.evaluations])[d.output]
    for j, api in enumerate(m.api):
        for k in range(3):
            sel = d.output == k
            if not sel.any():
                continue
            bill = m.evaluations[k].bills[api.evaluation_index]
            if bill.reason:
                continue
            # bucket by bucket of the prompt-length histogram (each at its context tier), as the table bills
            out[j, sel] = sum(
                bill_arrays(
                    bill.price,
                    requests_per_month=vol[sel] * w.requests_per_month * share,
                    prompt_tokens=prompt,
                    billed_output_tokens=billed[sel],
                    cache_hit_fraction=h[sel],
                    peak_fraction=bill.peak_traffic_fraction,
                )["monthly_cost_usd"]
                for share, prompt in w.prompt_buckets
            )
    return out


def _base_draws(m: _Model, n: int) -> Draws:
    """``n`` copies of the scenario's own inputs."""
    lv = _LEVELS.index(m.scenario.assumptions.efficiency)
    prices = np.array([[sh.price_usd_per_gpu_hour] * n for sh in m.self_host]).reshape(len(m.self_host), n)
    return Draws(
        level=np.full(n, lv, dtype=np.int64),
        output=np.ones(n, dtype=np.int64),
        cache_index=np.zeros(n, dtype=np.int64),
        volume=np.ones(n),
        overhead_pct=np.full(n, m.scenario.assumptions.overhead_pct),
        price=prices,
    )


def _snap(h: FloatArray) -> npt.NDArray[np.int64]:
    """Index (≥ 1) of the nearest cache-hit grid point."""
    g = CACHE_HIT_GRID.size - 1
    return (np.rint(np.clip(h, 0.0, 1.0) * g).astype(np.int64)) + 1


def _sample(m: _Model, n: int, rng: np.random.Generator) -> Draws:
    r, a, w = m.ranges, m.scenario.assumptions, m.scenario.workload
    base = _base_draws(m, n)
    u = rng.random((5, n))
    level = (
        np.searchsorted(np.cumsum(SWANSON_WEIGHTS), u[0], side="right").astype(np.int64)
        if r.efficiency_band
        else base.level
    )
    output = (
        np.searchsorted(np.cumsum(SWANSON_WEIGHTS), u[1], side="right").astype(np.int64)
        if len(set(m.output_tokens)) > 1
        else base.output
    )
    h0 = w.cache_hit_fraction
    cache_index = (
        _snap(_tri_inv(u[2], m.cache_hit_lo, h0, m.cache_hit_hi)) if r.cache_hit_pp > 0 else base.cache_index
    )
    volume = _tri_inv(u[3], m.volume_lo, 1.0, m.volume_hi)
    overhead = _tri_inv(u[4], m.overhead_lo, a.overhead_pct, m.overhead_hi)
    gpus = sorted({sh.gpu for sh in m.self_host})
    ug = dict(zip(gpus, rng.random((len(gpus), n)), strict=True))
    price = np.empty((len(m.self_host), n))
    for i, sh in enumerate(m.self_host):
        if sh.price_lo < sh.price_hi:
            price[i] = np.exp(
                _tri_inv(
                    ug[sh.gpu],
                    math.log(sh.price_lo),
                    math.log(sh.price_usd_per_gpu_hour),
                    math.log(sh.price_hi),
                )
            )
        else:
            price[i] = sh.price_usd_per_gpu_hour
    return Draws(level, output, cache_index, volume, overhead, price)


def _verdict(api: FloatArray, sh: FloatArray) -> FloatArray:
    """min(API) − min(self-host) per draw, USD/month (nan when either side has no cost)."""
    a = api.min(axis=0) if api.size else np.full(api.shape[1], np.inf)
    s = sh.min(axis=0) if sh.size else np.full(sh.shape[1], np.inf)
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(np.isfinite(a) & np.isfinite(s), a - s, np.nan)
    return out


# ---- the exact recomputation a draw stands for -------------------------------------------------------------


def scenario_for_draw(m_or_scenario: _Model, d: Draws, k: int) -> Scenario:
    """The scenario that draw ``k`` of ``d`` describes: evaluate() of it gives that draw's costs (tests)."""
    m = m_or_scenario
    s = m.evaluations[int(d.output[k])].scenario
    w = s.workload
    ci = int(d.cache_index[k])
    w2 = w.model_copy(
        update={
            "requests_per_day": w.requests_per_day * float(d.volume[k]),
            "cache_hit_fraction": float(_cache_value(m, np.array([ci]))[0]),
        }
    )
    a2 = s.assumptions.model_copy(
        update={"efficiency": _LEVELS[int(d.level[k])], "overhead_pct": float(d.overhead_pct[k])}
    )
    opts = tuple(
        o.model_copy(update={"usd_per_gpu_hour": float(d.price[i, k])}) if math.isfinite(d.price[i, k]) else o
        for i, o in enumerate(s.self_host_options)
    )
    return s.model_copy(update={"workload": w2, "assumptions": a2, "self_host_options": opts})


def verdict_of(ev: Evaluation) -> float:
    """min(API) − min(self-host) monthly cost of an evaluation's table, USD/month (nan when a side is empty)."""
    t = ev.table
    cost = pd.to_numeric(t["monthly_cost_usd"], errors="coerce")
    a = cost[(t["kind"] == "api") & np.isfinite(cost)]
    s = cost[(t["kind"] == "self_host") & np.isfinite(cost)]
    return float(a.min() - s.min()) if len(a) and len(s) else math.nan
