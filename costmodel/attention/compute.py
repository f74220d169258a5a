"""Whole-model compute: parameter counts by component, FLOPs per decoded token, prefill FLOPs.

Parameters are derived from the config (docs/sources.md §1.1, §1.3, §3.1, §9); nothing is typed in:

* MLA attention (V3, V3.2, K2): ``wq_a [hidden, q_lora]``, ``wq_b [q_lora, H·(nope+rope)]`` (or ``wq`` without
  ``q_lora_rank``), ``wkv_a [hidden, kv_lora+rope]``, ``wkv_b [kv_lora, H·(nope+v)]``, ``wo [H·v, hidden]``, the two
  low-rank norms. DSA adds its indexer: ``wq_b [q_lora, n_idx·d_idx]``, ``wk [hidden, d_idx]``, ``k_norm``
  (weight + bias), ``weights_proj [hidden, n_idx]``.
* V4 attention (docs/sources.md §1.3 tensor shapes): ``wq_a [hidden, q_lora]``, ``wq_b [q_lora, H·head_dim]``
  (Pro 1536 × 65536), ``wkv [hidden, head_dim]``, grouped low-rank output ``wo_a`` = ``o_groups`` blocks of
  ``[H·head_dim/o_groups, o_lora]`` (Pro [16384, 4096] in total) and ``wo_b [o_groups·o_lora, hidden]``, norms,
  a per-head sink. Compressors: ``wkv`` and a gate ``wgate`` of ``[hidden, c·head_dim]`` each (``c`` = 2 for
  the overlapping CSA windows: Pro CSA ``wkv`` [1024, 7168], HCA [512, 7168]) and a positional bias
  ``ape [ratio, c·head_dim]``; the CSA indexer: ``wq_b [q_lora, n_idx·d_idx]`` (Pro [8192, 1536]),
  ``weights_proj [hidden, n_idx]`` and its own compressor at ``d_idx``. The gate tensors and the indexer
  compressor shapes mirror the main compressor (ASSUMPTION: only ``wkv``'s shapes are published, docs/sources.md §1.3).
  NOT modelled: mHC (hyper-connection mixing, ``hc_mult`` = 4; a few million parameters and MACs per layer),
  the hash-routing tables of V4's first 3 layers.
* FFN: SwiGLU, 3 matrices: dense ``3·hidden·intermediate``; each expert ``3·hidden·moe_intermediate``;
  router ``[hidden, n_routed]`` + bias. Norms: 2 per layer + final. Embedding and head ``vocab × hidden`` each
  (one matrix if tied).
* MTP (V3-style, V4): per MTP layer ``eh_proj [2·hidden, hidden]``, two norms and a full layer; embedding and
  head are shared with the main model and not counted again.

Active parameters per token: every non-expert parameter, the shared experts, ``num_experts_per_tok`` routed
experts, and **one row** of the embedding table (a lookup reads one row and does no arithmetic). Linear
FLOPs per token = 2 × the matmul weights a token multiplies (active minus embedding row, norms, biases and
sinks). For MLA the absorbed decode multiplies q by ``W_UK`` and the latent output by ``W_UV``: exactly the
MACs of ``wkv_b``'s parameters, so the rule still holds.

FLOPs per decoded token at position ``t`` = linear + :func:`costmodel.attention.attention_flops_per_token`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from costmodel.attention import NoArchitectureError, attention_flops_per_token, attention_prefill_flops
from costmodel.attention.common import tokens
from costmodel.catalog import Model, ModelConfig
from costmodel.catalog.memo import by_row_identity
from costmodel.catalog.units import FloatArray

__all__ = [
    "ParamCounts",
    "component_params",
    "expected_distinct_experts",
    "flops_per_token",
    "linear_flops_per_token",
    "param_counts",
    "prefill_flops",
    "routed_expert_params",
]


@dataclass(frozen=True)
class ParamCounts:
    """Parameter counts derived from a config (numbers of parameters, not billions).

    Attributes:
        total: every parameter of the main model (MTP excluded).
        active: parameters used for one token (see module docs: one embedding row).
        mtp: parameters of the MTP layer(s) (embedding/head shared, not counted).
    """

    total: float
    active: float
    mtp: float


@dataclass(frozen=True)
class _Layer:
    """Parameters of one layer, split into matmul weights and vector parameters."""

    attn_matmul: float
    attn_vector: float
    ffn_dense: float
    shared_experts: float
    routed_experts: float
    routed_active: float
    router: float
    vectors: float
    """Norms, router bias and other non-matmul parameters."""

    @property
    def params(self) -> float:
        """Every parameter of the layer (all routed experts included)."""
        return (
            self.attn_matmul
            + self.attn_vector
            + self.ffn_dense
            + self.shared_experts
            + self.routed_experts
            + self.router
            + self.vectors
        )


def _cfg(model: Model) -> ModelConfig:
    if model.config is None:
        raise NoArchitectureError(
            f"model {model.id!r} has no published architecture (API-only): parameters need a config"
        )
    return model.config


def routed_expert_params(model: Model) -> float:
    """Parameters of ONE routed expert in ONE layer: SwiGLU ``3 · hidden · moe_intermediate_size``."""
    c = _cfg(model)
    if not c.n_routed_experts or c.moe_intermediate_size is None:
        return 0.0
    return 3.0 * c.hidden_size * c.moe_intermediate_size


def _compressor(hidden: int, dim: int, ratio: int) -> tuple[float, float]:
    """(matmul, vector) parameters of a V4 compressor producing ``dim``-d entries every ``ratio`` tokens."""
    coff = 2 if ratio == 4 else 1  # CSA pools overlapping windows: two projections (C^a, C^b)
    return 2.0 * hidden * coff * dim, float(ratio * coff * dim + dim)  # wkv + wgate; ape + norm


def _attention(c: ModelConfig, attention: str, ratio: int) -> tuple[float, float]:
    """(matmul, vector) parameters of one attention block (``ratio``: V4 compress ratio of the layer)."""
    d, h = c.hidden_size, c.num_attention_heads
    if attention in ("mla", "mla_dsa"):
        nope, rope = c.qk_nope_head_dim or 0, c.qk_rope_head_dim or 0
        v, kvr = c.v_head_dim or 0, c.kv_lora_rank or 0
        qk = h * (nope + rope)
        q = d * c.q_lora_rank + c.q_lora_rank * qk if c.q_lora_rank else d * qk
        mat = q + d * (kvr + rope) + kvr * h * (nope + v) + h * v * d
        vec = (c.q_lora_rank or 0) + kvr
        if attention == "mla_dsa":
            n_idx, d_idx = c.index_n_heads or 0, c.index_head_dim or 0
            mat += (c.q_lora_rank or d) * n_idx * d_idx + d * d_idx + d * n_idx
            vec += 2 * d_idx
        return float(mat), float(vec)
    if attention == "v4_hybrid":
        hd = c.head_dim or 0
        q = d * c.q_lora_rank + c.q_lora_rank * h * hd if c.q_lora_rank else d * h * hd
        if c.o_groups and c.o_lora_rank:
            o = h * hd * c.o_lora_rank + c.o_groups * c.o_lora_rank * d
        else:
            o = h * hd * d
        m4 = float(q + d * hd + o)
        v4 = float((c.q_lora_rank or 0) + hd + h)  # q_norm, kv_norm, attention sink
        if ratio:
            cm, cv = _compressor(d, hd, ratio)
            m4, v4 = m4 + cm, v4 + cv
        if ratio == 4:
            n_idx, d_idx = c.index_n_heads or 0, c.index_head_dim or 0
            im, iv = _compressor(d, d_idx, ratio)
            m4 += (c.q_lora_rank or d) * n_idx * d_idx + d * n_idx + im
            v4 += iv
        return m4, v4
    # dense MHA / GQA / MQA: q, k, v, o projections
    hd = c.head_dim or d // h
    kv = c.num_key_value_heads or h
    return float(d * h * hd + 2 * d * kv * hd + h * hd * d), 0.0


@by_row_identity()
def _layers(model: Model, include_mtp: bool) -> tuple[_Layer, ...]:
    c = _cfg(model)
    attention = model.attention or ""
    n = c.num_hidden_layers + (c.num_nextn_predict_layers if include_mtp else 0)
    ratios = c.compress_ratios or (0,) * n
    expert = routed_expert_params(model)
    out = []
    for i in range(n):
        mat, vec = _attention(c, attention, ratios[i])
        dense = i < c.first_k_dense_replace or not c.n_routed_experts
        out.append(
            _Layer(
                attn_matmul=mat,
                attn_vector=vec,
                ffn_dense=3.0 * c.hidden_size * (c.intermediate_size or 0) if dense else 0.0,
                shared_experts=0.0 if dense else c.n_shared_experts * expert,
                routed_experts=0.0 if dense else c.n_routed_experts * expert,
                routed_active=0.0 if dense else c.num_experts_per_tok * expert,
                router=0.0 if dense else float(c.n_routed_experts * c.hidden_size),
                vectors=2.0 * c.hidden_size + (0.0 if dense else c.n_routed_experts),
            )
        )
    return tuple(out)


def _mtp_extra(c: ModelConfig) -> tuple[float, float]:
    """(matmul, vector) parameters of the MTP glue per MTP layer: ``eh_proj`` and ``enorm``/``hnorm``."""
    return 2.0 * c.hidden_size * c.hidden_size, 2.0 * c.hidden_size


def component_params(model: Model) -> dict[str, float]:
    """Parameters by component (main model, MTP excluded).

    Returns:
        ``routed_experts``, ``shared_experts``, ``dense`` (attention incl. indexer and compressors, dense FFN,
        norms, router) and ``embeddings`` (embedding + head): numbers of parameters.
    """
    return _components(_cfg(model), _layers(model, include_mtp=False))


def _components(c: ModelConfig, layers: tuple[_Layer, ...]) -> dict[str, float]:
    """:func:`component_params` of the main-model ``layers``."""
    dense = sum(x.attn_matmul + x.attn_vector + x.ffn_dense + x.router + x.vectors for x in layers)
    return {
        "routed_experts": sum(x.routed_experts for x in layers),
        "shared_experts": sum(x.shared_experts for x in layers),
        "dense": dense + c.hidden_size,  # + final norm
        "embeddings": float(c.vocab_size * c.hidden_size * (1 if c.tie_word_embeddings else 2)),
    }


def param_counts(model: Model) -> ParamCounts:
    """Total, active (per token) and MTP parameter counts derived from the config."""
    c = _cfg(model)
    all_layers = _layers(model, include_mtp=True)
    layers, mtp_layers = all_layers[: c.num_hidden_layers], all_layers[c.num_hidden_layers :]
    comp = _components(c, layers)
    total = sum(comp.values())
    # A token reads one row of the embedding table; a tied table is multiplied in full by the head.
    unused_embedding = 0.0 if c.tie_word_embeddings else float((c.vocab_size - 1) * c.hidden_size)
    active = total - comp["routed_experts"] + sum(x.routed_active for x in layers) - unused_embedding
    mtp = sum((x.params + sum(_mtp_extra(c)) for x in mtp_layers), 0.0)
    return ParamCounts(total=total, active=active, mtp=mtp)


@by_row_identity()
def linear_flops_per_token(model: Model, *, include_mtp: bool = False) -> float:
    """FLOPs of the linear layers for one token: 2 × matmul weights multiplied (module docs).

    Attention projections (low-rank q, grouped low-rank o, MLA absorption, indexer and compressor
    projections), dense FFN, shared + active routed experts, router, head; MTP layer(s) with ``include_mtp``.
    """
    c = _cfg(model)
    layers = _layers(model, include_mtp=include_mtp)
    macs = sum(x.attn_matmul + x.ffn_dense + x.shared_experts + x.routed_active + x.router for x in layers)
    macs += c.vocab_size * c.hidden_size  # head
    if include_mtp:
        macs += _mtp_extra(c)[0] * c.num_nextn_predict_layers
    return 2.0 * macs


def flops_per_token(model: Model, context_tokens: ArrayLike, *, include_mtp: bool = False) -> FloatArray:
    """All FLOPs of the forward pass for one decoded token at position ``context_tokens``.

    Linear layers (:func:`linear_flops_per_token`) + attention (core + indexer).
    """
    return linear_flops_per_token(model, include_mtp=include_mtp) + attention_flops_per_token(
        model, context_tokens, include_mtp=include_mtp
    )


def prefill_flops(
    model: Model, prompt_tokens: ArrayLike, cached_tokens: ArrayLike = 0, *, include_mtp: bool = False
) -> FloatArray:
    """FLOPs to prefill the uncached part of a prompt: positions ``cached_tokens+1 .. prompt_tokens``.

    ``(prompt - cached) × linear`` + the closed-form sum of attention over those positions.
    """
    p = tokens(prompt_tokens)
    c = tokens(cached_tokens, allow_zero=True)
    attn = attention_prefill_flops(model, p, c, include_mtp=include_mtp)
    return (p - c) * linear_flops_per_token(model, include_mtp=include_mtp) + attn


def expected_distinct_experts(n_routed: int, k: int, tokens: ArrayLike) -> FloatArray:
    """Expected distinct routed experts a batch of ``tokens`` touches in one MoE layer: ``E·(1-(1-k/E)^n)``.

    Assumes uniform, independent routing (load-balanced MoE); each token picks ``k`` of ``E`` experts.

    Raises:
        ValueError: ``E`` ≤ 0, ``k`` outside ``1..E``, or a negative token count.
    """
    if n_routed <= 0 or not 0 < k <= n_routed:
        raise ValueError(f"need 0 < k <= n_routed, got k={k}, n_routed={n_routed}")
    n = np.asarray(tokens, dtype=np.float64)
    if np.any(n < 0) or not np.all(np.isfinite(n)):
        raise ValueError("tokens must be finite and >= 0")
    return n_routed * (1.0 - (1.0 - k / n_routed) ** n)
