"""``costmodel prices import``: the two feed extracts (tests/data/feeds/), the mapping, the review, --apply, and
bad or hostile feed files."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from costmodel.catalog import load_catalogue
from costmodel.cli.main import main
from costmodel.pricing.feeds import (
    MAX_FEED_BYTES,
    REVIEW_COLUMNS,
    FeedError,
    apply_review,
    map_model,
    map_provider,
    parse_feed,
    read_feed,
    review_feed,
)
from costmodel.pricing.feeds.names import feed_region

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
LITELLM = FEEDS / "litellm-1.110.2-extract.json"
GENAI = FEEDS / "genai-prices-0.2.5-extract.py.txt"
DATA = Path(__file__).resolve().parents[2] / "data"
DAY = dt.date(2026, 11, 29)


@pytest.fixture(scope="module")
def lit():  # type: ignore[no-untyped-def]
    return read_feed(LITELLM, "litellm")


@pytest.fixture(scope="module")
def gp():  # type: ignore[no-untyped-def]
    return read_feed(GENAI, "genai-prices")


def _entry(feed, key):  # type: ignore[no-untyped-def]
    return next(e for e in feed.entries if e.key == key)


# ---- names ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "name", "expected"),
    [
        ("fireworks_ai", "deepseek-v4-pro-0813", ("fireworks", "deepseek-v4-pro")),
        ("together_ai", "deepseek-ai/DeepSeek-V4-Pro-0813", ("together", "deepseek-v4-pro")),
        ("deepinfra", "deepseek-ai/DeepSeek-V4-Flash-0731", ("deepinfra", "deepseek-v4-flash")),
        ("novita", "deepseek/deepseek-v3.2", ("novita", "deepseek-v3.2")),
        ("fireworks_ai", "accounts/fireworks/models/kimi-k2p6", ("fireworks", "kimi-k2.6")),
        ("fireworks_ai", "accounts/fireworks/models/deepseek-v3p2", ("fireworks", "deepseek-v3.2")),
        ("azure_ai", "FW-DeepSeek-V4-Pro", ("azure", "deepseek-v4-pro")),
        ("empiriolabs", "kimi-k2-6", ("empiriolabs", "kimi-k2.6")),
        # AWS Bedrock's dotted ids, under LiteLLM's three Bedrock routes: one host
        ("bedrock", "ap-northeast-1/deepseek.v3.2", ("bedrock", "deepseek-v3.2")),
        ("bedrock_converse", "deepseek.v3.2", ("bedrock", "deepseek-v3.2")),
        ("bedrock_converse", "us.deepseek.v3.2", ("bedrock", "deepseek-v3.2")),
        # V4.1-Flash at a host: its own open weights (data/models.yaml), dated checkpoints included
        (
            "fireworks_ai",
            "accounts/fireworks/models/deepseek-v4p1-flash",
            ("fireworks", "deepseek-v4.1-flash"),
        ),
        ("together_ai", "deepseek-ai/DeepSeek-V4.1-Flash-1017", ("together", "deepseek-v4.1-flash")),
        ("databricks", "databricks-deepseek-v4-1-flash-1017", ("databricks", "deepseek-v4.1-flash")),
        ("mistral", "deepseek-v4-1-flash-1017", ("mistral", "deepseek-v4.1-flash")),
        ("streamlake", "deepseek-v4.1-flash-260910", ("streamlake", "deepseek-v4.1-flash")),
        # MiniMax M3 at its hosts
        ("deepinfra", "MiniMaxAI/MiniMax-M3", ("deepinfra", "minimax-m3")),
        ("novita", "minimax/minimax-m3", ("novita", "minimax-m3")),
        ("fireworks_ai", "accounts/fireworks/models/minimax-m3", ("fireworks", "minimax-m3")),
        (
            "deepseek",
            "deepseek-flash",
            ("deepseek", "deepseek-v4-flash"),
        ),  # DeepSeek's own name, V4.1 since 09-10
    ],
)
def test_names_map(host: str, name: str, expected: tuple[str, str]) -> None:
    provider, why_p = map_provider(host)
    model, why_m = map_model(name, provider)
    assert (provider, model) == expected, (why_p, why_m)


@pytest.mark.parametrize(
    ("host", "name", "why"),
    [
        ("fireworks_ai", "deepseek-v4p1-flash-1017-us", "variant"),  # a regional tier of V4.1-Flash
        ("fireworks_ai", "accounts/fireworks/routers/spot-deepseek-v4-flash", "variant (spot)"),
        ("fireworks_ai", "kimi-k2p6-fast", "variant"),
        # models of our families the catalogue does not carry: the reason, not "a variant (code)"
        ("fireworks_ai", "kimi-k2p7-code", "Kimi K2.7 / K2.7-Code is not in data/models.yaml"),
        ("empiriolabs", "kimi-k2-7-code", "no config"),
        ("databricks", "databricks-kimi-k2-7", "Kimi K2.7"),
        ("fireworks_ai", "accounts/fireworks/models/minimax-m3p1-flash", "MiniMax M3.1-Flash is not in"),
        ("together_ai", "MiniMaxAI/MiniMax-M3.1-Flash", "no config on record"),
        ("bedrock", "moonshotai.kimi-k2.5", "Kimi K2.5 is not in"),
        ("bedrock_converse", "deepseek.r1-v1:0", "no catalogue model"),
        ("wally", "deepseek-v4-pro-fast", "variant"),
        ("azure_ai", "deepseek-v3.2-speciale", "variant"),
        ("deepinfra", "deepseek-ai/DeepSeek-R1", "no catalogue model"),
        ("openrouter", "deepseek/deepseek-v4-pro", "routes to other hosts"),
    ],
)
def test_names_not_mapped_say_why(host: str, name: str, why: str) -> None:
    provider, why_p = map_provider(host)
    model, why_m = map_model(name, provider)
    assert provider is None or model is None
    assert why in (why_p or why_m)


# ---- the two feeds in our units ---------------------------------------------------------------------------


def test_litellm_per_token_to_per_million_and_off_peak_windows(lit) -> None:  # type: ignore[no-untyped-def]
    assert (lit.name, lit.version, lit.extract) == ("litellm", "1.110.2", True)
    assert lit.sha256.startswith("8943af58bf9f")
    e = _entry(lit, "deepseek/deepseek-v4-pro")
    # 1.32e-06 USD/token = 1.32 USD/1M; cache read 4.4e-08 = 0.044; output 3.96e-06 = 3.96
    assert (e.hit, e.miss, e.out) == (0.044, 1.32, 3.96)
    # off-peak 00-01, 04-06, 10-24 on ISO weekdays 1-5 and all day 6-7 => peak 01-04 and 06-10 UTC Mon-Fri
    assert [(w.start_hour_utc, w.end_hour_utc, w.weekdays) for w in e.peak_windows] == [
        (1, 4, (0, 1, 2, 3, 4)),
        (6, 10, (0, 1, 2, 3, 4)),
    ]
    assert e.off_peak_multiplier == 0.5
    t = _entry(lit, "together_ai/deepseek-ai/DeepSeek-V4-Pro-0813")
    assert (t.provider, t.model, t.hit, t.miss, t.out) == ("together", "deepseek-v4-pro", 0.13, 1.32, 3.96)


def test_genai_dated_prices_and_seven_day_windows(gp) -> None:  # type: ignore[no-untyped-def]
    assert (gp.name, gp.version) == ("genai-prices", "0.2.5")
    e = _entry(gp, "deepseek:deepseek-v4-pro")
    assert e.effective_from == dt.date(2026, 8, 17)
    assert (e.hit, e.miss, e.out, e.off_peak_multiplier) == (0.044, 1.32, 3.96, 0.5)
    assert {w.weekdays for w in e.peak_windows} == {(0, 1, 2, 3, 4, 5, 6)}  # no weekday field: every day
    f = _entry(gp, "deepseek:deepseek-v4-flash")
    assert f.effective_from == dt.date(2026, 9, 10)  # V4.1-Flash under the legacy name
    assert (f.hit, f.miss, f.out) == (0.006, 0.3, 1.2)


def test_review_is_actionable(lit, gp) -> None:  # type: ignore[no-untyped-def]
    cat = load_catalogue()
    r = review_feed(lit, cat, DAY).set_index("feed_key")
    assert r.loc["deepseek/deepseek-v4-pro", "status"] == "same"
    assert r.loc["deepseek/deepseek-v4-pro", "our_row"] == "deepseek-v4-pro-peak-holidays-2026-09"
    assert r.loc["together_ai/deepseek-ai/DeepSeek-V4-Pro-0813", "status"] == "same"  # imported into data/
    assert r.loc["deepseek/deepseek-v3.2", "status"] == "new"  # ours ends 2026-04-24
    assert "our rows end 2026-04-24" in r.loc["deepseek/deepseek-v3.2", "differences"]
    assert r.loc["fireworks_ai/deepseek-v4-pro-0813", "status"] == "skipped"  # deprecation_date 2026-09-25
    # V4.1-Flash at a host is mapped; the dated checkpoint wins over the alias, and the row says what it assumes
    assert r.loc["fireworks_ai/deepseek-v4p1-flash", "status"] == "skipped"
    v41 = "fireworks_ai/accounts/fireworks/models/deepseek-v4p1-flash-1017"
    assert (r.loc[v41, "status"], r.loc[v41, "model"]) == (
        "same",
        "deepseek-v4.1-flash",
    )  # imported into data/
    assert "same architecture (not confirmed)" in r.loc[v41, "differences"]
    assert r.loc["fireworks_ai/kimi-k2p7-code", "status"] == "unmapped"
    assert "no config" in r.loc["fireworks_ai/kimi-k2p7-code", "differences"]
    assert set(r["status"]) <= {"new", "same", "changed", "conflict", "unmapped", "skipped"}
    g = review_feed(gp, cat, DAY).set_index("feed_key")
    # genai-prices' seven-day windows and 08-17 date vs our official Mon-Fri row from 08-16 16:00 UTC
    assert g.loc["deepseek:deepseek-v4-pro", "status"] == "conflict"
    diff = g.loc["deepseek:deepseek-v4-pro", "differences"]
    assert "Mon-Sun" in diff and "Mon-Fri" in diff and "from 2026-08-17" in diff
    assert "official" in g.loc["deepseek:deepseek-v4-pro", "action"]


def test_extracts_review_like_the_full_feeds(lit, gp) -> None:  # type: ignore[no-untyped-def]
    # The counts of the full files (read 2026-11-29 from the wheels; tools/feed_extract.py) before the host rows
    # went into data/prices.yaml: the extracts keep every entry of our families, so the same numbers of rows
    # map or do not map.
    # Recounted 2026-12-07 with the Bedrock, V4.1-Flash and K2.7/M3.1 rules (LiteLLM 1.110.2 and genai-prices
    # 0.2.5 full files: 286 and 162 entries unmapped; 334 and 178 before those rules).
    assert sum(1 for e in lit.entries if e.problem) == 286
    assert sum(1 for e in gp.entries if e.problem) == 162


def test_bedrock_one_row_its_default_region(lit) -> None:  # type: ignore[no-untyped-def]
    # Bedrock prices V3.2 per region (0.62 / 1.85 in the US, 0.74 / 2.22 in Tokyo, Mumbai, Jakarta, Stockholm,
    # São Paulo, and the eu. profile); the catalogue has no region field: the entry without a region is the row.
    r = review_feed(lit, load_catalogue(), DAY).set_index("feed_key")
    bed = r[r["provider"] == "bedrock"]
    assert list(bed.index[bed["status"].isin(["new", "same"])]) == ["deepseek.v3.2"]
    assert (
        r.loc["deepseek.v3.2", "usd_per_mtok_input_cache_miss"],
        r.loc["deepseek.v3.2", "usd_per_mtok_output"],
    ) == (
        0.62,
        1.85,
    )
    tokyo = r.loc["bedrock/ap-northeast-1/deepseek.v3.2"]
    assert tokyo["status"] == "skipped"
    assert tokyo["differences"].startswith("a regional price (ap-northeast-1); deepseek.v3.2 used")
    assert r.loc["eu.deepseek.v3.2", "differences"].startswith("a regional price (eu)")


@pytest.mark.parametrize(
    ("key", "region"),
    [
        ("bedrock/ap-northeast-1/deepseek.v3.2", "ap-northeast-1"),
        ("bedrock/us-gov-west-1/deepseek.v3.2", "us-gov-west-1"),
        ("us.deepseek.v3.2", "us"),
        ("deepseek.v3.2", ""),
        (
            "fireworks_ai/accounts/fireworks/models/deepseek-v4p1-flash-1017-us",
            "",
        ),  # a tier, not a region key
        ("together_ai/deepseek-ai/DeepSeek-V4-Pro-0813", ""),
    ],
)
def test_feed_region(key: str, region: str) -> None:
    assert feed_region(key) == region


# ---- --apply ----------------------------------------------------------------------------------------------


def _copy_data(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(DATA, d)
    return d


def test_apply_adds_dated_rows_never_touches_official(tmp_path: Path, lit) -> None:  # type: ignore[no-untyped-def]
    d = _copy_data(tmp_path)
    before = load_catalogue(d)
    review = review_feed(lit, before, DAY)
    n_new = int((review["status"] == "new").sum())
    added = apply_review(review, lit, d, DAY)
    assert added == n_new > 0
    after = load_catalogue(d)
    assert len(after.prices) == len(before.prices) + added
    old = {p.id: p for p in before.prices}
    for p in after.prices:  # history: every earlier row unchanged
        if p.id in old:
            assert p == old[p.id]
        else:
            assert p.confidence == "third_party" and "LiteLLM 1.110.2" in p.source
            assert p.effective_from.date() >= DAY or p.effective_from.date() == DAY
    # a second run has nothing new to add
    assert apply_review(review_feed(lit, after, DAY), lit, d, DAY) == 0


def test_apply_changed_closes_a_third_party_row(tmp_path: Path, lit) -> None:  # type: ignore[no-untyped-def]
    d = _copy_data(tmp_path)
    text = (d / "prices.yaml").read_text()
    # make our MiniMax M3 row (third_party, open-ended from 2026-06-01) disagree with the feed's 1.20 output
    text = text.replace(
        "    usd_per_mtok_output: 1.20\n    context_tiers:",
        "    usd_per_mtok_output: 1.30\n    context_tiers:",
    )
    (d / "prices.yaml").write_text(text)
    cat = load_catalogue(d)
    review = review_feed(lit, cat, DAY)
    row = review.set_index("feed_key").loc["minimax/MiniMax-M3"]
    assert row["status"] == "changed" and "output 1.2 vs ours 1.3" in row["differences"]
    apply_review(review[review["feed_key"] == "minimax/MiniMax-M3"], lit, d, DAY)
    after = load_catalogue(d)
    old = next(p for p in after.prices if p.id == "minimax-m3-list")
    assert old.effective_to == dt.datetime(2026, 11, 29, tzinfo=dt.UTC)  # closed, not rewritten
    assert old.usd_per_mtok_output == 1.30  # the price before the feed's date stays what it was


def test_conflict_with_official_is_never_applied(tmp_path: Path, gp) -> None:  # type: ignore[no-untyped-def]
    d = _copy_data(tmp_path)
    cat = load_catalogue(d)
    review = review_feed(gp, cat, DAY)
    conflicts = review[review["status"] == "conflict"]
    assert len(conflicts) >= 1
    assert apply_review(conflicts, gp, d, DAY) == 0
    assert (d / "prices.yaml").read_text() == (DATA / "prices.yaml").read_text()


# ---- bad and hostile files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("litellm", "{not json", "not valid JSON"),
        ("litellm", "[1, 2]", "a LiteLLM price map is a JSON object"),
        ("litellm", "[" * 200_000 + "]" * 200_000, ""),  # nesting: refused either way, one line
        (
            "genai-prices",
            "providers = [__import__('os').system('echo pwned')]",
            "call of \"__import__('os').system\" is not read",
        ),
        (
            "genai-prices",
            "providers = [Provider(id='x', models=[open('/etc/passwd').read()])]",
            "is not read",
        ),
        ("genai-prices", "providers: list = [Provider(**{'id': 'x'})]", "is not read"),
        ("genai-prices", "def f(:\n", "not Python source"),
        ("genai-prices", "x = 1\n", "no 'providers = [...]' list"),
        ("genai-prices", "providers = [" * 5_000 + "]" * 5_000, ""),
    ],
)
def test_malformed_or_hostile_feed_one_line(name: str, text: str, message: str) -> None:
    with pytest.raises(FeedError) as e:
        parse_feed(text, name, what="f")  # type: ignore[arg-type]
    assert "\n" not in str(e.value) and message in str(e.value)


def test_bad_values_become_unmapped_rows_not_numbers() -> None:
    text = (
        '{"deepseek/deepseek-v4-pro": {"litellm_provider": "deepseek", "input_cost_per_token": NaN,'
        ' "output_cost_per_token": 1e-6},'
        ' "together_ai/deepseek-v4-pro": {"litellm_provider": "together_ai", "input_cost_per_token": -1e-6,'
        ' "output_cost_per_token": 1e-6},'
        ' "novita/deepseek-v4-pro": {"litellm_provider": "novita", "input_cost_per_token": true,'
        ' "output_cost_per_token": 1e-6},'
        ' "nebius/deepseek-v4-pro": {"litellm_provider": "nebius", "input_cost_per_token": 1e-6,'
        ' "output_cost_per_token": 1e-6, "off_peak_pricing": {"windows": [{"hours_utc": "00:30-01:00",'
        ' "weekdays": [1]}]}}}'
    )
    feed = parse_feed(text, "litellm")
    problems = {e.key: e.problem for e in feed.entries}
    assert "not a price" in problems["deepseek/deepseek-v4-pro"]
    assert "not a price" in problems["together_ai/deepseek-v4-pro"]
    assert "not a number" in problems["novita/deepseek-v4-pro"]
    assert "whole UTC hours" in problems["nebius/deepseek-v4-pro"]
    assert feed.version.startswith("unpinned")  # not the pinned file


def test_cli_review_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prices", "import", "--from", "litellm", str(LITELLM), "--effective-from", "2026-11-29",
                 "--format", "csv"]) == 0  # fmt: skip
    out = capsys.readouterr()
    assert out.out.startswith("status,feed_key,")
    assert "LiteLLM" not in out.err and "litellm 1.110.2" in out.err
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(MAX_FEED_BYTES + 1)
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{")
    for argv, message in (
        ([str(huge)], "larger than the 16 MB"),
        ([str(bad)], "not UTF-8"),
        ([str(tmp_path / "missing.json")], "file not found"),
        ([], "give the feed FILE"),
    ):
        assert main(["prices", "import", "--from", "litellm", *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err


def test_names_with_control_characters_are_one_line() -> None:
    text = (
        '{"novita/deepseek-v4-pro\\n| injected": {"litellm_provider": "novita", "input_cost_per_token": 1e-6,'
        ' "output_cost_per_token": 2e-6}}'
    )
    (e,) = parse_feed(text, "litellm").entries
    assert "\n" not in e.key and "\\n" in e.key


def test_cli_only_and_apply_in_a_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _copy_data(tmp_path)
    argv = ["prices", "import", "--from", "litellm", str(LITELLM), "--effective-from", "2026-11-29",
            "--format", "csv", "--data", str(d)]  # fmt: skip
    assert main([*argv, "--only", "new", "--apply"]) == 0
    out = capsys.readouterr()
    lines = out.out.strip().splitlines()[1:]
    assert lines and all(line.startswith("new,") for line in lines)
    assert f"applied: {len(lines)} new dated row(s)" in out.err
    assert main([*argv, "--only", "new"]) == 0  # nothing new any more
    assert capsys.readouterr().out.strip() == ",".join(REVIEW_COLUMNS)  # the header only
    assert main([*argv, "--only", "bogus"]) == 2
    assert "unknown status bogus" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--from", "litellm", "/dev/null"], "not a regular file"),
        (["--from", "litellm", "/"], "not a regular file"),
        (["--from", "litellm", str(LITELLM), "--effective-from", "2026-13-45"], "bad --effective-from"),
        (
            ["--from", "genai-prices", str(LITELLM)],
            "no 'providers = [...]' list",
        ),  # the wrong feed for the file
        (["--from", "litellm", str(GENAI)], "not valid JSON"),
        (["--from", "nope", str(LITELLM)], "invalid choice"),
    ],
)
def test_cli_bad_arguments_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prices", "import", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


def test_cli_except_leaves_entries_out_of_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = _copy_data(tmp_path)
    argv = ["prices", "import", "--from", "litellm", str(LITELLM), "--effective-from", "2026-11-29",
            "--format", "csv", "--data", str(d), "--only", "new"]  # fmt: skip
    out_keys = "deepseek/deepseek-v3.2,coralbricks/deepseek-v4.1-flash"
    assert main([*argv, "--except", out_keys, "--apply"]) == 0
    out = capsys.readouterr()
    left = [line for line in out.out.splitlines() if line.startswith("new,deepseek/deepseek-v3.2,")]
    assert left and left[0].endswith("none: left out by --except")
    assert main(argv) == 0  # the two are still new; everything else was applied
    rows = out_keys.split(",")
    assert sorted(line.split(",")[1] for line in capsys.readouterr().out.strip().splitlines()[1:]) == sorted(
        rows
    )
    assert main([*argv, "--except", "no/such-entry"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--except: no feed entry 'no/such-entry'" in err
