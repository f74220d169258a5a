"""Traffic by UTC hour: a workload's local hourly profile, weekday/weekend weights and time zone turned into
mean requests in each UTC hour of the week (DST averaged over a year)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np

from costmodel.catalog.budget import MB, bounded
from costmodel.workload.scenario import Workload

__all__ = ["hourly_requests_utc"]


_REFERENCE_YEAR_MONDAY = dt.date(2025, 12, 29)  # the Monday starting the 52 weeks averaged over (≈ 2026)
_WEEKS = 52
_HOURS_PER_WEEK = 168


@bounded("local-to-UTC hour matrices", max_entries=64, max_bytes=16 * MB)  # 221 kB each
def _local_to_utc_matrix(timezone: str) -> np.ndarray:
    """(168, 168) matrix: share of local weekday-hour i that falls in UTC weekday-hour j.

    Averaged over the 52 weeks from 2025-12-29, so daylight-saving time counts for the part of
    the year it is in force. Half-hour offsets split an hour between two UTC hours.
    """
    zone = zoneinfo.ZoneInfo(timezone)
    m = np.zeros((_HOURS_PER_WEEK, _HOURS_PER_WEEK))
    minutes_per_week = _HOURS_PER_WEEK * 60
    for day in range(_WEEKS * 7):
        date = _REFERENCE_YEAR_MONDAY + dt.timedelta(days=day)
        weekday = day % 7
        for hour in range(24):
            offset = dt.datetime(date.year, date.month, date.day, hour, tzinfo=zone).utcoffset()
            offset_min = int(offset.total_seconds() // 60) if offset is not None else 0
            start = (weekday * 1440 + hour * 60 - offset_min) % minutes_per_week
            j, frac = divmod(start, 60)
            i = weekday * 24 + hour
            m[i, j] += (60 - frac) / 60 / _WEEKS
            if frac:
                m[i, (j + 1) % _HOURS_PER_WEEK] += frac / 60 / _WEEKS
    m.setflags(write=False)
    return m


@bounded("hourly requests in UTC", max_entries=256, max_bytes=8 * MB)
def hourly_requests_utc(w: Workload) -> np.ndarray:
    """Mean requests in each UTC hour of each weekday (computed once per workload: read-only, cached).

    A weekday carries ``7 R / (5 + 2 k)`` requests and a weekend day ``k`` times that
    (R = ``requests_per_day``, k = ``weekend_day_weight``), spread over the local hours by the
    profiles and moved to UTC with the time zone (DST averaged over a year).

    Returns:
        Array of shape (7, 24), requests per hour; row 0 = Monday (UTC). Sums to ``7 × requests_per_day``.
    """
    weekday_requests = 7.0 * w.requests_per_day / (5.0 + 2.0 * w.weekend_day_weight)
    wd = np.asarray(w.hourly_profile_weekday, dtype=float)
    we = np.asarray(w.hourly_profile_weekend, dtype=float)
    local = np.empty((7, 24))
    local[:5] = weekday_requests * wd / wd.sum()
    local[5:] = weekday_requests * w.weekend_day_weight * we / we.sum()
    out: np.ndarray = (
        local
        if w.timezone == "UTC"
        else (local.reshape(-1) @ _local_to_utc_matrix(w.timezone)).reshape(7, 24)
    )
    out.setflags(write=False)
    return out
