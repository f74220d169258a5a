"""Snapshot of every figure the product shows: cost tables, cost-vs-volume curves, break-even points, exports,
attention figures and serving estimates, for every preset and a set of variants that exercise every branch
(TTFT target, speculative decoding, fixed sizes and layouts, disaggregation, autoscaling, custom prices, edge
cache shares, other efficiency levels).

The file stores the figures themselves, never a hash: tables as records, exports as parsed values (CSV cells,
JSON leaves, XLSX cells, Markdown lines), CLI output as parsed JSON. Floats are written to 12 significant digits
and compared with a relative tolerance of 1e-9 (:func:`differences`), so the last bits of a float, which differ
between machines and BLAS builds, never fail the test, and a figure that moved is printed with both values.

``python -m tests.golden.snapshot --write`` records ``tests/golden/snapshot.json``; ``test_golden.py`` holds
the code to it. A refactoring must leave it unchanged; a deliberate change of the model rewrites it in its own
commit, and the commit message says why the figures moved.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pandas as pd

from costmodel.catalog import Catalogue, load_catalogue
from costmodel.cli import main as cli
from costmodel.evaluate.evaluation import evaluate
from costmodel.views.export import comparison as export
from costmodel.views.export.xlsx import write_xlsx
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import ApiOption, Scenario, SelfHostOption

PATH = Path(__file__).with_name("snapshot.json")
AS_OF = dt.date(2026, 11, 1)


def variants() -> dict[str, Scenario]:
    """Every preset, and variants of the chat preset that take the other branches of the model."""
    out = {name: preset(name, AS_OF) for name in preset_names()}
    chat = out["chat"]
    sh = chat.self_host_options
    a = chat.assumptions
    w = chat.workload

    def with_(**kw: Any) -> Scenario:
        return chat.model_copy(update=kw)

    out["chat-ttft-800ms"] = with_(assumptions=a.model_copy(update={"ttft_ms_target": 800.0}))
    out["chat-speculative-low"] = with_(
        assumptions=a.model_copy(update={"speculative_decoding": True, "efficiency": "low"})
    )
    out["chat-high-bf16kv-overhead"] = with_(
        assumptions=a.model_copy(update={"efficiency": "high", "kv_dtype": "bf16", "overhead_pct": 25.0})
    )
    out["chat-layouts-sizes"] = with_(
        self_host_options=(
            SelfHostOption(model="deepseek-v4-pro", gpu="h200", attention_layout="tp"),
            SelfHostOption(model="deepseek-v4-pro", gpu="h200", attention_layout="dp", gpus=16),
            SelfHostOption(model="deepseek-v4-flash", gpu="h200", gpus=8, disaggregated=True),
            SelfHostOption(model="deepseek-v3.2", gpu="h100-sxm", precision="fp8", mode="autoscaled"),
            SelfHostOption(model="kimi-k2.6", gpu="h200", usd_per_gpu_hour=2.5),
            SelfHostOption(
                model="deepseek-v4-flash",
                gpu="b200",
                precision="fp4",
                measured_decode_tokens_per_s_per_gpu=900.0,
            ),
        )
    )
    out["chat-custom-api"] = with_(
        api_options=(
            *chat.api_options,
            ApiOption(provider="deepseek", model="deepseek-v4-pro", price_basis="promotion"),
            ApiOption(
                provider="custom",
                model="deepseek-v4-flash",
                price_basis="custom",
                usd_per_mtok_input_cache_miss=0.2,
                usd_per_mtok_output=0.5,
            ),
        )
    )
    out["chat-all-cached-no-output"] = with_(
        workload=w.model_copy(update={"cache_hit_fraction": 1.0, "output_tokens": 0})
    )
    out["chat-tiny-volume"] = with_(workload=w.model_copy(update={"requests_per_day": 0.01}))
    out["chat-2m-token-prompt"] = with_(workload=w.model_copy(update={"prompt_tokens": 2 * 1024 * 1024}))
    out["api-only"] = with_(self_host_options=())
    out["self-host-only"] = with_(api_options=(), self_host_options=sh)
    return out


def _frame(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Records with floats rounded to 12 significant digits (identical code gives identical digits; the
    rounding only keeps the file readable) and missing values as None."""

    def cell(v: Any) -> Any:
        if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
            return None
        if isinstance(v, float):
            return float(f"{v:.12g}") if math.isfinite(v) else str(v)
        if hasattr(v, "item"):
            return cell(v.item())
        return v

    return [{k: cell(v) for k, v in r.items()} for r in df.to_dict("records")]


REL_TOL = 1e-9
ABS_TOL = 1e-12
_NUMBER = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _round(v: Any) -> Any:
    """Floats to 12 significant digits (non-finite ones as text), recursively; everything else as it is."""
    if isinstance(v, float):
        return float(f"{v:.12g}") if math.isfinite(v) else str(v)
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return v


def _csv_cells(text: str) -> list[list[Any]]:
    """A CSV as rows of cells, each a number where it reads as one, else its text."""

    def cell(c: str) -> Any:
        try:
            return _round(float(c)) if c.strip() else c
        except ValueError:
            return c

    return [[cell(c) for c in row] for row in csv.reader(io.StringIO(text))]


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _cli(argv: list[str]) -> dict[str, Any]:
    """A CLI run: its exit status and its JSON output, parsed."""
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = cli.main(argv)
    return {"exit": code, "output": _round(json.loads(buf.getvalue()))}


def _numbers_close(a: str, b: str) -> bool:
    """Two lines of text that differ only in numbers within the tolerance (e.g. a Markdown cell)."""
    if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
        return False
    na, nb = _NUMBER.findall(a), _NUMBER.findall(b)
    try:
        return all(
            math.isclose(
                float(x.replace(",", "")), float(y.replace(",", "")), rel_tol=REL_TOL, abs_tol=ABS_TOL
            )
            for x, y in zip(na, nb, strict=True)
        )
    except ValueError:
        return False


def differences(recorded: Any, now: Any, path: str = "") -> list[str]:
    """Where ``now`` differs from ``recorded``: one line per figure, with its path and both values.

    Numbers are equal within a relative tolerance of :data:`REL_TOL` (ints and floats alike); text is equal
    when identical or when it differs only in numbers within that tolerance; containers element by element.
    """
    if isinstance(recorded, bool) or isinstance(now, bool):
        return [] if recorded == now else [f"{path}: recorded {recorded!r}, now {now!r}"]
    if isinstance(recorded, int | float) and isinstance(now, int | float):
        same = math.isclose(recorded, now, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        return [] if same else [f"{path}: recorded {recorded!r}, now {now!r}"]
    if isinstance(recorded, dict) and isinstance(now, dict):
        out = [f"{path}.{k}: recorded {recorded[k]!r}, now missing" for k in recorded.keys() - now.keys()]
        out += [f"{path}.{k}: not recorded, now {now[k]!r}" for k in now.keys() - recorded.keys()]
        for k in sorted(recorded.keys() & now.keys(), key=str):
            out += differences(recorded[k], now[k], f"{path}.{k}")
        return out
    if isinstance(recorded, list) and isinstance(now, list):
        out = [] if len(recorded) == len(now) else [f"{path}: {len(recorded)} items recorded, now {len(now)}"]
        for i, (a, b) in enumerate(zip(recorded, now, strict=False)):
            out += differences(a, b, f"{path}[{i}]")
        return out
    if isinstance(recorded, str) and isinstance(now, str) and _numbers_close(recorded, now):
        return []
    return [] if recorded == now else [f"{path}: recorded {recorded!r}, now {now!r}"]


def _xlsx_sheets(
    s: Scenario, table: pd.DataFrame, cat: Catalogue, be: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    buf = io.BytesIO()
    write_xlsx(buf, s, table, cat, be)
    buf.seek(0)
    return pd.read_excel(buf, sheet_name=None)


def scenario_figures(s: Scenario, cat: Catalogue) -> dict[str, Any]:
    """The tables, curves, break-even points and text exports of one scenario."""
    ev = evaluate(s, cat)
    table = ev.table
    return {
        "table": _frame(table),
        "curves": _frame(ev.curves),
        "break_even": _frame(ev.break_even),
        "csv": _csv_cells(export.to_csv(table)),
        "csv_raw": _csv_cells(export.to_csv_raw(table)),
        "markdown": _lines(export.to_markdown(s, table, cat, ev.break_even)),
        "json": _round(json.loads(export.to_json(s, table, cat))),
        "xlsx": {k: _frame(v) for k, v in _xlsx_sheets(s, table, cat, ev.break_even).items()},
    }


def snapshot() -> dict[str, Any]:
    cat = load_catalogue()
    out: dict[str, Any] = {"scenarios": {k: scenario_figures(s, cat) for k, s in variants().items()}}
    open_models = [m.id for m in cat.models if m.open_weights and m.config is not None]
    out["attention"] = {
        kv: _cli(
            [
                "attention",
                "--model",
                ",".join(open_models),
                "--context",
                "1,4K,128K,1M",
                "--baseline",
                "deepseek-v3.2",
                "--kv-dtype",
                kv,
                "--format",
                "json",
            ]
        )
        for kv in ("deployed", "bf16")
    }
    serve = [
        ["--model", "deepseek-v3", "--gpu", "h800", "--gpus", "32", "--prompt-tokens", "128K"],
        ["--model", "deepseek-v4-pro", "--gpu", "h200"],
        ["--model", "deepseek-v4-flash", "--gpu", "h200", "--context", "128K"],
        ["--model", "deepseek-v4-pro", "--gpu", "b200", "--gpus", "16", "--prompt-tokens", "32K"],
        ["--model", "kimi-k2.6", "--gpu", "h200"],
    ]
    out["serve"] = {" ".join(a): _cli(["serve", *a, "--format", "json"]) for a in serve}
    return out


def main(argv: list[str]) -> int:
    snap = snapshot()
    text = json.dumps(snap, indent=1, sort_keys=True, default=str)
    if "--write" in argv:
        PATH.write_text(text + "\n")
        print(f"wrote {PATH}")
        return 0
    diffs = differences(json.loads(PATH.read_text()), json.loads(text))
    print("\n".join(diffs[:200]) if diffs else "unchanged (within the tolerance)")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
