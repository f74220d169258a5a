"""Run every benchmark in this folder and record the results in docs/benchmarks.md.

Each ``bench_*.py`` module exposes ``main() -> list[dict]`` with keys
``name``, ``value``, ``unit``, ``target`` and ``ratio`` (figure / target, or a speed-up where stated).
Machines here are noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    return "" if v is None else str(v)


def main() -> int:
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    for path in sorted(HERE.glob("bench_*.py")):
        mod_name = f"benchmarks.{path.stem}"
        print(f"== {path.name}", flush=True)
        try:
            mod = importlib.import_module(mod_name)
            results = mod.main()
        except Exception as e:  # a broken benchmark is reported, the others still run
            failed.append(f"{path.name}: {type(e).__name__}: {e}")
            print(f"   FAILED: {e}", flush=True)
            continue
        for r in results:
            rows.append({"bench": path.stem, **r})
    lines = [
        "# Benchmarks",
        "",
        f"Recorded {dt.date.today().isoformat()} by `make bench` on a 2-core shared machine (noisy: read the ratios).",
        "",
        "| benchmark | measure | figure | unit | target | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['bench']} | {r.get('name', '')} | {_fmt(r.get('value'))} | {r.get('unit', '')} | "
            f"{_fmt(r.get('target'))} | {_fmt(r.get('ratio'))} |"
        )
    if failed:
        lines += ["", "Failed:", *[f"- {f}" for f in failed]]
    (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
