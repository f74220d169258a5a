"""costmodel.prompt_shape: the log-normal's bounds, the histogram's chart frame, and the URL text of a prompt
histogram (compact for a log-normal, exact for any histogram, bounded in length)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from costmodel import traffic_charts
from costmodel.distributions import lognormal_prompt_histogram, with_lognormal_prompts
from costmodel.presets import preset
from costmodel.prompt_shape import (
    MAX_HISTOGRAM_TEXT_CHARS,
    histogram_frame,
    histogram_text,
    lognormal_from_text,
    lognormal_problem,
    made_lognormal,
    workload_from_histogram_text,
)
from costmodel.scenario import MAX_TOKENS_PER_REQUEST, PromptBucket, Workload
from costmodel.scenario.model import MAX_PROMPT_BUCKETS, MAX_QUERY_VALUE_CHARS

W = preset("chat", dt.date(2026, 11, 1)).workload


@pytest.mark.parametrize(
    ("p50", "p95", "which", "words"),
    [
        (0, 10, "p50", "between 1 and 16,777,216"),
        (float("nan"), 10, "p50", "between 1"),
        (2**25, 2**26, "p50", "between 1"),
        (100, 100, "p95", "above the median"),
        (100, 50, "p95", "above the median"),
        (100, 2**24 + 1, "p95", "at most 16,777,216"),
        (100, float("inf"), "p95", "at most"),
    ],
)
def test_lognormal_problems_name_the_value(p50: float, p95: float, which: str, words: str) -> None:
    problem = lognormal_problem(p50, p95)
    assert problem is not None and problem[0] == which and words in problem[1]


def test_a_good_lognormal_has_no_problem() -> None:
    assert lognormal_problem(3000, 20_000) is None
    assert lognormal_problem(1, MAX_TOKENS_PER_REQUEST) is None


def test_histogram_frame_merges_into_power_of_two_buckets_and_draws_with_units() -> None:
    hist = lognormal_prompt_histogram(3000, 20_000)
    df = histogram_frame(hist, requests_per_day=1000.0)
    assert df["share"].sum() == pytest.approx(1.0)
    assert df["requests"].sum() == pytest.approx(1000.0)  # requests per day
    # every bucket's mean lies inside its interval, which is (2^(9+k), 2^(10+k)] tokens
    assert ((df["mean_tokens"] > df["lower_tokens"]) & (df["mean_tokens"] <= df["upper_tokens"])).all()
    assert df.iloc[0]["bucket"] == "0–1K" and df.iloc[2]["bucket"] == "2K–4K"
    # two buckets of one interval (a log's clamped means) are one bar
    two = (PromptBucket(share=0.5, prompt_tokens=1500), PromptBucket(share=0.5, prompt_tokens=1900))
    merged = histogram_frame(two, 10.0)
    assert len(merged) == 1 and merged.iloc[0]["mean_tokens"] == pytest.approx(1700)
    spec = traffic_charts.log_length_chart(df, requests_title="requests/day").to_dict()  # validates the spec
    assert spec["encoding"]["x"]["title"] == "prompt tokens per request (K = 1,024)"
    assert spec["encoding"]["y"]["title"] == "share of requests"
    assert {"title": "requests/day", "field": "requests", "type": "quantitative", "format": ",.0f"} in spec[
        "encoding"
    ]["tooltip"]


def test_a_lognormal_travels_as_its_two_parameters() -> None:
    w = with_lognormal_prompts(W, 3000, 20_000)
    assert made_lognormal(w, 3000, 20_000) and not made_lognormal(w, 3000, 20_001)
    assert not made_lognormal(W, 3000, 20_000)  # no histogram at all
    text = histogram_text(w, (3000, 20_000))
    assert text == "ln:3000:20000"
    assert lognormal_from_text(text) == (3000, 20_000)
    back = Workload.model_validate(workload_from_histogram_text(W.model_dump(), text))
    assert back == w
    # parameters that do not rebuild it (edited since): every bucket instead, still exact
    explicit = histogram_text(w, (3000, 30_000))
    assert not explicit.startswith("ln:")
    assert Workload.model_validate(workload_from_histogram_text(w.model_dump(), explicit)) == w


def test_explicit_histograms_round_trip_exactly_and_the_largest_fits_a_url_value() -> None:
    assert MAX_HISTOGRAM_TEXT_CHARS <= MAX_QUERY_VALUE_CHARS
    # the longest texts floats can have: 17 significant digits and a 3-digit exponent
    share = 1.0 / MAX_PROMPT_BUCKETS
    shares = [share * (1 + 1e-15 * i) for i in range(MAX_PROMPT_BUCKETS - 1)]
    shares.append(1.0 - math.fsum(shares))
    tokens = [1.2345678901234567e-100 * (i + 1) for i in range(MAX_PROMPT_BUCKETS - 1)]
    last = (2000.0 - math.fsum(s * t for s, t in zip(shares, tokens, strict=False))) / shares[-1]
    hist = tuple(PromptBucket(share=s, prompt_tokens=t) for s, t in zip(shares, [*tokens, last], strict=True))
    w = W.model_copy(update={"prompt_histogram": hist, "prompt_tokens": 2000})
    w = Workload.model_validate(w.model_dump())  # a valid workload
    text = histogram_text(w)
    assert 2500 < len(text) <= MAX_HISTOGRAM_TEXT_CHARS
    assert Workload.model_validate(workload_from_histogram_text(w.model_dump(), text)) == w


@pytest.mark.parametrize(
    "text", ["ln:3000", "ln:8000:3000", "ln:x:y", "ln:1:2:3", "0.5:10,0.5", "0.5:1:2", "1:1e999"]
)
def test_bad_histogram_texts_are_refused(text: str) -> None:
    from pydantic import ValidationError

    with pytest.raises((ValueError, ValidationError)):
        Workload.model_validate(workload_from_histogram_text(W.model_dump(), text))
