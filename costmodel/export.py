"""Exports of a comparison: CSV, XLSX (several sheets), Markdown and JSON.

The only module besides the catalogue loader that does I/O (:func:`write_export`). Text cells in
CSV and XLSX are escaped against spreadsheet formula injection: a cell starting with
``= + - @``, a tab or a carriage return gets a leading apostrophe. Money is USD per month,
rates USD per 1M tokens, as in the table.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from costmodel.catalog.schema import Catalogue, Gpu, GpuRental, PriceSchedule
from costmodel.compare import API_COLUMNS
from costmodel.scenario import Scenario

__all__ = [
    "FORMATS",
    "SUMMARY_COLUMNS",
    "assumptions_table",
    "escape_cell",
    "escape_frame",
    "scenario_table",
    "summary_table",
    "to_csv",
    "to_json",
    "to_markdown",
    "to_text",
    "write_export",
    "write_xlsx",
]

Format = Literal["csv", "json", "md", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "json", "md", "xlsx")
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

SUMMARY_COLUMNS = [
    "option",
    "kind",
    "monthly_cost_usd",
    "usd_per_mtok_input",
    "usd_per_mtok_output",
    "usd_per_mtok_blended",
    "gpus",
    "utilization",
    "price_as_of",
    "stale_rows",
    "unconfirmed_fields",
    "reason",
    "band_reason",
]


# ---- escaping ----------------------------------------------------------------------------------------------


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``df`` (no index); pipes in cells are escaped."""

    def cell(v: object) -> str:
        if isinstance(v, float) and not math.isfinite(v):  # no NaN / inf in a table: the row says why
            return ""
        text = f"{v:,.6g}" if isinstance(v, float) else "" if v is None or v is pd.NA else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

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


# ---- tables of an export -----------------------------------------------------------------------------------


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """Options ranked by monthly cost (cheapest first) with the headline columns and ``rank``."""
    cols = [c for c in SUMMARY_COLUMNS if c in table.columns]
    out = table[cols].sort_values("monthly_cost_usd", kind="stable").reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


def _flatten(value: Any, prefix: str, rows: list[tuple[str, object]]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), rows)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            _flatten(v, f"{prefix}[{i}]", rows)
    elif isinstance(value, list):
        rows.append((prefix, ",".join(str(v) for v in value)))
    else:
        rows.append((prefix, "" if value is None else value))


def scenario_table(scenario: Scenario) -> pd.DataFrame:
    """The scenario as ``field``/``value`` rows (dotted paths; profiles comma-separated)."""
    rows: list[tuple[str, object]] = []
    _flatten(scenario.model_dump(mode="json"), "", rows)
    return pd.DataFrame({"field": [r[0] for r in rows], "value": [str(r[1]) for r in rows]})


def _row_values(row: PriceSchedule | Gpu | GpuRental) -> str:
    skip = {"id", "source", "as_of", "confidence", "notes", "null_reasons", "unconfirmed_fields"}
    parts = []
    for name, value in row.model_dump(mode="json").items():
        if name in skip or value in (None, [], ()):
            continue
        parts.append(
            f"{name}={json.dumps(value, separators=(',', ':')) if isinstance(value, list) else value}"
        )
    return "; ".join(parts)


def assumptions_table(table: pd.DataFrame, catalogue: Catalogue) -> pd.DataFrame:
    """Every catalogue price and hardware row the table used, with its values, source and date.

    Rows are found by id in ``price_ids`` (price schedules and GPU rentals) and in the ``gpu`` and
    ``rental_id`` columns when the self-hosting rows have them.
    """
    ids: set[str] = set()
    for cell in table.get("price_ids", pd.Series(dtype=object)).dropna():
        ids.update(p.strip() for p in str(cell).split(";"))
    for col in ("gpu", "rental_id"):
        if col in table.columns:
            ids.update(str(v) for v in table[col].dropna())
    used: list[tuple[str, PriceSchedule | Gpu | GpuRental]] = [
        *(("prices", p) for p in catalogue.prices if p.id in ids),
        *(("gpus", g) for g in catalogue.gpus if g.id in ids),
        *(("rentals", r) for r in catalogue.rentals if r.id in ids),
    ]
    return pd.DataFrame(
        {
            "table": [t for t, _ in used],
            "id": [r.id for _, r in used],
            "values": [_row_values(r) for _, r in used],
            "source": [r.source for _, r in used],
            "as_of": [r.as_of.isoformat() for _, r in used],
            "confidence": [r.confidence for _, r in used],
            "unconfirmed_fields": ["; ".join(r.unconfirmed_fields) for _, r in used],
            "notes": [r.notes.strip() for _, r in used],
        },
        columns=["table", "id", "values", "source", "as_of", "confidence", "unconfirmed_fields", "notes"],
    )


# ---- formats -----------------------------------------------------------------------------------------------


def to_csv(table: pd.DataFrame) -> str:
    """The table as CSV (text cells escaped; missing values empty; floats at full precision)."""
    return escape_frame(table).to_csv(index=False)


def _json_value(v: object) -> object:
    if v is None or v is pd.NA:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _records(df: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {str(k): _json_value(v) for k, v in zip(df.columns, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]


def to_json(scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue) -> str:
    """``{"scenario": ..., "table": [records], "assumptions": [records]}`` (missing values are null)."""
    doc = {
        "scenario": scenario.model_dump(mode="json"),
        "table": _records(table),
        "assumptions": _records(assumptions_table(table, catalogue)),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _md_text(text: str) -> str:
    """User text as one line of literal Markdown (no headings, links, HTML, emphasis or table cells)."""
    flat = "".join("\\" + c if c in "\\`*_[]<>|#" else c for c in " ".join(text.split()))
    return "\\" + flat if flat[:1] in ("-", "+", "=") else flat


def to_markdown(scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue) -> str:
    """A Markdown report: the scenario, options ranked by cost, the itemised API bills, the rows used."""
    title = _md_text(scenario.name) or "scenario"
    w = scenario.workload
    lines = [
        f"# Cost comparison: {title}",
        "",
        *([_md_text(scenario.description), ""] if scenario.description else []),
        f"Prices as of {scenario.as_of.isoformat()}. {w.requests_per_day:,.6g} requests/day, "
        f"{w.prompt_tokens:,} prompt tokens ({w.cache_hit_fraction:.0%} cache hits), "
        f"{w.billed_output_tokens:,.6g} billed output tokens per request; "
        f"{w.days_per_month:g} days/month; profile time zone {w.timezone}.",
        "",
        "## Options by monthly cost (USD; rates USD per 1M tokens)",
        "",
        markdown_table(summary_table(table)),
    ]
    api = table[table["kind"] == "api"]
    if not api.empty:
        cols = ["option", *[c for c in API_COLUMNS if c in api.columns], "notes"]
        lines += ["## API bills, itemised", "", markdown_table(api[cols])]
    lines += [
        "## Catalogue rows used",
        "",
        markdown_table(assumptions_table(table, catalogue).drop(columns="notes")),
    ]
    return "\n".join(lines)


def to_text(fmt: Format, scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue) -> str:
    """The comparison as text in ``fmt`` (``csv``, ``json`` or ``md``; ``xlsx`` is binary: :func:`write_xlsx`).

    Raises:
        ValueError: unknown or binary format.
    """
    if fmt == "csv":
        return to_csv(table)
    if fmt == "json":
        return to_json(scenario, table, catalogue)
    if fmt == "md":
        return to_markdown(scenario, table, catalogue)
    raise ValueError(
        f"unknown text format {fmt!r}; use one of {', '.join(f for f in FORMATS if f != 'xlsx')}"
    )


def write_xlsx(path: Path | str, scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue) -> None:
    """Write sheets Summary, API, Self-host (when there are self-hosting rows), Assumptions, Scenario."""
    sheets = {"Summary": summary_table(table), "API": table[table["kind"] == "api"]}
    self_host = table[table["kind"] == "self_host"]
    if not self_host.empty:
        sheets["Self-host"] = self_host
    sheets["Assumptions"] = assumptions_table(table, catalogue)
    sheets["Scenario"] = scenario_table(scenario)
    options = {"strings_to_formulas": False, "strings_to_urls": False, "nan_inf_to_errors": True}
    with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": options}) as writer:
        for name, df in sheets.items():
            escape_frame(df).to_excel(writer, sheet_name=name, index=False)
            writer.sheets[name].freeze_panes(1, 0)


def write_export(
    path: Path | str,
    fmt: Format,
    scenario: Scenario,
    table: pd.DataFrame,
    catalogue: Catalogue,
    *,
    force: bool = False,
) -> None:
    """Write the comparison to ``path`` in ``fmt``.

    Raises:
        FileExistsError: ``path`` exists and ``force`` is false.
        ValueError: unknown format.
    """
    p = Path(path)
    if p.exists() and not force:
        raise FileExistsError(f"{p} exists; use --force to overwrite")
    if fmt == "xlsx":
        write_xlsx(p, scenario, table, catalogue)
    else:
        p.write_text(to_text(fmt, scenario, table, catalogue), encoding="utf-8")
