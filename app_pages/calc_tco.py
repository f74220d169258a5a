"""The Calculator's cost-of-ownership inputs: target utilisation, people and operations, and owning servers.

Thin: the inputs are ServingAssumptions fields (bounds and help from the model, :mod:`app_pages.calc_state`); the
defaults are stated (:data:`costmodel.serving.tco.TCO_DEFAULTS_NOTE`) and the server rows of the catalogue are shown with
their sources, dates and confidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import calc_fields as cf
from app_pages import calc_state as cs
from costmodel.catalog import Catalogue
from costmodel.serving.tco import TCO_DEFAULTS_NOTE


def server_frame(cat: Catalogue) -> pd.DataFrame:
    """The catalogue's server rows for people: GPU, owner all-in price, purchase price (or why none), source."""
    rows = [
        {
            "GPU": r.gpu,
            "Owner all-in (USD per GPU-hour)": r.usd_per_gpu_hour_all_in,
            "Server price per GPU (USD)": (
                f"${r.usd_per_gpu_purchase:,.0f}"
                if r.usd_per_gpu_purchase is not None
                else "none: " + r.null_reasons.get("usd_per_gpu_purchase", "")
            ),
            "Source": r.source,
            "As of": r.as_of.isoformat(),
            "Confidence": r.confidence + (" (unconfirmed)" if r.unconfirmed_fields else ""),
        }
        for r in cat.servers
    ]
    return pd.DataFrame(rows)


def inputs(cat: Catalogue, on_change: Callable[[], None], slots: dict[str, Any] | None = None) -> None:
    """Draw the inputs, the defaults and the server rows (inside the caller's expander); each input's error
    goes in ``slots`` under its label (see ``calc_state.error_slot``)."""
    st.caption(
        "Self-hosting = GPU-hours (rented, or owned: server price ÷ life + TDP × PUE × electricity + hosting) "
        f"× (1 + overhead), for a fleet sized at the target utilisation, + people and operations. {TCO_DEFAULTS_NOTE}"
    )
    c1, c2 = st.columns(2)
    for i, f in enumerate(cf.TCO_INPUTS):
        cs.number_input(c1 if i % 2 == 0 else c2, f, on_change=on_change, slots=slots)
    st.caption(
        "Owning (choose **buy** in a self-hosting row): with your server price, the inputs above apply; without, "
        "the owner all-in cost per GPU-hour below (hardware, power and hosting included), or no cost and the "
        "reason where the catalogue has none."
    )
    frame = server_frame(cat)
    if not frame.empty:
        st.dataframe(
            frame,
            hide_index=True,
            key="calc_tco_servers",
            column_config={
                "Owner all-in (USD per GPU-hour)": st.column_config.NumberColumn(format="$%.2f"),
            },
        )
