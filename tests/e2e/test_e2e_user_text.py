"""A shared link cannot make the visitor's browser fetch anything or render markup, checked
where it matters, in a real browser: the reported URLs, an image in the description and one in an unknown
URL key, and a heading on its own line. The AppTest sweep of every echo point is ``tests/app/test_app_user_text.py``.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from conftest import Server
from e2ehelpers import wait_for_app
from playwright.sync_api import Page, expect

TRAP = "127.0.0.1:9"  # nothing listens there; a request to it means the browser fetched the user's image
IMAGE = f"![p](http://{TRAP}/track.png)"
KEY_IMAGE = f"![x](http://{TRAP}/t.png)"


@pytest.mark.e2e
def test_a_shared_link_fetches_nothing_and_shows_its_text_as_text(page: Page, app_server: Server) -> None:
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    desc = f"{IMAGE}\n# HUGE"
    page.goto(f"{app_server.url}/?n=x&desc={quote(desc)}&{quote(KEY_IMAGE)}=1")
    wait_for_app(page)
    expect(page.get_by_text("URL parameter(s) not used")).to_be_visible()
    page.wait_for_timeout(1000)  # give a rendered <img> time to be requested
    assert not [u for u in requested if TRAP in u], requested
    assert page.locator(f"img[src*='{TRAP}']").count() == 0
    assert page.locator("h1, h2, h3", has_text="HUGE").count() == 0
    assert page.locator(f"a[href*='{TRAP}']").count() == 0
    # the text is on the page as the user wrote it (the invisible word joiners aside)
    text = page.locator("[data-testid='stApp']").inner_text().replace("\u2060", "")  # main and sidebar
    assert f"{IMAGE} # HUGE" in text and KEY_IMAGE in text
    expect(page.get_by_test_id("stException")).to_have_count(0)
