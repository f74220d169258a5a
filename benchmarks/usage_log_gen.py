"""A synthetic usage log (generic schema, docs/usage-logs.md) with a known hourly profile and length distribution.

Rows are spread over ``DAYS`` whole days from Monday 2026-0105 (4 weeks), ``ceil(n / DAYS)`` a day (the last day
takes the rest). Inside a day, row ``j`` of ``per_day`` falls in the hour ``h`` whose cumulative share
``PROFILE[:h] / sum`` is at most ``j / per_day``: so the requests per hour are known exactly
(:func:`expected_hour_counts`). Prompt and output lengths are log-normal (``ceil(exp(mu + sigma * z))`` tokens,
``z`` standard normal by Box–Muller from DuckDB's seeded ``random()``), so the share of prompts in any interval is
known (:func:`lognormal_share`). Cached input is ``floor(CACHED_SHARE * prompt)``.

DuckDB writes the file in SQL (10 million rows in seconds, no Python loop over rows).

Run: ``.venv/bin/python benchmarks/usage_log_gen.py OUT.csv|OUT.parquet [N]``.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
from pathlib import Path

import numpy as np

#: Relative traffic of each UTC hour (office hours with an evening tail).
PROFILE = (1, 1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 9, 10, 10, 10, 9, 7, 5, 4, 3, 2, 1, 1)
START = dt.date(2026, 1, 5)  # a Monday
DAYS = 28
PROMPT_MU, PROMPT_SIGMA = math.log(3000.0), 1.2  # median 3,000 tokens
OUTPUT_MU, OUTPUT_SIGMA = math.log(400.0), 0.8  # median 400 tokens
CACHED_SHARE = 0.4
SEED = 0.25  # DuckDB setseed() takes a value in [-1, 1]


def _cumulative() -> list[float]:
    total = float(sum(PROFILE))
    out, acc = [], 0.0
    for w in PROFILE:
        out.append(acc / total)
        acc += w
    return out  # out[h] = share of the day before hour h


def _hour_of(j: np.ndarray, per_day: int) -> np.ndarray:
    """Hour of row ``j`` of a day of ``per_day`` rows (the rule of the SQL below, in numpy)."""
    cum = np.asarray(_cumulative())
    return np.searchsorted(cum, j / per_day, side="right") - 1


def expected_hour_counts(n: int) -> np.ndarray:
    """(7, 24) requests by weekday (Monday first) and UTC hour that :func:`generate` writes for ``n`` rows."""
    per_day = math.ceil(n / DAYS)
    grid = np.zeros((7, 24))
    for day in range(DAYS):
        rows = max(0, min(per_day, n - day * per_day))
        if rows:
            hours = _hour_of(np.arange(rows), per_day)
            grid[day % 7] += np.bincount(hours, minlength=24)
    return grid


def lognormal_share(lo: float, hi: float, mu: float = PROMPT_MU, sigma: float = PROMPT_SIGMA) -> float:
    """Share of ``ceil(exp(mu + sigma z))`` in ``(lo, hi]`` (integers lo, hi): P(lo < X <= hi) of the
    continuous X, since ceil(X) <= hi exactly when X <= hi for an integer hi."""

    def cdf(x: float) -> float:
        return 0.0 if x <= 0 else 0.5 * (1 + math.erf((math.log(x) - mu) / (sigma * math.sqrt(2))))

    return cdf(hi) - cdf(lo)


def generate(path: str | Path, n: int) -> None:
    """Write ``n`` rows to ``path`` (.csv or .parquet) with DuckDB, single-threaded (reproducible)."""
    import duckdb

    path = Path(path)
    per_day = math.ceil(n / DAYS)
    hour_sql = " + ".join(f"CAST(j / {per_day}.0 >= {c!r} AS INTEGER)" for c in _cumulative()[1:])
    con = duckdb.connect()
    con.execute("SET threads=1")
    con.execute("SET enable_progress_bar=false")
    con.execute("SET TimeZone='UTC'")
    con.execute(f"SELECT setseed({SEED})")
    # hour: how many of the cumulative shares after hour 0 are <= j / per_day (as _hour_of)
    rows = f"""
        SELECT i // {per_day} AS day, i % {per_day} AS j, random() AS u1, random() AS u2, random() AS u3,
               random() AS u4, random() AS u5
        FROM range({n}) t(i)
    """
    lengths = f"""
        SELECT day, j,
          {hour_sql} AS hour,
          u5,
          CAST(ceil(exp({PROMPT_MU!r} + {PROMPT_SIGMA!r} * sqrt(-2 * ln(1 - u1)) * cos(2 * pi() * u2))) AS BIGINT)
            AS input_tokens,
          CAST(ceil(exp({OUTPUT_MU!r} + {OUTPUT_SIGMA!r} * sqrt(-2 * ln(1 - u3)) * cos(2 * pi() * u4))) AS BIGINT)
            AS output_tokens
        FROM ({rows})
    """
    ts = (
        f"TIMESTAMP '{START.isoformat()}' + to_days(CAST(day AS INTEGER)) + to_hours(CAST(hour AS INTEGER)) "
        "+ to_microseconds(CAST(floor(u5 * 3600e6) AS BIGINT))"
    )
    ts_col = f"strftime({ts}, '%Y-%m-%d %H:%M:%S')" if path.suffix == ".csv" else ts
    select = f"""
        SELECT {ts_col} AS timestamp, input_tokens,
               CAST(floor({CACHED_SHARE!r} * input_tokens) AS BIGINT) AS cached_input_tokens, output_tokens
        FROM ({lengths})
    """
    fmt = "csv, header true" if path.suffix == ".csv" else "parquet"
    con.execute(f"COPY ({select}) TO '{path}' (format {fmt})")
    con.close()


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "usage_log.csv"
    generate(out, int(float(sys.argv[2])) if len(sys.argv) > 2 else 1_000_000)
    print(f"wrote {out}")
