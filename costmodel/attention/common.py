"""Shared pieces of the attention closed forms: token arrays, KV entry layouts and closed-form sums.

Conventions used by every mechanism module (docs/sources.md §2.2-§2.3):

* ``context_tokens`` = ``t`` is the number of tokens in the sequence *including* the token being decoded;
  that token attends to itself (causal attention), so a dense layer attends to ``t`` keys.
* Counts are multiply-accumulates (MACs); the public FLOP functions multiply by 2 (2 FLOPs per MAC).
* Only the attention kernel is counted here (scores, weighted sum of values, indexer scores and the weighted
  sum over indexer heads). Projections (q, kv, o, compressor and indexer projections) are linear layers
  and are counted in :mod:`costmodel.attention.compute`. Softmax, ReLU, top-k selection and RoPE are not MACs.
* Every array is float64: exact for integers below 2^53 (the simulation tests) and wide enough at 1M tokens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from costmodel.catalog.units import FloatArray

KvDtype = Literal["deployed", "bf16", "fp8"]
"""KV precision layout: ``bf16`` (2 bytes per stored value), ``deployed`` (what serving engines store by default)
or ``fp8`` (the engines' FP8 KV cache, ``kv_cache_dtype=fp8``: values the default layout keeps in BF16 stored in
one byte; layouts already narrower by default, V3.2's and V4's, unchanged)."""
KV_DTYPES: tuple[KvDtype, ...] = ("deployed", "bf16", "fp8")


#: V4 / V3.2 indexer keys in FP8 carry one float32 scale per 128-value tile (vLLM ``fp8_ds_mla`` / DSA
#: indexer cache: 128 + 4 = 132 bytes; docs/sources.md §2.2).
FP8_TILE = 128
FP32_SCALE_BYTES = 4
#: FP4 (e2m1) indexer keys of V4: OUR CHOICE of scales (docs/sources.md §7: the engines' exact layout is not
#: published): MXFP4-style, one UE8M0 (1-byte) scale per 32 values, so 128 dims = 64 + 4 = 68 bytes.
FP4_BLOCK = 32
UE8M0_SCALE_BYTES = 1
#: V4.1's FP4 KV: "E2M1 values with one E4M3 scale per 16 channels" (facts-2026-12 §1.4, a third-party summary of
#: the paper's §2.4.4): 512 dims = 256 + 32 = 288 bytes, 128 dims = 64 + 8 = 72 bytes.
NVFP4_BLOCK = 16
E4M3_SCALE_BYTES = 1


@dataclass(frozen=True)
class EntryLayout:
    """Bytes of one stored cache entry, split by storage format (what the simulation actually stores).

    Attributes:
        fp8_values: values stored as 1-byte FP8.
        bf16_values: values stored as 2-byte BF16.
        fp4_values: values stored as 4-bit FP4 (two per byte).
        fp32_scales: 4-byte scale factors.
        ue8m0_scales: 1-byte power-of-two scale factors.
        fp4_b16_values: FP4 values scaled per block of 16 (V4.1's KV; two per byte).
        e4m3_scales: 1-byte E4M3 scale factors (one per 16 ``fp4_b16_values``).
    """

    fp8_values: int = 0
    bf16_values: int = 0
    fp4_values: int = 0
    fp32_scales: int = 0
    ue8m0_scales: int = 0
    fp4_b16_values: int = 0
    e4m3_scales: int = 0

    @property
    def nbytes(self) -> int:
        """Bytes of one entry."""
        return (
            self.fp8_values
            + 2 * self.bf16_values
            + (self.fp4_values + 1) // 2
            + FP32_SCALE_BYTES * self.fp32_scales
            + UE8M0_SCALE_BYTES * self.ue8m0_scales
            + (self.fp4_b16_values + 1) // 2
            + E4M3_SCALE_BYTES * self.e4m3_scales
        )


def bf16_layout(values: int) -> EntryLayout:
    """``values`` BF16 values (2 bytes each)."""
    return EntryLayout(bf16_values=values)


def fp8_layout(values: int) -> EntryLayout:
    """``values`` FP8 values (1 byte each; the per-tensor scale of an FP8 KV cache is not per entry)."""
    return EntryLayout(fp8_values=values)


def fp8_tiled_layout(fp8_values: int, bf16_values: int = 0) -> EntryLayout:
    """FP8 values with one float32 scale per 128-value tile, plus BF16 values (vLLM ``fp8_ds_mla``)."""
    return EntryLayout(
        fp8_values=fp8_values, bf16_values=bf16_values, fp32_scales=math.ceil(fp8_values / FP8_TILE)
    )


def fp4_layout(values: int) -> EntryLayout:
    """FP4 values with one UE8M0 scale per 32 values (our MXFP4 choice for V4 indexer keys)."""
    return EntryLayout(fp4_values=values, ue8m0_scales=math.ceil(values / FP4_BLOCK))


def fp4_e4m3_layout(values: int) -> EntryLayout:
    """FP4 (E2M1) values with one E4M3 scale per 16 values (V4.1's FP4 KV)."""
    return EntryLayout(fp4_b16_values=values, e4m3_scales=math.ceil(values / NVFP4_BLOCK))


def tokens(context_tokens: ArrayLike, *, allow_zero: bool = False) -> FloatArray:
    """``context_tokens`` as a float64 array of whole numbers, checked.

    Raises:
        ValueError: a value is not a whole number, or is ≤ 0 (< 0 when ``allow_zero``).
    """
    t = np.asarray(context_tokens, dtype=np.float64)
    if not np.all(np.isfinite(t)) or np.any(t != np.floor(t)):
        raise ValueError("token counts must be whole numbers")
    if np.any(t < 0) or (not allow_zero and np.any(t == 0)):
        raise ValueError(f"token counts must be {'>= 0' if allow_zero else '> 0'}")
    return t


# ---- closed-form sums over positions t = 1..n (n may be 0) ------------------------------------------------


def sum_t(n: FloatArray) -> FloatArray:
    """Σ_{t=1..n} t = n(n+1)/2."""
    return n * (n + 1) / 2


def sum_min(n: FloatArray, k: int) -> FloatArray:
    """Σ_{t=1..n} min(t, k): t while t ≤ k, then k."""
    head = np.minimum(n, k)
    return sum_t(head) + (n - head) * k


def sum_floor_div(n: FloatArray, m: int) -> FloatArray:
    """Σ_{t=1..n} ⌊t/m⌋ = m·q(q-1)/2 + q·(r+1), with n = q·m + r."""
    q = np.floor(n / m)
    r = n - q * m
    out: FloatArray = m * q * (q - 1) / 2 + q * (r + 1)
    return out


def sum_min_floor_div(n: FloatArray, m: int, k: int) -> FloatArray:
    """Σ_{t=1..n} min(⌊t/m⌋, k): ⌊t/m⌋ < k while t < m·k, then k."""
    head = np.minimum(n, m * k - 1)
    return sum_floor_div(head, m) + (n - head) * k
