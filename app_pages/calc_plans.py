"""Calculator: plans, a self-hosted base load with the overflow sent to an API hour by hour
(costmodel.evaluate.plan_options), drawn by costmodel.views.charts.plans.

The toggle is part of the scenario (``Scenario.plans``: saved, in the share link, in the exports); with it on the
table gains rows of kind ``plan`` and this expander shows, for the chosen plan, the 24-hour demand of a mean weekday
and weekend day (self-hosted and API overflow) against the fleet's capacity, and its monthly cost against the
committed GPUs. Thin: every number comes from the results' evaluation.
"""

from __future__ import annotations

import streamlit as st

from app_pages import calc_compute
from app_pages import calc_state as cs
from costmodel.catalog.schema import Catalogue
from costmodel.evaluate.plan_options import PLAN_ASSUMPTIONS
from costmodel.evaluate.plan_table import plan_label, plan_option_id
from costmodel.views.charts import plans as plan_charts
from costmodel.views.present import md_literal, percent, usd

ss = st.session_state


def show(cat: Catalogue) -> None:
    """The Plans expander: the toggle, then (with results that have plans) the chosen plan's two pictures."""
    ss.setdefault(cs.PLANS_KEY, False)
    with st.expander(":material/call_split: Plans: self-host the base load, API for the rest"):
        st.toggle(
            "Price plans",
            key=cs.PLANS_KEY,
            help="Each self-hosting option paired with the API serving the same model: committed GPUs every hour, "
            "more on demand by the hour, the API for what the fleet does not serve in each UTC hour. Rows of kind "
            "plan in the table; saved with the scenario, in the share link and in the exports.",
        )
        shown: calc_compute.Shown | None = calc_compute.last_shown()
        if not ss[cs.PLANS_KEY] or shown is None:
            st.caption("Turn plans on to price a self-hosted base load with API overflow, hour by hour.")
            return
        plans = [p for p in shown.ev.plans if not p.reason]
        if not plans:
            why = "; ".join(p.reason for p in shown.ev.plans) or (
                "no API option serves the same model as a self-hosting option"
            )
            st.info(f"No plan: {md_literal(why)}.", icon=":material/info:")
            return
        labels = {plan_option_id(p): plan_label(p, cat) for p in plans}
        best = min(plans, key=lambda p: p.monthly_cost_usd)
        chosen_id = st.selectbox(
            "Plan",
            list(labels),
            index=list(labels).index(plan_option_id(best)),
            format_func=labels.__getitem__,
            key="calc_plan_pick",
        )
        plan = next(p for p in plans if plan_option_id(p) == chosen_id)
        st.markdown(
            f"**{md_literal(labels[chosen_id])}**: {usd(plan.monthly_cost_usd)}/month; self-hosted "
            f"{percent(plan.self_hosted_request_share)} of requests; API overflow "
            f"{usd(plan.api_overflow_usd_per_month)}/month. API alone {usd(plan.api_only_usd_per_month)}, "
            f"self-hosting alone {usd(plan.self_host_only_usd_per_month)}."
            + (f" {md_literal(plan.why[0].upper() + plan.why[1:])}." if plan.why else "")
        )
        hours = shown.part("plan_hours", shown.ev.plan_hours)
        st.altair_chart(
            plan_charts.plan_day_chart(plan_charts.plan_day_frame(hours, chosen_id)), key="calc_plan_day"
        )
        st.altair_chart(
            plan_charts.plan_cost_chart(plan_charts.plan_cost_frame(plan)),
            width="stretch",
            key="calc_plan_cost",
        )
        st.caption(f"Assumptions: {md_literal(PLAN_ASSUMPTIONS)}.")
