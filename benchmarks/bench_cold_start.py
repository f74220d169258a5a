"""Cold start to verdict in a real browser: ``streamlit run app.py`` started, Debian's chromium opens the page, and
the clock stops when the verdict is drawn (then when the cost table is, and when the script run has ended).
Target: process start to verdict within 5 s on 2 cores. Skipped (no rows) without chromium.
Run: ``.venv/bin/python benchmarks/bench_cold_start.py``; three cold starts, the median reported.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from conftest import CHROMIUM_ARGS, start_server  # noqa: E402  (the browser tests' chromium flags and server)

TARGET_S = 5.0
RUNS = 3


def cold_start(browser: Any) -> tuple[float, float, float]:
    """Seconds from the server process's start to (verdict drawn, table drawn, script run ended)."""
    server = start_server()
    t0 = server.started_at  # the process's start
    try:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(server.url)
        page.wait_for_selector(".st-key-calc_verdict", timeout=60_000)
        verdict = time.perf_counter() - t0
        page.wait_for_selector(".st-key-calc_table_box [data-testid='stDataFrame']", timeout=60_000)
        table = time.perf_counter() - t0
        page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000, state="attached"
        )
        done = time.perf_counter() - t0
        page.close()
    finally:
        server.stop()
        server.log.close()
    return verdict, table, done


def main() -> list[dict[str, Any]]:
    """Measure and print; returns ``{name, value, unit, target, ratio}`` rows (none without chromium)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        print("no chromium: cold start not measured")
        return []
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        runs = [cold_start(browser) for _ in range(RUNS)]
        browser.close()
    verdict, table, done = (statistics.median(r[i] for r in runs) for i in range(3))
    print(
        f"cold start: verdict {verdict:.2f} s, table {table:.2f} s, run ended {done:.2f} s (median of {RUNS})"
    )
    return [
        {"name": "cold start to verdict (process start -> verdict drawn in chromium, median)", "value": verdict,
         "unit": "s", "target": TARGET_S, "ratio": verdict / TARGET_S},
        {"name": "cold start to the cost table drawn (median)", "value": table, "unit": "s", "target": None,
         "ratio": None},
        {"name": "cold start to the end of the first script run (median)", "value": done, "unit": "s",
         "target": None, "ratio": None},
    ]  # fmt: skip


if __name__ == "__main__":
    main()
