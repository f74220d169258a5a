"""Growth in the exports: when a scenario states a monthly traffic growth (``Scenario.monthly_growth_fraction``),
the XLSX gets a Growth sheet, the JSON a ``growth`` key and the Markdown report a table: each option's monthly
cost over the next 12 months (:func:`costmodel.evaluate.growth.growth_projection`) and the months in which the cheapest
option changes (:func:`costmodel.evaluate.growth.cheapest_changes`). Without growth the exports are unchanged. When the
projection cannot be made (the traffic leaves the scenario's range within the months: a :class:`GrowthProblem`),
the exports carry that one line where the projection would be (Markdown: in the growth section; JSON:
``"growth": {"monthly_growth_fraction": ..., "months": ..., "error": "..."}``; XLSX: a Growth sheet holding it).

The projection is computed once (:func:`growth_report`, about 0.1 s a month: each month is a full evaluation)
and only read here; the Calculator caches it with its evaluation. Money is USD per month.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.evaluate.growth import GrowthError, cheapest_changes, growth_projection
from costmodel.views.export.comparison import _records, markdown_table
from costmodel.views.export.report import Section
from costmodel.views.present import md_literal, usd
from costmodel.workload.scenario import Scenario

__all__ = [
    "MONTHS",
    "GrowthProblem",
    "GrowthReport",
    "growth_json",
    "growth_markdown",
    "growth_or_problem",
    "growth_report",
    "growth_section",
    "growth_sheets",
    "growth_table",
]

#: Months projected in the exports (month 0 = today's traffic).
MONTHS = 12
SHEET = "Growth"
MONTH_COLS = ("Month", "Requests per day", "Cheapest option", "Cheapest option changes")


@dataclass(frozen=True)
class GrowthReport:
    """A scenario's growth projection: ``projection`` is :func:`costmodel.evaluate.growth.growth_projection`'s frame (one
    row per month × option), ``changes`` the ``(month, cheapest before, cheapest from then)`` triples."""

    monthly_growth_fraction: float
    projection: pd.DataFrame
    changes: tuple[tuple[int, str, str], ...]

    @property
    def months(self) -> int:
        return int(self.projection["month"].max()) + 1 if len(self.projection) else 0


def growth_report(scenario: Scenario, catalogue: Catalogue, months: int = MONTHS) -> GrowthReport | None:
    """The projection of ``scenario`` at its own monthly growth; None when it states none (nothing computed).

    Raises:
        costmodel.evaluate.growth.GrowthError: traffic that leaves the scenario's range within ``months`` (one line).
    """
    rate = scenario.monthly_growth_fraction
    if rate == 0:
        return None
    projection = growth_projection(scenario, catalogue, rate, months)
    return GrowthReport(rate, projection, tuple(cheapest_changes(projection)))


@dataclass(frozen=True)
class GrowthProblem:
    """Why a scenario's growth projection cannot be made (``error``: one line, e.g. a month's traffic beyond the
    scenario's range); the comparison itself is valid and the exports carry this line instead of the months."""

    monthly_growth_fraction: float
    error: str
    months: int = MONTHS

    @property
    def line(self) -> str:
        """The sentence the exports show where the projection would be."""
        rate = self.monthly_growth_fraction
        return f"No projection of traffic {rate:+.1%} a month over {self.months} months: {self.error}."


def growth_or_problem(
    scenario: Scenario, catalogue: Catalogue, months: int = MONTHS
) -> GrowthReport | GrowthProblem | None:
    """:func:`growth_report`, with a projection that cannot be made given as a :class:`GrowthProblem` (not raised)."""
    try:
        return growth_report(scenario, catalogue, months)
    except GrowthError as e:
        return GrowthProblem(scenario.monthly_growth_fraction, str(e).splitlines()[0].rstrip("."), months)


def _column(label: str) -> str:
    """An option's column header: its label without the GPU count, which grows with the traffic."""
    return re.sub(r" on \d[\d,]*× ", " on ", label)


def growth_table(report: GrowthReport) -> pd.DataFrame:
    """For people: one row per month, the requests per day, the cheapest option (its label that month), the
    change when there is one, and each option's monthly cost (USD/month; empty where it cannot serve the
    traffic). Option columns are named by the label of month 0 without the GPU count."""
    p = report.projection
    first = p[p["month"] == p["month"].min()]
    names = {o: _column(str(lab)) for o, lab in zip(first["option"], first["label"], strict=True)}
    repeated = {n for n in names.values() if list(names.values()).count(n) > 1}
    names = {o: f"{n} [{o}]" if n in repeated else n for o, n in names.items()}  # two options, one label
    costs = p.pivot(index="month", columns="option", values="monthly_cost_usd")[list(names)]
    costs.columns = [f"{names[o]} (USD/month)" for o in costs.columns]
    months = p.drop_duplicates("month").set_index("month")["requests_per_day"]
    cheapest = p[p["cheapest"]].set_index("month")["label"]
    change = {m: f"from {a} to {b}" for m, a, b in report.changes}
    out = pd.DataFrame(
        {
            MONTH_COLS[0]: months.index.astype(int),
            MONTH_COLS[1]: months.to_numpy(),
            MONTH_COLS[2]: [str(cheapest.get(m, "none")) for m in months.index],
            MONTH_COLS[3]: [change.get(int(m), "") for m in months.index],
        }
    )
    return pd.concat([out, costs.reset_index(drop=True)], axis=1)


def _headline(report: GrowthReport) -> str:
    rate = report.monthly_growth_fraction
    return f"Traffic {rate:+.1%} a month over {report.months} months (month 0 = today's traffic)"


def growth_json(report: GrowthReport) -> dict[str, object]:
    """The ``growth`` key of the JSON export: the rate (fraction per month), the months, every projected row at
    full precision (the shape of ``costmodel growth --format json``: ``rows`` and ``cheapest_changes``)."""
    rows = _records(report.projection)  # full precision; a cost the option cannot serve is null
    return {
        "monthly_growth_fraction": report.monthly_growth_fraction,
        "months": report.months,
        "rows": rows,
        "cheapest_changes": [{"month": m, "from": a, "to": b} for m, a, b in report.changes],
    }


def growth_markdown(report: GrowthReport) -> str:
    """The Markdown report's growth section: the months table and the months the cheapest option changes."""
    table = growth_table(report)
    shown = table.copy()
    shown[MONTH_COLS[1]] = shown[MONTH_COLS[1]].map(lambda v: f"{v:,.0f}")
    for col in table.columns[len(MONTH_COLS) :]:
        shown[col] = table[col].map(lambda v: "" if not math.isfinite(v) else usd(v))
    for col in (MONTH_COLS[2], MONTH_COLS[3]):
        shown[col] = table[col].map(md_literal)
    changes = [
        f"- Month {m}: the cheapest option changes from **{md_literal(a)}** to **{md_literal(b)}**."
        for m, a, b in report.changes
    ] or [f"The same option stays cheapest for all {report.months} months."]
    return "\n".join(
        [
            f"## Growth: the next {report.months} months",
            "",
            f"{_headline(report)}; each month priced as the table above (USD per month; self-hosting fleets are "
            "re-sized every month, the cheapest option's label gives its GPUs).",
            "",
            markdown_table(shown).rstrip("\n"),
            "",
            *changes,
            "",
        ]
    )


def _problem_json(problem: GrowthProblem) -> dict[str, object]:
    return {
        "monthly_growth_fraction": problem.monthly_growth_fraction,
        "months": problem.months,
        "error": problem.error,
    }


def _problem_markdown(problem: GrowthProblem) -> str:
    return "\n".join([f"## Growth: the next {problem.months} months", "", md_literal(problem.line), ""])


def growth_section(report: GrowthReport | GrowthProblem) -> Section:
    """The growth as a report section: a Markdown section, a ``growth`` JSON key and the XLSX Growth sheet (a
    :class:`GrowthProblem`: its line in each place instead of the months)."""
    if isinstance(report, GrowthProblem):
        return Section("growth", _problem_json(report), _problem_markdown(report), growth_sheets(report))
    return Section("growth", growth_json(report), growth_markdown(report), growth_sheets(report))


def growth_sheets(
    report: GrowthReport | GrowthProblem | None,
) -> tuple[tuple[str, pd.DataFrame, dict[str, str]], ...]:
    """The XLSX's Growth sheet (for :func:`costmodel.views.export.xlsx.write_xlsx`'s ``extra_sheets``): the months table
    with currency formats (a :class:`GrowthProblem`: its one line); none without growth."""
    if report is None:
        return ()
    if isinstance(report, GrowthProblem):
        return ((SHEET, pd.DataFrame({"Growth": [report.line]}), {}),)
    table = growth_table(report)
    kinds = {MONTH_COLS[0]: "int", MONTH_COLS[1]: "int"} | {
        c: "usd" for c in table.columns[len(MONTH_COLS) :]
    }
    return ((SHEET, table, kinds),)  # text cells are escaped by the sheet writer
