"""What one request costs at one instant, on the catalogue's dated price rows.

Built on :mod:`costmodel.pricing.bill`: :func:`~costmodel.pricing.bill.resolve_price` picks the row in effect, the row's
peak windows (UTC hours on weekdays, Monday = 0) say whether the instant is peak or off-peak, and the context tiers
say which prices a prompt of that length pays. Prices are USD per 1M tokens; the cost is USD.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import TOKENS_PER_MTOK
from costmodel.pricing.bill import tier_prices
from costmodel.pricing.feeds import describe_peak
from costmodel.pricing.holiday_calendar import CALENDARS, estimated_years, is_holiday
from costmodel.pricing.resolve import PricingError, ResolvedPrice, peak_mask_utc, resolve_price
from costmodel.workload.scenario import ApiOption

__all__ = ["RequestPrice", "default_provider", "parse_instant", "price_request"]

Window = Literal["peak", "off_peak", "flat"]


@dataclass(frozen=True)
class RequestPrice:
    """One request priced at one instant. Rates are USD per 1M tokens as billed (off-peak discount and context
    tier applied); ``usd`` is the request's cost in USD."""

    provider: str
    model: str
    at: dt.datetime
    """The instant, UTC."""
    price_id: str
    price_basis_used: str
    window: Window
    """``peak`` / ``off_peak`` for a row with peak hours; ``flat`` for a row without (one price all day)."""
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    usd_per_mtok_input_cache_hit: float
    usd_per_mtok_input_cache_miss: float
    usd_per_mtok_output: float
    multiplier: float
    """What the row's listed prices are multiplied by at this instant (its off-peak multiplier, or 1)."""
    context_tier_above_prompt_tokens: int | None
    usd: float
    source: str
    as_of: str
    confidence: str
    notes: tuple[str, ...] = ()

    def record(self) -> dict[str, object]:
        """A flat dict for the CLI (JSON-ready)."""
        return {
            "usd": self.usd,
            "provider": self.provider,
            "model": self.model,
            "at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "price_id": self.price_id,
            "price_basis_used": self.price_basis_used,
            "window": self.window,
            "weekday": self.at.strftime("%A"),
            "input_tokens": self.input_tokens,
            "cached_tokens": self.cached_tokens,
            "output_tokens": self.output_tokens,
            "usd_per_mtok_input_cache_hit": self.usd_per_mtok_input_cache_hit,
            "usd_per_mtok_input_cache_miss": self.usd_per_mtok_input_cache_miss,
            "usd_per_mtok_output": self.usd_per_mtok_output,
            "multiplier": self.multiplier,
            "context_tier_above_prompt_tokens": self.context_tier_above_prompt_tokens,
            "source": self.source,
            "price_as_of": self.as_of,
            "confidence": self.confidence,
            "notes": "; ".join(self.notes),
        }


def parse_instant(text: str) -> dt.datetime:
    """An ISO date or date-time (``2026-09-12``, ``2026-09-12T02:00Z``, ``2026-09-12T10:00+08:00``) as UTC.

    A date means 00:00 UTC; a time without an offset is UTC.

    Raises:
        ValueError: one line naming the text.
    """
    t = text.strip()
    try:
        if len(t) <= 10:
            d = dt.date.fromisoformat(t)
            return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC)
        when = dt.datetime.fromisoformat(t[:-1] + "+00:00" if t.endswith(("Z", "z")) else t)
    except ValueError:
        raise ValueError(f"bad time {text!r}: use ISO 8601, e.g. 2026-09-12T02:00Z") from None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)


def default_provider(catalogue: Catalogue, model: str) -> str:
    """The provider to price ``model`` with when none is given: its maker when the maker has a price row, else
    the only provider with a row.

    Raises:
        PricingError: unknown model, or several providers and none is the maker (the message lists them).
    """
    providers = sorted({p.provider for p in catalogue.prices if p.model == model})
    if not providers:
        known = sorted({p.model for p in catalogue.prices})
        raise PricingError(f"no price rows for model {model!r}; priced models: {', '.join(known)}")
    maker = next((m.provider for m in catalogue.models if m.id == model), None)
    if maker in providers:
        return str(maker)
    if len(providers) == 1:
        return providers[0]
    raise PricingError(f"several providers price {model!r}: give --provider ({', '.join(providers)})")


def window_at(price: ResolvedPrice, at: dt.datetime) -> tuple[Window, float]:
    """Whether ``at`` (UTC) is peak, off-peak or flat under ``price``'s rule, and the multiplier of its listed prices.
    A day of the holiday calendar the rule excludes is off-peak in full."""
    if not price.peak_windows:
        return "flat", 1.0
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    holiday = price.peak_excludes_holidays is not None and is_holiday(price.peak_excludes_holidays, at)
    if peak_mask_utc(price.peak_windows)[at.weekday(), at.hour] and not holiday:
        return "peak", 1.0
    return "off_peak", price.off_peak_multiplier


def price_request(
    catalogue: Catalogue,
    model: str,
    at: dt.datetime,
    *,
    provider: str | None = None,
    input_tokens: int = 0,
    cached_tokens: int = 0,
    output_tokens: int = 0,
    price_basis: Literal["list", "promotion"] = "list",
) -> RequestPrice:
    """The cost in USD of one request of ``input_tokens`` prompt tokens (``cached_tokens`` of them cache hits)
    and ``output_tokens`` billed output tokens, sent at ``at`` (UTC).

    Raises:
        PricingError: unknown model/provider or no price in effect at ``at`` (one line).
        ValueError: negative token counts, or more cached tokens than input tokens.
    """
    for name, n in (("input", input_tokens), ("cached", cached_tokens), ("output", output_tokens)):
        if n < 0:
            raise ValueError(f"--{name} must be >= 0 tokens, got {n:,}")
    if cached_tokens > input_tokens:
        raise ValueError(
            f"--cached ({cached_tokens:,}) is more than --input ({input_tokens:,}): cached tokens are part of the input"
        )
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    prov = provider or default_provider(catalogue, model)
    option = ApiOption(provider=prov, model=model, price_basis=price_basis)
    price = resolve_price(option, catalogue, at)
    window, mult = window_at(price, at)
    holiday = price.peak_excludes_holidays is not None and is_holiday(price.peak_excludes_holidays, at)
    hit, miss, out = (float(x) * mult for x in tier_prices(price, float(input_tokens)))
    tiers = [t.above_prompt_tokens for t in price.context_tiers if input_tokens > t.above_prompt_tokens]
    usd = (
        cached_tokens * hit + (input_tokens - cached_tokens) * miss + output_tokens * out
    ) / TOKENS_PER_MTOK
    notes = [n for n in price.notes if not n.startswith("peak hours exclude")]  # the bill's 365-day note
    if price.peak_windows:
        notes.append("peak " + describe_peak(price.peak_windows, price.off_peak_multiplier))
    if price.peak_excludes_holidays is not None:
        cal = price.peak_excludes_holidays
        est = estimated_years(cal, at.date(), at.date())
        notes.append(
            f"off-peak all day on {CALENDARS[cal].name}"
            + (f": {at:%Y-%m-%d} is one" if holiday else "")
            + (f" ({at.year} dates are the holidays package's estimate)" if est else "")
        )
    return RequestPrice(
        provider=prov,
        model=model,
        at=at,
        price_id=price.price_ids,
        price_basis_used=price.price_basis_used,
        window=window,
        input_tokens=input_tokens,
        cached_tokens=cached_tokens,
        output_tokens=output_tokens,
        usd_per_mtok_input_cache_hit=hit,
        usd_per_mtok_input_cache_miss=miss,
        usd_per_mtok_output=out,
        multiplier=mult,
        context_tier_above_prompt_tokens=tiers[-1] if tiers else None,
        usd=usd,
        source=price.price_sources,
        as_of=price.price_as_of,
        confidence=price.price_confidence,
        notes=tuple(notes),
    )
