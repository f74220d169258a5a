"""Helpers shared by the pages: session state, the cached catalogue, error display.

No arithmetic here either: this module only wires Streamlit to ``costmodel``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import streamlit as st

from costmodel.catalog import Catalogue, CatalogueError, Model, load_catalogue

#: Largest file a user may upload (bytes); larger files are refused before parsing.
MAX_UPLOAD_BYTES = 200_000

#: Keys of the state shared between pages (created with setdefault so they survive page switches).
STATE_DEFAULTS: dict[str, Any] = {
    # The last scenario that computed without error (a costmodel Scenario, or None before the first run).
    "scenario": None,
    # User catalogue overrides, set on the Catalogue page and used by the Calculator.
    "custom_models": [],  # list[Model] parsed from an uploaded YAML
    "custom_gpu_price": None,  # {"gpu": id, "usd_per_gpu_hour": float} or None
    "custom_api_price": None,  # {"model": id, "usd_per_mtok_input_cache_hit": .., "..._miss": .., "..._output": ..}
}


def init_state() -> None:
    """Create the shared session-state keys once (idempotent)."""
    for key, value in STATE_DEFAULTS.items():
        st.session_state.setdefault(key, value.copy() if isinstance(value, list | dict) else value)


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Loading the catalogue…")
def _load(data_dir: str | None) -> Catalogue:
    return load_catalogue(data_dir)


@st.cache_data(max_entries=1, show_spinner=False)
def timezones() -> list[str]:
    """Every IANA time zone name, sorted (read from disk once per process)."""
    return sorted(zoneinfo.available_timezones())


def base_catalogue() -> Catalogue:
    """The repository catalogue (cached); on a bad catalogue: one st.error line and stop the page."""
    try:
        return _load(None)
    except CatalogueError as e:
        st.error(f"The catalogue could not be loaded: {e}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop raises


def custom_models() -> list[Model]:
    """Models the user uploaded on the Catalogue page."""
    init_state()
    return list(st.session_state["custom_models"])


def catalogue() -> Catalogue:
    """The catalogue with the user's uploaded models added (what the calculator and lab use)."""
    base = base_catalogue()
    extra = custom_models()
    if not extra:
        return base
    return base.model_copy(update={"models": (*base.models, *extra)})


def today() -> dt.date:
    """Today's date (UTC)."""
    return dt.datetime.now(dt.UTC).date()


def show_unexpected(e: BaseException) -> None:
    """Show an unexpected page error as one line (no traceback)."""
    first = str(e).splitlines()[0] if str(e) else ""
    st.error(
        f"This page hit an unexpected problem ({type(e).__name__}: {first[:300]}). "
        "Change the inputs or reload; the last good results are kept.",
        icon=":material/error:",
    )


def read_upload(uploaded: Any, what: str) -> str | None:
    """The text of an uploaded file, or None after an st.error if it is too large or not UTF-8."""
    if uploaded is None:
        return None
    data = uploaded.getvalue()
    if len(data) > MAX_UPLOAD_BYTES:
        st.error(f"{what}: file is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} bytes.")
        return None
    try:
        text: str = data.decode("utf-8")
    except UnicodeDecodeError:
        st.error(f"{what}: not UTF-8 text.")
        return None
    return text
