"""Compressed sparse attention 2 (CSA2, DeepSeek-V4.1): cross-layer KV reuse and a causal encoder-decoder.

V4.1 keeps V4's attention (shared-K=V MQA over one ``head_dim`` entry, a 128-token sliding window on every layer),
but only the layers in ``kv_source_layer_ids`` compute compressed KV; the others reuse it (facts-2026-12 §1.5,
Automodel PR 3855: "Full layers produce compressed KV and index keys, Reindex layers refresh the selection against
shared keys, and Reuse layers consume the shared KV and selection"). Each compressed layer reads the KV of the
latest source at or before it, whose ratio it shares (V4.1: layers 2-19 ratio 2, sources 2, 8, 14; layers 20-39
ratio 1, source 20). Roles, decoding the token at position ``t`` with ``c = ⌊t/ratio⌋`` source entries:

* **source** (:class:`CSA2Source`): stores ``c`` entries and ``c`` index keys (+ its window); its indexer scores all
  ``c`` keys, ``index_n_heads · (index_head_dim + 1) · c`` MACs (as CSA); core attention over
  ``min(c, index_topk)`` selected entries + the window.
  The candidate source (layer 20) keeps the best ``candidate_topk_blocks`` blocks of ``candidate_block_size``
  tokens (block score = the best token score in it: OUR READING, the config gives only the sizes) as the
  candidate pool, ``P = blocks × block size`` = 16,384 tokens, and its top-k is taken inside the pool (the same
  set: a block holding a top-k token scores at least the k-th score). No MACs beyond the token scores.
* **reindex** (:class:`CSA2Reindex`): stores only its window; a fresh indexer query scores the shared keys of the
  candidate pool (``min(c, P)``; every source entry without a pool) and keeps the top ``index_topk``.
* **reuse** (:class:`CSA2Reuse`): stores only its window; attends the latest selection (``min(c, index_topk)``
  entries) + its window. No indexer.

Layers with ratio 0 (0, 1 and the 3 DSpark draft stages) are window-only :class:`~costmodel.attention.swa.V4Attention`.

**Encoder-decoder.** Layers past the last KV source (21-39) are decoder layers: they own only window KV, and in
prefill "run on each request's last 128 tokens only" (vLLM PR 56752): :attr:`CSA2Base.prefill_tail` = the window.

**Layouts.** Global entries and index keys (``deployed``): FP4 E2M1 with one E4M3 scale per 16 channels, 288 B per
512-d entry and 72 B per 128-d key (third-party summary of the paper §2.4.4); ``bf16``: 1,024 and 256 B. Window
entries as V4 (576 B deployed: ASSUMPTION, the engines' window layout for V4.1 is not published).

Pooling (ratio 2: V4's CSA scheme, overlapping ``2m`` windows, ASSUMPTION; ratio 1: none, "no pooling gate") is
:meth:`CSA2Source.pool_macs`, held against the simulation and left out of the figures as in V4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from costmodel.attention.common import (
    EntryLayout,
    KvDtype,
    bf16_layout,
    fp4_e4m3_layout,
    sum_floor_div,
    sum_min,
    sum_min_floor_div,
)
from costmodel.attention.swa import V4Attention
from costmodel.catalog import ModelConfig
from costmodel.catalog.units import FloatArray


@dataclass(frozen=True)
class CSA2Base(V4Attention):
    """What every compressed V4.1 layer shares.

    Attributes:
        ratio: tokens per entry of the KV source this layer reads (its own for a source).
        index_n_heads: indexer heads (sources and reindex layers).
        index_head_dim: indexer key dimension.
        index_topk: entries selected.
        pool_tokens: the candidate pool the selection is made in (0: every source entry).
        source_layer: the layer whose KV (and, for reuse, selection) this layer reads.
        prefill_tail: in prefill, only the last ``prefill_tail`` positions run (decoder layers; 0 = all).
    """

    ratio: int = 2
    index_n_heads: int = 32
    index_head_dim: int = 128
    index_topk: int = 512
    pool_tokens: int = 0
    source_layer: int = 0
    prefill_tail: int = 0

    def global_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one shared (global) KV entry."""
        return bf16_layout(self.head_dim) if kv_dtype == "bf16" else fp4_e4m3_layout(self.head_dim)

    def index_layout(self, kv_dtype: KvDtype) -> EntryLayout:
        """Layout of one shared index key."""
        return (
            bf16_layout(self.index_head_dim) if kv_dtype == "bf16" else fp4_e4m3_layout(self.index_head_dim)
        )

    @property
    def index_macs_per_key(self) -> int:
        """Indexer MACs per scored key (scores + the weighted sum over heads)."""
        return self.index_n_heads * (self.index_head_dim + 1)

    def source_entries(self, t: FloatArray) -> FloatArray:
        """Entries of the KV source at position ``t``."""
        return np.floor(t / self.ratio)

    def pool_entries(self, t: FloatArray) -> FloatArray:
        """Entries the selection is made among (the candidate pool, or every source entry)."""
        c = self.source_entries(t)
        return np.minimum(c, self.pool_tokens) if self.pool_tokens else c

    def selected_entries(self, t: FloatArray) -> FloatArray:
        """Entries attended at position ``t``."""
        return np.minimum(self.pool_entries(t), self.index_topk)

    def _sum_source(self, n: FloatArray) -> FloatArray:
        return sum_floor_div(n, self.ratio)

    def _sum_pool(self, n: FloatArray) -> FloatArray:
        return sum_min_floor_div(n, self.ratio, self.pool_tokens) if self.pool_tokens else self._sum_source(n)

    def _sum_selected(self, n: FloatArray) -> FloatArray:
        k = min(self.index_topk, self.pool_tokens) if self.pool_tokens else self.index_topk
        return sum_min_floor_div(n, self.ratio, k)

    def index_macs(self, t: FloatArray) -> FloatArray:
        """Indexer MACs at position ``t`` (none here)."""
        return np.zeros_like(t)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes this layer stores: its window (the shared KV belongs to the source)."""
        return self.window_entries(t) * self.entry_layout(kv_dtype).nbytes

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read at position ``t``: the selected shared entries + the window."""
        g, w = self.global_layout(kv_dtype).nbytes, self.entry_layout(kv_dtype).nbytes
        return self.selected_entries(t) * g + self.window_entries(t) * w

    def macs(self, t: FloatArray) -> FloatArray:
        """Core + indexer MACs to decode the token at position ``t``."""
        return self.macs_per_entry * (self.selected_entries(t) + self.window_entries(t)) + self.index_macs(t)

    def macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`macs`."""
        core = self.macs_per_entry * (self._sum_selected(n) + sum_min(n, self.window))
        return core + self.index_macs_sum(n)


@dataclass(frozen=True)
class CSA2Source(CSA2Base):
    """A CSA2 full layer: computes the shared KV and index keys, scores them all, selects top-k.

    Attributes:
        candidate_blocks: blocks kept by the level-1 candidate filter (0: no filter on this layer).
        candidate_block_size: tokens per candidate block.
    """

    candidate_blocks: int = 0
    candidate_block_size: int = 0
    kind = "csa2_source"

    def index_macs(self, t: FloatArray) -> FloatArray:
        """Indexer MACs at position ``t``: every source entry's key is scored."""
        return self.index_macs_per_key * self.source_entries(t)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`index_macs`."""
        return self.index_macs_per_key * self._sum_source(n)

    def kv_cache_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes stored: the shared entries and index keys + the window."""
        g, i = self.global_layout(kv_dtype).nbytes, self.index_layout(kv_dtype).nbytes
        return self.source_entries(t) * (g + i) + self.window_entries(t) * self.entry_layout(kv_dtype).nbytes

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read: every index key, the selected entries, the window."""
        return self.source_entries(t) * self.index_layout(kv_dtype).nbytes + super().kv_read_bytes(
            t, kv_dtype
        )

    def pool_macs(self, t: FloatArray) -> FloatArray:
        """Pooling MACs at position ``t`` (ratio ≥ 2: ``min(2m, t)`` tokens × (entry + key) dims when a block
        completes, as V4's CSA; ratio 1: none)."""
        if self.ratio == 1:
            return np.zeros_like(t)
        width = np.minimum(2 * self.ratio, t) * (self.head_dim + self.index_head_dim)
        return np.where(t % self.ratio == 0, width, 0).astype(np.float64)


@dataclass(frozen=True)
class CSA2Reindex(CSA2Base):
    """A CSA2 reindex layer: a fresh indexer query over the shared keys of the pool, own top-k."""

    kind = "csa2_reindex"

    def index_macs(self, t: FloatArray) -> FloatArray:
        """Indexer MACs at position ``t``: the pool's keys are scored."""
        return self.index_macs_per_key * self.pool_entries(t)

    def index_macs_sum(self, n: FloatArray) -> FloatArray:
        """Σ_{t=1..n} :meth:`index_macs`."""
        return self.index_macs_per_key * self._sum_pool(n)

    def kv_read_bytes(self, t: FloatArray, kv_dtype: KvDtype) -> FloatArray:
        """Bytes read: the pool's index keys, the selected entries, the window."""
        return self.pool_entries(t) * self.index_layout(kv_dtype).nbytes + super().kv_read_bytes(t, kv_dtype)


@dataclass(frozen=True)
class CSA2Reuse(CSA2Base):
    """A CSA2 reuse layer: attends the latest selection over the shared KV (no indexer)."""

    kind = "csa2_reuse"


@dataclass(frozen=True)
class DecoderWindow(V4Attention):
    """A window-only layer past the last KV source (a decoder layer): prefill runs only its last positions."""

    prefill_tail: int = 0
    kind = "swa"


def csa2_layers(c: ModelConfig, n: int) -> list[V4Attention]:
    """The mechanism of each of the first ``n`` layers of a V4.1 config (module docs; MTP/DSpark stages last).

    Raises:
        ValueError: a needed config field is missing.
    """
    need = (
        "head_dim",
        "qk_rope_head_dim",
        "sliding_window",
        "compress_ratios",
        "index_n_heads",
        "index_head_dim",
        "index_topk",
        "kv_source_layer_ids",
        "index_source_layer_ids",
    )
    missing = [f for f in need if getattr(c, f) is None]
    if missing:
        raise ValueError(f"config.{missing[0]} is needed for CSA2 attention")
    assert c.head_dim and c.qk_rope_head_dim and c.sliding_window and c.compress_ratios  # for mypy
    assert c.index_n_heads and c.index_head_dim and c.index_topk
    sources = sorted(c.kv_source_layer_ids or ())
    reindex = set(c.index_source_layer_ids or ()) - set(sources)
    last_source = sources[-1] if sources else -1
    cand = c.candidate_source_layer_id
    pool = (c.candidate_topk_blocks or 0) * (c.candidate_block_size or 0) if cand is not None else 0
    base = {
        "n_heads": c.num_attention_heads,
        "head_dim": c.head_dim,
        "rope_dim": c.qk_rope_head_dim,
        "window": c.sliding_window,
    }
    index = {"index_n_heads": c.index_n_heads, "index_head_dim": c.index_head_dim, "index_topk": c.index_topk}
    out: list[V4Attention] = []
    for i, r in enumerate(c.compress_ratios[:n]):
        main = i < c.num_hidden_layers
        tail = c.sliding_window if main and i > last_source else 0
        if r == 0 or not main:
            out.append(DecoderWindow(**base, prefill_tail=tail) if tail else V4Attention(**base))
            continue
        src = max(s for s in sources if s <= i)
        in_pool = pool if cand is not None and src == cand else 0
        common = {
            **base,
            **index,
            "ratio": r,
            "pool_tokens": in_pool,
            "source_layer": src,
            "prefill_tail": tail,
        }
        if i == src:
            blocks = (c.candidate_topk_blocks or 0) if i == cand else 0
            size = (c.candidate_block_size or 0) if i == cand else 0
            out.append(CSA2Source(**common, candidate_blocks=blocks, candidate_block_size=size))
        elif i in reindex:
            out.append(CSA2Reindex(**common))
        else:
            out.append(CSA2Reuse(**common))
    return out
