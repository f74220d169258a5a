"""Reference simulation: execute each attention mechanism with numpy and count as it goes.

For one sequence at small sizes (reduced heads and dims, up to a few thousand tokens) the simulation decodes
tokens ``t = 1..L`` one at a time on random tensors, exactly as the mechanism would:

* it keeps the cache the mechanism keeps, *encoded* in the chosen layout (FP8 stand-in: int8 with float32
  tile scales or a fixed scale; FP4 stand-in: 4-bit integers packed two per byte with a 1-byte power-of-two
  scale per 32 values; BF16 stand-in: float16, also 2 bytes), so stored bytes are the ``nbytes`` of what it
  holds and read bytes the ``nbytes`` of the rows it decodes;
* it pools compressed entries (softmax-gated, learned positional bias; CSA over overlapping ``2m`` windows),
  computes indexer scores ``Σ_h w_h·ReLU(q_h·k)``, selects top-k, keeps the sliding window, and runs the
  attention over what it read;
* every matrix product goes through :class:`MacCounter`, which adds ``m·k·n`` multiply-accumulates.

The closed forms in the sibling modules must give the same counts (``tests/unit/test_attention_sim.py``).
Not simulated: projections (linear layers, counted in :mod:`costmodel.attention.compute`), the compressor's working
state (up to ``2m`` tokens of un-pooled projections per compressed layer; not in the KV figures, as in
docs/sources.md §2.2), RoPE values (random vectors stand in for rotated keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from costmodel.attention import Mechanism, layer_mechanisms
from costmodel.attention.common import FP4_BLOCK, FP8_TILE, NVFP4_BLOCK, EntryLayout, KvDtype
from costmodel.attention.csa import CSA
from costmodel.attention.csa2 import CSA2Base
from costmodel.attention.dense import DenseAttention
from costmodel.attention.dsa import DSA
from costmodel.attention.hca import HCA
from costmodel.attention.mla import MLA
from costmodel.attention.swa import V4Attention
from costmodel.catalog import Model

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
_FIXED_FP8_SCALE = 1 / 16  # FP8 without stored scales: e4m3 carries its own exponent; int8 needs one


class MacCounter:
    """Counts multiply-accumulates of the matrix products it performs."""

    def __init__(self) -> None:
        self.macs = 0

    def mm(self, a: F64, b: F64) -> F64:
        """``a @ b`` for 2-D ``a (m, k)`` and ``b (k, n)``, or 1-D ``a (k,)``; adds ``m·k·n`` MACs."""
        m = 1 if a.ndim == 1 else a.shape[0]
        self.macs += m * a.shape[-1] * b.shape[1]
        out: F64 = a @ b
        return out

    def weighted_sum(self, w: F64, x: F64) -> F64:
        """``Σ_j w[j]·x[j]`` elementwise over the leading axis (gated pooling); adds ``w.size`` MACs."""
        self.macs += w.size
        out: F64 = (w * x).sum(axis=0)
        return out


class EntryTable:
    """Rows of cache entries stored in an :class:`EntryLayout` (FP8 / BF16 / FP4 stand-ins)."""

    def __init__(self, layout: EntryLayout, capacity: int) -> None:
        self.layout = layout
        lo = layout
        n_fp8_scales = lo.fp32_scales
        self.fp8 = np.zeros((capacity, lo.fp8_values), np.int8)
        self.fp8_scale = np.zeros((capacity, n_fp8_scales), np.float32)
        self.fp4 = np.zeros((capacity, (lo.fp4_values + 1) // 2), np.uint8)
        self.fp4_scale = np.zeros((capacity, lo.ue8m0_scales), np.uint8)
        self.bf16 = np.zeros((capacity, lo.bf16_values), np.float16)
        # V4.1's FP4 with a 1-byte scale per 16 (the E4M3 stand-in is a power of two: same bytes)
        self.fp4b = np.zeros((capacity, (lo.fp4_b16_values + 1) // 2), np.uint8)
        self.fp4b_scale = np.zeros((capacity, lo.e4m3_scales), np.uint8)
        self.dim = lo.fp8_values + lo.fp4_values + lo.bf16_values + lo.fp4_b16_values
        self.live = 0

    @property
    def _parts(self) -> tuple[npt.NDArray[np.generic], ...]:
        return (self.fp8, self.fp8_scale, self.fp4, self.fp4_scale, self.bf16, self.fp4b, self.fp4b_scale)

    @property
    def row_nbytes(self) -> int:
        """Bytes of one stored row, from the arrays' shapes and item sizes."""
        return sum(p[:1].nbytes for p in self._parts)

    @property
    def stored_bytes(self) -> int:
        """Bytes held by the live rows."""
        return sum(p[: self.live].nbytes for p in self._parts)

    def write(self, row: int, x: F64) -> None:
        """Encode vector ``x`` (fp8 part, fp4 part, bf16 part, then the FP4-per-16 part) into ``row``."""
        a, c = self.layout.fp8_values, self.layout.fp4_values
        b = self.layout.bf16_values
        x8, x4, x16 = x[:a], x[a : a + c], x[a + c : a + c + b]
        if self.fp8_scale.shape[1]:
            for i in range(self.fp8_scale.shape[1]):
                tile = x8[i * FP8_TILE : (i + 1) * FP8_TILE]
                s = float(np.max(np.abs(tile))) / 127 or 1.0
                self.fp8_scale[row, i] = s
                self.fp8[row, i * FP8_TILE : (i + 1) * FP8_TILE] = np.round(tile / s)
        else:
            self.fp8[row] = np.clip(np.round(x8 / _FIXED_FP8_SCALE), -127, 127)
        if c:
            self.fp4[row], self.fp4_scale[row] = _encode_fp4(x4, FP4_BLOCK, self.fp4.shape[1])
        self.bf16[row] = x16
        if self.layout.fp4_b16_values:
            x4b = x[a + c + b :]
            self.fp4b[row], self.fp4b_scale[row] = _encode_fp4(x4b, NVFP4_BLOCK, self.fp4b.shape[1])
        self.live = max(self.live, row + 1)

    def read(self, rows: I64) -> tuple[F64, int]:
        """Decode ``rows``; returns the vectors and the bytes read."""
        lo = self.layout
        fp8, fp8_scale, fp4 = self.fp8[rows], self.fp8_scale[rows], self.fp4[rows]
        fp4_scale, bf16 = self.fp4_scale[rows], self.bf16[rows]
        fp4b, fp4b_scale = self.fp4b[rows], self.fp4b_scale[rows]
        parts = (fp8, fp8_scale, fp4, fp4_scale, bf16, fp4b, fp4b_scale)
        if fp8_scale.shape[1]:
            scale = np.repeat(fp8_scale.astype(np.float64), FP8_TILE, axis=1)[:, : lo.fp8_values]
            x8 = fp8.astype(np.float64) * scale
        else:
            x8 = fp8.astype(np.float64) * _FIXED_FP8_SCALE
        x4 = _decode_fp4(fp4, fp4_scale, FP4_BLOCK, lo.fp4_values)
        x4b = _decode_fp4(fp4b, fp4b_scale, NVFP4_BLOCK, lo.fp4_b16_values)
        out = np.concatenate([x8, x4, bf16.astype(np.float64), x4b], axis=1)
        return out, sum(p.nbytes for p in parts)


def _encode_fp4(x: F64, block: int, packed: int) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """4-bit integers (two per byte) with one power-of-two byte scale per ``block`` values."""
    n_scales = -(-x.size // block)
    q = np.zeros(2 * packed, np.uint8)
    scales = np.zeros(n_scales, np.uint8)
    for i in range(n_scales):
        chunk = x[i * block : (i + 1) * block]
        peak = float(np.max(np.abs(chunk)))
        e = int(np.ceil(np.log2(peak / 7))) if peak > 0 else 0
        scales[i] = e + 127
        q[i * block : i * block + chunk.size] = np.clip(np.round(chunk / 2.0**e), -7, 7) + 8
    packed_q: npt.NDArray[np.uint8] = (q[0::2] | (q[1::2] << 4)).astype(np.uint8)
    return packed_q, scales


def _decode_fp4(fp4: npt.NDArray[np.uint8], scale: npt.NDArray[np.uint8], block: int, values: int) -> F64:
    """The inverse of :func:`_encode_fp4` for rows of packed values."""
    nib = np.empty((len(fp4), 2 * fp4.shape[1]), np.int64)
    nib[:, 0::2], nib[:, 1::2] = fp4 & 0xF, fp4 >> 4
    exp = np.repeat(scale.astype(np.int64) - 127, block, axis=1)[:, :values]
    out: F64 = (nib[:, :values] - 8) * 2.0**exp
    return out


@dataclass
class SimResult:
    """Per decoded token ``t = 1..L`` (index ``t-1``): what the simulation counted.

    Attributes:
        macs: core attention + indexer MACs of that step.
        index_macs: the indexer's share of ``macs``.
        pool_macs: compressor pooling MACs of that step (not part of ``macs``).
        stored_bytes: cache bytes held after the step.
        read_bytes: cache bytes read during the step.
        output: the attention output of the last step (heads × value dim) of the last layer simulated.
    """

    macs: I64
    index_macs: I64
    pool_macs: I64
    stored_bytes: I64
    read_bytes: I64
    output: F64 = field(default_factory=lambda: np.zeros((0, 0)))

    def __add__(self, other: SimResult) -> SimResult:
        return SimResult(
            self.macs + other.macs,
            self.index_macs + other.index_macs,
            self.pool_macs + other.pool_macs,
            self.stored_bytes + other.stored_bytes,
            self.read_bytes + other.read_bytes,
            other.output,
        )


def _softmax(x: F64, axis: int = -1) -> F64:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    out: F64 = e / e.sum(axis=axis, keepdims=True)
    return out


def _attend(mc: MacCounter, q: F64, keys: F64, values: F64) -> F64:
    """Softmax attention of ``q (H, d)`` over ``keys (n, d)`` / ``values (n, dv)``; ``H·d·n + H·n·dv`` MACs."""
    scores = mc.mm(q, keys.T) / np.sqrt(q.shape[1])
    return mc.mm(_softmax(scores), values)


def _index_scores(mc: MacCounter, q_idx: F64, w: F64, keys: F64) -> F64:
    """Lightning indexer ``Σ_h w_h·ReLU(q_h·k_s)``: ``n_idx·d_idx·n`` + ``n_idx·n`` MACs."""
    return mc.mm(w, np.maximum(mc.mm(q_idx, keys.T), 0.0))


def _top_k(scores: F64, k: int) -> I64:
    if scores.size <= k:
        return np.arange(scores.size, dtype=np.int64)
    out: I64 = np.argpartition(-scores, k - 1)[:k].astype(np.int64)
    return out


def _indexer_top_k(
    mc: MacCounter, mech: DSA | CSA, index: EntryTable, rows: I64, rng: np.random.Generator
) -> tuple[I64, int]:
    """One lightning-indexer step (DSA and CSA alike): read the keys of ``rows``, score them with a fresh
    query and head weights, keep the top ``index_topk``. Returns the selected rows and the key bytes read."""
    keys, read = index.read(rows)
    q_idx = rng.standard_normal((mech.index_n_heads, mech.index_head_dim))
    w = rng.standard_normal(mech.index_n_heads)
    return _top_k(_index_scores(mc, q_idx, w, keys), mech.index_topk), read


class _Steps:
    """Per-step counters of one layer."""

    def __init__(self, length: int) -> None:
        self.macs = np.zeros(length, np.int64)
        self.index_macs = np.zeros(length, np.int64)
        self.pool_macs = np.zeros(length, np.int64)
        self.stored = np.zeros(length, np.int64)
        self.read = np.zeros(length, np.int64)

    def result(self, output: F64) -> SimResult:
        return SimResult(self.macs, self.index_macs, self.pool_macs, self.stored, self.read, output)


def simulate_dense(
    mech: DenseAttention,
    length: int,
    kv_dtype: KvDtype,
    rng: np.random.Generator,
    record: dict[str, I64] | None = None,
) -> SimResult:
    """Dense MHA/GQA/MQA: every K and V kept; each KV head serves ``n_heads / n_kv_heads`` query heads.

    ``record`` (if given) receives what the last step reads (see :func:`query_reads`).
    """
    steps, g = _Steps(length), mech.n_heads // mech.n_kv_heads
    hd, vd = mech.head_dim, mech.v_head_dim
    table = EntryTable(mech.entry_layout(kv_dtype), length)
    out = np.zeros((0, 0))
    for i in range(length):
        kv = rng.standard_normal((mech.n_kv_heads, hd + vd))
        table.write(i, kv.ravel())
        q = rng.standard_normal((mech.n_heads, hd))
        mc = MacCounter()
        cache, steps.read[i] = table.read(np.arange(i + 1))
        if record is not None and i == length - 1:
            record["tokens"] = np.arange(i + 1, dtype=np.int64)
        cache = cache.reshape(i + 1, mech.n_kv_heads, hd + vd)
        out = np.concatenate(
            [
                _attend(mc, q[h * g : (h + 1) * g], cache[:, h, :hd], cache[:, h, hd:])
                for h in range(mech.n_kv_heads)
            ]
        )
        steps.macs[i], steps.stored[i] = mc.macs, table.stored_bytes
    return steps.result(out)


def simulate_mla(
    mech: MLA | DSA,
    length: int,
    kv_dtype: KvDtype,
    rng: np.random.Generator,
    record: dict[str, I64] | None = None,
    *,
    prefill: bool = False,
) -> SimResult:
    """MLA, absorbed decode (MQA over the latent), and DSA (indexer + top-k on top of it).

    ``prefill``: the kernels engines run for prompts, MHA mode: the latents are up-projected per head to keys
    of ``nope + rope`` (the rope part shared) and values of ``v`` dims (the up-projection is a linear layer,
    not counted here), and each head attends over them; DSA does so while every previous token is selected
    (``t ≤ index_topk``) and runs the absorbed sparse kernel beyond. ``record`` (if given) receives what the
    last step reads (see :func:`query_reads`).
    """
    mha = prefill and mech.nope_dim > 0 and mech.v_dim > 0
    if mha:  # per-head up-projections of the latent (random, fixed for the layer)
        w_k = rng.standard_normal((mech.n_heads, mech.kv_lora_rank, mech.nope_dim))
        w_v = rng.standard_normal((mech.n_heads, mech.kv_lora_rank, mech.v_dim))
    steps = _Steps(length)
    kvl, rope = mech.kv_lora_rank, mech.rope_dim
    table = EntryTable(mech.entry_layout(kv_dtype), length)
    dsa = mech if isinstance(mech, DSA) else None
    index = EntryTable(dsa.index_layout(kv_dtype), length) if dsa else None
    out = np.zeros((0, 0))
    for i in range(length):
        table.write(i, rng.standard_normal(kvl + rope))
        q = rng.standard_normal((mech.n_heads, kvl + rope))  # q already absorbed into the latent space
        mc = MacCounter()
        rows = np.arange(i + 1)
        if dsa is not None and index is not None:
            index.write(i, rng.standard_normal(dsa.index_head_dim))
            if record is not None and i == length - 1:
                record["indexer_scored"] = rows.astype(np.int64)
            rows, steps.read[i] = _indexer_top_k(mc, dsa, index, rows, rng)
            steps.index_macs[i] = mc.macs
        if record is not None and i == length - 1:
            record["tokens"] = np.sort(np.asarray(rows, dtype=np.int64))
        entries, read = table.read(rows)
        steps.read[i] += read
        if mha and (dsa is None or i + 1 <= dsa.index_topk):
            latent, k_rope = entries[:, :kvl], entries[:, kvl:]
            q_mha = rng.standard_normal((mech.n_heads, mech.nope_dim + rope))
            out = np.concatenate(
                [
                    _attend(mc, q_mha[h : h + 1], np.hstack([latent @ w_k[h], k_rope]), latent @ w_v[h])
                    for h in range(mech.n_heads)
                ]
            )
        else:
            out = _attend(mc, q, entries, entries[:, :kvl])  # values are the latent part
        steps.macs[i] = mc.macs
        steps.stored[i] = table.stored_bytes + (index.stored_bytes if index else 0)
    return steps.result(out)


def simulate_v4(
    mech: V4Attention,
    length: int,
    kv_dtype: KvDtype,
    rng: np.random.Generator,
    record: dict[str, I64] | None = None,
) -> SimResult:
    """A V4 layer: sliding window, plus HCA (attend every compressed entry) or CSA (indexer + top-k).

    ``record`` (if given) receives what the last step reads (see :func:`query_reads`).
    """
    steps = _Steps(length)
    hd, w = mech.head_dim, mech.window
    window = EntryTable(mech.entry_layout(kv_dtype), w)
    csa = mech if isinstance(mech, CSA) else None
    ratio = mech.ratio if isinstance(mech, (CSA, HCA)) else 0
    span = 2 * ratio if csa else ratio  # CSA pools overlapping windows of 2m tokens
    d_idx = csa.index_head_dim if csa else 0
    capacity = length // ratio if ratio else 0
    compressed = EntryTable(mech.entry_layout(kv_dtype), capacity)
    index = EntryTable(csa.index_layout(kv_dtype), capacity) if csa else None
    # compressor working state: per token, [C^a | C^b] values and gate logits for the entry and indexer key
    state_v = np.zeros((length, 2, hd + d_idx))
    state_g = np.zeros((length, 2, hd + d_idx))
    ape = rng.standard_normal((span, hd + d_idx)) if ratio else np.zeros((0, 0))
    out = np.zeros((0, 0))
    for i in range(length):
        t = i + 1
        window.write(i % w, rng.standard_normal(hd))
        mc = MacCounter()
        if ratio:
            state_v[i], state_g[i] = rng.standard_normal((2, 2, hd + d_idx))
            if t % ratio == 0:  # a block just completed: pool it (CSA: with the block before it)
                lo = max(0, t - span)
                half = 1 if csa else 0  # CSA: the older block uses C^a (0), the newer C^b (1)
                role = np.where(np.arange(lo, t) >= t - ratio, half, 0)
                vals, gates = state_v[np.arange(lo, t), role], state_g[np.arange(lo, t), role]
                gates = _softmax(gates + ape[span - (t - lo) :], axis=0)
                pooled = mc.weighted_sum(gates, vals)
                compressed.write(t // ratio - 1, pooled[:hd])
                if index is not None:
                    index.write(t // ratio - 1, pooled[hd:])
            steps.pool_macs[i], mc.macs = mc.macs, 0
        n_comp = t // ratio if ratio else 0
        rows = np.arange(n_comp)
        if csa is not None and index is not None:
            if record is not None and i == length - 1:
                record["indexer_scored"] = rows.astype(np.int64)
            rows, steps.read[i] = _indexer_top_k(mc, csa, index, rows, rng)
            steps.index_macs[i] = mc.macs
        slots = np.arange(min(t, w))
        if record is not None and i == length - 1:
            record["compressed"] = np.sort(np.asarray(rows, dtype=np.int64))
            record["window"] = np.sort(i - (i - slots) % w)  # ring slot -> the token it holds now
        comp, read_c = compressed.read(rows)
        win, read_w = window.read(slots)
        steps.read[i] += read_c + read_w
        entries = np.concatenate([comp, win])
        q = rng.standard_normal((mech.n_heads, hd))
        out = _attend(mc, q, entries, entries)  # shared K = V entry
        steps.macs[i] = mc.macs
        steps.stored[i] = window.stored_bytes + compressed.stored_bytes + (index.stored_bytes if index else 0)
    return steps.result(out)


def simulate_layer(
    mech: Mechanism,
    length: int,
    kv_dtype: KvDtype = "deployed",
    seed: int = 0,
    *,
    record: dict[str, I64] | None = None,
    prefill: bool = False,
) -> SimResult:
    """Simulate one layer for tokens ``1..length``.

    ``record`` (if given) is filled with the rows the last step reads (see :func:`query_reads`). ``prefill``:
    the prompt kernels (MLA's MHA mode; other mechanisms run the same kernels in prefill and decode).

    Raises:
        TypeError: an unknown mechanism type.
    """
    if isinstance(mech, CSA2Base):
        raise TypeError("a CSA2 layer reads its source layer: simulate the stack with sim_csa2.simulate_csa2")
    rng = np.random.default_rng(seed)
    if isinstance(mech, DenseAttention):
        return simulate_dense(mech, length, kv_dtype, rng, record)
    if isinstance(mech, (MLA, DSA)):
        return simulate_mla(mech, length, kv_dtype, rng, record, prefill=prefill)
    if isinstance(mech, V4Attention):
        return simulate_v4(mech, length, kv_dtype, rng, record)
    raise TypeError(f"no simulation for {type(mech).__name__}")


_NONE = np.zeros(0, np.int64)


@dataclass(frozen=True)
class QueryReads:
    """What the query at one position reads from the cache of one layer, as the simulation executes it.

    Token positions are 0-based (the query itself is token ``position - 1`` and its own entry is in the
    window, or in ``tokens`` for dense/MLA/DSA). Compressed entry ``j`` is the pooled block of tokens
    ``[j·block_tokens, (j+1)·block_tokens)`` (CSA pools the block before it too, with separate weights).

    Attributes:
        position: tokens so far (the simulation decoded tokens ``1..position``).
        block_tokens: tokens per compressed entry (the layer's ratio; 0 without compression).
        window: token positions of the sliding-window entries read (V4 layers).
        compressed: compressed entries attended (CSA: the indexer's top-k; HCA: every complete block).
        indexer_scored: what the lightning indexer scores (CSA: compressed entries; DSA: token positions).
        tokens: token positions attended directly (dense and MLA: all; DSA: the indexer's top-k).
    """

    position: int
    block_tokens: int
    window: I64 = field(default_factory=lambda: _NONE)
    compressed: I64 = field(default_factory=lambda: _NONE)
    indexer_scored: I64 = field(default_factory=lambda: _NONE)
    tokens: I64 = field(default_factory=lambda: _NONE)


def query_reads(mech: Mechanism, position: int, kv_dtype: KvDtype = "deployed", seed: int = 0) -> QueryReads:
    """Past positions the query at ``position`` reads in layer ``mech``: the simulation of tokens
    ``1..position`` (:func:`simulate_layer`, same seed, so the indexer's top-k is the simulator's own) records
    the rows its last step reads.

    Raises:
        ValueError: ``position`` < 1.
        TypeError: an unknown mechanism type.
    """
    if position < 1:
        raise ValueError(f"position must be >= 1 token, got {position}")
    rec: dict[str, I64] = {}
    simulate_layer(mech, int(position), kv_dtype, seed, record=rec)
    ratio = mech.ratio if isinstance(mech, (CSA, HCA)) else 0
    return QueryReads(position=int(position), block_tokens=int(ratio), **rec)


def simulate_model(
    model: Model,
    length: int,
    kv_dtype: KvDtype = "deployed",
    *,
    include_mtp: bool = False,
    seed: int = 0,
    prefill: bool = False,
) -> SimResult:
    """Simulate every attention layer of ``model`` (reduced sizes!) for tokens ``1..length`` and sum the counts
    (``prefill``: with the prompt kernels, :func:`simulate_layer`)."""
    mechs: Sequence[Mechanism] = layer_mechanisms(model, include_mtp=include_mtp)
    total: SimResult | None = None
    for j, mech in enumerate(mechs):
        r = simulate_layer(mech, length, kv_dtype, seed + j, prefill=prefill)
        total = r if total is None else total + r
    if total is None:
        raise ValueError(f"model {model.id!r} has no layers")
    return total
