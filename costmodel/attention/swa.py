"""Sliding-window attention as DeepSeek-V4 runs it (window-only layers, ``compress_ratio = 0``).

V4 attention is shared-K=V MQA: one ``head_dim`` (512) vector per token serves as key and value for all
heads (docs/sources.md §1.3). Each query attends to the last ``min(t, window)`` tokens (itself included):
``n_heads · 2 · head_dim`` MACs per attended entry (scores + values; docs/sources.md §2.3: ``2·H·1024`` FLOPs).
The per-head attention sink adds a logit only (no MACs).

Layouts (docs/sources.md §1.3, §2.2): ``bf16`` = 512 × 2 = 1,024 B per entry; ``deployed`` = FP8 for the
``head_dim - rope`` (448) non-RoPE values + BF16 for the 64 RoPE values = 576 B. No scale bytes are added
(docs/sources.md §7: the engines' per-entry scale/padding bytes are not published).

:class:`V4Attention` is the base of :class:`~costmodel.attention.csa.CSA` and
:class:`~costmodel.attention.hca.HCA`: every V4 layer keeps this window branch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.attention.common import EntryLayout, KvDtype, bf16_layout, sum_min
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class V4Attention:
    """A V4 layer with only the sliding-window branch.

    Attributes:
        n_heads: query heads.
        head_dim: dimension of the shared K=V entry.
        rope_dim: RoPE dimensions of the entry (stored in BF16 in the deployed layout).
        window: sliding-window length in tokens.
    """

    n_heads: int
    head_dim: int
    rope_dim: int
    window: int

    kind = "swa"

    @property
    def macs_per_entry(self) -> int:
        """MACs per attended entry: scores and values over the shared ``head_dim`` vector."""
        return self.n_heads * 2 * self.head_dim

    def entry_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one window or compressed entry."""
        if kv_dtype == "bf16":
            return bf16_layout(self.head_dim)
        return EntryLayout(fp8_values=self.head_dim - self.rope_dim, bf16_values=self.rope_dim)

    def window_entries(self, t: FloatArray) -> FloatArray:
        """Raw tokens in the window at position ``t``."""
        return np.minimum(t, self.window)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens (the window)."""
        return self.window_entries(t) * self.entry_layout(kv_dtype).nbytes

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read at position ``t``: everything stored (the window; HCA: also every compressed entry)."""
        return self.kv_cache_bytes(t, kv_dtype)

    def macs(self, t: FloatArray) -> FloatArray:
        """MACs to decode the token at position ``t``."""
        return self.macs_per_entry * self.window_entries(t)

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs`."""
        return self.macs_per_entry * sum_min(n, self.window)

    def prefill_macs_sum(self, n: FloatArray) -> FloatArray:
        """MACs of prefilling positions 1..n: the decode counting of each position (the same kernels)."""
        return self.macs_sum(n)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """Indexer share of :meth:`macs_sum` (none here)."""
        return np.zeros_like(n)
