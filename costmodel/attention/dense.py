"""Dense multi-head, grouped-query and multi-query attention (MHA / GQA / MQA).

Per layer, for a sequence of ``t`` tokens (the decoded token included, causal):

* KV cache: ``t · n_kv_heads · (head_dim + v_head_dim)`` values; in BF16 that is the textbook
  ``2 · n_kv_heads · head_dim · 2`` bytes per token per layer when ``v_head_dim == head_dim``.
* Decode MACs: scores ``n_heads · head_dim · t`` + weighted values ``n_heads · v_head_dim · t``.
  GQA/MQA share K/V between heads: the stored bytes shrink, the MACs do not.

``deployed`` = ``bf16`` here: BF16 is the default KV dtype of vLLM/SGLang (``kv_cache_dtype=auto``) for dense
models; ``fp8`` stores every K and V value in one byte (``kv_cache_dtype=fp8``). Source of the convention: Vaswani et al. 2017; Ainslie et al. 2023 (GQA); Shazeer 2019 (MQA).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from costmodel.attention.common import EntryLayout, KvDtype, bf16_layout, fp8_layout, sum_t
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class DenseAttention:
    """One dense attention layer.

    Attributes:
        kind: ``mha`` (n_kv_heads = n_heads), ``gqa`` or ``mqa`` (n_kv_heads = 1).
        n_heads: query heads.
        n_kv_heads: key/value heads.
        head_dim: query/key dimension per head.
        v_head_dim: value dimension per head.
    """

    kind: Literal["mha", "gqa", "mqa"]
    n_heads: int
    n_kv_heads: int
    head_dim: int
    v_head_dim: int

    def entry_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one token's K and V (all KV heads) in this layer: BF16 (``deployed`` and ``bf16``) or FP8."""
        values = self.n_kv_heads * (self.head_dim + self.v_head_dim)
        return fp8_layout(values) if kv_dtype == "fp8" else bf16_layout(values)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens."""
        return t * self.entry_layout(kv_dtype).nbytes

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read to decode the token at position ``t``: every K and V (everything stored)."""
        return self.kv_cache_bytes(t, kv_dtype)

    def macs(self, t: FloatArray) -> FloatArray:
        """MACs to decode the token at position ``t``."""
        return self.n_heads * (self.head_dim + self.v_head_dim) * t

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs` (a prefill of ``n`` tokens)."""
        return self.n_heads * (self.head_dim + self.v_head_dim) * sum_t(n)

    def prefill_macs_sum(self, n: FloatArray) -> FloatArray:
        """MACs of prefilling positions 1..n: the decode counting of each position (the same kernels)."""
        return self.macs_sum(n)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """Indexer share of :meth:`macs_sum` (none here)."""
        return np.zeros_like(n)
