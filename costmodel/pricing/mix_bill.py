"""A request mix's API bill: each class billed as a workload of its own (its context tier, its peak-hour share),
and the classes' bills summed into one :class:`~costmodel.pricing.bill.ApiBill`."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from costmodel.catalog.schema import Catalogue
from costmodel.pricing.bill import ApiBill, api_bill
from costmodel.workload.mix import RequestMix
from costmodel.workload.scenario import ApiOption

__all__ = ["MixApiBill", "combined_bill", "mix_api_bill"]


@dataclass(frozen=True)
class MixApiBill:
    """An API's monthly bill of a mix: one :class:`ApiBill` per class and the totals (USD per month)."""

    option: ApiOption
    per_class: tuple[tuple[str, ApiBill], ...]

    @property
    def monthly_cost_usd(self) -> float:
        """Sum of the classes' monthly bills, USD per month."""
        return sum(b.monthly_cost_usd for _, b in self.per_class)

    @property
    def monthly_tokens(self) -> float:
        """Prompt and billed output tokens per month, all classes."""
        return sum(
            b.monthly_input_cache_hit_tokens + b.monthly_input_cache_miss_tokens + b.monthly_output_tokens
            for _, b in self.per_class
        )

    @property
    def reasons(self) -> tuple[tuple[str, str], ...]:
        """``(class, reason)`` for the classes the API cannot serve (context window, maximum output)."""
        return tuple((name, b.reason) for name, b in self.per_class if b.reason)


def mix_api_bill(option: ApiOption, mix: RequestMix, catalogue: Catalogue, as_of: dt.date) -> MixApiBill:
    """The monthly bill of ``mix`` through ``option``: each class billed as its own workload.

    Raises:
        PricingError: unknown option or no price in effect (one line).
    """
    return MixApiBill(
        option=option,
        per_class=tuple((name, api_bill(option, w, catalogue, as_of)) for name, w in mix.class_workloads()),
    )


def combined_bill(per_class: tuple[tuple[str, ApiBill], ...]) -> ApiBill:
    """One :class:`ApiBill` of a mix: amounts and tokens summed over the classes (USD and tokens per month).

    Rates are token-weighted means of the classes' rates (input by prompt tokens, output by output tokens, the
    blended rate from those two as a single bill does); the peak-traffic fraction is request-weighted; the context
    tier is the highest applied to a class; notes of a class name it; ``reason`` is the first class the API cannot
    serve, named. The price (sources, dates) is the first class's: every class is billed at the same price rows.
    """
    bills = [b for _, b in per_class]
    first = bills[0]

    def total(field: str) -> float:
        return float(sum(getattr(b, field) for b in bills))

    prompt = [b.monthly_input_cache_hit_tokens + b.monthly_input_cache_miss_tokens for b in bills]
    out = [b.monthly_output_tokens for b in bills]
    p_tot, o_tot = sum(prompt), sum(out)
    rate_in = (
        sum(p * b.usd_per_mtok_input for p, b in zip(prompt, bills, strict=True)) / p_tot
        if p_tot
        else first.usd_per_mtok_input
    )
    rate_out = (
        sum(o * b.usd_per_mtok_output for o, b in zip(out, bills, strict=True)) / o_tot
        if o_tot
        else first.usd_per_mtok_output
    )
    blended = (p_tot * rate_in + o_tot * rate_out) / (p_tot + o_tot) if p_tot + o_tot else math.nan
    req = total("requests_per_month")
    peak = sum(b.requests_per_month * b.peak_traffic_fraction for b in bills) / req if req else 1.0
    tiers = [
        b.context_tier_above_prompt_tokens for b in bills if b.context_tier_above_prompt_tokens is not None
    ]
    notes = list(first.price.notes)
    for name, b in per_class:
        notes += [f"class {name!r}: {n}" for n in b.notes if n not in first.price.notes]
    reason = next((f"class {name!r}: {b.reason}" for name, b in per_class if b.reason), "")
    return ApiBill(
        price=first.price,
        requests_per_month=req,
        monthly_input_cache_hit_tokens=total("monthly_input_cache_hit_tokens"),
        monthly_input_cache_miss_tokens=total("monthly_input_cache_miss_tokens"),
        monthly_output_tokens=o_tot,
        peak_traffic_fraction=peak,
        context_tier_above_prompt_tokens=max(tiers) if tiers else None,
        monthly_input_cache_hit_usd=total("monthly_input_cache_hit_usd"),
        monthly_input_cache_miss_usd=total("monthly_input_cache_miss_usd"),
        monthly_output_usd=total("monthly_output_usd"),
        monthly_peak_usd=total("monthly_peak_usd"),
        monthly_off_peak_usd=total("monthly_off_peak_usd"),
        monthly_cost_usd=total("monthly_cost_usd"),
        usd_per_mtok_input=rate_in,
        usd_per_mtok_output=rate_out,
        usd_per_mtok_blended=blended,
        notes=tuple(dict.fromkeys(notes)),
        reason=reason,
    )
