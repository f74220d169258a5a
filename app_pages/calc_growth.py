"""Calculator: the next months as traffic grows (costmodel.growth), drawn by costmodel.charts, with a CSV download.

Thin and lazy: nothing is computed until a monthly growth other than 0 is set (each projected month is a full
evaluation, about 0.1 s each), and the projection is cached on the scenario, the rate and the user's uploads.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from costmodel import traffic_charts
from costmodel.catalog.schema import Catalogue
from costmodel.growth import GrowthError, cheapest_changes, growth_projection
from costmodel.present import md_literal
from costmodel.scenario import Scenario

MONTHS = 12
ss = st.session_state


@st.cache_resource(max_entries=16, show_spinner=False, hash_funcs={Scenario: hash})
def _project(scenario: Scenario, _cat: Catalogue, rate: float, uploads: tuple[str, ...]) -> pd.DataFrame:
    return growth_projection(scenario, _cat, rate, MONTHS)


def show(scenario: Scenario | None, cat: Catalogue) -> None:
    """The growth expander: a monthly rate, then the projection chart, the months the cheapest changes, a CSV."""
    ss.setdefault("calc_growth_pct", 0.0)  # no growth until the user sets one
    with st.expander(f":material/trending_up: Growth: the next {MONTHS} months"):
        st.number_input(
            "Traffic growth a month (%)",
            step=5.0,
            key="calc_growth_pct",
            # no widget bounds (issue 16, item 5): a value out of range is refused by name below, not kept unsent
            help="Requests per day grow by this much every month; each month is priced like today's table. "
            "Accepted: above -100 and at most 1,000.",
        )
        pct = float(ss.get("calc_growth_pct") or 0.0)
        if scenario is None or pct == 0:
            st.caption("Set a monthly growth to see each option's cost month by month.")
            return
        uploads = tuple(m.model_dump_json() for m in common.custom_models())
        try:
            with st.spinner("Pricing each month…"):
                projection = _project(scenario, cat, pct / 100.0, uploads)
        except (GrowthError, ValueError, KeyError) as e:
            st.error(f"Growth: {md_literal(str(e).splitlines()[0])}", icon=":material/error:")
            return
        st.altair_chart(traffic_charts.growth_chart(projection), width="stretch", key="calc_growth_chart")
        changes = cheapest_changes(projection)
        st.markdown(
            "\n".join(
                f"- Month {m}: the cheapest option changes from **{md_literal(a)}** to **{md_literal(b)}**."
                for m, a, b in changes
            )
            or f"The same option stays cheapest for all {MONTHS} months."
        )
        st.download_button(
            "Projection CSV",
            data=projection.to_csv(index=False),
            file_name="growth-projection.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key="calc_growth_csv",
        )
