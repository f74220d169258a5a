"""Exports of the provider economics (:class:`costmodel.economics.Economics`): JSON, CSV, Markdown and XLSX,
the same formats and rules as the Calculator's (:mod:`costmodel.views.export.comparison`: cells that look like formulas are
escaped, numbers keep full precision in JSON and CSV)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from costmodel.economics import Economics
from costmodel.views.export.comparison import escape_frame, markdown_table
from costmodel.views.export.xlsx import write_sheet

#: The tables of an :class:`Economics`, by the name the command and the exports use.
TABLES: tuple[str, ...] = ("assumptions", "costs", "margins", "sweep", "story", "hardware")
TableName = Literal["assumptions", "costs", "margins", "sweep", "story", "hardware"]
TITLES: dict[str, str] = {
    "assumptions": "Assumptions",
    "costs": "Cost per 1M tokens",
    "margins": "Implied gross margin per price",
    "sweep": "Cost and margin per context length",
    "story": "V3.2 to V4: the same traffic on the same fleet",
    "hardware": "The Ascend question: the same traffic per GPU type",
}

#: Sheet names of the workbook (Excel: at most 31 characters, no ``[]:*?/\``).
SHEETS: dict[str, str] = {
    "assumptions": "Assumptions",
    "costs": "Cost per 1M tokens",
    "margins": "Margins",
    "sweep": "Per context length",
    "story": "V3.2 vs V4",
    "hardware": "GPUs and Ascend",
}


def table(ec: Economics, name: str) -> pd.DataFrame:
    """The table ``name`` of ``ec`` (one of :data:`TABLES`)."""
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; one of {', '.join(TABLES)}")
    df: pd.DataFrame = getattr(ec, name)
    return df


def to_json(ec: Economics) -> str:
    """Every table as ``{name: [records]}`` at full precision (NaN as null)."""
    payload = {n: json.loads(table(ec, n).to_json(orient="records", date_format="iso")) for n in TABLES}
    return json.dumps(payload, indent=2) + "\n"


def to_csv(ec: Economics, name: str) -> str:
    """One table as CSV (formula-like cells escaped)."""
    return str(escape_frame(table(ec, name)).to_csv(index=False))


def to_markdown(ec: Economics) -> str:
    """Every table under its title."""
    parts = [f"# Provider economics: {ec.model} on {ec.fleet.gpu}\n"]
    for n in TABLES:
        parts.append(f"\n## {TITLES[n]}\n\n{markdown_table(table(ec, n))}")
    return "".join(parts)


def xlsx_bytes(ec: Economics) -> bytes:
    """The workbook: one sheet per table."""
    buf = io.BytesIO()
    write_xlsx(buf, ec)
    return buf.getvalue()


def write_xlsx(target: Path | str | Any, ec: Economics) -> None:
    """Write one sheet per table to a path or a binary buffer."""
    import xlsxwriter

    dest = str(target) if isinstance(target, Path) else target
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True,
               "in_memory": not isinstance(dest, str)}  # fmt: skip
    book = xlsxwriter.Workbook(dest, options)
    for n in TABLES:
        df = table(ec, n).copy()
        for col in df.columns:  # xlsx has no time zones: ISO text
            if pd.api.types.is_datetime64_any_dtype(df[col]):
                df[col] = df[col].astype(str)
        write_sheet(book, SHEETS[n], df)
    book.close()
