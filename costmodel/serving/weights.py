"""Weights by component and precision plan: bytes per parameter, the model profile (parameter counts and
linear FLOPs per token by precision)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from costmodel.attention.compute import (
    component_params,
    linear_flops_per_token,
    param_counts,
    routed_expert_params,
)
from costmodel.catalog.fields import Precision
from costmodel.catalog.memo import by_row_identity
from costmodel.catalog.schema import Model
from costmodel.workload.scenario import PRECISION_PLANS, Fp4Compute, PrecisionPlan

Component = Literal["routed_experts", "shared_experts", "dense", "embeddings"]

#: Bytes per weight element, scales included (see the module docstring).
BYTES_PER_PARAM: dict[Precision, float] = {
    "bf16": 2.0,
    "fp8": 1.0 + 4.0 / (128 * 128),
    "fp4": 0.5 + 1.0 / 32,
    # INT4 weight-only, one BF16 scale per group of 32 (Kimi K2.5's quantisation-aware INT4 experts; the group
    # size is the compressed-tensors one and is an assumption for K2.6, docs/sources.md §9)
    "int4": 0.5 + 2.0 / 32,
}

#: Engram table rows (V4.1): FP8 E4M3 values with one E8M0 byte scale per 32 (facts-2026-12 §1.3-§1.4: "Engram
#: tables FP8 E4M3 rows with E8M0 scales"; 768,022,850 rows × (256 + 8) B = 202.8 GB, SGLang: "about 189 GiB").
ENGRAM_BYTES_PER_PARAM = 1.0 + 1.0 / 32

#: Attention kinds whose KV cache has a single shared (latent) head: replicated, not split, under attention TP.
#: Precision the lightning indexer computes in, by attention kind (docs/sources.md §3.2: V3.2's indexer in FP8;
#: §1.3: V4's in FP4).
INDEX_PRECISION: dict[str, Precision] = {"mla_dsa": "fp8", "v4_hybrid": "fp4", "v41_csa2": "fp4"}
SINGLE_KV_HEAD_ATTENTION = frozenset({"mla", "mla_dsa", "v4_hybrid", "v41_csa2", "mqa"})


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
    """What serving needs from a model under a precision plan (counts from :mod:`costmodel.attention.compute`).

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
        engram_bytes: Engram lookup tables (V4.1), bytes, outside ``weights_bytes``; where they live is the memory
            plan's choice (:data:`costmodel.serving.memory.ENGRAM_PLACEMENTS`).
        engram_read_bytes_per_token: Engram rows gathered per token, bytes (ASSUMPTION: ``engram_n_heads`` rows
            per table per token; the lookup's exact fan-out is not in the config).
        fp4_compute: how FP4 weights are multiplied: ``w4a8`` (activations in FP8, at the FP8 tensor rate: what
            the fit supports, docs/calibration.md) or ``w4a4`` (activations quantised to FP4 too, at the GPU's FP4
            tensor rate, as NVFP4 / MXFP4 kernels on Blackwell and MI355X can run).
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
    index_precision: Precision = "bf16"
    engram_bytes: float = 0.0
    engram_read_bytes_per_token: float = 0.0
    fp4_compute: Fp4Compute = "w4a8"


def engram_params(model: Model) -> float:
    """Parameters of the Engram tables: Σ rows × ``engram_head_dim`` (0 without Engram)."""
    c = model.config
    if c is None or not c.engram_num_embeddings or not c.engram_head_dim:
        return 0.0
    return float(sum(c.engram_num_embeddings) * c.engram_head_dim)


@by_row_identity()
def model_profile(
    model: Model,
    plan: PrecisionPlan = "native",
    *,
    speculative: bool = False,
    fp4_compute: Fp4Compute = "w4a8",
) -> ModelProfile:
    """Weight bytes and FLOP split of ``model`` under ``plan``.

    Args:
        model: an open-weights model.
        plan: precision plan.
        speculative: load and run the MTP layer(s) (speculative decoding).
        fp4_compute: the FP4 weights' GEMMs as W4A8 (FP8 rate) or W4A4 (FP4 rate); see :class:`ModelProfile`.

    Returns:
        The :class:`ModelProfile`; bytes in bytes, FLOPs per token.
    """
    if not model.open_weights or model.config is None:
        why = "no open weights" if not model.open_weights else "open weights, but its config is not known"
        raise ValueError(f"model {model.id!r} has {why}: it cannot be self-hosted")
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
    by_prec: dict[Precision, float] = {"bf16": 0.0, "fp8": 0.0, "fp4": 0.0, "int4": 0.0}
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
        index_precision=INDEX_PRECISION.get(model.attention or "", "bf16"),
        engram_bytes=engram_params(model) * ENGRAM_BYTES_PER_PARAM,
        engram_read_bytes_per_token=(
            len(c.engram_num_embeddings or ())
            * (c.engram_n_heads or 1)
            * (c.engram_head_dim or 0)
            * ENGRAM_BYTES_PER_PARAM
        ),
        fp4_compute=fp4_compute,
    )
