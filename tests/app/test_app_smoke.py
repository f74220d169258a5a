"""Every page runs through the router without an exception or an error box."""

from __future__ import annotations

import pytest
from apphelpers import APP, PAGES, REPO, TIMEOUT_S, run_page
from streamlit.testing.v1 import AppTest


def test_entry_point_runs_default_page() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S).run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_runs_without_exception(name: str) -> None:
    at = run_page(name)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_runs_standalone(name: str) -> None:
    """Pages set up their own state, so each also runs on its own (older AppTest, direct runs)."""
    at = AppTest.from_file(str(REPO / PAGES[name]), default_timeout=TIMEOUT_S).run()
    assert not at.exception, [e.value for e in at.exception]


def test_state_survives_page_switch() -> None:
    at = run_page("catalogue")
    at.session_state["custom_gpu_price"] = {"gpu": "h200", "usd_per_gpu_hour": 1.23}
    at.switch_page(PAGES["methods"]).run()
    at.switch_page(PAGES["catalogue"]).run()
    assert at.session_state["custom_gpu_price"] == {"gpu": "h200", "usd_per_gpu_hour": 1.23}


def test_page_error_is_caught_at_the_boundary(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug inside a page becomes one st.error line, not an exception or a traceback."""
    import app_pages.common as common

    def boom() -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(common, "base_catalogue", boom)
    at = run_page("catalogue")
    assert not at.exception
    assert any("injected failure" in e.value for e in at.error)
