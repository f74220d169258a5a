"""One self-hosting option of a scenario evaluated: memory plans of each layout, estimates per efficiency
level, fleet costs."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from costmodel.catalog.feasibility import context_reason
from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import FloatArray
from costmodel.serving.efficiency import EFFICIENCY_LEVELS, EfficiencyLevel
from costmodel.serving.estimate import ServingEstimate
from costmodel.serving.fleet import FleetCost, cheaper_fleet, fleet_cost_of_need, resolve_rental
from costmodel.serving.layouts import (
    MAX_COSTED_BUCKETS,
    VOLUME_FREE,
    LayoutEstimates,
    coarsen,
    layout_estimates,
)
from costmodel.workload.scenario import (
    SelfHostOption,
    ServingAssumptions,
    Workload,
)
from costmodel.workload.traffic import hourly_requests_utc

#: Cache-hit fractions of the cache-hit curves (the break-even over the cached share reads them).
CACHE_HIT_GRID: FloatArray = np.linspace(0.0, 1.0, 201)

Costs = dict[EfficiencyLevel, FleetCost | None]


@dataclass(frozen=True)
class PerRequestTable:
    """One attention layout's GPU-seconds per request at one efficiency level, for exact re-costing.

    Index 0 is the workload's own cache-hit fraction, 1.. the cache-hit grid (empty grid: index 0 only).
    :func:`~costmodel.serving.fleet.fleet_cost` of these at any volume is what :func:`evaluate_option` would
    cost for that layout (the Monte Carlo of :mod:`costmodel.evaluate.uncertainty` reads them).

    Attributes:
        deployment_gpus: GPUs per deployment of the layout.
        prefill_gpu_s: GPU-seconds of prefill per request, shape (1 + grid,).
        decode_gpu_s: GPU-seconds of decode per request, shape (1 + grid,).
        grid_feasible: every grid point is feasible (False: only index 0 may be used).
    """

    deployment_gpus: int
    prefill_gpu_s: FloatArray
    decode_gpu_s: FloatArray
    grid_feasible: bool


@dataclass(frozen=True)
class OptionEvaluation:
    """One self-hosting option evaluated once: at the workload, over a volume grid and over a cache-hit grid.

    Attributes:
        estimates: serving estimate per level, at the workload's cache-hit fraction (the layout that costs
            less at the workload's own point).
        costs: fleet cost per level at the workload (None when not feasible or not priced).
        usd_per_gpu_hour: price used (nan when unknown).
        rental_id: rental row id ("custom" for a user price).
        rental_source: the row's source.
        rental_as_of: the row's as_of date (ISO).
        reason: why there is no cost ("" otherwise).
        alternatives: per level, the estimates of every attention layout that was costed (the chosen one
            included); every cost is their elementwise minimum over its grid, so a grid point may use a
            different layout from ``estimates``.
        volume_scales: multiples of the workload's hourly requests of ``volume_costs`` (may be empty).
        volume_costs: per level, the fleet cost over ``volume_scales`` (None when not feasible or not priced).
        cache_hit_fractions: the grid of ``cache_costs`` (may be empty).
        cache_costs: per level, the fleet cost at the workload's volume over ``cache_hit_fractions`` (None when
            some fraction is not feasible, e.g. its TTFT misses the target, or the option is not priced).
    """

    estimates: dict[EfficiencyLevel, ServingEstimate]
    costs: Costs
    usd_per_gpu_hour: float
    rental_id: str
    rental_source: str
    rental_as_of: str
    reason: str
    alternatives: dict[EfficiencyLevel, tuple[ServingEstimate, ...]] = field(default_factory=dict)
    volume_scales: FloatArray = field(default_factory=lambda: np.empty(0))
    volume_costs: Costs = field(default_factory=dict)
    cache_hit_fractions: FloatArray = field(default_factory=lambda: np.empty(0))
    cache_costs: Costs = field(default_factory=dict)
    per_request: dict[EfficiencyLevel, tuple[PerRequestTable, ...]] = field(default_factory=dict)
    """Per level, one table per attention layout costed at the workload (:class:`PerRequestTable`); a histogram's
    GPU-seconds are the share-weighted sums over its buckets, a mix's the request-weighted sums over its classes."""
    per_class: dict[EfficiencyLevel, tuple[tuple[PerRequestTable, ...], ...]] = field(default_factory=dict)
    """Per level, per attention layout (as ``per_request``), one table per request class (one class: the
    workload's); :func:`mix_fleet_cost` of these and the classes' hourly requests is the option's cost."""
    class_names: tuple[str, ...] = ()
    """Names of the request classes, in the order of ``per_class`` (("",) for a workload without classes)."""
    class_work_shares: dict[EfficiencyLevel, tuple[float, ...]] = field(default_factory=dict)
    """Per level, each class's share of the GPU-seconds of work in a week (the layout reported); the per-class
    breakdown splits the shared fleet's cost by these."""
    class_ttft_p99_ms: dict[EfficiencyLevel, tuple[float, ...]] = field(default_factory=dict)
    """Per level, each class's time to first token at its p99 prompt (ms, own cached share, the layout reported;
    no queueing): the table's ``ttft_ms`` is the mean request's."""
    notes: tuple[str, ...] = ()
    """What the comparison table's ``notes`` should say about this evaluation (e.g. histograms coarsened)."""


@dataclass(frozen=True)
class _Layout:
    """One attention layout's results (a candidate of :func:`evaluate_option`)."""

    estimates: dict[EfficiencyLevel, ServingEstimate]
    costs: Costs
    volume_costs: Costs
    cache_costs: Costs
    per_request: dict[EfficiencyLevel, PerRequestTable | None] = field(default_factory=dict)
    per_class: dict[EfficiencyLevel, tuple[PerRequestTable, ...] | None] = field(default_factory=dict)
    work_shares: dict[EfficiencyLevel, tuple[float, ...]] = field(default_factory=dict)
    ttft_p99: dict[EfficiencyLevel, tuple[float, ...]] = field(default_factory=dict)


def class_need(
    hourly_by_class: Sequence[FloatArray],
    prefill_gpu_s: Sequence[float | FloatArray],
    decode_gpu_s: Sequence[float | FloatArray],
    scale: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """GPUs of prefill and of decode work in each UTC hour of classes sharing one fleet.

    ``Σ_c r_c(h) × s_c / 3600`` (requests in the hour × GPU-seconds per request), prefill and decode apart.

    Args:
        hourly_by_class: each class's requests per UTC hour, shape (7, 24).
        prefill_gpu_s: each class's prefill GPU-seconds per request: a scalar or an array over a sweep (S,).
        decode_gpu_s: likewise for decode.
        scale: multiples of every class's hourly requests (V,) (None: the classes' own volume).

    Returns:
        ``(need_p, need_d)``, shape (7, 24), (S, 7, 24) or (V, 7, 24).
    """
    need_p: FloatArray | None = None
    need_d: FloatArray | None = None
    for r, pf, dc in zip(hourly_by_class, prefill_gpu_s, decode_gpu_s, strict=True):
        req = r if scale is None else r * scale[:, None, None]
        p = np.asarray(pf, dtype=np.float64)[..., None, None]
        d = np.asarray(dc, dtype=np.float64)[..., None, None]
        np_, nd_ = req * p / 3600.0, req * d / 3600.0
        need_p = np_ if need_p is None else need_p + np_
        need_d = nd_ if need_d is None else need_d + nd_
    if need_p is None or need_d is None:
        raise ValueError("no request class to cost")
    return need_p, need_d


def mix_fleet_cost(
    tables: Sequence[PerRequestTable],
    hourly_by_class: Sequence[FloatArray],
    option: SelfHostOption,
    assumptions: ServingAssumptions,
    usd_per_gpu_hour: float,
    days_per_month: float,
    scale: FloatArray | None = None,
) -> FleetCost:
    """The fleet cost of classes sharing one deployment type, from their per-request tables (index 0).

    Args:
        tables: one :class:`PerRequestTable` per class (same deployment).
        hourly_by_class: each class's requests per UTC hour, shape (7, 24).
        option, assumptions: rental mode, disaggregation, overhead, utilisation target, fixed costs.
        usd_per_gpu_hour: price, USD per GPU-hour.
        days_per_month: days billed per month.
        scale: multiples of every class's hourly requests (None: their own volume).
    """
    need = class_need(
        hourly_by_class, [t.prefill_gpu_s[0] for t in tables], [t.decode_gpu_s[0] for t in tables], scale
    )
    return _fleet_of_need(
        need, tables[0].deployment_gpus, option, assumptions, usd_per_gpu_hour, days_per_month
    )


def _fleet_of_need(
    need: tuple[FloatArray, FloatArray],
    deployment_gpus: int,
    option: SelfHostOption,
    assumptions: ServingAssumptions,
    usd_per_gpu_hour: float,
    days_per_month: float,
) -> FleetCost:
    """:func:`fleet_cost_of_need` of ``(need_p, need_d)`` with the option's mode and the assumptions' overheads."""
    return fleet_cost_of_need(
        need[0],
        need[1],
        deployment_gpus=deployment_gpus,
        usd_per_gpu_hour=usd_per_gpu_hour,
        days_per_month=days_per_month,
        mode=option.mode,
        disaggregated=option.disaggregated,
        overhead_pct=assumptions.overhead_pct,
        target_utilization=assumptions.target_utilization,
        fixed_usd_per_month=assumptions.ops_usd_per_month,
        prefill_pool_gpus=option.prefill_gpus,
    )


def evaluate_option(
    option: SelfHostOption,
    workload: Workload,
    assumptions: ServingAssumptions,
    catalogue: Catalogue,
    *,
    volume_scales: FloatArray | None = None,
    cache_hit_fractions: FloatArray | None = None,
    levels: Sequence[EfficiencyLevel] = EFFICIENCY_LEVELS,
    classes: Sequence[tuple[str, Workload]] = (),
) -> OptionEvaluation:
    """Evaluate one self-hosting option on a workload, once: every level, every layout, every grid point.

    One memory plan per attention layout and one :func:`estimate` per layout and level, over every cached
    length needed (the workload's and the cache-hit grid's); the fleet costs at the workload, over the volume
    grid and over the cache-hit grid are then array arithmetic on those estimates.

    Distributions and mixes: the memory plan holds the longest p99 request (of every class) with the batch from
    the mean KV; the reported estimate (batch, TPOT, TTFT, feasibility) is the mean request's. The GPU-seconds
    per request follow the distribution: each prompt-length bucket of each class is estimated at its own prompt
    (prefill attention is superlinear in length; decode at the bucket's own context) on that memory plan, and
    weighted by its share. Classes share one fleet: each UTC hour's work is the sum over classes of their
    hourly requests (own profile and time zone) × their GPU-seconds per request.

    Args:
        option: model × GPU × precision plan (+ size, price, mode, measured rates).
        workload: traffic (with ``classes``: the total; only its ``days_per_month`` is read).
        assumptions: efficiency level, latency targets, overhead, speculative decoding, KV layout.
        catalogue: models, GPUs and rentals.
        volume_scales: multiples of every hourly request count to cost (None: no volume curve).
        cache_hit_fractions: cache-hit fractions to cost at the workload's volume (None: no cache curve); with
            classes, every class at that fraction.
        levels: efficiency levels to evaluate.
        classes: ``(name, workload)`` of each request class, each carrying its own requests per day (empty:
            ``workload`` is the only class).
    """
    model = catalogue.model(option.model)
    catalogue.gpu(option.gpu)  # an unknown GPU is a KeyError here, as before
    vol = np.empty(0) if volume_scales is None else np.asarray(volume_scales, dtype=np.float64).reshape(-1)
    grid = (
        np.empty(0)
        if cache_hit_fractions is None
        else np.asarray(cache_hit_fractions, dtype=np.float64).reshape(-1)
    )
    mix: tuple[tuple[str, Workload], ...] = tuple(classes) or (("", workload),)
    try:
        price, rid, rsrc, rdate = resolve_rental(option, catalogue, assumptions)
        price_reason = ""
    except ValueError as e:
        price, rid, rsrc, rdate, price_reason = math.nan, "", "", "", str(e)
    if not model.open_weights or model.config is None:
        why = "closed weights" if not model.open_weights else "open weights, but its config is not known"
        reason = f"cannot self-host {model.id}: {why}"
        return OptionEvaluation({}, {}, price, rid, rsrc, rdate, reason, {}, vol, {}, grid, {})
    # a prompt-length histogram: the longest bucket must fit the window, the memory plan holds the p99 request
    for name, w in mix:
        longest = math.ceil(w.longest_prompt_tokens) if w.prompt_histogram else w.prompt_tokens
        too_long = context_reason(model, longest, w.billed_output_tokens)
        if too_long:  # no engine can hold the request, whatever its memory: no cost, the reason in the row
            too_long = f"class {name!r}: {too_long}" if classes else too_long
            return OptionEvaluation({}, {}, price, rid, rsrc, rdate, too_long, {}, vol, {}, grid, {})
    total = sum(w.requests_per_day for _, w in mix)
    shares = [1.0] if len(mix) == 1 else [w.requests_per_day / total for _, w in mix]
    # the request shapes and their shares of the requests: what the estimates depend on (not volume or timing)
    shapes = tuple((s, w.model_copy(update=VOLUME_FREE)) for s, (_, w) in zip(shares, mix, strict=True))
    # the memory plan holds the longest class's p99 request (of the histograms as given, before any coarsening)
    longest_seq = max(
        max(w.prompt_tokens, w.prompt_tokens_at_share(0.99)) + w.billed_output_tokens for _, w in mix
    )
    notes: tuple[str, ...] = ()
    if sum(len(w.prompt_buckets) for _, w in shapes) > MAX_COSTED_BUCKETS:
        cap = max(1, MAX_COSTED_BUCKETS // len(shapes))
        shapes = tuple(
            (
                s,
                w.model_copy(update={"prompt_histogram": coarsen(w.prompt_histogram, cap)})
                if w.prompt_histogram
                else w,
            )
            for s, w in shapes
        )
        notes = (
            f"self-hosting: prompt-length histograms costed in at most {cap} bucket(s) per class (more than "
            f"{MAX_COSTED_BUCKETS} buckets in all; merged buckets are prefilled at their mean length, which "
            "understates the superlinear attention within each)",
        )
    hourly = [hourly_requests_utc(w) for _, w in mix]
    days = workload.days_per_month

    def fleet(gpus: int, need: tuple[FloatArray, FloatArray]) -> FleetCost:
        return _fleet_of_need(need, gpus, option, assumptions, price, days)

    def run(layout: LayoutEstimates) -> _Layout:
        out = _Layout({}, {}, {}, {})
        for level, (est, on_grid, per_class) in layout.items():
            out.estimates[level] = est
            ok = est.feasible and not price_reason
            pf_c = [pf for pf, _, _ in per_class]
            dc_c = [dc for _, dc, _ in per_class]
            out.ttft_p99[level] = tuple(t for _, _, t in per_class)
            n_gpus = est.memory.gpus
            at_point = class_need(hourly, [p[0] for p in pf_c], [d[0] for d in dc_c])
            out.costs[level] = fleet(n_gpus, at_point) if ok else None
            out.volume_costs[level] = (
                fleet(n_gpus, class_need(hourly, [p[0] for p in pf_c], [d[0] for d in dc_c], vol))
                if ok and vol.size
                else None
            )
            grid_ok = False
            if on_grid is not None:
                grid_ok = on_grid.feasible
                out.cache_costs[level] = (
                    fleet(n_gpus, class_need(hourly, [p[1:] for p in pf_c], [d[1:] for d in dc_c]))
                    if on_grid.feasible and not price_reason
                    else None
                )
            keep = slice(None) if grid_ok else slice(0, 1)
            tables = tuple(
                PerRequestTable(n_gpus, p[keep], d[keep], grid_ok) for p, d in zip(pf_c, dc_c, strict=True)
            )
            if len(tables) == 1:
                total_table = tables[0]
            else:
                total_table = PerRequestTable(
                    n_gpus,
                    sum((s * t.prefill_gpu_s for s, t in zip(shares, tables, strict=True)), np.zeros(1)),
                    sum((s * t.decode_gpu_s for s, t in zip(shares, tables, strict=True)), np.zeros(1)),
                    grid_ok,
                )
            out.per_request[level] = total_table if ok else None
            out.per_class[level] = tables if ok else None
            work = [
                float(r.sum()) * (float(p[0]) + float(d[0]))
                for r, p, d in zip(hourly, pf_c, dc_c, strict=True)
            ]
            total_work = sum(work)
            out.work_shares[level] = tuple(
                x / total_work if total_work > 0 else 1.0 / len(work) for x in work
            )
        return out

    candidates = [
        run(layout)
        for layout in layout_estimates(
            catalogue, option, shapes, longest_seq, assumptions, grid.tobytes(), tuple(levels)
        )
    ]

    def monthly(c: _Layout) -> float:
        cost = c.costs.get(assumptions.efficiency)
        return float(cost.monthly_cost_usd) if cost is not None else math.inf

    def cheapest(costs: list[FleetCost | None]) -> FleetCost | None:
        return functools.reduce(cheaper_fleet, costs)

    # the layout reported (TTFT, TPOT, batch, GPUs) is the cheaper at the workload's own point; the costs are
    # the cheaper layout at every grid point, so curves, break-even and the table agree wherever evaluated
    chosen = min(candidates, key=monthly)
    estimates = chosen.estimates
    base = estimates.get(assumptions.efficiency) or (estimates[levels[0]] if levels else None)
    reason = price_reason or (base.reason if base is not None and not base.feasible else "")
    return OptionEvaluation(
        estimates=estimates,
        costs={lv: cheapest([c.costs[lv] for c in candidates]) for lv in levels},
        usd_per_gpu_hour=price,
        rental_id=rid,
        rental_source=rsrc,
        rental_as_of=rdate,
        reason=reason,
        alternatives={
            lv: tuple(c.estimates[lv] for c in candidates if c.costs[lv] is not None) for lv in levels
        },
        volume_scales=vol,
        volume_costs={lv: cheapest([c.volume_costs[lv] for c in candidates]) for lv in levels},
        cache_hit_fractions=grid,
        cache_costs={lv: cheapest([c.cache_costs[lv] for c in candidates]) for lv in levels}
        if grid.size
        else {},
        per_request={
            lv: tuple(t for c in candidates if (t := c.per_request.get(lv)) is not None) for lv in levels
        },
        per_class={
            lv: tuple(ts for c in candidates if (ts := c.per_class.get(lv)) is not None) for lv in levels
        },
        class_names=tuple(name for name, _ in mix),
        class_work_shares=dict(chosen.work_shares),
        class_ttft_p99_ms=dict(chosen.ttft_p99),
        notes=notes,
    )


def option_label(option: SelfHostOption) -> str:
    """The ``option`` column: ``self-host model @ gpu (precision, mode[, disaggregated][, acquisition])``."""
    extra = ", disaggregated" if option.disaggregated else ""
    extra += f", {option.acquisition}" if option.acquisition != "rent" else ""
    size = (
        f"{option.prefill_gpus}+{option.decode_gpus}× "
        if option.prefill_gpus is not None
        else f"{option.gpus}× "
        if option.gpus
        else ""
    )
    return f"self-host {option.model} @ {size}{option.gpu} ({option.precision}, {option.mode}{extra})"
