"""`costmodel attention`: records, formats, model files, and one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from costmodel.cli.main import main
from tests.unit.model_factory import GQA_YAML


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(["attention", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_records_with_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(
        capsys,
        "--model",
        "deepseek-v4-pro,deepseek-v4-flash",
        "--context",
        "128K,1M",
        "--baseline",
        "deepseek-v3.2",
        "--format",
        "json",
    )
    assert rc == 0 and err == ""
    rows = json.loads(out)
    assert [(r["model"], r["context_tokens"]) for r in rows] == [
        ("deepseek-v4-pro", 131_072),
        ("deepseek-v4-pro", 1_048_576),
        ("deepseek-v4-flash", 131_072),
        ("deepseek-v4-flash", 1_048_576),
    ]
    for r in rows:
        for key in (
            "kv_cache_bytes",
            "attention_flops_per_token",
            "flops_per_token",
            "kv_ratio",
            "flops_ratio",
        ):
            assert r[key] > 0
        assert r["flops_per_token"] > r["attention_flops_per_token"]
    # the published bands at 1M (DeepSeek-V4 card: KV 10% / 7%, FLOPs 27% / 10%)
    assert rows[1]["kv_ratio"] == pytest.approx(0.10, abs=0.015)
    assert rows[3]["kv_ratio"] == pytest.approx(0.07, abs=0.015)
    assert rows[1]["flops_ratio"] == pytest.approx(0.27, abs=0.03)
    assert rows[3]["flops_ratio"] == pytest.approx(0.10, abs=0.03)


def test_csv_and_md(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(
        capsys, "--model", "deepseek-v3", "--context", "1", "--kv-dtype", "bf16", "--format", "csv"
    )
    assert rc == 0
    header, row = out.strip().splitlines()
    assert header.startswith("model,context_tokens,kv_dtype,kv_cache_bytes")
    assert row.startswith("deepseek-v3,1,bf16,70272,")  # ISCA'25: 70,272 B per token
    rc, out, _ = _run(capsys, "--model", "kimi-k2.6", "--context", "8K")
    assert rc == 0 and out.startswith("| model |") and "kimi-k2.6" in out


def test_dense_gqa_model_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    f = tmp_path / "llama.yaml"
    f.write_text(GQA_YAML)
    rc, out, _ = _run(
        capsys, "--model-file", str(f), "--model", "llama-3-8b", "--context", "1,8K", "--format", "json"
    )
    assert rc == 0
    rows = json.loads(out)
    # 2 × layers × kv_heads × head_dim × 2 bytes (BF16) per token
    assert [r["kv_cache_bytes"] for r in rows] == [2 * 32 * 8 * 128 * 2, 8192 * 2 * 32 * 8 * 128 * 2]
    # without --model, every model of the file is reported
    rc, out, _ = _run(capsys, "--model-file", str(f), "--context", "1K", "--format", "json")
    assert rc == 0 and [r["model"] for r in json.loads(out)] == ["llama-3-8b"]


def test_beyond_window_warns_and_still_computes(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = _run(capsys, "--model", "deepseek-v3", "--context", "1M", "--format", "json")
    assert rc == 0
    assert err.count("\n") == 1 and err.startswith("warning:") and "131,072" in err
    assert json.loads(out)[0]["beyond_context_window"] is True


def _bad_file(tmp_path: Path, **config_changes: object) -> Path:
    doc = yaml.safe_load(GQA_YAML)
    doc["models"][0]["config"].update(config_changes)
    f = tmp_path / "bad.yaml"
    f.write_text(yaml.safe_dump(doc))
    return f


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--model", "gpt-9", "--context", "1K"], "unknown model 'gpt-9'; known: deepseek-v3"),
        (["--model", "deepseek-v3", "--context", "1K", "--baseline", "nope"], "unknown model 'nope'"),
        (["--model", "deepseek-v3", "--context", "0"], "must be > 0"),
        (["--model", "deepseek-v3", "--context", "-5"], "bad token count"),
        (["--model", "deepseek-v3", "--context", "1.5K,abc"], "bad token count"),
        (["--model", "claude-opus-4.6", "--context", "1K"], "no published architecture"),
        (["--model", "claude-opus-4.6", "--context", "1K"], "no published architecture"),
        (["--context", "1K"], "give --model"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and message in err


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"num_key_value_heads": 5}, "not divisible"),
        ({"head_dim": None}, "needs config.head_dim"),
        ({"index_topk": 0}, "index_topk must be > 0"),
        ({"compress_ratios": [8] * 32}, "unsupported ratios"),
        ({"num_hidden_layers": "many"}, "num_hidden_layers"),
    ],
)
def test_bad_model_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, changes: dict[str, object], message: str
) -> None:
    f = _bad_file(tmp_path, **changes)
    rc, out, err = _run(capsys, "--model-file", str(f), "--context", "1K")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "bad.yaml" in err


def test_missing_model_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, _, err = _run(capsys, "--model-file", str(tmp_path / "none.yaml"), "--context", "1K")
    assert rc == 2 and "file not found" in err
