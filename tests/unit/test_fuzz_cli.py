"""Fuzzing the ``costmodel`` command: random and hostile argv for every subcommand.

Whatever the arguments, :func:`costmodel.cli.main.main` returns 0, or returns 2 after printing exactly one line on
stderr: it never raises (not even ``SystemExit``), never prints a traceback and never hangs. A few real
``python -m costmodel`` runs in a subprocess with a timeout check the same from the outside.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costmodel.cli.main import main

pytestmark = pytest.mark.slow  # hypothesis over argv, and real subprocesses (`make test-fast` skips it)

REPO = Path(__file__).resolve().parents[2]

SUBCOMMANDS: dict[str, list[str]] = {
    "catalog validate": ["--data"],
    "catalog stale": ["--data", "--max-age-days", "--today", "--format"],
    "attention": [
        "--model",
        "--context",
        "--baseline",
        "--model-file",
        "--kv-dtype",
        "--include-mtp",
        "--data",
        "--format",
    ],
    "serve": [
        "--model",
        "--gpu",
        "--gpus",
        "--context",
        "--prompt-tokens",
        "--tpot-ms",
        "--precision",
        "--efficiency",
        "--data",
        "--format",
    ],
    "compare": ["--preset", "--format", "--out", "--force", "--as-of", "--data"],
    "scenario": ["--preset", "--as-of", "--format"],
    "presets": ["--format"],
    "price": [
        "--model",
        "--provider",
        "--at",
        "--input",
        "--cached",
        "--output",
        "--basis",
        "--data",
        "--format",
    ],
    # no --apply here: a random argv must never write to the repository's data/
    "prices import": ["--from", "--effective-from", "--only", "--data", "--format"],
}

#: Values a careless or hostile user might pass to any flag.
HOSTILE = [
    "",
    " ",
    "-",
    "--",
    "0",
    "-1",
    "1e999",
    "9" * 400,
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "1M",
    "16M",
    "1099511627777",
    "1T",
    "128K,1M",
    ",,,",
    "1," * 50,
    "deepseek-v4-pro",
    "deepseek-v4-pro,nope",
    "h200",
    "b200",
    "chat",
    "json",
    "csv",
    "md",
    "xlsx",
    "yaml",
    "2026-13-45",
    "2026-11-28",
    "0001-01-01",
    "9999-12-31",
    "/dev/null",
    "/nonexistent/dir",
    "/",
    "/etc",
    "=cmd|' /C calc'!A0",
    "\x00",
    "ünïcødé",
    "a" * 5000,
    "../../../../etc/passwd",
    "--help",
]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)`` with stdout and stderr captured: (status, stdout, stderr). Fails if it raises.

    How long the hostile runs take is measured by benchmarks/bench_scaling.py, not checked here.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except BaseException as e:
            pytest.fail(f"costmodel {argv!r} raised {type(e).__name__}: {e}")
    return code, out.getvalue(), err.getvalue()


def check_outcome(argv: list[str], code: int, stdout: str, stderr: str) -> None:
    """0 (any output, no NaN/inf in tables), or 2 with one 'error: ...' line on stderr; never a traceback."""
    assert "Traceback" not in stdout + stderr, (argv, stderr)
    assert code in (0, 2), (argv, code, stderr)
    if code == 2:
        lines = [ln for ln in stderr.splitlines() if ln.strip() and not ln.startswith("warning:")]
        assert len(lines) == 1, (argv, stderr)
        assert lines[0].startswith("error: "), (argv, stderr)
        assert len(lines[0]) < 2000 + 2 * sum(len(a) for a in argv), argv  # may quote the bad value
    elif stdout.lstrip().startswith("["):  # --format json: numbers finite
        for rec in json.loads(stdout):
            for k, v in rec.items():
                assert not (isinstance(v, float) and not math.isfinite(v)), (argv, k, v)


flag_value = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    """A subcommand, then a few of its flags (or random tokens) with hostile values."""
    cmd = draw(st.sampled_from(sorted(SUBCOMMANDS)))
    argv = cmd.split()
    flags = SUBCOMMANDS[cmd]
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 9))
        if kind < 7:
            argv.append(draw(st.sampled_from(flags)))
            if draw(st.booleans()) or kind < 5:
                argv.append(draw(flag_value))
        elif kind < 9:
            argv.append(draw(flag_value))
        else:
            argv.append(draw(st.sampled_from(["--bogus", "-x", "--format=", "--context=1M", "--gpus=0"])))
    return argv


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(argv=argvs())
def test_random_argv_ends_in_0_or_one_line_error(
    argv: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # --out must never write into the repository: give it a fresh folder
    if "--out" in argv:
        i = argv.index("--out")
        if i + 1 < len(argv):
            argv[i + 1] = str(tmp_path_factory.mktemp("out") / Path(argv[i + 1] or "x").name[:50])
    code, out, err = run_cli(argv)
    check_outcome(argv, code, out, err)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nope"],
        ["--help"],
        ["catalog"],
        ["catalog", "validate", "--data", "/nonexistent"],
        ["catalog", "stale", "--today", "2026-02-30"],
        ["catalog", "stale", "--max-age-days", "-5"],
        ["catalog", "stale", "--max-age-days", "9" * 40],
        ["attention", "--context", "1M"],
        ["attention", "--model", "deepseek-v4-pro", "--context", "0"],
        ["attention", "--model", "deepseek-v4-pro", "--context", "9" * 400],
        ["attention", "--model", "deepseek-v4-pro", "--context", "1" * 30],
        ["attention", "--model", "deepseek-v4-pro", "--context", "1.5K"],
        ["attention", "--model", "claude-opus-4.6", "--context", "1M"],
        ["attention", "--model", "deepseek-v4-pro", "--context", "1M", "--baseline", "nope"],
        ["attention", "--model-file", "/nonexistent.yaml", "--context", "1M"],
        ["attention", "--model-file", "/etc", "--context", "1M"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "0"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "9" * 30],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--tpot-ms", "nan"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--tpot-ms", "inf"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--tpot-ms", "1e-300"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--context", "1T"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--context", "9" * 400],
        ["serve", "--model", "claude-opus-4.6", "--gpu", "h200"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "nope"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "1", "--format", "json"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "100001"],
        [
            "serve",
            "--model",
            "deepseek-v4-flash",
            "--gpu",
            "h200",
            "--prompt-tokens",
            "16M",
            "--context",
            "1K",
        ],
        ["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--context", "10M", "--format", "json"],
        ["serve", "--model", "deepseek-v4-flash", "--gpu", "h200", "--isl", "1M", "--osl", "1M"],
        ["attention", "--model", "deepseek-v4-pro", "--context", "1,,2"],
        ["serve", "--model", "deepseek-v4-pro", "--gpu", "tpu-v9"],
        ["compare"],
        ["compare", "--preset", "nope"],
        ["compare", "--preset", "chat", "--as-of", "1900-01-01"],
        ["compare", "--preset", "chat", "--as-of", "2026-99-01"],
        ["compare", "--preset", "chat", "--format", "xlsx"],
        ["compare", "/nonexistent.json"],
        ["compare", "/etc/passwd"],
        ["compare", "--preset", "chat", "--format", "json"],
        ["scenario", "--preset", ""],
        ["presets", "--format", "json"],
    ],
)
def test_hostile_argv(argv: list[str]) -> None:
    code, out, err = run_cli(argv)
    check_outcome(argv, code, out, err)


def test_infeasible_serve_prints_no_nan(tmp_path: Path) -> None:
    """A deployment that does not fit: the record says why; no 'nan' in any table format."""
    for fmt in ("md", "csv", "json"):
        argv = ["serve", "--model", "deepseek-v4-pro", "--gpu", "h200", "--gpus", "1", "--format", fmt]
        code, out, err = run_cli(argv)
        check_outcome(argv, code, out, err)
        if code == 0:
            assert "nan" not in out.lower().replace("nanoseconds", ""), (fmt, out)
            assert "inf" not in out.lower().replace("infeasible", "").replace("info", ""), (fmt, out)


# ---- scenario files through the CLI -----------------------------------------------------------------------

YAML_BOMB = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def _files(tmp: Path) -> dict[str, Path]:
    """Hostile scenario files on disk."""
    big = '{"workload": {"requests_per_day": 1, "pad": "' + "x" * 10_000_000 + '"}}'
    files = {
        "empty.json": "",
        "bomb.yaml": YAML_BOMB,
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "deep.yaml": "a:\n" + "".join(" " * (i + 1) + "- \n" for i in range(3000)),
        "deep_flow.yaml": "[" * 50_000,
        "big.json": big,
        "nan.json": '{"workload": {"requests_per_day": NaN, "prompt_tokens": 1, "output_tokens": 1}, '
        '"api_options": [{"provider": "deepseek", "model": "deepseek-v4-pro"}], "as_of": "2026-11-28"}',
        "inf.yaml": "workload: {requests_per_day: .inf, prompt_tokens: 1, output_tokens: 1}\n"
        "api_options: [{provider: deepseek, model: deepseek-v4-pro}]\nas_of: 2026-11-28\n",
        "huge.json": '{"workload": {"requests_per_day": 1e999, "prompt_tokens": '
        + "9" * 5000
        + ', "output_tokens": 1}, "api_options": [{"provider": "deepseek", "model": "deepseek-v4-pro"}], '
        '"as_of": "2026-11-28"}',
        "list.json": "[1, 2, 3]",
        "tags.yaml": "!!python/object/apply:os.system ['echo pwned']\n",
        "binary.json": "\x00\x01\x02",
        "wrong_types.yaml": "workload: {requests_per_day: [1], prompt_tokens: {a: 1}, output_tokens: yes}\n"
        "api_options: deepseek\nas_of: tomorrow\n",
    }
    out = {}
    for name, text in files.items():
        p = tmp / name
        p.write_text(text, encoding="utf-8")
        out[name] = p
    (tmp / "latin1.json").write_bytes(b'{"name": "caf\xe9"}')
    out["latin1.json"] = tmp / "latin1.json"
    return out


def test_hostile_scenario_files_in_process(tmp_path: Path) -> None:
    for name, path in _files(tmp_path).items():
        argv = ["compare", str(path)]
        code, out, err = run_cli(argv)
        check_outcome(argv, code, out, err)
        assert code == 2, (name, out[:200])


@pytest.mark.parametrize(
    "argv_tail",
    [
        ["compare", "bomb.yaml"],
        ["compare", "big.json"],
        ["compare", "deep.json"],
        ["attention", "--model", "deepseek-v4-pro", "--context", "9" * 400],
        ["serve", "--model", "nope", "--gpu", "h200"],
        ["bogus-subcommand"],
    ],
)
def test_real_process_exits_2_in_one_line(tmp_path: Path, argv_tail: list[str]) -> None:
    files = _files(tmp_path)
    argv = [str(files[a]) if a in files else a for a in argv_tail]
    proc = subprocess.run(
        [sys.executable, "-m", "costmodel", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, (argv, proc.stderr[-500:])
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr[-500:]


def test_real_process_ok_run() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "costmodel", "compare", "--preset", "chat", "--as-of", "2026-11-28"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "| Option |" in proc.stdout  # the ranked table for people (the Markdown export)


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=30),
        st.from_regex(r"\A\s*\d{1,500}(\.\d{0,20})?\s*[KkMm]?\s*\Z"),
    )
)
def test_token_counts_parse_or_fail_in_one_line(text: str) -> None:
    from costmodel.catalog.units import parse_token_count

    try:
        n = parse_token_count(text)
    except ValueError as e:
        assert "\n" not in str(e), repr(str(e))
    else:
        assert isinstance(n, int) and 0 < n <= 2**40
