"""Speed of the usage-log import: a synthetic 10-million-row log (benchmarks/usage_log_gen.py) summarised by
:func:`costmodel.workload.usage_log.import_log` with DuckDB on one thread (``SET threads=1``), CSV and Parquet, against a
pandas baseline doing the same summary on the CSV (read, checks, totals, weekday × hour grid, daily counts,
prompt-length histogram), vectorised, single-threaded as pandas is.

Both must agree on the totals and the weekday × hour grid, and the import must reproduce the generator's known
profile exactly. Target: well under a minute on one core (the target column is 60 s).

Run: ``.venv/bin/python benchmarks/bench_usage_log.py`` (``USAGE_LOG_BENCH_ROWS=1e6`` for a quicker run).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.usage_log_gen import expected_hour_counts, generate
from costmodel.workload.usage_log import import_log

ROWS = int(float(os.environ.get("USAGE_LOG_BENCH_ROWS", "1e7")))
TARGET_S = 60.0


def pandas_summary(path: Path) -> dict[str, Any]:
    """The import's summary in plain pandas (vectorised; the baseline)."""
    df = pd.read_csv(path)
    ts = pd.to_datetime(df["timestamp"], errors="coerce", utc=True)
    inp = pd.to_numeric(df["input_tokens"], errors="coerce")
    cached = pd.to_numeric(df["cached_input_tokens"], errors="coerce").fillna(0)
    out = pd.to_numeric(df["output_tokens"], errors="coerce")
    ok = ts.notna() & (inp >= 0) & (out >= 0) & (cached >= 0) & (cached <= inp)
    ts, inp, cached, out = ts[ok], inp[ok], cached[ok], out[ok]
    grid = (
        pd.crosstab(ts.dt.day_of_week, ts.dt.hour)
        .reindex(index=range(7), columns=range(24), fill_value=0)
        .to_numpy()
    )
    daily = ts.dt.date.value_counts().sort_index()
    k = np.where(inp <= 1024, 0, np.minimum(np.ceil(np.log2(inp.clip(lower=1))), 24) - 10)
    hist = pd.Series(1, index=inp.index).groupby(k).sum()
    return {
        "requests": float(ok.sum()),
        "input": float(inp.sum()),
        "cached": float(cached.sum()),
        "output": float(out.sum()),
        "grid": grid.astype(float),
        "days": len(daily),
        "hist": hist,
    }


def main() -> list[dict[str, Any]]:
    """Generate the log, time the imports and the baseline; return ``{name, value, unit, target, ratio}`` rows."""
    with tempfile.TemporaryDirectory(prefix="bench-usage-log-") as tmp:
        csv, parquet = Path(tmp) / "log.csv", Path(tmp) / "log.parquet"
        t0 = time.perf_counter()
        generate(csv, ROWS)
        generate(parquet, ROWS)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        log = import_log(csv, "generic", threads=1)
        t_csv = time.perf_counter() - t0
        t0 = time.perf_counter()
        log_pq = import_log(parquet, "generic", threads=1)
        t_pq = time.perf_counter() - t0
        t0 = time.perf_counter()
        base = pandas_summary(csv)
        t_pd = time.perf_counter() - t0
    grid = np.asarray(log.weekday_hour_requests)
    if not np.array_equal(grid, expected_hour_counts(ROWS)):
        raise AssertionError("the import does not reproduce the generator's hourly profile")
    if not np.array_equal(grid, base["grid"]) or log.requests != base["requests"] or log.requests != ROWS:
        raise AssertionError("DuckDB and pandas disagree on the grid or the request count")
    if not np.isclose(log.input_tokens, base["input"], rtol=1e-12) or log_pq.requests != log.requests:
        raise AssertionError("DuckDB and pandas (or CSV and Parquet) disagree on the totals")
    n = f"{ROWS:,} rows"
    rows = [
        {"name": f"DuckDB import, {n} CSV, 1 thread", "value": t_csv, "unit": "s", "target": TARGET_S,
         "ratio": t_csv / TARGET_S},
        {"name": f"DuckDB import, {n} Parquet, 1 thread", "value": t_pq, "unit": "s", "target": TARGET_S,
         "ratio": t_pq / TARGET_S},
        {"name": f"pandas baseline, {n} CSV", "value": t_pd, "unit": "s", "target": None, "ratio": None},
        {"name": "speed-up of DuckDB (CSV, 1 thread) over pandas", "value": t_pd / t_csv, "unit": "x",
         "target": None, "ratio": None},
        {"name": f"generating the log ({n}, CSV + Parquet; not a target)", "value": t_gen, "unit": "s",
         "target": None, "ratio": None},
    ]  # fmt: skip
    for r in rows:
        print(f"   {r['name']}: {r['value']:,.3g} {r['unit']}", flush=True)
    return rows


if __name__ == "__main__":
    main()
