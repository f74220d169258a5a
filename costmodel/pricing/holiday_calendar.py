"""Public-holiday calendars that suspend an API's peak hours (DeepSeek since ~2026-09-19: "Monday through Friday,
excluding Chinese public holidays"; ``../shared/reference/facts-2026-12.md`` §3).

Dates come from the maintained ``holidays`` package. Its China calendar for 2026 matches the State Council notice
of 2025-11-04 exactly on the 19 weekday holidays (facts §3.4); years after the last verified one are the package's
rule-based output, which misses the make-up arrangements until the notice is published: they are *estimates* and
are labelled so. Make-up workdays (调休上班) are weekend days that stay off-peak under the rule; the package lists no
workdays, so nothing needs removing.

A holiday is a calendar day in the calendar's own time zone (China: UTC+8, no DST). A UTC weekday-hour therefore
maps to the local date of that hour; for DeepSeek's windows (01-10 UTC = 09-18 Beijing) it is the same date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays
import numpy as np

from costmodel.catalog.budget import MB, bounded
from costmodel.catalog.units import FloatArray

__all__ = [
    "CALENDARS",
    "HolidayCalendar",
    "estimated_years",
    "is_holiday",
    "non_holiday_share_utc",
]


@dataclass(frozen=True)
class HolidayCalendar:
    """A named calendar: the ``holidays`` country code, its UTC offset (hours) and the years checked against an
    official notice (other years are the package's estimates)."""

    name: str
    country: str
    utc_offset_hours: int
    verified_years: tuple[int, ...]
    source: str


CALENDARS: dict[str, HolidayCalendar] = {
    "china": HolidayCalendar(
        name="Chinese public holidays",
        country="CN",
        utc_offset_hours=8,
        # facts-2026-12.md §3.2/§3.4: the package's 2026 table equals the notice 国务院办公厅关于2026年部分节假日安排的通知
        verified_years=(2026,),
        source="holidays package (China), 2026 checked against the State Council notice of 2025-11-04",
    ),
}


def _calendar(name: str) -> HolidayCalendar:
    try:
        return CALENDARS[name]
    except KeyError:
        raise ValueError(f"unknown holiday calendar {name!r}; known: {', '.join(CALENDARS)}") from None


@bounded("holiday dates", max_entries=64, max_bytes=4 * MB)
def _dates(name: str, year: int) -> frozenset[dt.date]:
    cal = _calendar(name)
    return frozenset(holidays.country_holidays(cal.country, years=year).keys())


def is_holiday(name: str, at: dt.datetime) -> bool:
    """Whether the instant ``at`` (UTC if naive) falls on a holiday of calendar ``name`` (local calendar day)."""
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    local = (at + dt.timedelta(hours=_calendar(name).utc_offset_hours)).date()
    return local in _dates(name, local.year)


def non_holiday_share_utc(name: str, start: dt.date, days: int = 365) -> FloatArray:
    """(7, 24) share of the days with that UTC weekday, among the ``days`` days from ``start``, whose UTC hour falls
    on a local non-holiday (row 0 = Monday). 1.0 where no holiday touches the weekday-hour."""
    cal = _calendar(name)
    utc_days = np.arange(days)
    first = start.toordinal()
    hours = np.arange(24)
    # local date of (utc day d, hour h) = d + floor((h + offset) / 24)
    shift = (hours + cal.utc_offset_hours) // 24  # (24,)
    ordinals = first + utc_days[:, None] + shift[None, :]  # (days, 24)
    lo, hi = int(ordinals.min()), int(ordinals.max())
    years = range(dt.date.fromordinal(lo).year, dt.date.fromordinal(hi).year + 1)
    hol = {d.toordinal() for y in years for d in _dates(name, y)}
    is_hol = np.isin(ordinals, np.fromiter(hol, dtype=np.int64, count=len(hol)))
    weekday = (first + utc_days - 1) % 7  # ordinal 1 is Monday 0001-01-01
    out = np.ones((7, 24))
    for d in range(7):
        rows = weekday == d
        if rows.any():
            out[d] = 1.0 - is_hol[rows].mean(axis=0)
    return out


def estimated_years(name: str, start: dt.date, end: dt.date) -> tuple[int, ...]:
    """Years in ``[start, end]`` whose dates are the package's estimate (not checked against a notice)."""
    cal = _calendar(name)
    return tuple(y for y in range(start.year, end.year + 1) if y not in cal.verified_years)
