"""The answer in one glance: a verdict sentence naming both sides, the figures beside it, and the warnings a
reader must not miss (options that cannot serve the workload, stale catalogue rows, unchecked limits).

Everything here reads an :class:`~costmodel.evaluate.evaluation.Evaluation`'s frames; it computes nothing the table does not
hold (the saving is a difference of two monthly costs in it; per request and per year divide and multiply).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from costmodel.evaluate.ranking import max_stale_days
from costmodel.evaluate.table import STALE_AFTER_DAYS, cheapest_of_kind, cheapest_row, headline_break_even
from costmodel.views.present import count, count_short, md_literal, percent, usd, usd_short
from costmodel.workload.scenario import Scenario

__all__ = ["Verdict", "money_line", "verdict", "warnings", "workload_summary"]

#: Months per year, for the yearly figure.
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class Verdict:
    """The headline of a comparison.

    Attributes:
        text: one to three sentences: the cheapest option, its saving against the best of the other kind (or the
            runner-up), and the break-even volume of those two next to the workload's own volume.
        option: label of the cheapest option that can serve the workload ("" when none can).
        monthly_cost_usd: its monthly cost (nan when none).
        usd_per_request: its cost per request.
        yearly_cost_usd: its cost per year (12 months).
        break_even_requests_per_day: break-even volume of the cheapest self-hosting against the cheapest API
            (nan when there is none or no pair).
        break_even_pair: (self-hosting label, API label) of that break-even, or None.
    """

    text: str
    option: str
    monthly_cost_usd: float
    usd_per_request: float
    yearly_cost_usd: float
    break_even_requests_per_day: float
    break_even_pair: tuple[str, str] | None


def _saving(cheap: pd.Series, dear: pd.Series) -> str:
    a, b = float(cheap["monthly_cost_usd"]), float(dear["monthly_cost_usd"])
    diff = b - a
    if diff <= 0:
        return "the same as"
    return f"{usd_short(diff)} ({percent(diff / b)}) less than"


def _weights(row: pd.Series) -> str:
    w = row.get("weights_model")
    return str(w) if isinstance(w, str) and w else ""


def _weights_sentence(table: pd.DataFrame, api: pd.Series, sh: pd.Series) -> str:
    """Which weights each side of the headline runs (like with like), and whether they are the same model."""
    a, s = _weights(api), _weights(sh)
    if not a:
        return f"Weights: {api['label']} runs closed (or unpublished) weights; self-hosting runs {s}."
    if a == s:
        return f"Weights: both run {a}."
    same = table[(table["kind"] == "self_host") & (table["weights_model"] == a)]
    also = (
        f" (self-hosting {a} itself: {same.iloc[0]['label']})"
        if not same.empty
        else f" (no self-hosting option of {a} here)"
    )
    return f"Weights: {api['label']} is served by {a}; self-hosting runs {s}, a different model{also}."


def verdict(scenario: Scenario, table: pd.DataFrame, break_even: pd.DataFrame) -> Verdict:
    """The verdict of an evaluation (its ``table`` and ``break_even`` frames) for ``scenario``."""
    w = scenario.workload
    best = cheapest_row(table)
    nan = math.nan
    if best is None:
        n = len(table)
        text = (
            f"No option can serve this workload: {'the option is' if n == 1 else f'all {n} options are'} "
            "not ranked (why is in the table and in the warning below)."
        )
        return Verdict(text, "", nan, nan, nan, nan, None)
    api, sh = cheapest_of_kind(table, "api"), cheapest_of_kind(table, "self_host")
    cost = float(best["monthly_cost_usd"])
    sentences: list[str] = []
    if api is not None and sh is not None:
        if best["kind"] == "self_host":
            sentences.append(
                f"Self-hosting {sh['label']} costs {usd_short(sh['monthly_cost_usd'])}/month, "
                f"{_saving(sh, api)} the cheapest API, {api['label']} ({usd_short(api['monthly_cost_usd'])})."
            )
        else:
            sentences.append(
                f"The cheapest API, {api['label']}, costs {usd_short(api['monthly_cost_usd'])}/month, "
                f"{_saving(api, sh)} the cheapest self-hosting, {sh['label']} "
                f"({usd_short(sh['monthly_cost_usd'])})."
            )
    else:
        ranked = table[table["rank"].notna()].sort_values("rank")
        if len(ranked) > 1:
            second = ranked.iloc[1]
            sentences.append(
                f"{best['label']} costs {usd_short(cost)}/month, {_saving(best, second)} the next cheapest, "
                f"{second['label']} ({usd_short(second['monthly_cost_usd'])})."
            )
        else:
            sentences.append(
                f"{best['label']} costs {usd_short(cost)}/month; it is the only option that can serve this "
                "workload."
            )
        missing, kind = ("self-hosting", "self_host") if sh is None else ("API", "api")
        if (table["kind"] == kind).any():
            sentences.append(
                f"No {missing} option can serve this workload, so there is no break-even to show."
            )
    if api is not None and sh is not None:
        sentences.append(_weights_sentence(table, api, sh))
    be_rpd, pair = nan, None
    be = headline_break_even(table, break_even)
    if be is not None and api is not None and sh is not None:
        pair = (str(sh["label"]), str(api["label"]))
        here = count_short(w.requests_per_day)
        if pd.notna(be["requests_per_day"]):
            be_rpd = float(be["requests_per_day"])
            side = "above" if w.requests_per_day >= be_rpd else "below"
            sentences.append(
                f"Break-even between the two at {count_short(be_rpd)} requests/day; you are at {here} "
                f"({side} it)."
            )
        else:
            why = str(be["volume_note"]).removeprefix("none: ")
            sentences.append(f"The two never break even: {why}. You are at {here} requests/day.")
    if "plan" in set(table["kind"]):  # plans on: the cheapest plan leads, or why none beats the pure options
        sentences = plan_sentences(table, best) + sentences
    return Verdict(
        text=" ".join(sentences),
        option=str(best["label"]),
        monthly_cost_usd=cost,
        usd_per_request=cost / w.requests_per_month,
        yearly_cost_usd=cost * MONTHS_PER_YEAR,
        break_even_requests_per_day=be_rpd,
        break_even_pair=pair,
    )


def _less(cost: float, than: float) -> str:
    return f"{percent((than - cost) / than)} less" if than > cost and than > 0 else "no less"


def plan_sentences(table: pd.DataFrame, best: pd.Series) -> list[str]:
    """The verdict's plan sentence: the cheapest plan (self-hosted base load, API overflow) with its split and its
    saving against its pair's two pure plans, or why a pure plan is best (``plan_why``)."""
    plan = cheapest_of_kind(table, "plan")
    if plan is None:
        return ["No plan can be priced (why is in the plan rows)."]
    cost = float(plan["monthly_cost_usd"])
    if plan["plan_kind"] != "mixed":
        why = str(plan.get("plan_why") or "").strip()
        pure = "the API alone" if plan["plan_kind"] == "api_only" else "self-hosting alone"
        text = f"No mix of self-hosting and API beats the pure options: {pure} is best{': ' + why if why else ''}."
        mixed = table[(table["kind"] == "plan") & (table["plan_kind"] == "mixed") & table["rank"].notna()]
        if not mixed.empty:  # another pair's mix is cheaper than its own pure plans, though dearer than this
            other = mixed.sort_values("rank").iloc[0]
            cost_o = float(other["monthly_cost_usd"])
            pure_o = min(float(other["api_only_usd_per_month"]), float(other["self_host_only_usd_per_month"]))
            text += (
                f" Another pair has a cheaper mix than its own pure plans: {other['label']}, "
                f"{usd_short(cost_o)}/month, {_less(cost_o, pure_o)} than its cheaper pure plan."
            )
        return [text]
    gpu = str(plan.get("gpu") or "").upper()
    k, m = int(plan["committed_gpus"]), int(plan["on_demand_gpus"])
    if k:
        fleet = f"{k} × {gpu} committed for the base load" + (
            f" and up to {m} more on demand by the hour" if m else ""
        )
    else:
        fleet = f"up to {m} × {gpu} rented on demand in the hours busy enough to fill them"
    model = str(plan["label"]).removeprefix("Plan: ").split(" on ")[0]
    api = str(plan["label"]).rsplit(" + ", 1)[-1]
    when = str(plan.get("plan_why") or "").removeprefix("the API takes the rest: ")
    text = (
        f"Self-host {model} on {fleet} ({percent(float(plan['self_hosted_token_share']))} of tokens); {api} for the "
        f"rest ({when}): {usd_short(cost)}/month, {_less(cost, float(plan['api_only_usd_per_month']))} than the API "
        f"alone and {_less(cost, float(plan['self_host_only_usd_per_month']))} than self-hosting alone."
    )
    if best["option"] != plan["option"]:
        text += (
            f" It is not the cheapest option: {best['label']} costs {usd_short(best['monthly_cost_usd'])}."
        )
    return [text]


def warnings(
    scenario: Scenario, table: pd.DataFrame, literal: Callable[[object], str] = md_literal
) -> list[str]:
    """Short warnings (Markdown, one per kind of problem) to show above the table: options that are not ranked
    and why, catalogue rows older than the staleness limit, limits the catalogue does not record. Labels and
    reasons (which may carry an uploaded model's name) go through ``literal``: :func:`~costmodel.views.present.md_literal`
    for Markdown, ``str`` for a spreadsheet cell."""
    out: list[str] = []
    unranked = table[table["rank"].isna()]
    if not unranked.empty:
        lines = [
            f"- **{literal(r['label'])}**: {literal(r['reason'] or 'no cost')}"
            for _, r in unranked.iterrows()
        ]
        n = len(unranked)
        out.append(
            f"{n} of {len(table)} option{'s' if len(table) > 1 else ''} cannot serve this workload and "
            f"{'are' if n > 1 else 'is'} not ranked:\n" + "\n".join(lines)
        )
    stale = table[table["stale_rows"].map(max_stale_days) > 0]
    if not stale.empty:
        rows = sorted({p.strip() for v in stale["stale_rows"] for p in str(v).split(";") if "days old" in p})
        users = literal(", ".join(str(x) for x in stale["label"]))
        out.append(
            f"Catalogue rows older than {STALE_AFTER_DAYS} days are used: {literal(', '.join(rows))}, by {users}. "
            "Check those prices on the Catalogue page before relying on these rows."
        )
    refused = unranked["reason"].astype(str).str.contains("context window").any()
    unknown = table[
        table["rank"].notna() & table["flags"].str.contains("context window unknown", regex=False)
    ]
    if refused and not unknown.empty:
        names = literal(", ".join(str(x) for x in unknown["label"]))
        out.append(
            f"The catalogue does not record the context window of {names}: "
            f"{'its row is' if len(unknown) == 1 else 'their rows are'} priced but not checked against the "
            f"{count(scenario.workload.prompt_tokens)}-token prompt that other models refuse."
        )
    return out


def workload_summary(scenario: Scenario) -> str:
    """The workload in one line, with human numbers (for the page caption, the Markdown and the XLSX)."""
    w = scenario.workload
    out = f"{count(w.billed_output_tokens)} billed output tokens"
    if w.reasoning_multiplier != 1:
        out += f" ({count(w.output_tokens)} × {w.reasoning_multiplier:g} reasoning)"
    where = f"traffic profile in {w.timezone}"
    if scenario.classes:  # a mix: the figures above are its mean request; each class has its own profile
        where = "mean of the request classes " + ", ".join(
            f"{c.name} {percent(c.share)} ({count(c.workload.prompt_tokens)} prompt tokens, {c.workload.timezone})"
            for c in scenario.classes
        )
    return (
        f"{count(w.requests_per_day)} requests/day ({count(w.requests_per_month)} a month over "
        f"{w.days_per_month:g} days), {count(w.prompt_tokens)} prompt tokens per request "
        f"({percent(w.cache_hit_fraction)} cached), {out} per request; {where}; "
        f"prices as of {scenario.as_of.isoformat()}; self-hosting at {scenario.assumptions.efficiency} efficiency, "
        f"overhead {scenario.assumptions.overhead_pct:g}% on GPU rental."
    )


def money_line(v: Verdict) -> str:
    """The figures beside the verdict: per month, per request, per year."""
    if not v.option:
        return ""
    return (
        f"{v.option}: {usd(v.monthly_cost_usd)} per month, {usd(v.usd_per_request)} per request, "
        f"{usd(v.yearly_cost_usd)} per year."
    )
