"""Price feeds: per-token prices to USD per 1M tokens, and off-peak hours to our peak windows."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import numpy.typing as npt

from costmodel.catalog.schema import PeakWindow
from costmodel.pricing.feeds.names import MAX_USD_PER_MTOK


def _per_mtok(v: Any, what: str, per_token: bool) -> float | None:
    """A price in USD per 1M tokens, None when absent; ValueError on a value that is not a believable price."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{what} is not a number ({str(v)[:30]!r})")
    x = float(v) * (1e6 if per_token else 1.0)
    if not math.isfinite(x) or x < 0 or x > MAX_USD_PER_MTOK:
        raise ValueError(
            f"{what} = {v!r} is not a price between 0 and {MAX_USD_PER_MTOK:,.0f} USD per 1M tokens"
        )
    return round(x, 9)  # 1.32e-06 * 1e6 = 1.3199999999999998: the feed's decimal value, not the float noise


def _hours(span: Any) -> list[int]:
    """``"10:00-00:00"`` -> hours 10..23 (an end of 00:00 is midnight); whole hours only."""
    if not isinstance(span, str) or not re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", span):
        raise ValueError(f"off-peak hours {str(span)[:30]!r} are not HH:MM-HH:MM")
    (h0, m0), (h1, m1) = ((int(x[:2]), int(x[3:])) for x in span.split("-"))
    if m0 or m1 or h0 > 23 or h1 > 23:
        raise ValueError(f"off-peak hours {span!r} are not whole UTC hours")
    end = 24 if h1 == 0 else h1
    if end <= h0:
        raise ValueError(f"off-peak hours {span!r} wrap past midnight")
    return list(range(h0, end))


def _off_peak_mask(op: Any) -> npt.NDArray[np.bool_]:
    windows = op.get("windows") if isinstance(op, dict) else None
    if not isinstance(windows, list) or not windows:
        raise ValueError("off_peak_pricing has no windows")
    mask = np.zeros((7, 24), dtype=bool)
    for w in windows:
        if not isinstance(w, dict):
            raise ValueError("an off-peak window is not an object")
        spans = w.get("hours_utc")
        spans = [spans] if isinstance(spans, str) else spans
        days = w.get("weekdays")
        if not isinstance(spans, list) or not isinstance(days, list) or not days:
            raise ValueError("an off-peak window needs hours_utc and weekdays")
        for d in days:
            if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7:
                raise ValueError(f"weekday {str(d)[:10]!r} is not 1 (Monday) ... 7 (Sunday)")
            for s in spans:
                mask[d - 1, _hours(s)] = True
    return mask


def peak_windows_from_mask(peak: npt.NDArray[np.bool_]) -> tuple[PeakWindow, ...]:
    """The (7, 24) peak mask (Monday first) as PeakWindows: one per run of hours, weekdays grouped."""
    runs: dict[tuple[int, int], list[int]] = {}
    for day in range(7):
        h = 0
        while h < 24:
            if peak[day, h]:
                start = h
                while h < 24 and peak[day, h]:
                    h += 1
                runs.setdefault((start, h), []).append(day)
            else:
                h += 1
    return tuple(
        PeakWindow(start_hour_utc=s, end_hour_utc=e, weekdays=tuple(days))
        for (s, e), days in sorted(runs.items())
    )


def _ratio(base: tuple[float | None, ...], other: tuple[float | None, ...]) -> float | None:
    """The one multiplier m with other = m x base for every priced field, None when there is none."""
    ms = {round(o / b, 6) for b, o in zip(base, other, strict=True) if b and o is not None}
    zero_ok = all(o == 0 for b, o in zip(base, other, strict=True) if b == 0 and o is not None)
    return ms.pop() if len(ms) == 1 and zero_ok else None
