"""costmodel.workload.prompt_shape: the log-normal's bounds, the histogram's chart frame, and the URL text of a prompt
histogram (compact for a log-normal, exact for any histogram, bounded in length)."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from costmodel.views.charts import traffic as traffic_charts
from costmodel.workload.distributions import lognormal_prompt_histogram, with_lognormal_prompts
from costmodel.workload.presets import preset
from costmodel.workload.prompt_shape import (
    MAX_HISTOGRAM_TEXT_CHARS,
    histogram_frame,
    histogram_text,
    lognormal_from_text,
    lognormal_parameters,
    lognormal_problem,
    made_lognormal,
    workload_from_histogram_text,
)
from costmodel.workload.scenario import MAX_TOKENS_PER_REQUEST, PromptBucket, Workload
from costmodel.workload.scenario.base import MAX_QUERY_VALUE_CHARS
from costmodel.workload.scenario.model import MAX_PROMPT_BUCKETS

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
    # parameters that do not rebuild it (edited since): the ones that do are found (lognormal_parameters)
    assert histogram_text(w, (3000, 30_000)) == histogram_text(w) == "ln:3000:20000"
    # a histogram that is no whole-token log-normal (here: one share moved by 1e-12) travels bucket by bucket
    hist = list(w.prompt_histogram)
    hist[0] = PromptBucket(share=hist[0].share + 1e-12, prompt_tokens=hist[0].prompt_tokens)
    hist[1] = PromptBucket(share=hist[1].share - 1e-12, prompt_tokens=hist[1].prompt_tokens)
    near = Workload.model_validate({**w.model_dump(), "prompt_histogram": hist})
    explicit = histogram_text(near, (3000, 20_000))
    assert not explicit.startswith("ln:") and explicit.count(",") == len(hist) - 1
    assert Workload.model_validate(workload_from_histogram_text(near.model_dump(), explicit)) == near


def _cases() -> list[tuple[int, int]]:
    """Whole-token (median, p95) pairs: a grid and 300 drawn with a fixed seed, medians 1..8M, p95/p50 1.1..1000."""
    import random

    rng = random.Random(14)
    grid = [(p50, round(p50 * r)) for p50 in (1, 50, 777, 3000, 40_960, 300_000, 5_000_000)
            for r in (1.5, 4, 10, 50, 1000)]  # fmt: skip
    drawn = [(a, round(a * 10 ** rng.uniform(0.05, 3))) for a in (rng.randint(1, 2**23) for _ in range(300))]
    return [(a, b) for a, b in grid + drawn if a < b <= MAX_TOKENS_PER_REQUEST]


def test_lognormal_parameters_are_found_exactly_or_not_at_all() -> None:
    found = tellable = 0
    for p50, p95 in _cases():
        w = with_lognormal_prompts(W, p50, p95)
        got = lognormal_parameters(w)
        assert got in (None, (p50, p95))  # never another pair (each candidate is checked by rebuilding it)
        if len(w.prompt_histogram) >= 3:  # one or two buckets cannot tell a median from a spread
            tellable += 1
            found += got is not None
    assert tellable >= 100 and found >= 0.9 * tellable, (found, tellable)  # measured: 104 of 108


def test_a_usage_log_histogram_is_not_taken_for_a_lognormal() -> None:
    from costmodel.workload.usage_log import import_log

    log = import_log(Path(__file__).resolve().parents[1] / "data" / "usage_logs" / "generic.csv")
    w = log.workload()
    assert len(w.prompt_histogram) == 4 and lognormal_parameters(w) is None
    assert not histogram_text(w).startswith("ln:")


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


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.floats(1e-12, 1.0), min_size=2, max_size=15),
    st.integers(0, 14),
    st.floats(0.0, 1.0),
)
def test_finding_parameters_never_fails_on_a_bucketed_histogram(
    weights: list[float], first: int, at: float
) -> None:
    """Histograms on the log-normal's buckets (one per interval, in order) with any shares: None or an exact pair,
    never an exception (the fit meets extreme shares, huge or tiny spreads)."""
    total = math.fsum(weights)
    k = range(first, min(first + len(weights), 15))
    tokens = [
        (2.0 ** (9 + i) if i else 0.0) + at * (2.0 ** (10 + i) - (2.0 ** (9 + i) if i else 0.0)) for i in k
    ]
    tokens = [max(t, 1.0) for t in tokens]
    hist = tuple(
        PromptBucket(share=w / total, prompt_tokens=t) for w, t in zip(weights, tokens, strict=False)
    )
    shares = math.fsum(b.share for b in hist)
    hist = (*hist[:-1], PromptBucket(share=hist[-1].share + 1 - shares, prompt_tokens=hist[-1].prompt_tokens))
    mean = math.fsum(b.share * b.prompt_tokens for b in hist)
    try:
        w = Workload.model_validate(
            {**W.model_dump(), "prompt_tokens": max(1, round(mean)), "prompt_histogram": hist}
        )
    except ValueError:
        assume(False)
        return
    got = lognormal_parameters(w)
    assert got is None or made_lognormal(w, *got)
