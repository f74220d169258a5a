"""The price of an API option at a date: the schedule row in effect (list or promotion) for the option's provider
and model, the weights serving it then, and one-line errors when there is none (:class:`PricingError`,
:class:`NoPriceYetError` before the first row). Bills from the resolved price are in :mod:`costmodel.pricing.bill`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from costmodel.catalog.lifecycle import ServingPeriod, weights_at
from costmodel.catalog.schema import Catalogue, ContextTier, PeakWindow, PriceSchedule
from costmodel.catalog.units import FloatArray
from costmodel.pricing.holiday_calendar import CALENDARS, estimated_years, non_holiday_share_utc
from costmodel.workload.scenario import ApiOption


class PricingError(ValueError):
    """No price can be found for an option at a date; the message is one line."""


class NoPriceYetError(PricingError):
    """The date is before the first price on record for the option: the comparison leaves the option out and
    says so (``no price on record before …``) instead of failing."""


@dataclass(frozen=True)
class ResolvedPrice:
    """The prices one API option pays at one moment, with the catalogue rows they came from.

    Prices are USD per 1M tokens, before the off-peak multiplier and context tiers.
    """

    provider: str
    model: str
    price_basis: str
    """The basis asked for: list | promotion | custom."""
    price_basis_used: str
    """The basis applied: a promotion not in effect falls back to list."""
    usd_per_mtok_input_cache_hit: float
    usd_per_mtok_input_cache_miss: float
    usd_per_mtok_output: float
    peak_windows: tuple[PeakWindow, ...] = ()
    off_peak_multiplier: float = 1.0
    context_tiers: tuple[ContextTier, ...] = ()
    schedules: tuple[PriceSchedule, ...] = ()
    """Catalogue rows whose prices are used (empty for custom prices)."""
    notes: tuple[str, ...] = ()
    weights: ServingPeriod | None = None
    """The open weights answering the API name at the priced moment (None: closed or unknown)."""
    peak_excludes_holidays: str | None = None
    """The holiday calendar whose days are off-peak in full (None: none)."""
    holiday_share: FloatArray | None = field(default=None, compare=False, repr=False)
    """(7, 24) share of each UTC weekday-hour's dates (365 days from the price date) that are not holidays."""

    @property
    def weights_model(self) -> str | None:
        """Id of the open-weights model serving the API at the priced moment (None: closed weights or unknown)."""
        return self.weights.weights_model if self.weights is not None else None

    @property
    def price_ids(self) -> str:
        """Ids of the rows used, ``; ``-joined (``custom`` for user prices)."""
        return "; ".join(s.id for s in self.schedules) or "custom"

    @property
    def price_sources(self) -> str:
        """Sources of the rows used (``user input`` for custom prices)."""
        return "; ".join(s.source for s in self.schedules) or "user input"

    @property
    def price_as_of(self) -> str:
        """``as_of`` dates of the rows used (ISO), ``; ``-joined."""
        return "; ".join(s.as_of.isoformat() for s in self.schedules)

    @property
    def price_confidence(self) -> str:
        """Confidence of the rows used (``user`` for custom prices)."""
        return "; ".join(s.confidence for s in self.schedules) or "user"

    @property
    def unconfirmed_fields(self) -> str:
        """Unverified fields of the rows used, as ``row_id.field``."""
        return "; ".join(f"{s.id}.{f}" for s in self.schedules for f in s.unconfirmed_fields)


def _as_utc(when: dt.date | dt.datetime) -> dt.datetime:
    """A date means 00:00 UTC that day; a naive datetime is taken as UTC."""
    if isinstance(when, dt.datetime):
        return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
    return dt.datetime(when.year, when.month, when.day, tzinfo=dt.UTC)


def _fmt(t: dt.datetime) -> str:
    t = t.astimezone(dt.UTC)
    return f"{t:%Y-%m-%d}" if (t.hour, t.minute) == (0, 0) else f"{t:%Y-%m-%d %H:%M} UTC"


def _describe(rows: list[PriceSchedule]) -> str:
    return ", ".join(
        f"{r.id} ({r.kind}) from {_fmt(r.effective_from)}"
        + (f" to {_fmt(r.effective_to)}" if r.effective_to else " on")
        for r in sorted(rows, key=lambda r: r.effective_from)
    )


def resolve_price(option: ApiOption, catalogue: Catalogue, as_of: dt.date | dt.datetime) -> ResolvedPrice:
    """The prices ``option`` pays at ``as_of`` (a date = 00:00 UTC).

    ``list`` takes the list row in effect; ``promotion`` the promotion row in effect, else the list
    row (with a note saying so); ``custom`` the option's own flat prices.

    Raises:
        PricingError: unknown provider/model, or no price in effect (the message names the rows
            that exist and their dates).
    """
    if option.price_basis == "custom":
        known_models = {m.id for m in catalogue.models}
        if option.model not in known_models:
            raise PricingError(
                f"unknown model {option.model!r} for custom prices; known: {', '.join(sorted(known_models))}"
            )
        miss = option.usd_per_mtok_input_cache_miss
        out = option.usd_per_mtok_output
        assert miss is not None and out is not None  # ApiOption validates this
        hit = option.usd_per_mtok_input_cache_hit
        return ResolvedPrice(
            provider=option.provider,
            model=option.model,
            price_basis="custom",
            price_basis_used="custom",
            usd_per_mtok_input_cache_hit=miss if hit is None else hit,
            usd_per_mtok_input_cache_miss=miss,
            usd_per_mtok_output=out,
            notes=("custom prices (flat: no peak hours, no context tiers)",),
            weights=weights_at(
                (), _as_utc(as_of), option.model if option.model in _open_ids(catalogue) else None
            ),
        )
    rows = [p for p in catalogue.prices if (p.provider, p.model) == (option.provider, option.model)]
    if not rows:
        known = sorted({f"{p.provider}/{p.model}" for p in catalogue.prices})
        raise PricingError(f"unknown API option {option.provider}/{option.model}; known: {', '.join(known)}")
    when = _as_utc(as_of)
    in_effect = sorted((p for p in rows if p.in_effect(when)), key=lambda p: p.effective_from)
    by_kind = {p.kind: p for p in in_effect}  # the latest-starting row of each kind wins
    notes: list[str] = []
    row = by_kind.get(option.price_basis)
    if row is None and option.price_basis == "promotion":
        row = by_kind.get("list")
        if row is not None:
            notes.append(f"no promotion in effect on {_fmt(when)}: list price used")
    first = min(p.effective_from for p in rows)
    if row is None and when < first:
        raise NoPriceYetError(
            f"no price on record for {option.provider}/{option.model} before {_fmt(first)} "
            f"(asked for {_fmt(when)}); prices exist: {_describe(rows)}"
        )
    if row is None:
        raise PricingError(
            f"no {option.price_basis} price for {option.provider}/{option.model} in effect on {_fmt(when)}; "
            f"prices exist: {_describe(rows)}"
        )
    share = None
    if row.peak_excludes_holidays is not None:
        start = when.date()
        end = start + dt.timedelta(days=364)
        share = non_holiday_share_utc(row.peak_excludes_holidays, start, 365)
        est = estimated_years(row.peak_excludes_holidays, start, end)
        notes.append(
            f"peak hours exclude {CALENDARS[row.peak_excludes_holidays].name} "
            f"({(1.0 - share[peak_mask_utc(row.peak_windows)].mean()):.1%} of peak hours in the 365 days from "
            f"{start.isoformat()})"
            + (f"; {', '.join(map(str, est))} dates are the holidays package's estimates" if est else "")
        )
    return ResolvedPrice(
        provider=option.provider,
        model=option.model,
        price_basis=option.price_basis,
        price_basis_used=row.kind,
        usd_per_mtok_input_cache_hit=row.usd_per_mtok_input_cache_hit,
        usd_per_mtok_input_cache_miss=row.usd_per_mtok_input_cache_miss,
        usd_per_mtok_output=row.usd_per_mtok_output,
        peak_windows=row.peak_windows,
        off_peak_multiplier=row.off_peak_multiplier,
        context_tiers=row.context_tiers,
        schedules=(row,),
        notes=tuple(notes),
        weights=weights_at(row.served_by, when, row.model if row.model in _open_ids(catalogue) else None),
        peak_excludes_holidays=row.peak_excludes_holidays,
        holiday_share=share,
    )


def _open_ids(catalogue: Catalogue) -> set[str]:
    return {m.id for m in catalogue.models if m.open_weights}


def peak_mask_utc(windows: tuple[PeakWindow, ...]) -> npt.NDArray[np.bool_]:
    """(7, 24) boolean mask of the UTC weekday-hours inside any peak window (row 0 = Monday)."""
    mask = np.zeros((7, 24), dtype=bool)
    for w in windows:
        for day in w.weekdays:
            mask[day, w.start_hour_utc : w.end_hour_utc] = True
    return mask
