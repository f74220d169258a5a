"""One record per (model, context): KV cache, KV read, attention and whole-model FLOPs, ratios to a baseline.

The table behind ``costmodel attention`` (DESIGN.md contracts) and the app's attention lab. Pure: it takes
catalogue rows and returns a DataFrame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from costmodel.attention import (
    KvDtype,
    attention_flops_per_token,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.attention.common import tokens
from costmodel.catalog import Model
from costmodel.units import BYTES_PER_GIB

COLUMNS = (
    "model",
    "context_tokens",
    "kv_dtype",
    "kv_cache_bytes",
    "kv_cache_gib",
    "kv_read_bytes_per_token",
    "attention_flops_per_token",
    "flops_per_token",
    "beyond_context_window",
)


def beyond_window(model: Model, context_tokens: ArrayLike) -> list[int]:
    """The contexts longer than the model's published context window (empty if none or unknown)."""
    limit = model.context_window_tokens
    return [] if limit is None else [int(t) for t in np.atleast_1d(tokens(context_tokens)) if t > limit]


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
    from costmodel.compute import flops_per_token  # compute imports attention: import here, not at the top

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
                "kv_cache_bytes": kv.astype(np.int64),
                "kv_cache_gib": kv / BYTES_PER_GIB,
                "kv_read_bytes_per_token": kv_read_bytes_per_token(
                    m, t, kv_dtype, include_mtp=include_mtp
                ).astype(np.int64),
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
