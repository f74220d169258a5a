"""Calculator: a usage-log upload fills the workload, shows the import report and the profile and length charts
above the comparison; a log over the size limit or a bad log is one st.error and the scenario stays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apphelpers import run_page, shown
from streamlit.testing.v1 import AppTest

from app_pages.common import MAX_UPLOAD_BYTES
from costmodel.workload.usage_log import import_log

LOGS = Path(__file__).resolve().parents[1] / "data" / "usage_logs"


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    gen = at.session_state["calc_log_gen"] if "calc_log_gen" in at.session_state else 0  # noqa: SIM401
    at.file_uploader(key=f"calc_log_upload_{gen}").set_value((name, data, "text/csv")).run()
    return at


def _charts(at: AppTest) -> list[dict[str, object]]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def test_log_upload_sets_the_workload_and_shows_the_charts_before_the_comparison() -> None:
    at = run_page("calculator")
    assert not any("Requests in the log" in json.dumps(c) for c in _charts(at))  # nothing before an upload
    _upload(at, "generic.csv", (LOGS / "generic.csv").read_bytes())
    assert not at.exception and not at.error, [e.value for e in at.error]
    want = import_log(LOGS / "generic.csv").workload()  # the calculator's time zone (chat preset: New York)
    w = at.session_state["scenario"].workload
    assert (w.prompt_tokens, w.output_tokens, w.cache_hit_fraction) == (
        want.prompt_tokens, want.output_tokens, want.cache_hit_fraction
    )  # fmt: skip
    assert w.requests_per_day == pytest.approx(want.requests_per_day, rel=1e-6)  # the field shows 6 digits
    assert w.timezone == "America/New_York" and at.session_state["calc_log"].timezone == "America/New_York"
    report = next(m.value for m in at.markdown if m.value.startswith("**Imported usage log**"))
    assert "8 rows read, 4 used, 4 rejected" in report
    titles = [json.dumps(c.get("title")) for c in _charts(at)]
    assert any("Requests in the log by weekday and hour" in t for t in titles)
    assert any("Prompt length distribution" in t for t in titles)
    assert any("Output length distribution" in t for t in titles)
    # the log's charts come before the cost table on the page
    elements = list(at.main)  # document order
    report_at = next(
        i for i, e in enumerate(elements) if str(getattr(e, "value", "")).startswith("**Imported")
    )
    table_at = next(
        i for i, e in enumerate(elements)
        if type(e).__name__ == "Dataframe" and "Monthly (USD)" in e.value.columns
    )  # fmt: skip
    assert report_at < table_at
    at.button(key="calc_log_hide").click().run()
    assert "calc_log" not in at.session_state


def test_oversized_log_is_refused_with_the_limit() -> None:
    at = run_page("calculator")
    before = at.session_state["scenario"]
    _upload(at, "big.csv", b"#" * (MAX_UPLOAD_BYTES + 1))
    assert not at.exception
    assert any(f"the limit is {MAX_UPLOAD_BYTES:,} bytes" in e.value for e in at.error)
    assert at.session_state["scenario"] == before
    assert "up to 2 MB" in at.file_uploader(key="calc_log_upload_1").proto.label


def test_bad_log_and_missing_prompt_length_are_one_error_each() -> None:
    at = run_page("calculator")
    before = at.session_state["scenario"]
    _upload(at, "x.csv", b"a,b\n1,2\n")
    assert not at.exception
    assert [e.value for e in at.error] and "not a known usage-log format" in at.error[0].value
    _upload(at, "claude.csv", (LOGS / "claude_api_tokens.csv").read_bytes())
    assert any("no request counts" in e.value for e in at.error)
    assert at.session_state["scenario"] == before
    at.text_input(key="calc_log_prompt").set_value("1K")
    _upload(at, "claude.csv", (LOGS / "claude_api_tokens.csv").read_bytes())
    assert not at.error, [e.value for e in at.error]
    assert at.session_state["scenario"].workload.prompt_tokens == 1024


def test_imported_histogram_reaches_the_bill_until_the_mean_prompt_is_edited() -> None:
    at = run_page("calculator")
    _upload(at, "generic.csv", (LOGS / "generic.csv").read_bytes())
    hist = at.session_state["scenario"].workload.prompt_histogram
    assert [b.prompt_tokens for b in hist] == [1000, 2000, 3000, 600_000]
    assert any("each of the 4 prompt-length buckets" in c.value for c in at.caption)
    at.text_input(key="calc_pt").set_value("150K").run()
    assert not at.exception and not at.error
    w = at.session_state["scenario"].workload
    assert w.prompt_tokens == 153_600 and w.prompt_histogram == ()


def test_growth_projection_appears_only_when_a_growth_is_set() -> None:
    at = run_page("calculator")
    assert not any("Monthly cost as traffic grows" in json.dumps(c.get("title")) for c in _charts(at))
    at.number_input(key="calc_growth_pct").set_value(50.0).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Monthly cost as traffic grows" in json.dumps(c.get("title")) for c in _charts(at))
    assert any("cheapest" in m.value for m in at.markdown)


def test_growth_out_of_range_is_refused_by_name() -> None:
    """No widget bounds: -150 % a month reaches the model, which refuses it in one line."""
    at = run_page("calculator")
    at.number_input(key="calc_growth_pct").set_value(-150.0).run()
    assert not at.exception
    assert [e.value for e in at.error if "Growth" in e.value], [e.value for e in at.error]
    assert any("monthly growth must be above" in shown(e.value) for e in at.error)


def test_a_log_too_sparse_for_a_scenario_is_one_notice_not_a_crash() -> None:
    """Found in review: two requests six years apart (0.0009 a day) crashed the whole app on upload."""
    at = run_page("calculator")
    data = b"timestamp,input_tokens,cached_input_tokens,output_tokens\n" + (
        b"2020-01-01T00:00:00Z,100,0,10\n2026-01-01T00:00:00Z,100,0,10\n"
    )
    _upload(at, "sparse.csv", data)
    assert not at.exception
    assert any("fewer than the 0.001 a scenario accepts" in shown(e.value) for e in at.error), [
        e.value for e in at.error
    ]
    assert "calc_log" not in at.session_state or at.session_state["calc_log"] is None
