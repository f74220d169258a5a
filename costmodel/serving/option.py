"""One self-hosting option of a scenario evaluated: memory plans of each layout, estimates per efficiency
level, fleet costs."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from costmodel.attention.common import FloatArray
from costmodel.catalog.schema import Catalogue
from costmodel.scenario import SelfHostOption, ServingAssumptions, Workload, hourly_requests_utc
from costmodel.serving.efficiency import EFFICIENCY_LEVELS, EfficiencyLevel
from costmodel.serving.estimate import ServingEstimate, estimate
from costmodel.serving.fleet import FleetCost, cheaper_fleet, option_fleet_cost, resolve_rental
from costmodel.serving.memory import LayoutChoice, MemoryPlan, memory_plan
from costmodel.serving.roofline import workpoint


@dataclass(frozen=True)
class OptionEvaluation:
    """An option evaluated at every efficiency level.

    Attributes:
        estimates: serving estimate per level.
        costs: fleet cost per level (None when not feasible or not priced).
        usd_per_gpu_hour: price used (nan when unknown).
        rental_id: rental row id ("custom" for a user price).
        rental_source: the row's source.
        rental_as_of: the row's as_of date (ISO).
        reason: why there is no cost ("" otherwise).
        alternatives: per level, the estimates of every attention layout that was costed (the chosen one
            included); ``costs`` is their elementwise minimum over any sweep, so a sweep point may use a
            different layout from ``estimates``, which is the cheaper at the workload's own point.
    """

    estimates: dict[EfficiencyLevel, ServingEstimate]
    costs: dict[EfficiencyLevel, FleetCost | None]
    usd_per_gpu_hour: float
    rental_id: str
    rental_source: str
    rental_as_of: str
    reason: str
    alternatives: dict[EfficiencyLevel, tuple[ServingEstimate, ...]] = field(default_factory=dict)



def evaluate_option(
    option: SelfHostOption,
    workload: Workload,
    assumptions: ServingAssumptions,
    catalogue: Catalogue,
    *,
    cache_hit_fraction: float | FloatArray | None = None,
    volume_scale: float | FloatArray = 1.0,
    levels: Sequence[EfficiencyLevel] = EFFICIENCY_LEVELS,
) -> OptionEvaluation:
    """Evaluate one self-hosting option on a workload, vectorised over cache-hit fraction and volume.

    Args:
        option: model × GPU × precision plan (+ size, price, mode, measured rates).
        workload: traffic; its cache-hit fraction is used unless ``cache_hit_fraction`` is given.
        assumptions: efficiency level, latency targets, overhead, speculative decoding, KV layout.
        catalogue: models, GPUs and rentals.
        cache_hit_fraction: override (array → costs over it).
        volume_scale: multiplies every hourly request count (array → costs over it; broadcast with the
            cache-hit array).
        levels: efficiency levels to evaluate.
    """
    model = catalogue.model(option.model)
    gpu = catalogue.gpu(option.gpu)
    h = workload.cache_hit_fraction if cache_hit_fraction is None else cache_hit_fraction
    hits = np.atleast_1d(np.asarray(h, dtype=np.float64))
    prompt = workload.prompt_tokens
    try:
        price, rid, rsrc, rdate = resolve_rental(option, catalogue)
        price_reason = ""
    except ValueError as e:
        price, rid, rsrc, rdate, price_reason = math.nan, "", "", "", str(e)
    if not model.open_weights:
        reason = f"cannot self-host {model.id}: closed weights"
        return OptionEvaluation({}, {}, price, rid, rsrc, rdate, reason)
    wp = workpoint(
        model,
        option.precision,
        context_tokens=prompt + workload.billed_output_tokens / 2.0,
        prompt_tokens=prompt,
        cached_tokens=hits * prompt,
        max_tokens=prompt + workload.billed_output_tokens,
        speculative=assumptions.speculative_decoding,
        kv_dtype=assumptions.kv_dtype,
    )
    scale = np.asarray(volume_scale, dtype=np.float64)
    requests = hourly_requests_utc(workload) * scale[..., None, None]

    def run(
        mem: MemoryPlan,
    ) -> tuple[dict[EfficiencyLevel, ServingEstimate], dict[EfficiencyLevel, FleetCost | None]]:
        estimates: dict[EfficiencyLevel, ServingEstimate] = {}
        costs: dict[EfficiencyLevel, FleetCost | None] = {}
        for level in levels:
            est = estimate(
                wp,
                gpu,
                efficiency=level,
                tpot_ms_target=assumptions.tpot_ms_target,
                ttft_ms_target=assumptions.ttft_ms_target,
                mtp_acceptance=assumptions.mtp_acceptance,
                measured_prefill_tokens_per_s_per_gpu=option.measured_prefill_tokens_per_s_per_gpu,
                measured_decode_tokens_per_s_per_gpu=option.measured_decode_tokens_per_s_per_gpu,
                memory=mem,
            )
            estimates[level] = est
            if not est.feasible or price_reason:
                costs[level] = None
                continue
            pf = est.prefill_gpu_s_per_request if np.ndim(h) else est.prefill_gpu_s_per_request[0]
            costs[level] = option_fleet_cost(est, requests, pf, option, workload, assumptions, price)
        return estimates, costs

    # The smallest deployment of each attention layout; of those that fit, the one that costs less for
    # this workload at the scenario's efficiency level (the smallest is not always the cheapest: TP
    # replicates the latent KV, so a larger DP deployment can serve more tokens per GPU).
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
    candidates = [run(m) for m in fitting] or [run(plan(option.attention_layout))]

    def monthly(
        c: tuple[dict[EfficiencyLevel, ServingEstimate], dict[EfficiencyLevel, FleetCost | None]],
    ) -> float:
        cost = c[1].get(assumptions.efficiency)
        return float(np.mean(cost.monthly_cost_usd)) if cost is not None else math.inf

    # the layout reported (TTFT, TPOT, batch, GPUs) is the cheaper at the workload's own point; the costs are
    # the cheaper layout at every sweep point, so curves, break-even and the table agree wherever evaluated
    estimates, _ = min(candidates, key=monthly)
    costs: dict[EfficiencyLevel, FleetCost | None] = {}
    alternatives: dict[EfficiencyLevel, tuple[ServingEstimate, ...]] = {}
    for level in levels:
        costs[level] = functools.reduce(cheaper_fleet, (c[1].get(level) for c in candidates))
        alternatives[level] = tuple(c[0][level] for c in candidates if c[1].get(level) is not None)
    base = estimates.get(assumptions.efficiency) or (estimates[levels[0]] if levels else None)
    reason = price_reason or (base.reason if base is not None and not base.feasible else "")
    return OptionEvaluation(estimates, costs, price, rid, rsrc, rdate, reason, alternatives)


def option_label(option: SelfHostOption) -> str:
    """The ``option`` column: ``self-host model @ gpu (precision, mode[, disaggregated])``."""
    extra = ", disaggregated" if option.disaggregated else ""
    size = f"{option.gpus}× " if option.gpus else ""
    return f"self-host {option.model} @ {size}{option.gpu} ({option.precision}, {option.mode}{extra})"
