"""Run every benchmark in this folder and record the results in docs/benchmarks.md.

Each ``bench_*.py`` module exposes ``main() -> list[dict]`` with keys
``name``, ``value``, ``unit``, ``target`` and ``ratio`` (figure / target, or a speed-up where stated).
After the runs, a summary lists every speed target (figure, target, ratio, met or not) and the
comparisons that have a reference (vectorised sweep vs loop, closed form vs simulation, cold vs warm cache).
Machines here are noisy: read the ratios, not the absolute times.

Run: ``make bench`` (or ``.venv/bin/python benchmarks/run_all.py [bench_name ...]`` for some of them; the
docs file is only rewritten when every benchmark ran).
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

#: Speed targets: (area, bench module, text to find in the measure name, what the target is).
TARGETS = [
    ("attention", "bench_attention", "closed forms, ", "6 models x 200 contexts (1..1M) in under 50 ms"),
    ("pricing", "bench_pricing", "vectorised sweep", "100,000-point API sweep well under a second (250 ms)"),
    (
        "serving",
        "bench_serving",
        "full comparison",
        "default scenario, every API x model x GPU, under 100 ms",
    ),
    (
        "calculator",
        "bench_app",
        "rerun after a workload change",
        "calculator rerun after an input change (volume) under 300 ms",
    ),
    (
        "calculator",
        "bench_app",
        "rerun after a cached-share change",
        "calculator rerun after an input change (cached share: the request's shape) under 300 ms",
    ),
    (
        "uncertainty",
        "bench_uncertainty",
        "(default scenario)",
        "tornado + 10,000-draw Monte Carlo of the default scenario well under a second (250 ms)",
    ),
    (
        "calculator",
        "bench_app",
        "workload change, CPU",
        "calculator rerun after a volume edit, CPU of every thread, at most 120 ms",
    ),
    (
        "calculator",
        "bench_app",
        "cached-share change, CPU",
        "calculator rerun after a cached-share edit (the request's shape), CPU, at most 120 ms",
    ),
    (
        "CLI",
        "bench_cli",
        "compare --preset chat",
        "costmodel compare of the chat preset: at most 0.9 s of CPU per run",
    ),
    (
        "calculator",
        "bench_cold_start",
        "cold start to verdict",
        "process start to the verdict drawn in chromium within 5 s",
    ),
    (
        "server memory",
        "bench_links",
        "distinct share links",
        "server RSS after distinct share links of 50 self-hosting options, at most 1 GB (1,000 links: docs/memory.md)",
    ),
    (
        "usage log",
        "bench_usage_log",
        "DuckDB import, 10,000,000 rows CSV",
        "10M-row usage log well under a minute, 1 core",
    ),
]
#: Comparisons with a reference: (label, bench, measure of the slow side, measure of the fast side) or a
#: measure that is already a speed-up (fast side None).
COMPARISONS = [
    ("vectorised sweep vs plain loop (speed-up)", "bench_pricing", "speed-up of the sweep", None),
    (
        "closed form vs simulation, same counts (speed-up)",
        "bench_attention",
        "closed form speed-up over",
        None,
    ),
    (
        "prefill closed-form sum vs per-position sum (speed-up)",
        "bench_attention",
        "prefill 1M closed-form",
        None,
    ),
    (
        "calculator rerun: cold cache (new scenario) vs warm cache (same scenario)",
        "bench_app",
        "rerun after a workload change",
        "nothing changed (cache hit",
    ),
    ("compare_table: 1,000 scenarios vs 1, time per scenario", "bench_scaling", "1,000 scenarios: per", None),
    ("closed forms at 1M vs at 1K tokens", "bench_scaling", "at 1M tokens", None),
    ("simulation at 1,024 vs 256 tokens", "bench_scaling", "1024 tokens", None),
    (
        "usage-log summary: DuckDB (1 thread) vs pandas (speed-up)",
        "bench_usage_log",
        "speed-up of DuckDB",
        None,
    ),
]


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    return "" if v is None else str(v)


def _find(rows: list[dict[str, Any]], bench: str, text: str) -> dict[str, Any] | None:
    return next((r for r in rows if r["bench"] == bench and text in str(r.get("name", ""))), None)


def summary(rows: list[dict[str, Any]]) -> list[str]:
    """Markdown lines: the speed targets, then the comparisons, each as a ratio."""
    lines = [
        "## Speed targets",
        "",
        "| area | target | figure | ratio (figure / target) | met |",
        "|---|---|---|---|---|",
    ]
    for area, bench, text, what in TARGETS:
        r = _find(rows, bench, text)
        if r is None or r.get("target") in (None, 0):
            lines.append(f"| {area} | {what} | not measured ({bench}) | | |")
            continue
        ratio = float(r["value"]) / float(r["target"])
        lines.append(
            f"| {area} | {what} | {_fmt(float(r['value']))} {r['unit']} | {ratio:.3g} | "
            f"{'yes' if ratio <= 1 else 'NO'} |"
        )
    lines += [
        "",
        "The cold start is measured in Debian's chromium (`bench_cold_start`; the Playwright tests print it too). "
        "Memory (every cache's bounds, the server under 1,000 distinct share links, AppTest growth per rerun) is in "
        "`docs/memory.md`; `bench_links` here runs fewer links (`BENCH_LINKS`, 150 by default).",
        "",
        *HISTORY,
        "## Comparisons (ratios)",
        "",
        "| comparison | ratio |",
        "|---|---|",
    ]
    for label, bench, slow, fast in COMPARISONS:
        a = _find(rows, bench, slow)
        if a is None:
            lines.append(f"| {label} | not measured |")
            continue
        if fast is None:  # a speed-up measure (unit x) is its own figure; otherwise its ratio column
            value = a.get("value") if str(a.get("unit")) in ("x", "×") else a.get("ratio")
        else:
            b = _find(rows, bench, fast)
            value = float(a["value"]) / float(b["value"]) if b and float(b["value"]) > 0 else None
        lines.append(f"| {label} | {'' if value is None else f'{float(value):,.3g}×'} |")
    return lines


#: Figures between commits (benchmarks/compare_commits.py), kept across `make bench` runs.
HISTORY = [
    "## Before and after a restructuring (ratios between commits)",
    "",
    "`benchmarks/compare_commits.py OLD NEW` times one calculator computation (table, cost curves and break-even of the default preset, at 15 distinct volumes) at two commits, alternating. Recorded 2026-11-29:",
    "",
    "| change | old → new (median) | ratio new / old |",
    "|---|---|---|",
    "| compute once (44f0f80 → 7904be1): each option evaluated once, vectorised break-even refinement | 214 → 108 ms | 0.50 |",
    "| same, the calculator rerun through AppTest (`bench_app.py` in each tree, 3 alternating runs) | 348 → 235 ms | 0.68 |",
    "| rerun budget (a591ba6 → 2764264+): serving estimates cached per request shape, model constants once per model, break-even slope floor, one catalogue object, chart template + Arrow data, numpy row lookups; rerun after a volume edit (this `bench_app.py` in each tree, 3 alternating runs, idle machine) | 406 → 207 ms | 0.51 |",
    "| same, rerun after a cached-share edit (the request shape: nothing cached answers) | 388 → 241 ms | 0.62 |",
    "",
    "Every preset after this change (AppTest, median of 5 reruns, idle machine): volume edits 200-214 ms (support-mix, three request classes, 287 ms); cached-share edits 215-242 ms. Over the 300 ms target: an edit of a class in the class table of support-mix (381 ms), and a cached-share edit with a log-normal prompt (11 buckets: 449 ms): each prompt bucket and class is estimated on its own (a loop of `estimate()` calls), twice more for the Monte Carlo's output-length ends.",
    "",
    "Twenty concurrent Calculator sessions (`benchmarks/concurrent_sessions.py`, AppTest sessions in threads: each picks a preset, types a volume and a cache share, then all rerun twice with nothing changed), the driver run in worktrees of de63c6d (before) and b152fd1 (after the unchanged-rerun work and the merges of the hosted options, the usage logs, the uncertainty and the provider economics), 3 alternating runs each, medians of the runs, recorded 2026-11-29 on this 2-core machine otherwise idle:",
    "",
    "| reruns under 20 sessions | de63c6d p50 / p95 | b152fd1 p50 / p95 | ratio p95 after / before |",
    "|---|---|---|---|",
    "| nothing changed (40 reruns) | 4.41 / 5.37 s | 1.94 / 2.57 s | 0.48 |",
    "| after an input change (60 reruns) | 7.48 / 9.26 s | 9.59 / 16.06 s | 1.73 |",
    "",
    "An unchanged rerun now builds nothing (the verdict, tables and chart specs are kept with the cached evaluation), so it costs only Streamlit drawing the widgets, about 0.1 s of CPU. The aim was a p95 under 2 s: not reached. What limits it is that one Streamlit process serves every session and Python runs one thread at a time, so twenty sessions rerunning at once queue behind each other: each rerun waits for roughly twenty reruns of CPU. A rerun after a change costs more since this stop because the page does more per change: the tornado and 10,000-draw Monte Carlo, the ownership, usage-log and growth sections, and the price-rows panel. Under 2 s at twenty simultaneous changes would need either under 0.1 s of CPU per changed rerun or several server processes behind a load balancer.",
    "",
    "Rerun CPU at two commits (`benchmarks/compare_reruns.py OLD NEW --kind ch|rpd`: the default preset in AppTest, 12 edits per fresh process, 3 alternating rounds; CPU of every thread per rerun). Recorded 2026-12-07 on a machine where the plain Python loop of bench_pricing takes 55.8 ms (34.1 ms on the machine of the previous record: about 1.6× slower), so read the ratios:",
    "",
    "| change (9e18a6d → ff90f16) | old min / p25 / median | new min / p25 / median | ratio new / old (min / p25 / median) |",
    "|---|---|---|---|",
    "| rerun after a cached-share edit: the API picker bills each option once per request shape (blended by the cached share), the uncertainty analysis runs only when switched on | 236 / 256 / 273 ms | 162 / 179 / 194 ms | 0.69 / 0.70 / 0.71 |",
    "| rerun after a volume edit | 174 / 211 / 287 ms | 157 / 178 / 236 ms | 0.90 / 0.85 / 0.82 |",
    "",
    "On the previous record's machine 9e18a6d measured 142 ms (cached share) and 111 ms (volume) of CPU per rerun (`bench_app`, idle): at these ratios about 100 ms and 92-100 ms, under the 120 ms target. With the uncertainty analysis switched on, a cached-share edit costs about 1.4× the one without it (the row of `bench_app`).",
    "",
]


def main(argv: list[str] | None = None) -> int:
    only = set(argv if argv is not None else sys.argv[1:])
    paths = [p for p in sorted(HERE.glob("bench_*.py")) if not only or p.stem in only]
    rows: list[dict[str, Any]] = []
    failed: list[str] = []
    seconds: dict[str, float] = {}
    for path in paths:
        mod_name = f"benchmarks.{path.stem}"
        print(f"== {path.name}", flush=True)
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(mod_name)
            results = mod.main()
        except Exception as e:  # a broken benchmark is reported, the others still run
            failed.append(f"{path.name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
            print(f"   FAILED: {e}", flush=True)
            continue
        finally:
            seconds[path.stem] = time.perf_counter() - t0
        for r in results:
            rows.append({"bench": path.stem, **r})
    today = dt.date.today().isoformat()
    lines = [
        "# Benchmarks",
        "",
        f"Recorded {today} by `make bench` ({', '.join(p.stem for p in paths)}) on a {os.cpu_count()}-core "
        f"machine shared with other work, Python {platform.python_version()}: absolute times are noisy, read "
        "the ratios. A ratio below 1 against a time target means the target is met; speed-ups are ×.",
        "",
        *summary(rows),
        "",
        "## Every measure",
        "",
        "| benchmark | measure | figure | unit | target | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['bench']} | {r.get('name', '')} | {_fmt(r.get('value'))} | {r.get('unit', '')} | "
            f"{_fmt(r.get('target'))} | {_fmt(r.get('ratio'))} |"
        )
    lines += [
        "",
        "Wall time per benchmark module: "
        + ", ".join(f"{k} {v:,.1f} s" for k, v in seconds.items())
        + ". bench_scaling's concurrency rows: twenty AppTest sessions in threads on the calculator, each "
        "with its own preset, volume and cache share (benchmarks/concurrent_sessions.py, also driven by "
        "tests/app/test_concurrency.py), "
        "against the one-user 300 ms rerun target: twenty users share two cores, so read that ratio as "
        "the slowdown under load.",
    ]
    if failed:
        lines += ["", "Failed:", *[f"- {f}" for f in failed]]
    print("\n".join(lines))
    if not only:
        (ROOT / "docs" / "benchmarks.md").write_text("\n".join(lines) + "\n")
        print(f"\nwrote docs/benchmarks.md ({today})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
