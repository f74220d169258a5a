"""One calculator computation (table + cost curves + break-even of the default preset) at two commits.

Run: ``.venv/bin/python benchmarks/compare_commits.py OLD NEW [--runs 3]``: checks out both commits into temporary
worktrees and, alternating old/new, times the computation at 15 distinct volumes (median ms) in each; prints the
ratio new / old. Commits before ``evaluate()`` existed are driven through their ``compare_table`` +
``charts.cost_volume_frame`` + ``charts.break_even_frame``. Not part of ``make bench`` (it needs git history).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_PROBE = r"""
import datetime as dt, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from costmodel.catalog import load_catalogue
try:
    from costmodel.workload.presets import preset
except ImportError:
    from costmodel.workload.scenario import preset
cat = load_catalogue()
s0 = preset("chat", dt.date(2026, 11, 1))
try:
    from costmodel.evaluate.evaluation import evaluate
    def run(s): evaluate(s, cat)
except ImportError:
    from costmodel import charts
    from costmodel.evaluate.evaluation import compare_table
    def run(s): compare_table(s, cat); charts.cost_volume_frame(s, cat); charts.break_even_frame(s, cat)
run(s0)
ts = []
for i in range(15):
    w = s0.workload.model_copy(update={"requests_per_day": 200_000 + 1000 * (i + 1)})
    s = s0.model_copy(update={"workload": w})
    t = time.perf_counter(); run(s); ts.append((time.perf_counter() - t) * 1e3)
print(statistics.median(ts))
"""


def _time(tree: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tree)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def alternate(old: str, new: str, rounds: int, run: Callable[[Path], list[float]]) -> dict[str, list[float]]:
    """Check out ``old`` and ``new`` into temporary worktrees and call ``run(tree)`` on each, alternating,
    ``rounds`` times; every figure ``run`` returns, per commit (``"old"``, ``"new"``)."""
    with tempfile.TemporaryDirectory() as tmp:
        trees = {}
        for name, rev in (("old", old), ("new", new)):
            trees[name] = Path(tmp) / name
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "add", "-f", "-q", str(trees[name]), rev], check=True
            )
        try:
            figures: dict[str, list[float]] = {"old": [], "new": []}
            for _ in range(rounds):
                for name in ("old", "new"):
                    figures[name] += run(trees[name])
        finally:
            for tree in trees.values():
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False
                )
    return figures


def main(argv: list[str]) -> int:
    old, new = argv[0], argv[1]
    runs = int(argv[argv.index("--runs") + 1]) if "--runs" in argv else 3
    times = alternate(old, new, runs, lambda tree: [_time(tree)])
    o, n = statistics.median(times["old"]), statistics.median(times["new"])
    print(
        f"calculator computation, default preset: {old} {o:.1f} ms, {new} {n:.1f} ms; ratio new/old {n / o:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
