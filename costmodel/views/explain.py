"""One option explained: its row of the comparison table as a derivation a person reads top to bottom.

Self-hosting: the deployment (GPUs, replicas, layout), the latency it meets against the targets, the per-GPU rates,
the memory plan, the price row with its date, the band, and what would change the verdict (the break-even volume and
cache-hit share against each API). An API: the price row with its date, the month's bill in its parts, the
peak-hour share and context tier, and the break-even against each self-hosting option. Values come formatted, with
their units; nothing is computed here but ratios of figures in the row.
"""

from __future__ import annotations

import math

import pandas as pd

from costmodel.views.present import MISSING, count, percent, usd, usd_rate
from costmodel.workload.scenario import Scenario

__all__ = ["Section", "explain_option"]

#: A titled list of (item, value with its unit).
Section = tuple[str, list[tuple[str, str]]]


def _num(row: pd.Series, col: str) -> float:
    """The row's number in ``col`` (nan when missing or not a number)."""
    try:
        v = float(row.get(col, math.nan))
    except (TypeError, ValueError):
        return math.nan
    return v


def _ms(x: float) -> str:
    return f"{x:,.0f} ms" if math.isfinite(x) else MISSING


def _text(x: object) -> str:
    return MISSING if x is None or (isinstance(x, float) and math.isnan(x)) or x == "" else str(x)


def _split(row: pd.Series) -> str:
    """The prefill/decode split of a self-hosting row, in words."""
    if not bool(row.get("disaggregated")):
        return "no"
    pool = _num(row, "prefill_pool_gpus")
    if math.isfinite(pool):
        return f"yes: pools of {pool:,.0f} prefill + {_num(row, 'deployment_gpus'):,.0f} decode GPUs, as many of each as the work needs"
    return "yes: pools of the replica size, as many of each as the work needs"


def _price(row: pd.Series) -> list[tuple[str, str]]:
    return [
        ("Catalogue row", _text(row.get("price_ids"))),
        ("Source", _text(row.get("price_sources"))),
        ("As of", _text(row.get("price_as_of"))),
        ("Confidence", _text(row.get("price_confidence"))),
        ("Stale rows", _text(row.get("stale_rows"))),
    ]


def _break_evens(row: pd.Series, break_even: pd.DataFrame, scenario: Scenario) -> list[tuple[str, str]]:
    if break_even.empty:
        return [("Break-even", "no pair to compare with")]
    side, other = ("self_host", "api_label") if row["kind"] == "self_host" else ("api", "self_host_label")
    pairs = break_even[break_even[side] == row["option"]]
    out = []
    for _, b in pairs.iterrows():
        rpd = _num(b, "requests_per_day")
        volume = (
            f"at {count(rpd)} requests/day (you: {count(scenario.workload.requests_per_day)})"
            if math.isfinite(rpd)
            else _text(b.get("volume_note")).removeprefix("none: ")
        )
        ch = _num(b, "cache_hit_fraction")
        cache = f"; at a cached share of {percent(ch)}" if math.isfinite(ch) else ""
        out.append((f"Against {b[other]}", volume + cache))
    return out or [("Break-even", "no pair to compare with")]


def explain_option(row: pd.Series, scenario: Scenario, break_even: pd.DataFrame) -> list[Section]:
    """The derivation of one option (a row of ``Evaluation.table``), section by section."""
    a = scenario.assumptions
    cost = [
        ("Monthly cost", f"{usd(_num(row, 'monthly_cost_usd'))}/month"),
        ("Per request", usd(_num(row, "usd_per_request"))),
        (
            "Per 1M input / output tokens",
            f"{usd_rate(_num(row, 'usd_per_mtok_input'))} / {usd_rate(_num(row, 'usd_per_mtok_output'))}",
        ),
    ]
    if not bool(row.get("feasible", True)):
        return [("Cannot serve this workload", [("Why", _text(row.get("reason")))])]
    if row["kind"] != "self_host":
        bill = [
            ("Cached input", f"{usd(_num(row, 'monthly_input_cache_hit_usd'))}/month"),
            ("Uncached input", f"{usd(_num(row, 'monthly_input_cache_miss_usd'))}/month"),
            ("Output", f"{usd(_num(row, 'monthly_output_usd'))}/month"),
            ("Share of traffic in peak hours", percent(_num(row, "peak_traffic_fraction"))),
            ("Context tier applied", _text(row.get("context_tier_above_prompt_tokens"))),
            ("Price basis used", _text(row.get("price_basis_used"))),
        ]
        return [
            ("What it costs", cost + bill),
            ("The price row", _price(row)),
            ("What would change the verdict", _break_evens(row, break_even, scenario)),
        ]
    gpus, per_replica, prefill_pool = (
        _num(row, "gpus"),
        _num(row, "deployment_gpus"),
        _num(row, "prefill_pool_gpus"),
    )
    split = math.isfinite(prefill_pool)  # pools of two sizes: no one replica count
    replicas = gpus / per_replica if per_replica > 0 and not split else math.nan
    per_unit = (
        ("GPUs per pool", f"{count(prefill_pool)} prefill, {count(per_replica)} decode")
        if split
        else ("GPUs per replica", count(per_replica))
    )
    tpot, ttft = _num(row, "tpot_ms"), _num(row, "ttft_ms")
    ttft_target = f" (target {_ms(a.ttft_ms_target)})" if a.ttft_ms_target is not None else " (no target)"
    return [
        ("What it costs", [*cost, ("GPU utilisation", percent(_num(row, "utilization")))]),
        (
            "The deployment",
            [
                ("GPU", _text(row.get("gpu"))),
                ("GPUs at the busiest hour", count(gpus)),
                per_unit,
                ("Replicas at the busiest hour", count(replicas)),
                ("Attention layout", _text(row.get("attention_layout"))),
                ("Precision plan", _text(row.get("precision"))),
                ("Provisioning", _text(row.get("mode"))),
                ("Prefill/decode split", _split(row)),
            ],
        ),
        (
            "The latency it meets",
            [
                ("Time per output token (TPOT)", f"{_ms(tpot)} (target {_ms(a.tpot_ms_target)})"),
                ("Time to first token (TTFT)", _ms(ttft) + ttft_target),
                ("Sequences per replica (batch)", count(_num(row, "max_batch"))),
                ("Output speed per user", f"{1000.0 / tpot:,.1f} tokens/s" if tpot > 0 else MISSING),
            ],
        ),
        (
            "Rates and memory",
            [
                ("Prefill", f"{count(_num(row, 'prefill_tokens_per_s_per_gpu'))} tokens/s per GPU"),
                ("Decode", f"{count(_num(row, 'decode_tokens_per_s_per_gpu'))} tokens/s per GPU"),
                ("Weights", f"{_num(row, 'weights_bytes') / 1e9:,.1f} GB per replica"),
                ("Efficiency level", _text(row.get("efficiency"))),
            ],
        ),
        ("The price row", [("USD per GPU-hour", usd(_num(row, "usd_per_gpu_hour"))), *_price(row)]),
        (
            "The band",
            [
                ("High efficiency (optimistic)", f"{usd(_num(row, 'monthly_cost_usd_optimistic'))}/month"),
                ("Low efficiency (pessimistic)", f"{usd(_num(row, 'monthly_cost_usd_pessimistic'))}/month"),
                ("At 100% efficiency (floor)", f"{usd(_num(row, 'monthly_cost_usd_floor'))}/month"),
                ("Why this band", _text(row.get("band_reason"))),
            ],
        ),
        ("What would change the verdict", _break_evens(row, break_even, scenario)),
    ]
