"""CPU of a Calculator rerun after an input change, at two commits, alternating (ratios, not absolute times).

Run: ``.venv/bin/python benchmarks/compare_reruns.py OLD NEW [--kind ch|rpd] [--rounds 3] [--reruns 12]``:
checks out both commits into temporary worktrees and, alternating old/new ``--rounds`` times, runs the default
preset in AppTest in a fresh process per round and edits the cached share (``ch``: the request's shape changes,
every estimate is redone) or the volume (``rpd``) ``--reruns`` times, each a new value. Prints the CPU per rerun
(every thread of the process) at the minimum, the 25th percentile and the median of each commit, and the ratios
new / old: on a shared 2-core machine the minimum and the low quantiles are the least disturbed. Not part of
``make bench`` (it needs git history).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.compare_commits import alternate  # noqa: E402  (one way to check out and alternate two commits)

_PROBE = r"""
import json, sys, time
root, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, root)
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(root + "/app.py", default_timeout=60)
at.run()
base = float(str(at.text_input(key="calc_rpd").value).replace(",", ""))
out = []
for i in range(n + 2):  # the first two are warm-up
    if kind == "ch":
        at.number_input(key="calc_ch").set_value(round(0.30 + 0.005 * (i + 1), 3))
    else:
        at.text_input(key="calc_rpd").set_value(f"{base + 1000.0 * (i + 1):.0f}")
    c = time.process_time()
    at.run()
    out.append((time.process_time() - c) * 1000.0)
if at.exception:
    raise SystemExit(f"the app failed: {at.exception[0].value}")
print(json.dumps(out[2:]))
"""


def _quantiles(v: list[float]) -> tuple[float, float, float]:
    s = sorted(v)
    return s[0], s[len(s) // 4], statistics.median(s)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--kind", choices=("ch", "rpd"), default="ch")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reruns", type=int, default=12)
    a = ap.parse_args(argv)

    def reruns(tree: Path) -> list[float]:
        out = subprocess.run(
            [sys.executable, "-c", _PROBE, str(tree), a.kind, str(a.reruns)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
        return figures

    cpu = alternate(a.old, a.new, a.rounds, reruns)
    q = {k: _quantiles(v) for k, v in cpu.items()}
    for name, rev in (("old", a.old), ("new", a.new)):
        lo, p25, med = q[name]
        print(
            f"{name} {rev}: CPU per rerun min {lo:.0f} / p25 {p25:.0f} / median {med:.0f} ms ({len(cpu[name])} reruns)"
        )
    ratios = [n / o for n, o in zip(q["new"], q["old"], strict=True)]
    print(f"ratio new / old ({a.kind}): min {ratios[0]:.3f} / p25 {ratios[1]:.3f} / median {ratios[2]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
