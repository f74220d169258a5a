"""Speed of the provider economics: everything the page and the command show, computed once.

:func:`costmodel.economics.economics` for V4-Pro on DeepSeek's own fleet: the cost per token (3 efficiency levels),
the margins of every price row, the per-length sweep (5 lengths), the V3.2 -> V4 story (3 models x 3 lengths) and
the GPU table (5 GPUs), i.e. 23 cost estimates; then the four exports. Target: well under a second for an input
change on the page (500 ms for the computation, as the page recomputes it on a changed input; an unchanged input
is a cache hit).

Run: ``.venv/bin/python benchmarks/bench_economics.py``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costmodel.catalog import load_catalogue
from costmodel.economics import DEEPSEEK_FLEET, DEEPSEEK_MIX, economics
from costmodel.views.export.economics import to_csv, to_json, to_markdown, xlsx_bytes

TARGET_MS = 500.0


def _best_of(n: int, fn: Any) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(n):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> list[dict[str, Any]]:
    """Time the computation and the exports; print and return ``{name, value, unit, target, ratio}`` rows."""
    cat = load_catalogue()
    economics("deepseek-v4-flash", DEEPSEEK_FLEET, DEEPSEEK_MIX, cat)  # warm imports
    t_calc, ec = _best_of(3, lambda: economics("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, cat))
    t_exp, _ = _best_of(3, lambda: (to_json(ec), to_csv(ec, "margins"), to_markdown(ec), xlsx_bytes(ec)))
    rows = [
        {"name": "economics(): V4-Pro on DeepSeek's fleet, every table", "value": t_calc * 1e3, "unit": "ms",
         "target": TARGET_MS, "ratio": t_calc * 1e3 / TARGET_MS},
        {"name": "economics exports: json + csv + md + xlsx", "value": t_exp * 1e3, "unit": "ms",
         "target": TARGET_MS, "ratio": t_exp * 1e3 / TARGET_MS},
    ]  # fmt: skip
    for r in rows:
        print(f"{r['name']}: {r['value']:,.1f} {r['unit']} (target {r['target']:g}; ratio {r['ratio']:.2f})")
    return rows


if __name__ == "__main__":
    main()
