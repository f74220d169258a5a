"""Share links carry the request classes (URL key ``cl``, :mod:`costmodel.views.links.classes`): a scenario with classes
comes back equal; a bad ``cl`` is named in one line and the rest of the link is restored; a mix too long for a
URL value is left out (the link then carries the mean workload, and :func:`classes_link_problem` says why); links
without classes are byte-identical to those written before the key existed."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlencode

import pytest

from costmodel.views.links.classes import classes_link_problem, classes_text, classes_text_problem
from costmodel.views.links.query import scenario_from_query, scenario_from_query_string, scenario_to_query
from costmodel.workload.distributions import with_lognormal_prompts
from costmodel.workload.mix import with_classes
from costmodel.workload.presets import preset
from costmodel.workload.scenario import PromptBucket, RequestClass, Scenario
from costmodel.workload.scenario.base import MAX_QUERY_VALUE_CHARS
from costmodel.workload.scenario.model import MAX_CLASSES

AS_OF = dt.date(2026, 10, 1)
DEFAULT = preset("chat", dt.date(2020, 1, 1))


def _through_url(q: dict[str, str]) -> tuple[Scenario, list[str]]:
    return scenario_from_query(parse_qs(urlencode(q), keep_blank_values=True), DEFAULT)


def _custom_mix() -> Scenario:
    """Classes with what a link must carry beyond the table: an explicit histogram, a log-normal one, a profile
    that is none of the named ones (float weights, weekend weight), a reasoning multiplier, awkward names."""
    base = preset("chat", AS_OF)
    hist = (
        PromptBucket(share=1 / 3, prompt_tokens=1000),
        PromptBucket(share=1 / 6, prompt_tokens=2000),
        PromptBucket(share=1 / 3, prompt_tokens=3000),
        PromptBucket(share=1 / 6, prompt_tokens=600_000),
    )
    mean = sum(b.share * b.prompt_tokens for b in hist)
    logged = base.workload.model_copy(
        update={
            "prompt_tokens": round(mean),
            "prompt_histogram": hist,
            "hourly_profile_weekday": tuple(0.1 * (h + 1) for h in range(24)),
            "hourly_profile_weekend": tuple(1 / (h + 3) for h in range(24)),
            "weekend_day_weight": 0.37,
            "timezone": "Asia/Kolkata",
        }
    )
    agent = with_lognormal_prompts(
        base.workload.model_copy(update={"reasoning_multiplier": 2.5, "timezone": "Europe/Berlin"}),
        40_000,
        300_000,
    )
    classes = (
        RequestClass(name="log|replay; 100% «réel»", share=0.3, workload=logged),
        RequestClass(name="agent:a,b %7C", share=0.6, workload=agent),
        RequestClass(name="chat", share=0.1, workload=base.workload),
    )
    return with_classes(base.model_copy(update={"monthly_growth_fraction": 0.05}), classes)


def test_the_support_mix_preset_round_trips_through_a_link() -> None:
    s = preset("support-mix", AS_OF)
    q = scenario_to_query(s)
    assert q["cl"] == (
        "chat|0.75|1500|400|0.5|evening|America/New_York;"
        "help-centre RAG|0.2|20000|600|0.1|business hours|America/New_York;"
        "nightly summaries|0.05|4000|300|0.25|nightly batch|UTC"
    )
    back, ignored = _through_url(q)
    assert ignored == []
    assert back == s and [c.name for c in back.classes] == ["chat", "help-centre RAG", "nightly summaries"]
    assert classes_link_problem(s) == ""


def test_a_custom_mix_with_histograms_profiles_and_reasoning_round_trips_exactly() -> None:
    s = _custom_mix()
    q = scenario_to_query(s)
    items = q["cl"].split(";")
    assert len(items) == 3
    assert items[1].split("|")[7] == "ln:40000:300000" and items[1].split("|")[8] == "2.5"
    assert items[0].split("|")[7].count(",") == 3  # the log's four buckets, every one
    back, ignored = _through_url(q)
    assert ignored == []
    assert back == s
    assert back.classes[0].workload.prompt_histogram == s.classes[0].workload.prompt_histogram
    assert back.classes[0].name == "log|replay; 100% «réel»"
    # and again: the link of the restored scenario is the same link
    assert scenario_to_query(back) == q
    assert classes_text_problem(back, q["cl"]) == ""


def test_a_link_without_classes_is_byte_identical_and_an_old_mix_link_loads_its_mean() -> None:
    from test_query_distributions import OLD_URL  # written before the distribution (and class) keys existed

    rag = preset("rag-long-docs", AS_OF)
    # the preset now self-hosts V4.1-Flash (the weights behind the Flash API after 2026-09-10); with
    # the V4-Flash row OLD_URL was written with, the link is the same bytes
    was = tuple(
        o.model_copy(update={"model": "deepseek-v4-flash"}) if o.model == "deepseek-v4.1-flash" else o
        for o in rag.self_host_options
    )
    assert was != rag.self_host_options
    assert urlencode(scenario_to_query(rag.model_copy(update={"self_host_options": was}))) == OLD_URL
    assert "cl" not in scenario_to_query(rag)
    # a support-mix link written before 'cl' existed: the mean workload, one class, nothing reported
    s = preset("support-mix", AS_OF)
    old = {k: v for k, v in scenario_to_query(s).items() if k != "cl"}
    back, ignored = _through_url(old)
    assert ignored == [] and not back.classes and back.workload == s.workload


def _mean_only(s: Scenario) -> Scenario:
    """What the link restores when ``cl`` is refused: the scenario without its classes (their mean workload)."""
    return s.model_copy(update={"classes": ()})


@pytest.mark.parametrize(
    ("cl", "named"),
    [
        ("chat|0.75|1500|400|0.5|evening|America/New_York", "shares sum to 0.75"),
        ("chat|0.5|1500|400|0.5|evening|UTC;chat|0.5|10|4|0|flat|UTC", "given twice"),
        ("a|1|1500|400|1.5|flat|UTC", "request class 1 ('a'): field workload.cache_hit_fraction"),
        ("a|1|1.5|400|0|flat|UTC", "field workload.prompt_tokens"),
        ("a|nan|1500|400|0|flat|UTC", "field share"),
        ("a|1|1500|400|0|true|UTC", "profile: 'true' is neither one of flat"),
        ("a|1|1500|400|0|1,2:1:1|UTC", "24 comma-separated numbers"),
        ("a|1|1500|400|0|flat|Mars/Olympus", "timezone"),
        ("a|1|1500|400|0|flat|UTC|ln:300000:40000", "prompt histogram: a log-normal"),
        ("a|1|1500|400|0|flat|UTC|0.5:1000,0.5:3000", "mean"),
        ("a|1|1500|400|0|flat|UTC||0.5", "reasoning_multiplier"),
        ("a|1|1500", "3 fields"),
        ("%ff%fe|1|1500|400|0|flat|UTC", "not valid UTF-8"),
        (";".join(f"c{i}|0.04|10|1|0|flat|UTC" for i in range(25)), f"25 classes; at most {MAX_CLASSES}"),
        ("|1|1500|400|0|flat|UTC", "field name"),
    ],
)
def test_a_bad_classes_value_is_named_in_one_line_and_the_rest_restored(cl: str, named: str) -> None:
    s = preset("support-mix", AS_OF)
    q = {**scenario_to_query(s), "cl": cl}
    back, ignored = _through_url(q)
    assert ignored == ["cl"]
    assert back == _mean_only(s)  # every other key restored: the name, volume, options, the mean workload
    why = classes_text_problem(back, cl)  # what the page says next to the key
    assert named in why and "\n" not in why, why


def test_an_oversized_classes_value_is_refused_whole() -> None:
    s = preset("support-mix", AS_OF)
    q = {**scenario_to_query(s), "cl": "x" * (MAX_QUERY_VALUE_CHARS + 1)}
    back, ignored = _through_url(q)
    assert ignored == ["cl"] and back == _mean_only(s)
    assert classes_text_problem(back, q["cl"]) == "4,001 characters, more than the 4,000 a URL value may have"
    # and through the raw query string, as the page may read it
    back2, ignored2 = scenario_from_query_string(urlencode(q), DEFAULT)
    assert ignored2 == ["cl"] and back2 == back


def test_a_mix_too_long_for_a_link_is_left_out_and_says_why() -> None:
    base = preset("chat", AS_OF)
    odd = base.workload.model_copy(
        update={"hourly_profile_weekday": tuple(1 / (h + 7) for h in range(24)),
                "hourly_profile_weekend": tuple(1 / (h + 11) for h in range(24))}
    )  # fmt: skip
    classes = tuple(
        RequestClass(name=f"class {i:02d}", share=1 / MAX_CLASSES, workload=odd) for i in range(MAX_CLASSES)
    )
    s = with_classes(base, classes)
    assert len(classes_text(s)) > MAX_QUERY_VALUE_CHARS
    problem = classes_link_problem(s)
    assert problem.startswith(f"the {MAX_CLASSES} request classes need ") and "4,000" in problem
    q = scenario_to_query(s)
    assert "cl" not in q  # the mean workload only, as before the key existed
    back, ignored = _through_url(q)
    assert ignored == [] and back == _mean_only(s)
