"""The Methods page's Known-gaps splitter: a section is its heading line and the text up to the next heading of
the same or a higher level (it used to take whole documents as titles), cleaned of internal references."""

from __future__ import annotations

from pathlib import Path

from app_pages.gaps import clean, gap_sections

DOC = """# Calibration

Intro text that is not a gap.

## What is fitted and what is assumed

Six factors (Issue 3) are fitted; see docs/sources.md §2.3 and :mod:`costmodel.serving`.
A **stray bold marker.

### A sub-section of it

Still part of the section.

## Residuals per row

Not a gap: must not be included.

## Known gaps
Last section, to the end of the file.
"""


def test_a_section_is_its_heading_line_and_runs_to_the_next_heading_of_its_level() -> None:
    sections = gap_sections("calibration.md", DOC)
    assert [t for t, _ in sections] == [
        "What is fitted and what is assumed (calibration.md)",
        "Known gaps (calibration.md)",
    ]
    body = sections[0][1]
    assert "A sub-section of it" in body and "Still part of the section." in body
    assert "Residuals per row" not in body and "Not a gap" not in body and "Intro text" not in body
    assert sections[1][1] == "Last section, to the end of the file."


def test_internal_references_are_cleaned() -> None:
    body = gap_sections("calibration.md", DOC)[0][1]
    assert "Issue 3" not in body and ":mod:" not in body
    assert "docs/sources.md §2.3" in body and "`costmodel.serving`" in body
    assert "**" not in body  # the unpaired marker is dropped
    assert clean("a **bold** word") == "a **bold** word"  # paired markers stay
    assert clean("see issues 3, 4: the fix") == "see the fix"


def test_no_section_of_the_real_docs_is_a_whole_document() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    found = 0
    for p in sorted(docs.glob("*.md")):
        text = p.read_text(encoding="utf-8")
        for title, body in gap_sections(p.name, text):
            found += 1
            assert "\n" not in title and len(title) < 160, title
            assert len(body) < len(text) / 2, title  # a section, not the document
            assert not body.startswith("# ") and "\n# " not in body, title
    assert found, "no known-gap section in docs/: the tab would be empty"
