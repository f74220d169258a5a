"""The Calculator's results panel (filled as costmodel.compare lands)."""

from __future__ import annotations

import streamlit as st

from costmodel.catalog import Catalogue
from costmodel.scenario import Scenario, scenario_to_query


def show(scenario: Scenario | None, cat: Catalogue) -> None:
    """Results of ``scenario``; with None (bad inputs) the last good results."""
    if scenario is not None:
        st.session_state["scenario"] = scenario
        q = scenario_to_query(scenario)
        if st.query_params.to_dict() != q:
            st.query_params.from_dict(q)
    s = st.session_state["scenario"]
    if s is None:
        return
    st.write(s.name)
