"""The import reproduces a synthetic log's known hourly profile and length distribution
(benchmarks/usage_log_gen.py; the 10-million-row run is benchmarks/bench_usage_log.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from benchmarks.usage_log_gen import (
    CACHED_SHARE,
    DAYS,
    OUTPUT_MU,
    OUTPUT_SIGMA,
    PROFILE,
    expected_hour_counts,
    generate,
    lognormal_share,
)
from costmodel.workload.usage_log import import_log

N = 56_000  # 2,000 rows a day for 28 days


@pytest.fixture(scope="module", params=["csv", "parquet"])
def log(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = Path(tmp_path_factory.mktemp("gen")) / f"log.{request.param}"
    generate(path, N)
    return import_log(path, threads=1)


def test_every_row_read_and_used(log) -> None:  # type: ignore[no-untyped-def]
    assert (log.rows_read, log.rows_used, log.requests) == (N, N, N)
    assert log.days == DAYS and log.requests_per_day == N / DAYS


def test_hourly_profile_is_the_generators_exactly(log) -> None:  # type: ignore[no-untyped-def]
    grid = np.asarray(log.weekday_hour_requests)
    np.testing.assert_array_equal(grid, expected_hour_counts(N))
    # and that is the profile it was built from: 2,000 rows a day split by PROFILE / sum, to within one row
    per_hour = grid.sum(axis=0) / DAYS
    np.testing.assert_allclose(per_hour, 2000 * np.asarray(PROFILE) / sum(PROFILE), atol=1.0)
    w = log.workload()
    assert w.weekend_day_weight == 1.0  # every day has the same rows
    weekdays = expected_hour_counts(N)[:5].sum(axis=0)
    # the scenario's profile: mean hour = 1, four decimals
    np.testing.assert_allclose(w.hourly_profile_weekday, 24 * weekdays / weekdays.sum(), atol=5e-5)


def test_length_distribution_is_the_generators(log) -> None:  # type: ignore[no-untyped-def]
    # each histogram bucket's share against the log-normal's probability of that interval; with 56,000 draws
    # the standard error of a share p is sqrt(p (1 - p) / N) <= 0.0021: 0.01 is more than 4.7 of them
    for b in log.prompt_histogram:
        assert b.requests / N == pytest.approx(lognormal_share(b.lower_tokens, b.upper_tokens), abs=0.01)
    for b in log.output_histogram:
        expected = lognormal_share(b.lower_tokens, b.upper_tokens, OUTPUT_MU, OUTPUT_SIGMA)
        assert b.requests / N == pytest.approx(expected, abs=0.01)
    assert sum(b.requests for b in log.prompt_histogram) == N
    # mean of ceil(X), X log-normal: exp(mu + sigma^2 / 2) + about 0.5
    assert log.mean_output_tokens == pytest.approx(math.exp(OUTPUT_MU + OUTPUT_SIGMA**2 / 2) + 0.5, rel=0.02)
    # floor(0.4 p) / p: 0.4 less under one token per prompt
    assert CACHED_SHARE - 1e-3 < log.cache_hit_fraction <= CACHED_SHARE
