"""Numbers for people (costmodel.views.present), counts typed by people (units.parse_count), feasibility, ranking and
the verdict (costmodel.views.verdict): good input and bad input alike."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.catalog import Catalogue
from costmodel.catalog.feasibility import context_reason, unchecked_limits
from costmodel.catalog.units import parse_count
from costmodel.evaluate.evaluation import evaluate
from costmodel.views import present
from costmodel.views.verdict import verdict, warnings
from costmodel.workload.presets import preset, preset_names

AS_OF = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "binary", "want"),
    [
        ("2M", False, 2_000_000), ("2m", False, 2_000_000), ("8K", False, 8_000), ("1.5k", False, 1_500),
        ("2,000,000", False, 2_000_000), ("2 000 000", False, 2_000_000), (" 250 ", False, 250), ("0.5", False, 0.5),
        (".5M", False, 500_000), ("3B", False, 3e9), ("8K", True, 8_192), ("1.5k", True, 1_536),
        ("1M", True, 1_048_576), ("2M", True, 2_097_152), ("0", True, 0),
    ],
)  # fmt: skip
def test_counts_people_type_are_read(text: str, binary: bool, want: float) -> None:
    assert parse_count(text, binary=binary, whole=binary) == want


@pytest.mark.parametrize(
    ("text", "binary", "needle"),
    [
        ("", False, "empty"), ("   ", False, "empty"), ("2MM", False, "unknown suffix 'MM'"),
        ("lots", False, "cannot read 'lots'"), ("-5", False, "negative"), ("1,5", False, "commas separate thousands"),
        ("2,00", False, "commas separate thousands"), ("1e6", False, "cannot read"), ("1B", True, "(use K, M)"),
        ("0.5", True, "not a whole number"), ("1.0001k", True, "not a whole number"), ("9" * 20, False, "too large"),
        ("2M tokens", False, "cannot read"), ("$5", False, "cannot read"), ("NaN", False, "cannot read"),
    ],
)  # fmt: skip
def test_counts_that_cannot_be_read_are_refused_with_one_line(text: str, binary: bool, needle: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_count(text, binary=binary, whole=binary)
    assert needle in str(e.value) and "\n" not in str(e.value)


@given(st.integers(0, 10**12))
def test_a_count_written_with_separators_reads_back(n: int) -> None:
    assert parse_count(f"{n:,}") == n
    assert parse_count(present.count(n)) == n


#: Every number format of the page and the exports.
FORMATS = (
    present.usd,
    present.usd_short,
    present.usd_rate,
    present.count,
    present.count_short,
    present.percent,
)


@given(st.floats(min_value=-1e15, max_value=1e15, allow_nan=False))
def test_formats_never_print_scientific_notation_or_nan(x: float) -> None:
    for f in FORMATS:
        text = f(x)
        assert "e+" not in text and "e-" not in text and "nan" not in text.lower() and "None" not in text, (
            f,
            x,
        )


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, "text"])
def test_a_value_that_does_not_apply_is_a_dash(missing: object) -> None:
    for f in FORMATS:
        assert f(missing) == present.MISSING


def test_formats_by_example() -> None:
    assert [present.usd(x) for x in (26_512.3, 12.345, 0.000409, 0)] == [
        "$26,512",
        "$12.35",
        "$0.000409",
        "$0.00",
    ]
    assert [present.usd_short(x) for x in (26_512, 2.42e6, 950, 999.9)] == ["$26.5k", "$2.42M", "$950", "$1k"]
    assert [present.count_short(x) for x in (200_000, 1.92e6, 40_024, 100)] == ["200k", "1.92M", "40k", "100"]
    assert [present.usd_rate(x) for x in (0.0883, 0.18, 2.2854)] == ["$0.0883", "$0.18", "$2.29"]
    assert [present.percent(x) for x in (0.61, 0.042, 1.0)] == ["61%", "4.2%", "100%"]
    assert present.count(1_048_576) == "1,048,576"


def test_context_window_and_maximum_output(catalogue: Catalogue) -> None:
    v4 = catalogue.model("deepseek-v4-flash")
    window = v4.context_window_tokens
    assert window == 1_048_576
    assert context_reason(v4, window - 100, 100) == ""  # exactly the window: served
    assert "prompt + output (1,048,577 tokens) exceeds" in context_reason(v4, window - 100, 101)
    assert context_reason(v4, window + 1, 0).startswith(
        "the prompt (1,048,577 tokens) exceeds DeepSeek-V4-Flash's"
    )
    assert "maximum output" in context_reason(v4, 10, 400_000)
    # Anthropic's page: 1M context, 128K output (facts-2026-12 §4)
    opus = catalogue.model("claude-opus-4.6")
    assert (opus.context_window_tokens, opus.max_output_tokens) == (1_000_000, 128_000)
    assert "exceeds Claude Opus 4.6's 1,000,000-token context window" in context_reason(opus, 5_000_000, 0)
    assert unchecked_limits(opus) == ""
    # an unknown window is a reason (not ranked), unless a window is stated
    unknown = opus.model_copy(update={"context_window_tokens": None})
    assert "context window is unknown" in context_reason(unknown, 1_000, 100)
    assert "state the window" in context_reason(unknown, 1_000, 100)
    assert context_reason(unknown, 1_000, 100, window_tokens=32_768) == ""
    assert "32,768-token" in context_reason(unknown, 40_000, 100, window_tokens=32_768)


@pytest.mark.parametrize("name", preset_names())
def test_verdict_of_every_preset_names_both_sides_and_matches_the_table(
    catalogue: Catalogue, name: str
) -> None:
    s = preset(name, AS_OF)
    ev = evaluate(s, catalogue)
    v = verdict(s, ev.table, ev.break_even)
    t = ev.table
    best = t[t["rank"] == 1].iloc[0]
    assert v.option == best["label"] and v.monthly_cost_usd == best["monthly_cost_usd"]
    assert v.usd_per_request == pytest.approx(best["monthly_cost_usd"] / s.workload.requests_per_month)
    assert v.yearly_cost_usd == pytest.approx(12 * best["monthly_cost_usd"])
    for kind in ("api", "self_host"):
        first = t[(t["kind"] == kind) & t["rank"].notna()].sort_values("rank").iloc[0]
        assert first["label"] in v.text
    assert (
        v.break_even_pair is not None
        and f"are at {present.count_short(s.workload.requests_per_day)}" in v.text
    )
    if math.isfinite(v.break_even_requests_per_day):
        assert f"at {present.count_short(v.break_even_requests_per_day)} requests/day" in v.text
    else:
        assert "never break even" in v.text
    assert "nan" not in v.text.lower() and "None" not in v.text and "e+" not in v.text


def test_verdict_when_nothing_can_serve_the_workload(catalogue: Catalogue) -> None:
    s = preset("chat", AS_OF)
    s = s.model_copy(
        update={
            "api_options": s.api_options[:1],
            "workload": s.workload.model_copy(update={"prompt_tokens": 2 * 1024 * 1024}),
        }
    )
    ev = evaluate(s, catalogue)
    v = verdict(s, ev.table, ev.break_even)
    assert v.text.startswith("No option can serve this workload") and v.option == ""
    assert math.isnan(v.monthly_cost_usd)
    w = warnings(s, ev.table)
    assert w[0].startswith("3 of 3 options cannot serve this workload and are not ranked:")
    assert ev.table["rank"].isna().all() and ev.curves.empty


def test_ranking_skips_options_that_cannot_serve_and_labels_are_unique(catalogue: Catalogue) -> None:
    s = preset("doc-analysis-1m", AS_OF)
    t = evaluate(s, catalogue).table
    ranked = t[t["rank"].notna()].sort_values("rank")
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert ranked["monthly_cost_usd"].is_monotonic_increasing
    kimi = t[t["model"] == "kimi-k2.6"].iloc[0]
    assert kimi["flags"].startswith("not ranked: the prompt (900,000 tokens) exceeds Kimi K2.6's")
    assert t["label"].is_unique


def test_dearer_than_a_free_cheapest_option_is_empty_not_infinite(catalogue: Catalogue) -> None:
    """Found by fuzzing: a cheapest option costing $0 (every prompt token cached at a zero price, no output) made
    'Dearer than the cheapest (%)' infinite."""
    import pandas as pd

    t = pd.DataFrame(
        {"rank": pd.array([1, 2, pd.NA], dtype="Int64"), "monthly_cost_usd": [0.0, 5.0, math.nan],
         "kind": ["api", "api", "api"]}
    )  # fmt: skip
    tiny = t.assign(monthly_cost_usd=[1e-310, 5.0, math.nan])  # the ratio would overflow to infinity
    assert math.isnan(present.ranked(tiny)["vs_cheapest"].iloc[1])
    huge = t.assign(monthly_cost_usd=[1.26e-301, 2265.6, math.nan])  # fuzz: a finite ratio that overflows
    csv = present.people_frame(huge, ["vs_cheapest"], percent_as="percent")  # once in % and rounded
    assert csv.iloc[:, 0].isna().iloc[1]
    r = present.ranked(t)
    assert (
        r["vs_cheapest"].iloc[0] == 0
        and math.isnan(r["vs_cheapest"].iloc[1])
        and math.isnan(r["vs_cheapest"].iloc[2])
    )
    assert present.display_frame(t, ["vs_cheapest"])["vs cheapest"].tolist() == ["cheapest", "—", "—"]


@pytest.mark.parametrize(
    "text",
    [
        "![p](http://127.0.0.1:9/track.png)",
        "# HUGE",
        "1. one",
        "2) two",
        "- item",
        "> quote",
        "<img src=x onerror=alert(1)>",
        "&lt;b&gt; $x^2$ ~~s~~ **b** _i_ `c` | cell |",
        ":smile: :material/home: :red[x]",
        "www.example.org a@b.c https://x.y mailto:a@b.c",
        "back\\slash",
        "costs $24.9k/month: fine",
    ],
)
def test_md_literal_shows_the_same_characters_and_nothing_markdown_reads(text: str) -> None:
    """Every special character carries its backslash, bare URLs, e-mail addresses and short
    codes carry a word joiner (U+2060), and undoing exactly that gives the text back."""
    import re

    from costmodel.views.present import md_literal

    out = md_literal(text)
    assert re.sub(r"\\(.)", r"\1", out.replace("\u2060", "")) == text
    unescaped = re.sub(r"\\.", "E", out)  # every escaped pair replaced by a plain letter
    assert not re.search(r"[\\`*_\[\]<>|!~$&{}#]", unescaped), out
    assert not re.match(r"\s*(\d+[.)]|[-+=>])", unescaped), out
    assert not re.search(r"(?i)https?://|www\.|:[a-z]|@[a-z]", out), out


def test_md_literal_leaves_numbers_and_prose_copyable() -> None:
    """Figures and sentences of the verdict carry no invisible characters, so a copied '$24.9k' pastes as typed."""
    from costmodel.views.present import md_literal

    assert md_literal("costs $24.9k/month: 61% less") == "costs \\$24.9k/month: 61% less"
    assert md_literal("line one\n\nline two") == "line one line two"


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("![]()#<>*_`~|$&{}:/.@-+=\\ \nabcxyz019")) | st.characters(),
        max_size=80,
    )
)
def test_md_literal_on_any_text_leaves_nothing_markdown_reads(text: str) -> None:
    """Fuzz: whatever the text, the escaped form reads back as the text on one line and holds
    no special character without its backslash, no line-start marker, no bare link or short-code start."""
    import re

    from costmodel.views.present import md_literal

    out = md_literal(text)
    assert re.sub(r"\\(.)", r"\1", out.replace("\u2060", "")) == " ".join(text.replace("\u2060", "").split())
    unescaped = re.sub(r"\\.", "E", out)  # every escaped pair replaced by a plain letter
    assert not re.search(r"[\\`*_\[\]<>|!~$&{}#]", unescaped), out
    assert not re.match(r"\s*(\d+[.)]|[-+=>])", unescaped), out
    assert not re.search(r"(?i)https?://|www\.|:[a-z0-9/]|@[a-z0-9]", out), out
