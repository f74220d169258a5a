"""Speed of the API-bill sweep: 100,000 points (1,000 volumes × 100 cache-hit rates), vectorised vs a loop.

The vectorised sweep (:func:`costmodel.evaluate.evaluation.api_sweep_grid`) and a plain Python loop calling the scalar
reference (:func:`costmodel.pricing.bill.bill_point`) on the same points, with the same resolved prices and
peak share. The two must agree to 1e-9 relative. Targets: the sweep well under a second (250 ms), and the
speed-up over the loop reported as a ratio.

Run: ``.venv/bin/python benchmarks/bench_pricing.py``.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import api_sweep_grid
from costmodel.pricing.bill import bill_point, peak_traffic_fraction
from costmodel.pricing.resolve import resolve_price
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption
from costmodel.workload.traffic import hourly_requests_utc

N_VOLUMES, N_FRACTIONS = 1000, 100
TARGET_SWEEP_MS = 250.0


def _best_of(n: int, fn: Any) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> list[dict[str, Any]]:
    """Time the sweep and the loop; print and return ``{name, value, unit, target, ratio}`` rows."""
    cat = load_catalogue()
    s = preset("agentic-coding", dt.date(2026, 11, 28))
    w = s.workload
    option = ApiOption(provider="deepseek", model="deepseek-v4-pro")  # peak/off-peak schedule
    volumes = np.geomspace(1.0, 1e8, N_VOLUMES)
    fractions = np.linspace(0.0, 1.0, N_FRACTIONS)
    api_sweep_grid(option, w, cat, s.as_of, volumes[:2], fractions[:2])  # warm caches (time zone matrix)

    t_vec, grid = _best_of(5, lambda: api_sweep_grid(option, w, cat, s.as_of, volumes, fractions))

    def loop() -> list[float]:
        price = resolve_price(option, cat, s.as_of)
        peak = peak_traffic_fraction(price, hourly_requests_utc(w))
        out = []
        for v in volumes.tolist():
            for c in fractions.tolist():
                out.append(
                    bill_point(price, v * w.days_per_month, w.prompt_tokens, w.billed_output_tokens, c, peak)
                )
        return out

    t_loop, looped = _best_of(1, loop)
    np.testing.assert_allclose(grid.reshape(-1), np.asarray(looped), rtol=1e-9)
    points = N_VOLUMES * N_FRACTIONS
    rows = [
        {
            "name": f"vectorised sweep, {points:,} points",
            "value": t_vec * 1e3,
            "unit": "ms",
            "target": TARGET_SWEEP_MS,
            "ratio": t_vec * 1e3 / TARGET_SWEEP_MS,
        },
        {
            "name": f"plain Python loop, {points:,} points",
            "value": t_loop * 1e3,
            "unit": "ms",
            "target": None,
            "ratio": None,
        },
        {
            "name": "speed-up of the sweep over the loop (results agree to 1e-9)",
            "value": t_loop / t_vec,
            "unit": "×",
            "target": 10.0,
            "ratio": t_loop / t_vec / 10.0,
        },
    ]
    for r in rows:
        value = f"{r['value']:,.3f}"
        target = "" if r["target"] is None else f" (target {r['target']:g} {r['unit']})"
        ratio = "" if r["ratio"] is None else f", ratio {r['ratio']:.3g}"
        print(f"{r['name']}: {value} {r['unit']}{target}{ratio}")
    return rows


if __name__ == "__main__":
    main()
