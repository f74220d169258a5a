"""Altair charts of :mod:`costmodel.evaluate.uncertainty`: the tornado of the verdict and the cost ranges of the draws.

Drawing only: the figures are the :class:`~costmodel.evaluate.uncertainty.UncertaintyResult`'s. Every axis names its unit;
every mark has a tooltip.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from costmodel.evaluate.uncertainty import UncertaintyResult

__all__ = ["cost_range_chart", "cost_range_frame", "tornado_chart", "tornado_chart_frame"]


def tornado_chart_frame(res: UncertaintyResult) -> pd.DataFrame:
    """Two rows per tornado bar (low and high end): input, end, the input's value, verdict there (USD/month)."""
    rows = []
    for rank, b in enumerate(res.tornado):
        for end, text, v in (
            ("low end", b.low_text, b.verdict_low_usd),
            ("high end", b.high_text, b.verdict_high_usd),
        ):
            rows.append(
                {
                    "input": b.label,
                    "rank": rank,
                    "end": end,
                    "value": text,
                    "verdict_usd": v,
                    "base_usd": res.verdict_base_usd,
                    "range_source": b.note,
                }
            )
    cols = ["input", "rank", "end", "value", "verdict_usd", "base_usd", "range_source"]
    df = pd.DataFrame(rows, columns=cols)
    return df[df["verdict_usd"].map(math.isfinite)] if not df.empty else df


def tornado_chart(res: UncertaintyResult) -> alt.LayerChart:
    """Per input, a bar from the verdict at the scenario's inputs to the verdict at each end of the input's range;
    the widest swing on top. Right of $0 self-hosting saves money, left of it the API does."""
    df = tornado_chart_frame(res)
    order = list(dict.fromkeys(df.sort_values("rank")["input"]))
    x_title = "cheapest API − cheapest self-hosting (USD per month; > 0: self-hosting saves)"
    y = alt.Y("input:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tip = [
        alt.Tooltip("input:N"),
        alt.Tooltip("end:N"),
        alt.Tooltip("value:N", title="input at that end"),
        alt.Tooltip("verdict_usd:Q", title="verdict (USD/month)", format="$,.0f"),
        alt.Tooltip("base_usd:Q", title="at your inputs (USD/month)", format="$,.0f"),
        alt.Tooltip("range_source:N", title="range from"),
    ]
    bars = (
        alt.Chart(df)
        .mark_bar(opacity=0.8)
        .encode(
            x=alt.X(
                "verdict_usd:Q", title=x_title, axis=alt.Axis(format="$,.0f"), scale=alt.Scale(zero=True)
            ),
            x2=alt.X2("base_usd:Q"),
            y=y,
            color=alt.Color(
                "end:N",
                scale=alt.Scale(domain=["low end", "high end"], range=["#4c78a8", "#f58518"]),
                legend=alt.Legend(title="input at its", orient="bottom"),
            ),
            tooltip=tip,
        )
    )
    base = pd.DataFrame({"x": [res.verdict_base_usd], "what": ["your inputs"]})
    zero = pd.DataFrame({"x": [0.0], "what": ["break-even ($0)"]})
    rule_base = (
        alt.Chart(base)
        .mark_rule(strokeDash=[4, 3])
        .encode(
            x=alt.X("x:Q"),
            tooltip=[alt.Tooltip("what:N"), alt.Tooltip("x:Q", title="USD/month", format="$,.0f")],
        )
    )
    rule_zero = (
        alt.Chart(zero).mark_rule(color="#888").encode(x=alt.X("x:Q"), tooltip=[alt.Tooltip("what:N")])
    )
    return alt.LayerChart(
        layer=[bars, rule_base, rule_zero],
        title="Which input decides: the verdict at each end of each input's range",
    )


def cost_range_frame(res: UncertaintyResult, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Per option: P10, P50, P90 of the monthly cost over the draws (USD/month) and P(cheapest)."""
    rows = []
    for i, option in enumerate(res.options):
        p10, p50, p90 = res.quantiles(i)
        if math.isnan(p50):
            continue
        rows.append(
            {
                "name": (labels or {}).get(option, option),
                "kind": "API" if res.kinds[i] == "api" else "Self-host",
                "p10": p10,
                "p50": p50,
                "p90": p90,
                "p_cheapest": float(res.p_cheapest[i]),
            }
        )
    return pd.DataFrame(rows, columns=["name", "kind", "p10", "p50", "p90", "p_cheapest"])


def cost_range_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Per option, the P10–P90 range of the monthly cost (bar) and its P50 (point), log scale, cheapest first."""
    order = list(df.sort_values("p50")["name"])
    x_title = "monthly cost over the draws (USD per month, log scale): bar P10–P90, point P50"
    scale = alt.Scale(type="log")
    y = alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=220))
    tip = [
        alt.Tooltip("name:N", title="option"),
        alt.Tooltip("p10:Q", title="P10 (USD/month)", format="$,.0f"),
        alt.Tooltip("p50:Q", title="P50 (USD/month)", format="$,.0f"),
        alt.Tooltip("p90:Q", title="P90 (USD/month)", format="$,.0f"),
        alt.Tooltip("p_cheapest:Q", title="cheapest in (share of draws)", format=".1%"),
    ]
    color = alt.Color("kind:N", legend=alt.Legend(title=None, orient="bottom"))
    rng = (
        alt.Chart(df)
        .mark_rule(strokeWidth=8, opacity=0.45)
        .encode(x=alt.X("p10:Q", title=x_title, scale=scale, axis=alt.Axis(format="$~s")), x2=alt.X2("p90:Q"), y=y,
                color=color, tooltip=tip)
    )  # fmt: skip
    mid = alt.Chart(df).mark_point(filled=True, size=80).encode(x=alt.X("p50:Q", scale=scale), y=y, color=color,
                                                                 tooltip=tip)  # fmt: skip
    text = (
        alt.Chart(df)
        .mark_text(align="left", dx=8, fontSize=11)
        .encode(
            x=alt.X("p90:Q", scale=scale),
            y=y,
            text=alt.Text("p_cheapest:Q", format=".0%"),
            tooltip=tip,
        )
    )
    return alt.LayerChart(
        layer=[rng, mid, text],
        title="Monthly cost over the draws, and how often each option is the cheapest (%)",
    )
