"""Usage-log import (costmodel.workload.usage_log): each sample export in tests/data/usage_logs imports with the counts
computed by hand from its rows (shown in the comments), bad rows are counted by reason, bad files fail in one
line, and the CLI writes a valid scenario."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from costmodel.cli.main import main
from costmodel.workload.scenario import scenario_from_text
from costmodel.workload.usage_log import UsageLogError, import_log, import_log_bytes

LOGS = Path(__file__).resolve().parents[1] / "data" / "usage_logs"


def test_openai_dashboard_csv() -> None:
    log = import_log(LOGS / "openai_completions_usage.csv")
    assert (log.format, log.grain) == ("openai", "bucket")
    # 4 rows: 3 hourly buckets with usage + 1 empty bucket (only the time columns filled)
    assert (log.rows_read, log.rows_used) == (4, 3)
    assert log.rejected == (("empty bucket (no requests, no tokens)", 1),)
    assert log.requests == 60  # 10 + 30 + 20
    assert log.mean_prompt_tokens == pytest.approx(3000)  # (20,000 + 60,000 + 100,000) / 60
    assert log.cache_hit_fraction == pytest.approx(38_000 / 180_000)  # input_tokens include the cached ones
    assert log.mean_output_tokens == pytest.approx(16_000 / 60)
    assert log.days == 2 and log.requests_per_day == 30
    # 2026-01-01 is a Thursday (row 3), 2026-01-02 a Friday (row 4); UTC hours 10 and 11
    grid = log.weekday_hour_requests
    assert (grid[3][10], grid[3][11], grid[4][11]) == (10, 30, 20)
    assert sum(map(sum, grid)) == 60
    assert log.models == (("gpt-5-mini-2025-08-07", 40.0), ("gpt-4.1-2025-04-14", 20.0))


def test_openai_usage_api_json_daily_buckets() -> None:
    log = import_log(LOGS / "openai_usage_api.json")
    assert log.format == "openai" and (log.rows_read, log.rows_used) == (3, 3)  # 3 results in 2 buckets
    assert log.requests == 65  # 42 + 3 + 20
    assert log.input_tokens == 189_000 and log.cached_input_tokens == 56_000 and log.output_tokens == 18_100
    # daily buckets: no hour is known, the profile stays flat and the report says so
    assert log.hour_resolved_requests == 0
    assert any("daily buckets" in n for n in log.notes)
    assert log.workload().hourly_profile_weekday == (1.0,) * 24


def test_anthropic_console_csv_needs_and_uses_a_prompt_length() -> None:
    with pytest.raises(UsageLogError, match=r"no request counts.*--prompt-tokens"):
        import_log(LOGS / "claude_api_tokens.csv")
    log = import_log(LOGS / "claude_api_tokens.csv", prompt_tokens_per_request=1000)
    assert log.format == "anthropic" and (log.rows_read, log.rows_used) == (3, 3)
    # disjoint counts summed: 12,000+3,000+0+85,000; 800+21,000; 5,100+1,200 = 128,100 input tokens
    assert log.input_tokens == 128_100
    assert log.cached_input_tokens == 106_000  # cache reads only; the writes are uncached input
    assert log.requests == pytest.approx(128.1)
    assert log.output_tokens == 5_750


def test_anthropic_usage_report_json() -> None:
    log = import_log(LOGS / "anthropic_usage_report.json", prompt_tokens_per_request=1000)
    assert log.format == "anthropic" and log.rows_read == 3
    # 15,000+4,000+92,000 + 3,300+1,200 + 8,000+500+40,000
    assert log.input_tokens == 164_000 and log.cached_input_tokens == 132_000 and log.output_tokens == 9_500


def test_litellm_spend_logs() -> None:
    log = import_log(LOGS / "litellm_spend_logs.json")
    assert (log.format, log.grain, log.rows_read, log.rows_used) == ("litellm", "request", 3, 3)
    assert log.input_tokens == 13_000  # 2,100 + 10,000 + 900 (prompt_tokens include the cached ones)
    # cached_tokens (OpenAI style) 1,024 + cache_read_input_tokens (Anthropic style) 8,000
    assert log.cached_input_tokens == 9_024
    assert log.output_tokens == 2_850 and log.reasoning_tokens == 1_600
    assert log.reasoning_share == pytest.approx(1600 / 2850)
    assert log.workload().reasoning_multiplier == 1.0  # reasoning is inside the output: never billed twice
    grid = log.weekday_hour_requests
    assert (grid[3][9], grid[3][10]) == (2, 1)


def test_openrouter_generations_csv() -> None:
    log = import_log(LOGS / "openrouter_activity.csv")
    assert (log.format, log.rows_read, log.requests) == ("openrouter", 3, 3)
    assert log.input_tokens == 14_589 and log.cached_input_tokens == 8_192
    assert log.output_tokens == 1_187 and log.reasoning_tokens == 600
    assert [(b.upper_tokens, b.requests) for b in log.prompt_histogram] == [(2048, 1), (4096, 1), (16384, 1)]


def test_deepseek_amount_csv_long_format() -> None:
    log = import_log(LOGS / "deepseek_amount.csv")
    assert (log.format, log.grain) == ("deepseek", "bucket")
    # 10 long rows: 7 pivot into 2 usable day x model x key groups (4 + 3 rows); rejected: a 'web_search_count'
    # row (unknown type), an 'n/a' amount, and the ci-key group of 2026-01-07 (its one usable row has no
    # request_count: the group has no requests)
    assert (log.rows_read, log.rows_used) == (10, 7)
    assert dict(log.rejected) == {
        "token type missing or unknown": 1,
        "amount missing, not a number or negative": 1,
        "request count missing, not a number or negative": 1,
    }
    assert log.requests == 300  # 200 + 100
    # disjoint counts summed: 180,000 miss + 920,000 hit; 300,000 miss
    assert (log.input_tokens, log.cached_input_tokens, log.output_tokens) == (1_400_000, 920_000, 191_000)
    # days from 00:00+08:00 count at their midpoint: 2026-01-05 and 2026-01-06 (Monday, Tuesday), not the UTC
    # days before (a Sunday)
    assert log.daily_requests == ((dt.date(2026, 1, 5), 200.0), (dt.date(2026, 1, 6), 100.0))
    assert log.weekend_day_weight == 1.0  # no weekend day in the span


def test_generic_csv_counts_every_bad_row_by_reason() -> None:
    log = import_log(LOGS / "generic.csv")
    assert (log.rows_read, log.rows_used, log.rows_rejected) == (8, 4, 4)
    assert dict(log.rejected) == {
        "timestamp missing or not a date/time": 1,
        "input tokens missing, not a number or negative": 1,
        "cached input tokens negative or more than the input": 1,
        "output tokens missing, not a number or negative": 1,
    }
    assert log.input_tokens == 606_000 and log.cached_input_tokens == 2_500
    # 2026-01-05 (Monday) to 2026-01-10 (Saturday): 6 days, 5 weekdays and 1 weekend day;
    # 3 requests on weekdays (0.6 a weekday), 1 on the Saturday: weekend weight 1 / 0.6
    assert (log.days, log.weekdays_in_span, log.weekend_days_in_span) == (6, 5, 1)
    assert log.weekend_day_weight == pytest.approx(1 / 0.6, abs=1e-4)
    # 09:10+01:00 and 09:40+01:00 are 08 UTC; 14:00+01:00 is 13 UTC; the naive 12:00 is UTC
    assert log.weekday_hour_requests[0][8] == 2 and log.weekday_hour_requests[0][13] == 1
    assert log.weekday_hour_requests[5][12] == 1
    # a 600,000-token prompt lands in (512K, 1M]: 2**19 < 600,000 <= 2**20
    assert [(b.lower_tokens, b.upper_tokens) for b in log.prompt_histogram][-1] == (524_288, 1_048_576)


def test_profile_in_the_time_zone_asked_for() -> None:
    log = import_log(LOGS / "generic.csv", timezone="Europe/Paris")  # UTC+1 in January
    assert log.weekday_hour_requests[0][9] == 2 and log.weekday_hour_requests[0][14] == 1
    w = log.workload()
    assert w.timezone == "Europe/Paris"
    assert w.hourly_profile_weekday[9] == 2 * w.hourly_profile_weekday[14] > 0


def test_generic_buckets_jsonl() -> None:
    log = import_log(LOGS / "generic_buckets.jsonl")
    assert (log.grain, log.rows_read, log.rows_used) == ("bucket", 4, 3)
    assert log.rejected == (("empty bucket (0 requests)", 1),)
    assert log.requests == 800 and log.mean_prompt_tokens == 2000 and log.cache_hit_fraction == 0.25
    assert log.hour_resolved_requests == 400  # the daily row (400 requests) shapes no hour
    assert any("wider than an hour" in n for n in log.notes)


def test_parquet_reads_like_csv(tmp_path: Path) -> None:
    target = tmp_path / "generic.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * FROM read_csv('{LOGS / 'generic.csv'}', all_varchar=true)) TO '{target}' (FORMAT parquet)"
    )
    con.close()
    a, b = import_log(LOGS / "generic.csv"), import_log(target)
    assert (b.rows_read, b.rows_used, b.rejected) == (a.rows_read, a.rows_used, a.rejected)
    assert b.weekday_hour_requests == a.weekday_hour_requests and b.prompt_histogram == a.prompt_histogram


def test_workload_from_log_is_valid_and_means_match() -> None:
    log = import_log(LOGS / "openai_completions_usage.csv")
    w = log.workload()
    assert (w.requests_per_day, w.prompt_tokens, w.output_tokens) == (30, 3000, 267)
    # profile: mean hour = 1; Thursday 10h:11h = 10:30 plus Friday 11h = 20 → weekday hours 10, 11 carry 10, 50
    assert w.hourly_profile_weekday[10] == pytest.approx(24 * 10 / 60)
    assert w.hourly_profile_weekday[11] == pytest.approx(24 * 50 / 60)


# ---- bad files ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("x.txt", "a", "must end in .csv"),
        ("x.csv", "a,b\n1,2\n", "not a known usage-log format"),
        ("x.csv", "timestamp,input_tokens,output_tokens\n", "no rows: the file is empty"),
        ("x.csv", "timestamp,input_tokens,output_tokens\nyesterday,1,1\n", "no usable rows"),
        ("x.json", "{{{ not json", "not a readable JSON usage log"),
        ("x.parquet", "not parquet", "not a readable PARQUET usage log"),
    ],
)
def test_bad_files_fail_in_one_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(UsageLogError, match=message) as e:
        import_log(f)
    assert "\n" not in str(e.value)


def test_latin1_is_refused_and_ragged_rows_are_counted(tmp_path: Path) -> None:
    f = tmp_path / "latin1.csv"
    f.write_bytes(
        "timestamp,input_tokens,output_tokens,model\n2026-01-01 10:00,100,10,café\n".encode("latin-1")
    )
    with pytest.raises(UsageLogError, match="not UTF-8 text"):
        import_log(f)
    g = tmp_path / "ragged.csv"
    g.write_text(
        "\ufefftimestamp,input_tokens,output_tokens\n2026-01-01 10:00,100,10\n2026-01-01 10:00,100\n"
        "2026-01-01 11:00,100,10\n"
    )  # a byte-order mark and a short row
    log = import_log(g)
    assert (log.rows_read, log.rows_used) == (3, 2)
    assert log.rejected == (("output tokens missing, not a number or negative", 1),)


def test_wrong_format_forced_names_the_missing_columns() -> None:
    with pytest.raises(UsageLogError, match="not a litellm log: column"):
        import_log(LOGS / "openai_completions_usage.csv", "litellm")


def test_bad_arguments() -> None:
    with pytest.raises(UsageLogError, match="file not found"):
        import_log(LOGS / "missing.csv")
    with pytest.raises(UsageLogError, match="unknown time zone"):
        import_log(LOGS / "generic.csv", timezone="Mars/Olympus")
    with pytest.raises(UsageLogError, match="mean prompt length"):
        import_log(LOGS / "claude_api_tokens.csv", prompt_tokens_per_request=0)


def test_import_from_bytes_uses_the_upload_name() -> None:
    log = import_log_bytes((LOGS / "generic.csv").read_bytes(), "my traffic.csv")
    assert log.path == "my traffic.csv" and log.rows_used == 4
    with pytest.raises(UsageLogError, match=r"my traffic\.xlsx"):
        import_log_bytes(b"x", "my traffic.xlsx")


# ---- CLI ---------------------------------------------------------------------------------------------------


def test_cli_writes_a_scenario_and_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, report = tmp_path / "s.json", tmp_path / "r.json"
    rc = main(["workload", "from-log", str(LOGS / "generic.csv"), "--out", str(out), "--report", str(report),
               "--as-of", "2026-11-28"])  # fmt: skip
    assert rc == 0
    printed = capsys.readouterr().out
    assert "rows read 8; used 4; rejected 4" in printed
    s = scenario_from_text(out.read_text())
    assert s.workload.prompt_tokens == 151_500 and s.api_options
    r = json.loads(report.read_text())
    assert r["rows_rejected"] == 4 and len(r["weekday_hour_requests"]) == 7
    assert sum(d["requests"] for d in r["daily_requests"]) == 4
    # refuses to overwrite
    assert main(["workload", "from-log", str(LOGS / "generic.csv"), "--out", str(out)]) == 2


def test_cli_bad_input_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workload", "from-log", str(LOGS / "claude_api_tokens.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert main(["workload", "from-log", str(LOGS / "claude_api_tokens.csv"), "--prompt-tokens", "2K"]) == 0
    assert main(["workload", "from-log", str(LOGS / "generic.csv"), "--prompt-tokens", "-1"]) == 2
