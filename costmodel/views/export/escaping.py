"""Escaping at the writers of the exports: one rule for user text in Markdown (:func:`user_text_escaper`), and
spreadsheet formula injection in CSV and XLSX cells (:func:`escape_cell`: a text cell starting with
``= + - @``, a tab or a carriage return gets a leading apostrophe)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pandas as pd

from costmodel.views.present import md_literal
from costmodel.workload.scenario import Scenario

_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: A pipe not escaped yet (preceded by an even number of backslashes: md_literal writes a backslash as two).
_UNESCAPED_PIPE = re.compile(r"(?<!\\)((?:\\\\)*)\|")


def user_text_escaper(scenario: Scenario) -> Callable[[str], str]:
    """The one escaping rule of the Markdown writer: every occurrence of a text the user typed (the scenario's
    name and description, the request classes' names) in anything written, a cell or a generated sentence that
    quotes it, is written as :func:`costmodel.views.present.md_literal` of it (one pass, so never twice)."""
    texts = sorted({t for t in (scenario.name, scenario.description, *(c.name for c in scenario.classes)) if t},
                   key=len, reverse=True)  # fmt: skip
    if not texts:
        return str
    pattern = re.compile("|".join(re.escape(t) for t in texts))
    return lambda text: pattern.sub(lambda m: md_literal(m.group()), text)


def markdown_table(df: pd.DataFrame, escape: Callable[[str], str] = str) -> str:
    """A GitHub-flavoured Markdown table of ``df`` (no index); user text in cells goes through ``escape``
    (:func:`user_text_escaper`), and the pipes left are escaped."""

    def cell(v: object) -> str:
        if isinstance(v, float) and not math.isfinite(v):  # no NaN / inf in a table: the row says why
            return ""
        text = f"{v:,.6g}" if isinstance(v, float) else "" if v is None or v is pd.NA else str(v)
        return _UNESCAPED_PIPE.sub(r"\1\\|", escape(text.replace("\n", " ")))

    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def escape_cell(value: object) -> object:
    """``value`` made safe for a spreadsheet cell: text starting with ``= + - @``, tab or CR gets a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and column name) escaped by :func:`escape_cell`."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col].dtype):
            out[col] = out[col].map(escape_cell)
    out.columns = [str(escape_cell(str(c))) for c in out.columns]
    return out
