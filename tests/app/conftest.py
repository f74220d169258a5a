"""Fixtures for the AppTest tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st


@pytest.fixture(autouse=True)
def _clear_caches() -> Iterator[None]:
    """st.cache_data survives across tests in one process: start each test clean."""
    st.cache_data.clear()
    yield
