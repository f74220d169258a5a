"""The XLSX's plan sheets (for :func:`costmodel.views.export.comparison.write_xlsx`'s ``extra_sheets``): Plans, one row
per plan with its split, its parts and its assumptions; Plans by hour, each plan's split in each UTC hour of the
mean week (:func:`costmodel.evaluate.plan_table.plan_hours_frame`). None without plans."""

from __future__ import annotations

import pandas as pd

from costmodel.evaluate.plan_options import PLAN_ASSUMPTIONS
from costmodel.evaluate.plan_table import PLAN_COLUMNS
from costmodel.views.export.report import Section

__all__ = ["PLAN_HOURS_SHEET", "PLAN_SHEET", "plan_sections", "plan_sheets"]

PLAN_SHEET = "Plans"
PLAN_HOURS_SHEET = "Plans by hour"

#: Columns of the Plans sheet and their XLSX kinds.
_PLAN_KINDS: dict[str, str] = {
    "label": "", "option": "", "rank": "int", "monthly_cost_usd": "usd",
    **{c: "" for c in PLAN_COLUMNS},
    "committed_gpus": "int", "on_demand_gpus": "int", "on_demand_gpu_hours": "int",
    "self_hosted_request_share": "pct", "self_hosted_token_share": "pct", "api_overflow_usd_per_month": "usd",
    "committed_usd_per_month": "usd", "on_demand_usd_per_month": "usd", "committed_usd_per_gpu_hour": "rate",
    "on_demand_usd_per_gpu_hour": "rate", "api_only_usd_per_month": "usd", "self_host_only_usd_per_month": "usd",
    "plan_saving_usd_per_month": "usd", "utilization": "pct",
}  # fmt: skip
_HOUR_KINDS = {
    "hour_utc": "int", "requests": "int", "self_hosted_requests": "int", "api_requests": "int",
    "self_hosted_share": "pct", "gpus_of_work": "ms", "committed_gpus": "int", "on_demand_gpus": "int",
    "fleet_capacity_requests": "int", "api_usd": "usd",
}  # fmt: skip


def plan_sheets(
    table: pd.DataFrame, hours: pd.DataFrame
) -> tuple[tuple[str, pd.DataFrame, dict[str, str]], ...]:
    """The two plan sheets from the comparison ``table`` (its rows of kind ``plan``) and the hourly split ``hours``
    (``Evaluation.plan_hours()``); none when the table has no plan rows."""
    if "kind" not in table.columns or not (table["kind"] == "plan").any():
        return ()
    rows = table[table["kind"] == "plan"]
    cols = [c for c in _PLAN_KINDS if c in rows.columns]
    plans = rows[cols].copy()
    note = pd.DataFrame({"label": [f"Assumptions: {PLAN_ASSUMPTIONS}"]})
    return (
        (PLAN_SHEET, pd.concat([plans, note], ignore_index=True), _PLAN_KINDS),
        (PLAN_HOURS_SHEET, hours, _HOUR_KINDS),
    )


def plan_sections(table: pd.DataFrame, hours: pd.DataFrame) -> Section | None:
    """The plans as a report section: their XLSX sheets (their rows are in the table already); None without plans."""
    sheets = plan_sheets(table, hours)
    return Section(sheets=sheets) if sheets else None
