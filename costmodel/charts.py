"""Altair chart builders (pure functions returning ``alt.Chart``) and the small tables they draw.

No Streamlit here: the app pages call these and show the result. Every axis names its unit; every mark has a
tooltip. The ``*_frame`` functions gather numbers from the model (``costmodel.attention``, ``costmodel.compute``,
``costmodel.compare``) into long DataFrames; the ``*_chart`` functions only draw.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from costmodel.attention import (
    KvDtype,
    attention_flops_per_token,
    kv_cache_bytes,
    layer_mechanisms,
)
from costmodel.catalog import Gpu, Model
from costmodel.compute import flops_per_token
from costmodel.units import BYTES_PER_GB

#: 1M tokens as context windows are quoted (2^20).
ONE_M_TOKENS = 2**20


def context_grid(min_tokens: int = 1024, max_tokens: int = ONE_M_TOKENS, points: int = 41) -> np.ndarray:
    """Whole token counts spaced evenly on a log axis, both ends included."""
    grid = np.unique(np.round(np.geomspace(min_tokens, max_tokens, points)).astype(np.int64))
    return grid


# ---- attention lab -------------------------------------------------------------------------------------------


def attention_frame(
    models: Sequence[Model],
    contexts: Sequence[int] | np.ndarray,
    *,
    kv_dtype: KvDtype = "deployed",
    baseline: Model | None = None,
) -> pd.DataFrame:
    """KV cache and FLOPs per decoded token of each model at each context length (long format).

    Columns: ``model``, ``context_tokens``, ``kv_cache_bytes``, ``kv_cache_gb`` (one sequence, all layers,
    indexer keys included), ``flops_per_token`` (whole forward pass), ``attention_flops_per_token``, and with a
    ``baseline`` the ratios ``kv_ratio`` and ``flops_ratio`` (model / baseline at the same context).
    """
    t = np.asarray(contexts, dtype=np.int64)
    base_kv = kv_cache_bytes(baseline, t, kv_dtype) if baseline is not None else None
    base_fl = flops_per_token(baseline, t) if baseline is not None else None
    parts = []
    for m in models:
        kv = kv_cache_bytes(m, t, kv_dtype)
        fl = flops_per_token(m, t)
        df = pd.DataFrame(
            {
                "model": m.id,
                "context_tokens": t,
                "kv_cache_bytes": kv,
                "kv_cache_gb": kv / BYTES_PER_GB,
                "flops_per_token": fl,
                "attention_flops_per_token": attention_flops_per_token(m, t),
            }
        )
        if base_kv is not None and base_fl is not None:
            df["kv_ratio"] = kv / base_kv
            df["flops_ratio"] = fl / base_fl
        parts.append(df)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


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


def _log_x(title: str = "context length (tokens, log scale)") -> alt.X:
    return alt.X(
        "context_tokens:Q", title=title, scale=alt.Scale(type="log", base=2), axis=alt.Axis(format="~s")
    )


def kv_chart(df: pd.DataFrame) -> alt.Chart:
    """KV cache per sequence (GB, log) against context length (tokens, log), one line per model."""
    chart: alt.Chart = (
        alt.Chart(df, title="KV cache per sequence")
        .mark_line(point=True)
        .encode(
            x=_log_x(),
            y=alt.Y(
                "kv_cache_gb:Q", title="KV cache per sequence (GB, log scale)", scale=alt.Scale(type="log")
            ),
            color=alt.Color("model:N", title="model"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("context_tokens:Q", title="context (tokens)", format=","),
                alt.Tooltip("kv_cache_gb:Q", title="KV cache (GB)", format=",.3f"),
            ],
        )
    )
    return chart


def flops_chart(df: pd.DataFrame) -> alt.Chart:
    """FLOPs to decode one token (log) against context length (log), one line per model."""
    chart: alt.Chart = (
        alt.Chart(df, title="FLOPs per decoded token")
        .mark_line(point=True)
        .encode(
            x=_log_x(),
            y=alt.Y(
                "flops_per_token:Q", title="FLOPs per token (FLOP, log scale)", scale=alt.Scale(type="log")
            ),
            color=alt.Color("model:N", title="model"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("context_tokens:Q", title="context (tokens)", format=","),
                alt.Tooltip("flops_per_token:Q", title="FLOPs per token", format=".3~s"),
                alt.Tooltip("attention_flops_per_token:Q", title="of which attention", format=".3~s"),
            ],
        )
    )
    return chart


def ratio_chart(df: pd.DataFrame, baseline_id: str) -> alt.Chart:
    """KV and FLOPs ratios to the baseline (%, log context axis), one panel per measure."""
    long = df.melt(
        id_vars=["model", "context_tokens"],
        value_vars=["kv_ratio", "flops_ratio"],
        var_name="measure",
        value_name="ratio",
    )
    long["measure"] = long["measure"].map({"kv_ratio": "KV cache", "flops_ratio": "FLOPs per token"})
    chart: alt.Chart = (
        alt.Chart(long, title=f"Relative to {baseline_id}")
        .mark_line(point=True)
        .encode(
            x=_log_x(),
            y=alt.Y("ratio:Q", title=f"ratio to {baseline_id} (%)", axis=alt.Axis(format="%")),
            color=alt.Color("model:N", title="model"),
            strokeDash=alt.StrokeDash("measure:N", title="measure"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("context_tokens:Q", title="context (tokens)", format=","),
                alt.Tooltip("ratio:Q", title="ratio to baseline", format=".1%"),
            ],
        )
    )
    return chart


def layer_chart(df: pd.DataFrame, measure: str = "kv_cache_mb") -> alt.Chart:
    """One bar per layer, coloured by mechanism: ``kv_cache_mb`` (MB) or ``attention_flops`` (FLOP)."""
    titles = {"kv_cache_mb": "KV cache (MB)", "attention_flops": "attention FLOPs per token (FLOP)"}
    chart: alt.Chart = (
        alt.Chart(df, title="Per layer")
        .mark_bar()
        .encode(
            x=alt.X("layer:O", title="layer (index)"),
            y=alt.Y(f"{measure}:Q", title=titles[measure]),
            color=alt.Color("mechanism:N", title="mechanism"),
            tooltip=[
                alt.Tooltip("layer:O"),
                alt.Tooltip("mechanism:N"),
                alt.Tooltip("kv_cache_mb:Q", title="KV cache (MB)", format=",.3f"),
                alt.Tooltip("attention_flops:Q", title="attention FLOPs", format=".3~s"),
            ],
        )
    )
    return chart


# ---- calibration ---------------------------------------------------------------------------------------------


def calibration_frame(
    model: Model, gpu: Gpu, levels: Sequence[str] = ("low", "base", "high", "floor")
) -> pd.DataFrame:
    """Predicted against measured throughput for every published measurement the serving model is checked on.

    Columns: ``measurement``, ``phase``, ``fitted`` (False = out-of-sample check), ``efficiency``,
    ``measured_tokens_per_s_per_node``, ``predicted_tokens_per_s_per_node``, ``ratio`` (predicted / measured).
    """
    from costmodel import serving

    rows = []
    checks = [(m, True) for m in serving.LMSYS_MEASUREMENTS] + [(serving.LMSYS_MTP, False)]
    for m, fitted in checks:
        for level in levels:
            pred = serving.predict_measurement(m, model, gpu, serving.EFFICIENCY[level])  # type: ignore[index]
            rows.append(
                {
                    "measurement": m.name,
                    "phase": m.phase,
                    "fitted": fitted,
                    "efficiency": level,
                    "measured_tokens_per_s_per_node": m.tokens_per_s_per_node,
                    "predicted_tokens_per_s_per_node": pred,
                    "ratio": pred / m.tokens_per_s_per_node,
                }
            )
    return pd.DataFrame(rows)


def calibration_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Predicted vs measured tokens/s per node (log-log), one colour per efficiency level, with the y = x line."""
    lo = float(min(df["measured_tokens_per_s_per_node"].min(), df["predicted_tokens_per_s_per_node"].min()))
    hi = float(max(df["measured_tokens_per_s_per_node"].max(), df["predicted_tokens_per_s_per_node"].max()))
    diag = pd.DataFrame({"x": [lo * 0.8, hi * 1.25], "y": [lo * 0.8, hi * 1.25]})
    scale = alt.Scale(type="log")
    points = (
        alt.Chart(df)
        .mark_point(size=80, filled=True)
        .encode(
            x=alt.X(
                "measured_tokens_per_s_per_node:Q", title="measured (tokens/s per 8-GPU node)", scale=scale
            ),
            y=alt.Y(
                "predicted_tokens_per_s_per_node:Q", title="predicted (tokens/s per 8-GPU node)", scale=scale
            ),
            color=alt.Color("efficiency:N", title="efficiency", sort=["low", "base", "high", "floor"]),
            shape=alt.Shape("phase:N", title="phase"),
            tooltip=[
                alt.Tooltip("measurement:N"),
                alt.Tooltip("efficiency:N"),
                alt.Tooltip("measured_tokens_per_s_per_node:Q", title="measured (tok/s/node)", format=",.0f"),
                alt.Tooltip(
                    "predicted_tokens_per_s_per_node:Q", title="predicted (tok/s/node)", format=",.0f"
                ),
                alt.Tooltip("ratio:Q", title="predicted / measured", format=".2f"),
            ],
        )
    )
    line = alt.Chart(diag).mark_line(strokeDash=[4, 4], color="gray").encode(x="x:Q", y="y:Q")
    chart = alt.LayerChart(layer=[line, points], title="Predicted vs measured (dashed: equal)")
    return chart
