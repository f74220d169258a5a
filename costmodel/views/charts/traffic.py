"""Altair charts of a workload's traffic: the hourly profile the Calculator edits, an imported usage log
(weekday x hour requests, prompt and output length histograms) and the growth projection.

Drawing only, as :mod:`costmodel.views.charts.cost` (split from it by concern): frames come from the scenario,
:class:`costmodel.workload.usage_log.LogImport` and :mod:`costmodel.evaluate.growth`. Every axis names its unit.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from costmodel.views.charts.cost import SI, _legend


def profile_frame(profile: pd.DataFrame) -> pd.DataFrame:
    """Long frame ``hour, day, percent``: each local hour's share of that day's requests (weekday and weekend
    columns of the hourly profile each normalised to 100 %; a column of zeros stays 0)."""
    df = profile.melt(
        id_vars=["hour"], value_vars=["weekday", "weekend"], var_name="day", value_name="weight"
    )
    df["weight"] = pd.to_numeric(df["weight"], errors="coerce").fillna(0.0)
    total = df.groupby("day")["weight"].transform("sum")
    df["percent"] = np.where(total > 0, 100.0 * df["weight"] / total.where(total > 0, 1.0), 0.0)
    return df


def profile_chart(profile: pd.DataFrame) -> alt.Chart:
    """The hourly traffic profile as bars: each local hour's share of a day's requests (%), weekday and weekend
    side by side."""
    chart: alt.Chart = (
        alt.Chart(profile_frame(profile), height=170)
        .mark_bar()
        .encode(
            x=alt.X(
                "hour:O",
                title="hour of the day (local time)",
                axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3))),
            ),
            xOffset=alt.XOffset("day:N"),
            y=alt.Y("percent:Q", title="share of the day's requests (%)"),
            color=alt.Color("day:N", legend=alt.Legend(title=None, orient="top")),
            tooltip=[
                alt.Tooltip("day:N"),
                alt.Tooltip("hour:O", title="hour"),
                alt.Tooltip("percent:Q", title="share of the day's requests (%)", format=".1f"),
            ],
        )
    )
    return chart


# ---- an imported usage log (costmodel.workload.usage_log.LogImport) ----------------------------------------------------

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def log_hour_frame(weekday_hour_requests: tuple[tuple[float, ...], ...]) -> pd.DataFrame:
    """Long frame ``weekday, hour, requests`` of a 7 × 24 matrix of requests (row 0 = Monday)."""
    grid = np.asarray(weekday_hour_requests, dtype=float).reshape(7, 24)
    return pd.DataFrame(
        {
            "weekday": np.repeat(_WEEKDAYS, 24),
            "hour": np.tile(np.arange(24), 7),
            "requests": grid.reshape(-1),
        }
    )


def log_hour_chart(df: pd.DataFrame, timezone: str) -> alt.Chart:
    """Heatmap of the log's requests by local weekday and hour (:func:`log_hour_frame`)."""
    chart: alt.Chart = (
        alt.Chart(df, height=190, title=f"Requests in the log by weekday and hour ({timezone})")
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=f"local hour ({timezone})", axis=alt.Axis(labelAngle=0, values=list(range(0, 24, 3)))),
            y=alt.Y("weekday:O", title=None, sort=list(_WEEKDAYS)),
            color=alt.Color("requests:Q", title="requests", scale=alt.Scale(scheme="blues"),
                            legend=alt.Legend(orient="bottom", format=SI)),
            tooltip=[
                alt.Tooltip("weekday:N"),
                alt.Tooltip("hour:O", title="hour"),
                alt.Tooltip("requests:Q", title="requests", format=",.0f"),
            ],
        )
    )  # fmt: skip
    return chart


def _tokens_text(n: int) -> str:
    return f"{n // 1048576:g}M" if n >= 1048576 else f"{n // 1024:g}K" if n >= 1024 else f"{n:g}"


def log_length_frame(buckets: Any, what: str) -> pd.DataFrame:
    """One row per histogram bucket (:class:`costmodel.workload.usage_log.HistogramBucket`): its label, bounds, requests
    and share of all requests; ``what`` names the length (``prompt`` or ``output``)."""
    rows = [
        {
            "length": what,
            "bucket": f"{_tokens_text(b.lower_tokens)}–{_tokens_text(b.upper_tokens)}",
            "order": i,
            "lower_tokens": b.lower_tokens,
            "upper_tokens": b.upper_tokens,
            "requests": b.requests,
            "mean_tokens": b.mean_tokens,
        }
        for i, b in enumerate(buckets)
    ]
    df = pd.DataFrame(rows, columns=["length", "bucket", "order", "lower_tokens", "upper_tokens", "requests",
                                     "mean_tokens"])  # fmt: skip
    total = float(df["requests"].sum()) if len(df) else 0.0
    df["share"] = df["requests"] / total if total > 0 else 0.0
    return df


def log_length_chart(df: pd.DataFrame, requests_title: str = "requests") -> alt.Chart:
    """Bars: share of requests in each length bucket (:func:`log_length_frame`, or
    :func:`costmodel.workload.prompt_shape.histogram_frame`), power-of-two buckets; ``requests_title`` names the unit of
    the ``requests`` column in the tooltip."""
    what = str(df["length"].iloc[0]) if len(df) else "prompt"
    chart: alt.Chart = (
        alt.Chart(df, height=170, title=f"{what.capitalize()} length distribution")
        .mark_bar()
        .encode(
            x=alt.X("bucket:N", sort=alt.EncodingSortField("order"), title=f"{what} tokens per request (K = 1,024)",
                    axis=alt.Axis(labelAngle=-40)),
            y=alt.Y("share:Q", title="share of requests", axis=alt.Axis(format="%")),
            tooltip=[
                alt.Tooltip("bucket:N", title=f"{what} tokens"),
                alt.Tooltip("requests:Q", title=requests_title, format=",.0f"),
                alt.Tooltip("share:Q", format=".1%"),
                alt.Tooltip("mean_tokens:Q", title="mean tokens", format=",.0f"),
            ],
        )
    )  # fmt: skip
    return chart


# ---- growth projection (costmodel.evaluate.growth) ---------------------------------------------------------------------


def growth_chart(projection: pd.DataFrame) -> alt.LayerChart:
    """Each option's monthly cost over the projected months (:func:`costmodel.evaluate.growth.growth_projection`), with a
    ring on the cheapest option of each month."""
    df = projection.dropna(subset=["monthly_cost_usd"])
    base = alt.Chart(df, height=260)
    lines = base.mark_line(point=True).encode(
        x=alt.X("month:Q", title="month from now", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("monthly_cost_usd:Q", title="monthly cost (USD, log scale)", scale=alt.Scale(type="log"),
                axis=alt.Axis(format="$" + SI)),
        color=alt.Color("option:N", legend=_legend("option")),
        tooltip=[
            alt.Tooltip("label:N", title="option"),
            alt.Tooltip("month:Q"),
            alt.Tooltip("requests_per_day:Q", title="requests/day", format=",.0f"),
            alt.Tooltip("monthly_cost_usd:Q", title="USD/month", format="$,.0f"),
        ],
    )  # fmt: skip
    rings = (
        base.transform_filter("datum.cheapest")
        .mark_point(size=220, shape="circle", filled=False, strokeWidth=2, color="#1a7f37")
        .encode(
            x=alt.X("month:Q"),
            y=alt.Y("monthly_cost_usd:Q"),
            tooltip=[alt.Tooltip("label:N", title="cheapest")],
        )
    )
    chart: alt.LayerChart = (lines + rings).properties(title="Monthly cost as traffic grows")
    return chart
