"""One deployment at one efficiency level: memory plan, decode batch under the TPOT target, throughput per
phase, TPOT and TTFT."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from costmodel.catalog.schema import Gpu
from costmodel.scenario import LayoutChoice
from costmodel.serving.efficiency import EFFICIENCY_BY_CLASS, DeploymentClass, Efficiency, EfficiencyLevel
from costmodel.serving.memory import MAX_BATCH_PER_GPU, MemoryPlan, _missing, memory_plan
from costmodel.serving.roofline import (
    DEFAULT_TPOT_MS,
    Workpoint,
    _links,
    _rate_flops,
    decode_step_times,
    prefill_times,
)
from costmodel.serving.weights import ModelProfile
from costmodel.units import FloatArray

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


def _hardware_fields(profile: ModelProfile, gpu: Gpu, gpus: int) -> list[str]:
    used = ["hbm_gb", "hbm_tb_per_s"]
    for p, f in profile.linear_flops_by_precision.items():
        if f > 0:
            used.append(_rate_flops(gpu, p)[1])
    used.append(_rate_flops(gpu, "bf16")[1])
    used += _links(gpu, gpus)[2]
    return list(dict.fromkeys(used))


def _infeasible(
    memory: MemoryPlan, eff: Efficiency, reason: str, n: int, fields: Sequence[str] = ()
) -> ServingEstimate:
    nan = np.full(n, math.nan)
    return ServingEstimate(
        memory, eff, 0, 0, math.nan, math.nan, "", nan, nan, nan, "", False, reason, tuple(fields), ()
    )


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
    )
    reason = ttft_reason(sub.ttft_ms, ttft_ms_target) if est.feasible else ""
    return replace(sub, feasible=False, reason=reason) if reason else sub


def estimate(
    wp: Workpoint,
    gpu: Gpu,
    *,
    gpus: int | None = None,
    efficiency: EfficiencyLevel | Efficiency = "base",
    tpot_ms_target: float | None = DEFAULT_TPOT_MS,
    ttft_ms_target: float | None = None,
    mtp_acceptance: float = 0.7,
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
        mtp_acceptance: acceptance rate of the MTP draft token when ``wp`` is speculative.
        decode_batch_per_gpu: evaluate decode at this batch instead of searching (calibration).
        measured_prefill_tokens_per_s_per_gpu: measured uncached prompt tokens/s per GPU (replaces the model).
        measured_decode_tokens_per_s_per_gpu: measured output tokens/s per GPU (replaces the model).
        memory: a memory plan already computed for this work point and GPU (skips the search).
        layout: attention layout for the memory plan when ``memory`` is None (``auto`` = the smallest).
        deployment: ``aggregated`` (prefill chunks share the decode steps: the TPOT a user sees includes each
            step's share of prefill, ``b (1 + a) t_p / OSL``, so the batch meeting a TPOT target is smaller) or
            ``disaggregated`` (separate pools: TPOT is the decode step); also picks the class's efficiency
            factors when ``efficiency`` is a level name.

    Returns:
        A :class:`ServingEstimate`; infeasible ones carry the reason (e.g. a hardware field unknown).
    """
    eff = EFFICIENCY_BY_CLASS[deployment][efficiency] if isinstance(efficiency, str) else efficiency
    n_cached = wp.cached_tokens.size
    if memory is None:
        memory = memory_plan(
            wp.profile,
            gpu,
            kv_bytes_per_seq=wp.kv_bytes_per_seq,
            kv_bytes_max_seq=wp.kv_bytes_max_seq,
            gpus=gpus,
            layout=layout,
        )
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
    accept = mtp_acceptance if wp.profile.speculative else 0.0
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
    st = decode_step_times(wp, gpu, n, batches, eff, tp)
    step_s = st.total_s
    if deployment == "aggregated" and wp.output_tokens > 0:
        # each step also prefills the requests that replace the finished ones: b (1 + a) / OSL of them
        step_s = step_s + batches * (1.0 + accept) / wp.output_tokens * float(prefill_s[0])
    tpot_s = step_s / (1.0 + accept)
    ok = np.ones_like(batches, dtype=bool) if tpot_ms_target is None else tpot_s * 1e3 <= tpot_ms_target
    if decode_batch_per_gpu is not None or ok.any():
        i = int(np.flatnonzero(ok)[-1]) if decode_batch_per_gpu is None else 0
    else:
        i = 0
        reason = f"TPOT target {tpot_ms_target:g} ms missed even at batch 1 ({tpot_s[0] * 1e3:,.1f} ms)"
    b = float(batches[i])
    decode_rate = b * (1.0 + accept) / float(st.total_s[i])
    if measured_decode_tokens_per_s_per_gpu is not None:
        decode_rate = measured_decode_tokens_per_s_per_gpu
        measured.append("decode")
    with np.errstate(divide="ignore"):
        prefill_rate = np.where(
            prefill_s > 0, wp.prompt_tokens / np.where(prefill_s > 0, prefill_s, 1.0), np.inf
        )
    tpot_ms = float(tpot_s[i]) * 1e3
    ttft_ms = prefill_s / tp * 1e3 + float(st.total_s[i]) * 1e3  # a TP group spreads the prompt
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
    )
