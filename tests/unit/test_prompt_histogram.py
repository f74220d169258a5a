"""Prompt-length histograms (Workload.prompt_histogram): API bills apply context tiers bucket by bucket; one bucket
bills exactly as today; a histogram straddling MiniMax M3's 512K tier is billed per bucket (hand computation);
scenarios without a histogram serialise as before."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.pricing.bill import api_bill
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import (
    ApiOption,
    PromptBucket,
    ScenarioError,
    Workload,
    scenario_from_text,
    scenario_to_json,
    scenario_to_yaml,
)
from costmodel.workload.usage_log import import_log

DAY = dt.date(2026, 11, 28)
MINIMAX = ApiOption(provider="minimax", model="minimax-m3")


@pytest.fixture(scope="module")
def cat():  # type: ignore[no-untyped-def]
    return load_catalogue()


@pytest.mark.parametrize("name", preset_names())
def test_one_bucket_gives_todays_results_exactly(cat, name: str) -> None:  # type: ignore[no-untyped-def]
    s = preset(name, DAY)
    one = s.model_copy(
        update={
            "workload": s.workload.model_copy(
                update={
                    "prompt_histogram": (PromptBucket(share=1.0, prompt_tokens=s.workload.prompt_tokens),)
                }
            )
        }
    )
    a, b = evaluate(s, cat), evaluate(one, cat)
    pd.testing.assert_frame_equal(a.table, b.table, check_exact=True)
    pd.testing.assert_frame_equal(a.curves, b.curves, check_exact=True)
    pd.testing.assert_frame_equal(a.break_even, b.break_even, check_exact=True)
    for x, y in zip(a.api, b.api, strict=True):
        assert x.bill == y.bill


def _workload(histogram: tuple[PromptBucket, ...], prompt: int) -> Workload:
    return Workload(
        requests_per_day=1000, prompt_tokens=prompt, output_tokens=1000, cache_hit_fraction=0.0,
        days_per_month=30, prompt_histogram=histogram,
    )  # fmt: skip


def test_histogram_straddling_minimax_512k_tier_bills_each_bucket_at_its_tier(cat) -> None:  # type: ignore[no-untyped-def]
    # MiniMax M3 list (data/prices.yaml minimax-m3-list): 0.30 USD/M input (cache miss), 1.20 USD/M output;
    # above 524,288 prompt tokens 0.60 and 2.40. No peak windows. 1,000 requests/day x 30 days = 30,000 a month:
    #   75% at 200,000 tokens: 22,500 x 200,000 = 4,500 Mtok x 0.30 = 1,350; output 22.5 Mtok x 1.20 = 27
    #   25% at 800,000 tokens:  7,500 x 800,000 = 6,000 Mtok x 0.60 = 3,600; output  7.5 Mtok x 2.40 = 18
    #   total 4,995 USD a month
    # The mean prompt (0.75 x 200,000 + 0.25 x 800,000 = 350,000) is below the tier: billed at the mean, every
    # request pays the base price: 10,500 Mtok x 0.30 + 30 Mtok x 1.20 = 3,186 USD.
    hist = (PromptBucket(share=0.75, prompt_tokens=200_000), PromptBucket(share=0.25, prompt_tokens=800_000))
    bill = api_bill(MINIMAX, _workload(hist, 350_000), cat, DAY)
    assert bill.monthly_cost_usd == pytest.approx(4_995.0, rel=1e-12)
    assert bill.monthly_input_cache_miss_usd == pytest.approx(4_950.0, rel=1e-12)
    assert bill.monthly_output_usd == pytest.approx(45.0, rel=1e-12)
    assert bill.context_tier_above_prompt_tokens == 524_288
    assert any("25.0% of requests" in n for n in bill.notes)
    # input rate: prompt-token weighted, (150,000 x 0.30 + 200,000 x 0.60) / 350,000
    assert bill.usd_per_mtok_input == pytest.approx((150_000 * 0.30 + 200_000 * 0.60) / 350_000, rel=1e-12)
    mean_only = api_bill(MINIMAX, _workload((), 350_000), cat, DAY)
    assert mean_only.monthly_cost_usd == pytest.approx(3_186.0, rel=1e-12)
    assert mean_only.context_tier_above_prompt_tokens is None


def test_histogram_at_the_tier_edge_stays_below_it(cat) -> None:  # type: ignore[no-untyped-def]
    # exactly 524,288 tokens is not *above* 524,288: base price. Half at 2 x 262,144: mean 393,216
    hist = (PromptBucket(share=0.5, prompt_tokens=524_288), PromptBucket(share=0.5, prompt_tokens=262_144))
    bill = api_bill(MINIMAX, _workload(hist, 393_216), cat, DAY)
    # 30,000 x 393,216 = 11,796.48 Mtok x 0.30 + 30 Mtok x 1.20
    assert bill.monthly_cost_usd == pytest.approx(11_796.48 * 0.30 + 36.0, rel=1e-12)


def test_longest_bucket_decides_whether_the_model_can_serve(cat) -> None:  # type: ignore[no-untyped-def]
    # 10% of the prompts at 2M tokens: beyond MiniMax M3's 1,048,576-token window, though the mean is not
    hist = (PromptBucket(share=0.9, prompt_tokens=100_000), PromptBucket(share=0.1, prompt_tokens=2_000_000))
    assert api_bill(MINIMAX, _workload(hist, 290_000), cat, DAY).reason
    assert not api_bill(MINIMAX, _workload((), 290_000), cat, DAY).reason


def test_histogram_must_match_the_workload() -> None:
    with pytest.raises(ValueError, match=r"shares sum to 0\.5"):
        _workload((PromptBucket(share=0.5, prompt_tokens=1000),), 1000)
    with pytest.raises(ValueError, match=r"mean is 2,000\.0 tokens but prompt_tokens is 1,000"):
        _workload((PromptBucket(share=1.0, prompt_tokens=2000),), 1000)


def test_files_round_trip_and_old_files_are_unchanged() -> None:
    s = preset("chat", DAY)
    assert "prompt_histogram" not in scenario_to_json(s)  # files and exports written before stay identical
    assert "prompt_histogram" not in scenario_to_yaml(s)
    hist = (PromptBucket(share=0.25, prompt_tokens=3000), PromptBucket(share=0.75, prompt_tokens=1000))
    with_hist = s.model_copy(update={"workload": s.workload.model_copy(update={"prompt_histogram": hist})})
    assert scenario_from_text(scenario_to_json(with_hist)) == with_hist
    assert scenario_from_text(scenario_to_yaml(with_hist)) == with_hist
    bad = scenario_to_json(with_hist).replace('"share": 0.25', '"share": 0.5')
    with pytest.raises(ScenarioError, match="shares sum"):
        scenario_from_text(bad)


def test_log_import_carries_its_prompt_histogram() -> None:
    log = import_log(Path(__file__).resolve().parents[1] / "data" / "usage_logs" / "generic.csv")
    w = log.workload()
    # 4 requests: 1,000 / 3,000 / 600,000 / 2,000 tokens, one per bucket
    assert [(b.share, b.prompt_tokens) for b in w.prompt_histogram] == [
        (0.25, 1000.0), (0.25, 2000.0), (0.25, 3000.0), (0.25, 600_000.0)
    ]  # fmt: skip
    assert w.prompt_tokens == 151_500


def test_self_hosting_memory_holds_the_p99_request_and_the_window_the_longest(cat, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from costmodel.serving import evaluate_option
    from costmodel.serving import layouts as layouts_module
    from costmodel.workload.scenario import SelfHostOption, ServingAssumptions

    flash = SelfHostOption(model="deepseek-v4-flash", gpu="h200")
    seen: list[float] = []
    real = layouts_module.workpoint

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs["max_tokens"])
        return real(*args, **kwargs)

    monkeypatch.setattr(layouts_module, "workpoint", spy)
    # 98% at 2,000 tokens, 2% at 900,000: mean 0.98 x 2,000 + 0.02 x 900,000 = 19,960; the 99th percentile
    # request is in the 900,000 bucket, so the memory plan is sized for a 900,000 + 1,000-token sequence
    hist = (PromptBucket(share=0.98, prompt_tokens=2_000), PromptBucket(share=0.02, prompt_tokens=900_000))
    w = _workload(hist, 19_960)
    assert w.prompt_tokens_at_share(0.99) == 900_000 and w.prompt_tokens_at_share(0.5) == 2_000
    assert not evaluate_option(flash, w, ServingAssumptions(), cat, levels=("base",)).reason
    # the memory plan's work point (the buckets' own work points, prompt + output each, come from the vectorised
    # roofline.workpoints: tests/unit/test_distribution_serving.py)
    assert seen == [901_000]
    seen.clear()
    evaluate_option(flash, _workload((), 19_960), ServingAssumptions(), cat, levels=("base",))
    assert seen == [20_960]  # without a histogram: the mean request's longest sequence, as before
    # 0.5% at 900,000 tokens: the p99 request is in the 2,000 bucket
    hist = (PromptBucket(share=0.995, prompt_tokens=2_000), PromptBucket(share=0.005, prompt_tokens=900_000))
    assert _workload(hist, 6_490).prompt_tokens_at_share(0.99) == 2_000
    # a bucket beyond the model's window (1M): self-hosting cannot serve it either
    hist = (PromptBucket(share=0.9, prompt_tokens=100_000), PromptBucket(share=0.1, prompt_tokens=2_000_000))
    assert evaluate_option(
        flash, _workload(hist, 290_000), ServingAssumptions(), cat, levels=("base",)
    ).reason


def test_the_monte_carlo_bills_the_histogram_as_the_table_does(cat) -> None:  # type: ignore[no-untyped-def]
    """Found in review after merging the usage logs with the uncertainty: the draws billed the mean prompt (3,186 USD) while the table
    billed each bucket at its tier (4,995 USD, the hand computation above). With zero-width ranges every quantile
    must be the table's figure."""
    from costmodel.evaluate.uncertainty import UncertaintyRanges, monte_carlo
    from costmodel.workload.scenario import Scenario

    hist = (PromptBucket(share=0.75, prompt_tokens=200_000), PromptBucket(share=0.25, prompt_tokens=800_000))
    s = Scenario(workload=_workload(hist, 350_000), api_options=(MINIMAX,), as_of=DAY)
    res = monte_carlo(s, cat, draws=200, seed=0, ranges=UncertaintyRanges.zero())
    assert res.quantiles(0) == pytest.approx((4_995.0, 4_995.0, 4_995.0), rel=1e-12)


def test_a_log_averaging_fewer_requests_than_a_scenario_accepts_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Found in review: two requests six years apart (0.0009 a day) crashed the Calculator's upload (the scenario
    refused the rate outside the upload's error handling); now the import says what is wrong."""
    from costmodel.workload.usage_log import UsageLogError

    f = tmp_path / "sparse.csv"
    f.write_text(
        "timestamp,input_tokens,cached_input_tokens,output_tokens\n"
        "2020-01-01T00:00:00Z,100,0,10\n2026-01-01T00:00:00Z,100,0,10\n"
    )
    with pytest.raises(UsageLogError, match=r"requests a day .* fewer than the 0\.001 a scenario accepts"):
        import_log(f).workload()
