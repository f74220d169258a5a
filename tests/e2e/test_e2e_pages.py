"""Visit every page in a real browser; no exception box, no error; a screenshot of each for the docs."""

from __future__ import annotations

import pytest
from conftest import Server
from e2ehelpers import LOAD_TIMEOUT_MS, shots_dir, wait_for_app
from playwright.sync_api import Browser, Page, expect

PAGES = {  # url path -> a text that must be on the page (its own, not the navigation's)
    "": "Requests per day (req/day)",
    "attention_lab": "At 1M tokens of context",
    "catalogue": "Your overrides",
    "methods": "As the code states them",
    "economics": "The Ascend question",
}
#: The sentence each page opens with: what it answers.
INTROS = {
    "": "What does this workload cost each month",
    "attention_lab": "How much memory and compute does a long context cost",
    "catalogue": "Where does every price and hardware figure come from",
    "methods": "How are the costs computed, and how far can they be trusted?",
    "economics": "What does a token cost the provider",
}


@pytest.mark.e2e
@pytest.mark.parametrize("path", list(PAGES))
def test_visit_page(page: Page, app_server: Server, path: str) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_server.url}/{path}")
    wait_for_app(page)
    expect(page.get_by_text(PAGES[path], exact=False).first).to_be_visible()
    expect(page.get_by_text(INTROS[path], exact=False).first).to_be_in_viewport()  # it opens the page
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    if path:  # the calculator's screenshots are taken at 1440 and 390 px by test_e2e_calculator
        page.screenshot(path=str(shots_dir() / f"{path}.png"), full_page=True)


@pytest.mark.e2e
def test_phone_navigation_is_a_row_of_links_that_covers_nothing(browser: Browser, app_server: Server) -> None:
    """On a 390 px phone a 'top' navigation became a sidebar that stayed open over the page after a choice."""
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)  # type: ignore[arg-type]
    page = ctx.new_page()
    try:
        page.goto(app_server.url)
        wait_for_app(page)
        page.get_by_role("link", name="Catalogue").first.click()
        page.wait_for_url("**/catalogue", timeout=LOAD_TIMEOUT_MS)
        # the calculator's sidebar goes when the new page's run ends (a stale element until then; on a busy
        # machine that run can take more than playwright's default 5 s, so wait for the run, not a clock)
        expect(page.get_by_text(INTROS["catalogue"], exact=False).first).to_be_in_viewport()
        wait_for_app(page)
        expect(page.get_by_test_id("stSidebar")).to_have_count(0, timeout=LOAD_TIMEOUT_MS)
        assert page.url.endswith("/catalogue")
    finally:
        ctx.close()
