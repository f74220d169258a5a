"""API bills: hand-computed against the dated schedules in data/prices.yaml, properties, bad dates."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel.catalog import Catalogue
from costmodel.pricing.bill import api_bill, bill_arrays, bill_point
from costmodel.pricing.resolve import PricingError, resolve_price
from costmodel.views.links.query import scenario_from_query, scenario_to_query
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption, Scenario, Workload, scenario_from_text, scenario_to_json

UTC = dt.UTC
PRO = ApiOption(provider="deepseek", model="deepseek-v4-pro")
PRO_PROMO = ApiOption(provider="deepseek", model="deepseek-v4-pro", price_basis="promotion")
FLASH = ApiOption(provider="deepseek", model="deepseek-v4-flash")
MINIMAX = ApiOption(provider="minimax", model="minimax-m3")
CHANGE = dt.datetime(2026, 8, 16, 16, 0, tzinfo=UTC)  # the peak/off-peak schedule starts


def one_hot(hour: int) -> tuple[float, ...]:
    return tuple(1.0 if h == hour else 0.0 for h in range(24))


def simple(cache: float = 0.0, **kw: object) -> Workload:
    """1,000 requests/day × 30 days = 30,000 requests; 10,000 prompt + 1,000 output tokens each.

    Per month: 300 M prompt tokens, 30 M output tokens.
    """
    base: dict[str, object] = {
        "requests_per_day": 1000,
        "days_per_month": 30,
        "prompt_tokens": 10_000,
        "output_tokens": 1_000,
        "cache_hit_fraction": cache,
    }
    return Workload.model_validate({**base, **kw})


# all traffic Mon-Fri 02:00-03:00 UTC (inside 01-04 peak); none on weekends
ALL_PEAK = {"hourly_profile_weekday": one_hot(2), "weekend_day_weight": 0.0}
# all traffic at 12:00 UTC (outside both peak windows), weekends too
ALL_OFF_PEAK = {"hourly_profile_weekday": one_hot(12), "hourly_profile_weekend": one_hot(12)}


# ---- hand-computed bills -----------------------------------------------------------------------------------


def test_v4_pro_launch_list_against_75pct_promotion(catalogue: Catalogue) -> None:
    day = dt.date(2026, 6, 1)
    listed = api_bill(PRO, simple(), catalogue, day)
    # list: 300 M × $1.74 = $522.00 input miss; 30 M × $3.48 = $104.40 output; total $626.40
    assert listed.monthly_input_cache_miss_usd == pytest.approx(300 * 1.74)
    assert listed.monthly_output_usd == pytest.approx(30 * 3.48)
    assert listed.monthly_input_cache_hit_usd == 0
    assert listed.monthly_cost_usd == pytest.approx(522.0 + 104.4)
    assert listed.price.price_ids == "deepseek-v4-pro-launch-list"
    promo = api_bill(PRO_PROMO, simple(), catalogue, day)
    # promotion: 300 M × $0.435 = $130.50; 30 M × $0.87 = $26.10; total $156.60 = a quarter of $626.40
    assert promo.monthly_cost_usd == pytest.approx(130.5 + 26.1)
    assert promo.monthly_cost_usd == pytest.approx(listed.monthly_cost_usd / 4)
    assert promo.price.price_ids == "deepseek-v4-pro-promo-75" and promo.price.price_basis_used == "promotion"
    # rates: $/M input = miss price at 0 cache hits; blended = $626.40 / 330 M tokens
    assert listed.usd_per_mtok_input == pytest.approx(1.74)
    assert listed.usd_per_mtok_output == pytest.approx(3.48)
    assert listed.usd_per_mtok_blended == pytest.approx(626.4 / 330)


def test_v4_pro_launch_list_with_90pct_cache_hits(catalogue: Catalogue) -> None:
    bill = api_bill(PRO, simple(cache=0.9), catalogue, dt.date(2026, 6, 1))
    # hits 270 M × $0.145 = $39.15; misses 30 M × $1.74 = $52.20; output 30 M × $3.48 = $104.40
    assert bill.monthly_input_cache_hit_usd == pytest.approx(39.15)
    assert bill.monthly_input_cache_miss_usd == pytest.approx(52.2)
    assert bill.monthly_cost_usd == pytest.approx(39.15 + 52.2 + 104.4)
    assert bill.usd_per_mtok_input == pytest.approx(0.9 * 0.145 + 0.1 * 1.74)
    assert bill.monthly_input_cache_hit_tokens == pytest.approx(270e6)


@pytest.mark.parametrize(
    ("cache", "profile", "before_usd", "after_usd"),
    [
        # before: flat 0.14 miss / 0.28 out: 300 × 0.14 + 30 × 0.28 = 42.0 + 8.4 = 50.4 whatever the hour
        # after, peak: 300 × 0.44 + 30 × 1.32 = 132.0 + 39.6 = 171.6
        (0.0, ALL_PEAK, 42.0 + 8.4, 132.0 + 39.6),
        # after, off-peak: half of 171.6
        (0.0, ALL_OFF_PEAK, 42.0 + 8.4, (132.0 + 39.6) * 0.5),
        # before, 90% hits: 270 × 0.0028 + 30 × 0.14 + 30 × 0.28 = 0.756 + 4.2 + 8.4 = 13.356
        # after, peak: 270 × 0.014 + 30 × 0.44 + 30 × 1.32 = 3.78 + 13.2 + 39.6 = 56.58
        (0.9, ALL_PEAK, 0.756 + 4.2 + 8.4, 3.78 + 13.2 + 39.6),
        (0.9, ALL_OFF_PEAK, 0.756 + 4.2 + 8.4, (3.78 + 13.2 + 39.6) * 0.5),
    ],
)
def test_deepseek_flash_either_side_of_the_2026_08_16_change(
    catalogue: Catalogue, cache: float, profile: dict[str, object], before_usd: float, after_usd: float
) -> None:
    w = simple(cache=cache, **profile)
    before = api_bill(FLASH, w, catalogue, CHANGE - dt.timedelta(minutes=1))
    after = api_bill(FLASH, w, catalogue, CHANGE)
    assert before.price.price_ids == "deepseek-v4-flash-cache-cut"
    assert after.price.price_ids == "deepseek-v4-flash-peak-2026-08"
    assert before.monthly_cost_usd == pytest.approx(before_usd)
    assert after.monthly_cost_usd == pytest.approx(after_usd)
    all_peak = profile is ALL_PEAK
    assert after.peak_traffic_fraction == (1.0 if all_peak else 0.0)
    assert after.monthly_peak_usd == pytest.approx(after_usd if all_peak else 0.0)
    assert after.monthly_off_peak_usd == pytest.approx(0.0 if all_peak else after_usd)
    # a schedule without peak hours bills everything at its standard price
    assert before.peak_traffic_fraction == 1.0 and before.monthly_off_peak_usd == 0.0


def test_flat_utc_traffic_is_35_of_168_hours_peak(catalogue: Catalogue) -> None:
    bill = api_bill(FLASH, simple(), catalogue, CHANGE)
    # peak: 3 + 4 hours × 5 weekdays = 35 of 168 weekly hours
    f = 35 / 168
    assert bill.peak_traffic_fraction == pytest.approx(f)
    full = 132.0 + 39.6
    assert bill.monthly_peak_usd == pytest.approx(full * f)
    assert bill.monthly_off_peak_usd == pytest.approx(full * (1 - f) * 0.5)
    assert bill.monthly_cost_usd == pytest.approx(bill.monthly_peak_usd + bill.monthly_off_peak_usd)


def test_peak_windows_follow_the_time_zone(catalogue: Catalogue) -> None:
    # 10:00 in Beijing (UTC+8) is 02:00 UTC: peak on weekdays
    w = simple(timezone="Asia/Shanghai", hourly_profile_weekday=one_hot(10), weekend_day_weight=0.0)
    assert api_bill(FLASH, w, catalogue, CHANGE).peak_traffic_fraction == pytest.approx(1.0)


def test_minimax_context_tier_above_512k(catalogue: Catalogue) -> None:
    day = dt.date(2026, 11, 28)
    at = api_bill(MINIMAX, simple(prompt_tokens=524_288, output_tokens=0), catalogue, day)
    above = api_bill(MINIMAX, simple(prompt_tokens=524_289, output_tokens=0), catalogue, day)
    # 30,000 requests × 524,288 tokens = 15,728.64 M tokens × $0.30 (base) or × $0.60 (tier)
    assert at.monthly_cost_usd == pytest.approx(30_000 * 524_288 / 1e6 * 0.30)
    assert above.monthly_cost_usd == pytest.approx(30_000 * 524_289 / 1e6 * 0.60)
    assert at.context_tier_above_prompt_tokens is None
    assert above.context_tier_above_prompt_tokens == 524_288
    assert any("context tier" in n for n in above.notes)


def test_promotion_outside_its_dates_falls_back_to_list_and_says_so(catalogue: Catalogue) -> None:
    bill = api_bill(PRO_PROMO, simple(), catalogue, dt.date(2026, 11, 28))
    assert bill.price.price_basis_used == "list"
    assert bill.price.price_ids == "deepseek-v4-pro-peak-holidays-2026-09"
    assert any("no promotion in effect" in n for n in bill.notes)


def test_custom_prices_are_flat(catalogue: Catalogue) -> None:
    opt = ApiOption(
        provider="reseller",
        model="deepseek-v4-pro",
        price_basis="custom",
        usd_per_mtok_input_cache_miss=1.0,
        usd_per_mtok_output=2.0,
    )
    bill = api_bill(opt, simple(cache=0.5), catalogue, dt.date(2026, 11, 28))
    # hit price defaults to the miss price: 300 M × $1 + 30 M × $2 = $360
    assert bill.monthly_cost_usd == pytest.approx(360.0)
    assert bill.price.price_ids == "custom" and bill.price.price_sources == "user input"


def test_exceeding_the_context_window_is_the_bills_reason(catalogue: Catalogue) -> None:
    kimi = ApiOption(provider="moonshot", model="kimi-k2.6")
    bill = api_bill(kimi, simple(prompt_tokens=300_000), catalogue, dt.date(2026, 11, 28))
    assert bill.reason.startswith(
        "the prompt (300,000 tokens) exceeds Kimi K2.6's 262,144-token context window"
    )
    # prompt alone fits, prompt + output does not
    w = simple(prompt_tokens=262_000).model_copy(update={"output_tokens": 1_000})
    assert "prompt + output (263,000 tokens)" in api_bill(kimi, w, catalogue, dt.date(2026, 11, 28)).reason
    # exactly the window: served
    w = simple(prompt_tokens=261_144).model_copy(update={"output_tokens": 1_000})
    assert api_bill(kimi, w, catalogue, dt.date(2026, 11, 28)).reason == ""
    # Claude Opus 4.6's 1M window (Anthropic's page): 300K is served, 5M is not
    opus = ApiOption(provider="anthropic", model="claude-opus-4.6")
    assert api_bill(opus, simple(prompt_tokens=300_000), catalogue, dt.date(2026, 11, 28)).reason == ""
    too_long = api_bill(opus, simple(prompt_tokens=5_000_000), catalogue, dt.date(2026, 11, 28)).reason
    assert "1,000,000-token context window" in too_long


def test_unconfirmed_fields_are_reported(catalogue: Catalogue) -> None:
    price = resolve_price(PRO_PROMO, catalogue, dt.date(2026, 6, 1))
    assert "deepseek-v4-pro-promo-75.usd_per_mtok_input_cache_hit" in price.unconfirmed_fields
    assert price.price_confidence == "official"


# ---- bad input ---------------------------------------------------------------------------------------------


def test_no_price_in_effect_names_what_exists(catalogue: Catalogue) -> None:
    with pytest.raises(PricingError) as e:
        resolve_price(PRO, catalogue, dt.date(2020, 1, 1))
    msg = str(e.value)
    assert "\n" not in msg
    # before the first row: the message says so, then names what exists
    assert msg.startswith(
        "no price on record for deepseek/deepseek-v4-pro before 2026-04-24 (asked for 2020-01-01); prices exist:"
    )
    assert "deepseek-v4-pro-launch-list (list) from 2026-04-24 to 2026-08-16 16:00 UTC" in msg
    assert "deepseek-v4-pro-peak-2026-08 (list) from 2026-08-16 16:00 UTC to 2026-09-19" in msg
    assert "deepseek-v4-pro-peak-holidays-2026-09 (list) from 2026-09-19 on" in msg


def test_unknown_option(catalogue: Catalogue) -> None:
    with pytest.raises(PricingError, match="unknown API option deepseek/deepseek-v9; known: "):
        resolve_price(ApiOption(provider="deepseek", model="deepseek-v9"), catalogue, dt.date(2026, 11, 28))
    custom = ApiOption(
        provider="x",
        model="nope",
        price_basis="custom",
        usd_per_mtok_input_cache_miss=1,
        usd_per_mtok_output=1,
    )
    with pytest.raises(PricingError, match="unknown model 'nope'"):
        resolve_price(custom, catalogue, dt.date(2026, 11, 28))


# ---- properties --------------------------------------------------------------------------------------------

options = st.sampled_from([PRO, PRO_PROMO, FLASH, MINIMAX, ApiOption(provider="moonshot", model="kimi-k2.6")])
days = st.dates(dt.date(2026, 6, 1), dt.date(2027, 12, 31))
profiles = (
    st.lists(st.floats(0, 100, allow_nan=False), min_size=24, max_size=24)
    .filter(lambda p: sum(p) > 0)
    .map(tuple)
)
workloads = st.builds(
    Workload,
    requests_per_day=st.floats(1e-3, 1e10),
    prompt_tokens=st.integers(1, 2**24),
    output_tokens=st.integers(0, 2**24),
    reasoning_multiplier=st.floats(1, 100),
    cache_hit_fraction=st.floats(0, 1),
    hourly_profile_weekday=profiles,
    hourly_profile_weekend=profiles,
    weekend_day_weight=st.floats(0, 100),
    timezone=st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York"]),
)


@given(options, workloads, days)
def test_bill_is_never_negative_and_parts_add_up(
    catalogue: Catalogue, option: ApiOption, w: Workload, day: dt.date
) -> None:
    b = api_bill(option, w, catalogue, day)
    parts = (
        b.monthly_input_cache_hit_usd,
        b.monthly_input_cache_miss_usd,
        b.monthly_output_usd,
        b.monthly_peak_usd,
        b.monthly_off_peak_usd,
    )
    assert all(np.isfinite(x) and x >= 0 for x in (*parts, b.monthly_cost_usd, b.usd_per_mtok_blended))
    assert sum(parts[:3]) == pytest.approx(b.monthly_cost_usd, rel=1e-9)
    assert b.monthly_peak_usd + b.monthly_off_peak_usd == pytest.approx(b.monthly_cost_usd, rel=1e-9)
    assert b.monthly_cost_usd == pytest.approx(
        bill_point(
            b.price,
            b.requests_per_month,
            w.prompt_tokens,
            w.billed_output_tokens,
            w.cache_hit_fraction,
            b.peak_traffic_fraction,
        ),
        rel=1e-9,
    )


@given(options, workloads, days, st.floats(1e-3, 1e3))
def test_bill_is_linear_in_volume(
    catalogue: Catalogue, option: ApiOption, w: Workload, day: dt.date, k: float
) -> None:
    scaled = w.model_copy(update={"requests_per_day": w.requests_per_day * k})
    assert api_bill(option, scaled, catalogue, day).monthly_cost_usd == pytest.approx(
        k * api_bill(option, w, catalogue, day).monthly_cost_usd, rel=1e-9
    )


@given(
    workloads,
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 100),
    st.floats(0, 1),
    st.floats(0, 100),
)
def test_more_cache_hits_never_cost_more_while_hits_are_cheaper(
    catalogue: Catalogue, w: Workload, c1: float, c2: float, miss: float, hit_share: float, out: float
) -> None:
    lo, hi = sorted((c1, c2))
    opt = ApiOption(
        provider="x",
        model="deepseek-v4-pro",
        price_basis="custom",
        usd_per_mtok_input_cache_hit=miss * hit_share,
        usd_per_mtok_input_cache_miss=miss,
        usd_per_mtok_output=out,
    )
    for option in (opt, PRO, FLASH, MINIMAX):
        price = resolve_price(option, catalogue, dt.date(2026, 11, 28))
        assert price.usd_per_mtok_input_cache_hit <= price.usd_per_mtok_input_cache_miss
        low = api_bill(
            option, w.model_copy(update={"cache_hit_fraction": lo}), catalogue, dt.date(2026, 11, 28)
        )
        high = api_bill(
            option, w.model_copy(update={"cache_hit_fraction": hi}), catalogue, dt.date(2026, 11, 28)
        )
        assert high.monthly_cost_usd <= low.monthly_cost_usd * (1 + 1e-12)


@given(workloads, st.sampled_from(["chat", "agentic-coding", "doc-analysis-1m"]))
def test_bill_unchanged_by_json_and_url_round_trips(catalogue: Catalogue, w: Workload, name: str) -> None:
    s = preset(name, dt.date(2026, 11, 28)).model_copy(update={"workload": w})
    s = Scenario.model_validate(s.model_dump())
    via_json = scenario_from_text(scenario_to_json(s))
    via_url, ignored = scenario_from_query(
        parse_qs(urlencode(scenario_to_query(s)), keep_blank_values=True), preset("chat", dt.date(2020, 1, 1))
    )
    assert ignored == []
    for option in s.api_options:
        want = api_bill(option, s.workload, catalogue, s.as_of).monthly_cost_usd
        assert api_bill(option, via_json.workload, catalogue, via_json.as_of).monthly_cost_usd == want
        assert api_bill(option, via_url.workload, catalogue, via_url.as_of).monthly_cost_usd == want


@pytest.mark.parametrize(
    ("option", "when", "peak"),
    [
        (MINIMAX, dt.date(2026, 11, 28), 1.0),  # context tier above 512K, no peak hours
        (FLASH, CHANGE, 0.3),  # peak windows, off-peak at 0.5×: the time-of-day weighting
    ],
)
def test_vectorised_bill_matches_the_scalar_reference(
    catalogue: Catalogue, option: ApiOption, when: dt.datetime, peak: float
) -> None:
    price = resolve_price(option, catalogue, when)
    rng = np.random.default_rng(0)
    req = rng.uniform(1, 1e7, 500)
    prompt = rng.integers(1, 1_000_000, 500).astype(float)  # crosses the 512K tier
    out = rng.uniform(0, 10_000, 500)
    cache = rng.uniform(0, 1, 500)
    got = bill_arrays(
        price,
        requests_per_month=req,
        prompt_tokens=prompt,
        billed_output_tokens=out,
        cache_hit_fraction=cache,
        peak_fraction=peak,
    )["monthly_cost_usd"]
    want = [bill_point(price, *args, peak) for args in zip(req, prompt, out, cache, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
