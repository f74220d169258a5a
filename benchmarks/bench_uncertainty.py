"""Speed of the uncertainty: the tornado and a 10,000-draw Monte Carlo, per preset, as a ratio to one
evaluate() of the same scenario.

Run: ``.venv/bin/python benchmarks/bench_uncertainty.py``. Target: the whole uncertainty of the default scenario
(tornado, 10,000 draws, probabilities, percentiles, break-even distribution; the evaluation given, as the app and
the CLI give it) well under a second (250 ms). Also printed per preset: the same time divided by one evaluate()
(the ratio the issue asks for), and 10,000 draws vs 1,000 draws (how the draws scale). The request-mix preset
(support-mix) is measured against the same 250 ms target.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import new_shape  # noqa: E402
from costmodel.catalog import load_catalogue  # noqa: E402
from costmodel.evaluate.evaluation import evaluate  # noqa: E402
from costmodel.evaluate.uncertainty import DEFAULT_DRAWS, monte_carlo  # noqa: E402
from costmodel.workload.presets import preset, preset_names  # noqa: E402

TARGET_MS = 250.0
REPEATS = 5
AS_OF = dt.date(2026, 11, 29)


def _median_ms(f: Any) -> float:
    f()  # warm
    times = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        f()
        times.append((time.perf_counter() - t) * 1000.0)
    return statistics.median(times)


def main() -> list[dict[str, Any]]:
    """Measure and print; returns ``{name, value, unit, target, ratio}`` rows."""
    cat = load_catalogue()
    rows: list[dict[str, Any]] = []
    for name in preset_names():
        s = preset(name, AS_OF)
        ev = evaluate(s, cat)
        # each timed call starts from a new request shape (benchmarks.new_shape): the Monte Carlo's re-evaluations
        # at the output-length ends are computed, as after a shape edit in the app (a volume edit reuses them)
        t_eval = _median_ms(lambda s=s: (new_shape(), evaluate(s, cat)))
        t_mc = _median_ms(
            lambda s=s, ev=ev: (new_shape(), monte_carlo(s, cat, draws=DEFAULT_DRAWS, evaluation=ev))
        )
        t_small = _median_ms(
            lambda s=s, ev=ev: (new_shape(), monte_carlo(s, cat, draws=1_000, evaluation=ev))
        )
        default = name == "chat"
        # the default scenario holds the target; a request mix (shared fleet, classes' hourly work) is held to it too
        held = default or bool(s.classes)
        rows += [
            {
                "name": f"uncertainty {name}: tornado + Monte Carlo of {DEFAULT_DRAWS:,} draws"
                + (" (default scenario)" if default else " (request mix)" if s.classes else ""),
                "value": t_mc,
                "unit": "ms",
                "target": TARGET_MS if held else None,
                "ratio": t_mc / TARGET_MS if held else None,
            },
            {
                "name": f"uncertainty {name}: Monte Carlo time / one evaluate() ({t_eval:.0f} ms)",
                "value": t_mc / t_eval,
                "unit": "x",
                "target": None,
                "ratio": t_mc / t_eval,
            },
            {
                "name": f"uncertainty {name}: {DEFAULT_DRAWS:,} draws / 1,000 draws",
                "value": t_mc / t_small,
                "unit": "x",
                "target": None,
                "ratio": t_mc / t_small,
            },
        ]
    for r in rows:
        tail = f"target {r['target']:.0f} ms, ratio {r['ratio']:.2f}" if r["target"] else ""
        print(f"{r['name']}: {r['value']:.3g} {r['unit']} {tail}")
    return rows


if __name__ == "__main__":
    main()
