"""Altair charts of the Attention lab: KV cache and FLOPs per token against context length, their ratio to a
baseline, the per-layer breakdown, and which past positions one query reads (the numpy reference simulation).

Pure functions of the frames :mod:`costmodel.views.architecture` builds; every axis names its unit, every mark has a tooltip.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from costmodel.views.charts.cost import SI, TOKEN_LABEL_EXPR, _legend


def _log_x(title: str = "context length (tokens, log scale; K = 1,024)") -> alt.X:
    return alt.X(
        "context_tokens:Q",
        title=title,
        scale=alt.Scale(type="log", base=2),
        axis=alt.Axis(labelExpr=TOKEN_LABEL_EXPR),
    )


def _lines_per_model(df: pd.DataFrame, title: str, y: alt.Y, tooltip: list[alt.Tooltip]) -> alt.Chart:
    """One line per model of ``y`` against context length (log), the model and context in every tooltip."""
    chart: alt.Chart = (
        alt.Chart(df, title=title)
        .mark_line(point=True)
        .encode(
            x=_log_x(),
            y=y,
            color=alt.Color("model:N", legend=_legend("model")),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("context_tokens:Q", title="context (tokens)", format=","),
                *tooltip,
            ],
        )
    )
    return chart


def kv_chart(df: pd.DataFrame) -> alt.Chart:
    """KV cache per sequence (GB, log) against context length (tokens, log), one line per model."""
    return _lines_per_model(
        df,
        "KV cache per sequence",
        alt.Y(
            "kv_cache_gb:Q",
            title="KV cache per sequence (GB, log scale)",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format="~g"),
        ),
        [alt.Tooltip("kv_cache_gb:Q", title="KV cache (GB)", format=",.3f")],
    )


def flops_chart(df: pd.DataFrame) -> alt.Chart:
    """FLOPs to decode one token (log) against context length (log), one line per model."""
    return _lines_per_model(
        df,
        "FLOPs per decoded token",
        alt.Y(
            "flops_per_token:Q",
            title="FLOPs per token (FLOP, log scale; G = 10⁹, T = 10¹²)",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(format=SI),
        ),
        [
            alt.Tooltip("flops_per_token:Q", title="FLOPs per token", format=".3~s"),
            alt.Tooltip("attention_flops_per_token:Q", title="of which attention", format=".3~s"),
        ],
    )


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
            color=alt.Color("model:N", legend=_legend("model")),
            strokeDash=alt.StrokeDash(
                "measure:N", legend=_legend("measure (line style)", symbolType="stroke", symbolStrokeWidth=2)
            ),
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
            y=alt.Y(f"{measure}:Q", title=titles[measure], axis=alt.Axis(format=SI)),
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


# ---- which past positions one query reads (from the numpy reference simulation) -------------------------------


def sim_reads_chart(df: pd.DataFrame, length: int) -> alt.Chart:
    """Heatmap: one row per mechanism and part, a mark on every past position the query reads."""
    df = df.assign(row=df["mechanism"] + ": " + df["what"])
    chart: alt.Chart = (
        alt.Chart(df, title=f"What the query at position {length} reads")
        .mark_rect()
        .encode(
            x=alt.X(
                "position:Q",
                title="past position (token index)",
                scale=alt.Scale(domain=[0, length], nice=False),
            ),
            x2=alt.X2("position_end:Q"),
            y=alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
            color=alt.Color("mechanism:N", title="mechanism", legend=None),
            tooltip=[
                alt.Tooltip("mechanism:N"),
                alt.Tooltip("what:N", title="part"),
                alt.Tooltip("position:Q", title="from position"),
                alt.Tooltip("position_end:Q", title="to (exclusive)"),
            ],
        )
        .properties(height=alt.Step(26))
    )
    return chart
