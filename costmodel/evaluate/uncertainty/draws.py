"""Uncertainty: the inputs of a batch of draws and their exact costs (the scenario a draw stands for:
:mod:`costmodel.evaluate.uncertainty.recompute`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from costmodel.catalog.units import FloatArray
from costmodel.evaluate.uncertainty.model import _LEVELS, SWANSON_WEIGHTS, _Model, _SelfHost, _tri_inv
from costmodel.pricing.bill import bill_arrays
from costmodel.serving import CACHE_HIT_GRID

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
        cache_shift: a request mix: the points (fraction) added to every class's own cache-hit share where
            ``cache_index`` ≥ 1 (clipped to [0, 1], rounded to the grid); ``cache_index`` 0: each class's own.
    """

    level: npt.NDArray[np.int64]
    output: npt.NDArray[np.int64]
    cache_index: npt.NDArray[np.int64]
    volume: FloatArray
    overhead_pct: FloatArray
    price: FloatArray
    cache_shift: FloatArray | None = None

    def take(self, idx: npt.NDArray[np.intp]) -> Draws:
        return Draws(
            self.level[idx], self.output[idx], self.cache_index[idx], self.volume[idx], self.overhead_pct[idx],
            self.price[:, idx], None if self.cache_shift is None else self.cache_shift[idx],
        )  # fmt: skip

    @property
    def size(self) -> int:
        return int(self.volume.size)


def _cache_value(m: _Model, idx: npt.NDArray[np.int64]) -> FloatArray:
    own = m.scenario.workload.cache_hit_fraction
    return np.where(idx == 0, own, CACHE_HIT_GRID[np.maximum(idx - 1, 0)])


def _class_cache_index(m: _Model, d: Draws) -> npt.NDArray[np.int64]:
    """A mix: each class's cache index per draw, shape (classes, draws) (0: its own share, k ≥ 1 the grid's)."""
    shift = np.zeros(d.size) if d.cache_shift is None else d.cache_shift
    own = np.asarray(m.class_hits, dtype=np.float64)[:, None]
    out: npt.NDArray[np.int64] = np.where(d.cache_index[None, :] == 0, 0, _snap(own + shift[None, :]))
    return out


def _class_cache_value(m: _Model, idx: npt.NDArray[np.int64]) -> FloatArray:
    """A mix: each class's cache-hit share of :func:`_class_cache_index`'s indices, shape (classes, draws)."""
    own = np.asarray(m.class_hits, dtype=np.float64)[:, None]
    out: FloatArray = np.where(idx == 0, own, CACHE_HIT_GRID[np.maximum(idx - 1, 0)])
    return out


@dataclass(frozen=True)
class _Slot:
    """One attention layout of one self-hosting option, per draw (the layout of the draw's output point and
    efficiency level, in this slot): GPUs per deployment, GPU-seconds per request; ``valid`` False where the
    draw's (output, level) has fewer layouts. A request mix: ``pf`` and ``dc`` per class, shape (classes, draws)."""

    n: FloatArray
    pf: FloatArray
    dc: FloatArray
    valid: npt.NDArray[np.bool_]

    def take(self, idx: npt.NDArray[np.intp]) -> _Slot:
        return _Slot(self.n[idx], self.pf[..., idx], self.dc[..., idx], self.valid[idx])


def _class_slots(m: _Model, i: int, d: Draws) -> list[_Slot]:
    """:func:`_slots` of a request mix: each class's GPU-seconds per request at its own drawn cache-hit share."""
    sh = m.self_host[i]
    n_classes = len(m.class_hits)
    ci_all = _class_cache_index(m, d)
    width = max((len(sh.class_tables[k][lv]) for k in range(3) for lv in _LEVELS), default=0)
    out = []
    for j in range(width):
        n = np.ones(d.size)
        pf, dc = np.zeros((n_classes, d.size)), np.zeros((n_classes, d.size))
        valid = np.zeros(d.size, dtype=bool)
        for k in range(3):
            for li, lv in enumerate(_LEVELS):
                layouts = sh.class_tables[k][lv]
                if j >= len(layouts):
                    continue
                sel = np.flatnonzero((d.output == k) & (d.level == li))
                if not sel.size:
                    continue
                for c, t in enumerate(layouts[j]):
                    ci = ci_all[c, sel] if t.grid_feasible else np.zeros(sel.size, dtype=np.int64)
                    pf[c, sel], dc[c, sel] = t.prefill_gpu_s[ci], t.decode_gpu_s[ci]
                n[sel], valid[sel] = layouts[j][0].deployment_gpus, True
        out.append(_Slot(n, pf, dc, valid))
    return out


def _slots(m: _Model, i: int, d: Draws) -> list[_Slot]:
    """The per-draw layout tables of self-hosting option ``i`` (one gather per (output, level) group)."""
    if m.is_mix:
        return _class_slots(m, i, d)
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
    if m.is_mix:
        return _mix_fleet_cost(m, sh, t, price, overhead_pct, volume)
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

    def gpus_of(need: FloatArray, unit: FloatArray | float = n2) -> FloatArray:
        out: FloatArray = np.maximum(1.0, np.ceil(need / u / unit - 1e-9)) * unit
        return out

    if sh.disaggregated:
        gpus = gpus_of(r * p2 / 3600.0, sh.prefill_gpus or n2) + gpus_of(r * d2 / 3600.0)
    else:
        gpus = gpus_of(r * p2 / 3600.0 + r * d2 / 3600.0)
    gpus_sum = gpus @ counts
    cost: FloatArray = gpus_sum * k
    # fleet_cost adds the fixed monthly cost only when it is not zero (adding 0.0 would not change a figure)
    if a.ops_usd_per_month:
        cost = cost + a.ops_usd_per_month
    out: FloatArray = np.where(t.valid, cost, np.inf)
    return out


#: A mix's hourly arrays are built over at most this many (draw, hour row) cells at a time (memory: 8 bytes each,
#: four arrays), so that 200,000 draws of a mix with 168 distinct hour rows stay within ~100 MB.
_MIX_CELLS = 1 << 21


def _chunks(m: _Model, size: int) -> list[slice]:
    step = max(1, _MIX_CELLS // max(1, m.class_hourly.shape[0]))
    return [slice(a, min(size, a + step)) for a in range(0, size, step)]


def _class_need(m: _Model, t: _Slot, volume: FloatArray, sl: slice) -> tuple[FloatArray, FloatArray]:
    """A mix: GPUs of prefill and of decode work in each distinct hour row for the draws ``sl``, shape
    (draws, rows): ``volume × Σ_c r_c s_c / 3600``, the sum over classes as one matrix product (draws × classes by
    classes × rows). The sum's rounding may differ from :func:`costmodel.serving.option.class_need`'s in the last
    bits; deployments are ``ceil(need / u / n - 1e-9)``, so that never changes a whole deployment (tests compare
    draws with ``evaluate()`` exactly)."""
    v = volume[sl][:, None] / 3600.0
    hourly_t = m.class_hourly.T  # (classes, rows)
    classes = range(len(m.class_hits))
    need_p = np.stack([t.pf[c][sl] for c in classes], axis=1) @ hourly_t
    need_d = np.stack([t.dc[c][sl] for c in classes], axis=1) @ hourly_t
    np.multiply(need_p, v, out=need_p)
    np.multiply(need_d, v, out=need_d)
    return need_p, need_d


def _mix_gpu_hours(m: _Model, sh: _SelfHost, t: _Slot, volume: FloatArray) -> FloatArray:
    """A mix: GPUs rented summed over the week's 168 hours, per draw (both pools when disaggregated)."""
    u = m.scenario.assumptions.target_utilization
    out = np.empty(volume.size)
    for sl in _chunks(m, volume.size):
        n = t.n[sl]
        need_p, need_d = _class_need(m, t, volume, sl)

        def gpus_of(need: FloatArray, unit: FloatArray | float = n) -> FloatArray:
            unit2 = unit[:, None] if isinstance(unit, np.ndarray) else unit
            np.divide(need, u, out=need)
            np.divide(need, unit2, out=need)
            np.subtract(need, 1e-9, out=need)
            np.ceil(need, out=need)
            np.maximum(need, 1.0, out=need)
            week: FloatArray = (
                need.max(axis=1) * 168.0 if sh.mode == "always_on" else need @ m.class_hour_counts
            )
            return week * unit

        if sh.disaggregated:
            out[sl] = gpus_of(need_p, float(sh.prefill_gpus) if sh.prefill_gpus else n) + gpus_of(need_d)
        else:
            np.add(need_p, need_d, out=need_p)
            out[sl] = gpus_of(need_p)
    return out


def _mix_fleet_cost(
    m: _Model, sh: _SelfHost, t: _Slot, price: FloatArray, overhead_pct: FloatArray, volume: FloatArray
) -> FloatArray:
    """:func:`_fleet_cost` of a request mix: :func:`costmodel.serving.fleet.fleet_cost_of_need`'s arithmetic on
    the classes' summed hourly work (one shared fleet), each distinct row of the classes' hourly requests costed
    once and weighted by how many hours have it (always-on: the busiest row's deployments, all 168 hours)."""
    a = m.scenario.assumptions
    k = price * (1.0 + overhead_pct / 100.0) * (m.scenario.workload.days_per_month / 7.0)
    cost: FloatArray = _mix_gpu_hours(m, sh, t, volume) * k
    if a.ops_usd_per_month:
        cost = cost + a.ops_usd_per_month
    out: FloatArray = np.where(t.valid, cost, np.inf)
    return out


def _mix_work(m: _Model, sh: _SelfHost, t: _Slot) -> FloatArray:
    """A mix at its own volume: GPU-hours of work in a week per draw (always-on: the busiest hour's, 168 times)."""
    one = np.ones(t.n.size)
    out = np.empty(t.n.size)
    for sl in _chunks(m, t.n.size):
        need_p, need_d = _class_need(m, t, one, sl)
        np.add(need_p, need_d, out=need_p)
        out[sl] = need_p.max(axis=1) * 168.0 if sh.mode == "always_on" else need_p @ m.class_hour_counts
    return out


def _unit(sh: _SelfHost, t: _Slot) -> FloatArray:
    """The largest pool of a slot's deployment, GPUs (a stated prefill pool may be larger than the decode one)."""
    return np.maximum(t.n, float(sh.prefill_gpus or 0))


def _cost_slope_floor(
    m: _Model, i: int, slots: list[_Slot], price: FloatArray, overhead_pct: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """A floor under :func:`_option_cost` at every volume multiple ``x``: ``cost(x) >= slope * x - slack``.

    Each layout rents ``max(1, ceil(need - 1e-9))`` deployments an hour, at least ``need - 1e-9``: so its cost is at
    least the cost of the GPU-seconds of work at the target utilisation, ``x × k Σ_h hours_h r_h (pf + dc) / 3600 / u``
    (plus the fixed monthly cost), less ``k n 168 × 2e-9`` for the ``1e-9`` (two pools when disaggregated; ``n`` the larger pool).
    ``slope`` is the least of the layouts' (inf where none is costed); ``slack`` is the largest, less the fixed cost.
    USD per month per volume multiple, USD per month.
    """
    sh = m.self_host[i]
    a = m.scenario.assumptions
    k = price * (1.0 + overhead_pct / 100.0) * m.scenario.workload.days_per_month / 7.0
    if m.is_mix:  # the classes' summed work, hour by hour (always-on: the busiest hour's, all 168 hours)
        slope, slack = np.full(price.size, np.inf), np.zeros(price.size)
        for t in slots:
            week = _mix_work(m, sh, t)
            slope = np.minimum(slope, np.where(t.valid, k * week / a.target_utilization, np.inf))
            slack = np.maximum(slack, np.where(t.valid, k * _unit(sh, t) * 168.0 * 2e-9, 0.0))
        return slope, slack - a.ops_usd_per_month
    hours, counts = (
        (np.array([m.hourly_max]), np.array([168.0]))
        if sh.mode == "always_on"
        else (m.hourly_unique, m.hourly_counts)
    )
    work = float(hours @ counts)  # requests a week at x = 1, each hour weighted by how often it occurs
    slope, slack = np.full(price.size, np.inf), np.zeros(price.size)
    for t in slots:
        b = np.where(t.valid, k * work * (t.pf + t.dc) / 3600.0 / a.target_utilization, np.inf)
        slope = np.minimum(slope, b)
        slack = np.maximum(slack, np.where(t.valid, k * _unit(sh, t) * 168.0 * 2e-9, 0.0))
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
    if m.is_mix:
        return _mix_api_costs(m, d, vol)
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


def _mix_api_costs(m: _Model, d: Draws, vol: FloatArray) -> FloatArray:
    """:func:`_api_costs` of a request mix: the sum of the classes' bills (:func:`costmodel.pricing.mix_bill.mix_api_bill`),
    each class at its share of the drawn volume, its drawn cache-hit share, its own peak-hour share and, bucket by
    bucket of its prompt-length histogram, its context tier (inf: the API cannot serve some class)."""
    h = _class_cache_value(m, _class_cache_index(m, d))
    out = np.full((len(m.api), d.size), np.inf)
    for j, api in enumerate(m.api):
        for k in range(3):
            sel = d.output == k
            if not sel.any():
                continue
            ev = m.evaluations[k]
            bills = ev.class_bills[api.evaluation_index]
            if any(b.reason for b in bills):
                continue
            total = np.zeros(int(sel.sum()))
            for c, ((_, w), bill) in enumerate(zip(ev.scenario.class_workloads(), bills, strict=True)):
                total = total + sum(
                    bill_arrays(
                        bill.price,
                        requests_per_month=vol[sel] * w.requests_per_month * share,
                        prompt_tokens=prompt,
                        billed_output_tokens=w.billed_output_tokens,
                        cache_hit_fraction=h[c, sel],
                        peak_fraction=bill.peak_traffic_fraction,
                    )["monthly_cost_usd"]
                    for share, prompt in w.prompt_buckets
                )
            out[j, sel] = total
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
        cache_shift=np.zeros(n) if m.is_mix else None,
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
        if m.output_moves
        else base.output
    )
    h0 = w.cache_hit_fraction
    shift = base.cache_shift
    if m.is_mix:  # every class's cached share moves by the same points: tri(−pp, 0, +pp), then clipped
        pp = r.cache_hit_pp / 100.0
        shift = _tri_inv(u[2], -pp, 0.0, pp) if pp > 0 else shift
        cache_index = np.ones(n, dtype=np.int64) if pp > 0 else base.cache_index
    else:
        cache_index = (
            _snap(_tri_inv(u[2], m.cache_hit_lo, h0, m.cache_hit_hi))
            if r.cache_hit_pp > 0
            else base.cache_index
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
    return Draws(level, output, cache_index, volume, overhead, price, shift)


def _verdict(api: FloatArray, sh: FloatArray) -> FloatArray:
    """min(API) − min(self-host) per draw, USD/month (nan when either side has no cost)."""
    a = api.min(axis=0) if api.size else np.full(api.shape[1], np.inf)
    s = sh.min(axis=0) if sh.size else np.full(sh.shape[1], np.inf)
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(np.isfinite(a) & np.isfinite(s), a - s, np.nan)
    return out
