"""Growth: each option's monthly cost over the next months as traffic grows at a steady monthly rate, and the
months in which the cheapest option changes.

Month ``m`` (0 = now) carries ``requests_per_day × (1 + rate)^m``; everything else in the scenario stays. Each
month is a full evaluation (:func:`costmodel.evaluate.evaluation.evaluate`), so self-hosting steps up a GPU at a time exactly
as the comparison table does (no interpolation between volumes); about 0.1 s a month.
"""

from __future__ import annotations

import math

import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.workload.scenario import MAX_REQUESTS_PER_DAY, Scenario

__all__ = ["GrowthError", "cheapest_changes", "growth_projection"]

MAX_MONTHS = 60
#: Columns of :func:`growth_projection`.
COLUMNS = ["month", "requests_per_day", "option", "label", "kind", "monthly_cost_usd", "feasible", "cheapest"]


class GrowthError(ValueError):
    """A growth rate or horizon that cannot be projected; one line."""


def growth_projection(
    scenario: Scenario, catalogue: Catalogue, monthly_growth: float, months: int = 12
) -> pd.DataFrame:
    """One row per month × option: ``month``, ``requests_per_day``, ``option``, ``label``, ``kind``,
    ``monthly_cost_usd`` (USD per month; NaN where the option cannot serve the workload), ``feasible`` and
    ``cheapest`` (the lowest feasible cost of that month).

    Args:
        monthly_growth: growth of the requests per month as a fraction (0.1 = +10% a month; > -1).
        months: months projected, 1..60 (month 0 = today's traffic).

    Raises:
        GrowthError: a rate or horizon out of range, or traffic beyond the scenario's bound.
    """
    if not (math.isfinite(monthly_growth) and -1 < monthly_growth <= 10):
        raise GrowthError(f"monthly growth must be above -100% and at most +1,000%, got {monthly_growth:g}")
    if not 1 <= months <= MAX_MONTHS:
        raise GrowthError(f"months must be between 1 and {MAX_MONTHS}, got {months}")
    base = scenario.workload.requests_per_day
    frames = []
    for m in range(months):
        rpd = base * (1.0 + monthly_growth) ** m
        if not 0 < rpd <= MAX_REQUESTS_PER_DAY:
            raise GrowthError(
                f"month {m}: {rpd:,.4g} requests a day is outside the scenario's range (0, {MAX_REQUESTS_PER_DAY:,.0f}]"
            )
        s = scenario.model_copy(
            update={"workload": scenario.workload.model_copy(update={"requests_per_day": rpd})}
        )
        t = evaluate(s, catalogue).table
        f = t[["option", "label", "kind", "monthly_cost_usd", "feasible"]].copy()
        f.insert(0, "requests_per_day", rpd)
        f.insert(0, "month", m)
        costs = f["monthly_cost_usd"].where(f["feasible"].astype(bool))
        f["cheapest"] = False
        if costs.notna().any():
            f.loc[costs.idxmin(), "cheapest"] = True
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    return out[COLUMNS]


def cheapest_changes(projection: pd.DataFrame) -> list[tuple[int, str, str]]:
    """``(month, cheapest before, cheapest from that month)`` for each month whose cheapest option differs from
    the month before's (compared by option; shown by label, whose GPU count may grow; empty when one option
    stays cheapest)."""
    cheapest = projection[projection["cheapest"]].sort_values("month")
    changes = []
    previous: tuple[str, str] | None = None
    for month, option, label in zip(cheapest["month"], cheapest["option"], cheapest["label"], strict=True):
        if previous is not None and option != previous[0]:
            changes.append((int(month), previous[1], str(label)))
        previous = (str(option), str(label))
    return changes
