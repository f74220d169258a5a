"""The request-class chart of a mix: each option's monthly cost stacked by request class (drawing only: the figures
are :attr:`costmodel.evaluate.evaluation.Evaluation.by_class`)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from costmodel.views.charts.cost import _legend, breakdown_chart

__all__ = ["class_chart", "class_chart_frame"]


def class_chart_frame(by_class: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``option``, ``name`` (the table's label), ``part`` (the class), ``monthly_cost_usd``, ``total_usd`` (the
    option's monthly cost): what :func:`costmodel.views.charts.cost.breakdown_chart` stacks. Options without a cost are left
    out (their reason is in the table)."""
    cols = ["option", "name", "part", "monthly_cost_usd", "total_usd"]
    if by_class.empty:
        return pd.DataFrame(columns=cols)
    labels = dict(zip(table["option"], table["label"], strict=True)) if "label" in table else {}
    df = by_class.dropna(subset=["monthly_cost_usd"])
    totals = df.groupby("option")["monthly_cost_usd"].transform("sum")
    return pd.DataFrame(
        {
            "option": df["option"],
            "name": df["option"].map(lambda o: labels.get(o, o)),
            "part": df["class"],
            "monthly_cost_usd": df["monthly_cost_usd"].astype(float),
            "total_usd": totals.astype(float),
        },
        columns=cols,
    ).reset_index(drop=True)


def class_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Stacked horizontal bars, one per option: its monthly cost (USD per month) by request class."""
    chart = breakdown_chart(df)
    bars = chart.layer[0].encode(color=alt.Color("part:N", legend=_legend("request class")))
    chart.layer = [bars, *chart.layer[1:]]
    sub = [
        "APIs: each class's own bill. Self-hosting: one shared fleet, split by each class's GPU-seconds of work."
    ]
    clipped = getattr(chart.title, "subtitle", "")  # the axis clipped at a multiple of the median: said
    if isinstance(clipped, str) and clipped:
        sub.append(clipped)
    return chart.properties(title=alt.Title("Cost by request class", subtitle=sub))
