"""DeepSeek Sparse Attention (DSA, DeepSeek-V3.2): MLA in MQA mode + lightning indexer + top-k.

Per layer, decoding the token at position ``t`` (DeepSeek-V3.2-Exp paper §2; docs/sources.md §2.3, §3.2):

* Lightning indexer: ``index_n_heads`` heads of ``index_head_dim`` score every previous token,
  ``I_t,s = Σ_h w_h · ReLU(q_h · k_s)``: ``index_n_heads · (index_head_dim + 1) · t`` MACs (the ``+1`` is the
  weighted sum over heads, which docs/sources.md §2.3's convention omits: +0.8 % of the indexer).
* Core: absorbed MLA over the ``min(t, index_topk)`` selected tokens,
  ``n_heads · (2·kv_lora_rank + rope_dim) · min(t, topk)`` MACs.
* Cache: one MLA entry and one indexer key per token.

Prefill (SGLang/vLLM V3.2 kernels): a query at position ``t ≤ index_topk`` attends to every previous token
and runs as masked MHA (MLA's MHA mode: ``n_heads · (nope + rope + v)`` MACs per key); beyond ``index_topk``
the sparse MQA (absorbed) kernel over the ``index_topk`` selected tokens; the indexer scores every previous key
in both (it runs in FP8: :meth:`index_macs_sum` is its share).

Layouts (docs/sources.md §2.2): ``bf16`` = 1,152 B MLA entry + 256 B indexer key (vLLM convention);
``deployed`` = vLLM ``fp8_ds_mla``: 512 FP8 + 4 float32 tile scales + 64 BF16 rope = 656 B, indexer key
128 FP8 + one float32 scale = 132 B (the FlashMLA sparse kernels require this layout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.attention.common import EntryLayout, KvDtype, bf16_layout, fp8_tiled_layout, sum_min, sum_t
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class DSA:
    """One DSA layer.

    Attributes:
        n_heads: query heads of the core attention.
        kv_lora_rank: MLA latent dimension.
        rope_dim: decoupled RoPE key dimension.
        index_n_heads: indexer heads.
        index_head_dim: indexer key/query dimension.
        index_topk: tokens selected for core attention.
    """

    n_heads: int
    kv_lora_rank: int
    rope_dim: int
    index_n_heads: int
    index_head_dim: int
    index_topk: int
    nope_dim: int = 0
    v_dim: int = 0
    kind = "dsa"

    @property
    def prefill_macs_per_key(self) -> int:
        """MHA-mode MACs per (query, key) of the masked-MHA prefill (absorbed count when dims are unknown)."""
        if not (self.nope_dim and self.v_dim):
            return self.macs_per_entry
        return self.n_heads * (self.nope_dim + self.rope_dim + self.v_dim)

    @property
    def macs_per_entry(self) -> int:
        """Core MACs per selected entry."""
        return self.n_heads * (2 * self.kv_lora_rank + self.rope_dim)

    @property
    def index_macs_per_key(self) -> int:
        """Indexer MACs per scored key: q·k for each head, then the weighted sum over heads."""
        return self.index_n_heads * (self.index_head_dim + 1)

    def entry_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one MLA entry."""
        if kv_dtype == "bf16":
            return bf16_layout(self.kv_lora_rank + self.rope_dim)
        return fp8_tiled_layout(self.kv_lora_rank, bf16_values=self.rope_dim)

    def index_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one indexer key."""
        if kv_dtype == "bf16":
            return bf16_layout(self.index_head_dim)
        return fp8_tiled_layout(self.index_head_dim)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens: MLA entries and indexer keys."""
        return t * (self.entry_layout(kv_dtype).nbytes + self.index_layout(kv_dtype).nbytes)

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read at position ``t``: every indexer key, the selected MLA entries."""
        e, i = self.entry_layout(kv_dtype).nbytes, self.index_layout(kv_dtype).nbytes
        out: FloatArray = t * i + np.minimum(t, self.index_topk) * e
        return out

    def index_macs(self, t: FloatArray) -> FloatArray:
        """Indexer MACs at position ``t``."""
        return self.index_macs_per_key * t

    def macs(self, t: FloatArray) -> FloatArray:
        """Core + indexer MACs to decode the token at position ``t``."""
        return self.macs_per_entry * np.minimum(t, self.index_topk) + self.index_macs(t)

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs`."""
        return self.macs_per_entry * sum_min(n, self.index_topk) + self.index_macs_sum(n)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`index_macs`."""
        return self.index_macs_per_key * sum_t(n)

    def prefill_macs_sum(self, n: FloatArray) -> FloatArray:
        """MACs of prefilling positions 1..n: masked MHA up to ``index_topk``, sparse MQA beyond, indexer."""
        k = self.index_topk
        dense = self.prefill_macs_per_key * sum_t(np.minimum(n, k))
        sparse = self.macs_per_entry * k * np.maximum(n - k, 0)
        out: FloatArray = dense + sparse + self.index_macs_sum(n)
        return out
