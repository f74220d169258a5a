"""`costmodel economics`: the Done-when figures in every format, files, and one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from costmodel.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["economics", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_has_v4_pro_margins_story_and_ascend_rows(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "--format", "json")
    assert rc == 0 and err == ""
    data = json.loads(out)
    kinds = {(r["kind"], r["window"]) for r in data["margins"]}
    assert kinds == {
        ("list", "all hours"),
        ("promotion", "all hours"),
        ("list", "peak"),
        ("list", "off-peak"),
    }
    for r in data["margins"]:
        assert (
            r["cost_usd_per_mtok_output_low"]
            < r["cost_usd_per_mtok_output"]
            < r["cost_usd_per_mtok_output_high"]
        )
        assert r["price_source"] and r["price_as_of"]
    assert {(r["model"], r["context_tokens"]) for r in data["story"]} >= {
        ("deepseek-v3.2", 8192), ("deepseek-v4-pro", 131072), ("deepseek-v4-flash", 1048576)
    }  # fmt: skip
    hw = {r["gpu"]: r for r in data["hardware"]}
    assert set(hw) == {"h800", "h20", "h200", "ascend-910c", "ascend-950"}
    assert hw["ascend-910c"]["gpu_confidence"] == "unconfirmed"
    assert hw["ascend-910c"]["status"].startswith("cannot estimate")
    assert hw["ascend-950"]["usd_per_mtok_output"] is None  # no GPU-hour price: no cost, a break-even instead
    assert hw["ascend-950"]["break_even_usd_per_gpu_hour"] > 0


def test_stated_gpu_hour_costs_price_the_ascend_rows(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(
        capsys, "--table", "hardware", "--format", "json", "--gpu-hour-costs", "ascend-950=1.5,h20=1.2"
    )
    assert rc == 0
    hw = {r["gpu"]: r for r in json.loads(out)}
    assert hw["ascend-950"]["usd_per_gpu_hour"] == 1.5 and hw["ascend-950"]["usd_per_mtok_output"] > 0
    assert hw["ascend-950"]["gpu_hour_source"] == "stated by the user"


def test_csv_one_table_and_md_all(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(capsys, "--table", "costs", "--format", "csv")
    assert rc == 0 and out.splitlines()[0].startswith("model,gpu,token_type,usd_per_mtok")
    assert len(out.splitlines()) == 4
    rc, out, _ = _run(capsys, "--format", "md", "--model", "deepseek-v4-flash")
    assert rc == 0 and "## Implied gross margin per price" in out and "deepseek-flash-v4.1-2026-10" in out


def test_xlsx_needs_out_and_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "econ.xlsx"
    rc, out, _ = _run(capsys, "--format", "xlsx", "--out", str(f))
    assert rc == 0 and f.exists() and "wrote" in out
    assert "Margins" in openpyxl.load_workbook(f).sheetnames
    rc, _, err = _run(capsys, "--format", "xlsx", "--out", str(f))
    assert rc == 2 and "exists" in err
    rc, _, _ = _run(capsys, "--format", "xlsx", "--out", str(f), "--force")
    assert rc == 0


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--utilization", "0"], "utilisation"),
        (["--utilization", "nan"], "--utilization"),
        (["--utilization", "x"], "--utilization"),
        (["--cached-share", "2"], "cached share"),
        (["--prompt-tokens", "8K,"], "token count"),
        (["--output-tokens", "-5"], "token count"),
        (["--usd-per-gpu-hour", "0"], "--usd-per-gpu-hour"),
        (["--usd-per-gpu-hour", "2", "--rental", "h800-deepseek-assumption"], "not both"),
        (["--rental", "b200-spot-2026-03"], "is for b200"),
        (["--model", "nope"], "unknown model"),
        (["--model", "claude-opus-4.6"], "closed weights"),
        (["--gpu", "tpu"], "unknown GPU"),
        (["--gpu-hour-costs", "ascend-950"], "GPU=USD"),
        (["--gpu-hour-costs", "ascend-950=-1"], "ascend-950"),
        (["--gpu-hour-costs", "h20=1,h20=2"], "twice"),
        (["--gpus-compared", "h800,,h200"], "empty item"),
        (["--format", "csv"], "--table"),
        (["--format", "xlsx"], "--out"),
        (["--gpus", "0"], "GPUs per deployment"),
        (["--tpot-ms", "0"], "TPOT"),
        (["--mode", "both"], "invalid choice"),
        (["--sweep-price", "deepseek-v4-pro-promo-75"], "not a price"),
        # a model given twice was a pandas InvalidIndexError traceback
        (["--story-models", "deepseek-v4-pro,deepseek-v4-pro"], "deepseek-v4-pro given more than once"),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    assert needle in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_beyond_the_window_and_unknown_hardware_warn_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "--output-tokens", "500K", "--table", "costs", "--format", "csv")
    assert rc == 0 and out and "hypothetical" in err and "maximum output" in err
    rc, out, err = _run(capsys, "--gpu", "ascend-910c", "--table", "costs", "--format", "json")
    assert rc == 0 and all(r["usd_per_mtok"] is None for r in json.loads(out))
    assert "cannot estimate" in err and "hbm_tb_per_s" in err


def test_sweep_price_flag(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(
        capsys,
        "--table",
        "sweep",
        "--format",
        "json",
        "--sweep-price",
        "deepseek-v4-pro-promo-75 (all hours)",
    )
    assert rc == 0 and {r["price"] for r in json.loads(out)} == {"deepseek-v4-pro-promo-75 (all hours)"}
