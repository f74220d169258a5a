"""Cross-check of the catalogue's DeepSeek prices against two maintained feeds (the extracts in tests/data/feeds/),
on a fixed grid of dates and every UTC hour.

Our side: :func:`costmodel.pricing.request_price.price_request` on data/prices.yaml (first-party ``deepseek`` rows, the
promotion when one runs: what a user paid). The feeds' side: each entry priced under the feed's own rules
(:meth:`costmodel.pricing.feeds.FeedEntry.rates_at`). Rates compared: cache-hit, cache-miss and output USD per 1M tokens.

Every disagreement must be covered by one of the :data:`EXCEPTIONS` below, each explained in docs/prices.md under
its id; an exception that no longer matches anything fails too, so the list stays exact. A new disagreement (a
feed or a catalogue row changed) fails the test until someone explains it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from costmodel.catalog import load_catalogue
from costmodel.pricing.feeds import Feed, read_feed
from costmodel.pricing.request_price import price_request
from costmodel.pricing.resolve import PricingError

ROOT = Path(__file__).resolve().parents[2]
FEEDS = ROOT / "tests" / "data" / "feeds"

#: The grid: dates chosen around every change of DeepSeek's schedule (launch 2026-04-24, cache cut 04-26, peak
#: pricing 08-16 16:00 UTC, V4.1-Flash 09-10), weekdays and weekends, and the week the feeds were read.
DATES = [
    dt.date(2026, 1, 15),  # Thu: V3.2 era
    dt.date(2026, 4, 25),  # Sat: V4 launch weekend, before the Flash cache cut
    dt.date(2026, 6, 15),  # Mon: V4-Pro promotion
    dt.date(2026, 8, 16),  # Sun: the switch to peak pricing at 16:00 UTC
    dt.date(2026, 8, 17),  # Mon
    dt.date(2026, 8, 22),  # Sat
    dt.date(2026, 9, 9),  # Wed: last day of V4-Flash-0731 under its name
    dt.date(2026, 9, 10),  # Thu: V4.1-Flash takes the name
    dt.date(2026, 9, 12),  # Sat
    dt.date(2026, 10, 5),  # Mon
    dt.date(2026, 11, 24),  # Tue: the week the feeds were read
    dt.date(2026, 11, 28),  # Sat
]
HOURS = range(24)
#: (feed, feed entry, our model, first date compared). LiteLLM's map is an undated snapshot: compared on the week
#: it was read only. V4 entries from the V4 launch; ``deepseek-flash`` (the V4.1-Flash API name) from 2026-09-10.
PAIRS = [
    ("litellm", "deepseek/deepseek-v4-pro", "deepseek-v4-pro", dt.date(2026, 11, 23)),
    ("litellm", "deepseek/deepseek-v4-flash", "deepseek-v4-flash", dt.date(2026, 11, 23)),
    ("litellm", "deepseek/deepseek-flash", "deepseek-v4-flash", dt.date(2026, 11, 23)),
    ("litellm", "deepseek/deepseek-v3.2", "deepseek-v3.2", dt.date(2026, 11, 23)),
    ("genai-prices", "deepseek:deepseek-v4-pro", "deepseek-v4-pro", dt.date(2026, 4, 24)),
    ("genai-prices", "deepseek:deepseek-v4-flash", "deepseek-v4-flash", dt.date(2026, 4, 24)),
    ("genai-prices", "deepseek:deepseek-flash", "deepseek-v4-flash", dt.date(2026, 9, 10)),
    ("genai-prices", "deepseek:deepseek-v3.2", "deepseek-v3.2", dt.date(2026, 1, 1)),
]
PEAK = frozenset({1, 2, 3, 6, 7, 8, 9})  # UTC hours inside 01-04 and 06-10
WEEKEND = frozenset({5, 6})
V4 = ("deepseek:deepseek-v4-pro", "deepseek:deepseek-v4-flash")


@dataclass(frozen=True)
class Exception_:
    """Expected disagreements: the feed entries, the dates [first, last], the UTC hours and weekdays (None = all),
    and why (the full explanation is in docs/prices.md under ``id``)."""

    id: str
    feed: str
    keys: tuple[str, ...]
    first: dt.date
    last: dt.date
    hours: frozenset[int] | None
    weekdays: frozenset[int] | None
    reason: str

    def covers(self, feed: str, key: str, when: dt.datetime) -> bool:
        return (
            feed == self.feed
            and key in self.keys
            and self.first <= when.date() <= self.last
            and (self.hours is None or when.hour in self.hours)
            and (self.weekdays is None or when.weekday() in self.weekdays)
        )


EXCEPTIONS = [
    Exception_("X1", "litellm", ("deepseek/deepseek-v3.2",), dt.date(2026, 11, 23), dt.date(2026, 11, 29), None,
               None, "LiteLLM still lists V3.2 on DeepSeek's API (0.028/0.28/0.40); ours ends it 2026-04-24"),
    Exception_("X2", "genai-prices", ("deepseek:deepseek-v3.2",), dt.date(2026, 1, 1), dt.date(2026, 12, 31), None,
               None, "genai-prices' V3.2 entry (0.2288/0.3432, no cache price) matches no DeepSeek schedule we have"),
    Exception_("X3", "genai-prices", V4, dt.date(2026, 4, 24), dt.date(2026, 8, 16), PEAK, None,
               "genai-prices applies its daily peak windows on every date, also before peak pricing began"),
    Exception_("X4", "genai-prices", V4, dt.date(2026, 8, 16), dt.date(2026, 8, 16), frozenset(range(16, 24)),
               None, "ours switches at 2026-08-16 16:00 UTC (00:00 Beijing); genai-prices on the UTC date 08-17"),
    Exception_("X5", "genai-prices", (*V4, "deepseek:deepseek-flash"), dt.date(2026, 8, 17), dt.date(2026, 12, 31),
               PEAK, WEEKEND, "weekday rule: genai-prices bills peak hours on Saturdays and Sundays too"),
    Exception_("X6", "genai-prices", ("deepseek:deepseek-v4-flash",), dt.date(2026, 8, 17), dt.date(2026, 9, 9),
               PEAK, None, "genai-prices gives the V4.1-Flash peak price in peak hours whatever the date"),
    Exception_("X7", "genai-prices", ("deepseek:deepseek-v4-flash",), dt.date(2026, 4, 24), dt.date(2026, 4, 25),
               None, None, "Flash cache-hit cut: 0.0028 from launch in genai-prices, from 2026-04-26 in ours"),
    Exception_("X8", "genai-prices", (*V4, "deepseek:deepseek-flash"), dt.date(2026, 9, 19), dt.date(2026, 12, 31),
               PEAK, None, "holidays: ours bills Chinese public holidays off-peak in full from 2026-09-19 (the "
               "pricing page's rule, facts-2026-12.md 3.1); genai-prices 0.2.5 has no holiday calendar"),
]  # fmt: skip


def _close(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(abs(x - y) <= 1e-9 + 1e-6 * max(abs(x), abs(y)) for x, y in zip(a, b, strict=True))


@pytest.fixture(scope="module")
def feeds() -> dict[str, Feed]:
    return {
        "litellm": read_feed(FEEDS / "litellm-1.110.2-extract.json", "litellm"),
        "genai-prices": read_feed(FEEDS / "genai-prices-0.2.5-extract.py.txt", "genai-prices"),
    }


def _disagreements(feeds: dict[str, Feed]) -> list[tuple[str, str, dt.datetime, object, object]]:
    cat = load_catalogue()
    out = []
    for feed, key, model, first in PAIRS:
        entry = next(e for e in feeds[feed].entries if e.key == key)
        for d in (d for d in DATES if d >= first):
            for h in HOURS:
                at = dt.datetime(d.year, d.month, d.day, h, tzinfo=dt.UTC)
                try:
                    r = price_request(
                        cat, model, at, provider="deepseek", output_tokens=1, price_basis="promotion"
                    )
                    ours: tuple[float, ...] | None = (
                        r.usd_per_mtok_input_cache_hit, r.usd_per_mtok_input_cache_miss, r.usd_per_mtok_output
                    )  # fmt: skip
                except PricingError:
                    ours = None
                theirs = entry.rates_at(at)
                if ours is None or theirs is None or not _close(ours, theirs):
                    out.append((feed, key, at, ours, theirs))
    return out


def test_every_disagreement_is_a_listed_exception(feeds: dict[str, Feed]) -> None:
    found = _disagreements(feeds)
    unexplained = [
        f"{f} {k} {at:%Y-%m-%d %a %H}:00 UTC: ours {o} vs feed {t}"
        for f, k, at, o, t in found
        if not any(x.covers(f, k, at) for x in EXCEPTIONS)
    ]
    assert not unexplained, (
        "new disagreements (explain them in docs/prices.md and EXCEPTIONS):\n" + "\n".join(unexplained[:40])
    )
    unused = [x.id for x in EXCEPTIONS if not any(x.covers(f, k, at) for f, k, at, _, _ in found)]
    assert not unused, f"exceptions that no longer match anything (remove them): {unused}"


def test_the_feeds_agree_where_no_exception_applies(feeds: dict[str, Feed]) -> None:
    # the comparison is not vacuous: most grid points agree exactly, weekdays' peak hours included
    found = {(f, k, at) for f, k, at, _, _ in _disagreements(feeds)}
    cat = load_catalogue()
    agree = 0
    for feed, key, _model, first in PAIRS:
        for d in (d for d in DATES if d >= first):
            for h in HOURS:
                at = dt.datetime(d.year, d.month, d.day, h, tzinfo=dt.UTC)
                agree += (feed, key, at) not in found
    assert agree >= 500
    # LiteLLM encodes our Monday-Friday rule exactly: V4-Pro agrees on all 48 hours of a Tuesday and a Saturday
    assert not any(f == "litellm" and k == "deepseek/deepseek-v4-pro" for f, k, _ in found)
    assert (
        price_request(cat, "deepseek-v4-pro", dt.datetime(2026, 11, 28, 2, tzinfo=dt.UTC)).window
        == "off_peak"
    )


def test_every_exception_is_explained_in_docs() -> None:
    doc = (ROOT / "docs" / "prices.md").read_text(encoding="utf-8")
    for x in EXCEPTIONS:
        assert f"**{x.id}**" in doc, f"{x.id} ({x.reason}) is not explained in docs/prices.md"
