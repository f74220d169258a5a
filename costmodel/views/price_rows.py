"""The catalogue price rows behind a comparison table: when each was last verified, whether it is stale, its
peak hours, and the sources of the weekday rule (what the Calculator shows under the table); the weights behind
each price row and the dated lifecycle events (the Catalogue page).

Ages are in days before the priced date (``scenario.as_of``), with the same rule as ``costmodel catalog stale``
(:func:`costmodel.catalog.stale_rows`) and the table's ``stale_rows`` column.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from costmodel.catalog import stale_rows
from costmodel.catalog.schema import Catalogue, PriceSchedule
from costmodel.evaluate.table import STALE_AFTER_DAYS
from costmodel.pricing.feeds import describe_peak

__all__ = [
    "PRICE_ROW_COLUMNS",
    "WEEKDAY_RULE",
    "lifecycle_frame",
    "peak_rule_note",
    "price_rows_frame",
    "served_by_text",
]

#: Where the Monday-Friday peak rule comes from, and who disagrees (docs/sources.md §5.1, docs/prices.md).
WEEKDAY_RULE = (
    "Peak hours apply Monday to Friday (UTC days); weekends are off-peak all day. Source: DeepSeek's pricing "
    "page (official); LiteLLM 1.110.2's price map, citing that page, encodes the same rule. genai-prices 0.2.5 "
    "applies the peak hours on all seven days because its schema has no weekday field, and a pre-launch notice "
    "(2026-06-29) was reported as 'every day': not followed (docs/sources.md §5.1, docs/prices.md)."
)

PRICE_ROW_COLUMNS = [
    "option", "price_id", "provider", "confidence", "last_verified", "age_days", "stale", "peak_hours", "source",
]  # fmt: skip


def price_rows_frame(
    table: pd.DataFrame, catalogue: Catalogue, as_of: dt.date, max_age_days: int = STALE_AFTER_DAYS
) -> pd.DataFrame:
    """One row per (API option, catalogue price row) of ``table``: ``last_verified`` (the row's ``as_of``),
    ``age_days`` before ``as_of``, ``stale`` (older than ``max_age_days``), ``peak_hours`` and ``source``."""
    by_id = {p.id: p for p in catalogue.prices}
    old = {rid: age for tbl, rid, _, age in stale_rows(catalogue, as_of, max_age_days) if tbl == "prices"}
    rows = []
    for _, r in table[table["kind"] == "api"].iterrows():
        for pid in str(r.get("price_ids") or "").split(";"):
            p = by_id.get(pid.strip())
            if p is None:  # custom prices: no catalogue row
                continue
            rows.append(
                {
                    "option": r.get("label") or r["option"],
                    "price_id": p.id,
                    "provider": p.provider,
                    "confidence": p.confidence,
                    "last_verified": p.as_of.isoformat(),
                    "age_days": (as_of - p.as_of).days,
                    "stale": p.id in old,
                    "peak_hours": describe_peak(p.peak_windows, p.off_peak_multiplier),
                    "source": p.source,
                }
            )
    return pd.DataFrame(rows, columns=PRICE_ROW_COLUMNS)


def peak_rule_note(rows: pd.DataFrame) -> str:
    """The weekday rule and its sources when a row used has peak hours ("" otherwise)."""
    if rows.empty or (rows["peak_hours"] == "flat").all():
        return ""
    return WEEKDAY_RULE


def served_by_text(schedule: PriceSchedule) -> str:
    """The weights behind a price row, period by period (``""`` when the row names none)."""
    parts = []
    for p in schedule.served_by:
        until = f" to {p.effective_to:%Y-%m-%d %H:%M}" if p.effective_to else " on"
        who = p.weights_model or "closed weights"
        parts.append(f"{who} ({p.checkpoint}) from {p.effective_from:%Y-%m-%d %H:%M}{until} [{p.confidence}]")
    return "; ".join(parts)


def lifecycle_frame(catalogue: Catalogue) -> pd.DataFrame:
    """The dated lifecycle events (release, retire, redirect, announced / cancelled), oldest first: ``when (UTC)``,
    ``event``, ``model``, ``API names``, ``took effect``, ``what``, ``conflict``, ``source``, ``as_of``,
    ``confidence``."""
    rows = [
        {
            "when (UTC)": e.when.strftime("%Y-%m-%d %H:%M"),
            "event": e.kind.replace("_", " "),
            "model": e.model or "",
            "API names": ", ".join(e.api_model_names),
            "took effect": "yes" if e.took_effect else "NO (announced, never happened)",
            "what": e.text,
            "conflict": e.conflict,
            "source": e.source,
            "as_of": e.as_of,
            "confidence": e.confidence,
        }
        for e in sorted(catalogue.events, key=lambda e: e.when)
    ]
    cols = ["when (UTC)", "event", "model", "API names", "took effect", "what", "conflict", "source", "as_of",
            "confidence"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)
