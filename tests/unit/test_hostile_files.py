"""Hostile files and arguments are refused in one line (CLI: ``error: ...``, exit 2) or read exactly.

Each test names the input it reproduces; every one raised a traceback, read the wrong file or
coerced a value silently before its fix.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.workload.usage_log import import_log
from tests.conftest import DATA


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def one_line_refusal(rc: int, err: str, needle: str) -> None:
    assert rc == 2, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and needle in err, err


# ---- tracebacks -> one line ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("inf.csv", "timestamp,input_tokens,output_tokens\ninfinity,100,10\n"),
        ("ninf.csv", "timestamp,input_tokens,output_tokens\n-infinity,100,10\n"),
        ("inf.jsonl", '{"timestamp": "infinity", "input_tokens": 100, "output_tokens": 10}\n'),
        ("ninf.jsonl", '{"timestamp": "-infinity", "input_tokens": 100, "output_tokens": 10}\n'),
    ],
)
def test_an_infinite_log_timestamp_is_a_rejected_row(
    name: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    rc, _, err = run(["workload", "from-log", str(path)], capsys)
    one_line_refusal(rc, err, "1 timestamp missing or not a date/time")
    good = "2026-01-05T10:00:00Z,100,10\n" if name.endswith(".csv") else text.replace("-infinity", "infinity")
    path.write_text(text + good.replace("infinity", "2026-01-05"))
    rc, out, err = run(["workload", "from-log", str(path), "--out", str(tmp_path / "s.json")], capsys)
    assert (
        rc == 0 and "rejected 1: timestamp missing or not a date/time" in out
    )  # the good row used, the bad counted


@pytest.mark.parametrize("quoted", ["'2025-02-09'", "'2025-02-09T00:00:00'", "'2025-02-09 00:00'"])
def test_a_quoted_price_date_is_utc_like_an_unquoted_one(
    quoted: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    prices = data / "prices.yaml"
    text = prices.read_text()
    assert "effective_from: 2025-02-09\n" in text
    prices.write_text(text.replace("effective_from: 2025-02-09\n", f"effective_from: {quoted}\n", 1))
    assert load_catalogue(data).prices == load_catalogue(DATA).prices  # was: naive vs aware TypeError
    rc, out, err = run(["catalog", "validate", "--data", str(data)], capsys)
    assert rc == 0 and out.startswith("ok:"), err


# ---- exactly the named file ----------------------------------------------------------------------------------
LOG_HEADER = "timestamp,input_tokens,output_tokens\n"


def _log(tokens: int) -> str:
    return f"{LOG_HEADER}2026-01-05T10:00:00Z,{tokens},10\n"


@pytest.mark.parametrize(
    ("name", "decoys"), [("a[b].csv", ["ab.csv"]), ("star*.csv", ["star1.csv", "star2.csv"])]
)
def test_a_log_named_like_a_pattern_is_read_as_that_file(
    name: str, decoys: list[str], tmp_path: Path
) -> None:
    for d in decoys:
        (tmp_path / d).write_text(_log(100))
    (tmp_path / name).write_text(_log(999))
    log = import_log(tmp_path / name)
    assert (log.rows_read, log.requests, log.mean_prompt_tokens) == (
        1,
        1,
        999,
    )  # was ab.csv, or both stars merged


@settings(max_examples=25)
@given(stem=st.text(alphabet="ab*?[]{},!^-.~ ", min_size=1, max_size=8))
def test_any_file_name_reads_exactly_that_file(stem: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for decoy in ("a", "b", "ab", "ba", "aa", "-", "{a,b}", "x"):  # names a pattern could match
            if decoy != stem:
                (root / f"{decoy}.csv").write_text(_log(100))
        path = root / f"{stem}.csv"
        path.write_text(_log(999))
        log = import_log(path)
        assert (log.rows_read, log.mean_prompt_tokens) == (1, 999)


def test_a_link_to_a_device_is_not_a_regular_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    (tmp_path / "broken.csv").symlink_to(tmp_path / "gone.csv")
    (tmp_path / "dir.csv").mkdir()
    for name, needle in [
        ("zero.csv", "not a regular file (a device, pipe or socket)"),  # was "file not found"
        ("broken.csv", "a symbolic link to a file that does not exist"),
        ("dir.csv", "not a regular file (a directory)"),
        ("none.csv", "file not found"),
    ]:
        rc, _, err = run(["workload", "from-log", str(tmp_path / name)], capsys)
        one_line_refusal(rc, err, needle)
