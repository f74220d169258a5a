"""Self-hosting: memory plan, per-phase throughput, latency and the cost of a workload on rented GPUs.

Deployment shapes (``attention_layout``), both with the routed experts spread over the ``N`` GPUs by expert
parallelism (EP):

- ``dp`` (what SGLang/vLLM large-scale EP does, and what LMSYS measured): attention data-parallel, every GPU
  holds all non-expert weights and serves its own sequences.
- ``tp`` (SGLang's default single-node recipe, e.g. the cookbook's V4-Pro on 8 × H200): the non-expert weights
  (attention, dense FFN, shared experts, embeddings) are sharded over a tensor-parallel group of ``t`` GPUs,
  ``t`` = the largest divisor of ``N`` not above a node; ``N / t`` groups. A group serves its sequences
  together. KV heads are split over the group, but MLA / V4 / MQA have ONE shared latent KV head, so their KV
  is REPLICATED on every rank of the group: a group holds only as many sequences as one GPU's KV room.

Sizes tried: powers of two up to a node, then whole nodes, up to :data:`MAX_NODES` nodes; at each size both
layouts, and the smallest size that fits wins (at equal size, the layout holding more concurrent sequences;
then ``dp``).

Memory plan (bytes per GPU; ``t`` = 1 for ``dp``; ``s`` = min(t, shardable KV heads), 1 for MLA/V4/MQA)::

    weights_per_gpu = replicated / t + ceil(E / N) · L_moe · expert_bytes
    replicated      = dense + shared experts + embeddings (+ MTP non-expert part with speculative decoding)
    kv_room         = hbm · (1 − RESERVED_HBM_FRACTION) − weights_per_gpu
    max_seqs_per_gpu = floor(kv_room / (kv_cache_bytes(mean context) / s))   (paged KV: mean, not max)
                      (the sequences whose KV each GPU holds; under ``tp`` the whole group's sequences)
    max_batch       = max_seqs_per_gpu · N / t                                 (concurrent sequences)
    fits            ⇔ kv_room ≥ kv_cache_bytes(prompt + output) / s           (one whole sequence)

``tp`` is approximate in that the small non-shardable parts (norms, MLA latent down-projections, routers) are
counted as sharded too.

Bytes per parameter: BF16 2; FP8 1 + 4/(128·128) (one float32 scale per 128×128 block, as in the DeepSeek
checkpoints); FP4 0.5 + 1/32 (MXFP4: one 1-byte scale per 32 elements). Embeddings and the output head stay
BF16 in every plan (they are BF16 in the DeepSeek FP8 checkpoints). Plans: ``native`` = the checkpoint's
precision per component; ``fp8`` = every linear weight FP8; ``bf16`` = everything BF16; ``fp4`` = routed and
shared experts FP4, the rest FP8.

Roofline per phase, per GPU (``b`` sequences per GPU, ``q`` tokens per sequence per step, 1 or 2 with MTP;
under ``tp`` a group of ``t`` GPUs serves ``B = t · b`` sequences, each GPU doing ``1/t`` of their compute)::

    t_compute = Σ_c linear_flops_c / (rate_c · mfu) + attention_flops / (rate_attn · mfu)
    t_memory  = bytes_read / (hbm_bw · mbu)
    t_a2a     = tokens · L_moe · max(out_bytes / (scale_out · link_eff), up_bytes / (scale_up · link_eff))
    t_ar      = tokens · 2 · L · 2(t − 1) · h · 2 / (scale_up · link_eff)       (``tp`` only; 0 for t = 1)
    t         = max(t_local, t_a2a) + (1 − overlap) · min(t_local, t_a2a) + (1 − ar_overlap) · t_ar,
                t_local = max(t_compute, t_memory)

The ``tp`` all-reduce: two per layer (after attention, after the MoE/FFN), of the group's BF16 activations
(``t`` tokens × ``h`` × 2 bytes per GPU-token); a ring sends ``2(t − 1)/t`` of the message per rank. It is on
the critical path (``ar_overlap`` = 0; 1 at the floor). Bytes sent are counted against ``scale_up_gb_per_s``,
the same convention as the all-to-all. Under ``tp`` the MoE combine inside a node is that all-reduce (every
rank already holds the group's tokens), so only the scale-out part of the all-to-all remains, for deployments
over several nodes. KV read per decode step under ``tp`` is ``t / s`` times the ``dp`` figure per
GPU-sequence: every rank reads the replicated latent of all ``B`` sequences.

Rates: FP8 (and FP4, run as W4A8) weights at the FP8 rate when the GPU has one, else BF16; BF16 weights and
the attention kernels at the BF16 rate (FP8 if BF16 is unknown). All-to-all bytes per token and MoE layer:
``h · (1 + 4/128 + 2)`` (FP8 dispatch with scales, BF16 combine) to each distinct destination; scale-out
carries one copy per distinct remote node, ``(n−1)(1−(1−1/n)^k)``, scale-up one per distinct other GPU,
``(N−1)(1−(1−1/N)^k)`` (tokens deduplicated per node, then forwarded over NVLink, as DeepEP does).

Decode bytes read per step: replicated weights (less the input-embedding table) + the expected distinct
experts of the whole batch, ``E·(1−(1−k/E)^(N·b·q)) / N`` per layer per GPU, + ``b · kv_read_bytes(context)``.
The batch is the largest ``b`` that fits memory and meets the TPOT target. With speculative decoding (one
MTP draft token) a step verifies ``q = 2`` tokens, runs the MTP layer once, and emits ``1 + acceptance``.

Prefill of a prompt of ``P`` tokens with ``c`` cached: compute ``(P − c) · linear + attention_prefill(P, c)``;
weights are re-read once per chunk of :data:`PREFILL_CHUNK_TOKENS` tokens; the new KV is written once.
``TTFT = t_prefill(one prompt on one GPU) + one decode step`` (no queueing); under ``tp`` the prompt is
spread over the group: ``t_prefill / t``. Prefill KV writes are ``t / s`` times the ``dp`` figure.

Efficiency factors (:data:`EFFICIENCY`) are calibrated on the LMSYS DeepSeek-V3 measurement (docs/calibration.md);
``floor`` is the 100 %-efficiency roofline: the physical floor of the cost.

Sizing and cost, for each UTC hour ``h`` of the (7, 24) profile with ``R_h`` requests::

    gpus_needed_h = R_h · (t_prefill + output_tokens / decode_tokens_per_s_per_gpu) / 3600
    deployments_h = max(1, ceil(gpus_needed_h / N))    (autoscaled; always-on: the peak hour's, every hour)
    monthly_cost  = Σ_h N · deployments_h · usd_per_gpu_hour · (days_per_month / 7) · (1 + overhead_pct / 100)

Disaggregated: the prefill and decode pools are rounded up separately. The cost splits into an input share
(prefill GPU-seconds, or the prefill pool) and an output share (decode), per million tokens of each.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Literal

import numpy as np
import pandas as pd

from costmodel.attention import (
    attention_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.attention.common import FloatArray, KvDtype
from costmodel.catalog.schema import Catalogue, Gpu, GpuRental, Model, Precision
from costmodel.compute import (
    component_params,
    expected_distinct_experts,
    linear_flops_per_token,
    param_counts,
    routed_expert_params,
)
from costmodel.scenario import Scenario, SelfHostOption, ServingAssumptions, Workload, hourly_requests_utc

PrecisionPlan = Literal["native", "fp8", "bf16", "fp4"]
PRECISION_PLANS: tuple[PrecisionPlan, ...] = ("native", "fp8", "bf16", "fp4")
EfficiencyLevel = Literal["low", "base", "high", "floor"]
EFFICIENCY_LEVELS: tuple[EfficiencyLevel, ...] = ("low", "base", "high", "floor")
AttentionLayout = Literal["dp", "tp"]
LayoutChoice = Literal["auto", "dp", "tp"]
LAYOUT_CHOICES: tuple[LayoutChoice, ...] = ("auto", "dp", "tp")
Component = Literal["routed_experts", "shared_experts", "dense", "embeddings"]

#: Bytes per weight element, scales included (see the module docstring).
BYTES_PER_PARAM: dict[Precision, float] = {
    "bf16": 2.0,
    "fp8": 1.0 + 4.0 / (128 * 128),
    "fp4": 0.5 + 1.0 / 32,
}
#: HBM kept free for activations, CUDA graphs, the runtime and fragmentation (an assumption: serving engines
#: default to a static-memory fraction of about 0.85-0.9 of HBM).
RESERVED_HBM_FRACTION = 0.10
#: Largest deployment tried when looking for the smallest that fits, in nodes.
MAX_NODES = 16
#: Largest batch per GPU considered (engines cap running requests; also bounds the search grid).
MAX_BATCH_PER_GPU = 8192
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
#: Attention kinds whose KV cache has a single shared (latent) head: replicated, not split, under attention TP.
SINGLE_KV_HEAD_ATTENTION = frozenset({"mla", "mla_dsa", "v4_hybrid", "mqa"})


@dataclass(frozen=True)
class Efficiency:
    """Fractions of peak achieved; multiply the peak rates of the roofline.

    Attributes:
        prefill_mfu: prefill compute / peak tensor FLOP/s.
        decode_mfu: decode compute / peak tensor FLOP/s.
        decode_mbu: achieved / peak HBM bandwidth (decode, and the small prefill memory term).
        link_efficiency: achieved / peak scale-up and scale-out bandwidth for the expert all-to-all.
        comm_overlap: fraction of the all-to-all hidden under compute and memory time (0 = serial, 1 = hidden).
        allreduce_overlap: fraction of the attention-TP all-reduce hidden (0: on the critical path).
    """

    prefill_mfu: float
    decode_mfu: float
    decode_mbu: float
    link_efficiency: float
    comm_overlap: float
    allreduce_overlap: float = 0.0


#: Assumptions the LMSYS measurement does not identify (docs/calibration.md): decode kernels reach 70 % of
#: peak HBM bandwidth, the all-to-all 80 % of the link rate, and half of it is hidden under compute/memory
#: (SGLang runs two-batch overlap).
DECODE_MBU_BASE = 0.70
LINK_EFFICIENCY_BASE = 0.80
COMM_OVERLAP_BASE = 0.5
#: Fitted by :func:`fit_lmsys` on LMSYS 2025-05-05 (facts.md §10), rounded: prefill MFU = geometric mean of the
#: values that reproduce the three prefill points; decode MFU reproduces the decode point.
PREFILL_MFU_BASE = 0.54
DECODE_MFU_BASE = 0.25
#: The band: low = base factors × 0.6 with no overlap (an engine without large-scale EP tuning);
#: high = base × 1.3 (links 0.9, overlap 0.8): a better-tuned engine or a newer release.
BAND_LOW, BAND_HIGH = 0.6, 1.3


def _level(scale: float, link: float, overlap: float) -> Efficiency:
    return Efficiency(
        prefill_mfu=min(PREFILL_MFU_BASE * scale, 1.0),
        decode_mfu=min(DECODE_MFU_BASE * scale, 1.0),
        decode_mbu=min(DECODE_MBU_BASE * scale, 1.0),
        link_efficiency=min(link, 1.0),
        comm_overlap=overlap,
    )


#: Efficiency levels: ``floor`` is 100 % of every peak with full overlap (the physical floor of the cost).
EFFICIENCY: dict[EfficiencyLevel, Efficiency] = {
    "low": _level(BAND_LOW, LINK_EFFICIENCY_BASE * BAND_LOW, 0.0),
    "base": _level(1.0, LINK_EFFICIENCY_BASE, COMM_OVERLAP_BASE),
    "high": _level(BAND_HIGH, LINK_EFFICIENCY_BASE * BAND_HIGH, 0.8),
    "floor": Efficiency(1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
}


# ---- weights and memory plan -------------------------------------------------------------------------------


def component_precisions(model: Model, plan: PrecisionPlan = "native") -> dict[Component, Precision]:
    """Storage precision of each weight component under a precision plan.

    Args:
        model: an open-weights model (``weight_precision`` set).
        plan: ``native`` (checkpoint), ``fp8``, ``bf16`` or ``fp4`` (experts FP4, rest FP8).

    Returns:
        Precision per component; ``embeddings`` (input table and output head) are BF16 in every plan.
    """
    if model.weight_precision is None:
        raise ValueError(f"model {model.id!r} has no open weights: no precision plan")
    if plan == "native":
        wp = model.weight_precision
        return {
            "routed_experts": wp["routed_experts"],
            "shared_experts": wp["shared_experts"],
            "dense": wp["dense"],
            "embeddings": "bf16",
        }
    if plan == "fp8":
        return {"routed_experts": "fp8", "shared_experts": "fp8", "dense": "fp8", "embeddings": "bf16"}
    if plan == "bf16":
        return {"routed_experts": "bf16", "shared_experts": "bf16", "dense": "bf16", "embeddings": "bf16"}
    if plan == "fp4":
        return {"routed_experts": "fp4", "shared_experts": "fp4", "dense": "fp8", "embeddings": "bf16"}
    raise ValueError(f"unknown precision plan {plan!r}; use one of {', '.join(PRECISION_PLANS)}")


@dataclass(frozen=True)
class ModelProfile:
    """What serving needs from a model under a precision plan (counts from :mod:`costmodel.compute`).

    Attributes:
        model_id: the model.
        plan: the precision plan.
        precisions: storage precision per component.
        weights_bytes: all weights of the deployment (one copy), bytes.
        weights_bytes_by_component: the same split by component, bytes.
        replicated_bytes: non-routed weights every GPU holds (attention data-parallel), bytes.
        replicated_read_bytes: of those, bytes read per decode step (all but the input-embedding table).
        expert_bytes: one routed expert in one layer, bytes.
        n_routed_experts: routed experts per MoE layer (E).
        experts_per_token: routed experts per token (k).
        moe_layers: MoE layers holding routed experts (MTP layer included with speculative decoding).
        hidden_size: model width h (all-to-all message size per token, elements).
        layers: transformer layers run per token (MTP layers included with speculative decoding).
        kv_heads_shardable: KV heads that attention TP can split across ranks (1 for MLA / V4 / MQA).
        linear_flops_by_precision: linear-layer FLOPs per token, grouped by the weights' precision.
        mtp_flops_per_token: extra FLOPs per decode step per sequence of the MTP draft (0 without).
        speculative: whether the MTP layer is loaded and run.
    """

    model_id: str
    plan: PrecisionPlan
    precisions: dict[Component, Precision]
    weights_bytes: float
    weights_bytes_by_component: dict[Component, float]
    replicated_bytes: float
    replicated_read_bytes: float
    expert_bytes: float
    n_routed_experts: int
    experts_per_token: int
    moe_layers: int
    hidden_size: int
    layers: int
    kv_heads_shardable: int
    linear_flops_by_precision: dict[Precision, float]
    mtp_flops_per_token: float
    speculative: bool


def model_profile(model: Model, plan: PrecisionPlan = "native", *, speculative: bool = False) -> ModelProfile:
    """Weight bytes and FLOP split of ``model`` under ``plan``.

    Args:
        model: an open-weights model.
        plan: precision plan.
        speculative: load and run the MTP layer(s) (speculative decoding).

    Returns:
        The :class:`ModelProfile`; bytes in bytes, FLOPs per token.
    """
    if not model.open_weights or model.config is None:
        raise ValueError(f"model {model.id!r} has no open weights: it cannot be self-hosted")
    c = model.config
    prec = component_precisions(model, plan)
    params = component_params(model)
    p_expert = float(routed_expert_params(model))
    n_mtp = c.num_nextn_predict_layers if speculative else 0
    moe_main = (c.num_hidden_layers - c.first_k_dense_replace) if c.n_routed_experts else 0
    moe_layers = moe_main + (n_mtp if c.n_routed_experts else 0)
    by_comp: dict[Component, float] = {
        k: float(params[k]) * BYTES_PER_PARAM[prec[k]]
        for k in ("routed_experts", "shared_experts", "dense", "embeddings")
    }
    mtp_flops = 0.0
    if n_mtp:
        mtp_params = float(param_counts(model).mtp)
        mtp_routed = n_mtp * c.n_routed_experts * p_expert
        by_comp["routed_experts"] += mtp_routed * BYTES_PER_PARAM[prec["routed_experts"]]
        by_comp["dense"] += max(mtp_params - mtp_routed, 0.0) * BYTES_PER_PARAM[prec["dense"]]
        mtp_flops = float(linear_flops_per_token(model, include_mtp=True) - linear_flops_per_token(model))
    embed_table = c.vocab_size * c.hidden_size * BYTES_PER_PARAM[prec["embeddings"]]
    replicated = by_comp["dense"] + by_comp["shared_experts"] + by_comp["embeddings"]
    replicated_read = replicated - (0.0 if c.tie_word_embeddings else embed_table)
    # Linear FLOPs per token by component: routed = 2·k·P_e per MoE layer, shared = 2 × shared params,
    # the rest (attention projections, dense FFN, router, indexer projections, head) at the dense precision.
    linear = float(linear_flops_per_token(model))
    routed_f = 2.0 * c.num_experts_per_tok * p_expert * moe_main
    shared_f = 2.0 * float(params["shared_experts"])
    rest_f = max(linear - routed_f - shared_f, 0.0)
    by_prec: dict[Precision, float] = {"bf16": 0.0, "fp8": 0.0, "fp4": 0.0}
    by_prec[prec["routed_experts"]] += routed_f
    by_prec[prec["shared_experts"]] += shared_f
    by_prec[prec["dense"]] += rest_f
    return ModelProfile(
        model_id=model.id,
        plan=plan,
        precisions=prec,
        weights_bytes=sum(by_comp.values()),
        weights_bytes_by_component=by_comp,
        replicated_bytes=replicated,
        replicated_read_bytes=replicated_read,
        expert_bytes=p_expert * BYTES_PER_PARAM[prec["routed_experts"]],
        n_routed_experts=c.n_routed_experts,
        experts_per_token=c.num_experts_per_tok,
        moe_layers=moe_layers,
        hidden_size=c.hidden_size,
        layers=c.num_hidden_layers + n_mtp,
        kv_heads_shardable=(
            1
            if model.attention in SINGLE_KV_HEAD_ATTENTION
            else (c.num_key_value_heads or c.num_attention_heads)
        ),
        linear_flops_by_precision=by_prec,
        mtp_flops_per_token=mtp_flops,
        speculative=bool(n_mtp),
    )


def deployment_sizes(gpu: Gpu, max_nodes: int = MAX_NODES) -> list[int]:
    """GPU counts tried, smallest first: 1, 2, 4, … up to a node, then whole nodes up to ``max_nodes``."""
    sizes: list[int] = []
    n = 1
    while n < gpu.gpus_per_node:
        sizes.append(n)
        n *= 2
    sizes += [gpu.gpus_per_node * k for k in range(1, max_nodes + 1)]
    return sizes


def tp_size(gpu: Gpu, gpus: int, layout: AttentionLayout) -> int:
    """Attention tensor-parallel group size: 1 for ``dp``; for ``tp`` the largest divisor of ``gpus`` ≤ a node."""
    if layout == "dp":
        return 1
    return max(t for t in range(1, min(gpus, gpu.gpus_per_node) + 1) if gpus % t == 0)


def kv_shards(profile: ModelProfile, tp: int) -> int:
    """Ranks one sequence's KV is split over in a TP group of ``tp`` (1 for MLA / V4 / MQA: replicated)."""
    return max(1, min(tp, profile.kv_heads_shardable))


def weights_bytes_per_gpu(profile: ModelProfile, gpus: int, tp: int = 1) -> float:
    """Weights held by each GPU of an ``gpus``-GPU deployment, bytes.

    Non-expert weights / ``tp`` (``tp`` = 1: attention data-parallel, every GPU holds them all) + the GPU's
    share of the routed experts.
    """
    if profile.n_routed_experts == 0:  # a dense model: tensor-parallel over the GPUs
        return profile.weights_bytes / gpus
    experts_here = math.ceil(profile.n_routed_experts / gpus)
    return profile.replicated_bytes / tp + experts_here * profile.moe_layers * profile.expert_bytes


@dataclass(frozen=True)
class MemoryPlan:
    """Where the bytes go on one deployment.

    Attributes:
        model: model id.
        gpu: GPU id.
        plan: precision plan.
        gpus: GPUs in the deployment.
        nodes: nodes spanned.
        weights_bytes: all weights (one copy), bytes.
        weights_bytes_per_gpu: weights held per GPU, bytes.
        hbm_bytes_per_gpu: HBM per GPU, bytes.
        reserved_bytes_per_gpu: HBM kept for activations and runtime, bytes.
        kv_room_bytes_per_gpu: HBM left for the KV cache, bytes.
        kv_bytes_per_seq: KV cache of one sequence at the mean context, bytes.
        max_seqs_per_gpu: sequences whose KV each GPU holds at the mean context (under ``tp``, the sequences of
            its whole TP group: MLA / V4 latent KV is replicated on every rank).
        max_batch: concurrent sequences of the whole deployment (``max_seqs_per_gpu · gpus / tp_size``).
        fits: weights fit and at least one whole sequence's KV fits per GPU.
        reason: why not, when it does not fit ("" otherwise).
        attention_layout: ``dp`` (attention data-parallel) or ``tp`` (attention tensor-parallel).
        tp_size: GPUs of one attention TP group (1 for ``dp``).
        kv_copies: ranks holding a copy of each sequence's KV (``tp_size / kv shards``; 1 for ``dp``).
    """

    model: str
    gpu: str
    plan: PrecisionPlan
    gpus: int
    nodes: int
    weights_bytes: float
    weights_bytes_per_gpu: float
    hbm_bytes_per_gpu: float
    reserved_bytes_per_gpu: float
    kv_room_bytes_per_gpu: float
    kv_bytes_per_seq: float
    max_seqs_per_gpu: int
    max_batch: int
    fits: bool
    reason: str
    attention_layout: AttentionLayout = "dp"
    tp_size: int = 1
    kv_copies: int = 1


def _missing(gpu: Gpu, name: str) -> str:
    why = gpu.null_reasons.get(name, "no reason recorded")
    return f"cannot estimate: {gpu.id} {name} unknown ({why})"


def memory_plan(
    profile: ModelProfile,
    gpu: Gpu,
    *,
    kv_bytes_per_seq: float,
    kv_bytes_max_seq: float | None = None,
    gpus: int | None = None,
    max_nodes: int = MAX_NODES,
    layout: LayoutChoice = "auto",
) -> MemoryPlan:
    """The memory plan on ``gpus`` GPUs, or the smallest deployment that fits when ``gpus`` is None.

    Args:
        profile: from :func:`model_profile`.
        gpu: the GPU type.
        kv_bytes_per_seq: KV cache of one sequence at the mean decode context, bytes.
        kv_bytes_max_seq: KV of one sequence at its longest (prompt + output), bytes (default: the mean).
        gpus: fixed deployment size, or None to search :func:`deployment_sizes`.
        max_nodes: search cap, nodes.
        layout: ``dp``, ``tp`` or ``auto`` (both at each size: the smallest size that fits; at equal size the
            layout with the larger ``max_batch``, then ``dp``).

    Returns:
        The plan; ``fits`` is False with the reason when nothing up to ``max_nodes`` nodes fits.
    """
    kv_max = kv_bytes_per_seq if kv_bytes_max_seq is None else kv_bytes_max_seq
    if gpu.hbm_gb is None:
        return MemoryPlan(
            profile.model_id, gpu.id, profile.plan, gpus or 0, 0, profile.weights_bytes,
            math.nan, math.nan, math.nan, math.nan, kv_bytes_per_seq, 0, 0, False, _missing(gpu, "hbm_gb"),
        )  # fmt: skip
    hbm = gpu.hbm_gb * 1e9
    reserved = hbm * RESERVED_HBM_FRACTION
    sizes = [gpus] if gpus is not None else deployment_sizes(gpu, max_nodes)

    layouts: tuple[AttentionLayout, ...] = ("dp", "tp") if layout == "auto" else (layout,)

    def plan_for(n: int, lay: AttentionLayout) -> MemoryPlan:
        t = tp_size(gpu, n, lay)
        s = kv_shards(profile, t)
        w = weights_bytes_per_gpu(profile, n, t)
        room = hbm - reserved - w
        kv_seq, kv_long = kv_bytes_per_seq / s, kv_max / s  # per GPU
        fits = room >= kv_long and room > 0
        seqs = int(min(room // kv_seq, 1e12)) if fits and kv_seq > 0 else 0
        if fits and kv_seq <= 0:
            seqs = MAX_BATCH_PER_GPU
        reason = ""
        if not fits:
            where = f" (attention TP{t})" if t > 1 else ""
            reason = (
                f"does not fit: {w / 1e9:,.1f} GB weights per GPU + {kv_long / 1e9:,.2f} GB KV of one sequence "
                f"> {(hbm - reserved) / 1e9:,.1f} GB usable on {n} × {gpu.id}{where}"
            )
        return MemoryPlan(
            profile.model_id, gpu.id, profile.plan, n, math.ceil(n / gpu.gpus_per_node), profile.weights_bytes,
            w, hbm, reserved, room, kv_bytes_per_seq, seqs, seqs * (n // t), fits, reason,
            "tp" if t > 1 else "dp", t, t // s,
        )  # fmt: skip

    def best(n: int) -> MemoryPlan:
        plans = [
            plan_for(n, lay) for lay in layouts if lay == "dp" or tp_size(gpu, n, lay) > 1 or layout == "tp"
        ]
        fitting = [p for p in plans if p.fits]
        if not fitting:
            return min(plans, key=lambda p: p.weights_bytes_per_gpu)
        return max(fitting, key=lambda p: (p.max_batch, p.attention_layout == "dp"))

    for n in sizes:
        last = best(n)
        if last.fits:
            return last
    if gpus is None:
        return replace(
            last,
            reason=f"does not fit on up to {max_nodes} nodes of {gpu.id}: {last.reason.removeprefix('does not fit: ')}",
        )
    return last


# ---- throughput --------------------------------------------------------------------------------------------


def _rate_flops(gpu: Gpu, precision: Precision) -> tuple[float, str]:
    """Peak FLOP/s for weights stored in ``precision`` and the catalogue field it comes from."""
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
    return Workpoint(
        profile=model_profile(model, plan, speculative=speculative),
        context_tokens=float(ctx),
        prompt_tokens=float(prompt),
        cached_tokens=cached,
        kv_bytes_per_seq=kv_ctx,
        kv_bytes_max_seq=kv_max,
        kv_read_bytes_per_token=float(kv_read_bytes_per_token(model, ctx, kv_dtype)),
        attention_flops_per_token=float(attention_flops_per_token(model, ctx)),
        prefill_attention_flops=np.broadcast_to(attn_prefill, cached.shape).astype(np.float64),
        prefill_kv_write_bytes=np.maximum(kv_prompt - kv_cached, 0.0),
    )


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
) -> StepTimes:
    """Add the communication of ``tokens`` GPU-tokens to compute and memory times, by the overlap rule."""
    a2a_tok, ar_tok = _comm_seconds_per_token(wp.profile, gpu, gpus, tp, eff)
    a2a, ar = tokens * a2a_tok, tokens * ar_tok
    local = np.maximum(compute_s, memory_s)
    total = _combine(local, a2a, eff.comm_overlap) + (1.0 - eff.allreduce_overlap) * ar
    return StepTimes(compute_s, memory_s, a2a + ar, total)


def _hbm_rate(gpu: Gpu, eff: Efficiency) -> float:
    """Achieved HBM bytes/s (``hbm_tb_per_s`` · MBU)."""
    if gpu.hbm_tb_per_s is None:
        raise ValueError(_missing(gpu, "hbm_tb_per_s"))
    return gpu.hbm_tb_per_s * 1e12 * eff.decode_mbu


def _linear_seconds_per_token(profile: ModelProfile, gpu: Gpu) -> float:
    """Linear-layer seconds per token at peak, summed over the weights' precisions."""
    return sum(f / _rate_flops(gpu, p)[0] for p, f in profile.linear_flops_by_precision.items() if f > 0)


def decode_step_times(
    wp: Workpoint,
    gpu: Gpu,
    gpus: int,
    batch_per_gpu: float | Sequence[float] | FloatArray,
    eff: Efficiency,
    tp: int = 1,
) -> StepTimes:
    """Time of one decode step for each batch size (sequences per GPU), vectorised.

    Args:
        wp: operating point.
        gpu: GPU type (needs hbm_tb_per_s; links when ``gpus`` > 1).
        gpus: deployment size.
        batch_per_gpu: sequences per GPU, array (under attention TP: the group's sequences / ``tp``).
        eff: efficiency factors.
        tp: attention tensor-parallel group size (1 = attention data-parallel).
    """
    hbm = _hbm_rate(gpu, eff)
    p = wp.profile
    b = np.asarray(batch_per_gpu, dtype=np.float64)
    q = 2.0 if p.speculative else 1.0  # tokens verified per sequence per step
    attn_rate = _rate_flops(gpu, "bf16")[0]
    per_token_s = _linear_seconds_per_token(p, gpu) + wp.attention_flops_per_token / attn_rate
    mtp_s = p.mtp_flops_per_token / _rate_flops(gpu, p.precisions["dense"])[0]
    compute = b * (q * per_token_s + mtp_s) / eff.decode_mfu
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
    return _roofline(wp, gpu, gpus, tp, eff, compute, memory, b * q)


def prefill_times(wp: Workpoint, gpu: Gpu, gpus: int, eff: Efficiency, tp: int = 1) -> StepTimes:
    """GPU-seconds to prefill one prompt on the deployment, for each cached length in ``wp``.

    ``tp`` > 1: attention tensor-parallel groups of ``tp`` GPUs (each rank writes its copy of the KV; the
    all-reduce of the module docstring).
    """
    hbm = _hbm_rate(gpu, eff)
    p = wp.profile
    new = wp.prompt_tokens - wp.cached_tokens
    attn_rate = _rate_flops(gpu, "bf16")[0]
    compute = (
        new * _linear_seconds_per_token(p, gpu) + wp.prefill_attention_flops / attn_rate
    ) / eff.prefill_mfu
    weights = weights_bytes_per_gpu(p, gpus, tp) * new / PREFILL_CHUNK_TOKENS
    kv_copies = tp / kv_shards(p, tp)
    memory = (weights + kv_copies * wp.prefill_kv_write_bytes) / hbm
    return _roofline(wp, gpu, gpus, tp, eff, compute, memory, new)


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

    Returns:
        A :class:`ServingEstimate`; infeasible ones carry the reason (e.g. a hardware field unknown).
    """
    eff = EFFICIENCY[efficiency] if isinstance(efficiency, str) else efficiency
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
    # decode: largest batch meeting memory and TPOT (searched over the sequences of one attention group)
    limit = min(memory.max_seqs_per_gpu, MAX_BATCH_PER_GPU)
    if decode_batch_per_gpu is not None:
        batches = np.array([float(decode_batch_per_gpu)])
    else:
        batches = np.arange(1, limit + 1, dtype=np.float64) / tp
    st = decode_step_times(wp, gpu, n, batches, eff, tp)
    tpot_s = st.total_s / (1.0 + accept)
    ok = np.ones_like(batches, dtype=bool) if tpot_ms_target is None else tpot_s * 1e3 <= tpot_ms_target
    if decode_batch_per_gpu is not None or ok.any():
        i = int(np.flatnonzero(ok)[-1]) if decode_batch_per_gpu is None else 0
    else:
        i = 0
        reason = f"TPOT target {tpot_ms_target:g} ms missed even at batch 1 ({tpot_s[0] * 1e3:,.1f} ms)"
    b = float(batches[i])
    decode_rate = b * (1.0 + accept) / float(st.total_s[i])
    measured: list[str] = []
    if measured_decode_tokens_per_s_per_gpu is not None:
        decode_rate = measured_decode_tokens_per_s_per_gpu
        measured.append("decode")
    # prefill
    pt = prefill_times(wp, gpu, n, eff, tp)
    prefill_s = pt.total_s
    if measured_prefill_tokens_per_s_per_gpu is not None:
        prefill_s = (wp.prompt_tokens - wp.cached_tokens) / measured_prefill_tokens_per_s_per_gpu
        measured.append("prefill")
    with np.errstate(divide="ignore"):
        prefill_rate = np.where(
            prefill_s > 0, wp.prompt_tokens / np.where(prefill_s > 0, prefill_s, 1.0), np.inf
        )
    tpot_ms = float(tpot_s[i]) * 1e3
    ttft_ms = prefill_s / tp * 1e3 + float(st.total_s[i]) * 1e3  # a TP group spreads the prompt
    if not reason and ttft_ms_target is not None and float(ttft_ms.max()) > ttft_ms_target:
        reason = f"TTFT target {ttft_ms_target:g} ms missed ({float(ttft_ms.max()):,.0f} ms)"
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


# ---- calibration on LMSYS (facts.md §10) -------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One published throughput figure.

    Attributes:
        name: label.
        phase: prefill | decode.
        gpus: deployment size.
        prompt_tokens: prompt length (prefill), tokens.
        context_tokens: KV length (decode), tokens.
        batch_per_gpu: decode batch per GPU.
        tokens_per_s_per_node: the published figure (input tokens for prefill, output for decode).
        mtp: speculative decoding with MTP (the simulated-MTP run).
    """

    name: str
    phase: Literal["prefill", "decode"]
    gpus: int
    prompt_tokens: int
    context_tokens: int
    batch_per_gpu: int
    tokens_per_s_per_node: float
    mtp: bool = False


#: LMSYS 2025-05-05, DeepSeek-V3 FP8 on nodes of 8 × H100 (facts.md §10). 1K = 1,024 tokens.
LMSYS_MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement("prefill 1K, EP32", "prefill", 32, 1024, 1024, 0, 57_674),
    Measurement("prefill 2K, EP32", "prefill", 32, 2048, 2048, 0, 54_543),
    Measurement("prefill 4K, EP32", "prefill", 32, 4096, 4096, 0, 50_302),
    Measurement("decode b256 KV2000, EP72", "decode", 72, 2000, 2000, 256, 22_282),
)
#: Out-of-sample check (not fitted): simulated MTP, batch 128 per GPU, KV 4,000; acceptance not published.
LMSYS_MTP = Measurement("decode MTP b128 KV4000, EP72", "decode", 72, 4000, 4000, 128, 17_373, mtp=True)


def predict_measurement(
    m: Measurement, model: Model, gpu: Gpu, eff: Efficiency, mtp_acceptance: float = 0.7
) -> float:
    """Predicted tokens/s per node (8 GPUs) for a published measurement, at the given efficiency."""
    wp = workpoint(
        model, "native", context_tokens=m.context_tokens, prompt_tokens=m.prompt_tokens, speculative=m.mtp
    )
    if m.phase == "prefill":
        t = prefill_times(wp, gpu, m.gpus, eff)  # attention data-parallel, as LMSYS ran it
        return float(m.prompt_tokens / t.total_s[0]) * gpu.gpus_per_node
    est = estimate(
        wp,
        gpu,
        gpus=m.gpus,
        efficiency=eff,
        decode_batch_per_gpu=m.batch_per_gpu,
        mtp_acceptance=mtp_acceptance,
        layout="dp",  # LMSYS ran DP attention (facts.md §10): the calibration keeps that layout
    )
    return est.decode_tokens_per_s_per_gpu * gpu.gpus_per_node


def _solve(f: Callable[[float], float], target: float) -> float:
    """Bisection on a scale in (0, 1] such that the increasing function ``f(scale)`` equals ``target``."""
    lo, hi = 1e-3, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def fit_lmsys(model: Model, gpu: Gpu) -> dict[str, float]:
    """Fit the base efficiency factors on :data:`LMSYS_MEASUREMENTS` (link efficiency and overlap fixed).

    Returns:
        ``prefill_mfu`` (geometric mean of the per-point fits), ``prefill_mfu_min``/``_max`` and
        ``decode_mfu`` (reproducing the decode point; MBU fixed at :data:`DECODE_MBU_BASE`).
    """
    base = EFFICIENCY["base"]

    def fit(m: Measurement, factor: str) -> float:
        """The value of ``factor`` (the other factors at base) whose prediction reproduces ``m``."""
        return _solve(
            lambda s: predict_measurement(m, model, gpu, replace(base, **{factor: s})),
            m.tokens_per_s_per_node,
        )

    mfus = [fit(m, "prefill_mfu") for m in LMSYS_MEASUREMENTS if m.phase == "prefill"]
    s_dec = fit(next(m for m in LMSYS_MEASUREMENTS if m.phase == "decode"), "decode_mfu")
    return {
        "prefill_mfu": float(np.exp(np.mean(np.log(mfus)))),
        "prefill_mfu_min": min(mfus),
        "prefill_mfu_max": max(mfus),
        "decode_mfu": s_dec,
    }


# ---- sizing and cost over the hourly profile ---------------------------------------------------------------


@dataclass(frozen=True)
class FleetCost:
    """Monthly cost of serving an hourly profile (arrays over any leading sweep dimensions).

    Attributes:
        monthly_cost_usd: GPU rental × (1 + overhead), USD per month.
        input_cost_usd: the prefill share of it, USD per month.
        output_cost_usd: the decode share, USD per month.
        gpus_peak: GPUs rented in the busiest hour.
        gpus_mean: GPUs rented on average over the week.
        gpu_hours: GPU-hours rented per month.
        utilization: GPU-hours of work / GPU-hours rented.
        gpus_needed_by_hour: fractional GPUs of work in each UTC hour, shape (..., 7, 24).
        gpus_by_hour: GPUs rented in each UTC hour, shape (..., 7, 24).
    """

    monthly_cost_usd: FloatArray
    input_cost_usd: FloatArray
    output_cost_usd: FloatArray
    gpus_peak: FloatArray
    gpus_mean: FloatArray
    gpu_hours: FloatArray
    utilization: FloatArray
    gpus_needed_by_hour: FloatArray
    gpus_by_hour: FloatArray


def fleet_cost(
    hourly_requests: FloatArray,
    prefill_gpu_s_per_request: float | FloatArray,
    decode_gpu_s_per_request: float | FloatArray,
    *,
    deployment_gpus: int,
    usd_per_gpu_hour: float,
    days_per_month: float,
    mode: Literal["always_on", "autoscaled"] = "always_on",
    disaggregated: bool = False,
    overhead_pct: float = 0.0,
) -> FleetCost:
    """GPUs by hour and the monthly bill (see the module docstring for the formulas).

    Args:
        hourly_requests: requests in each UTC hour, shape (..., 7, 24).
        prefill_gpu_s_per_request: GPU-seconds of prefill per request, shape broadcastable to (...).
        decode_gpu_s_per_request: GPU-seconds of decode per request, shape broadcastable to (...).
        deployment_gpus: GPUs per deployment (the unit rented).
        usd_per_gpu_hour: rental price, USD per GPU-hour.
        days_per_month: days billed per month.
        mode: ``always_on`` (peak-hour deployments all week) or ``autoscaled`` (per hour).
        disaggregated: prefill and decode pools rounded up separately.
        overhead_pct: extra cost on top of the rental, percent.
    """
    r = np.asarray(hourly_requests, dtype=np.float64)
    pf = np.asarray(prefill_gpu_s_per_request, dtype=np.float64)[..., None, None]
    dc = np.asarray(decode_gpu_s_per_request, dtype=np.float64)[..., None, None]
    need_p = r * pf / 3600.0
    need_d = r * dc / 3600.0
    n = float(deployment_gpus)

    def deploy(need: FloatArray) -> FloatArray:
        d = np.maximum(1.0, np.ceil(need / n - 1e-9))
        if mode == "always_on":
            d = np.broadcast_to(d.max(axis=(-2, -1), keepdims=True), d.shape)
        return d * n

    hours_per_slot = days_per_month / 7.0
    k = usd_per_gpu_hour * (1.0 + overhead_pct / 100.0) * hours_per_slot
    work_p, work_d = need_p.sum(axis=(-2, -1)), need_d.sum(axis=(-2, -1))
    if disaggregated:
        gpus_p = deploy(need_p)
        gpus = gpus_p + deploy(need_d)
        cost = gpus.sum(axis=(-2, -1)) * k
        input_cost = gpus_p.sum(axis=(-2, -1)) * k
    else:
        gpus = deploy(need_p + need_d)
        cost = gpus.sum(axis=(-2, -1)) * k
        total = work_p + work_d
        input_cost = cost * np.divide(work_p, total, out=np.full_like(total, 0.5), where=total > 0)
    gpu_hours = gpus.sum(axis=(-2, -1)) * hours_per_slot
    return FleetCost(
        monthly_cost_usd=cost,
        input_cost_usd=input_cost,
        output_cost_usd=cost - input_cost,
        gpus_peak=gpus.max(axis=(-2, -1)),
        gpus_mean=gpus.mean(axis=(-2, -1)),
        gpu_hours=gpu_hours,
        utilization=(work_p + work_d) * hours_per_slot / gpu_hours,
        gpus_needed_by_hour=need_p + need_d,
        gpus_by_hour=gpus,
    )


# ---- self-hosting options of a scenario --------------------------------------------------------------------


def resolve_rental(option: SelfHostOption, catalogue: Catalogue) -> tuple[float, str, str, str]:
    """The GPU-hour price of an option: ``(usd_per_gpu_hour, rental id, source, as_of)``.

    An explicit ``usd_per_gpu_hour`` wins; then ``rental_id``; else the most recent on-demand row for the GPU
    (the most recent of any basis if there is no on-demand row; the cheaper of rows read on the same day).

    Raises:
        ValueError: unknown rental id, a rental of another GPU, or no rental row for the GPU.
    """
    if option.usd_per_gpu_hour is not None:
        return option.usd_per_gpu_hour, "custom", "user input", ""
    rows: list[GpuRental]
    if option.rental_id is not None:
        rows = [r for r in catalogue.rentals if r.id == option.rental_id]
        if not rows:
            raise ValueError(f"unknown rental {option.rental_id!r}")
        if rows[0].gpu != option.gpu:
            raise ValueError(f"rental {option.rental_id!r} is for {rows[0].gpu}, not {option.gpu}")
    else:
        rows = [r for r in catalogue.rentals if r.gpu == option.gpu]
        on_demand = [r for r in rows if r.basis == "on_demand"]
        rows = on_demand or rows
        if not rows:
            raise ValueError(
                f"cannot price: no rental price for {option.gpu} in the catalogue (give usd_per_gpu_hour)"
            )
    r = max(rows, key=lambda x: (x.as_of, -x.usd_per_gpu_hour, x.id))
    return r.usd_per_gpu_hour, r.id, r.source, r.as_of.isoformat()


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


def cheaper_fleet(a: FleetCost | None, b: FleetCost | None) -> FleetCost | None:
    """Elementwise the cheaper of two fleet costs over the same sweep (None = not available)."""
    if a is None or b is None:
        return a if b is None else b
    take_b = np.asarray(b.monthly_cost_usd) < np.asarray(a.monthly_cost_usd)

    def pick(x: FloatArray, y: FloatArray) -> FloatArray:
        # the per-hour fields have two more axes (7, 24) than the mask
        return np.where(take_b.reshape(take_b.shape + (1,) * (np.ndim(x) - take_b.ndim)), y, x)

    return FleetCost(*(pick(getattr(a, f.name), getattr(b, f.name)) for f in fields(FleetCost)))


def option_fleet_cost(
    est: ServingEstimate,
    hourly_requests: FloatArray,
    prefill_gpu_s_per_request: float | FloatArray,
    option: SelfHostOption,
    workload: Workload,
    assumptions: ServingAssumptions,
    usd_per_gpu_hour: float,
) -> FleetCost:
    """:func:`fleet_cost` of serving ``hourly_requests`` on the deployment of a feasible ``est``.

    The decode GPU-seconds come from ``est``, the prefill ones are given (one cached length, or an array);
    rental mode, disaggregation and overhead from the option and assumptions.
    """
    return fleet_cost(
        hourly_requests,
        prefill_gpu_s_per_request,
        workload.billed_output_tokens / est.decode_tokens_per_s_per_gpu,
        deployment_gpus=est.memory.gpus,
        usd_per_gpu_hour=usd_per_gpu_hour,
        days_per_month=workload.days_per_month,
        mode=option.mode,
        disaggregated=option.disaggregated,
        overhead_pct=assumptions.overhead_pct,
    )


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


#: Columns of :func:`self_host_rows`, in order.
SELF_HOST_COLUMNS = (
    "option", "kind", "provider", "model", "gpu", "precision", "mode", "disaggregated",
    "monthly_cost_usd", "usd_per_mtok_input", "usd_per_mtok_output", "usd_per_mtok_blended",
    "gpus", "gpus_mean", "deployment_gpus", "attention_layout", "utilization", "ttft_ms", "tpot_ms", "max_batch",
    "prefill_tokens_per_s_per_gpu", "decode_tokens_per_s_per_gpu", "weights_bytes",
    "efficiency", "monthly_cost_usd_low", "monthly_cost_usd_high", "monthly_cost_usd_floor",
    "feasible", "reason", "unconfirmed_fields", "measured",
    "usd_per_gpu_hour", "price_ids", "price_sources", "price_as_of", "price_confidence", "as_of", "band_reason", "notes",
)  # fmt: skip


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _per_mtok(usd: float, mtok: float) -> float | None:
    """USD per million tokens; None when there is no finite rate (no tokens, or too few for one)."""
    return _finite_or_none(usd / mtok) if mtok > 0 else None


#: Model-row fields that feed the self-hosting estimate (their unconfirmed status is carried into the row).
_ARCH_FIELDS = ("config", "weight_precision", "total_params_b", "active_params_b")


def self_host_rows(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """One row per self-hosting option of the scenario, with the comparison columns (kind = ``self_host``).

    Money at the scenario's efficiency level; ``monthly_cost_usd_low/high/floor`` at the other levels
    (floor = 100 % efficiency). No cell is NaN without its reason in the row: an infeasible option has
    empty money and ``reason``; a band level that cannot meet the latency targets while the chosen level
    can has an empty ``monthly_cost_usd_<level>`` and says why in ``band_reason``; a rate with nothing to
    divide by (no output tokens; every prompt token cached) is empty and ``notes`` says why.
    """
    w = scenario.workload
    a = scenario.assumptions
    requests_per_month = w.requests_per_day * w.days_per_month
    mtok_in = requests_per_month * w.prompt_tokens / 1e6
    mtok_out = requests_per_month * w.billed_output_tokens / 1e6
    rentals = {r.id: r for r in catalogue.rentals}
    model_rows = {m.id: m for m in catalogue.models}
    rows = []
    for opt in scenario.self_host_options:
        ev = evaluate_option(opt, w, a, catalogue)
        est = ev.estimates.get(a.efficiency)
        cost = ev.costs.get(a.efficiency)

        def money(level: EfficiencyLevel, ev: OptionEvaluation = ev) -> float:
            c = ev.costs.get(level)
            return float(c.monthly_cost_usd) if c is not None else math.nan

        rental = rentals.get(ev.rental_id)
        row: dict[str, object] = {
            "price_confidence": rental.confidence
            if rental
            else ("user input" if ev.rental_id == "custom" else None),
            "option": option_label(opt),
            "as_of": scenario.as_of.isoformat(),
            "kind": "self_host",
            "provider": "self-host",
            "model": opt.model,
            "gpu": opt.gpu,
            "precision": opt.precision,
            "mode": opt.mode,
            "disaggregated": opt.disaggregated,
            "efficiency": a.efficiency,
            "usd_per_gpu_hour": ev.usd_per_gpu_hour,
            "price_ids": ev.rental_id,
            "price_sources": ev.rental_source,
            "price_as_of": ev.rental_as_of,
            "reason": ev.reason or None,  # None, not "": empty text reads back from CSV as missing
            "feasible": not ev.reason,
        }
        if est is not None:
            row.update(
                deployment_gpus=est.memory.gpus,
                attention_layout=f"{est.memory.attention_layout}{est.memory.tp_size if est.memory.tp_size > 1 else ''}",
                weights_bytes=est.memory.weights_bytes,
                max_batch=est.max_batch,
                tpot_ms=est.tpot_ms,
                ttft_ms=float(est.ttft_ms[0]),
                prefill_tokens_per_s_per_gpu=_finite_or_none(float(est.prefill_tokens_per_s_per_gpu[0])),
                decode_tokens_per_s_per_gpu=_finite_or_none(est.decode_tokens_per_s_per_gpu),
                unconfirmed_fields=", ".join(
                    [f"{opt.gpu}.{f}" for f in est.unconfirmed_fields]
                    + [
                        f"{opt.model}.{f}"
                        for f in model_rows[opt.model].unconfirmed_fields
                        if f in _ARCH_FIELDS
                    ]
                    + [f"{ev.rental_id}.{f}" for f in (rental.unconfirmed_fields if rental else ())]
                )
                or None,
                measured=", ".join(est.measured) or None,
            )
        if cost is not None:
            total = float(cost.monthly_cost_usd)
            row.update(
                monthly_cost_usd=total,
                # a fleet rented for a vanishing volume has no finite price per token: empty, with a note
                usd_per_mtok_input=_per_mtok(float(cost.input_cost_usd), mtok_in),
                usd_per_mtok_output=_per_mtok(float(cost.output_cost_usd), mtok_out),
                usd_per_mtok_blended=_per_mtok(total, mtok_in + mtok_out),
                gpus=float(cost.gpus_peak),
                gpus_mean=float(cost.gpus_mean),
                utilization=float(cost.utilization),
                monthly_cost_usd_low=money("low"),
                monthly_cost_usd_high=money("high"),
                monthly_cost_usd_floor=money("floor"),
            )
            levels: tuple[EfficiencyLevel, ...] = ("low", "high", "floor")
            band = [
                f"{lv} efficiency: no cost, {ev.estimates[lv].reason}"
                for lv in levels
                if lv in ev.estimates and ev.costs.get(lv) is None
            ]
            row["band_reason"] = "; ".join(band) or None
        notes = []
        if cost is not None and mtok_out <= 0:
            notes.append("no output tokens: no USD per M output tokens")
        if cost is not None and row.get("usd_per_mtok_blended") is None:
            notes.append("volume too small for a finite USD per M tokens on a rented fleet")
        if est is not None and row.get("prefill_tokens_per_s_per_gpu") is None:
            notes.append("every prompt token is cached: no prefill compute, no prefill rate")
        row["notes"] = "; ".join(notes) or None
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SELF_HOST_COLUMNS))
