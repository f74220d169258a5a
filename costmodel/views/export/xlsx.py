"""The comparison as an XLSX workbook for people (number and currency formats, widths, frozen headers, ranked
rows, the workload with the verdict and the warnings, the assumptions) with one sheet for machines (Data)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.evaluate.frames import BREAK_EVEN_COLUMNS
from costmodel.views import present
from costmodel.views.export.comparison import (
    assumptions_table,
    break_even_people,
    by_class_people,
    escape_frame,
    left_out,
    scenario_table,
)
from costmodel.views.verdict import verdict, warnings
from costmodel.workload.scenario import Scenario

__all__ = ["XLSX_FORMATS", "write_sheet", "write_xlsx"]


#: Excel number format per kind of column (:data:`costmodel.views.present.COLUMN_SPECS`).
XLSX_FORMATS: dict[str, str] = {
    "usd": "$#,##0.00",
    "usd_small": "$#,##0.00####",
    "rate": "$#,##0.00##",
    "int": "#,##0",
    "pct": "0.0%",
    "ratio": "+0%;-0%;0%",
    "ms": "#,##0.0",
    "rate_tok": "#,##0",
    "gb": "#,##0.0",
    "pct_points": "0.0",
    "whole": "#,##0",
    "decimal": "#,##0.0#####",
    "full": "0.0##############",
}
#: A number in a column without a kind: whole numbers with separators, others with up to 6 decimals (the value
#: itself is stored at full precision).
_FALLBACK = ("whole", "decimal")
#: The Workload sheet's units → the kind of their value.
UNIT_KINDS: dict[str, str] = {
    "USD": "usd_small",
    "USD/year": "usd",
    "fraction": "pct",
    "%": "pct_points",
    "ms": "ms",
}
_MAX_WIDTH = 60


def write_sheet(
    book: Any,
    name: str,
    df: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    row_kinds: Sequence[str] | None = None,
    default_kind: str | None = None,
) -> None:
    """One sheet: a bold, wrapped, frozen header row with a filter; numbers with their format; widths fitted.

    A number's format is its column's kind (``kinds``), else its row's (``row_kinds``: a sheet of items with a
    unit each), else ``default_kind``, else whole numbers with separators and others with up to 6 decimals; no
    number is left in the General format."""
    ws = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#eaeef2"})
    wrap = book.add_format({"text_wrap": False, "valign": "top"})
    formats = {k: book.add_format({"num_format": f, "valign": "top"}) for k, f in XLSX_FORMATS.items()}
    kinds = kinds or {}
    safe = escape_frame(df)
    for j, col in enumerate(safe.columns):
        ws.write_string(0, j, str(col), bold)
        kind = kinds.get(str(df.columns[j]), "")
        fmt = formats.get(kind, wrap)
        width = len(str(col)) * 0.75 + 2
        for i, v in enumerate(safe.iloc[:, j], start=1):
            if v is None or v is pd.NA or (isinstance(v, float) and not math.isfinite(v)) or v == "":
                ws.write_blank(i, j, None, fmt)
            elif isinstance(v, bool | np.bool_):
                ws.write_boolean(i, j, bool(v), wrap)
            elif isinstance(v, int | float) or hasattr(v, "item"):
                own = kind or (row_kinds[i - 1] if row_kinds else "") or default_kind
                number = float(v)
                ws.write_number(i, j, number, formats[own or _FALLBACK[number != round(number)]])
                width = max(width, 12)
            else:
                ws.write_string(i, j, str(v), wrap)
                width = max(width, min(len(str(v)) + 2, _MAX_WIDTH))
        ws.set_column(j, j, min(max(width, 8), _MAX_WIDTH))
    ws.set_row(0, 45 if any(len(str(c)) > 24 for c in df.columns) else 20)
    ws.freeze_panes(1, 1 if name in ("Summary", "Details") else 0)
    if len(df.columns):
        ws.autofilter(0, 0, max(len(df), 1), len(df.columns) - 1)


def _workload_sheet(scenario: Scenario, table: pd.DataFrame, break_even: pd.DataFrame) -> pd.DataFrame:
    """The Workload sheet: the verdict, the warnings and every input with its unit."""
    v = verdict(scenario, table, break_even)
    w, a = scenario.workload, scenario.assumptions
    rows: list[tuple[str, object, str]] = [
        ("Scenario", scenario.name or "scenario", ""),
        ("Description", scenario.description, ""),
        ("Verdict", v.text, ""),
        ("Cheapest option", v.option or "none", ""),
        ("Its cost per request", v.usd_per_request if v.option else "", "USD"),
        ("Its cost per year", v.yearly_cost_usd if v.option else "", "USD/year"),
        *[
            (f"Warning {i}", text.replace("**", ""), "")
            for i, text in enumerate(warnings(scenario, table, literal=str), 1)
        ],
        *[(f"Left out {i}", line, "") for i, line in enumerate(left_out(scenario, table), 1)],
        ("Prices as of", scenario.as_of.isoformat(), "date"),
        ("Requests per day", w.requests_per_day, "requests/day"),
        ("Requests per month", w.requests_per_month, "requests/month"),
        ("Prompt tokens per request", w.prompt_tokens, "tokens"),
        ("Cached share of the prompt", w.cache_hit_fraction, "fraction"),
        ("Output tokens per request", w.output_tokens, "tokens"),
        ("Reasoning multiplier", w.reasoning_multiplier, "×"),
        ("Billed output tokens per request", w.billed_output_tokens, "tokens"),
        ("Weekend day weight", w.weekend_day_weight, "× a weekday"),
        ("Time zone of the traffic profile", w.timezone, ""),
        ("Days per month", w.days_per_month, "days"),
        *(
            [("Traffic growth a month (Growth sheet)", scenario.monthly_growth_fraction, "fraction")]
            if scenario.monthly_growth_fraction
            else []
        ),
        ("Efficiency level (self-hosting)", a.efficiency, ""),
        ("TPOT target", a.tpot_ms_target, "ms"),
        ("TTFT target", "" if a.ttft_ms_target is None else a.ttft_ms_target, "ms"),
        ("Overhead on GPU rental", a.overhead_pct, "%"),
        ("Speculative decoding (MTP)", "on" if a.speculative_decoding else "off", ""),
        ("MTP acceptance", a.mtp_acceptance, "fraction"),
        ("MTP draft tokens", a.mtp_draft_tokens, "tokens per step"),
        ("KV cache precision", a.kv_dtype, ""),
    ]
    rows.append(("Data sheet", "every column of the table at full precision, for machines", ""))
    return pd.DataFrame(rows, columns=["Item", "Value", "Unit"])


def write_xlsx(
    path: Path | str | Any,
    scenario: Scenario,
    table: pd.DataFrame,
    catalogue: Catalogue,
    break_even: pd.DataFrame | None = None,
    by_class: pd.DataFrame | None = None,
    extra_sheets: Sequence[tuple[str, pd.DataFrame, dict[str, str]]] = (),
) -> None:
    """Write the workbook for people (and one sheet for machines) to a path or a binary buffer.

    Sheets: Summary (the compact view, ranked), Workload (verdict, warnings, inputs with units), Details (every
    column people may want, ranked), Break-even (when there are pairs), ``extra_sheets`` (name, frame, column
    kinds of :data:`XLSX_FORMATS`: e.g. :func:`costmodel.views.export.growth.growth_sheets`), Assumptions (catalogue
    rows used), Data (the table's snake_case columns at full precision) and Scenario (field/value, to rebuild
    the scenario).
    """
    import xlsxwriter

    be = break_even if break_even is not None else pd.DataFrame(columns=BREAK_EVEN_COLUMNS)
    target = str(path) if isinstance(path, Path) else path
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True,
               "in_memory": not isinstance(target, str)}  # fmt: skip
    book = xlsxwriter.Workbook(target, options)
    compact = ["rank", *present.COMPACT]
    write_sheet(book, "Summary", present.people_frame(table, compact), present.column_kinds(compact))
    items = _workload_sheet(scenario, table, be)
    write_sheet(book, "Workload", items, row_kinds=[UNIT_KINDS.get(u, "") for u in items["Unit"]])
    write_sheet(
        book, "Details", present.people_frame(table, present.DETAILS), present.column_kinds(present.DETAILS)
    )
    if not be.empty:
        kinds = {"Break-even (requests/day)": "int", "Your volume (requests/day)": "int",
                 "Monthly cost there (USD/month)": "usd"}  # fmt: skip
        write_sheet(book, "Break-even", break_even_people(scenario, be), kinds)
    for name, frame, frame_kinds in extra_sheets:
        write_sheet(book, name, frame, frame_kinds)
    if by_class is not None and not by_class.empty:  # a scenario with request classes
        kinds = {"Requests per day": "int", "Monthly cost (USD/month)": "usd", "Cost per request (USD)": "usd_small",
                 "Share of requests (%)": "pct_points", "Share of the option's cost (%)": "pct_points"}  # fmt: skip
        write_sheet(book, "By class", by_class_people(by_class), kinds)
    write_sheet(book, "Assumptions", assumptions_table(table, catalogue))
    write_sheet(
        book, "Data", table, default_kind="full"
    )  # full precision, for machines (the Workload sheet says so)
    write_sheet(book, "Scenario", scenario_table(scenario))
    book.close()
