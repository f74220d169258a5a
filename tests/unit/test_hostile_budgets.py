"""One input never costs gigabytes (the feeds' parse budget), one duplicate-key rule in the feeds, and the
silent coercions (a log's absurd counts refused, blank text that is invisible, digits other than 0-9)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from costmodel.catalog import Measurement
from costmodel.catalog.units import parse_count, parse_token_count
from costmodel.pricing.feeds import FeedError, parse_feed
from costmodel.pricing.feeds.names import MAX_PARSE_DEPTH, MAX_PARSE_ELEMENTS, parse_budget_problem
from costmodel.workload.scenario import Workload
from costmodel.workload.usage_log import UsageLogError, import_log
from tests.unit.test_hostile_inputs import RAW

REPO = Path(__file__).resolve().parents[2]


@given(st.integers(0, 3 * MAX_PARSE_ELEMENTS))
def test_the_parse_budget_counts_elements_before_parsing(n: int) -> None:
    text = "providers = [" + "0," * n + "]"
    assert (parse_budget_problem(text) is None) == (n + 1 <= MAX_PARSE_ELEMENTS)


def test_deep_nesting_is_over_the_budget() -> None:
    assert "nested 101 deep" in str(parse_budget_problem("[" * (MAX_PARSE_DEPTH + 1)))


@pytest.mark.parametrize("name", ["genai-prices", "litellm"])
def test_a_feed_of_zeros_is_refused_in_one_line_before_parsing(name: str) -> None:
    text = (
        "providers = [" + "0," * 7_900_000 + "]"
        if name == "genai-prices"
        else '{"a": [' + "0," * 7_900_000 + "0]}"
    )
    t0 = time.perf_counter()
    with pytest.raises(
        FeedError, match=r"7,900,00\d elements .* more than the 250,000 a feed may have; refused"
    ):
        parse_feed(text, name)  # type: ignore[arg-type]
    assert time.perf_counter() - t0 < 5


@pytest.mark.slow
@pytest.mark.parametrize(
    "body",
    [
        "providers = ["
        + "0," * 7_900_000
        + "]\n",  # the 15.8 MB data.py: was 6.35 GB and over 3 minutes
        "providers = ["
        + "0," * (MAX_PARSE_ELEMENTS - 10)
        + "]\n",  # the worst a feed under the budget can do
    ],
)
def test_prices_import_of_any_feed_stays_under_500_mb_and_20_s(body: str, tmp_path: Path) -> None:
    path = tmp_path / "data.py"
    path.write_text(body)
    # the import runs under a fresh parent that reports its one child's peak RSS: this process's own
    # RUSAGE_CHILDREN would count every child of the test worker (other tests' subprocesses)
    probe = (
        "import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
        "sys.stderr.write(r.stderr); print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "costmodel", "prices", "import", "--from", "genai-prices",
         str(path)],
        capture_output=True, text=True, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - t0
    code, rss_kb = done.stdout.split()
    rss_mb = int(rss_kb) / 1024
    assert code == "2" and done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert rss_mb < 500 and elapsed < 20, (rss_mb, elapsed)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("litellm", '{"deepseek-v4-pro": {"input_cost_per_token": 1e-6, "input_cost_per_token": 9e-6}}'),
        ("genai-prices", "providers = [{'id': 'a', 'id': 'b'}]\n"),
    ],
)
def test_a_key_given_twice_in_a_feed_is_refused(name: str, text: str) -> None:
    with pytest.raises(FeedError, match="duplicate key"):
        parse_feed(text, name)  # type: ignore[arg-type]


# ---- silent coercions ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("requests", "needle"),
    [
        (
            "100000000000",
            r"averages 2e\+11 requests a day, more than the 10,000,000,000",
        ),  # was clamped to 1e10
        ("1e308", "add up to more than the largest number"),  # was "2 validation errors for Workload"
    ],
)
def test_a_log_with_absurd_request_counts_is_refused_naming_them(
    requests: str, needle: str, tmp_path: Path
) -> None:
    path = tmp_path / "log.csv"
    rows = "".join(f"2026-01-05T{h:02d}:00:00Z,1000,10,{requests}\n" for h in (10, 11))
    path.write_text("timestamp,input_tokens,output_tokens,requests\n" + rows)
    with pytest.raises(UsageLogError, match=needle):
        import_log(path).workload()


@pytest.mark.parametrize("blank", ["\u200b", " \u200b\u2060 ", "\ufeff", "\u00ad"])
def test_invisible_text_is_blank(blank: str) -> None:
    row = dict(RAW["measurements.yaml"]["measurements"][0])
    row["engine"] = blank
    with pytest.raises(ValidationError, match="blank"):
        Measurement.model_validate(row)


@pytest.mark.parametrize("digits", ["\u0668", "\uff18", "\u0662\u0660\u0660"])  # ٨, full-width 8, ٢٠٠
def test_only_ascii_digits_are_numbers(digits: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_count(digits)
    with pytest.raises(ValueError, match="bad token count"):
        parse_token_count(digits)
    with pytest.raises(ValidationError, match="ASCII digits"):
        Workload.model_validate({"requests_per_day": digits, "prompt_tokens": 1, "output_tokens": 1})
    with pytest.raises(ValidationError, match="ASCII digits"):
        Workload.model_validate({"requests_per_day": 1, "prompt_tokens": 1, "output_tokens": 1,
                                 "hourly_profile_weekday": [digits] * 24})  # fmt: skip


def test_a_number_quoted_in_ascii_is_read_as_the_number() -> None:
    """Decided (docs/inputs.md): a URL carries only text, so "200000" is the number 200000 everywhere."""
    w = Workload.model_validate({"requests_per_day": "200000", "prompt_tokens": "8192", "output_tokens": 1})
    assert (w.requests_per_day, w.prompt_tokens) == (200000.0, 8192)
