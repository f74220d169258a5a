"""One self-hosting option of a scenario evaluated: memory plans of each layout, estimates per efficiency
level, fleet costs."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from costmodel.catalog.schema import Catalogue
from costmodel.feasibility import context_reason
from costmodel.memo import by_row_identity
from costmodel.scenario import LayoutChoice, SelfHostOption, ServingAssumptions, Workload
from costmodel.serving.efficiency import EFFICIENCY_LEVELS, EfficiencyLevel
from costmodel.serving.estimate import ServingEstimate, at_cached_lengths, estimate
from costmodel.serving.fleet import FleetCost, cheaper_fleet, option_fleet_cost, resolve_rental
from costmodel.serving.memory import MemoryPlan, memory_plan
from costmodel.serving.roofline import workpoint
from costmodel.traffic import hourly_requests_utc
from costmodel.units import FloatArray

#: Cache-hit fractions of the cache-hit curves (the break-even over the cached share reads them).
CACHE_HIT_GRID: FloatArray = np.linspace(0.0, 1.0, 201)

Costs = dict[EfficiencyLevel, FleetCost | None]


@dataclass(frozen=True)
class PerRequestTable:
    """One attention layout's GPU-seconds per request at one efficiency level, for exact re-costing.

    Index 0 is the workload's own cache-hit fraction, 1.. the cache-hit grid (empty grid: index 0 only).
    :func:`~costmodel.serving.fleet.fleet_cost` of these at any volume is what :func:`evaluate_option` would
    cost for that layout (the Monte Carlo of :mod:`costmodel.uncertainty` reads them).

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
    """Per level, one table per attention layout costed at the workload (:class:`PerRequestTable`)."""


@dataclass(frozen=True)
class _Layout:
    """One attention layout's results (a candidate of :func:`evaluate_option`)."""

    estimates: dict[EfficiencyLevel, ServingEstimate]
    costs: Costs
    volume_costs: Costs
    cache_costs: Costs
    per_request: dict[EfficiencyLevel, PerRequestTable | None] = field(default_factory=dict)


def evaluate_option(
    option: SelfHostOption,
    workload: Workload,
    assumptions: ServingAssumptions,
    catalogue: Catalogue,
    *,
    volume_scales: FloatArray | None = None,
    cache_hit_fractions: FloatArray | None = None,
    levels: Sequence[EfficiencyLevel] = EFFICIENCY_LEVELS,
) -> OptionEvaluation:
    """Evaluate one self-hosting option on a workload, once: every level, every layout, every grid point.

    One memory plan per attention layout and one :func:`estimate` per layout and level, over every cached
    length needed (the workload's and the cache-hit grid's); the fleet costs at the workload, over the volume
    grid and over the cache-hit grid are then array arithmetic on those estimates.

    Args:
        option: model × GPU × precision plan (+ size, price, mode, measured rates).
        workload: traffic.
        assumptions: efficiency level, latency targets, overhead, speculative decoding, KV layout.
        catalogue: models, GPUs and rentals.
        volume_scales: multiples of every hourly request count to cost (None: no volume curve).
        cache_hit_fractions: cache-hit fractions to cost at the workload's volume (None: no cache curve).
        levels: efficiency levels to evaluate.
    """
    model = catalogue.model(option.model)
    catalogue.gpu(option.gpu)  # an unknown GPU is a KeyError here, as before, whatever is cached
    vol = np.empty(0) if volume_scales is None else np.asarray(volume_scales, dtype=np.float64).reshape(-1)
    grid = (
        np.empty(0) if cache_hit_fractions is None else np.asarray(cache_hit_fractions, dtype=np.float64).reshape(-1)
    )
    try:
        price, rid, rsrc, rdate = resolve_rental(option, catalogue, assumptions)
        price_reason = ""
    except ValueError as e:
        price, rid, rsrc, rdate, price_reason = math.nan, "", "", "", str(e)
    if not model.open_weights:
        reason = f"cannot self-host {model.id}: closed weights"
        return OptionEvaluation({}, {}, price, rid, rsrc, rdate, reason, {}, vol, {}, grid, {})
    # a prompt-length histogram: the longest bucket must fit the window, the memory plan holds the p99 request
    longest = math.ceil(workload.longest_prompt_tokens) if workload.prompt_histogram else workload.prompt_tokens
    too_long = context_reason(model, longest, workload.billed_output_tokens)
    if too_long:  # no engine can hold the request, whatever its memory: no cost, the reason in the row
        return OptionEvaluation({}, {}, price, rid, rsrc, rdate, too_long, {}, vol, {}, grid, {})
    requests = hourly_requests_utc(workload)

    def fleet(est: ServingEstimate, hourly: FloatArray, pf: float | FloatArray) -> FleetCost:
        return option_fleet_cost(est, hourly, pf, option, workload, assumptions, price)

    def run(layout: _LayoutEstimates) -> _Layout:
        out = _Layout({}, {}, {}, {})
        for level, (est, on_grid) in layout.items():
            out.estimates[level] = est
            ok = est.feasible and not price_reason
            pf = est.prefill_gpu_s_per_request[0]
            out.costs[level] = fleet(est, requests * 1.0, pf) if ok else None
            out.volume_costs[level] = fleet(est, requests * vol[:, None, None], pf) if ok and vol.size else None
            out_tok = workload.billed_output_tokens
            pf_all, dc_all, grid_ok = np.array([pf]), np.array([out_tok / est.decode_tokens_per_s_per_gpu]), False
            if on_grid is not None:
                grid_ok = on_grid.feasible
                out.cache_costs[level] = (
                    fleet(on_grid, requests, on_grid.prefill_gpu_s_per_request)
                    if on_grid.feasible and not price_reason
                    else None
                )
                if grid_ok:
                    pf_all = np.concatenate([pf_all, on_grid.prefill_gpu_s_per_request])
                    dc_all = np.concatenate([dc_all, out_tok / on_grid.decode_tokens_per_s_by_cached])
            out.per_request[level] = PerRequestTable(est.memory.gpus, pf_all, dc_all, grid_ok) if ok else None
        return out

    shape = workload.model_copy(update=_VOLUME_FREE)
    candidates = [
        run(layout)
        for layout in _layout_estimates(catalogue, option, shape, assumptions, grid.tobytes(), tuple(levels))
    ]

    def monthly(c: _Layout) -> float:
        cost = c.costs.get(assumptions.efficiency)
        return float(cost.monthly_cost_usd) if cost is not None else math.inf

    def cheapest(costs: list[FleetCost | None]) -> FleetCost | None:
        return functools.reduce(cheaper_fleet, costs)

    # the layout reported (TTFT, TPOT, batch, GPUs) is the cheaper at the workload's own point; the costs are
    # the cheaper layout at every grid point, so curves, break-even and the table agree wherever evaluated
    estimates = min(candidates, key=monthly).estimates
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
        cache_costs={lv: cheapest([c.cache_costs[lv] for c in candidates]) for lv in levels} if grid.size else {},
        per_request={
            lv: tuple(t for c in candidates if (t := c.per_request.get(lv)) is not None) for lv in levels
        },
    )



#: The workload fields that only scale or place the traffic (requests per day, hourly profiles, weekend weight,
#: time zone, days per month): set to constants in the key of :func:`_layout_estimates`, so that editing them
#: re-costs the fleets without re-estimating the serving rates.
_VOLUME_FREE: dict[str, object] = {
    "requests_per_day": 1.0,
    "hourly_profile_weekday": (1.0,) * 24,
    "hourly_profile_weekend": (1.0,) * 24,
    "weekend_day_weight": 1.0,
    "timezone": "UTC",
    "days_per_month": 30.0,
}

#: Per efficiency level: the estimate at the workload's own cached share, and over the cache-hit grid (None: no grid).
_LayoutEstimates = dict[EfficiencyLevel, tuple[ServingEstimate, "ServingEstimate | None"]]


@by_row_identity(maxsize=256)
def _layout_estimates(
    catalogue: Catalogue,
    option: SelfHostOption,
    shape: Workload,
    assumptions: ServingAssumptions,
    grid_bytes: bytes,
    levels: tuple[EfficiencyLevel, ...],
) -> tuple[_LayoutEstimates, ...]:
    """The serving estimates of each attention layout costed (those that fit, or the option's own when none
    does), per level: what :func:`evaluate_option` costs fleets from. They depend on the request's shape, not
    on how many requests come or when (``shape`` has the :data:`_VOLUME_FREE` fields set to constants), so a
    volume or profile edit, and the Monte Carlo's re-evaluations at the same shape, reuse them (cached per
    catalogue, option, shape, assumptions, cache-hit grid and levels; results are only read)."""
    model = catalogue.model(option.model)
    gpu = catalogue.gpu(option.gpu)
    grid = np.frombuffer(grid_bytes, dtype=np.float64)
    p99 = shape.prompt_tokens_at_share(0.99) if shape.prompt_histogram else shape.prompt_tokens
    prompt = shape.prompt_tokens
    hits = np.concatenate([[shape.cache_hit_fraction], grid])
    wp = workpoint(
        model,
        option.precision,
        context_tokens=prompt + shape.billed_output_tokens / 2.0,
        prompt_tokens=prompt,
        cached_tokens=hits * prompt,
        max_tokens=max(prompt, p99) + shape.billed_output_tokens,
        speculative=assumptions.speculative_decoding,
        kv_dtype=assumptions.kv_dtype,
    )
    ttft = assumptions.ttft_ms_target

    def run(mem: MemoryPlan) -> _LayoutEstimates:
        out: _LayoutEstimates = {}
        for level in levels:
            every = estimate(
                wp,
                gpu,
                efficiency=level,
                tpot_ms_target=assumptions.tpot_ms_target,
                ttft_ms_target=None,  # checked below, on each use's own cached lengths
                mtp_acceptance=assumptions.mtp_acceptance,
                measured_prefill_tokens_per_s_per_gpu=option.measured_prefill_tokens_per_s_per_gpu,
                measured_decode_tokens_per_s_per_gpu=option.measured_decode_tokens_per_s_per_gpu,
                memory=mem,
                deployment="disaggregated" if option.disaggregated else "aggregated",
            )
            on_grid = at_cached_lengths(every, slice(1, None), ttft) if grid.size else None
            out[level] = (at_cached_lengths(every, slice(0, 1), ttft), on_grid)
        return out

    # The smallest deployment of each attention layout; of those that fit, :func:`evaluate_option` keeps the one
    # that costs less for the workload at the scenario's efficiency level (the smallest is not always the
    # cheapest: TP replicates the latent KV, so a larger DP deployment can serve more tokens per GPU).
    def plan(layout: LayoutChoice) -> MemoryPlan:
        return memory_plan(
            wp.profile,
            gpu,
            kv_bytes_per_seq=wp.kv_bytes_per_seq,
            kv_bytes_max_seq=wp.kv_bytes_max_seq,
            gpus=option.gpus,
            layout=layout,
        )

    layouts: tuple[LayoutChoice, ...] = (
        ("dp", "tp") if option.attention_layout == "auto" else (option.attention_layout,)
    )
    # dict.fromkeys: a TP search that ends at one GPU (TP1) finds the DP plan again, costed once
    fitting = dict.fromkeys(m for m in map(plan, layouts) if m.fits)
    return tuple(run(m) for m in fitting) or (run(plan(option.attention_layout)),)


def option_label(option: SelfHostOption) -> str:
    """The ``option`` column: ``self-host model @ gpu (precision, mode[, disaggregated][, acquisition])``."""
    extra = ", disaggregated" if option.disaggregated else ""
    extra += f", {option.acquisition}" if option.acquisition != "rent" else ""
    size = f"{option.gpus}× " if option.gpus else ""
    return f"self-host {option.model} @ {size}{option.gpu} ({option.precision}, {option.mode}{extra})"
