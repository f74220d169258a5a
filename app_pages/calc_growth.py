"""Calculator: the next months as traffic grows (costmodel.evaluate.growth), drawn by costmodel.views.charts.traffic, with a CSV
download.

The monthly growth is part of the scenario (``Scenario.monthly_growth_fraction``: saved, shared in the link and
carried by the exports); the field here is in percent. Thin and lazy: nothing is computed while the growth is 0,
and the projection (a full evaluation a month, about 0.1 s each) is built once per scenario and kept with its
evaluation (:func:`app_pages.calc_results.growth`), so a rerun with unchanged inputs recomputes nothing.
"""

from __future__ import annotations

import streamlit as st

from app_pages import calc_compute, calc_results
from app_pages import calc_state as cs
from costmodel.catalog.schema import Catalogue
from costmodel.views.charts import traffic as traffic_charts
from costmodel.views.export.growth import MONTHS
from costmodel.views.present import md_literal
from costmodel.workload.scenario import Scenario

ss = st.session_state


def show(scenario: Scenario | None, cat: Catalogue) -> None:
    """The growth expander: a monthly rate, then the projection chart, the months the cheapest changes, a CSV.
    The projection is the results' shown above (the last valid inputs' when ``scenario`` is None)."""
    ss.setdefault(cs.GROWTH_KEY, 0.0)  # no growth until the user sets one
    with st.expander(f":material/trending_up: Growth: the next {MONTHS} months"):
        st.number_input(
            "Traffic growth a month (%)",
            step=5.0,
            key=cs.GROWTH_KEY,
            # no widget bounds: a value out of range is refused by name, not kept unsent
            help="Requests per day grow by this much every month; each month is priced like today's table. "
            "Saved with the scenario, in the share link and in the XLSX, JSON and Markdown exports. "
            "Accepted: above -100 and at most 1,000.",
        )
        shown: calc_compute.Shown | None = calc_compute.last_shown()
        report = calc_results.growth(shown, cat) if shown is not None else None
        if report is None:
            if scenario is not None:
                st.caption("Set a monthly growth to see each option's cost month by month.")
            return
        if isinstance(report, str):
            st.error(f"Growth: {md_literal(report)}", icon=":material/error:")
            return
        st.altair_chart(
            traffic_charts.growth_chart(report.projection), width="stretch", key="calc_growth_chart"
        )
        st.markdown(
            "\n".join(
                f"- Month {m}: the cheapest option changes from **{md_literal(a)}** to **{md_literal(b)}**."
                for m, a, b in report.changes
            )
            or f"The same option stays cheapest for all {MONTHS} months."
        )
        st.download_button(
            "Projection CSV",
            data=lambda: report.projection.to_csv(index=False),
            file_name="growth-projection.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key="calc_growth_csv",
        )
