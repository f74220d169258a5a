"""Scenario inputs: validation, traffic by UTC hour, exact round trips (JSON, YAML, URL), presets."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlencode

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel.views.links.query import scenario_from_query, scenario_to_query
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import (
    ApiOption,
    Scenario,
    ScenarioError,
    SelfHostOption,
    ServingAssumptions,
    Workload,
    scenario_from_text,
    scenario_to_json,
    scenario_to_yaml,
)
from costmodel.workload.traffic import hourly_requests_utc

AS_OF = dt.date(2026, 11, 28)


def one_hot(hour: int) -> tuple[float, ...]:
    return tuple(1.0 if h == hour else 0.0 for h in range(24))


def workload(**kw: object) -> Workload:
    base: dict[str, object] = {"requests_per_day": 1000, "prompt_tokens": 2000, "output_tokens": 500}
    return Workload.model_validate({**base, **kw})


# ---- strategies --------------------------------------------------------------------------------------------

finite = st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False)
profiles = st.lists(finite, min_size=24, max_size=24).filter(lambda p: sum(p) > 0).map(tuple)
ids = st.sampled_from(["deepseek", "deepseek-v4-pro", "kimi-k2.6", "minimax-m3", "h200", "a_b.c-1"])
prices = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)

workloads = st.builds(
    Workload,
    requests_per_day=st.floats(min_value=1e-3, max_value=1e10, allow_nan=False),
    prompt_tokens=st.integers(1, 2**24),
    output_tokens=st.integers(0, 2**24),
    reasoning_multiplier=st.floats(1.0, 100.0),
    cache_hit_fraction=st.floats(0.0, 1.0),
    hourly_profile_weekday=profiles,
    hourly_profile_weekend=profiles,
    weekend_day_weight=st.floats(0.0, 100.0),
    timezone=st.sampled_from(["UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York"]),
    days_per_month=st.floats(1.0, 31.0),
)
api_options = st.one_of(
    st.builds(ApiOption, provider=ids, model=ids, price_basis=st.sampled_from(["list", "promotion"])),
    st.builds(
        ApiOption,
        provider=ids,
        model=ids,
        price_basis=st.just("custom"),
        usd_per_mtok_input_cache_hit=st.none() | prices,
        usd_per_mtok_input_cache_miss=prices,
        usd_per_mtok_output=prices,
    ),
)
self_host_options = st.builds(
    SelfHostOption,
    model=ids,
    gpu=ids,
    precision=st.sampled_from(["native", "fp8", "bf16", "fp4"]),
    gpus=st.none() | st.integers(1, 100_000),
    rental_id=st.none() | ids,
    usd_per_gpu_hour=st.none() | st.floats(0.01, 1000),
    mode=st.sampled_from(["always_on", "autoscaled"]),
    disaggregated=st.booleans(),
    measured_prefill_tokens_per_s_per_gpu=st.none() | st.floats(0.5, 1e9),
    measured_decode_tokens_per_s_per_gpu=st.none() | st.floats(0.5, 1e9),
    attention_layout=st.sampled_from(["auto", "dp", "tp"]),
)
assumptions = st.builds(
    ServingAssumptions,
    efficiency=st.sampled_from(["low", "base", "high"]),
    tpot_ms_target=st.floats(0.01, 1e5),
    ttft_ms_target=st.none() | st.floats(0.01, 1e7),
    overhead_pct=st.floats(0, 1000),
    speculative_decoding=st.booleans(),
    mtp_acceptance=st.floats(0, 1),
    mtp_draft_tokens=st.integers(1, 4),
    kv_dtype=st.sampled_from(["deployed", "bf16", "fp8"]),
)
scenarios = st.builds(
    Scenario,
    workload=workloads,
    api_options=st.lists(api_options, min_size=1, max_size=4).map(tuple),
    self_host_options=st.lists(self_host_options, max_size=3).map(tuple),
    assumptions=assumptions,
    as_of=st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)),
    name=st.text(max_size=40),
    description=st.text(max_size=60),
)


# ---- traffic by UTC hour -----------------------------------------------------------------------------------


@given(workloads)
def test_hourly_requests_sum_to_a_week_of_requests(w: Workload) -> None:
    h = hourly_requests_utc(w)
    assert h.shape == (7, 24)
    assert np.all(h >= 0)
    assert h.sum() == pytest.approx(7 * w.requests_per_day, rel=1e-9)


def test_weekend_weight_splits_the_week() -> None:
    # weekday volume d, weekend 0.5 d: 5 d + 2 (0.5 d) = 7 × 1200  ->  d = 1400, weekend day 700
    h = hourly_requests_utc(workload(requests_per_day=1200, weekend_day_weight=0.5))
    assert h[:5].sum(axis=1) == pytest.approx([1400] * 5)
    assert h[5:].sum(axis=1) == pytest.approx([700] * 2)


def test_time_zone_moves_local_hours_to_utc() -> None:
    # Tokyo is UTC+9 all year: local Monday 09:00 is Monday 00:00 UTC; local Monday 03:00 is Sunday 18:00 UTC.
    h = hourly_requests_utc(workload(timezone="Asia/Tokyo", hourly_profile_weekday=one_hot(9)))
    assert h[0, 0] == pytest.approx(1000 * 7 / 7)  # weekday volume = 7 × 1000 / (5 + 2) = 1000, all at 09:00
    h3 = hourly_requests_utc(workload(timezone="Asia/Tokyo", hourly_profile_weekday=one_hot(3)))
    assert h3[6, 18] == pytest.approx(1000)  # Monday's 03:00 local lands on Sunday UTC
    # Kolkata is UTC+5:30: local 10:00-11:00 is 04:30-05:30 UTC, half in each UTC hour.
    hk = hourly_requests_utc(workload(timezone="Asia/Kolkata", hourly_profile_weekday=one_hot(10)))
    assert hk[0, 4] == pytest.approx(500) and hk[0, 5] == pytest.approx(500)


def test_daylight_saving_is_averaged_over_the_year() -> None:
    # New York is UTC-4 in summer, UTC-5 in winter: local 12:00 is 16:00 or 17:00 UTC.
    h = hourly_requests_utc(workload(timezone="America/New_York", hourly_profile_weekday=one_hot(12)))
    summer, winter = h[0, 16] / 1000, h[0, 17] / 1000
    assert summer + winter == pytest.approx(1.0)
    # DST runs from Sunday 8 March to Sunday 1 November 2026: the Mondays 9 March .. 26 October are
    # (26 Oct - 9 Mar) / 7 + 1 = 231 / 7 + 1 = 34 of the 52 Mondays averaged over.
    assert summer == pytest.approx(34 / 52)


# ---- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("requests_per_day", -1, "requests_per_day"),
        ("requests_per_day", 0, "requests_per_day"),
        ("requests_per_day", 1e300, "requests_per_day"),
        ("requests_per_day", "NaN", "finite"),
        ("requests_per_day", "inf", "finite"),
        ("requests_per_day", True, "boolean"),
        ("prompt_tokens", 10**400, "prompt_tokens"),
        ("prompt_tokens", "many", "prompt_tokens"),
        ("output_tokens", -5, "output_tokens"),
        ("cache_hit_fraction", 1.5, "cache_hit_fraction"),
        ("cache_hit_fraction", -0.1, "cache_hit_fraction"),
        ("hourly_profile_weekday", (0.0,) * 24, "sums to zero"),
        ("hourly_profile_weekday", (1.0,) * 23, "hourly_profile_weekday"),
        ("hourly_profile_weekend", (-1.0,) + (1.0,) * 23, "hourly_profile_weekend"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
        ("timezone", "../../etc/passwd", "unknown time zone"),
        ("days_per_month", 400, "days_per_month"),
        ("surprise", 1, "surprise"),
    ],
)
def test_bad_workload_values_are_refused(field: str, value: object, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        workload(**{field: value})


def test_custom_basis_needs_prices_and_others_refuse_them() -> None:
    with pytest.raises(ValueError, match="needs usd_per_mtok_input_cache_miss"):
        ApiOption(provider="x", model="y", price_basis="custom")
    with pytest.raises(ValueError, match="use 'custom'"):
        ApiOption(provider="x", model="y", usd_per_mtok_output=1.0)
    with pytest.raises(ValueError, match="pattern"):
        ApiOption(provider="=cmd|' /C calc'!A0", model="y")


def test_a_scenario_needs_an_option() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Scenario(workload=workload(), as_of=AS_OF)


def good_text() -> dict[str, object]:
    return json.loads(scenario_to_json(preset("chat", AS_OF)))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[1, 2, 3]", "expected a mapping"),
        ("just a string", "expected a mapping"),
        ("{{{", "not valid YAML/JSON"),
        ("a: &x [1]\nb: *x\n", "aliases"),
        ("[" * 5000 + "]" * 5000, "scenario"),
        ("x: " + "a" * 2_100_000, "refused"),
        ("!!python/object/apply:os.system ['true']", "scenario"),
    ],
)
def test_scenario_files_that_are_not_scenarios(text: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle) as e:
        scenario_from_text(text)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("workload", "requests_per_day"), "NaN", "workload.requests_per_day"),
        (("workload", "cache_hit_fraction"), "1e400", "workload.cache_hit_fraction"),
        (("workload", "prompt_tokens"), 10**30, "workload.prompt_tokens"),
        (("workload", "hourly_profile_weekday"), {"a": {"b": {"c": [1]}}}, "hourly_profile_weekday"),
        (("api_options",), "deepseek", "api_options"),
        (("as_of",), "yesterday", "as_of"),
        (("as_of",), "2026-11-28T10:00:00", "as_of"),
    ],
)
def test_scenario_file_with_wrong_field(path: tuple[str, ...], value: object, needle: str) -> None:
    data = good_text()
    target: dict[str, object] = data
    for p in path[:-1]:
        target = target[p]  # type: ignore[assignment]
    target[path[-1]] = value
    with pytest.raises(ScenarioError, match=needle) as e:
        scenario_from_text(json.dumps(data))
    assert "\n" not in str(e.value)


# ---- round trips -------------------------------------------------------------------------------------------


@pytest.mark.slow  # ~2-3 s: 100 examples, each through YAML
@given(scenarios)
def test_json_and_yaml_round_trips_are_exact(s: Scenario) -> None:
    assert scenario_from_text(scenario_to_json(s)) == s
    assert scenario_from_text(scenario_to_yaml(s)) == s


@given(scenarios)
def test_url_round_trip_is_exact(s: Scenario) -> None:
    default = preset("chat", dt.date(2020, 1, 1))
    # through a real URL encoding and decoding
    url_query = urlencode(scenario_to_query(s))
    back, ignored = scenario_from_query(parse_qs(url_query, keep_blank_values=True), default)
    assert ignored == []
    assert back == s


def test_url_is_compact() -> None:
    assert len(urlencode(scenario_to_query(preset("agentic-coding", AS_OF)))) < 1500


def test_tampered_url_falls_back_field_by_field() -> None:
    default = preset("chat", AS_OF)
    q = scenario_to_query(preset("rag-long-docs", AS_OF))
    q.update(
        {
            "rpd": "-5",  # negative
            "ch": "1.7",  # outside [0, 1]
            "pwd": "1,2,3",  # not 24 hours
            "tz": "Nowhere/City",
            "api": "deepseek:deepseek-v4-pro:custom",  # custom without prices
            "d": "2026-13-45",
            "evil": "=1+1",  # unknown key
        }
    )
    s, ignored = scenario_from_query(q, default)
    assert set(ignored) == {"rpd", "ch", "pwd", "tz", "api", "d", "evil"}
    rag = preset("rag-long-docs", AS_OF).workload
    assert s.workload.requests_per_day == default.workload.requests_per_day  # fallen back
    assert s.workload.cache_hit_fraction == default.workload.cache_hit_fraction
    assert s.workload.timezone == default.workload.timezone
    assert s.workload.prompt_tokens == rag.prompt_tokens  # valid fields kept
    assert s.api_options == default.api_options
    assert s.as_of == default.as_of


def test_partial_url_takes_defaults_silently() -> None:
    default = preset("chat", AS_OF)
    s, ignored = scenario_from_query({"pt": "9000"}, default)
    assert ignored == []
    assert s == default.model_copy(
        update={"workload": default.workload.model_copy(update={"prompt_tokens": 9000})}
    )


def test_oversized_url_value_is_ignored() -> None:
    default = preset("chat", AS_OF)
    s, ignored = scenario_from_query({"n": "x" * 10_000}, default)
    assert ignored == ["n"] and s == default


# ---- presets -----------------------------------------------------------------------------------------------


def test_presets_are_valid_and_state_their_assumptions() -> None:
    assert preset_names() == [
        "chat", "rag-long-docs", "agentic-coding", "doc-analysis-1m", "overnight-batch", "support-mix"
    ]  # fmt: skip
    for name in preset_names():
        s = preset(name, AS_OF)
        assert s.name == name and s.as_of == AS_OF
        assert s.description.endswith(".") and s.description.count(". ") == 0  # one sentence
        assert s.api_options and s.self_host_options


def test_agentic_preset_has_long_cached_context_and_doc_preset_is_near_1m() -> None:
    agentic = preset("agentic-coding", AS_OF).workload
    assert agentic.prompt_tokens >= 100_000 and agentic.cache_hit_fraction >= 0.8
    doc = preset("doc-analysis-1m", AS_OF).workload
    assert 512 * 1024 < doc.prompt_tokens + doc.output_tokens <= 1024 * 1024


def test_unknown_preset() -> None:
    with pytest.raises(ScenarioError, match="unknown preset 'nope'; known: chat"):
        preset("nope", AS_OF)


def test_every_option_field_travels_in_the_url_and_the_app_editor() -> None:
    """Review finding: a field added to SelfHostOption (attention_layout) was silently dropped by the URL
    and by the calculator's editor. Both hand-kept lists must cover every field of the models."""
    import importlib

    from costmodel.views.links import query as sc

    assert set(sc._SELF_HOST_FIELDS) == set(SelfHostOption.model_fields)
    assert set(sc._API_FIELDS) == set(ApiOption.model_fields)
    calc_state = importlib.import_module("app_pages.calc_state")
    assert set(calc_state.SELF_HOST_EDITOR_COLUMNS) == set(SelfHostOption.model_fields)


def test_a_rental_rule_and_provider_travel_in_the_url() -> None:
    """The rental_rule and rental_provider go through a link and back (the provider percent-quoted, as
    ':' and ',' separate cells); an option at the default rule writes the link it wrote before."""
    from costmodel.views.links.query import scenario_from_query, scenario_to_query

    s = preset("chat", AS_OF)
    sh = s.self_host_options[0]
    picked = sh.model_copy(update={"rental_rule": "provider", "rental_provider": "Acme: GPUs, Inc. 100%"})
    s2 = s.model_copy(update={"self_host_options": (picked, *s.self_host_options[1:])})
    q = scenario_to_query(s2)
    assert "Acme%3A GPUs%2C Inc. 100%25" in q["sh"]
    back, ignored = scenario_from_query(q, s)
    assert ignored == [] and back.self_host_options == s2.self_host_options
    assert ":latest" not in scenario_to_query(s)["sh"]
