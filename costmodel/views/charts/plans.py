"""Altair charts of a plan (a self-hosted base load with API overflow): the 24-hour demand of a mean weekday and a
mean weekend day as areas (self-hosted below, the API's overflow shaded above), the fleet's capacity as a line; and
the plan's monthly cost against the committed GPUs.

Drawing only: frames come from :func:`costmodel.evaluate.plan_table.plan_hours_frame` and
:class:`costmodel.evaluate.plan_options.PlanResult`. Every axis names its unit.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from costmodel.evaluate.plan_options import PlanResult
from costmodel.views.charts.cost import SI

__all__ = ["plan_cost_chart", "plan_cost_frame", "plan_day_chart", "plan_day_frame"]

_WEEKEND = ("Sat", "Sun")
_SELF, _API = "self-hosted", "API overflow"


def plan_day_frame(hours: pd.DataFrame, plan: str) -> pd.DataFrame:
    """Long frame of one plan's mean weekday and mean weekend day by UTC hour: ``day``, ``hour_utc``, ``part``
    (self-hosted | API overflow), ``requests`` (requests in that hour), ``capacity`` (requests the fleet could serve)."""
    h = hours[hours["plan"] == plan].copy()
    h["day"] = np.where(h["weekday"].isin(_WEEKEND), "weekend day", "weekday")
    mean = h.groupby(["day", "hour_utc"], as_index=False)[
        ["self_hosted_requests", "api_requests", "fleet_capacity_requests"]
    ].mean()
    long = mean.melt(
        id_vars=["day", "hour_utc", "fleet_capacity_requests"],
        value_vars=["self_hosted_requests", "api_requests"],
        var_name="part",
        value_name="requests",
    )
    long["part"] = long["part"].map({"self_hosted_requests": _SELF, "api_requests": _API})
    return long.rename(columns={"fleet_capacity_requests": "capacity"})


def plan_day_chart(frame: pd.DataFrame) -> alt.LayerChart | alt.FacetChart:
    """The demand of a mean weekday and weekend day (stacked areas: self-hosted, then the API's overflow) and the
    fleet's capacity (line), side by side (:func:`plan_day_frame`)."""
    x = alt.X("hour_utc:Q", title="hour of the day (UTC, 0-23)", scale=alt.Scale(domain=[0, 23]),
              axis=alt.Axis(tickCount=12))  # fmt: skip
    area = (
        alt.Chart()
        .mark_area(interpolate="step-after", opacity=0.75)
        .encode(
            x=x,
            y=alt.Y("requests:Q", stack="zero", title="requests per hour", axis=alt.Axis(format=SI)),
            color=alt.Color(
                "part:N",
                scale=alt.Scale(domain=[_SELF, _API], range=["#4c78a8", "#f58518"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            order=alt.Order("part_order:Q"),
            tooltip=[
                alt.Tooltip("hour_utc:Q", title="UTC hour"),
                alt.Tooltip("part:N"),
                alt.Tooltip("requests:Q", format=",.0f"),
            ],
        )
        .transform_calculate(part_order=f"datum.part == '{_SELF}' ? 0 : 1")
    )
    line = (
        alt.Chart()
        .transform_filter(alt.datum.part == _SELF)
        .mark_line(interpolate="step-after", color="black", strokeDash=[4, 2])
        .encode(
            x=x, y="capacity:Q", tooltip=[alt.Tooltip("capacity:Q", title="fleet capacity", format=",.0f")]
        )
    )
    chart: alt.FacetChart = alt.layer(area, line, data=frame).properties(height=180, width=300).facet(
        column=alt.Column("day:N", title=None, sort=["weekday", "weekend day"])
    )  # fmt: skip
    return chart


def plan_cost_frame(plan: PlanResult) -> pd.DataFrame:
    """``committed_gpus``, ``monthly_cost_usd`` (the cheapest over the on-demand cap at that many committed GPUs),
    and the two pure plans as ``api_only_usd`` / ``self_host_only_usd``; empty when the plan was not searched."""
    if plan.search is None or plan.inputs is None:
        return pd.DataFrame(
            columns=["committed_gpus", "monthly_cost_usd", "api_only_usd", "self_host_only_usd"]
        )
    cost = plan.search.cost_by_committed
    return pd.DataFrame(
        {
            "committed_gpus": np.arange(cost.size) * plan.inputs.replica_gpus,
            "monthly_cost_usd": cost,
            "api_only_usd": plan.api_only_usd_per_month,
            "self_host_only_usd": plan.self_host_only_usd_per_month,
        }
    )


def plan_cost_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The plan's monthly cost against the committed GPUs (points and line), with the API alone and self-hosting
    alone as horizontal rules (:func:`plan_cost_frame`)."""
    base = alt.Chart(frame)
    cost = base.mark_line(point=True, color="black").encode(
        x=alt.X("committed_gpus:Q", title="committed GPUs (whole replicas)"),
        y=alt.Y("monthly_cost_usd:Q", title="monthly cost (USD)", axis=alt.Axis(format="$,.0f")),
        tooltip=[
            alt.Tooltip("committed_gpus:Q", title="committed GPUs"),
            alt.Tooltip("monthly_cost_usd:Q", title="USD / month", format="$,.0f"),
        ],
    )
    rules = (
        base.transform_fold(["api_only_usd", "self_host_only_usd"], as_=["pure", "usd"])
        .transform_aggregate(usd="mean(usd)", groupby=["pure"])
        .transform_calculate(pure="datum.pure == 'api_only_usd' ? 'API alone' : 'self-hosting alone'")
        .mark_rule(strokeDash=[4, 2])
        .encode(
            y="usd:Q",
            color=alt.Color("pure:N", legend=alt.Legend(title=None, orient="top")),
            tooltip=[alt.Tooltip("pure:N"), alt.Tooltip("usd:Q", title="USD / month", format="$,.0f")],
        )
    )
    chart = alt.layer(cost, rules).properties(height=200)
    assert isinstance(chart, alt.LayerChart)
    return chart
