"""Snapshot of every figure the product shows: cost tables, cost-vs-volume curves, break-even points, exports,
attention figures and serving estimates, for every preset and a set of variants that exercise every branch
(TTFT target, speculative decoding, fixed sizes and layouts, disaggregation, autoscaling, custom prices, edge
cache shares, other efficiency levels).

``python -m tests.golden.snapshot --write`` records ``tests/golden/snapshot.json``; ``test_golden.py`` holds
the code to it. A refactoring must leave it identical; a deliberate change of the model rewrites it in the same
commit, and the commit message says why the figures moved.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pandas as pd

from costmodel import cli, export
from costmodel.catalog import Catalogue, load_catalogue
from costmodel.compare import evaluate
from costmodel.presets import preset, preset_names
from costmodel.scenario import ApiOption, Scenario, SelfHostOption

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
            SelfHostOption(model="deepseek-v4-flash", gpu="b200", precision="fp4",
                           measured_decode_tokens_per_s_per_gpu=900.0),
        )
    )
    out["chat-custom-api"] = with_(
        api_options=(
            *chat.api_options,
            ApiOption(provider="deepseek", model="deepseek-v4-pro", price_basis="promotion"),
            ApiOption(provider="custom", model="deepseek-v4-flash", price_basis="custom",
                      usd_per_mtok_input_cache_miss=0.2, usd_per_mtok_output=0.5),
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


def _digest(value: Any, every: int = 0) -> dict[str, Any]:
    """A SHA-256 of ``value`` (exact), and every ``every``-th record to read when it moves."""
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    out: dict[str, Any] = {"sha256": hashlib.sha256(text.encode()).hexdigest()}
    if every:
        out["sample"] = value[::every]
        out["rows"] = len(value)
    return out


def _cli(argv: list[str]) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        code = cli.main(argv)
    return f"exit {code}\n{buf.getvalue()}"


def _xlsx_sheets(s: Scenario, table: pd.DataFrame, cat: Catalogue, be: pd.DataFrame) -> dict[str, pd.DataFrame]:
    buf = io.BytesIO()
    export.write_xlsx(buf, s, table, cat, be)
    buf.seek(0)
    return pd.read_excel(buf, sheet_name=None)


def scenario_figures(s: Scenario, cat: Catalogue) -> dict[str, Any]:
    """The tables, curves, break-even points and text exports of one scenario."""
    ev = evaluate(s, cat)
    table = ev.table
    return {
        "table": _frame(table),
        "curves": _digest(_frame(ev.curves), every=20),
        "break_even": _frame(ev.break_even),
        "csv": _digest(export.to_csv(table)),
        "csv_raw": _digest(export.to_csv_raw(table)),
        "markdown": _digest(export.to_markdown(s, table, cat, ev.break_even)),
        "json": _digest(export.to_json(s, table, cat)),
        "xlsx": _digest({k: _frame(v) for k, v in _xlsx_sheets(s, table, cat, ev.break_even).items()}),
    }


def snapshot() -> dict[str, Any]:
    cat = load_catalogue()
    out: dict[str, Any] = {"scenarios": {k: scenario_figures(s, cat) for k, s in variants().items()}}
    open_models = [m.id for m in cat.models if m.open_weights]
    out["attention"] = {
        kv: _cli(["attention", "--model", ",".join(open_models), "--context", "1,4K,128K,1M",
                  "--baseline", "deepseek-v3.2", "--kv-dtype", kv, "--format", "json"])
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
    old = PATH.read_text().rstrip("\n")
    print("identical" if old == text else "DIFFERENT")
    return 0 if old == text else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
