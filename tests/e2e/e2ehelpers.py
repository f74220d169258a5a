"""Playwright helpers, as Streamlit's own e2e suite does them: wait until a script run has finished."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

LOAD_TIMEOUT_MS = 30_000


def wait_for_app(page: Page, timeout_ms: int = LOAD_TIMEOUT_MS) -> None:
    """Wait for the app frame, then for the script run to finish and all skeletons to go."""
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout_ms)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout_ms, state="attached"
    )
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)


def by_key(page: Page, key: str) -> Locator:
    """The element container of the widget with this ``key`` (Streamlit adds the class ``st-key-<key>``)."""
    return page.locator(f".st-key-{key}")


def shots_dir() -> Path:
    """Where the browser tests save their screenshots: ``$SCREENSHOT_DIR`` (``make screenshots`` points it at
    docs/screenshots), else a temporary folder, so that ``make test`` leaves the working tree clean."""
    d = Path(os.environ.get("SCREENSHOT_DIR") or Path(tempfile.gettempdir()) / "costcalc-screenshots")
    d.mkdir(parents=True, exist_ok=True)
    return d
