"""Memory of the Calculator under changed reruns (AppTest, in process): MB of RSS per changed rerun, and whether it
plateaus.

Each rerun types a new volume (requests per day) on the default preset, so every rerun is a new scenario: a new
evaluation, Monte Carlo and chart specs, which the result caches keep up to their budget
(``costmodel.catalog.budget``). The process's RSS (``/proc/self/status`` VmRSS) is read after each rerun; the growth
per rerun is a least-squares slope over the first and over the last reruns.

Run: ``.venv/bin/python benchmarks/bench_rerun_memory.py [RERUNS] [ROOT]`` (ROOT: another tree's app.py).
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(sys.argv[2]).resolve() if len(sys.argv) > 2 else Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

RERUNS = 200
WINDOW = 50


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS")


def run(reruns: int = RERUNS) -> dict[str, Any]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    if at.exception or at.error:
        raise RuntimeError(f"the app did not run cleanly: {[e.value for e in (*at.exception, *at.error)]}")
    base = float(str(at.text_input(key="calc_rpd").value).replace(",", ""))
    rss = [rss_mb()]
    for i in range(reruns):
        at.text_input(key="calc_rpd").set_value(f"{base + 1000.0 * (i + 1):.0f}")
        at.run()
        gc.collect()
        rss.append(rss_mb())
        if (i + 1) % 25 == 0:
            print(f"  {i + 1} reruns: {rss[-1]:.0f} MB", flush=True)
    if at.exception or at.error:
        raise RuntimeError("the app failed during the benchmark")
    x = np.arange(len(rss), dtype=float)
    w = min(WINDOW, len(rss) // 2)
    first = float(np.polyfit(x[1 : w + 1], rss[1 : w + 1], 1)[0])
    last = float(np.polyfit(x[-w:], rss[-w:], 1)[0])
    return {"reruns": reruns, "start_mb": rss[0], "end_mb": rss[-1], "first_slope": first, "last_slope": last,
            "window": w}  # fmt: skip


def main() -> list[dict[str, Any]]:
    r = run(RERUNS)
    return [
        {"name": f"AppTest RSS growth per changed rerun, first {r['window']} reruns", "value": r["first_slope"],
         "unit": "MB", "target": None, "ratio": None},
        {"name": f"AppTest RSS growth per changed rerun, last {r['window']} of {r['reruns']} (plateau)",
         "value": r["last_slope"], "unit": "MB", "target": None, "ratio": None},
        {"name": f"AppTest process RSS after {r['reruns']} changed reruns (from {r['start_mb']:.0f} MB)",
         "value": r["end_mb"], "unit": "MB", "target": None, "ratio": None},
    ]  # fmt: skip


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else RERUNS))
