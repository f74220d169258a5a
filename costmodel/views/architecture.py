"""The architecture figures the CLI and the attention lab show: one record per (model, context) with KV
cache, KV read, attention and whole-model FLOPs and ratios to a baseline; per-layer breakdowns; and what a query
reads in the numpy reference simulation.

The table behind ``costmodel attention`` (DESIGN.md contracts) and the app's attention lab. Pure: it takes
catalogue rows and returns DataFrames (the charts only draw them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from costmodel.attention import (
    CSA,
    DSA,
    HCA,
    KvDtype,
    Mechanism,
    V4Attention,
    attention_flops_per_token,
    kv_cache_bytes,
    kv_read_bytes_per_token,
    layer_mechanisms,
)
from costmodel.attention.common import tokens
from costmodel.attention.compute import flops_per_token
from costmodel.attention.sim import query_reads
from costmodel.catalog import Model
from costmodel.catalog.units import BYTES_PER_GB, BYTES_PER_GIB

COLUMNS = (
    "model",
    "context_tokens",
    "kv_dtype",
    "kv_cache_bytes",
    "kv_cache_gib",
    "kv_bytes_per_token",
    "kv_read_bytes_per_token",
    "attention_flops_per_token",
    "flops_per_token",
    "beyond_context_window",
)


def beyond_window(model: Model, context_tokens: ArrayLike) -> list[int]:
    """The contexts longer than the model's published context window (empty if none or unknown)."""
    limit = model.context_window_tokens
    return [] if limit is None else [int(t) for t in np.atleast_1d(tokens(context_tokens)) if t > limit]


#: Largest whole count shown as an integer: every integer up to 2^53 is exact in float64 (and in JSON readers).
MAX_EXACT_COUNT = 2**53


def whole_counts(x: np.ndarray) -> np.ndarray:
    """Counts computed in float64 as int64 when every one is exact (< 2^53), else left in float64.

    A cast of a float beyond int64 wraps to -9,223,372,036,854,775,808 (with a RuntimeWarning): an
    absurd model (10,000 layers of 2^20-wide heads) then shows its true size, 4.4e+22 bytes, not a negative.
    """
    if np.all(np.isfinite(x)) and np.all(np.abs(x) < MAX_EXACT_COUNT):
        return x.astype(np.int64)
    return np.asarray(x, dtype=np.float64)


def attention_table(
    models: Sequence[Model],
    context_tokens: ArrayLike,
    kv_dtype: KvDtype = "deployed",
    *,
    baseline: Model | None = None,
    include_mtp: bool = False,
) -> pd.DataFrame:
    """One row per (model, context), models in the given order.

    Columns: :data:`COLUMNS`; with a ``baseline`` also ``baseline``, ``kv_ratio`` and ``flops_ratio``
    (this model / the baseline at the same context, same ``kv_dtype``).

    Raises:
        ValueError: a context ≤ 0, or a model without a published architecture (API-only).
    """

    t = np.atleast_1d(tokens(context_tokens))
    if baseline is not None:  # the same for every model: computed once
        base_kv = kv_cache_bytes(baseline, t, kv_dtype, include_mtp=include_mtp)
        base_fl = flops_per_token(baseline, t, include_mtp=include_mtp)
    frames = []
    for m in models:
        kv = kv_cache_bytes(m, t, kv_dtype, include_mtp=include_mtp)
        fl = flops_per_token(m, t, include_mtp=include_mtp)
        frame = pd.DataFrame(
            {
                "model": m.id,
                "context_tokens": t.astype(np.int64),
                "kv_dtype": kv_dtype,
                "kv_cache_bytes": whole_counts(kv),
                "kv_cache_gib": kv / BYTES_PER_GIB,
                "kv_bytes_per_token": kv / t,
                "kv_read_bytes_per_token": whole_counts(
                    kv_read_bytes_per_token(m, t, kv_dtype, include_mtp=include_mtp)
                ),
                "attention_flops_per_token": attention_flops_per_token(m, t, include_mtp=include_mtp),
                "flops_per_token": fl,
                "beyond_context_window": m.context_window_tokens is not None and t > m.context_window_tokens,
            }
        )
        if baseline is not None:
            frame["baseline"] = baseline.id
            frame["kv_ratio"] = kv / base_kv
            frame["flops_ratio"] = fl / base_fl
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


#: 1M tokens as context windows are quoted (2^20).
ONE_M_TOKENS = 2**20


def context_grid(min_tokens: int = 1024, max_tokens: int = ONE_M_TOKENS, points: int = 41) -> np.ndarray:
    """Whole token counts spaced evenly on a log axis, both ends included."""
    grid = np.unique(np.round(np.geomspace(min_tokens, max_tokens, points)).astype(np.int64))
    return grid


# ---- attention lab ----------------------------------------------------------------------------------------


def attention_frame(
    models: Sequence[Model],
    contexts: Sequence[int] | np.ndarray,
    *,
    kv_dtype: KvDtype = "deployed",
    baseline: Model | None = None,
) -> pd.DataFrame:
    """KV cache and FLOPs per decoded token of each model at each context length (long format).

    The rows of :func:`attention_table`, in the units the lab shows. Columns:
    ``model``, ``context_tokens``, ``kv_cache_bytes``, ``kv_cache_gb`` (one sequence, all layers, indexer keys
    included), ``flops_per_token`` (whole forward pass), ``attention_flops_per_token``, and with a ``baseline``
    the ratios ``kv_ratio`` and ``flops_ratio`` (model / baseline at the same context).
    """
    if not models:
        return pd.DataFrame()
    df = attention_table(models, np.asarray(contexts, dtype=np.int64), kv_dtype, baseline=baseline)
    df["kv_cache_gb"] = df["kv_cache_bytes"] / BYTES_PER_GB
    columns = ["model", "context_tokens", "kv_cache_bytes", "kv_cache_gb", "flops_per_token"]
    columns += ["attention_flops_per_token"] + (["kv_ratio", "flops_ratio"] if baseline is not None else [])
    return df[columns]


def layer_breakdown_frame(model: Model, context_tokens: int, kv_dtype: KvDtype = "deployed") -> pd.DataFrame:
    """Per layer at one context length: ``layer`` (0-based), ``mechanism``, ``kv_cache_bytes``, ``kv_cache_mb``,
    ``attention_flops`` (2 × MACs, indexer included) to decode one token."""
    t = np.asarray([context_tokens], dtype=np.float64)
    rows = []
    for i, mech in enumerate(layer_mechanisms(model)):
        kv = float(mech.kv_cache_bytes(t, kv_dtype)[0])
        rows.append(
            {
                "layer": i,
                "mechanism": mech.kind,
                "kv_cache_bytes": kv,
                "kv_cache_mb": kv / 1e6,
                "attention_flops": 2.0 * float(mech.macs(t)[0]),
            }
        )
    return pd.DataFrame(rows)


def layer_summary(layers: pd.DataFrame) -> pd.DataFrame:
    """Totals per mechanism of a :func:`layer_breakdown_frame`: ``mechanism``, ``layers`` (count),
    ``kv_cache_mb``, ``attention_flops``."""
    return layers.groupby("mechanism", as_index=False).agg(
        layers=("layer", "count"),
        kv_cache_mb=("kv_cache_mb", "sum"),
        attention_flops=("attention_flops", "sum"),
    )


# ---- which past positions one query reads (from the numpy reference simulation) ------------------------------


def miniature_mechanisms(
    *, window: int = 32, csa_topk: int = 8, hca_ratio: int = 32, dsa_topk: int = 32
) -> dict[str, Mechanism]:
    """Small versions of the sparse mechanisms (2 heads, tiny dims) whose read pattern is visible on a few
    hundred tokens: V4's sliding window, CSA (ratio 4, indexer top-k), HCA, and V3.2's DSA."""
    v4 = {"n_heads": 2, "head_dim": 16, "rope_dim": 4, "window": window}
    return {
        "V4 window-only layer": V4Attention(**v4),
        "V4 CSA layer": CSA(**v4, ratio=4, index_n_heads=2, index_head_dim=8, index_topk=csa_topk),
        "V4 HCA layer": HCA(**v4, ratio=hca_ratio),
        "V3.2 DSA layer": DSA(2, 16, 4, 2, 8, dsa_topk),
    }


def sim_reads_frame(mechanisms: dict[str, Mechanism], length: int, seed: int = 0) -> pd.DataFrame:
    """For the query at position ``length``, the past positions each mechanism reads, as the simulation in
    :mod:`costmodel.attention.sim` executes it (:func:`~costmodel.attention.sim.query_reads`: random tensors,
    the indexer's top-k is the simulator's own). A compressed entry covers its block of ``ratio`` tokens, a
    window slot or a token one position.

    Returns:
        Columns ``mechanism`` (e.g. ``"V4 CSA layer"``), ``what`` (which part of the layer read it: window,
        selected blocks, indexer, ...), ``position`` (0-based token index) and ``position_end`` (exclusive).
    """
    rows: list[dict[str, Any]] = []
    for label, mech in mechanisms.items():
        r = query_reads(mech, int(length), "bf16", seed)
        ratio = r.block_tokens

        def add(what: str, starts: np.ndarray, width: int, label: str = label) -> None:
            for s in np.unique(starts):
                rows.append(
                    {"mechanism": label, "what": what, "position": int(s), "position_end": int(s) + width}
                )

        if isinstance(mech, V4Attention):
            add("sliding window", r.window, 1)
            if isinstance(mech, CSA):
                add("indexer: blocks scored", r.indexer_scored * ratio, ratio)
                add("blocks selected (top-k)", r.compressed * ratio, ratio)
            elif ratio:
                add("compressed blocks (all)", r.compressed * ratio, ratio)
        elif isinstance(mech, DSA):
            add("indexer: tokens scored", r.indexer_scored, 1)
            add("tokens selected (top-k)", r.tokens, 1)
        else:
            add("every token", r.tokens, 1)
    return pd.DataFrame(rows, columns=["mechanism", "what", "position", "position_end"])
