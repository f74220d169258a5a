"""Request mixes (costmodel.workload.mix): a mix of two classes bills to the sum of the two single-class bills, each class
at its own context tier and peak-hour share."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from costmodel.catalog import load_catalogue
from costmodel.pricing.bill import api_bill
from costmodel.pricing.mix_bill import mix_api_bill
from costmodel.workload.mix import RequestClass, RequestMix, classes_from_rows
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption, PromptBucket, Scenario, ScenarioError, Workload
from costmodel.workload.usage_log import import_log_bytes, scenario_from_import

DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def cat():  # type: ignore[no-untyped-def]
    return load_catalogue()


def _chat_and_rag() -> RequestMix:
    chat = preset("chat", DAY).workload  # evening traffic in New York, 1,500-token prompts
    rag = preset("rag-long-docs", DAY).workload  # office hours in Berlin, 60,000-token prompts
    return RequestMix(
        requests_per_day=100_000,
        classes=(RequestClass(name="chat", share=0.8, workload=chat), RequestClass(name="rag", share=0.2, workload=rag)),
    )  # fmt: skip


@pytest.mark.parametrize(
    "option",
    [
        ApiOption(provider="deepseek", model="deepseek-v4-pro"),  # peak/off-peak windows: profiles matter
        ApiOption(provider="minimax", model="minimax-m3"),
        ApiOption(provider="anthropic", model="claude-opus-4.6"),
    ],
)
def test_two_classes_bill_to_the_sum_of_two_single_class_bills(cat, option: ApiOption) -> None:  # type: ignore[no-untyped-def]
    mix = _chat_and_rag()
    chat = preset("chat", DAY).workload.model_copy(update={"requests_per_day": 80_000.0})
    rag = preset("rag-long-docs", DAY).workload.model_copy(update={"requests_per_day": 20_000.0})
    single = (
        api_bill(option, chat, cat, DAY).monthly_cost_usd + api_bill(option, rag, cat, DAY).monthly_cost_usd
    )
    bill = mix_api_bill(option, mix, cat, DAY)
    assert bill.monthly_cost_usd == pytest.approx(single, rel=1e-12)
    assert [n for n, _ in bill.per_class] == ["chat", "rag"]
    # requests: 80,000 + 20,000 a day, each class's own lengths
    months = chat.days_per_month
    assert bill.monthly_tokens == pytest.approx(
        months * (80_000 * (1_500 + 400) + 20_000 * (60_000 + 800)), rel=1e-12
    )


def test_a_mix_differing_only_in_prompt_length_bills_as_the_histogram(cat) -> None:  # type: ignore[no-untyped-def]
    # the step-4 hand computation (tests/unit/test_prompt_histogram.py): 75% at 200,000 tokens, 25% at 800,000
    # on MiniMax M3, 1,000 requests a day for 30 days: 4,995 USD a month, as two classes
    def w(prompt: int, hist: tuple[PromptBucket, ...] = ()) -> Workload:
        return Workload(
            requests_per_day=1000, prompt_tokens=prompt, output_tokens=1000, days_per_month=30,
            prompt_histogram=hist,
        )  # fmt: skip

    mix = RequestMix(
        requests_per_day=1000,
        classes=(
            RequestClass(name="short", share=0.75, workload=w(200_000)),
            RequestClass(name="long", share=0.25, workload=w(800_000)),
        ),
    )
    minimax = ApiOption(provider="minimax", model="minimax-m3")
    assert mix_api_bill(minimax, mix, cat, DAY).monthly_cost_usd == pytest.approx(4_995.0, rel=1e-12)
    hist = (PromptBucket(share=0.75, prompt_tokens=200_000), PromptBucket(share=0.25, prompt_tokens=800_000))
    assert api_bill(minimax, w(350_000, hist), cat, DAY).monthly_cost_usd == pytest.approx(4_995.0, rel=1e-12)


def test_a_class_the_api_cannot_serve_is_named(cat) -> None:  # type: ignore[no-untyped-def]
    mix = RequestMix(
        requests_per_day=500,
        classes=(
            RequestClass(name="chat", share=0.5, workload=preset("chat", DAY).workload),
            RequestClass(name="whole books", share=0.5, workload=preset("doc-analysis-1m", DAY).workload),
        ),
    )
    bill = mix_api_bill(ApiOption(provider="moonshot", model="kimi-k2.6"), mix, cat, DAY)
    assert [name for name, _ in bill.reasons] == ["whole books"]


def test_bad_mixes_are_refused() -> None:
    w = preset("chat", DAY).workload
    with pytest.raises(ValueError, match=r"shares sum to 0\.9"):
        RequestMix(requests_per_day=1, classes=(RequestClass(name="a", share=0.9, workload=w),))
    with pytest.raises(ValueError, match="given twice: a"):
        RequestMix(
            requests_per_day=1,
            classes=(
                RequestClass(name="a", share=0.5, workload=w),
                RequestClass(name="a", share=0.5, workload=w),
            ),
        )
    with pytest.raises(ValueError):
        RequestMix(requests_per_day=1, classes=())


# ---- the Calculator's class table and a usage log over a mix ----------------------------------------------

TOTAL = Workload(requests_per_day=1000, prompt_tokens=1000, output_tokens=100, timezone="Europe/Paris")
ROW = {"name": "chat", "share_pct": 100.0, "prompt_tokens": 1000, "output_tokens": 100, "cache_hit_fraction": 0.0,
       "profile": "flat", "timezone": "UTC"}  # fmt: skip


def test_a_cleared_time_zone_cell_takes_the_workloads_not_nan() -> None:
    """The class table (:func:`classes_from_rows`) hands a cleared text cell over as NaN: 'unknown time zone 'nan'' named no real value."""
    (c,) = classes_from_rows([{**ROW, "timezone": math.nan}], TOTAL)
    assert c.workload.timezone == "Europe/Paris"


def test_a_cleared_profile_cell_is_named_empty_not_nan() -> None:
    with pytest.raises(ScenarioError, match=r"profile: 'empty' is not one of"):
        classes_from_rows([{**ROW, "profile": math.nan}], TOTAL)


def test_a_usage_log_imported_over_a_mix_replaces_the_mix() -> None:
    """The Calculator imports a log over the current scenario: a mix kept its classes (model_copy, not validated),
    so the log's lengths, histogram and profile were silently replaced by the classes' while its report was shown."""
    path = Path(__file__).resolve().parents[1] / "data" / "usage_logs" / "generic.csv"
    log = import_log_bytes(path.read_bytes(), path.name, "auto", timezone="UTC")
    mix = preset("support-mix", dt.date(2026, 11, 20))
    assert mix.classes
    s = scenario_from_import(log, mix)
    assert s.classes == ()
    assert s.workload == log.workload()
    assert Scenario.model_validate(s.model_dump()) == s  # a valid scenario, as loaded
