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

from costmodel.attention import NoArchitectureError, _why, attention_flops_per_token, attention_prefill_flops
from costmodel.attention.common import tokens
from costmodel.attention.csa2 import CSA2Reindex, CSA2Source, csa2_layers
from costmodel.attention.swa import V4Attention
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
    "prefill_active_params",
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
            f"model {model.id!r} has no published architecture ({_why(model)}): parameters need a config"
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
        m4, v4 = _v4_core(c)
        hd = c.head_dim or 0
        if ratio:
            cm, cv = _compressor(d, hd, ratio)
            m4, v4 = m4 + cm, v4 + cv
        if ratio == 4:
            n_idx, d_idx = c.index_n_heads or 0, c.index_head_dim or 0
            im, iv = _compressor(d, d_idx, ratio)
            m4 += (c.q_lora_rank or d) * n_idx * d_idx + d * n_idx + im
            v4 += iv
        return m4, v4
    if attention == "v41_csa2":  # the per-layer role decides: _attention_csa2 (ratio alone does not)
        return _v4_core(c)
    # dense MHA / GQA / MQA: q, k, v, o projections
    hd = c.head_dim or d // h
    kv = c.num_key_value_heads or h
    return float(d * h * hd + 2 * d * kv * hd + h * hd * d), 0.0


def _v4_core(c: ModelConfig) -> tuple[float, float]:
    """(matmul, vector) parameters of a V4 / V4.1 attention block without compressor or indexer: low-rank q, the
    window ``wkv``, grouped low-rank o; q_norm, kv_norm, the per-head sink."""
    d, h, hd = c.hidden_size, c.num_attention_heads, c.head_dim or 0
    q = d * c.q_lora_rank + c.q_lora_rank * h * hd if c.q_lora_rank else d * h * hd
    o = (
        h * hd * c.o_lora_rank + c.o_groups * c.o_lora_rank * d
        if c.o_groups and c.o_lora_rank
        else h * hd * d
    )
    return float(q + d * hd + o), float((c.q_lora_rank or 0) + hd + h)


def _attention_csa2(c: ModelConfig, mech: V4Attention) -> tuple[float, float]:
    """(matmul, vector) parameters of one V4.1 attention block, by CSA2 role (ASSUMPTION: only the roles are
    published, not the tensor shapes). Every layer: :func:`_v4_core`. A ratio-2 source adds V4's CSA compressor
    and indexer (query ``wq_b``, ``weights_proj``, own key compressor); the ratio-1 source (no pooling gate) a key
    projection ``[hidden, d_idx]`` and the indexer query; a reindex layer only the indexer query
    (``wq_b [q_lora, n_idx·d_idx]`` and ``weights_proj [hidden, n_idx]``); a reuse layer nothing."""
    m, v = _v4_core(c)
    if not isinstance(mech, CSA2Source | CSA2Reindex):
        return m, v
    d = c.hidden_size
    n_idx, d_idx = c.index_n_heads or 0, c.index_head_dim or 0
    m += (c.q_lora_rank or d) * n_idx * d_idx + d * n_idx
    if isinstance(mech, CSA2Source):
        if mech.ratio == 1:
            m += d * d_idx
            v += d_idx
        else:
            for dim in (c.head_dim or 0, d_idx):
                cm, cv = _compressor(d, dim, 4)  # two projections for overlapping windows, as CSA
                m, v = m + cm, v + cv - 4 * 2 * dim + mech.ratio * 2 * dim  # ape sized by this ratio
    return m, v


@by_row_identity()
def _layers(model: Model, include_mtp: bool) -> tuple[_Layer, ...]:
    c = _cfg(model)
    attention = model.attention or ""
    n = c.num_hidden_layers + (c.num_nextn_predict_layers if include_mtp else 0)
    ratios = c.compress_ratios or (0,) * n
    mechs = csa2_layers(c, n) if attention == "v41_csa2" else []
    expert = routed_expert_params(model)
    out = []
    for i in range(n):
        mat, vec = _attention_csa2(c, mechs[i]) if mechs else _attention(c, attention, ratios[i])
        dense = i < c.first_k_dense_replace or not c.n_routed_experts
        n_routed, k = c.n_routed_experts, c.num_experts_per_tok
        if i >= c.num_hidden_layers and c.dspark_n_routed_experts:  # V4.1's DSpark draft stages
            n_routed, k = c.dspark_n_routed_experts, c.dspark_num_experts_per_tok or k
        out.append(
            _Layer(
                attn_matmul=mat,
                attn_vector=vec,
                ffn_dense=3.0 * c.hidden_size * (c.intermediate_size or 0) if dense else 0.0,
                shared_experts=0.0 if dense else c.n_shared_experts * expert,
                routed_experts=0.0 if dense else n_routed * expert,
                routed_active=0.0 if dense else k * expert,
                router=0.0 if dense else float(n_routed * c.hidden_size),
                vectors=2.0 * c.hidden_size + (0.0 if dense else n_routed),
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


def _decoder_layers(model: Model) -> list[int]:
    """Indices of the main-model layers that prefill runs only on a request's last tokens (V4.1's decoder)."""
    c = _cfg(model)
    if model.attention != "v41_csa2":
        return []
    mechs = csa2_layers(c, c.num_hidden_layers)
    return [i for i, m in enumerate(mechs) if getattr(m, "prefill_tail", 0)]


def _prefill_tail(model: Model) -> int:
    """Positions at the end of a prompt that run through every layer and the head (0: every position does)."""
    c = _cfg(model)
    return (c.sliding_window or 0) if _decoder_layers(model) else 0


def prefill_active_params(model: Model) -> float:
    """Parameters a prompt token uses in prefill (numbers of parameters).

    Equal to :attr:`ParamCounts.active` except for V4.1, whose decoder layers (past the last KV source) and head
    run only on a request's last ``sliding_window`` tokens (vLLM PR 56752, our reading of the published 8B):
    active minus those layers' active parameters and the head.
    """
    c = _cfg(model)
    active = param_counts(model).active
    dec = _decoder_layers(model)
    if not dec:
        return active
    layers = _layers(model, include_mtp=False)
    per = sum(x.params - x.routed_experts + x.routed_active for i, x in enumerate(layers) if i in dec)
    return active - per - c.vocab_size * c.hidden_size


def _decoder_linear_flops(model: Model) -> float:
    """Linear FLOPs per token of the decoder layers and the head (V4.1; 0 for other models)."""
    dec = _decoder_layers(model)
    if not dec:
        return 0.0
    c = _cfg(model)
    layers = _layers(model, include_mtp=False)
    macs = sum(
        x.attn_matmul + x.ffn_dense + x.shared_experts + x.routed_active + x.router
        for i, x in enumerate(layers)
        if i in dec
    )
    return 2.0 * (macs + c.vocab_size * c.hidden_size)


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

    ``(prompt - cached) × linear`` + the closed-form sum of attention over those positions. V4.1: the decoder
    layers and the head run on the last ``min(prompt - cached, sliding_window)`` positions only
    (:func:`prefill_active_params`).
    """
    p = tokens(prompt_tokens)
    c = tokens(cached_tokens, allow_zero=True)
    attn = attention_prefill_flops(model, p, c, include_mtp=include_mtp)
    linear = linear_flops_per_token(model, include_mtp=include_mtp)
    tail = _prefill_tail(model)
    if not tail:
        return (p - c) * linear + attn
    dec = _decoder_linear_flops(model)
    return (p - c) * (linear - dec) + np.minimum(p - c, tail) * dec + attn


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
