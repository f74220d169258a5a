"""CPU of one ``costmodel compare --preset chat --format json`` run, imports included (a fresh process each time,
as a person or a script runs it). Target: 0.9 s of CPU per run. CPU is the child's user + system time
(``resource.getrusage(RUSAGE_CHILDREN)``), so a busy machine lengthens the wall time more than this figure.
Run: ``.venv/bin/python benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TARGET_CPU_S = 0.9
RUNS = 5
COMMAND = [sys.executable, "-m", "costmodel", "compare", "--preset", "chat", "--format", "json"]


def _child_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main() -> list[dict[str, Any]]:
    """Measure and print; returns ``{name, value, unit, target, ratio}`` rows."""
    cpu = []
    for _ in range(RUNS):
        before = _child_cpu_s()
        subprocess.run(COMMAND, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        cpu.append(_child_cpu_s() - before)
    median = statistics.median(cpu)
    print(
        f"costmodel compare --preset chat: {median:.2f} s CPU per run (median of {RUNS}; target {TARGET_CPU_S} s)"
    )
    return [
        {
            "name": "costmodel compare --preset chat --format json, CPU per run (imports included, median)",
            "value": median,
            "unit": "s",
            "target": TARGET_CPU_S,
            "ratio": median / TARGET_CPU_S,
        }
    ]


if __name__ == "__main__":
    main()
