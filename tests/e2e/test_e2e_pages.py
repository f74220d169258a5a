"""Visit every page in a real browser; no exception box, no error; a screenshot of each for the docs."""

from __future__ import annotations

import pytest
from conftest import REPO, Server
from e2ehelpers import wait_for_app
from playwright.sync_api import Page, expect

SHOTS = REPO / "docs" / "screenshots"
PAGES = {  # url path -> a text that must be on the page (its own, not the navigation's)
    "": "Requests per day (req/day)",
    "attention_lab": "At 1M tokens of context",
    "catalogue": "Your overrides",
    "methods": "As the code states them",
}


@pytest.mark.e2e
@pytest.mark.parametrize("path", list(PAGES))
def test_visit_page(page: Page, app_server: Server, path: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_server.url}/{path}")
    wait_for_app(page)
    expect(page.get_by_text(PAGES[path], exact=False).first).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{path or 'calculator'}.png"), full_page=True)
