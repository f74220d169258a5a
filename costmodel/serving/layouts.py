"""The serving estimates of a self-hosting option per attention layout and efficiency level, cached by request
shape (not by volume or traffic profile), and the coarsening of long prompt-length histograms: what
:func:`costmodel.serving.option.evaluate_option` costs fleets from."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from costmodel.catalog.budget import MB
from costmodel.catalog.memo import by_row_identity
from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import FloatArray
from costmodel.serving.efficiency import EfficiencyLevel
from costmodel.serving.estimate import (
    ServingEstimate,
    at_cached_lengths,
    estimate,
    prefill_pool_plan,
    with_prefill_of,
    workpoint_plan,
)
from costmodel.serving.memory import MemoryPlan
from costmodel.serving.roofline import Workpoint, workpoint, workpoints
from costmodel.workload.scenario import (
    LayoutChoice,
    PromptBucket,
    SelfHostOption,
    ServingAssumptions,
    Workload,
)

#: Most prompt-length buckets (over every class) estimated one by one for self-hosting: beyond, each class's
#: histogram is merged into fewer buckets (:func:`coarsen`), so that a large mix stays well under a second.
MAX_COSTED_BUCKETS = 32


def coarsen(histogram: tuple[PromptBucket, ...], k: int) -> tuple[PromptBucket, ...]:
    """``histogram`` merged into at most ``k`` buckets of adjacent lengths and about equal shares of the requests;
    each merged bucket has the summed share and the share-weighted mean prompt (the mean is kept)."""
    ordered = sorted(histogram, key=lambda b: b.prompt_tokens)
    if len(ordered) <= k:
        return tuple(ordered)
    groups: list[list[PromptBucket]] = [[] for _ in range(k)]
    acc = 0.0
    for b in ordered:
        groups[min(k - 1, int((acc + b.share / 2.0) * k))].append(b)  # by the bucket's middle quantile
        acc += b.share
    out = []
    for g in groups:
        if g:
            share = sum(b.share for b in g)
            mean = sum(b.share * b.prompt_tokens for b in g) / share
            out.append(
                PromptBucket(share=min(1.0, share), prompt_tokens=mean)
            )  # a sum of shares may round above 1
    return tuple(out)


#: The workload fields that only scale or place the traffic (requests per day, hourly profiles, weekend weight,
#: time zone, days per month): set to constants in the shapes given to :func:`layout_estimates`, which do not
#: depend on them (the fleet costing reads them from the workloads themselves).
VOLUME_FREE: dict[str, object] = {
    "requests_per_day": 1.0,
    "hourly_profile_weekday": (1.0,) * 24,
    "hourly_profile_weekend": (1.0,) * 24,
    "weekend_day_weight": 1.0,
    "timezone": "UTC",
    "days_per_month": 30.0,
}

#: Per efficiency level: the mean request's estimate at its own cached share, over the cache-hit grid (None: no
#: grid), and per class its (prefill, decode) GPU-seconds per request over [own cached share, grid...] and the TTFT
#: of its p99 prompt (ms, at its own cached share).
LayoutEstimates = dict[
    EfficiencyLevel,
    tuple[ServingEstimate, "ServingEstimate | None", tuple[tuple[FloatArray, FloatArray, float], ...]],
]


@by_row_identity(maxsize=256, max_bytes=32 * MB)
def layout_estimates(
    catalogue: Catalogue,
    option: SelfHostOption,
    shapes: tuple[tuple[float, Workload], ...],
    longest_seq: float,
    assumptions: ServingAssumptions,
    grid_bytes: bytes,
    levels: tuple[EfficiencyLevel, ...],
) -> tuple[LayoutEstimates, ...]:
    """The serving estimates of each attention layout costed (those that fit, or the option's own when none does),
    per level, and each class's GPU-seconds per request: what :func:`evaluate_option` costs fleets from.

    They depend on the requests' shapes and the classes' shares of the requests, not on how many requests come or
    when (``shapes``: ``(share, workload)`` per class, the :data:`VOLUME_FREE` fields set to constants). One
    memory plan per layout for every class (``longest_seq`` tokens, the longest class's p99 request, fit; the batch
    from the mean KV);
    the mean request's estimate is the one reported; each class's prompt-length buckets are estimated at their
    own prompt and context on that plan and weighted by their shares (one class of one bucket: the mean's).
    Cached per catalogue, option, shapes, longest sequence, assumptions, cache-hit grid and levels, so that a volume
    or profile edit, and the Monte Carlo's re-evaluations at the same shape, reuse them (results are only read).
    """
    model = catalogue.model(option.model)
    gpu = catalogue.gpu(option.gpu)
    grid = np.frombuffer(grid_bytes, dtype=np.float64)
    if len(shapes) == 1:
        w0 = shapes[0][1]
        prompt: float = w0.prompt_tokens
        out_mean, hit = w0.billed_output_tokens, w0.cache_hit_fraction
    else:  # the mean request of the mix (memory plan's batch, reported estimate)
        prompt = sum(s * w.prompt_tokens for s, w in shapes)
        out_mean = sum(s * w.billed_output_tokens for s, w in shapes)
        hit = sum(s * w.cache_hit_fraction * w.prompt_tokens for s, w in shapes) / prompt
    hits = np.concatenate([[hit], grid])

    def point(p: float, out: float, cached: FloatArray, max_tokens: float) -> Workpoint:
        return workpoint(
            model,
            option.precision,
            context_tokens=p + out / 2.0,
            prompt_tokens=p,
            cached_tokens=cached,
            max_tokens=max_tokens,
            speculative=assumptions.speculative_decoding,
            kv_dtype=assumptions.kv_dtype,
        )

    wp = point(prompt, out_mean, hits * prompt, longest_seq)
    # each class's buckets: (share, work point); None = the mean work point (one class of one bucket)
    buckets: list[tuple[float, list[tuple[float, Workpoint | None]]]] = []
    for _, w in shapes:
        if len(shapes) == 1 and len(w.prompt_buckets) == 1:
            buckets.append((w.billed_output_tokens, [(1.0, None)]))
            continue
        out_c = w.billed_output_tokens
        pts = workpoints(
            model,
            option.precision,
            prompt_tokens=[p_b for _, p_b in w.prompt_buckets],
            output_tokens=out_c,
            cache_hit_fractions=np.concatenate([[w.cache_hit_fraction], grid]),
            speculative=assumptions.speculative_decoding,
            kv_dtype=assumptions.kv_dtype,
        )
        buckets.append((out_c, [(b, at) for (b, _), at in zip(w.prompt_buckets, pts, strict=True)]))
    # each class's p99 bucket (its TTFT is reported per class): the first, in order of length, where the
    # cumulative share reaches 0.99
    p99_point: dict[int, Workpoint | None] = {}
    for _, points in buckets:
        acc = 0.0
        for b_share, at in sorted(points, key=lambda x: x[1].prompt_tokens if x[1] is not None else 0.0):
            acc += b_share
            if acc >= 0.99 - 1e-9:
                p99_point[id(points)] = at
                break
    ttft = assumptions.ttft_ms_target

    def run(mem: MemoryPlan, prefill_mem: MemoryPlan | None = None) -> LayoutEstimates:
        out: LayoutEstimates = {}
        for level in levels:

            def on(
                at: Workpoint, memory: MemoryPlan, tpot: float | None, level: EfficiencyLevel = level
            ) -> ServingEstimate:
                return estimate(
                    at,
                    gpu,
                    efficiency=level,
                    tpot_ms_target=tpot,
                    ttft_ms_target=None,  # checked below, on each use's own cached lengths
                    mtp_acceptance=assumptions.mtp_acceptance,
                    mtp_draft_tokens=assumptions.mtp_draft_tokens,
                    measured_prefill_tokens_per_s_per_gpu=option.measured_prefill_tokens_per_s_per_gpu,
                    measured_decode_tokens_per_s_per_gpu=option.measured_decode_tokens_per_s_per_gpu,
                    memory=memory,
                    deployment="disaggregated" if option.disaggregated else "aggregated",
                )

            def est_of(at: Workpoint) -> ServingEstimate:
                decode = on(at, mem, assumptions.tpot_ms_target)
                if prefill_mem is None:
                    return decode
                return with_prefill_of(decode, on(at, prefill_mem, None))  # the prefill pool's own plan

            every = est_of(wp)
            on_grid = at_cached_lengths(every, slice(1, None), ttft) if grid.size else None
            # GPU-seconds per request of each class over [own cache-hit, grid...]: Σ_b share_b × GPU-s(prompt_b)
            per_class: list[tuple[FloatArray, FloatArray, float]] = []
            for out_tok, points in buckets:
                pf_sum: FloatArray | None = None
                dc_sum: FloatArray | None = None
                ttft_p99 = math.nan
                for b_share, at in points:
                    e = every if at is None else est_of(at)
                    if at is None or at is p99_point.get(id(points)):
                        ttft_p99 = float(e.ttft_ms[0])
                    pf_b = e.prefill_gpu_s_per_request
                    dc_b = out_tok / e.decode_tokens_per_s_by_cached
                    if at is None:
                        pf_sum, dc_sum = pf_b, dc_b
                    else:
                        pf_sum = b_share * pf_b if pf_sum is None else pf_sum + b_share * pf_b
                        dc_sum = b_share * dc_b if dc_sum is None else dc_sum + b_share * dc_b
                assert pf_sum is not None and dc_sum is not None
                per_class.append((pf_sum, dc_sum, ttft_p99))
            out[level] = (at_cached_lengths(every, slice(0, 1), ttft), on_grid, tuple(per_class))
        return out

    # The smallest deployment of each attention layout; of those that fit, :func:`evaluate_option` keeps the one
    # that costs less for the workload at the scenario's efficiency level (the smallest is not always the
    # cheapest: TP replicates the latent KV, so a larger DP deployment can serve more tokens per GPU).
    # A stated split: the decode pool's plan is the deployment's (it holds the sequences); the prefill pool runs on
    # its own plan (the decode pool's attention layout if it fits there, else the other one), which must hold the
    # weights and at least one prompt's KV.
    def plan(layout: LayoutChoice) -> tuple[MemoryPlan, MemoryPlan | None]:
        decode = workpoint_plan(wp, gpu, gpus=option.pool_gpus, layout=layout)
        if option.prefill_gpus is None or not decode.fits:
            return decode, None
        prefill = prefill_pool_plan(wp, gpu, option.prefill_gpus, decode)
        return (
            (decode, prefill) if prefill.fits else (replace(decode, fits=False, reason=prefill.reason), None)
        )

    layouts: tuple[LayoutChoice, ...] = (
        ("dp", "tp") if option.attention_layout == "auto" else (option.attention_layout,)
    )
    # dict.fromkeys: a TP search that ends at one GPU (TP1) finds the DP plan again, costed once
    fitting = dict.fromkeys(m for m in map(plan, layouts) if m[0].fits)
    return tuple(run(*m) for m in fitting) or (run(*plan(option.attention_layout)),)
