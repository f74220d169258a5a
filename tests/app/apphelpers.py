"""AppTest helpers, imported by the tests as ``apphelpers``: run the real app (router + page), no browser."""

from __future__ import annotations

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app.py"
PAGES = {
    "calculator": "app_pages/calculator.py",
    "attention_lab": "app_pages/attention_lab.py",
    "catalogue": "app_pages/catalogue.py",
    "methods": "app_pages/methods.py",
}
TIMEOUT_S = 30


def run_page(name: str, at: AppTest | None = None) -> AppTest:
    """Run the app from its entry point, then switch to page ``name`` and run it."""
    at = at or AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    if name != "calculator":  # the default page
        at.switch_page(PAGES[name]).run()
    return at


def new_app() -> AppTest:
    """A fresh, not yet run, AppTest of the whole app."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)


def shown(markdown: str) -> str:
    """The characters a person sees for a Markdown body the app built with ``present.md_literal``: the
    backslash escapes and the invisible word joiners removed (what the tests compare with plain messages)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown.replace("\u2060", ""))
