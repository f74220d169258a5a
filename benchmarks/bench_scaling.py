"""How cost grows with work: scenarios priced, context length, concurrent users.

- ``compare_table`` over 1, 10, 100 and 1,000 distinct scenarios (the five presets at different volumes and
  cache-hit shares; each has 5 API and 2 self-hosting options): total time (best of 20 runs for 1 scenario,
  of 2 for 10, one run for 100 and 1,000) and time per scenario. Linear
  growth means a flat time per scenario; the ratio column is the per-scenario time against the 1-scenario run.
- The attention closed forms (KV bytes, KV read bytes, FLOPs per token, for every model with an architecture)
  at one context of 1K, 8K, 128K and 1M tokens: a closed form costs the same at 1M as at 1K (ratio ≈ 1), while
  the numpy simulation grows with the context (shown at 256, 512, 1,024 tokens for a reduced V4).
- Twenty concurrent Calculator sessions (AppTest in threads, each with its own scenario: the driver in
  benchmarks/concurrent_sessions.py, shared with tests/app/test_concurrency.py): p50 and p95 rerun times under
  that load, against the one-user 300 ms rerun target (twenty users share 2 cores, so a ratio above 1 is
  expected; read it as the slowdown).
- Hostile inputs, the speeds the fuzz tests no longer time: a 10 MB scenario file refused by its size (best of
  5, against 2 s), and the ``costmodel`` command run in process on the largest hostile arguments and files of
  tests/unit/test_fuzz_cli.py (the slowest run, against the 20 s beyond which a run counts as hung).

Run: ``.venv/bin/python benchmarks/bench_scaling.py``. Machines here are noisy: read the ratios.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import new_shape  # noqa: E402
from benchmarks.bench_attention import TINY_V4, _best_ms  # noqa: E402  (the same reduced V4 and timer)
from benchmarks.concurrent_sessions import SESSIONS, percentile, run_sessions  # noqa: E402
from costmodel.attention import kv_cache_bytes, kv_read_bytes_per_token  # noqa: E402
from costmodel.attention.compute import flops_per_token  # noqa: E402
from costmodel.attention.sim import simulate_model  # noqa: E402
from costmodel.catalog import load_catalogue, parse_models_text  # noqa: E402
from costmodel.cli.main import main as cli_main  # noqa: E402
from costmodel.evaluate.evaluation import compare_table  # noqa: E402
from costmodel.workload.presets import preset, preset_names  # noqa: E402
from costmodel.workload.scenario import Scenario, ScenarioError, scenario_from_text  # noqa: E402

AS_OF = dt.date(2026, 11, 28)
COUNTS = (1, 10, 100, 1000)
CONTEXTS = {"1K": 1024, "8K": 8192, "128K": 131_072, "1M": 1_048_576}
SIM_LENGTHS = (256, 512, 1024)
RERUN_TARGET_MS = 300.0
#: The aim for p95 of a rerun under 20 concurrent sessions: under 2 s.
UNCHANGED_TARGET_MS = 2000.0
BIG_FILE_TARGET_MS = 2_000.0  # a 10 MB scenario file is refused within 2 s (was timed by the fuzz tests)
CLI_HANG_MS = 20_000.0  # an in-process ``costmodel`` run slower than this counts as hung (ditto)


def _row(name: str, value: float, unit: str, target: float | None, ratio: float | None) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "target": target, "ratio": ratio}


def scenarios(n: int) -> list[Scenario]:
    """``n`` distinct scenarios: presets × volumes × cache-hit shares."""
    names = [
        n for n in preset_names() if not preset(n, AS_OF).classes
    ]  # one workload each (mixes: their classes)
    out = []
    for i in range(n):
        s = preset(names[i % len(names)], AS_OF)
        w = s.workload.model_copy(
            update={
                "requests_per_day": 500.0 * (1 + i // len(names)),
                "cache_hit_fraction": (i % 11) / 10 if i % 11 < 10 else 0.95,
            }
        )
        out.append(s.model_copy(update={"workload": w}))
    return out


def scenario_scaling() -> list[dict[str, Any]]:
    cat = load_catalogue()
    compare_table(scenarios(1)[0], cat)  # warm imports and the time-zone matrices
    rows = []
    per_one = None
    for n in COUNTS:
        batch = scenarios(n)
        total = float("inf")
        for _ in range(max(1, 20 // n)):  # best of a few for the small counts (noise), once for the large
            t0 = time.perf_counter()
            for s in batch:
                new_shape()  # each scenario's serving estimates computed (a repeated shape would hit the cache)
                compare_table(s, cat)
            total = min(total, time.perf_counter() - t0)
        per = total / n * 1e3
        per_one = per_one or per
        rows.append(_row(f"compare_table, {n:,} scenarios: total", total * 1e3, "ms", None, None))
        rows.append(
            _row(
                f"compare_table, {n:,} scenarios: per scenario (ratio: vs 1 scenario)",
                per,
                "ms",
                None,
                per / per_one,
            )
        )
    return rows


def context_scaling() -> list[dict[str, Any]]:
    cat = load_catalogue()
    models = [m for m in cat.models if m.config is not None]
    rows = []
    base = None
    for label, n in CONTEXTS.items():

        def closed(n: int = n) -> None:
            for m in models:
                kv_cache_bytes(m, n)
                kv_read_bytes_per_token(m, n)
                flops_per_token(m, n)

        ms = _best_ms(closed, repeats=20)
        base = base or ms
        rows.append(
            _row(
                f"closed forms, {len(models)} models at {label} tokens (ratio: vs 1K)",
                ms,
                "ms",
                None,
                ms / base,
            )
        )
    (tiny,) = parse_models_text(TINY_V4, "tiny", cat.models)
    sim_base = None
    for length in SIM_LENGTHS:
        ms = _best_ms(lambda length=length: simulate_model(tiny, length), repeats=1)
        sim_base = sim_base or ms
        rows.append(
            _row(
                f"simulation, reduced V4, {length} tokens (ratio: vs {SIM_LENGTHS[0]})",
                ms,
                "ms",
                None,
                ms / sim_base,
            )
        )
    return rows


def concurrency() -> list[dict[str, Any]]:
    t0 = time.perf_counter()
    outcomes = run_sessions()
    wall_s = time.perf_counter() - t0  # includes the sessions' first runs (not counted as reruns)
    errors = [(o.index, o.errors) for o in outcomes if o.errors]
    if errors:
        raise RuntimeError(f"sessions failed: {errors[:3]}")
    reruns = [t * 1e3 for o in outcomes for t in o.rerun_s]
    p50, p95 = percentile(reruns, 0.50), percentile(reruns, 0.95)
    same = [t * 1e3 for o in outcomes for t in o.unchanged_s]
    return [
        _row(
            f"{SESSIONS} concurrent calculator sessions: rerun p50 ({len(reruns)} reruns)",
            p50,
            "ms",
            RERUN_TARGET_MS,
            p50 / RERUN_TARGET_MS,
        ),
        _row(
            f"{SESSIONS} concurrent calculator sessions: rerun p95",
            p95,
            "ms",
            RERUN_TARGET_MS,
            p95 / RERUN_TARGET_MS,
        ),
        *[
            _row(
                f"{SESSIONS} concurrent calculator sessions, nothing changed: rerun p{q} ({len(same)} reruns)",
                v,
                "ms",
                UNCHANGED_TARGET_MS,
                v / UNCHANGED_TARGET_MS,
            )
            for q, v in ((50, percentile(same, 0.50)), (95, percentile(same, 0.95)))
        ],
        _row(
            f"{SESSIONS} concurrent sessions: reruns served per second, all sessions together",
            len(reruns) / wall_s,
            "1/s",
            None,
            None,
        ),
    ]


def _hostile_files(tmp: Path) -> dict[str, Path]:
    """The largest hostile scenario files of the CLI fuzz test: a YAML bomb, deep nesting, 10 MB."""
    level = '["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
    bomb = f"a: &a {level}\n" + "".join(
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    texts = {
        "bomb.yaml": bomb,
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deep.yaml": "a:\n" + "".join(" " * (i + 1) + "- \n" for i in range(3000)),
        "big.json": '{"workload": {"requests_per_day": 1, "pad": "' + "x" * 10_000_000 + '"}}',
    }
    for name, text in texts.items():
        (tmp / name).write_text(text, encoding="utf-8")
    return {name: tmp / name for name in texts}


def _cli_ms(argv: list[str]) -> float:
    """One in-process ``costmodel`` run, output captured: its time in ms; 0 or 2 (one-line error) expected."""
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(argv)
    ms = (time.perf_counter() - t0) * 1e3
    if code not in (0, 2):
        raise RuntimeError(f"costmodel {argv!r} returned {code}: {err.getvalue()[-300:]}")
    return ms


def input_limits() -> list[dict[str, Any]]:
    big = '{"name": "' + "x" * 10_000_000 + '"}'

    def refuse() -> None:
        try:
            scenario_from_text(big, what="big.json")
        except ScenarioError:
            return
        raise RuntimeError("a 10 MB scenario file was accepted")

    big_ms = _best_ms(refuse, repeats=5)
    with tempfile.TemporaryDirectory() as tmp:
        files = _hostile_files(Path(tmp))
        pro_h200 = ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200"]
        runs = [
            ["attention", "--context", "1M"],
            ["attention", "--model", "deepseek-v4-pro", "--context", "9" * 400],
            ["attention", "--model", "deepseek-v4-pro", "--context", "1," * 50],
            [*pro_h200, "--context", "1T"],
            [*pro_h200, "--gpus", "9" * 30],
            [*pro_h200, "--tpot-ms", "1e-300"],
            ["compare", "--preset", "chat", "--format", "json"],
            *(["compare", str(path)] for path in files.values()),
            ["catalog", "validate"],
        ]
        _cli_ms(runs[0])  # warm imports and caches
        times = [(_cli_ms(argv), argv) for argv in runs]
    slowest_ms, slowest = max(times, key=lambda x: x[0])
    what = " ".join(a if len(a) < 20 else Path(a).name if "/" in a else a[:8] + "…" for a in slowest)
    return [
        _row(
            "scenario file of 10 MB refused by its size",
            big_ms,
            "ms",
            BIG_FILE_TARGET_MS,
            big_ms / BIG_FILE_TARGET_MS,
        ),
        _row(
            f"costmodel CLI in process, slowest of {len(runs)} hostile runs (`{what}`)",
            slowest_ms,
            "ms",
            CLI_HANG_MS,
            slowest_ms / CLI_HANG_MS,
        ),
    ]


def main() -> list[dict[str, Any]]:
    """Run the scaling measurements; print and return ``{name, value, unit, target, ratio}`` rows."""
    rows = [*scenario_scaling(), *context_scaling(), *input_limits(), *concurrency()]
    for r in rows:
        target = "" if r["target"] is None else f" (target {r['target']:g} {r['unit']})"
        ratio = "" if r["ratio"] is None else f"; ratio {r['ratio']:.3g}"
        print(f"{r['name']}: {r['value']:,.4g} {r['unit']}{target}{ratio}", flush=True)
    return rows


if __name__ == "__main__":
    main()
