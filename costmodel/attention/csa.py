"""Compressed sparse attention (CSA, DeepSeek-V4 layers with ``compress_ratio = 4``).

Every ``m`` = 4 tokens yield one compressed entry, pooled from an overlapping window of ``2m`` = 8 tokens
(the block and the one before it; the first block has only itself). A lightning indexer
(``index_n_heads`` × ``index_head_dim``, own compressed keys) scores the compressed entries and keeps the top
``index_topk``; core attention runs over those plus the 128-token sliding window (docs/sources.md §1.3).
Decoding the token at position ``t``, with ``c = ⌊t/m⌋`` compressed entries:

* indexer MACs = ``index_n_heads · (index_head_dim + 1) · c`` (the ``+1``: weighted sum over heads;
  docs/sources.md §2.3's ``2·64·128·(L/4)`` omits it);
* core MACs = ``n_heads · 2·head_dim · (min(c, topk) + min(t, window))``
  (docs/sources.md §2.3: ``2H·1024·(min(L/4, topk) + 128)`` FLOPs);
* cache = ``c`` entries + ``c`` indexer keys + the window; read = every indexer key, the selected entries and
  the window.

Indexer key layouts: ``bf16`` 128 × 2 = 256 B; ``deployed`` FP4 with our scale choice (one UE8M0 byte per 32
values): 64 + 4 = 68 B (docs/sources.md §2.2 uses 64 B "+ scales"; §7: exact engine layout unpublished).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.attention.common import (
    EntryLayout,
    KvDtype,
    bf16_layout,
    fp4_layout,
    sum_floor_div,
    sum_min,
    sum_min_floor_div,
)
from costmodel.attention.swa import V4Attention
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class CSA(V4Attention):
    """One CSA layer.

    Attributes:
        index_n_heads: indexer heads.
        index_head_dim: indexer dimension.
        index_topk: compressed entries selected.
        ratio: tokens per compressed entry (4 in V4).
    """

    index_n_heads: int = 64
    index_head_dim: int = 128
    index_topk: int = 1024
    ratio: int = 4
    kind = "csa"

    @property
    def index_macs_per_key(self) -> int:
        """Indexer MACs per scored compressed key."""
        return self.index_n_heads * (self.index_head_dim + 1)

    def index_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one compressed indexer key."""
        return bf16_layout(self.index_head_dim) if kv_dtype == "bf16" else fp4_layout(self.index_head_dim)

    def compressed_entries(self, t: FloatArray) -> FloatArray:
        """Compressed entries that exist at position ``t``."""
        return np.floor(t / self.ratio)

    def selected_entries(self, t: FloatArray) -> FloatArray:
        """Compressed entries attended at position ``t``."""
        return np.minimum(self.compressed_entries(t), self.index_topk)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens."""
        e, i = self.entry_layout(kv_dtype).nbytes, self.index_layout(kv_dtype).nbytes
        return self.compressed_entries(t) * (e + i) + self.window_entries(t) * e

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read at position ``t``."""
        e, i = self.entry_layout(kv_dtype).nbytes, self.index_layout(kv_dtype).nbytes
        return self.compressed_entries(t) * i + (self.selected_entries(t) + self.window_entries(t)) * e

    def index_macs(self, t: FloatArray) -> FloatArray:
        """Indexer MACs at position ``t``."""
        return self.index_macs_per_key * self.compressed_entries(t)

    def macs(self, t: FloatArray) -> FloatArray:
        """Core + indexer MACs to decode the token at position ``t``."""
        core = self.macs_per_entry * (self.selected_entries(t) + self.window_entries(t))
        return core + self.index_macs(t)

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs`."""
        m, k = self.ratio, self.index_topk
        core = self.macs_per_entry * (sum_min_floor_div(n, m, k) + sum_min(n, self.window))
        return core + self.index_macs_sum(n)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`index_macs`."""
        return self.index_macs_per_key * sum_floor_div(n, self.ratio)

    def pool_macs(self, t: FloatArray) -> FloatArray:
        """Pooling MACs at position ``t``: when a block completes, ``min(2m, t)`` tokens × (entry + key) dims."""
        width = np.minimum(2 * self.ratio, t) * (self.head_dim + self.index_head_dim)
        return np.where(t % self.ratio == 0, width, 0).astype(np.float64)
