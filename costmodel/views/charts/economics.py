"""Altair charts of the provider economics (drawing only, in the style of :mod:`costmodel.views.charts.cost`): the frames
come from :class:`costmodel.economics.Economics`; every axis names its unit and every mark has a tooltip."""

from __future__ import annotations

import altair as alt
import pandas as pd

from costmodel.views.charts.cost import TOKEN_LABEL_EXPR, _legend

TOKEN_NAMES = {"input": "uncached input", "cached": "cached input", "output": "output"}
STORY_CONTEXT_NAMES = {8192: "8K", 131072: "128K", 1048576: "1M"}


def history_chart(history: pd.DataFrame, token_type: str) -> alt.LayerChart:
    """The price of one token type over time as steps (one per price row and window), the provider's cost band
    (low to high efficiency) beneath as a shaded strip, and the base cost as a dashed line."""
    df = history[history["token_type"] == token_type].copy()
    name = TOKEN_NAMES[token_type]
    y_title = f"USD per 1M {name} tokens"
    x = alt.X("start:T", title="date (UTC)")
    steps = (
        alt.Chart(df)
        .mark_rule(strokeWidth=3)
        .encode(
            x=x,
            x2=alt.X2("end:T"),
            y=alt.Y("price_usd_per_mtok:Q", title=y_title),
            color=alt.Color("series:N", legend=_legend("price (row kind and window)")),
            tooltip=[
                alt.Tooltip("price_id:N", title="price row"),
                alt.Tooltip("series:N", title="kind (window)"),
                alt.Tooltip("start:T", title="from", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("end:T", title="to", format="%Y-%m-%d %H:%M"),
                alt.Tooltip("price_usd_per_mtok:Q", title="price (USD per 1M)", format="$,.4f"),
                alt.Tooltip("source:N"),
                alt.Tooltip("as_of:N", title="as of"),
            ],
        )
    )
    span = pd.DataFrame(
        {
            "start": [df["start"].min()],
            "end": [df["end"].max()],
            "low": [df["cost_usd_per_mtok_low"].iloc[0] if len(df) else float("nan")],
            "high": [df["cost_usd_per_mtok_high"].iloc[0] if len(df) else float("nan")],
            "base": [df["cost_usd_per_mtok"].iloc[0] if len(df) else float("nan")],
        }
    )
    cost_tip = [
        alt.Tooltip("base:Q", title="cost, base (USD per 1M)", format="$,.4f"),
        alt.Tooltip("low:Q", title="cost, low (USD per 1M)", format="$,.4f"),
        alt.Tooltip("high:Q", title="cost, high (USD per 1M)", format="$,.4f"),
    ]
    band = (
        alt.Chart(span)
        .mark_rect(opacity=0.25, color="#888")
        .encode(
            x=alt.X("start:T"), x2=alt.X2("end:T"), y=alt.Y("low:Q"), y2=alt.Y2("high:Q"), tooltip=cost_tip
        )
    )
    base = (
        alt.Chart(span)
        .mark_rule(strokeDash=[6, 4], color="#444")
        .encode(x=alt.X("start:T"), x2=alt.X2("end:T"), y=alt.Y("base:Q"), tooltip=cost_tip)
    )
    return alt.LayerChart(
        height=300,
        layer=[band, base, steps],
        title=f"{name.capitalize()}: price history (steps) over the provider's cost band (grey; dashed: base)",
    )


def sweep_chart(sweep: pd.DataFrame) -> alt.LayerChart:
    """Gross margin per token type against context length (log), with the band as a shaded area."""
    df = sweep.assign(token=sweep["token_type"].map(TOKEN_NAMES))
    x = alt.X(
        "context_tokens:Q",
        title="request length (tokens, log scale; K = 1,024)",
        scale=alt.Scale(type="log", base=2),
        axis=alt.Axis(labelExpr=TOKEN_LABEL_EXPR),
    )
    color = alt.Color("token:N", legend=_legend("token type"))
    tip = [
        alt.Tooltip("token:N", title="token type"),
        alt.Tooltip("context_tokens:Q", title="request length (tokens)", format=","),
        alt.Tooltip("price_usd_per_mtok:Q", title="price (USD per 1M)", format="$,.4f"),
        alt.Tooltip("cost_usd_per_mtok:Q", title="cost, base (USD per 1M)", format="$,.4f"),
        alt.Tooltip("margin_pct:Q", title="margin, base (%)", format=",.1f"),
        alt.Tooltip("margin_pct_min:Q", title="margin, low (%)", format=",.1f"),
        alt.Tooltip("margin_pct_max:Q", title="margin, high (%)", format=",.1f"),
    ]
    area = (
        alt.Chart(df)
        .mark_area(opacity=0.2)
        .encode(
            x=x,
            y=alt.Y("margin_pct_min:Q", title="gross margin (% of the price)"),
            y2=alt.Y2("margin_pct_max:Q"),
            color=color,
        )
    )
    line = alt.Chart(df).mark_line(point=True).encode(x=x, y=alt.Y("margin_pct:Q"), color=color, tooltip=tip)
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#c00").encode(y=alt.Y("y:Q"))
    return alt.LayerChart(
        layer=[area, line, zero], title="Gross margin against request length (red: break-even)"
    ).properties(height=320)


def story_chart(story: pd.DataFrame, token_type: str = "output") -> alt.FacetChart:
    """Cost per 1M tokens of one type for each model at each context length (log scale): a dot at the base
    efficiency and a line over the band, one panel per context length."""
    col = f"usd_per_mtok_{token_type}"
    df = story.assign(
        context=story["context_tokens"].map(lambda t: STORY_CONTEXT_NAMES.get(int(t), f"{t:,}"))
    )
    y_title = f"USD per 1M {TOKEN_NAMES[token_type]} tokens (log scale)"
    x = alt.X("model:N", title=None, axis=alt.Axis(labelAngle=-30, labelLimit=160))
    color = alt.Color("model:N", legend=_legend("model"))
    dots = (
        alt.Chart()
        .mark_point(filled=True, size=120)
        .encode(
            x=x,
            y=alt.Y(f"{col}:Q", title=y_title, scale=alt.Scale(type="log")),
            color=color,
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("context:N", title="request length"),
                alt.Tooltip(f"{col}:Q", title="cost, base (USD per 1M)", format="$,.4f"),
                alt.Tooltip(
                    "attention_flops_share_decode:Q", title="attention share of decode FLOPs", format=".0%"
                ),
                alt.Tooltip("kv_share_decode_bytes:Q", title="KV share of decode HBM bytes", format=".0%"),
                alt.Tooltip("notes:N"),
            ],
        )
    )
    layers = [dots]
    if f"{col}_low" in df:
        layers.insert(0, alt.Chart().mark_rule(strokeWidth=3, opacity=0.6).encode(
            x=x, y=f"{col}_low:Q", y2=f"{col}_high:Q", color=color
        ))  # fmt: skip
    chart: alt.FacetChart = (
        alt.layer(*layers, data=df)
        .properties(width=160, height=260)
        .facet(
            column=alt.Column("context:N", title="request length", sort=list(STORY_CONTEXT_NAMES.values()))
        )
        .properties(title=f"Cost per 1M {TOKEN_NAMES[token_type]} tokens, same fleet (dot: base; line: band)")
    )
    return chart


def hardware_chart(hw: pd.DataFrame) -> alt.LayerChart:
    """Decode throughput per GPU for each GPU type (bar: base; line: low to high efficiency)."""
    df = hw.dropna(subset=["decode_tokens_per_s_per_gpu"]).assign(
        label=lambda d: d["gpu"] + " (" + d["gpu_confidence"] + ")"
    )
    y = alt.Y("label:N", title=None, axis=alt.Axis(labelLimit=240))
    x_title = "output tokens per second per GPU (decode, at the TPOT target)"
    bars = (
        alt.Chart(df)
        .mark_bar(opacity=0.7)
        .encode(
            x=alt.X("decode_tokens_per_s_per_gpu:Q", title=x_title),
            y=y,
            tooltip=[
                alt.Tooltip("gpu:N"),
                alt.Tooltip("gpu_confidence:N", title="catalogue confidence"),
                alt.Tooltip("unconfirmed_fields:N", title="unconfirmed fields used"),
                alt.Tooltip(
                    "decode_tokens_per_s_per_gpu:Q", title="decode, base (tokens/s/GPU)", format=",.0f"
                ),
                alt.Tooltip(
                    "prefill_tokens_per_s_per_gpu:Q", title="prefill, base (tokens/s/GPU)", format=",.0f"
                ),
                alt.Tooltip(
                    "break_even_usd_per_gpu_hour:Q", title="break-even (USD per GPU-hour)", format="$,.2f"
                ),
            ],
        )
    )
    band = (
        alt.Chart(df)
        .mark_rule(strokeWidth=2, color="#333")
        .encode(
            x=alt.X("decode_tokens_per_s_per_gpu_low:Q"), x2=alt.X2("decode_tokens_per_s_per_gpu_high:Q"), y=y
        )
    )
    return alt.LayerChart(layer=[bars, band], title="Decode throughput per GPU type (line: efficiency band)")
