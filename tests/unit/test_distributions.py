"""Log-normal prompt histograms (costmodel.workload.distributions) against the log-normal's closed forms, and billed per
bucket at MiniMax M3's 512K tier as the closed-form partial expectations say."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from costmodel.catalog import load_catalogue
from costmodel.pricing.bill import api_bill
from costmodel.workload.distributions import lognormal_prompt_histogram, with_lognormal_prompts
from costmodel.workload.scenario import ApiOption, Workload

Z95 = 1.6448536269514722
#: The histogram covers the log-normal up to its 99.99th percentile (costmodel.workload.distributions).
Z_KEPT = 3.719016485455709


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_histogram_has_the_lognormal_mean_and_cdf() -> None:
    mu, sigma = math.log(3000), (math.log(20_000) - math.log(3000)) / Z95
    hist = lognormal_prompt_histogram(3000, 20_000)
    kept = _phi(Z_KEPT)  # the log-normal cut at its 99.99th percentile: E[X | X <= q], P(X <= t | X <= q)
    assert sum(b.share for b in hist) == pytest.approx(1.0, abs=1e-12)
    assert sum(b.share * b.prompt_tokens for b in hist) == pytest.approx(
        math.exp(mu + sigma**2 / 2) * _phi(Z_KEPT - sigma) / kept, rel=1e-6
    )
    # buckets (0, 1K], (1K, 2K], (2K, 4K]: P(X <= 4096)
    assert sum(b.share for b in hist[:3]) == pytest.approx(
        _phi((math.log(4096) - mu) / sigma) / kept, abs=1e-9
    )
    assert all(b.prompt_tokens > 0 for b in hist)


def test_billed_per_bucket_at_the_512k_tier_as_the_partial_expectations_say() -> None:
    # MiniMax M3 list (data/prices.yaml): input 0.30 USD/M up to 524,288 prompt tokens, 0.60 above; output 1.20 /
    # 2.40. Log-normal prompts, median 300,000, p95 900,000 tokens; 1,000 requests a day, 30 days, 100-token
    # outputs, no cache. Since 2^19 is a bucket edge, the bill is
    #   30,000 x [0.30 E[X; X <= 2^19] + 0.60 E[X; X > 2^19]] / 1e6 + 30,000 x 100 x [1.20 P(X <= 2^19) + 2.40 P(>)] / 1e6
    # with E[X; X <= t] = exp(mu + sigma^2 / 2) Phi((ln t - mu - sigma^2) / sigma), of the log-normal cut at its
    # 99.99th percentile q (the histogram's end): E[X | X <= q] and P(X <= t | X <= q)
    mu, sigma = math.log(300_000), (math.log(900_000) - math.log(300_000)) / Z95
    t = math.log(2**19)
    kept = _phi(Z_KEPT)
    mean = math.exp(mu + sigma**2 / 2) * _phi(Z_KEPT - sigma) / kept
    below_tokens = math.exp(mu + sigma**2 / 2) * _phi((t - mu - sigma**2) / sigma) / kept
    p_below = _phi((t - mu) / sigma) / kept
    expected = (
        30_000 * (0.30 * below_tokens + 0.60 * (mean - below_tokens)) / 1e6
        + 30_000 * 100 * (1.20 * p_below + 2.40 * (1 - p_below)) / 1e6
    )
    w = with_lognormal_prompts(
        Workload(requests_per_day=1000, prompt_tokens=1, output_tokens=100, days_per_month=30),
        300_000,
        900_000,
    )
    bill = api_bill(
        ApiOption(provider="minimax", model="minimax-m3"), w, load_catalogue(), dt.date(2026, 11, 28)
    )
    assert bill.monthly_cost_usd == pytest.approx(expected, rel=1e-6)
    assert (
        bill.reason
    )  # some prompts are longer than MiniMax M3's 1M-token window: the table will not rank it


@pytest.mark.parametrize(("p50", "p95", "message"), [(0, 10, "median"), (100, 50, "above the median")])
def test_bad_shapes_are_refused(p50: float, p95: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        lognormal_prompt_histogram(p50, p95)


def test_a_far_tail_of_one_request_in_a_million_does_not_make_an_ordinary_shape_unservable() -> None:
    """Review 2026-11-29: median 3K, p95 20K kept buckets down to 7e-9 of the requests, up to 2.5M tokens, so every
    DeepSeek option (1M window) and every self-hosting option was 'cannot serve' and the verdict named the one API
    whose window is unknown. The histogram now stops at the log-normal's 99.99th percentile."""
    import datetime as dt

    from costmodel.evaluate.evaluation import evaluate
    from costmodel.workload.presets import preset

    mu, sigma = math.log(3000), (math.log(20_000) - math.log(3000)) / Z95
    hist = lognormal_prompt_histogram(3000, 20_000)
    assert max(b.prompt_tokens for b in hist) <= math.exp(mu + 3.719016485455709 * sigma) * (1 + 1e-9)
    s = preset("chat", dt.date(2026, 11, 20))
    s = s.model_copy(update={"workload": with_lognormal_prompts(s.workload, 3000, 20_000)})
    table = evaluate(s, load_catalogue()).table
    v4 = table[table["model"].astype(str).str.startswith("deepseek-v4") | (table["kind"] == "self_host")]
    assert len(v4) >= 4
    assert v4["feasible"].astype(bool).all(), v4[["option", "reason"]].to_string()
