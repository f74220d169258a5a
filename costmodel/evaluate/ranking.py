"""The columns that make a comparison table readable and ranked: a short ``label`` per option, ``rank`` among
the options that can serve the workload, ``usd_per_request`` and ``flags`` (the caveats of a row in words).

Only options that can serve the workload and have a finite monthly cost are ranked (1 = cheapest); an option
that cannot (context window, latency target, memory, no price) has an empty ``rank`` and its ``flags`` start
with ``not ranked:`` and the reason.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.workload.scenario import Scenario

__all__ = ["FLAG_SEPARATOR", "add_ranking", "max_stale_days", "short_model_name"]

#: Between two flags of one row.
FLAG_SEPARATOR = " · "
_DAYS = re.compile(r"\((\d+) days old\)")


def short_model_name(catalogue: Catalogue, model_id: str) -> str:
    """The model's display name without its parenthesised remark (``Kimi K2.6 (K2 architecture)`` → ``Kimi
    K2.6``); the id when the catalogue does not know it."""
    for m in catalogue.models:
        if m.id == model_id:
            return m.name.split(" (")[0]
    return model_id


def _number(v: object) -> float:
    try:
        x = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return x


def _label(row: pd.Series, catalogue: Catalogue) -> str:
    if row["kind"] == "plan" and isinstance(
        row.get("label"), str
    ):  # made with the row (plan_table.plan_label)
        return str(row["label"])
    name = short_model_name(catalogue, str(row["model"]))
    if row["kind"] == "api":
        own = next((m.provider for m in catalogue.models if m.id == row["model"]), None)
        text = f"{name} API" if row["provider"] == own else f"{name} via {row['provider']}"
        basis = row.get("price_basis")
        if basis == "promotion":
            text += " (promotion)"
        elif basis == "custom":
            text += " (your prices)"
        return text
    gpu = str(row.get("gpu") or "").upper()
    peak = _number(row.get("gpus"))
    replica = _number(row.get("deployment_gpus"))
    n = peak if math.isfinite(peak) else replica
    size = f"{n:,.0f}× " if math.isfinite(n) and n > 0 else ""
    if row.get("mode") == "autoscaled" and size:
        size = f"up to {size}"
    extras = [str(row["precision"])] if row.get("precision") not in (None, "native") else []
    if row.get("disaggregated") is True:
        pool = _number(row.get("prefill_pool_gpus"))
        extras.append(
            f"disaggregated, pools of {pool:,.0f} prefill + {replica:,.0f} decode GPUs"
            if math.isfinite(pool) and math.isfinite(replica)
            else "disaggregated"
        )
    if row.get("mode") == "autoscaled":
        extras.append("autoscaled")
    return f"{name} on {size}{gpu}" + (f" ({', '.join(extras)})" if extras else "")


def max_stale_days(stale_rows: object) -> int:
    """The age of the oldest stale row named in a ``stale_rows`` cell (0 when none)."""
    return max((int(d) for d in _DAYS.findall(str(stale_rows or ""))), default=0)


def _flags(row: pd.Series) -> str:
    out = []
    if pd.isna(row["rank"]):
        why = str(row.get("reason") or "") if isinstance(row.get("reason"), str) else ""
        out.append(f"not ranked: {why or 'no cost'}")
    days = max_stale_days(row.get("stale_rows"))
    if days:
        out.append(f"stale price data ({days} days old)")
    if isinstance(row.get("unconfirmed_fields"), str) and row["unconfirmed_fields"].strip():
        out.append("unconfirmed values")
    notes = str(row.get("notes") or "")
    if "context window unknown" in notes:
        out.append("context window unknown")
    if row.get("price_basis_used") == "promotion":
        out.append("promotional price")
    elif row.get("price_basis") == "promotion":
        out.append("no promotion in effect: list price")
    if row.get("price_basis") == "custom" or row.get("price_confidence") == "user input":
        out.append("your prices")
    return FLAG_SEPARATOR.join(out)


def add_ranking(table: pd.DataFrame, scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """``table`` with ``label``, ``rank``, ``usd_per_request`` and ``flags`` filled in (a copy)."""
    out = table.copy()
    labels = [_label(r, catalogue) for _, r in out.iterrows()]
    counts = pd.Series(labels).value_counts()
    out["label"] = [lab if counts[lab] == 1 else opt for lab, opt in zip(labels, out["option"], strict=True)]
    cost = pd.to_numeric(out["monthly_cost_usd"], errors="coerce").astype(float)
    feasible = out["feasible"].map(lambda v: v is True or v == 1 or v is pd.NA)
    ok = feasible & cost.notna() & cost.map(math.isfinite)
    order = cost[ok].sort_values(kind="stable").index
    rank = pd.Series(pd.NA, index=out.index, dtype="Int64")
    rank[order] = range(1, len(order) + 1)
    out["rank"] = rank
    out["usd_per_request"] = cost / scenario.workload.requests_per_month
    out["flags"] = [_flags(r) for _, r in out.iterrows()]
    return out
