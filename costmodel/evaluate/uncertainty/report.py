"""Uncertainty: the frames, the sentences and the export sections built from an UncertaintyResult."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from costmodel.evaluate.breakeven import X_MAX
from costmodel.evaluate.uncertainty.result import UncertaintyResult

# ---- frames ------------------------------------------------------------------------------------------------

#: Columns :func:`uncertainty_columns` adds to the comparison table.
UNCERTAINTY_COLUMNS = [
    "p_cheapest",
    "monthly_cost_usd_p10",
    "monthly_cost_usd_p50",
    "monthly_cost_usd_p90",
]


def uncertainty_columns(res: UncertaintyResult) -> pd.DataFrame:
    """Per option: probability of being the cheapest (fraction of draws) and P10/P50/P90 monthly cost (USD)."""
    q = [res.quantiles(i) for i in range(len(res.options))]
    return pd.DataFrame(
        {
            "option": list(res.options),
            "p_cheapest": res.p_cheapest,
            "monthly_cost_usd_p10": [x[0] for x in q],
            "monthly_cost_usd_p50": [x[1] for x in q],
            "monthly_cost_usd_p90": [x[2] for x in q],
        }
    )


def tornado_frame(res: UncertaintyResult) -> pd.DataFrame:
    """One row per tornado bar: input, ends, verdict at each end (USD/month), swing (USD/month), source."""
    return pd.DataFrame(
        [
            {
                "input": b.label,
                "low": b.low_text,
                "high": b.high_text,
                "verdict_low_usd_per_month": b.verdict_low_usd,
                "verdict_high_usd_per_month": b.verdict_high_usd,
                "swing_usd_per_month": b.swing_usd,
                "range_source": b.note,
            }
            for b in res.tornado
        ],
        columns=[
            "input", "low", "high", "verdict_low_usd_per_month", "verdict_high_usd_per_month",
            "swing_usd_per_month", "range_source",
        ],
    )  # fmt: skip


def with_uncertainty(table: pd.DataFrame, res: UncertaintyResult) -> pd.DataFrame:
    """The comparison table with :data:`UNCERTAINTY_COLUMNS` added (same rows, same order: the table's rows are
    the evaluation's options in order, as the result's are); rows of kind ``plan`` are not drawn by the Monte Carlo
    and have them empty.

    Raises:
        ValueError: the table is not the one of the evaluation ``res`` was computed from.
    """
    # plan rows (kind ``plan``) are not drawn: their uncertainty columns stay empty
    options = table["option"][table["kind"] != "plan"] if "kind" in table.columns else table["option"]
    if list(options) != list(res.options):
        raise ValueError("the uncertainty was computed for another comparison table")
    extra = uncertainty_columns(res)
    out = table.copy()
    for col in UNCERTAINTY_COLUMNS:
        out[col] = np.nan
        out.loc[options.index, col] = extra[col].to_numpy(dtype=float)
    return out


def break_even_quantiles(res: UncertaintyResult) -> tuple[float, float, float, float]:
    """P10, P50, P90 of the break-even volume (requests/day) over the draws that have one, and that share."""
    be = res.break_even_requests_per_day
    ok = be[np.isfinite(be)]
    if not ok.size:
        return (math.nan, math.nan, math.nan, 0.0)
    q = np.percentile(ok, [10, 50, 90])
    return float(q[0]), float(q[1]), float(q[2]), float(ok.size / be.size)


def break_even_sentence(
    res: UncertaintyResult,
    at_inputs_requests_per_day: float | None = None,
    labels: dict[str, str] | None = None,
) -> str:
    """One line on the break-even volume of the verdict's pair over the draws.

    ``at_inputs_requests_per_day``: the pair's break-even at the user's inputs (the verdict's; nan = none). Given,
    the line starts from it, so that the verdict and the uncertain cases tell one story. ``labels``: option id →
    the name shown for it (the table's ``label``)."""
    if res.pair is None:
        return "No break-even: the verdict needs an API and a self-hosting option with a cost."
    p10, p50, p90, share = break_even_quantiles(res)
    sh, api = (labels or {}).get(res.pair[0], res.pair[0]), (labels or {}).get(res.pair[1], res.pair[1])
    n = res.break_even_requests_per_day.size
    if at_inputs_requests_per_day is not None:
        at = at_inputs_requests_per_day
        lead = (
            f"Break-even: at your inputs {sh} breaks even against {api} at {at:,.0f} requests/day (the verdict)"
            if math.isfinite(at)
            else f"Break-even: at your inputs {sh} never breaks even against {api} (the verdict)"
        )
        if share == 0:
            return (
                f"{lead}; in none of {n:,} uncertain cases does it (searched up to {X_MAX:,.0f}× the volume)."
            )
        return (
            f"{lead}; in {share:.0%} of {n:,} uncertain cases it does, at ~{p50:,.0f} requests/day "
            f"(P10 {p10:,.0f}, P90 {p90:,.0f})."
        )
    if share == 0:
        return (
            f"Break-even: {sh} never breaks even against {api} in {n:,} draws (searched up to "
            f"{X_MAX:,.0f}× the volume)."
        )
    return (
        f"Break-even: {sh} breaks even against {api} in {share:.0%} of {n:,} draws; where it does, at "
        f"{p10:,.0f} / {p50:,.0f} / {p90:,.0f} requests/day (P10 / P50 / P90)."
    )


def uncertainty_summary(res: UncertaintyResult) -> dict[str, object]:
    """The uncertainty as plain data (JSON export): sentence, draws, seed, ranges, tornado, break-even."""
    p10, p50, p90, share = break_even_quantiles(res)

    def num(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "sentence": res.sentence(),
        "draws": res.draws,
        "seed": res.seed,
        "ranges": res.ranges.model_dump(),
        "p_self_host_cheaper": res.p_self_host_cheaper,
        "verdict_usd_per_month": num(res.verdict_base_usd),
        "verdict_usd_per_month_p10_p50_p90": [
            num(float(x)) for x in np.nanpercentile(res.verdict_usd, [10, 50, 90])
        ]
        if np.isfinite(res.verdict_usd).any()
        else [None, None, None],
        "break_even_pair": list(res.pair) if res.pair else None,
        "break_even_requests_per_day_p10_p50_p90": [num(p10), num(p50), num(p90)],
        "break_even_share_of_draws": share,
        "tornado": [
            {k: (num(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in tornado_frame(res).to_dict("records")
        ],
        "notes": list(res.notes),
    }


def uncertainty_markdown(res: UncertaintyResult) -> str:
    """A Markdown section: the sentence, the tornado, the break-even line, the distributions used."""

    def usd(x: float) -> str:
        return f"${x:,.0f}" if math.isfinite(x) else ""

    lines = [
        "## Uncertainty",
        "",
        f"**{res.sentence()}** {break_even_sentence(res)}",
        "",
        f"Verdict = cheapest API − cheapest self-hosting, USD/month (positive: self-hosting saves). "
        f"{res.draws:,} draws, seed {res.seed}; distributions in docs/uncertainty.md.",
        "",
    ]
    if res.tornado:
        lines += [
            "| Input | Low end | High end | Verdict at low (USD/month) | Verdict at high (USD/month) | Range from |",
            "|---|---|---|---|---|---|",
        ]
    else:
        lines.append("No tornado: every range has zero width, or there is no API or no self-hosting option.")
    for b in res.tornado:
        note = b.note.replace("|", "\\|")
        lines.append(
            f"| {b.label} | {b.low_text} | {b.high_text} | {usd(b.verdict_low_usd)} | "
            f"{usd(b.verdict_high_usd)} | {note} |"
        )
    lines += [""] + [f"- {n}" for n in res.notes]
    return "\n".join(lines) + "\n"


def add_to_text(fmt: str, text: str, res: UncertaintyResult) -> str:
    """An exported ``md`` or ``json`` text with the uncertainty added (md: a section; json: a key)."""
    if fmt == "md":
        return text.rstrip("\n") + "\n\n" + uncertainty_markdown(res)
    if fmt == "json":
        import json

        doc = json.loads(text)
        doc["uncertainty"] = uncertainty_summary(res)
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return text
