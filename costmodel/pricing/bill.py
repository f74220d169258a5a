"""API bills from dated price schedules.

A bill is per month (``Workload.days_per_month`` days). Input tokens split into cache hits
(``cache_hit_fraction`` of the prompt) and misses; billed output tokens include reasoning tokens.
Prices are USD per 1,000,000 tokens; money is float USD.

Peak and off-peak: a schedule's listed prices are its standard prices; traffic outside its
peak windows pays ``off_peak_multiplier`` × those. The share of traffic inside the windows comes
from the workload's hourly profile in UTC (:func:`costmodel.workload.traffic.hourly_requests_utc`).
In the bill, the *peak* part is what is billed at the standard price (all of it when a schedule
has no windows) and the *off-peak* part what is billed at the discounted price.

Holidays: a schedule with ``peak_excludes_holidays`` has no peak hours on that calendar's holidays. A monthly bill
is a typical month, so each peak weekday-hour counts at the share of its dates, in the 365 days from the bill's
date, that are not holidays (:func:`costmodel.pricing.holiday_calendar.non_holiday_share_utc`); years after the
last one checked against an official notice are the ``holidays`` package's estimates, and the notes say so.

Context tiers: when a request's prompt exceeds a tier's ``above_prompt_tokens`` the tier's prices apply to the
whole request (MiniMax M3 above 512K). Without a prompt-length histogram every request has the mean prompt; with
one (``Workload.prompt_histogram``) each bucket is billed at its own mean prompt length and tier
(:func:`workload_bill_arrays`), and with a single bucket the bill is the mean-prompt bill exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from costmodel.catalog.feasibility import context_reason, unchecked_limits
from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import TOKENS_PER_MTOK, FloatArray
from costmodel.pricing.resolve import ResolvedPrice, peak_mask_utc, resolve_price
from costmodel.workload.scenario import ApiOption, Workload
from costmodel.workload.traffic import hourly_requests_utc

__all__ = [
    "ApiBill",
    "api_bill",
    "bill_arrays",
    "bill_point",
    "peak_traffic_fraction",
    "peak_weight_utc",
    "tier_prices",
    "workload_bill_arrays",
]

ArrayLike = float | FloatArray


# ---- peak hours --------------------------------------------------------------------------------------------


def peak_weight_utc(price: ResolvedPrice) -> FloatArray:
    """(7, 24) share of each UTC weekday-hour's traffic billed at the standard price: 1 inside the peak windows
    (less its holidays' share when the schedule excludes a holiday calendar), 0 outside; all 1 without windows."""
    if not price.peak_windows:
        return np.ones((7, 24))
    weight = peak_mask_utc(price.peak_windows).astype(float)
    return weight * price.holiday_share if price.holiday_share is not None else weight


def peak_traffic_fraction(price: ResolvedPrice, hourly_utc: FloatArray) -> float:
    """Share of traffic billed at the standard (peak) price, from a (7, 24) UTC profile.

    Without peak windows every hour is billed at the standard price: 1.0.
    """
    if not price.peak_windows:
        return 1.0
    total = float(hourly_utc.sum())
    return float((hourly_utc * peak_weight_utc(price)).sum()) / total if total > 0 else 0.0


# ---- bills -------------------------------------------------------------------------------------------------


def tier_prices(price: ResolvedPrice, prompt_tokens: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cache-hit, cache-miss and output prices (USD per 1M tokens) at each prompt length."""
    p = np.asarray(prompt_tokens, dtype=float)
    hit = np.full(p.shape, price.usd_per_mtok_input_cache_hit)
    miss = np.full(p.shape, price.usd_per_mtok_input_cache_miss)
    out = np.full(p.shape, price.usd_per_mtok_output)
    for tier in price.context_tiers:  # increasing thresholds: the last one that applies wins
        above = p > tier.above_prompt_tokens
        hit = np.where(above, tier.usd_per_mtok_input_cache_hit, hit)
        miss = np.where(above, tier.usd_per_mtok_input_cache_miss, miss)
        out = np.where(above, tier.usd_per_mtok_output, out)
    return hit, miss, out


def bill_arrays(
    price: ResolvedPrice,
    *,
    requests_per_month: ArrayLike,
    prompt_tokens: ArrayLike,
    billed_output_tokens: ArrayLike,
    cache_hit_fraction: ArrayLike,
    peak_fraction: float,
) -> dict[str, FloatArray]:
    """Vectorised monthly bill; the inputs broadcast against each other.

    Args:
        price: the resolved prices.
        requests_per_month: requests per month.
        prompt_tokens: mean prompt tokens per request.
        billed_output_tokens: mean billed output tokens per request (reasoning included).
        cache_hit_fraction: fraction of prompt tokens that are cache hits, in [0, 1].
        peak_fraction: share of traffic billed at the standard price (:func:`peak_traffic_fraction`).

    Returns:
        Arrays: ``monthly_input_cache_hit_usd``, ``monthly_input_cache_miss_usd``, ``monthly_output_usd``,
        ``monthly_peak_usd``, ``monthly_off_peak_usd``, ``monthly_cost_usd``, ``usd_per_mtok_input``,
        ``usd_per_mtok_output``, ``usd_per_mtok_blended`` (USD per 1M tokens, time-of-day weighted).
    """
    req = np.asarray(requests_per_month, dtype=float)
    p = np.asarray(prompt_tokens, dtype=float)
    o = np.asarray(billed_output_tokens, dtype=float)
    c = np.asarray(cache_hit_fraction, dtype=float)
    hit, miss, out = tier_prices(price, p)
    off = (1.0 - peak_fraction) * price.off_peak_multiplier
    weight = peak_fraction + off  # mean price multiplier over the traffic
    mtok_prompt = req * p / TOKENS_PER_MTOK
    hit_usd = mtok_prompt * c * hit * weight
    miss_usd = mtok_prompt * (1.0 - c) * miss * weight
    out_usd = req * o / TOKENS_PER_MTOK * out * weight
    total = hit_usd + miss_usd + out_usd
    peak_usd = total * (peak_fraction / weight) if weight > 0 else total * 0.0
    rate_in = (c * hit + (1.0 - c) * miss) * weight
    rate_out = out * weight
    return {
        "monthly_input_cache_hit_usd": hit_usd,
        "monthly_input_cache_miss_usd": miss_usd,
        "monthly_output_usd": out_usd,
        "monthly_peak_usd": peak_usd,
        "monthly_off_peak_usd": total - peak_usd,
        "monthly_cost_usd": total,
        "usd_per_mtok_input": rate_in * np.ones_like(total),
        "usd_per_mtok_output": rate_out * np.ones_like(total),
        "usd_per_mtok_blended": (p * rate_in + o * rate_out) / (p + o) * np.ones_like(total),
    }


def workload_bill_arrays(
    price: ResolvedPrice,
    workload: Workload,
    *,
    requests_per_month: ArrayLike,
    cache_hit_fraction: ArrayLike,
    peak_fraction: float,
) -> dict[str, FloatArray]:
    """:func:`bill_arrays` of ``workload``'s requests, bucket by bucket of its prompt-length histogram.

    Each bucket's share of ``requests_per_month`` is billed at its mean prompt length (so at its context tier);
    money and tokens add up over the buckets; the per-Mtok rates are the totals' rates (input rate weighted by
    each bucket's prompt tokens). Without a histogram this is :func:`bill_arrays` at the mean prompt, and with one
    bucket (share 1, the mean prompt) the same numbers exactly.
    """
    buckets = workload.prompt_buckets
    o = workload.billed_output_tokens
    if len(buckets) == 1 and not workload.prompt_histogram:
        return bill_arrays(
            price,
            requests_per_month=requests_per_month,
            prompt_tokens=workload.prompt_tokens,
            billed_output_tokens=o,
            cache_hit_fraction=cache_hit_fraction,
            peak_fraction=peak_fraction,
        )
    req = np.asarray(requests_per_month, dtype=float)
    parts = [
        (share * p, bill_arrays(
            price, requests_per_month=req * share, prompt_tokens=p, billed_output_tokens=o,
            cache_hit_fraction=cache_hit_fraction, peak_fraction=peak_fraction,
        ))
        for share, p in buckets
    ]  # fmt: skip
    summed = ("monthly_input_cache_hit_usd", "monthly_input_cache_miss_usd", "monthly_output_usd",
              "monthly_peak_usd", "monthly_off_peak_usd", "monthly_cost_usd")  # fmt: skip
    out: dict[str, FloatArray] = {k: sum((b[k] for _, b in parts), np.zeros(())) for k in summed}
    prompt = sum(w for w, _ in parts)  # mean prompt tokens per request (share-weighted)
    rate_in = (
        sum((w / prompt * b["usd_per_mtok_input"] for w, b in parts), np.zeros(()))
        if prompt > 0
        else parts[0][1]["usd_per_mtok_input"]
    )
    rate_out = sum((share * b["usd_per_mtok_output"] for (share, _), (_, b) in zip(buckets, parts, strict=True)),
                   np.zeros(()))  # fmt: skip
    ones = np.ones_like(out["monthly_cost_usd"])
    out["usd_per_mtok_input"] = rate_in * ones
    out["usd_per_mtok_output"] = rate_out * ones
    out["usd_per_mtok_blended"] = (prompt * rate_in + o * rate_out) / (prompt + o) * ones
    return out


def bill_point(
    price: ResolvedPrice,
    requests_per_month: float,
    prompt_tokens: float,
    billed_output_tokens: float,
    cache_hit_fraction: float,
    peak_fraction: float,
) -> float:
    """Monthly cost in USD of one point, in plain Python (the reference for :func:`bill_arrays`)."""
    hit = price.usd_per_mtok_input_cache_hit
    miss = price.usd_per_mtok_input_cache_miss
    out = price.usd_per_mtok_output
    for tier in price.context_tiers:
        if prompt_tokens > tier.above_prompt_tokens:
            hit = tier.usd_per_mtok_input_cache_hit
            miss = tier.usd_per_mtok_input_cache_miss
            out = tier.usd_per_mtok_output
    weight = peak_fraction + (1.0 - peak_fraction) * price.off_peak_multiplier
    hit_tokens = requests_per_month * prompt_tokens * cache_hit_fraction
    miss_tokens = requests_per_month * prompt_tokens * (1.0 - cache_hit_fraction)
    out_tokens = requests_per_month * billed_output_tokens
    return (hit_tokens * hit + miss_tokens * miss + out_tokens * out) / TOKENS_PER_MTOK * weight


@dataclass(frozen=True)
class ApiBill:
    """An itemised monthly API bill (USD per month; rates in USD per 1M tokens)."""

    price: ResolvedPrice
    requests_per_month: float
    monthly_input_cache_hit_tokens: float
    monthly_input_cache_miss_tokens: float
    monthly_output_tokens: float
    peak_traffic_fraction: float
    """Share of traffic billed at the standard price (1.0 for a schedule without peak hours)."""
    context_tier_above_prompt_tokens: int | None
    """Threshold of the context tier applied, if any."""
    monthly_input_cache_hit_usd: float
    monthly_input_cache_miss_usd: float
    monthly_output_usd: float
    monthly_peak_usd: float
    monthly_off_peak_usd: float
    monthly_cost_usd: float
    usd_per_mtok_input: float
    usd_per_mtok_output: float
    usd_per_mtok_blended: float
    notes: tuple[str, ...]
    reason: str = ""
    """Why the API cannot serve this workload ("" when it can): the prompt or prompt + output is longer than the
    model's context window, or the output longer than its maximum (:mod:`costmodel.catalog.feasibility`). The amounts
    above are still the price arithmetic; the comparison table leaves them empty and does not rank the option."""


def api_bill(
    option: ApiOption, workload: Workload, catalogue: Catalogue, as_of: dt.date | dt.datetime
) -> ApiBill:
    """The monthly bill of ``workload`` through ``option`` at the prices in effect at ``as_of``.

    Raises:
        PricingError: unknown option or no price in effect (one line).
    """
    price = resolve_price(option, catalogue, as_of)
    peak = peak_traffic_fraction(price, hourly_requests_utc(workload))
    req = workload.requests_per_month
    out_tokens = workload.billed_output_tokens
    arrays = workload_bill_arrays(
        price,
        workload,
        requests_per_month=req,
        cache_hit_fraction=workload.cache_hit_fraction,
        peak_fraction=peak,
    )
    values = {k: float(v) for k, v in arrays.items()}
    buckets = workload.prompt_buckets
    tiers = [
        t.above_prompt_tokens
        for t in price.context_tiers
        if workload.longest_prompt_tokens > t.above_prompt_tokens
    ]
    notes = list(price.notes)
    # resolve_price succeeded, so the model is in the catalogue (price rows are cross-checked against models)
    model = catalogue.model(option.model)
    # the longest requests must fit the window: the histogram's longest bucket, or the mean prompt
    longest = (
        math.ceil(workload.longest_prompt_tokens) if workload.prompt_histogram else workload.prompt_tokens
    )
    host_window = next((s.context_window_tokens for s in price.schedules if s.context_window_tokens), None)
    reason = context_reason(model, longest, out_tokens, host_window)
    if host_window is not None:
        notes.append(f"the host's own context limit: {host_window:,} tokens")
    if unchecked_limits(model) and host_window is None:
        notes.append(unchecked_limits(model))
    if tiers and len(buckets) > 1:
        share = sum(s for s, p in buckets if p > tiers[-1])
        notes.append(
            f"context tier above {tiers[-1]:,} prompt tokens applied to {share:.1%} of requests "
            "(prompt-length histogram, bucket by bucket)"
        )
    elif tiers:
        notes.append(f"context tier above {tiers[-1]:,} prompt tokens applied")
    mean_prompt = sum(s * p for s, p in buckets) if workload.prompt_histogram else workload.prompt_tokens
    return ApiBill(
        price=price,
        requests_per_month=req,
        monthly_input_cache_hit_tokens=req * mean_prompt * workload.cache_hit_fraction,
        monthly_input_cache_miss_tokens=req * mean_prompt * (1.0 - workload.cache_hit_fraction),
        monthly_output_tokens=req * out_tokens,
        peak_traffic_fraction=peak,
        context_tier_above_prompt_tokens=tiers[-1] if tiers else None,
        notes=tuple(notes),
        reason=reason,
        **values,
    )
