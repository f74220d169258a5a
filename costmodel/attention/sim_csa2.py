"""Reference simulation of DeepSeek-V4.1's CSA2 layer stack (cross-layer KV reuse), counted as it runs.

CSA2 layers share state (a reuse layer reads its source's KV and the latest selection), so the layers of one model
are simulated together, token by token and layer by layer in order (:func:`simulate_csa2`), with the cache tables
and counters of :mod:`costmodel.attention.sim`:

* a **source** encodes its shared entries and index keys (FP4 with a byte scale per 16 values, or BF16); ratio 2
  pools each block with the block before it as V4's CSA (gated softmax, learned positional bias), ratio 1 stores
  each token's vector as is ("no pooling gate"); its indexer scores every key with a fresh query; the candidate
  source ranks the **complete** blocks of ``candidate_block_size`` keys by their best score and keeps the top
  ``candidate_blocks`` as the pool (every entry while there are no more than ``blocks × size``; an incomplete last
  block's tokens are in the window anyway), then takes its top-k inside the pool;
* a **reindex** layer scores the pool's keys (read from the source) with its own query and keeps its top-k;
* a **reuse** layer reads the latest selection of its source's group;
* every layer keeps its own window and attends selected entries + window.

``prefill``: decoder layers (``prefill_tail`` > 0) run only the last ``prefill_tail`` positions of ``length``.
The closed forms of :mod:`costmodel.attention.csa2` must give the same counts (``tests/unit/test_attention_csa2.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from costmodel.attention.common import KvDtype
from costmodel.attention.csa2 import CSA2Base, CSA2Reindex, CSA2Source
from costmodel.attention.sim import (
    F64,
    I64,
    EntryTable,
    MacCounter,
    SimResult,
    _attend,
    _index_scores,
    _softmax,
    _Steps,
    _top_k,
)
from costmodel.attention.swa import V4Attention


class _Source:
    """The shared state of one source layer: entries, index keys, compressor working state."""

    def __init__(self, m: CSA2Source, length: int, kv_dtype: KvDtype, rng: np.random.Generator) -> None:
        self.m = m
        cap = length // m.ratio
        self.glob = EntryTable(m.global_layout(kv_dtype), cap)
        self.index = EntryTable(m.index_layout(kv_dtype), cap)
        dim = m.head_dim + m.index_head_dim
        self.span = 2 * m.ratio
        self.state_v = np.zeros((length, 2, dim))
        self.state_g = np.zeros((length, 2, dim))
        self.ape = rng.standard_normal((self.span, dim))

    def step(self, i: int, mc: MacCounter, rng: np.random.Generator) -> None:
        """Token ``i+1`` arrives: pool a completed block (ratio ≥ 2) or store the token's entry (ratio 1)."""
        m, t = self.m, i + 1
        hd = m.head_dim
        if m.ratio == 1:
            x = rng.standard_normal(hd + m.index_head_dim)
            self.glob.write(i, x[:hd])
            self.index.write(i, x[hd:])
            return
        self.state_v[i], self.state_g[i] = rng.standard_normal((2, 2, hd + m.index_head_dim))
        if t % m.ratio:
            return
        lo = max(0, t - self.span)
        role = np.where(np.arange(lo, t) >= t - m.ratio, 1, 0)
        vals, gates = self.state_v[np.arange(lo, t), role], self.state_g[np.arange(lo, t), role]
        pooled = mc.weighted_sum(_softmax(gates + self.ape[self.span - (t - lo) :], axis=0), vals)
        self.glob.write(t // m.ratio - 1, pooled[:hd])
        self.index.write(t // m.ratio - 1, pooled[hd:])

    @property
    def stored_bytes(self) -> int:
        return self.glob.stored_bytes + self.index.stored_bytes


def _score(mc: MacCounter, m: CSA2Base, src: _Source, rows: I64, rng: np.random.Generator) -> tuple[F64, int]:
    """Indexer scores of the shared keys ``rows`` with a fresh query of layer ``m``; bytes read."""
    keys, read = src.index.read(rows)
    q_idx = rng.standard_normal((m.index_n_heads, m.index_head_dim))
    w = rng.standard_normal(m.index_n_heads)
    return _index_scores(mc, q_idx, w, keys), read


def _candidate_pool(scores: F64, blocks: int, size: int) -> I64:
    """Entries of the best ``blocks`` complete blocks of ``size`` by their best score (all while few)."""
    n = scores.size
    if n <= blocks * size:
        return np.arange(n, dtype=np.int64)
    full = n // size
    best = scores[: full * size].reshape(full, size).max(axis=1)
    keep = np.sort(_top_k(best, blocks))
    out: I64 = (keep[:, None] * size + np.arange(size)[None, :]).ravel().astype(np.int64)
    return out


def simulate_csa2(
    mechs: Sequence[V4Attention],
    length: int,
    kv_dtype: KvDtype = "deployed",
    seed: int = 0,
    *,
    prefill: bool = False,
) -> list[SimResult]:
    """Simulate a V4.1 layer stack for tokens ``1..length``: one :class:`SimResult` per layer, in order.

    Raises:
        ValueError: a reuse / reindex layer comes before its source.
    """
    rng = np.random.default_rng(seed)
    steps = [_Steps(length) for _ in mechs]
    windows = [EntryTable(m.entry_layout(kv_dtype), m.window) for m in mechs]
    sources = {j: _Source(m, length, kv_dtype, rng) for j, m in enumerate(mechs) if isinstance(m, CSA2Source)}
    outputs: list[F64] = [np.zeros((0, 0)) for _ in mechs]
    for i in range(length):
        t = i + 1
        pools: dict[int, I64] = {}
        chosen: dict[int, I64] = {}
        for j, m in enumerate(mechs):
            windows[j].write(i % m.window, rng.standard_normal(m.head_dim))
            mc = MacCounter()
            own = sources.get(j)
            if own is not None:
                own.step(i, mc, rng)
                steps[j].pool_macs[i], mc.macs = mc.macs, 0
            tail = getattr(m, "prefill_tail", 0)
            if prefill and tail and t <= length - tail:
                steps[j].stored[i] = windows[j].stored_bytes + (own.stored_bytes if own else 0)
                continue
            rows: I64 = np.zeros(0, np.int64)
            read = 0
            src: _Source | None = None
            if isinstance(m, CSA2Base):
                if m.source_layer not in sources or m.source_layer > j:
                    raise ValueError(
                        f"layer {j} reads source layer {m.source_layer}, which does not come before it"
                    )
                src = sources[m.source_layer]
                if isinstance(m, CSA2Source):
                    scores, read = _score(mc, m, src, np.arange(t // m.ratio, dtype=np.int64), rng)
                    pool = (
                        _candidate_pool(scores, m.candidate_blocks, m.candidate_block_size)
                        if m.candidate_blocks
                        else np.arange(scores.size, dtype=np.int64)
                    )
                    pools[j] = pool
                    rows = pool[_top_k(scores[pool], m.index_topk)]
                    steps[j].index_macs[i] = mc.macs
                elif isinstance(m, CSA2Reindex):
                    pool = pools[m.source_layer]
                    scores, read = _score(mc, m, src, pool, rng)
                    rows = pool[_top_k(scores, m.index_topk)]
                    steps[j].index_macs[i] = mc.macs
                else:
                    rows = chosen[m.source_layer]
                chosen[m.source_layer] = rows
            comp, read_c = src.glob.read(rows) if src is not None else (np.zeros((0, m.head_dim)), 0)
            win, read_w = windows[j].read(np.arange(min(t, m.window)))
            entries = np.concatenate([comp, win])
            outputs[j] = _attend(mc, rng.standard_normal((m.n_heads, m.head_dim)), entries, entries)
            steps[j].macs[i] = mc.macs
            steps[j].read[i] = read + read_c + read_w
            steps[j].stored[i] = windows[j].stored_bytes + (own.stored_bytes if own else 0)
    return [s.result(o) for s, o in zip(steps, outputs, strict=True)]
