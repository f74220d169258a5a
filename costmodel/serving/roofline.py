"""Step times per phase: a roofline of compute, HBM and interconnect (expert all-to-all, attention-TP
all-reduce) at one work point (formulas in :mod:`costmodel.serving`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from costmodel.attention import (
    attention_flops_per_token,
    attention_index_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.attention.common import KvDtype
from costmodel.attention.compute import expected_distinct_experts
from costmodel.catalog.fields import Precision
from costmodel.catalog.schema import Gpu, Model
from costmodel.catalog.units import FloatArray
from costmodel.serving.efficiency import Efficiency
from costmodel.serving.memory import _missing, kv_shards, weights_bytes_per_gpu
from costmodel.serving.weights import ModelProfile, model_profile
from costmodel.workload.scenario import Fp4Compute, PrecisionPlan

#: Tokens per GPU per prefill forward pass (chunked prefill): weights are re-read once per chunk.
PREFILL_CHUNK_TOKENS = 8192
#: Default time-per-output-token target, ms (20 tokens/s per user).
DEFAULT_TPOT_MS = 50.0
#: All-to-all bytes per hidden element per destination: FP8 dispatch (+ a float32 scale per 128) and BF16 combine.
A2A_BYTES_PER_HIDDEN = 1.0 + 4.0 / 128 + 2.0
#: Bytes per activation element in the attention-TP all-reduce (BF16).
ALLREDUCE_BYTES_PER_HIDDEN = 2.0
#: All-reduces per layer under attention TP: after attention and after the MoE / dense FFN.
ALLREDUCES_PER_LAYER = 2
#: All-to-alls per MoE layer under attention DP: the dispatch of tokens to their experts and the combine back.
ALLTOALLS_PER_MOE_LAYER = 2


def _rate_flops(gpu: Gpu, precision: Precision, fp4_compute: Fp4Compute = "w4a8") -> tuple[float, str]:
    """Peak FLOP/s for weights stored in ``precision`` and the catalogue field it comes from (INT4 weight-only
    experts are dequantised to BF16 by the engines' W4A16 kernels: the BF16 rate; FP4 weights run at the FP8
    rate (W4A8), or at the FP4 rate under ``fp4_compute="w4a4"``, which needs the GPU's ``fp4_tflops``)."""
    if precision == "fp4" and fp4_compute == "w4a4":
        if gpu.fp4_tflops is None:
            raise ValueError(
                f"cannot estimate: FP4 compute W4A4 needs an FP4 tensor rate, and GPU {gpu.id!r} has no fp4_tflops"
            )
        return gpu.fp4_tflops * 1e12, "fp4_tflops"
    if precision in ("fp8", "fp4") and gpu.fp8_tflops is not None:
        return gpu.fp8_tflops * 1e12, "fp8_tflops"
    if gpu.bf16_tflops is not None:
        return gpu.bf16_tflops * 1e12, "bf16_tflops"
    if gpu.fp8_tflops is not None:  # no BF16 figure (e.g. Ascend 950): BF16 work runs at the FP8 rate
        return gpu.fp8_tflops * 1e12, "fp8_tflops"
    raise ValueError(_missing(gpu, "bf16_tflops"))


@dataclass(frozen=True)
class Workpoint:
    """Per-token quantities of one model at one operating point (computed once, reused per GPU).

    Attributes:
        profile: weights and linear FLOPs.
        context_tokens: mean KV length during decode, tokens.
        prompt_tokens: prompt length, tokens.
        cached_tokens: cached prefix of the prompt (prefill compute skipped), tokens (may be an array).
        kv_bytes_per_seq: KV cache of one sequence at the mean context, bytes.
        kv_bytes_max_seq: KV cache of one sequence at prompt + output tokens, bytes.
        kv_read_bytes_per_token: KV (and indexer keys) read to decode one token at the mean context, bytes.
        attention_flops_per_token: attention FLOPs to decode one token at the mean context.
        prefill_attention_flops: attention FLOPs of the uncached prompt positions (array over cached_tokens).
        prefill_kv_write_bytes: KV written by the uncached prompt positions, bytes (array).
        attention_index_flops_per_token: the lightning indexer's share of ``attention_flops_per_token``.
        prefill_index_flops: the indexer's share of ``prefill_attention_flops`` (array).
        output_tokens: output tokens per request (``max_tokens`` − prompt; 0 when not given).
    """

    profile: ModelProfile
    context_tokens: float
    prompt_tokens: float
    cached_tokens: FloatArray
    kv_bytes_per_seq: float
    kv_bytes_max_seq: float
    kv_read_bytes_per_token: float
    attention_flops_per_token: float
    prefill_attention_flops: FloatArray
    prefill_kv_write_bytes: FloatArray
    attention_index_flops_per_token: float = 0.0
    prefill_index_flops: FloatArray | float = 0.0
    output_tokens: float = 0.0


def workpoint(
    model: Model,
    plan: PrecisionPlan = "native",
    *,
    context_tokens: float,
    prompt_tokens: float,
    cached_tokens: float | Sequence[float] | FloatArray = 0.0,
    max_tokens: float | None = None,
    speculative: bool = False,
    kv_dtype: KvDtype = "deployed",
    fp4_compute: Fp4Compute = "w4a8",
) -> Workpoint:
    """Evaluate the attention/compute closed forms once for an operating point.

    Args:
        model: open-weights model.
        plan: precision plan.
        context_tokens: mean KV length during decode, tokens.
        prompt_tokens: prompt length, tokens.
        cached_tokens: cached prefix length(s), tokens; an array gives a vector of prefill costs.
        max_tokens: longest sequence (prompt + output), tokens (default: ``context_tokens``).
        speculative: MTP speculative decoding on.
        kv_dtype: KV cache layout.
        fp4_compute: FP4 weights' GEMMs as W4A8 (FP8 rate) or W4A4 (FP4 rate).
    """
    ctx = max(round(context_tokens), 1)
    prompt = max(round(prompt_tokens), 1)
    longest = max(round(max_tokens if max_tokens is not None else ctx), 1)
    cached: FloatArray = np.clip(
        np.round(np.atleast_1d(np.asarray(cached_tokens, dtype=np.float64))), 0, prompt
    ).astype(np.float64)
    kv_ctx, kv_max, kv_prompt = (float(x) for x in kv_cache_bytes(model, [ctx, longest, prompt], kv_dtype))
    kv_cached = np.where(cached > 0, kv_cache_bytes(model, np.maximum(cached, 1), kv_dtype), 0.0)
    attn_prefill = np.asarray(attention_prefill_flops(model, prompt, cached), dtype=np.float64)
    index_prefill = np.asarray(
        attention_prefill_flops(model, prompt, cached, part="indexer"), dtype=np.float64
    )
    return Workpoint(
        profile=model_profile(model, plan, speculative=speculative, fp4_compute=fp4_compute),
        context_tokens=float(ctx),
        prompt_tokens=float(prompt),
        cached_tokens=cached,
        kv_bytes_per_seq=kv_ctx,
        kv_bytes_max_seq=kv_max,
        kv_read_bytes_per_token=float(kv_read_bytes_per_token(model, ctx, kv_dtype)),
        attention_flops_per_token=float(attention_flops_per_token(model, ctx)),
        prefill_attention_flops=np.broadcast_to(attn_prefill, cached.shape).astype(np.float64),
        prefill_kv_write_bytes=np.maximum(kv_prompt - kv_cached, 0.0),
        attention_index_flops_per_token=float(attention_index_flops_per_token(model, ctx)),
        prefill_index_flops=np.broadcast_to(index_prefill, cached.shape).astype(np.float64),
        output_tokens=float(max(longest - prompt, 0)) if max_tokens is not None else 0.0,
    )


def workpoints(
    model: Model,
    plan: PrecisionPlan = "native",
    *,
    prompt_tokens: Sequence[float] | FloatArray,
    output_tokens: float,
    cache_hit_fractions: Sequence[float] | FloatArray,
    speculative: bool = False,
    kv_dtype: KvDtype = "deployed",
    fp4_compute: Fp4Compute = "w4a8",
) -> list[Workpoint]:
    """:func:`workpoint` of each of several prompt lengths, in one vectorised pass (a prompt-length histogram).

    Work point ``b``: ``prompt_tokens[b]`` tokens of prompt, ``output_tokens`` out (context ``prompt + output / 2``
    during decode, longest sequence ``prompt + output``), the prefix ``cache_hit_fractions × prompt`` cached (an
    array of cached lengths per work point, as ``workpoint``'s ``cached_tokens``). Same rounding as
    :func:`workpoint`: each element equals ``workpoint(model, plan, context_tokens=p + o / 2, prompt_tokens=p,
    cached_tokens=h * p, max_tokens=p + o, ...)``.
    """
    p_in = np.asarray(prompt_tokens, dtype=np.float64).reshape(-1)
    h = np.asarray(cache_hit_fractions, dtype=np.float64).reshape(-1)
    ctx = np.maximum(np.round(p_in + output_tokens / 2.0), 1.0)
    prompt = np.maximum(np.round(p_in), 1.0)
    longest = np.maximum(np.round(p_in + output_tokens), 1.0)
    cached = np.clip(np.round(h[None, :] * p_in[:, None]), 0.0, prompt[:, None])
    n = p_in.size
    kv = kv_cache_bytes(model, np.concatenate([ctx, longest, prompt]), kv_dtype)
    kv_ctx, kv_max, kv_prompt = kv[:n], kv[n : 2 * n], kv[2 * n :]
    kv_cached = np.where(cached > 0, kv_cache_bytes(model, np.maximum(cached, 1.0), kv_dtype), 0.0)
    attn_prefill = np.asarray(attention_prefill_flops(model, prompt[:, None], cached), dtype=np.float64)
    index_prefill = np.asarray(
        attention_prefill_flops(model, prompt[:, None], cached, part="indexer"), dtype=np.float64
    )
    kv_read = kv_read_bytes_per_token(model, ctx, kv_dtype)
    attn_tok = attention_flops_per_token(model, ctx)
    index_tok = attention_index_flops_per_token(model, ctx)
    profile = model_profile(model, plan, speculative=speculative, fp4_compute=fp4_compute)
    return [
        Workpoint(
            profile=profile,
            context_tokens=float(ctx[b]),
            prompt_tokens=float(prompt[b]),
            cached_tokens=cached[b],
            kv_bytes_per_seq=float(kv_ctx[b]),
            kv_bytes_max_seq=float(kv_max[b]),
            kv_read_bytes_per_token=float(kv_read[b]),
            attention_flops_per_token=float(attn_tok[b]),
            prefill_attention_flops=np.broadcast_to(attn_prefill[b], cached[b].shape).astype(np.float64),
            prefill_kv_write_bytes=np.maximum(kv_prompt[b] - kv_cached[b], 0.0),
            attention_index_flops_per_token=float(index_tok[b]),
            prefill_index_flops=np.broadcast_to(index_prefill[b], cached[b].shape).astype(np.float64),
            output_tokens=float(max(longest[b] - prompt[b], 0.0)),
        )
        for b in range(n)
    ]


def _comm_bytes_per_token(profile: ModelProfile, gpu: Gpu, gpus: int) -> tuple[float, float]:
    """All-to-all (scale-out, scale-up) bytes per token per MoE layer on a ``gpus``-GPU deployment."""
    if gpus <= 1 or profile.n_routed_experts == 0:
        return 0.0, 0.0
    k = profile.experts_per_token
    msg = profile.hidden_size * A2A_BYTES_PER_HIDDEN
    nodes = math.ceil(gpus / gpu.gpus_per_node)
    remote_nodes = (nodes - 1) * (1.0 - (1.0 - 1.0 / nodes) ** k) if nodes > 1 else 0.0
    other_gpus = (gpus - 1) * (1.0 - (1.0 - 1.0 / gpus) ** k)
    return remote_nodes * msg, other_gpus * msg


def _links(gpu: Gpu, gpus: int) -> tuple[float, float, list[str]]:
    """(scale-out, scale-up) bytes/s per GPU needed by a ``gpus``-GPU deployment, and the fields used."""
    used: list[str] = []
    up = out = math.inf
    if gpus > 1:
        if gpu.scale_up_gb_per_s is None:
            raise ValueError(_missing(gpu, "scale_up_gb_per_s"))
        up = gpu.scale_up_gb_per_s * 1e9
        used.append("scale_up_gb_per_s")
    if gpus > gpu.gpus_per_node:
        if gpu.scale_out_gb_per_s is None:
            raise ValueError(_missing(gpu, "scale_out_gb_per_s"))
        out = gpu.scale_out_gb_per_s * 1e9
        used.append("scale_out_gb_per_s")
    return out, up, used


def _combine(t_local: FloatArray, t_comm: FloatArray, overlap: float) -> FloatArray:
    """``max(local, comm) + (1 − overlap) · min(local, comm)``."""
    out: FloatArray = np.maximum(t_local, t_comm) + (1.0 - overlap) * np.minimum(t_local, t_comm)
    return out


def _comm_seconds_per_token(
    profile: ModelProfile, gpu: Gpu, gpus: int, tp: int, eff: Efficiency
) -> tuple[float, float]:
    """(all-to-all, TP all-reduce) seconds per GPU-token (one token of ``b`` per GPU) at the efficiency given.

    ``tp`` = 1 (attention DP): the expert all-to-all over scale-up and scale-out, no all-reduce. ``tp`` > 1:
    ``ALLREDUCES_PER_LAYER`` ring all-reduces per layer of the group's activations (``tp`` tokens per GPU-token,
    ``2(tp − 1)/tp`` of the message sent per rank) over scale-up; the expert all-to-all keeps only its
    scale-out part (inside a node the MoE combine is the all-reduce).
    """
    out_bytes, up_bytes = _comm_bytes_per_token(profile, gpu, gpus)
    out_bw, up_bw, _ = _links(gpu, gpus)
    if tp <= 1:
        a2a = profile.moe_layers * max(out_bytes / out_bw, up_bytes / up_bw) / eff.link_efficiency
        return a2a, 0.0
    a2a = profile.moe_layers * out_bytes / out_bw / eff.link_efficiency
    ar_bytes = (
        ALLREDUCES_PER_LAYER
        * profile.layers
        * 2.0
        * (tp - 1)
        * profile.hidden_size
        * ALLREDUCE_BYTES_PER_HIDDEN
    )
    return a2a, ar_bytes / up_bw / eff.link_efficiency


@dataclass(frozen=True)
class StepTimes:
    """Seconds per decode step (or per prefill request) by resource, and the combined time.

    Attributes:
        compute_s: compute time at the efficiency given.
        memory_s: HBM time.
        comm_s: all-to-all time.
        total_s: combined with the overlap rule.
    """

    compute_s: FloatArray
    memory_s: FloatArray
    comm_s: FloatArray
    total_s: FloatArray

    def bound(self, i: int = -1) -> str:
        """Which resource dominates at index ``i``: compute, memory or network."""
        parts = {
            "compute": float(self.compute_s.flat[i]),
            "memory": float(self.memory_s.flat[i]),
            "network": float(self.comm_s.flat[i]),
        }
        return max(parts, key=lambda k: parts[k])


def _roofline(
    wp: Workpoint,
    gpu: Gpu,
    gpus: int,
    tp: int,
    eff: Efficiency,
    compute_s: FloatArray,
    memory_s: FloatArray,
    tokens: FloatArray,
    steps: FloatArray | float,
    serial_s: FloatArray | float = 0.0,
) -> StepTimes:
    """Add the communication of ``tokens`` GPU-tokens to compute and memory times, by the overlap rule, the
    fixed time of ``steps`` forward steps (:func:`step_floor_s` each) and ``serial_s`` (not overlapped)."""
    a2a_tok, ar_tok = _comm_seconds_per_token(wp.profile, gpu, gpus, tp, eff)
    a2a, ar = tokens * a2a_tok, tokens * ar_tok
    local = np.maximum(compute_s, memory_s)
    floor = step_floor_s(eff, gpu, gpus, wp.profile, tp)
    total = (
        _combine(local, a2a, eff.comm_overlap) + (1.0 - eff.allreduce_overlap) * ar + floor * steps + serial_s
    )
    return StepTimes(compute_s, memory_s, a2a + ar, total)


def is_rocm(gpu: Gpu) -> bool:
    """``gpu`` runs a ROCm software stack (AMD GPUs), with its own fixed step time and per-sequence time."""
    return gpu.vendor.lower() == "amd"


def collectives_per_step(profile: ModelProfile, gpus: int, tp: int) -> int:
    """Collectives a forward step waits on over a ``gpus``-GPU instance: under attention TP (``tp`` > 1)
    :data:`ALLREDUCES_PER_LAYER` all-reduces per layer; under attention DP the expert all-to-all's dispatch and
    combine in every MoE layer (:data:`ALLTOALLS_PER_MOE_LAYER`); none on one GPU (or between replicas)."""
    if gpus <= 1:
        return 0
    if tp > 1:
        return ALLREDUCES_PER_LAYER * profile.layers
    return ALLTOALLS_PER_MOE_LAYER * profile.moe_layers if profile.n_routed_experts else 0


def step_floor_s(eff: Efficiency, gpu: Gpu, gpus: int, profile: ModelProfile, tp: int) -> float:
    """The fixed seconds per forward step on a ``gpus``-GPU instance of ``gpu``: its software stack's (ROCm on
    AMD GPUs, else CUDA), plus the latency of each collective the step waits on (:func:`collectives_per_step`),
    each waiting for every rank."""
    stack = eff.step_floor_s_amd if is_rocm(gpu) else eff.step_floor_s
    return stack + eff.collective_s * collectives_per_step(profile, gpus, tp)


def sequence_s(eff: Efficiency, gpu: Gpu) -> float:
    """Seconds a decode step adds per sequence of the attention group on ``gpu``'s software stack (ROCm on AMD
    GPUs, else CUDA)."""
    return eff.sequence_s_amd if is_rocm(gpu) else eff.sequence_s


def _hbm_rate(gpu: Gpu, eff: Efficiency) -> float:
    """Achieved HBM bytes/s (``hbm_tb_per_s`` · MBU)."""
    if gpu.hbm_tb_per_s is None:
        raise ValueError(_missing(gpu, "hbm_tb_per_s"))
    return gpu.hbm_tb_per_s * 1e12 * eff.decode_mbu


def _index_rate(gpu: Gpu, precision: Precision) -> float:
    """Peak FLOP/s of the lightning indexer, which runs in its own low precision (FP8 for V3.2, FP4 for V4,
    docs/sources.md §1.3, §3.2): the GPU's rate at that precision, else the next wider one it has."""
    order: list[float | None] = {
        "fp4": [gpu.fp4_tflops, gpu.fp8_tflops, gpu.bf16_tflops],
        "fp8": [gpu.fp8_tflops, gpu.bf16_tflops],
        "bf16": [gpu.bf16_tflops, gpu.fp8_tflops],
    }[precision]
    rate = next((r for r in order if r is not None), None)
    if rate is None:
        raise ValueError(_missing(gpu, "bf16_tflops"))
    return rate * 1e12


def _attention_seconds(
    flops: FloatArray | float, index_flops: FloatArray | float, p: ModelProfile, gpu: Gpu
) -> FloatArray:
    """Seconds at peak for attention FLOPs of which ``index_flops`` are the indexer's (at its own precision)."""
    core = np.asarray(flops, dtype=np.float64) - index_flops
    out: FloatArray = core / _rate_flops(gpu, "bf16")[0] + np.asarray(index_flops) / _index_rate(
        gpu, p.index_precision
    )
    return out


def _linear_seconds_per_token(profile: ModelProfile, gpu: Gpu) -> float:
    """Linear-layer seconds per token at peak, summed over the weights' precisions."""
    return sum(
        f / _rate_flops(gpu, p, profile.fp4_compute)[0]
        for p, f in profile.linear_flops_by_precision.items()
        if f > 0
    )


def decode_step_times(
    wp: Workpoint,
    gpu: Gpu,
    gpus: int,
    batch_per_gpu: float | Sequence[float] | FloatArray,
    eff: Efficiency,
    tp: int = 1,
    draft_tokens: int | None = None,
) -> StepTimes:
    """Time of one decode step for each batch size (sequences per GPU), vectorised.

    ``max(compute / MFU, HBM bytes / MBU)`` combined with the interconnect, plus the fixed step time
    :func:`step_floor_s` (launches, synchronisation, collective latency: the floor as the batch → 0) and the
    engine's per-sequence time (:func:`sequence_s`) for each sequence of the attention group (``batch × tp``: one
    scheduler assembles, samples and checks the group's sequences every step).

    Args:
        wp: operating point.
        gpu: GPU type (needs hbm_tb_per_s; links when ``gpus`` > 1).
        gpus: deployment size.
        batch_per_gpu: sequences per GPU, array (under attention TP: the group's sequences / ``tp``).
        eff: efficiency factors.
        tp: attention tensor-parallel group size (1 = attention data-parallel).
        draft_tokens: MTP draft tokens per step ``K`` (default 1 when ``wp`` is speculative, else 0): each
            step verifies ``1 + K`` tokens per sequence and runs the draft head ``K`` times.
    """
    hbm = _hbm_rate(gpu, eff)
    p = wp.profile
    b = np.asarray(batch_per_gpu, dtype=np.float64)
    k_draft = (1 if p.speculative else 0) if draft_tokens is None else (draft_tokens if p.speculative else 0)
    q = 1.0 + k_draft  # tokens verified per sequence per step
    per_token_s = _linear_seconds_per_token(p, gpu) + float(
        _attention_seconds(wp.attention_flops_per_token, wp.attention_index_flops_per_token, p, gpu)
    )
    mtp_s = p.mtp_flops_per_token / _rate_flops(gpu, p.precisions["dense"], p.fp4_compute)[0]
    compute = b * (q * per_token_s + k_draft * mtp_s) / eff.decode_mfu
    if p.n_routed_experts:
        distinct = expected_distinct_experts(p.n_routed_experts, p.experts_per_token, gpus * b * q)
        routed = (
            np.minimum(distinct / gpus, math.ceil(p.n_routed_experts / gpus)) * p.moe_layers * p.expert_bytes
        )
        weights = p.replicated_read_bytes / tp + routed
    else:
        weights = np.full_like(b, p.weights_bytes / gpus)
    kv_copies = tp / kv_shards(p, tp)  # every rank reads the replicated latent of the group's sequences
    memory = (weights + b * kv_copies * wp.kv_read_bytes_per_token) / hbm
    per_sequence = sequence_s(eff, gpu) * b * tp
    return _roofline(wp, gpu, gpus, tp, eff, compute, memory, b * q, 1.0, per_sequence)


def prefill_times(wp: Workpoint, gpu: Gpu, gpus: int, eff: Efficiency, tp: int = 1) -> StepTimes:
    """GPU-seconds to prefill one prompt on the deployment, for each cached length in ``wp``.

    ``tp`` > 1: attention tensor-parallel groups of ``tp`` GPUs (each rank writes its copy of the KV; the
    all-reduce of the module docstring). Each prefill chunk of :data:`PREFILL_CHUNK_TOKENS` tokens per GPU
    is a forward step and pays the fixed step time.
    """
    hbm = _hbm_rate(gpu, eff)
    p = wp.profile
    new = wp.prompt_tokens - wp.cached_tokens
    compute = (
        new * _linear_seconds_per_token(p, gpu)
        + _attention_seconds(wp.prefill_attention_flops, wp.prefill_index_flops, p, gpu)
    ) / eff.prefill_mfu
    weights = weights_bytes_per_gpu(p, gpus, tp) * new / PREFILL_CHUNK_TOKENS
    kv_copies = tp / kv_shards(p, tp)
    memory = (weights + kv_copies * wp.prefill_kv_write_bytes) / hbm
    return _roofline(wp, gpu, gpus, tp, eff, compute, memory, new, new / PREFILL_CHUNK_TOKENS)
