"""Small hand-made model rows for the attention/compute tests (validated by the real catalogue schema)."""

from __future__ import annotations

from typing import Any

from costmodel.catalog import Model

_ROW: dict[str, Any] = {
    "name": "test model",
    "provider": "test",
    "open_weights": True,
    "total_params_b": None,
    "active_params_b": None,
    "context_window_tokens": None,
    "max_output_tokens": None,
    "weight_precision": {"routed_experts": "bf16", "shared_experts": "bf16", "dense": "bf16"},
    "source": "test fixture",
    "as_of": "2026-11-20",
    "confidence": "derived",
    "null_reasons": {
        "total_params_b": "test",
        "active_params_b": "test",
        "context_window_tokens": "test",
        "max_output_tokens": "test",
    },
}


def make_model(attention: str, model_id: str = "tiny", **config: Any) -> Model:
    """A validated ``Model`` with the given attention kind and config fields."""
    base: dict[str, Any] = {"hidden_size": 64, "vocab_size": 100, "intermediate_size": 128}
    return Model.model_validate(
        {**_ROW, "id": model_id, "attention": attention, "config": {**base, **config}}
    )


#: The low-rank projections and the small MoE every tiny V4-family model shares.
TINY_PROJECTIONS_AND_MOE: dict[str, Any] = {
    "q_lora_rank": 16,
    "o_groups": 2,
    "o_lora_rank": 8,
    "n_routed_experts": 8,
    "n_shared_experts": 1,
    "num_experts_per_tok": 2,
    "moe_intermediate_size": 32,
}


def tiny_v4(
    *,
    ratios: tuple[int, ...] = (0, 4, 128, 4, 0),
    n_heads: int = 2,
    head_dim: int = 12,
    rope_dim: int = 4,
    window: int = 8,
    ratio_topk: int = 3,
    index_n_heads: int = 2,
    index_head_dim: int = 8,
    mtp: int = 1,
) -> Model:
    """A reduced DeepSeek-V4-style hybrid model (last ``mtp`` ratios are the MTP layers)."""
    return make_model(
        "v4_hybrid",
        num_hidden_layers=len(ratios) - mtp,
        num_nextn_predict_layers=mtp,
        num_attention_heads=n_heads,
        num_key_value_heads=1,
        head_dim=head_dim,
        qk_rope_head_dim=rope_dim,
        sliding_window=window,
        compress_ratios=list(ratios),
        index_n_heads=index_n_heads,
        index_head_dim=index_head_dim,
        index_topk=ratio_topk,
        **TINY_PROJECTIONS_AND_MOE,
    )


#: A dense GQA model file in the data/models.yaml schema (Llama-3-8B shapes: meta-llama/Meta-Llama-3-8B
#: config.json: 32 layers, hidden 4096, 32 heads, 8 KV heads, head_dim 128, FFN 14336, vocab 128256).
GQA_YAML = """
models:
  - id: llama-3-8b
    name: Llama 3 8B
    provider: meta
    open_weights: true
    attention: gqa
    total_params_b: 8.03
    active_params_b: 8.03
    context_window_tokens: 8192
    max_output_tokens: null
    weight_precision: {routed_experts: bf16, shared_experts: bf16, dense: bf16}
    config:
      num_hidden_layers: 32
      hidden_size: 4096
      num_attention_heads: 32
      num_key_value_heads: 8
      head_dim: 128
      intermediate_size: 14336
      vocab_size: 128256
    source: https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json
    as_of: 2026-11-20
    confidence: official
    null_reasons: {max_output_tokens: not a property of the weights}
"""


def tiny_v41(*, window: int = 4, topk: int = 3, blocks: int = 3, block_size: int = 2, mtp: int = 1) -> Model:
    """A reduced DeepSeek-V4.1-style CSA2 model: layer 0 window-only; 1-4 ratio 2 (sources 1, 3); 5-9 ratio 1
    (source 5 with a candidate filter of ``blocks`` x ``block_size``, reindex 7, reuse 6, 8, 9); decoder layers 6-9;
    ``mtp`` window-only draft stages last."""
    ratios = (0, 2, 2, 2, 2, 1, 1, 1, 1, 1, *([0] * mtp))
    return make_model(
        "v41_csa2",
        "tiny-v41",
        num_hidden_layers=10,
        num_nextn_predict_layers=mtp,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=32,
        qk_rope_head_dim=4,
        sliding_window=window,
        compress_ratios=list(ratios),
        index_n_heads=2,
        index_head_dim=16,
        index_topk=topk,
        kv_source_layer_ids=[1, 3, 5],
        index_source_layer_ids=[1, 3, 5, 7],
        candidate_source_layer_id=5,
        candidate_topk_blocks=blocks,
        candidate_block_size=block_size,
        **TINY_PROJECTIONS_AND_MOE,
    )
