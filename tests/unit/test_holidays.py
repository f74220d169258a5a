"""Holidays in DeepSeek's peak rule: "Monday through Friday, excluding Chinese public holidays" from about
2026-09-19. Dates: the State Council notice for 2026 (facts-2026-12.md §3.2), which the ``holidays`` package matches."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.pricing.bill import peak_weight_utc
from costmodel.pricing.holiday_calendar import estimated_years, is_holiday, non_holiday_share_utc
from costmodel.pricing.request_price import parse_instant, price_request, window_at
from costmodel.pricing.resolve import resolve_price
from costmodel.workload.scenario import ApiOption

CAT = load_catalogue()
HOLIDAY_RULE = resolve_price(
    ApiOption(provider="deepseek", model="deepseek-v4-pro"), CAT, dt.date(2026, 11, 1)
)

# facts-2026-12.md §3.2, derived from the notice: the 19 weekday holidays and the 6 make-up workdays (all weekends)
WEEKDAY_HOLIDAYS_2026 = ("01-01", "01-02", "02-16", "02-17", "02-18", "02-19", "02-20", "02-23", "04-06", "05-01",
                         "05-04", "05-05", "06-19", "09-25", "10-01", "10-02", "10-05", "10-06", "10-07")  # fmt: skip
MAKEUP_WORKDAYS_2026 = ("01-04", "02-14", "02-28", "05-09", "09-20", "10-10")


def _d(mmdd: str) -> dt.date:
    return dt.date.fromisoformat(f"2026-{mmdd}")


def test_library_calendar_matches_the_notice_on_weekdays() -> None:
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    got = {d for d in days if d.weekday() < 5 and is_holiday("china", dt.datetime(d.year, d.month, d.day, 3))}
    assert got == {_d(x) for x in WEEKDAY_HOLIDAYS_2026}
    assert all(_d(x).weekday() >= 5 for x in MAKEUP_WORKDAYS_2026)


@pytest.mark.parametrize("mmdd", WEEKDAY_HOLIDAYS_2026)
def test_every_2026_weekday_holiday_is_off_peak_under_the_holiday_rule(mmdd: str) -> None:
    # every hour of both windows (01-04, 06-10 UTC = 09-12, 14-18 Beijing, the same date) is off-peak on the day;
    # the row is in effect from 2026-09-19, so the rule is applied to the whole year's calendar
    for hour in (1, 2, 3, 6, 7, 8, 9):
        at = dt.datetime.combine(_d(mmdd), dt.time(hour), tzinfo=dt.UTC)
        assert is_holiday("china", at)
        assert window_at(HOLIDAY_RULE, at) == ("off_peak", 0.5)
    if _d(mmdd) >= dt.date(2026, 9, 19):  # and through the catalogue's row in effect at the instant
        r = price_request(CAT, "deepseek-v4-pro", dt.datetime.combine(_d(mmdd), dt.time(2), tzinfo=dt.UTC))
        assert (r.window, r.price_id) == ("off_peak", "deepseek-v4-pro-peak-holidays-2026-09")
        assert "is one" in " ".join(r.notes)


@pytest.mark.parametrize("mmdd", MAKEUP_WORKDAYS_2026)
def test_every_2026_makeup_workday_is_off_peak(mmdd: str) -> None:
    # a make-up workday is a weekend day: the provider counts the calendar day, not the working schedule (§3.1)
    for hour in (2, 7):
        at = dt.datetime.combine(_d(mmdd), dt.time(hour), tzinfo=dt.UTC)
        assert not is_holiday("china", at)
        assert window_at(HOLIDAY_RULE, at) == ("off_peak", 0.5)
    # the working day after each block is peak again (e.g. 10-08 Thursday)
    assert window_at(HOLIDAY_RULE, parse_instant("2026-10-08T02:00Z")) == ("peak", 1.0)


@pytest.mark.parametrize(
    ("at", "window"),
    [("2026-10-01T02:00Z", "off_peak"), ("2026-10-10T02:00Z", "off_peak"), ("2026-10-09T02:00Z", "peak"),
     ("2026-09-25T07:00Z", "off_peak"), ("2026-09-24T07:00Z", "peak"), ("2026-09-18T02:00Z", "peak")],
)  # fmt: skip
def test_done_when_instants(at: str, window: str) -> None:
    assert price_request(CAT, "deepseek-v4-pro", parse_instant(at)).window == window
    assert price_request(CAT, "deepseek-v4-flash", parse_instant(at)).window == window


def test_before_the_clause_a_weekday_holiday_was_peak() -> None:
    # 2026-09-17 was not a holiday; the rule without the clause: check the row in effect before 09-19 has no calendar
    r = price_request(CAT, "deepseek-v4-pro", parse_instant("2026-09-18T02:00Z"))
    assert r.price_id == "deepseek-v4-pro-peak-2026-08"


def test_cli_price_national_day_off_peak(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["price", "--model", "deepseek-v4-pro", "--at", "2026-10-01T02:00Z"]) == 0
    assert '"window": "off_peak"' in capsys.readouterr().out


def test_beijing_date_is_used_late_utc_hours() -> None:
    # 2026-09-30 16:00 UTC is 2026-10-01 00:00 Beijing: a holiday; 15:00 UTC is still 09-30 (a workday)
    assert is_holiday("china", dt.datetime(2026, 9, 30, 16, tzinfo=dt.UTC))
    assert not is_holiday("china", dt.datetime(2026, 9, 30, 15, tzinfo=dt.UTC))


def test_bill_weights_count_the_holidays_of_the_year() -> None:
    # 365 days from 2026-01-01: 19 weekday holidays of 261 weekdays (2026 has 261 Monday-Friday days)
    share = non_holiday_share_utc("china", dt.date(2026, 1, 1), 365)
    assert share.shape == (7, 24)
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    n_weekdays = sum(d.weekday() < 5 for d in days)
    lost = sum((1 - share[d, 2]) * sum(x.weekday() == d for x in days) for d in range(5))
    assert lost == pytest.approx(19, abs=1e-9) and n_weekdays == 261
    assert np.all((share >= 0) & (share <= 1))
    price = resolve_price(ApiOption(provider="deepseek", model="deepseek-v4-pro"), CAT, dt.date(2026, 11, 1))
    w = peak_weight_utc(price)
    assert w[0, 0] == 0.0 and 0.9 < w[0, 2] < 1.0 and w[5, 2] == 0.0
    assert any("2027 dates are the holidays package's estimates" in n for n in price.notes)
    assert estimated_years("china", dt.date(2026, 11, 1), dt.date(2027, 10, 31)) == (2027,)


def test_schema_rejects_a_calendar_without_windows() -> None:
    from costmodel.catalog.schema import PriceSchedule

    row = CAT.prices[0].model_dump()
    row.update(peak_windows=(), off_peak_multiplier=1.0, peak_excludes_holidays="china")
    with pytest.raises(ValueError, match="peak_excludes_holidays given without peak_windows"):
        PriceSchedule.model_validate(row)
