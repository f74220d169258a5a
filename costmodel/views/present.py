"""Numbers for people: human formats, column headers with units, and the comparison table ranked and shaped
for the page, the CSV, the XLSX and the Markdown report (one definition of every column, used by all four).

Formats: thousands separators, sensible decimals, percentages as %, no scientific notation, and an em dash for a
value that does not apply (never "None" or "nan"). The machine forms (JSON, ``costmodel compare --format csv``)
keep the snake_case columns of the table (:mod:`costmodel.evaluate.table`) at full precision.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from costmodel.workload.scenario import Workload

__all__ = [
    "COLUMN_SPECS",
    "COMPACT",
    "DETAILS",
    "MISSING",
    "ColumnSpec",
    "count",
    "count_short",
    "describe_workload",
    "display_frame",
    "md_literal",
    "people_frame",
    "percent",
    "ranked",
    "usd",
    "usd_rate",
    "usd_short",
]

#: Shown for a value that does not apply or is not known.
MISSING = "—"

#: Characters that give Markdown (CommonMark + GFM, and Streamlit's extensions: ``$`` maths, ``:red[…]``) a
#: meaning anywhere in a line; each gets a backslash, which CommonMark defines for every ASCII punctuation.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|!~$&{}#])")
#: What starts a heading, list, quote, rule or numbered item at the start of a line (``# ``, ``- ``, ``> ``,
#: ``1. ``, ``1) ``).
_MD_LEAD = re.compile(r"^([#+\-=>]|\d+[.)])")
#: Word joiner (U+2060, invisible, zero width). Streamlit turns ``:name:`` short codes into emoji or icons and GFM
#: turns bare ``http://…``, ``www.…`` and ``a@b.c`` into links by matching the rendered text, after the escapes
#: are gone; a joiner after a ``:`` that a letter, digit or ``/`` follows, inside ``www.`` and after ``@`` breaks
#: those matches and changes nothing visible. Numbers (``$24.9k``) and prose (``costs: …``) are left alone, so a
#: copied figure pastes as a number.
_JOINER = "\u2060"
_BREAK = (
    (re.compile(r":(?=[A-Za-z0-9/])"), ":" + _JOINER),
    (re.compile(r"(?i)\b(www)\."), r"\1" + _JOINER + "."),
    (re.compile("@"), "@" + _JOINER),
)


def md_literal(text: object) -> str:
    """``text`` (user-controlled: a scenario description, an uploaded name, a URL key) made safe to put in
    Markdown: shown as the same characters, never interpreted (no image fetched, no link, heading, list, emphasis,
    HTML, maths, emoji or icon). Line breaks become spaces (one line, as the messages are)."""
    one_line = " ".join(str(text).split())
    for pattern, replacement in _BREAK:
        one_line = pattern.sub(replacement, one_line)
    escaped = _MD_SPECIAL.sub(r"\\\1", one_line)
    return _MD_LEAD.sub(
        lambda m: (
            "\\" + m.group(1) if not m.group(1)[0].isdigit() else m.group(1)[:-1] + "\\" + m.group(1)[-1]
        ),
        escaped,
    )


Kind = Literal["usd", "usd_small", "rate", "int", "pct", "ratio", "ms", "rate_tok", "gb", "text", "bool"]


def _ok(x: object) -> float | None:
    if x is None or x is pd.NA or isinstance(x, str | bool):
        return None
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def usd(x: object) -> str:
    """``$26,512`` (whole dollars from $100), ``$12.34``, ``$0.0133`` (3 significant digits below $1)."""
    v = _ok(x)
    if v is None:
        return MISSING
    sign, a = ("-" if v < 0 else ""), abs(v)
    if a >= 100:
        return f"{sign}${a:,.0f}"
    if a >= 1 or a == 0:
        return f"{sign}${a:,.2f}"
    if a < 1e-6:
        return f"{sign}$0.00"
    return f"{sign}${a:.3g}" if a >= 1e-4 else f"{sign}${a:.6f}".rstrip("0")


def _short(a: float, digits: int = 3) -> str:
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div * 0.9995:
            text = f"{a / div:.{max(digits - len(str(int(a / div))), 0)}f}"
            return (text.rstrip("0").rstrip(".") if "." in text else text) + suffix
    if a >= 1 or a == 0:
        return f"{a:,.0f}" if a >= 100 else f"{a:.{digits}g}"
    if a < 1e-6:
        return "0"
    return f"{a:.{-math.floor(math.log10(a)) + 1}f}"  # 2 significant digits, fixed notation


def usd_short(x: object) -> str:
    """``$26.5k``, ``$2.42M``, ``$950``, ``$0.43`` (3 significant digits)."""
    v = _ok(x)
    if v is None:
        return MISSING
    return ("-" if v < 0 else "") + "$" + _short(abs(v))


def usd_rate(x: object) -> str:
    """A price per 1M tokens: ``$2.29``, ``$13.83`` from $1 (cents); below, 3 significant digits with at least
    2 decimals: ``$0.18``, ``$0.394``, ``$0.0883``."""
    v = _ok(x)
    if v is None:
        return MISSING
    if abs(v) >= 1 or v == 0:
        return f"${v:,.2f}"
    text = f"{v:.3g}"
    if "e" in text:  # below 0.0001: fixed digits, never scientific notation
        text = f"{v:.8f}".rstrip("0")
    whole, _, dec = text.partition(".")
    return f"${whole}.{dec.ljust(2, '0')}"


def count(x: object) -> str:
    """A whole count with separators: ``1,048,576``; a fraction below 10 keeps 2 decimals (``0.25``)."""
    v = _ok(x)
    if v is None:
        return MISSING
    return f"{v:,.2f}".rstrip("0").rstrip(".") if abs(v) < 10 and v != round(v) else f"{v:,.0f}"


def count_short(x: object) -> str:
    """``1.9M``, ``40k``, ``500``, ``0.01`` (3 significant digits)."""
    v = _ok(x)
    if v is None:
        return MISSING
    return ("-" if v < 0 else "") + _short(abs(v))


def percent(x: object) -> str:
    """A fraction as a percentage: ``61%`` (from 10 %), ``4.2%``, ``0.35%``."""
    v = _ok(x)
    if v is None:
        return MISSING
    p = v * 100
    if abs(p) >= 10 or p == 0:
        return f"{p:,.0f}%"
    return ("-" if p < 0 else "") + _short(abs(p), 2) + "%"  # 4.2%, 0.35%: fixed notation


def _ratio(x: object) -> str:
    """How much dearer than the cheapest: ``cheapest``, ``+46%``, ``2.4×``."""
    v = _ok(x)
    if v is None:
        return MISSING
    if v <= 1e-12:
        return "cheapest"
    return f"+{percent(v)}" if v < 1 else f"{v + 1:,.1f}×"


def _fixed(digits: int) -> Callable[[object], str]:
    def f(x: object) -> str:
        v = _ok(x)
        return MISSING if v is None else f"{v:,.{digits}f}"

    return f


def _text(x: object) -> str:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    return str(x)


_FMT: dict[Kind, Callable[[object], str]] = {
    "usd": usd,
    "usd_small": usd,
    "rate": usd_rate,
    "int": count,
    "pct": percent,
    "ratio": _ratio,
    "ms": _fixed(1),
    "rate_tok": _fixed(0),
    "gb": _fixed(1),
    "text": _text,
    "bool": _text,
}
#: Decimals kept in the number exports (CSV/XLSX), per kind.
_ROUND: dict[Kind, int] = {"usd": 2, "usd_small": 6, "rate": 4, "int": 2, "pct": 4, "ratio": 4, "ms": 2,
                           "rate_tok": 1, "gb": 2}  # fmt: skip


@dataclass(frozen=True)
class ColumnSpec:
    """How a table column reads for people: its header (with its unit) and its kind of number."""

    header: str
    kind: Kind
    short: str = ""
    """A shorter header for the page's compact table (defaults to ``header``)."""


#: Every column people see, in the order of the details view. Computed here: ``vs_cheapest`` (fraction dearer
#: than the cheapest ranked option), ``yearly_cost_usd`` (12 × monthly), ``type`` (API | Self-host).
COLUMN_SPECS: dict[str, ColumnSpec] = {
    "rank": ColumnSpec("Rank", "int", "#"),
    "label": ColumnSpec("Option", "text"),
    "type": ColumnSpec("Type (API or self-host)", "text", "Type"),
    "monthly_cost_usd": ColumnSpec("Monthly cost (USD/month)", "usd", "Monthly (USD)"),
    "vs_cheapest": ColumnSpec("Dearer than the cheapest (%)", "ratio", "vs cheapest"),
    "usd_per_request": ColumnSpec("Cost per request (USD)", "usd_small", "$/request"),
    "yearly_cost_usd": ColumnSpec("Yearly cost (USD/year)", "usd", "Yearly (USD)"),
    "usd_per_mtok_input": ColumnSpec("Input (USD per 1M tokens)", "rate", "$/M input"),
    "usd_per_mtok_output": ColumnSpec("Output (USD per 1M tokens)", "rate", "$/M output"),
    "usd_per_mtok_blended": ColumnSpec("Blended input + output (USD per 1M tokens)", "rate", "$/M blended"),
    "gpus": ColumnSpec("GPUs at the peak hour (count)", "int", "GPUs"),
    "utilization": ColumnSpec("GPU utilisation (%)", "pct", "Utilisation"),
    "flags": ColumnSpec("Flags", "text"),
    "monthly_cost_usd_optimistic": ColumnSpec(
        "Monthly cost, optimistic: high efficiency (USD/month)", "usd", "Optimistic (USD/month)"
    ),
    "monthly_cost_usd_pessimistic": ColumnSpec(
        "Monthly cost, pessimistic: low efficiency (USD/month)", "usd", "Pessimistic (USD/month)"
    ),
    "monthly_cost_usd_floor": ColumnSpec(
        "Monthly cost floor: 100% efficiency (USD/month)", "usd", "Floor (USD/month)"
    ),
    "efficiency": ColumnSpec("Efficiency level of the monthly cost", "text", "Efficiency"),
    "reason": ColumnSpec("Why not ranked", "text"),
    "band_reason": ColumnSpec("Efficiency band note", "text"),
    "provider": ColumnSpec("Provider", "text"),
    "model": ColumnSpec("Model id", "text"),
    "price_basis_used": ColumnSpec("Price basis used", "text"),
    "monthly_input_cache_hit_usd": ColumnSpec("Input at cache-hit price (USD/month)", "usd", "Cache hits"),
    "monthly_input_cache_miss_usd": ColumnSpec(
        "Input at cache-miss price (USD/month)", "usd", "Cache misses"
    ),
    "monthly_output_usd": ColumnSpec("Output (USD/month)", "usd", "Output"),
    "monthly_peak_usd": ColumnSpec("Billed at the standard price (USD/month)", "usd", "Standard price"),
    "monthly_off_peak_usd": ColumnSpec("Billed at the off-peak price (USD/month)", "usd", "Off-peak price"),
    "peak_traffic_fraction": ColumnSpec("Traffic at the standard price (%)", "pct", "At standard price"),
    "context_tier_above_prompt_tokens": ColumnSpec("Context tier applied above (prompt tokens)", "int"),
    "gpu": ColumnSpec("GPU type", "text"),
    "precision": ColumnSpec("Precision plan", "text"),
    "mode": ColumnSpec("Provisioning (always on or autoscaled)", "text", "Provisioning"),
    "deployment_gpus": ColumnSpec("GPUs per replica, or per decode pool of a split (count)", "int"),
    "prefill_pool_gpus": ColumnSpec("GPUs per prefill pool, a stated split (count)", "int"),
    "gpus_mean": ColumnSpec("GPUs on average over the week (count)", "int"),
    "attention_layout": ColumnSpec("Attention layout (dp: data-parallel, tpN: tensor-parallel)", "text"),
    "usd_per_gpu_hour": ColumnSpec("GPU price (USD per GPU-hour)", "rate"),
    "rental_provider": ColumnSpec("GPU price from (provider)", "text", "GPU price from"),
    "rental_basis": ColumnSpec("GPU price basis (on demand, reserved, spot)", "text", "GPU price basis"),
    "ttft_ms": ColumnSpec("Time to first token, TTFT (ms)", "ms"),
    "tpot_ms": ColumnSpec("Time per output token, TPOT (ms)", "ms"),
    "max_batch": ColumnSpec("Concurrent sequences per replica (count)", "int"),
    "prefill_tokens_per_s_per_gpu": ColumnSpec("Prefill (tokens/s per GPU)", "rate_tok"),
    "decode_tokens_per_s_per_gpu": ColumnSpec("Decode (tokens/s per GPU)", "rate_tok"),
    "weights_gb": ColumnSpec("Weights per replica (GB)", "gb"),
    "measured": ColumnSpec("Measured rates used", "text"),
    "stale_rows": ColumnSpec("Catalogue rows older than the staleness limit", "text"),
    "unconfirmed_fields": ColumnSpec("Unconfirmed values (row.field)", "text"),
    "price_ids": ColumnSpec("Price or rental rows used", "text"),
    "price_sources": ColumnSpec("Sources", "text"),
    "price_as_of": ColumnSpec("Rows checked on (date)", "text"),
    "price_confidence": ColumnSpec("Confidence of the rows", "text"),
    "notes": ColumnSpec("Notes", "text"),
    "option": ColumnSpec("Option id", "text"),
    "as_of": ColumnSpec("Prices as of (date)", "text"),
}
#: The compact view (the page's default table, the XLSX Summary sheet and the Markdown report).
COMPACT = [
    "label", "type", "monthly_cost_usd", "vs_cheapest", "usd_per_request", "usd_per_mtok_input",
    "usd_per_mtok_output", "gpus", "utilization", "flags",
]  # fmt: skip
#: The details view: every column people may want (the CSV and the XLSX Details sheet).
DETAILS = [c for c in COLUMN_SPECS if c not in ("flags",)] + ["flags"]


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table in rank order (unranked options last, in table order), with the computed columns
    ``type``, ``vs_cheapest``, ``yearly_cost_usd`` and ``weights_gb``."""
    t = table.copy()
    t["_order"] = pd.to_numeric(t["rank"], errors="coerce").astype(float).fillna(math.inf)
    t = t.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    cost = pd.to_numeric(t["monthly_cost_usd"], errors="coerce").astype(float)
    best = cost[t["rank"].notna()].min() if t["rank"].notna().any() else math.nan
    t["type"] = t["kind"].map({"api": "API", "self_host": "Self-host"})
    if (
        "group" in t.columns
    ):  # "Open weights, hosted" for a third-party host of the weights (tables.option_group)
        t["type"] = t["group"].where(t["group"].notna(), t["type"])
    # against a free cheapest option no finite share says how much dearer: empty then, not infinite
    dearer = (cost / best - 1.0) if best > 0 else (cost - best).where(cost == best, math.nan)
    # ... nor against one so cheap that the ratio means nothing (beyond 10^12 times: 1e-300 USD against dollars)
    t["vs_cheapest"] = dearer.where(
        t["rank"].notna() & dearer.map(lambda x: math.isfinite(x) and abs(x) < 1e12)
    )
    t["yearly_cost_usd"] = cost * 12
    if "weights_bytes" in t.columns:
        t["weights_gb"] = pd.to_numeric(t["weights_bytes"], errors="coerce") / 1e9
    return t


def people_frame(table: pd.DataFrame, columns: list[str], *, percent_as: str = "fraction") -> pd.DataFrame:
    """Ranked rows, the ``columns`` that exist, headers with units, numbers rounded to what they mean
    (cents, 4 decimals for USD per 1M tokens); percentages as fractions (``percent_as="fraction"``, for a
    spreadsheet's % format) or as percent numbers (``"percent"``, for CSV). Empty where a value does not apply."""
    t = ranked(table)
    out: dict[str, pd.Series] = {}
    for c in columns:
        if c not in t.columns:
            continue
        spec = COLUMN_SPECS[c]
        col = t[c]
        if spec.kind in ("text", "bool"):
            out[spec.header] = col.map(_text)
            continue
        v = pd.to_numeric(col, errors="coerce").astype(float)
        digits = _ROUND[spec.kind]
        if spec.kind in ("pct", "ratio") and percent_as == "percent":
            v, digits = v * 100, 2
        v = v.round(digits)
        whole = v.dropna()
        out[spec.header] = v.astype("Int64") if spec.kind == "int" and (whole == whole.round()).all() else v
    return pd.DataFrame(out)


def display_frame(table: pd.DataFrame, columns: list[str], *, short: bool = True) -> pd.DataFrame:
    """Ranked rows as text, formatted as the page shows them (headers short or long)."""
    t = ranked(table)
    out = {}
    for c in columns:
        if c not in t.columns:
            continue
        spec = COLUMN_SPECS[c]
        out[(spec.short or spec.header) if short else spec.header] = t[c].map(_FMT[spec.kind])
    return pd.DataFrame(out)


def column_kinds(columns: list[str]) -> dict[str, str]:
    """Header → kind of the ``columns`` (what a spreadsheet writer needs to pick a number format)."""
    return {COLUMN_SPECS[c].header: COLUMN_SPECS[c].kind for c in columns if c in COLUMN_SPECS}


def describe_workload(w: Workload, preset_name: str | None = None, *, classes: int = 0) -> str:
    """One sentence stating an edited workload, as the preset descriptions do (numbers with separators).

    ``classes``: the number of request classes, if any: their lengths, cached shares and profiles are then their
    own, so only the total volume is stated (``w``'s prompt, output, cached share and time zone are not theirs)."""
    origin = f"Custom workload (edited from the {preset_name} preset)" if preset_name else "Custom workload"
    if classes:
        return (
            f"{origin}: {count(w.requests_per_day)} requests a day in {classes} request "
            f"class{'es' if classes > 1 else ''}, each with its own "
            "prompt and output lengths, cached share and hourly profile (the Request classes table)."
        )
    thinking = f" with {w.reasoning_multiplier:g}× thinking tokens" if w.reasoning_multiplier != 1 else ""
    weekend = (
        "no weekend traffic"
        if w.weekend_day_weight == 0
        else f"weekend days at {w.weekend_day_weight:g}× a weekday"
    )
    return (
        f"{origin}: {count(w.requests_per_day)} requests a day, {count(w.prompt_tokens)}-token prompts "
        f"({percent(w.cache_hit_fraction)} cached), {count(w.output_tokens)}-token answers{thinking}, "
        f"traffic profile in {w.timezone}, {weekend}."
    )
