"""Exports of a comparison, for people and for machines.

For people (formatted as the page is; :mod:`costmodel.views.present` defines every column once): the CSV (:func:`to_csv`:
ranked, readable headers with units, numbers rounded to what they mean, percentages in %), the XLSX
(:func:`write_xlsx`: number and currency formats, widths, frozen headers, ranked rows, a workload sheet with the
verdict and the warnings, the assumptions) and the Markdown report (:func:`to_markdown`). For machines: the JSON
(:func:`to_json`, every column of the table at full precision) and the raw CSV (:func:`to_csv_raw`, the table's
snake_case columns: what ``costmodel compare --format csv`` prints, the contract of ``docs/architecture.md``).

The writers of :mod:`costmodel.views.export.report` call these (one per format). Text cells in
CSV and XLSX are escaped against spreadsheet formula injection: a cell starting with
``= + - @``, a tab or a carriage return gets a leading apostrophe. Money is USD per month,
rates USD per 1M tokens, as in the table.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from costmodel.catalog.schema import Catalogue, Gpu, GpuRental, PriceSchedule, ServerPrice
from costmodel.evaluate.frames import BREAK_EVEN_COLUMNS
from costmodel.views import present
from costmodel.views.export.escaping import escape_cell, escape_frame, markdown_table, user_text_escaper
from costmodel.views.present import md_literal
from costmodel.views.verdict import money_line, verdict, warnings, workload_summary
from costmodel.workload.scenario import Scenario

__all__ = [
    "SUMMARY_COLUMNS",
    "assumptions_table",
    "break_even_people",
    "escape_cell",
    "escape_frame",
    "json_doc",
    "markdown_table",
    "scenario_table",
    "summary_table",
    "to_csv",
    "to_csv_raw",
    "to_json",
    "to_markdown",
]

SUMMARY_COLUMNS = [
    "option",
    "kind",
    "group",
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


# ---- tables of an export -----------------------------------------------------------------------------------


def summary_table(table: pd.DataFrame) -> pd.DataFrame:
    """The headline columns (snake_case, for machines) in rank order, options that are not ranked last."""
    cols = ["rank", *[c for c in SUMMARY_COLUMNS if c in table.columns]]
    return present.ranked(table)[cols]


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
    """The scenario as ``field``/``value`` rows (dotted paths; profiles comma-separated; numbers as numbers)."""
    rows: list[tuple[str, object]] = []
    _flatten(scenario.model_dump(mode="json"), "", rows)
    return pd.DataFrame({"field": [r[0] for r in rows], "value": [_cell(r[1]) for r in rows]}, dtype=object)


def _cell(value: object) -> object:
    """A scenario value as a sheet cell: numbers stay numbers (a spreadsheet must not hold them as text)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def _row_values(row: PriceSchedule | Gpu | GpuRental | ServerPrice) -> str:
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
    used: list[tuple[str, PriceSchedule | Gpu | GpuRental | ServerPrice]] = [
        *(("prices", p) for p in catalogue.prices if p.id in ids),
        *(("gpus", g) for g in catalogue.gpus if g.id in ids),
        *(("rentals", r) for r in catalogue.rentals if r.id in ids),
        *(("servers", x) for x in catalogue.servers if x.id in ids),  # owned GPUs (costmodel.serving.tco)
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


def class_costs(options: pd.Series, by_class: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Per request class, its monthly USD for each of ``options`` (aligned with them; empty without classes):
    ``{class name: Series}`` from :attr:`costmodel.evaluate.evaluation.Evaluation.by_class`."""
    if by_class is None or by_class.empty:
        return {}
    wide = by_class.pivot_table(
        index="option", columns="class", values="monthly_cost_usd", aggfunc="first", dropna=False
    )
    order = list(dict.fromkeys(by_class["class"]))
    return {
        str(c): options.map(wide[c]).astype(float).reset_index(drop=True) for c in order if c in wide.columns
    }


def to_csv(table: pd.DataFrame, by_class: pd.DataFrame | None = None) -> str:
    """The CSV for people: ranked, readable headers with units, every column of the details view (numbers
    rounded: cents, 4 decimals for USD per 1M tokens; percentages in %; empty where a value does not apply).
    A scenario with request classes adds one column per class: ``Class <name> (USD/month)``."""
    df = present.people_frame(table, present.DETAILS, percent_as="percent").reset_index(drop=True)
    for name, col in class_costs(present.ranked(table)["option"], by_class).items():
        df[f"Class {name} (USD/month)"] = col.round(2)
    return escape_frame(df).to_csv(index=False)


def to_csv_raw(table: pd.DataFrame, by_class: pd.DataFrame | None = None) -> str:
    """The CSV for machines: the table's snake_case columns at full precision (text cells escaped); a scenario
    with request classes adds one column per class, ``class_monthly_cost_usd:<name>``."""
    df = table.reset_index(drop=True)
    extra = class_costs(df["option"], by_class) if "option" in df.columns else {}
    if extra:
        df = df.assign(**{f"class_monthly_cost_usd:{n}": c for n, c in extra.items()})
    return escape_frame(df).to_csv(index=False)


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


def left_out(scenario: Scenario, table: pd.DataFrame) -> list[str]:
    """The scenario's API options absent from ``table``: dated before their first price, the comparison left them
    out (``Evaluation.left_out``); the exports say so, as the page and the CLI do."""
    shown = set(table["option"].astype(str)) if "option" in table.columns else set()
    return [
        f"{o.option_id}: no price on record on {scenario.as_of.isoformat()}, left out of the comparison"
        for o in scenario.api_options
        if o.option_id not in shown
    ]


def json_doc(
    scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue, by_class: pd.DataFrame | None = None
) -> dict[str, Any]:
    """``{"scenario": ..., "table": [records], "assumptions": [records]}`` (missing values are None), and
    ``"left_out": [lines]`` when an API option of the scenario was left out (:func:`left_out`), and ``"by_class":
    [records]`` (option × class × monthly USD) for a scenario with request classes."""
    doc: dict[str, Any] = {
        "scenario": scenario.model_dump(mode="json"),
        "table": _records(table),
        "assumptions": _records(assumptions_table(table, catalogue)),
    }
    if gone := left_out(scenario, table):
        doc["left_out"] = gone
    if by_class is not None and not by_class.empty:
        doc["by_class"] = _records(by_class)
    return doc


def to_json(
    scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue, by_class: pd.DataFrame | None = None
) -> str:
    """:func:`json_doc` as JSON text (missing values are null)."""
    return json.dumps(json_doc(scenario, table, catalogue, by_class), indent=2, ensure_ascii=False) + "\n"


def break_even_people(scenario: Scenario, break_even: pd.DataFrame | None) -> pd.DataFrame:
    """The break-even pairs with readable headers (volumes in requests/day, whole numbers)."""
    if break_even is None or break_even.empty:
        return pd.DataFrame()
    be = break_even
    return pd.DataFrame(
        {
            "Self-hosting option": be.get("self_host_label", be["self_host"]),
            "API option": be.get("api_label", be["api"]),
            "Break-even (requests/day)": pd.to_numeric(be["requests_per_day"]).round(0),
            "Your volume (requests/day)": scenario.workload.requests_per_day,
            "Monthly cost there (USD/month)": pd.to_numeric(be["monthly_cost_usd"]).round(2),
            "Why none": be["volume_note"].map(lambda v: str(v).removeprefix("none: ") if v else ""),
        }
    )


def by_class_people(by_class: pd.DataFrame) -> pd.DataFrame:
    """The per-class breakdown with readable headers and units (USD per month, requests per day)."""
    return pd.DataFrame(
        {
            "Option": by_class["option"],
            "Class": by_class["class"],
            "Share of requests (%)": (pd.to_numeric(by_class["share_of_requests"]) * 100).round(2),
            "Requests per day": pd.to_numeric(by_class["requests_per_day"]).round(0),
            "Monthly cost (USD/month)": pd.to_numeric(by_class["monthly_cost_usd"]).round(2),
            "Share of the option's cost (%)": (pd.to_numeric(by_class["share_of_cost"]) * 100).round(2),
            "Cost per request (USD)": pd.to_numeric(by_class["usd_per_request"]).round(6),
            "TTFT at p99 prompt (ms)": pd.to_numeric(by_class["ttft_ms_p99"]).round(0),
            "How split": by_class["basis"],
            "Why empty": by_class["reason"].fillna(""),
            "Note": by_class["note"].fillna(""),
        }
    )


def to_markdown(
    scenario: Scenario,
    table: pd.DataFrame,
    catalogue: Catalogue,
    break_even: pd.DataFrame | None = None,
    by_class: pd.DataFrame | None = None,
) -> str:
    """A Markdown report formatted as the page: the verdict, the warnings, the workload, the options ranked
    (the compact view), the itemised API bills, the break-even points and the catalogue rows used."""
    title = md_literal(scenario.name) or "scenario"
    esc = user_text_escaper(scenario)
    be = break_even if break_even is not None else pd.DataFrame(columns=BREAK_EVEN_COLUMNS)
    v = verdict(scenario, table, be)
    lines = [f"# Cost comparison: {title}", ""]
    if scenario.description:
        lines += [md_literal(scenario.description), ""]
    lines += [f"**{md_literal(v.text)}**", ""]
    if v.option:
        lines += [money_line(v), ""]
    for w in warnings(scenario, table):
        lines += ["> **Warning.** " + esc(w).replace("\n", "\n> "), ""]
    for line in left_out(scenario, table):
        lines += [f"> **Left out.** {md_literal(line)}.", ""]
    lines += [
        f"Workload: {esc(workload_summary(scenario))}",
        "",
        "## Options, cheapest first",
        "",
        markdown_table(present.display_frame(table, present.COMPACT), esc),
    ]
    api = table[table["kind"] == "api"]
    if not api.empty:
        cols = ["label", "price_basis_used", "monthly_input_cache_hit_usd", "monthly_input_cache_miss_usd",
                "monthly_output_usd", "monthly_off_peak_usd", "peak_traffic_fraction", "notes"]  # fmt: skip
        lines += [
            "## API bills, itemised (USD per month)",
            "",
            markdown_table(present.display_frame(api, cols), esc),
        ]
    sh = table[table["kind"] == "self_host"]
    if not sh.empty:
        cols = ["label", "monthly_cost_usd_optimistic", "monthly_cost_usd_pessimistic", "monthly_cost_usd_floor",
                "deployment_gpus", "ttft_ms", "tpot_ms", "usd_per_gpu_hour", "band_reason"]  # fmt: skip
        lines += [
            f"## Self-hosting: efficiency band (monthly cost at {scenario.assumptions.efficiency} efficiency "
            "in the table above)",
            "",
            markdown_table(present.display_frame(sh, cols), esc),
        ]
    if not be.empty:
        shown = break_even_people(scenario, be)
        shown["Break-even (requests/day)"] = shown["Break-even (requests/day)"].map(present.count)
        shown["Your volume (requests/day)"] = shown["Your volume (requests/day)"].map(present.count)
        shown["Monthly cost there (USD/month)"] = shown["Monthly cost there (USD/month)"].map(present.usd)
        lines += ["## Break-even volumes (self-hosting against each API)", "", markdown_table(shown, esc)]
    if by_class is not None and not by_class.empty:
        shown = by_class_people(by_class)
        for col, fmt in (("Requests per day", present.count), ("Monthly cost (USD/month)", present.usd)):
            shown[col] = shown[col].map(fmt)
        lines += [
            "## Per request class (USD per month; self-hosting's shared fleet split by GPU-seconds of work)",
            "",
            markdown_table(shown, esc),
        ]
    lines += [
        "## Catalogue rows used",
        "",
        markdown_table(assumptions_table(table, catalogue).drop(columns="notes"), esc),
    ]
    return "\n".join(lines)
