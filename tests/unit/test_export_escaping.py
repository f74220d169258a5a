"""One escaping rule at the writer for all user text: a scenario whose every user-text field (name,
description, request-class names) holds a Markdown, HTML or spreadsheet-formula payload is written escaped in the
Markdown, CSV, XLSX and JSON exports (before, class names went raw 8-9 times into the Markdown).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.catalog import Catalogue
from costmodel.evaluate.evaluation import Evaluation, evaluate
from costmodel.views.export.comparison import to_csv, to_csv_raw, to_json, to_markdown
from costmodel.views.export.xlsx import write_xlsx
from costmodel.views.present import md_literal
from costmodel.workload.presets import preset
from costmodel.workload.scenario import Scenario

PAYLOADS = (
    "![c](http://127.0.0.1:9/c.png)",
    '<img src="http://127.0.0.1:9/i.png" onerror="alert(1)">',
    '=HYPERLINK("http://127.0.0.1:9/x","click")',
    "[link](http://127.0.0.1:9/l) $x^2$ :red[red]",
)
#: What must never appear unescaped in the Markdown: an image or link, an HTML tag, maths, a Streamlit colour.
RAW_MARKDOWN = re.compile(r"(?<!\\)!\[|(?<!\\)\]\(|(?<!\\)<[A-Za-z!/]|(?<!\\)\$[x^]|:[a-z]+(?<!\\)\[")


def _hostile(names: tuple[str, str, str], name: str, description: str) -> Scenario:
    s = preset("support-mix", dt.date(2026, 11, 28))
    classes = tuple(c.model_copy(update={"name": n}) for c, n in zip(s.classes, names, strict=True))
    return s.model_copy(update={"name": name, "description": description, "classes": classes})


@pytest.fixture(scope="module")
def hostile(catalogue: Catalogue) -> Evaluation:
    s = _hostile((PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]), PAYLOADS[3], " ".join(PAYLOADS))
    Scenario.model_validate(s.model_dump())
    return evaluate(s, catalogue)


def test_markdown_has_every_user_text_only_escaped(hostile: Evaluation, catalogue: Catalogue) -> None:
    md = to_markdown(hostile.scenario, hostile.table, catalogue, hostile.break_even, hostile.by_class)
    for p in PAYLOADS:
        assert p not in md
    assert not RAW_MARKDOWN.search(md), RAW_MARKDOWN.search(md)
    for c in hostile.scenario.classes:  # each class is there, escaped, in the workload line and its table row
        assert md.count(md_literal(c.name)) >= 2, c.name


def _cells_csv(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_csv_and_xlsx_cells_never_start_a_formula(
    hostile: Evaluation, catalogue: Catalogue, tmp_path: Path
) -> None:
    cells = _cells_csv(to_csv(hostile.table, hostile.by_class)) + _cells_csv(
        to_csv_raw(hostile.table, hostile.by_class)
    )
    path = tmp_path / "x.xlsx"
    write_xlsx(path, hostile.scenario, hostile.table, catalogue, hostile.break_even, hostile.by_class)
    book = openpyxl.load_workbook(path)
    xlsx = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in xlsx if c.data_type == "f"]  # no formula anywhere
    texts = cells + [c.value for c in xlsx if isinstance(c.value, str)]
    assert any(PAYLOADS[2] in t for t in texts)  # the class is there ...
    assert not [t for t in texts if t.startswith(("=", "+", "@", "\t", "\r"))]  # ... never as a formula


def test_json_carries_the_user_text_as_data(hostile: Evaluation, catalogue: Catalogue) -> None:
    """JSON is data: each payload is a JSON string value (escaped as JSON), read back exactly, never markup."""
    data = json.loads(to_json(hostile.scenario, hostile.table, catalogue, hostile.by_class))
    assert data["scenario"]["name"] == PAYLOADS[3]
    assert [c["name"] for c in data["scenario"]["classes"]] == list(PAYLOADS[:3])


@settings(max_examples=15)
@given(name=st.text(alphabet="!<>[]()$x^:*_`#|\\=+-@ abc", min_size=1, max_size=20))
def test_any_class_name_is_escaped_in_the_markdown(name: str, catalogue: Catalogue) -> None:
    s = _hostile((name, "b", "c"), "n", "d")
    try:
        Scenario.model_validate(s.model_dump())
    except ValueError:  # a name the model refuses (blank, or the name of another class)
        return
    ev = evaluate(s, catalogue)
    md = to_markdown(ev.scenario, ev.table, catalogue, ev.break_even, ev.by_class)
    assert md_literal(name) in md
    assert not RAW_MARKDOWN.search(md), RAW_MARKDOWN.search(md)
