"""An open-weights model's architecture: its config (:class:`ModelConfig`, the fields of the Hugging Face
``config.json``) and the consistency checks that ``schema.Model``'s validator calls: which config fields each
attention kind needs, and the per-layer schedules (V4 ``compress_ratios``; V4.1's CSA2 source / reindex layer
lists) that must agree.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from costmodel.catalog.fields import (
    MAX_CATALOGUE_INT,
    MAX_CONFIG_DIM,
    MAX_CONFIG_LAYERS,
    ConfigNonNegInt,
    ConfigPosInt,
    NoBools,
)


class ModelConfig(NoBools):
    """Architecture fields, named as in the Hugging Face ``config.json`` files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_hidden_layers: Annotated[int, Field(gt=0, le=MAX_CONFIG_LAYERS)]
    hidden_size: ConfigPosInt
    num_attention_heads: ConfigPosInt
    num_key_value_heads: ConfigPosInt | None = None
    head_dim: ConfigPosInt | None = None
    """Per-head dimension (V4: the shared 512-d K=V entry)."""
    intermediate_size: ConfigPosInt | None = None
    """Dense FFN width (layers before ``first_k_dense_replace``, or every layer of a dense model)."""
    vocab_size: ConfigPosInt
    tie_word_embeddings: bool = False
    # MLA / low-rank projections
    q_lora_rank: ConfigPosInt | None = None
    kv_lora_rank: ConfigPosInt | None = None
    qk_nope_head_dim: ConfigPosInt | None = None
    qk_rope_head_dim: ConfigPosInt | None = None
    v_head_dim: ConfigPosInt | None = None
    o_groups: ConfigPosInt | None = None
    o_lora_rank: ConfigPosInt | None = None
    # MoE
    n_routed_experts: ConfigNonNegInt = 0
    n_shared_experts: ConfigNonNegInt = 0
    num_experts_per_tok: ConfigNonNegInt = 0
    moe_intermediate_size: ConfigPosInt | None = None
    first_k_dense_replace: ConfigNonNegInt = 0
    """Number of leading layers with a dense FFN instead of MoE."""
    # Sparse attention (DSA indexer; V4 CSA indexer)
    index_n_heads: ConfigPosInt | None = None
    index_head_dim: ConfigPosInt | None = None
    index_topk: Annotated[int, Field(le=MAX_CONFIG_DIM)] | None = None
    # V4 hybrid attention
    sliding_window: ConfigPosInt | None = None
    compress_ratios: tuple[int, ...] | None = None
    """Per layer (MTP layers last): 0 = window only, 4 = CSA, 128 = HCA."""
    num_nextn_predict_layers: Annotated[int, Field(ge=0, le=MAX_CONFIG_LAYERS)] = 0
    """Multi-token-prediction (MTP) layers; counted only when speculative decoding is on."""
    # V4.1 CSA2 (cross-layer KV reuse) and causal encoder-decoder
    kv_source_layer_ids: tuple[Annotated[int, Field(ge=0, le=MAX_CONFIG_LAYERS)], ...] | None = None
    """Layers that compute compressed KV and index keys (CSA2 "full" layers); the others reuse them."""
    index_source_layer_ids: tuple[Annotated[int, Field(ge=0, le=MAX_CONFIG_LAYERS)], ...] | None = None
    """Layers that run an indexer: the KV sources plus the "reindex" layers (refresh the selection)."""
    candidate_source_layer_id: Annotated[int, Field(ge=0, le=MAX_CONFIG_LAYERS)] | None = None
    """The layer whose indexer first keeps ``candidate_topk_blocks`` blocks (the candidate pool)."""
    candidate_topk_blocks: ConfigPosInt | None = None
    candidate_block_size: ConfigPosInt | None = None
    engram_layer_ids: tuple[Annotated[int, Field(ge=0, le=MAX_CONFIG_LAYERS)], ...] | None = None
    """Layers preceded by an Engram n-gram lookup table."""
    engram_num_embeddings: tuple[Annotated[int, Field(gt=0, le=MAX_CATALOGUE_INT)], ...] | None = None
    """Rows of each Engram table."""
    engram_head_dim: ConfigPosInt | None = None
    engram_n_heads: ConfigPosInt | None = None
    dspark_n_routed_experts: ConfigPosInt | None = None
    """Routed experts of each DSpark draft stage (V4.1; the draft stages are ``num_nextn_predict_layers``)."""
    dspark_num_experts_per_tok: ConfigPosInt | None = None


#: Compression ratios a V4 layer may use: 0 = sliding window only, 4 = CSA, 128 = HCA.
SUPPORTED_COMPRESS_RATIOS = (0, 4, 128)
#: V4.1 (CSA2) ratios: 0 = sliding window only, 1 = one entry per token (layer 20), 2 = one per 2 tokens.
SUPPORTED_CSA2_RATIOS = (0, 1, 2)

_V4_FIELDS = ("head_dim", "qk_rope_head_dim", "sliding_window", "compress_ratios")
_INDEXER = ("index_n_heads", "index_head_dim", "index_topk")
_MLA = ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
NEEDED_FIELDS: dict[str, tuple[str, ...]] = {
    "mha": ("head_dim",),
    "gqa": ("head_dim", "num_key_value_heads"),
    "mqa": ("head_dim",),
    "mla": _MLA,
    "mla_dsa": (*_MLA, *_INDEXER),
    "v4_hybrid": (*_V4_FIELDS, *_INDEXER),
    "v41_csa2": (*_V4_FIELDS, *_INDEXER, "kv_source_layer_ids", "index_source_layer_ids"),
}


def _check_ratios(attention: str, c: ModelConfig) -> None:
    if c.compress_ratios is None:
        return
    supported = SUPPORTED_CSA2_RATIOS if attention == "v41_csa2" else SUPPORTED_COMPRESS_RATIOS
    bad = sorted({r for r in c.compress_ratios if r not in supported})
    if bad:
        raise ValueError(f"config.compress_ratios has unsupported ratios {bad}; supported: {supported}")
    want = c.num_hidden_layers + c.num_nextn_predict_layers
    if len(c.compress_ratios) != want:
        raise ValueError(
            f"config.compress_ratios has {len(c.compress_ratios)} entries, expected "
            f"num_hidden_layers + num_nextn_predict_layers = {want}"
        )


def _check_csa2(c: ModelConfig) -> None:
    """V4.1: sources and reindex layers are compressed layers of the main model; the first compressed layer is a
    source (every reuse layer needs a source at or before it); the candidate layer is a source."""
    ratios = c.compress_ratios or ()
    sources = c.kv_source_layer_ids or ()
    for name, ids in (
        ("kv_source_layer_ids", sources),
        ("index_source_layer_ids", c.index_source_layer_ids or ()),
    ):
        for i in ids:
            if i >= c.num_hidden_layers or ratios[i] == 0:
                raise ValueError(
                    f"config.{name} has layer {i}, which is not a compressed layer of the main model"
                )
    if not set(sources) <= set(c.index_source_layer_ids or ()):
        raise ValueError("config.kv_source_layer_ids must all be in index_source_layer_ids")
    first = next((i for i, r in enumerate(ratios[: c.num_hidden_layers]) if r), None)
    if first is not None and first not in sources:
        raise ValueError(f"layer {first} is the first compressed layer but not in config.kv_source_layer_ids")
    for i, r in enumerate(ratios[: c.num_hidden_layers]):
        src = max((s for s in sources if s <= i), default=None)
        if r and src is not None and ratios[src] != r:
            raise ValueError(f"layer {i} (ratio {r}) reuses source layer {src} of ratio {ratios[src]}")
    cand = c.candidate_source_layer_id
    if cand is not None:
        if cand not in sources:
            raise ValueError(f"config.candidate_source_layer_id {cand} is not a KV source layer")
        if c.candidate_topk_blocks is None or c.candidate_block_size is None:
            raise ValueError("a candidate filter needs candidate_topk_blocks and candidate_block_size")
        if c.index_topk is not None and c.candidate_topk_blocks * c.candidate_block_size < c.index_topk:
            raise ValueError(
                "the candidate pool (candidate_topk_blocks x candidate_block_size) is below index_topk"
            )
    if (c.engram_layer_ids is None) != (c.engram_num_embeddings is None) or len(
        c.engram_layer_ids or ()
    ) != len(c.engram_num_embeddings or ()):
        raise ValueError(
            "config.engram_layer_ids and engram_num_embeddings must be given together, one per table"
        )


def check_architecture(
    open_weights: bool, attention: str | None, c: ModelConfig | None, precision: Any
) -> None:
    """Raise ``ValueError`` if an open-weights model's config does not fit its attention kind. An open-weights
    model whose config is not known has attention, config and weight_precision all null (the row's null_reasons
    say why): its measurements stay in the catalogue, reported as not estimated, and it cannot be self-hosted."""
    if not open_weights:
        return
    if c is None and attention is None and precision is None:
        return  # open weights whose config is not known (null_reasons says why): listed, never estimated
    if c is None or attention is None or precision is None:
        raise ValueError(
            "an open-weights model needs attention, config and weight_precision (or all three null when its "
            "config is not known)"
        )
    kv = c.num_key_value_heads or c.num_attention_heads
    if c.num_attention_heads % kv:
        raise ValueError(
            f"num_attention_heads={c.num_attention_heads} is not divisible by num_key_value_heads={kv}"
        )
    for name in NEEDED_FIELDS[attention]:
        if getattr(c, name) is None:
            raise ValueError(f"attention {attention!r} needs config.{name}")
    if c.index_topk is not None and c.index_topk <= 0:
        raise ValueError(f"config.index_topk must be > 0, got {c.index_topk}")
    if attention == "mqa" and kv != 1:
        raise ValueError(f"attention 'mqa' needs num_key_value_heads=1, got {kv}")
    _check_ratios(attention, c)
    if attention == "v41_csa2":
        _check_csa2(c)
    if c.n_routed_experts and (
        c.moe_intermediate_size is None or not 0 < c.num_experts_per_tok <= c.n_routed_experts
    ):
        raise ValueError(
            "a MoE config needs moe_intermediate_size and 0 < num_experts_per_tok <= n_routed_experts"
        )
    if c.first_k_dense_replace and c.intermediate_size is None:
        raise ValueError("first_k_dense_replace > 0 needs config.intermediate_size")
    if not c.n_routed_experts and c.intermediate_size is None:
        raise ValueError("a dense model needs config.intermediate_size")
