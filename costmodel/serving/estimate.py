"""One deployment at one efficiency level: memory plan, decode batch under the TPOT target, throughput per
phase, TPOT and TTFT."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from costmodel.catalog.schema import Gpu
from costmodel.catalog.units import FloatArray
from costmodel.serving.efficiency import EFFICIENCY_BY_CLASS, DeploymentClass, Efficiency, EfficiencyLevel
from costmodel.serving.memory import (
    DEFAULT_ENGRAM_PLACEMENT,
    MAX_BATCH_PER_GPU,
    EngramPlacement,
    MemoryPlan,
    _missing,
    memory_plan,
)
from costmodel.serving.roofline import (
    DEFAULT_TPOT_MS,
    Workpoint,
    _links,
    _rate_flops,
    decode_step_times,
    prefill_times,
)
from costmodel.serving.weights import ModelProfile
from costmodel.workload.scenario import LayoutChoice

# ---- one deployment: memory plan + throughput + latency ----------------------------------------------------


@dataclass(frozen=True)
class ServingEstimate:
    """Memory plan, throughput and latency of one deployment at one efficiency level.

    Attributes:
        memory: the memory plan.
        efficiency: the factors used.
        max_batch_per_gpu: decode batch per GPU (sequences per GPU; under attention TP the group's
            sequences / ``tp_size``, possibly fractional): fits memory and meets the TPOT target.
        max_batch: concurrent sequences of the whole deployment at that batch.
        decode_tokens_per_s_per_gpu: output tokens per second per GPU at that batch.
        tpot_ms: time per output token at that batch, ms.
        decode_bound: compute | memory | network at that batch.
        prefill_tokens_per_s_per_gpu: prompt tokens (cached included) per second per GPU, for each cached
            length of the work point.
        prefill_gpu_s_per_request: GPU-seconds to prefill one prompt, for each cached length.
        ttft_ms: prefill of one prompt on one GPU + one decode step, ms (no queueing), per cached length.
        prefill_bound: compute | memory | network (first cached length).
        feasible: fits, the hardware fields are known and the TPOT target is met.
        reason: why not ("" when feasible).
        hardware_fields: catalogue fields of the GPU used by the estimate.
        unconfirmed_fields: of those, the ones the catalogue marks unconfirmed.
        measured: "prefill", "decode" or both when measured rates replaced the model.
        decode_tokens_per_s_by_cached: the decode rate for each cached length (aggregated serving: the batch
            meeting the TPOT target depends on each cached length's prefill share; the scalar fields are the
            first cached length's).
        tpot_ms_by_cached: TPOT for each cached length, ms.
        batch_per_gpu_by_cached: decode batch per GPU for each cached length.
        tpot_missed_by_cached: the TPOT target is missed even at batch 1 at that cached length.
        tpot_target_ms: the TPOT target the batch was chosen for (None: memory only).
    """

    memory: MemoryPlan
    efficiency: Efficiency
    max_batch_per_gpu: float
    max_batch: int
    decode_tokens_per_s_per_gpu: float
    tpot_ms: float
    decode_bound: str
    prefill_tokens_per_s_per_gpu: FloatArray
    prefill_gpu_s_per_request: FloatArray
    ttft_ms: FloatArray
    prefill_bound: str
    feasible: bool
    reason: str
    hardware_fields: tuple[str, ...]
    unconfirmed_fields: tuple[str, ...]
    measured: tuple[str, ...] = ()
    decode_tokens_per_s_by_cached: FloatArray = field(default_factory=lambda: np.empty(0))
    tpot_ms_by_cached: FloatArray = field(default_factory=lambda: np.empty(0))
    batch_per_gpu_by_cached: FloatArray = field(default_factory=lambda: np.empty(0))
    tpot_missed_by_cached: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    tpot_target_ms: float | None = None


def _hardware_fields(profile: ModelProfile, gpu: Gpu, gpus: int) -> list[str]:
    used = ["hbm_gb", "hbm_tb_per_s"]
    for p, f in profile.linear_flops_by_precision.items():
        if f > 0:
            used.append(_rate_flops(gpu, p, profile.fp4_compute)[1])
    used.append(_rate_flops(gpu, "bf16")[1])
    used += _links(gpu, gpus)[2]
    return list(dict.fromkeys(used))


def _infeasible(
    memory: MemoryPlan, eff: Efficiency, reason: str, n: int, fields: Sequence[str] = ()
) -> ServingEstimate:
    nan = np.full(n, math.nan)
    return ServingEstimate(
        memory, eff, 0, 0, math.nan, math.nan, "", nan, nan, nan, "", False, reason, tuple(fields), (), (),
        nan, nan, np.zeros(n), np.zeros(n, bool),
    )  # fmt: skip


def ttft_reason(ttft_ms: FloatArray, ttft_ms_target: float | None) -> str:
    """Why the slowest of ``ttft_ms`` (ms, one per cached length) misses ``ttft_ms_target`` ("" if it does not)."""
    if ttft_ms_target is None or float(ttft_ms.max()) <= ttft_ms_target:
        return ""
    return f"TTFT target {ttft_ms_target:g} ms missed ({float(ttft_ms.max()):,.0f} ms)"


def at_cached_lengths(est: ServingEstimate, index: slice, ttft_ms_target: float | None) -> ServingEstimate:
    """``est`` restricted to some of its cached lengths, with the TTFT target checked on those only.

    An estimate is computed once over every cached length a comparison needs (the workload's, and a cache-hit
    grid); each use reads its own slice, and is feasible when its own TTFTs meet the target.
    """
    sub = replace(
        est,
        prefill_tokens_per_s_per_gpu=est.prefill_tokens_per_s_per_gpu[index],
        prefill_gpu_s_per_request=est.prefill_gpu_s_per_request[index],
        ttft_ms=est.ttft_ms[index],
        decode_tokens_per_s_by_cached=est.decode_tokens_per_s_by_cached[index],
        tpot_ms_by_cached=est.tpot_ms_by_cached[index],
        batch_per_gpu_by_cached=est.batch_per_gpu_by_cached[index],
    )
    if sub.decode_tokens_per_s_by_cached.size and est.feasible:  # the slice's first cached length
        b = float(sub.batch_per_gpu_by_cached[0])
        sub = replace(
            sub,
            decode_tokens_per_s_per_gpu=float(sub.decode_tokens_per_s_by_cached[0]),
            tpot_ms=float(sub.tpot_ms_by_cached[0]),
            max_batch_per_gpu=b,
            max_batch=round(b * est.memory.gpus),
        )
    reason = ""
    if est.feasible:
        missed = est.tpot_missed_by_cached[index]
        if missed.any():
            worst = float(np.max(sub.tpot_ms_by_cached[missed]))
            reason = f"TPOT target {est.tpot_target_ms:g} ms missed even at batch 1 ({worst:,.1f} ms)"
        reason = reason or ttft_reason(sub.ttft_ms, ttft_ms_target)
    return replace(sub, feasible=False, reason=reason) if reason else sub


def workpoint_plan(
    wp: Workpoint,
    gpu: Gpu,
    *,
    gpus: int | None = None,
    layout: LayoutChoice = "auto",
    engram_placement: EngramPlacement = DEFAULT_ENGRAM_PLACEMENT,
) -> MemoryPlan:
    """:func:`~costmodel.serving.memory.memory_plan` of a work point: its profile and its KV bytes per sequence
    (at the mean context, and at the longest request)."""
    return memory_plan(
        wp.profile,
        gpu,
        kv_bytes_per_seq=wp.kv_bytes_per_seq,
        kv_bytes_max_seq=wp.kv_bytes_max_seq,
        gpus=gpus,
        layout=layout,
        engram_placement=engram_placement,
    )


def prefill_pool_plan(wp: Workpoint, gpu: Gpu, gpus: int, decode: MemoryPlan) -> MemoryPlan:
    """The plan of a stated disaggregated split's prefill pool of ``gpus`` GPUs: the decode pool's attention
    layout if the weights and a prompt's KV fit there, else the other one; when neither fits, the first plan tried
    with a reason that names the pool."""
    tried = [
        workpoint_plan(wp, gpu, gpus=gpus, layout=x)
        for x in dict.fromkeys((decode.attention_layout, "dp", "tp"))
    ]
    fitting = next((p for p in tried if p.fits), None)
    if fitting is not None:
        return fitting
    why = f"the prefill pool of {gpus:,} GPU{'s' * (gpus > 1)} holds the model in neither attention layout"
    return replace(tried[0], reason=f"{why} ({tried[0].reason})")


def with_prefill_of(decode: ServingEstimate, prefill: ServingEstimate) -> ServingEstimate:
    """A disaggregated split's estimate: ``decode``'s (the decode pool's plan, batch and rate) with the prefill
    rates of ``prefill`` (the same work point on the prefill pool's plan), and a TTFT of the prefill pool's prompt
    time plus the decode pool's first step (``ttft = prefill GPU-s / tp + one decode step``, as :func:`estimate`)."""
    first_step_ms = decode.ttft_ms - decode.prefill_gpu_s_per_request / decode.memory.tp_size * 1e3
    ttft_ms = prefill.prefill_gpu_s_per_request / prefill.memory.tp_size * 1e3 + first_step_ms
    reason = decode.reason or prefill.reason  # ``prefill`` is estimated without a TPOT target
    return replace(
        decode,
        prefill_tokens_per_s_per_gpu=prefill.prefill_tokens_per_s_per_gpu,
        prefill_gpu_s_per_request=prefill.prefill_gpu_s_per_request,
        ttft_ms=ttft_ms,
        prefill_bound=prefill.prefill_bound,
        feasible=not reason,
        reason=reason,
        hardware_fields=tuple(dict.fromkeys(decode.hardware_fields + prefill.hardware_fields)),
        unconfirmed_fields=tuple(dict.fromkeys(decode.unconfirmed_fields + prefill.unconfirmed_fields)),
    )


def estimate(
    wp: Workpoint,
    gpu: Gpu,
    *,
    gpus: int | None = None,
    efficiency: EfficiencyLevel | Efficiency = "base",
    tpot_ms_target: float | None = DEFAULT_TPOT_MS,
    ttft_ms_target: float | None = None,
    mtp_acceptance: float = 0.7,
    mtp_draft_tokens: int = 1,
    decode_batch_per_gpu: int | None = None,
    measured_prefill_tokens_per_s_per_gpu: float | None = None,
    measured_decode_tokens_per_s_per_gpu: float | None = None,
    memory: MemoryPlan | None = None,
    layout: LayoutChoice = "auto",
    deployment: DeploymentClass = "aggregated",
) -> ServingEstimate:
    """Serve ``wp`` on ``gpu``: memory plan, decode batch, throughput per phase, TPOT and TTFT.

    Args:
        wp: operating point from :func:`workpoint`.
        gpu: GPU type.
        gpus: fixed deployment size (None = the smallest that fits).
        efficiency: a level of :data:`EFFICIENCY` or explicit factors.
        tpot_ms_target: TPOT cap on the decode batch, ms (None = memory only).
        ttft_ms_target: TTFT target, ms (None = none); missing it makes the estimate infeasible.
        mtp_acceptance: acceptance rate ``A`` of the MTP draft tokens when ``wp`` is speculative (the share of
            drafted tokens accepted).
        mtp_draft_tokens: draft tokens per step ``K`` when ``wp`` is speculative: each step verifies ``1 + K``
            tokens per sequence and emits ``1 + A·K`` on average, so per-user speed and throughput gain
            ``1 + A·K`` over a step that costs the ``K`` extra tokens' compute.
        decode_batch_per_gpu: evaluate decode at this batch instead of searching (calibration).
        measured_prefill_tokens_per_s_per_gpu: measured uncached prompt tokens/s per GPU (replaces the model).
        measured_decode_tokens_per_s_per_gpu: measured output tokens/s per GPU (replaces the model).
        memory: a memory plan already computed for this work point and GPU (skips the search).
        layout: attention layout for the memory plan when ``memory`` is None (``auto`` = the smallest).
        deployment: ``aggregated`` (prefill chunks share the decode steps: the TPOT a user sees includes each
            step's share of prefill, ``b (1 + a) t_p / OSL``, so the batch meeting a TPOT target is smaller) or
            ``disaggregated`` (separate pools: TPOT is the decode step); also picks the class's efficiency
            factors when ``efficiency`` is a level name (the same for both modes: the mode changes only the
            prefill sharing).

    Returns:
        A :class:`ServingEstimate`; infeasible ones carry the reason (e.g. a hardware field unknown).
    """
    eff = EFFICIENCY_BY_CLASS[deployment][efficiency] if isinstance(efficiency, str) else efficiency
    n_cached = wp.cached_tokens.size
    if memory is None:
        memory = workpoint_plan(wp, gpu, gpus=gpus, layout=layout)
    if not memory.fits:
        return _infeasible(memory, eff, memory.reason, n_cached)
    n = memory.gpus
    try:
        fields = _hardware_fields(wp.profile, gpu, n)
    except ValueError as e:
        return _infeasible(memory, eff, str(e), n_cached)
    if gpu.hbm_tb_per_s is None:
        return _infeasible(memory, eff, _missing(gpu, "hbm_tb_per_s"), n_cached, fields)
    unconfirmed = tuple(f for f in fields if f in gpu.unconfirmed_fields)
    accept = mtp_acceptance * mtp_draft_tokens if wp.profile.speculative else 0.0  # A·K extra tokens per step
    reason = ""
    tp = memory.tp_size
    # prefill (GPU-seconds per prompt, per cached length)
    pt = prefill_times(wp, gpu, n, eff, tp)
    prefill_s = pt.total_s
    measured: list[str] = []
    if measured_prefill_tokens_per_s_per_gpu is not None:
        prefill_s = (wp.prompt_tokens - wp.cached_tokens) / measured_prefill_tokens_per_s_per_gpu
        measured.append("prefill")
    # decode: largest batch meeting memory and TPOT (searched over the sequences of one attention group)
    limit = min(memory.max_seqs_per_gpu, MAX_BATCH_PER_GPU)
    if decode_batch_per_gpu is not None:
        batches = np.array([float(decode_batch_per_gpu)])
    else:
        batches = np.arange(1, limit + 1, dtype=np.float64) / tp
    st = decode_step_times(wp, gpu, n, batches, eff, tp, draft_tokens=mtp_draft_tokens)
    # per cached length j the step a user waits for is the decode step plus, when aggregated, the prefill of
    # the requests that replace the finished ones, b (1 + a) / OSL of them: step_ij = T_i + b_i · k_j
    k = np.zeros(prefill_s.size)
    if deployment == "aggregated" and wp.output_tokens > 0:
        k = (1.0 + accept) / wp.output_tokens * np.asarray(prefill_s, dtype=np.float64)
    searched = decode_batch_per_gpu is None
    nb = batches.size
    if not searched or tpot_ms_target is None:
        idx = np.full(prefill_s.size, 0 if not searched else nb - 1)
        missed: npt.NDArray[np.bool_] = np.zeros(prefill_s.size, dtype=bool)
    else:
        # the step grows with the batch: per j, binary search for the largest batch meeting the target
        limit_s = tpot_ms_target / 1e3 * (1.0 + accept)

        def fits(i: npt.NDArray[np.int_]) -> npt.NDArray[np.bool_]:
            out: npt.NDArray[np.bool_] = st.total_s[i] + batches[i] * k <= limit_s
            return out

        missed = ~fits(np.zeros(prefill_s.size, dtype=int))
        # batch 1 fits (or the target is missed there: batch 1 is reported); find the last fitting index
        lo, hi = np.zeros(prefill_s.size, dtype=int), np.full(prefill_s.size, nb - 1)
        while np.any(hi > lo):
            mid = (lo + hi + 1) // 2
            ok = fits(mid)
            lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid - 1)
        idx = lo
    b_by = batches[idx]
    rate_by = b_by * (1.0 + accept) / st.total_s[idx]
    tpot_by = (st.total_s[idx] + b_by * k) / (1.0 + accept) * 1e3
    if missed[0]:
        reason = f"TPOT target {tpot_ms_target:g} ms missed even at batch 1 ({tpot_by[0]:,.1f} ms)"
    i = int(idx[0])
    b = float(batches[i])
    decode_rate = float(rate_by[0])
    if measured_decode_tokens_per_s_per_gpu is not None:
        decode_rate = measured_decode_tokens_per_s_per_gpu
        rate_by = np.full_like(rate_by, decode_rate)
        measured.append("decode")
    with np.errstate(divide="ignore"):
        prefill_rate = np.where(
            prefill_s > 0, wp.prompt_tokens / np.where(prefill_s > 0, prefill_s, 1.0), np.inf
        )
    tpot_ms = float(tpot_by[0])
    ttft_ms = prefill_s / tp * 1e3 + st.total_s[idx] * 1e3  # a TP group spreads the prompt
    reason = reason or ttft_reason(ttft_ms, ttft_ms_target)
    return ServingEstimate(
        memory=memory,
        efficiency=eff,
        max_batch_per_gpu=b,
        max_batch=round(b * n),
        decode_tokens_per_s_per_gpu=decode_rate,
        tpot_ms=tpot_ms,
        decode_bound=st.bound(i),
        prefill_tokens_per_s_per_gpu=prefill_rate,
        prefill_gpu_s_per_request=np.asarray(prefill_s, dtype=np.float64),
        ttft_ms=np.asarray(ttft_ms, dtype=np.float64),
        prefill_bound=pt.bound(0),
        feasible=not reason,
        reason=reason,
        hardware_fields=tuple(fields),
        unconfirmed_fields=unconfirmed,
        measured=tuple(measured),
        decode_tokens_per_s_by_cached=np.asarray(rate_by, dtype=np.float64),
        tpot_ms_by_cached=np.asarray(tpot_by, dtype=np.float64),
        batch_per_gpu_by_cached=np.asarray(b_by, dtype=np.float64),
        tpot_missed_by_cached=missed,
        tpot_target_ms=tpot_ms_target,
    )
