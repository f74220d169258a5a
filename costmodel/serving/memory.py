"""Memory plan: the smallest deployment (GPUs, attention layout) that holds the weights and at least one
whole sequence, and how many sequences fit (see :mod:`costmodel.serving` for the formulas)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

from costmodel.catalog.schema import Gpu
from costmodel.serving.weights import ModelProfile
from costmodel.workload.scenario import LayoutChoice, PrecisionPlan

AttentionLayout = Literal["dp", "tp"]
#: Where V4.1's Engram tables live. ``peer``: sharded over the deployment's HBM, each GPU holding
#: ``1/gpus`` and gathering the rest from peers over the scale-up link (SGLang ``{"lookup": "peer_read"}``, the
#: docs' choice for ≥ 8 GPUs); ``host``: host memory, gathered over PCIe (SGLang ``{"placement": "cpu"}``, for
#: TP2/TP4 groups); ``hbm``: a full copy on every GPU (only where it fits: 202.8 GB is more than any GPU here).
EngramPlacement = Literal["peer", "host", "hbm"]
ENGRAM_PLACEMENTS: tuple[EngramPlacement, ...] = ("peer", "host", "hbm")
#: The placement the memory plan assumes: ``peer``. It is the one the published floors follow (4 Blackwell / 8
#: H200; "needs about 614 GB of GPU memory", i.e. with the tables in HBM; facts-2026-12 §1.6).
DEFAULT_ENGRAM_PLACEMENT: EngramPlacement = "peer"
#: Host-to-GPU bandwidth for ``host`` placement: PCIe Gen5 x16, about 64 GB/s one way (an ASSUMPTION; the
#: catalogue has no host-link figure).
HOST_LINK_BYTES_PER_S = 64e9
#: HBM kept free for activations, CUDA graphs, the runtime and fragmentation (an assumption: serving engines
#: default to a static-memory fraction of about 0.85-0.9 of HBM).
RESERVED_HBM_FRACTION = 0.10
#: Largest deployment tried when looking for the smallest that fits, in nodes.
MAX_NODES = 16
#: Largest batch per GPU considered (engines cap running requests; also bounds the search grid).


MAX_BATCH_PER_GPU = 8192


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


def engram_bytes_per_gpu(profile: ModelProfile, gpus: int, placement: EngramPlacement) -> float:
    """GPU memory the Engram tables take on each GPU, bytes (0 for models without Engram or ``host``)."""
    if not profile.engram_bytes or placement == "host":
        return 0.0
    return profile.engram_bytes if placement == "hbm" else profile.engram_bytes / gpus


def engram_seconds_per_token(profile: ModelProfile, gpu: Gpu, gpus: int, placement: EngramPlacement) -> float:
    """Time to gather one token's Engram rows, seconds, if nothing overlapped it: ``peer`` reads the remote share
    ``(gpus-1)/gpus`` over the scale-up link, ``host`` everything over PCIe, ``hbm`` from local HBM. The rows
    depend only on the input token ids, so engines prefetch them ahead of the layer (1 and 14): an upper bound.
    NaN when the link's bandwidth is unknown."""
    b = profile.engram_read_bytes_per_token
    if not b:
        return 0.0
    if placement == "host":
        return b / HOST_LINK_BYTES_PER_S
    if placement == "hbm":
        return b / (gpu.hbm_tb_per_s * 1e12) if gpu.hbm_tb_per_s else math.nan
    remote = b * (gpus - 1) / gpus
    return remote / (gpu.scale_up_gb_per_s * 1e9) if gpu.scale_up_gb_per_s else math.nan


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
        engram_placement: where the Engram tables live (V4.1; :data:`ENGRAM_PLACEMENTS`).
        engram_bytes_per_gpu: GPU memory they take per GPU (inside ``weights_bytes_per_gpu``), bytes.
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
    engram_placement: EngramPlacement = DEFAULT_ENGRAM_PLACEMENT
    engram_bytes_per_gpu: float = 0.0


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
    engram_placement: EngramPlacement = DEFAULT_ENGRAM_PLACEMENT,
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
        engram_placement: where V4.1's Engram tables live (their bytes per GPU count as weights).

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
        eg = engram_bytes_per_gpu(profile, n, engram_placement)
        w = weights_bytes_per_gpu(profile, n, t) + eg
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
            "tp" if t > 1 else "dp", t, t // s, engram_placement, eg,
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
