"""Multi-head latent attention (MLA, DeepSeek-V2/V3; Kimi K2), absorbed decode.

Per layer and token MLA stores one latent ``c_kv`` (``kv_lora_rank`` = 512) plus a shared RoPE key
(``qk_rope_head_dim`` = 64): 576 values, 1,152 bytes in BF16. DeepSeek-V3 (61 layers) therefore keeps
61 × 576 × 2 = 70,272 bytes per token (DeepSeek ISCA'25, "Insights into DeepSeek-V3", Table 1).

Absorbed decode (the up-projections folded into q and into the output; "MQA mode" of MLA, DeepSeek-V3.2
paper §2): every head scores the 576-d entry and sums 512-d latents, so per attended token
``n_heads · (kv_lora_rank + qk_rope_head_dim)`` + ``n_heads · kv_lora_rank`` MACs
(docs/sources.md §2.3: ``128 · (576 + 512)``). The absorption matmuls themselves cost as many MACs as ``wkv_b`` has
parameters and are counted with the linear layers in :mod:`costmodel.attention.compute`.

Prefill ("MHA mode", what SGLang/vLLM/FlashAttention run for prompts of dense MLA): the latents are
up-projected once per token (the same MACs as ``wkv_b`` has parameters, counted with the linear layers) and
every head attends with keys of ``qk_nope_head_dim + qk_rope_head_dim`` and values of ``v_head_dim``:
``n_heads · (nope + rope + v)`` MACs per key, 128 · 320 for V3 against 128 · 1,088 absorbed (3.4× fewer). When
the config lacks ``nope``/``v`` (0) prefill falls back to the absorbed count.

``deployed`` = BF16: the default KV dtype of vLLM/SGLang for V3 and K2 (``kv_cache_dtype=auto``); ``fp8`` stores
the latent and its rope part in one byte per value (576 B per entry for V3; ``kv_cache_dtype=fp8``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.attention.common import EntryLayout, KvDtype, bf16_layout, fp8_layout, sum_t
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class MLA:
    """One MLA layer with dense attention over every previous token.

    Attributes:
        n_heads: query heads.
        kv_lora_rank: latent dimension (also the value dimension in absorbed decode).
        rope_dim: decoupled RoPE key dimension.
    """

    n_heads: int
    kv_lora_rank: int
    rope_dim: int
    nope_dim: int = 0
    v_dim: int = 0
    kind = "mla"

    @property
    def prefill_macs_per_key(self) -> int:
        """MHA-mode MACs per (query, key) in prefill: per head, nope + rope score dims and v value dims."""
        if not (self.nope_dim and self.v_dim):
            return self.macs_per_entry
        return self.n_heads * (self.nope_dim + self.rope_dim + self.v_dim)

    @property
    def macs_per_entry(self) -> int:
        """MACs per attended cache entry: scores over latent+rope, values over the latent."""
        return self.n_heads * (2 * self.kv_lora_rank + self.rope_dim)

    def entry_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one latent entry: BF16 (``deployed`` and ``bf16``) or FP8 (latent and rope, one byte each)."""
        values = self.kv_lora_rank + self.rope_dim
        return fp8_layout(values) if kv_dtype == "fp8" else bf16_layout(values)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens."""
        return t * self.entry_layout(kv_dtype).nbytes

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read to decode the token at position ``t``: every entry stored."""
        return self.kv_cache_bytes(t, kv_dtype)

    def macs(self, t: FloatArray) -> FloatArray:
        """MACs to decode the token at position ``t``."""
        return self.macs_per_entry * t

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs`."""
        return self.macs_per_entry * sum_t(n)

    def prefill_macs_sum(self, n: FloatArray) -> FloatArray:
        """MACs of prefilling positions 1..n in MHA mode."""
        return self.prefill_macs_per_key * sum_t(n)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """No indexer."""
        return np.zeros_like(n)
