"""Heavily compressed attention (HCA, DeepSeek-V4 layers with ``compress_ratio = 128``).

Every ``m`` = 128 tokens are pooled (learned softmax gates, no overlap) into one compressed entry; there is
no indexer: every compressed entry is attended, plus the 128-token sliding window (docs/sources.md §1.3).
Decoding the token at position ``t``:

* entries attended = ``⌊t/m⌋ + min(t, window)`` (a block is compressed once its ``m`` tokens exist);
* MACs = ``n_heads · 2·head_dim`` per entry (docs/sources.md §2.3: HCA layer ``2H·1024·(L/128 + 128)`` FLOPs);
* cache = the same entries in the entry layout of :mod:`costmodel.attention.swa`.

Compressor pooling (``m · head_dim`` MACs each time a block completes, < 1 % of the layer's attention at
any context) and the compressor's projections are not in the attention count: the projections are linear
layers (:mod:`costmodel.attention.compute`); the pooling is :meth:`HCA.pool_macs` (CSA: :meth:`CSA.pool_macs`), held
equal to the simulation and under 1 % of :meth:`HCA.macs` by the tests, and left out of every figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.attention.common import KvDtype, sum_floor_div, sum_min
from costmodel.attention.swa import V4Attention
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class HCA(V4Attention):
    """One HCA layer (window branch + every compressed entry).

    Attributes:
        ratio: tokens per compressed entry (128 in V4).
    """

    ratio: int = 128
    kind = "hca"

    def compressed_entries(self, t: FloatArray) -> FloatArray:
        """Compressed entries that exist at position ``t``."""
        return np.floor(t / self.ratio)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored for ``t`` tokens: compressed entries + window."""
        return (self.compressed_entries(t) + self.window_entries(t)) * self.entry_layout(kv_dtype).nbytes

    def macs(self, t: FloatArray) -> FloatArray:
        """MACs to decode the token at position ``t``."""
        return self.macs_per_entry * (self.compressed_entries(t) + self.window_entries(t))

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs`."""
        return self.macs_per_entry * (sum_floor_div(n, self.ratio) + sum_min(n, self.window))

    def pool_macs(self, t: FloatArray) -> FloatArray:
        """Pooling MACs spent at position ``t``: ``m · head_dim`` when a block completes."""
        return np.where(t % self.ratio == 0, self.ratio * self.head_dim, 0).astype(np.float64)
