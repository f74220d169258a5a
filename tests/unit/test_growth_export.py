"""Growth as part of the scenario: saved in files and links only when it is not 0, refused in one line when out of
range; exports with growth carry the 12-month projection and the months the cheapest option changes (compared with
costmodel.evaluate.growth directly); without growth every export is byte-identical to before."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from costmodel.catalog import Catalogue, load_catalogue
from costmodel.cli.main import main
from costmodel.evaluate.evaluation import evaluate
from costmodel.evaluate.growth import GrowthError, cheapest_changes, growth_projection
from costmodel.views.export import comparison as export
from costmodel.views.export.growth import (
    MONTHS,
    GrowthProblem,
    growth_json,
    growth_markdown,
    growth_or_problem,
    growth_report,
    growth_section,
    growth_sheets,
    growth_table,
)
from costmodel.views.export.report import Report, render
from costmodel.views.export.xlsx import write_xlsx
from costmodel.views.links.query import scenario_from_query, scenario_to_query
from costmodel.workload.presets import preset
from costmodel.workload.scenario import (
    ApiOption,
    Scenario,
    ScenarioError,
    SelfHostOption,
    scenario_from_text,
    scenario_to_json,
    scenario_to_yaml,
)

DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def cat() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def growing() -> Scenario:
    """Claude Opus against V4-Flash on H200 at 2,000 requests a day, doubling every month: test_growth.py shows
    the cheapest option changes from the API to self-hosting within 8 months."""
    s = preset("chat", DAY)
    return s.model_copy(
        update={
            "workload": s.workload.model_copy(update={"requests_per_day": 2_000.0}),
            "api_options": (ApiOption(provider="anthropic", model="claude-opus-4.6"),),
            "self_host_options": (SelfHostOption(model="deepseek-v4-flash", gpu="h200"),),
            "monthly_growth_fraction": 1.0,
        }
    )


@pytest.fixture(scope="module")
def direct(growing: Scenario, cat: Catalogue) -> pd.DataFrame:
    return growth_projection(growing, cat, 1.0, MONTHS)


# ---- the scenario field -------------------------------------------------------------------------------------


def test_growth_is_saved_and_shared_only_when_not_zero() -> None:
    s = preset("chat", DAY)
    assert "monthly_growth_fraction" not in scenario_to_json(s) and "gr" not in scenario_to_query(s)
    g = s.model_copy(update={"monthly_growth_fraction": 0.1})
    assert '"monthly_growth_fraction": 0.1' in scenario_to_json(g)
    assert scenario_from_text(scenario_to_json(g)) == g and scenario_from_text(scenario_to_yaml(g)) == g
    q = scenario_to_query(g)
    assert q["gr"] == "0.1"
    back, ignored = scenario_from_query(q, s)
    assert ignored == [] and back == g
    # a scenario written with growth 0 spelled out reads back equal to one without it
    assert (
        scenario_from_text(scenario_to_json(s).replace('"name"', '"monthly_growth_fraction": 0,\n  "name"'))
        == s
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-1, "above -100%"),
        (10.5, "at most +1,000%"),
        (True, "boolean"),
        ("fast", "valid number"),
        (1e999, "finite"),
    ],
)
def test_bad_growth_in_a_file_is_one_line_naming_the_field(value: object, words: str) -> None:
    doc = json.loads(scenario_to_json(preset("chat", DAY)))
    doc["monthly_growth_fraction"] = value
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(json.dumps(doc), what="s.json")
    msg = str(e.value)
    assert "\n" not in msg and "monthly_growth_fraction" in msg and words in msg, msg


def test_bad_growth_in_a_link_is_named_and_dropped() -> None:
    s = preset("chat", DAY)
    for bad in ("-1", "11", "nan", "x", ""):
        back, ignored = scenario_from_query({**scenario_to_query(s), "gr": bad}, s)
        assert ignored == ["gr"] and back == s, bad


# ---- the exports --------------------------------------------------------------------------------------------


def test_report_is_growth_projection_and_none_without_growth(
    growing: Scenario, cat: Catalogue, direct
) -> None:  # type: ignore[no-untyped-def]
    r = growth_report(growing, cat)
    assert r is not None
    pd.testing.assert_frame_equal(r.projection, direct)
    assert list(r.changes) == cheapest_changes(direct) and len(r.changes) == 1
    assert r.months == MONTHS
    assert growth_report(growing.model_copy(update={"monthly_growth_fraction": 0.0}), cat) is None


def test_json_export_carries_the_projection_and_the_change_months(
    growing: Scenario, cat: Catalogue, direct
) -> None:  # type: ignore[no-untyped-def]
    r = growth_report(growing, cat)
    assert r is not None
    ev = evaluate(growing, cat)
    doc = json.loads(str(render("json", Report(growing, ev.table, cat, sections=(growth_section(r),)))))
    g = doc["growth"]
    assert g["monthly_growth_fraction"] == 1.0 and g["months"] == MONTHS
    rows = pd.DataFrame(g["rows"])
    assert len(rows) == len(direct)
    assert rows["monthly_cost_usd"].tolist() == direct["monthly_cost_usd"].tolist()  # full precision
    assert rows["requests_per_day"].tolist() == direct["requests_per_day"].tolist()
    assert rows["option"].tolist() == direct["option"].tolist()
    assert rows["cheapest"].tolist() == direct["cheapest"].tolist()
    assert [(c["month"], c["from"], c["to"]) for c in g["cheapest_changes"]] == cheapest_changes(direct)
    assert doc["scenario"]["monthly_growth_fraction"] == 1.0  # and the scenario says so
    assert growth_json(r) == g


def test_markdown_and_xlsx_carry_the_months_table(growing: Scenario, cat: Catalogue, direct) -> None:  # type: ignore[no-untyped-def]
    r = growth_report(growing, cat)
    assert r is not None
    ((month, before, after),) = cheapest_changes(direct)
    md = growth_markdown(r)
    assert "## Growth: the next 12 months" in md and "Traffic +100.0% a month" in md
    assert f"- Month {month}: the cheapest option changes from **{before}**" in md.replace("\\", "")
    ev = evaluate(growing, cat)
    full = str(render("md", Report(growing, ev.table, cat, ev.break_even, sections=(growth_section(r),))))
    assert full.startswith(export.to_markdown(growing, ev.table, cat, ev.break_even).rstrip("\n"))
    assert full.endswith(md)

    table = growth_table(r)
    assert table["Month"].tolist() == list(range(MONTHS))
    assert table["Requests per day"].tolist() == pytest.approx([2000.0 * 2**m for m in range(MONTHS)])
    api_col = next(c for c in table.columns if "Opus" in c)
    sh_col = next(c for c in table.columns if "H200" in c)
    assert api_col.endswith("(USD/month)") and "×" not in sh_col  # the GPU count grows: not in the header
    by_kind = direct.pivot(index="month", columns="kind", values="monthly_cost_usd")
    assert table[api_col].tolist() == by_kind["api"].tolist()
    assert table[sh_col].tolist() == by_kind["self_host"].tolist()
    assert table.loc[month, "Cheapest option changes"] == f"from {before} to {after}"
    assert (table["Cheapest option changes"] != "").sum() == 1

    xlsx = render("xlsx", Report(growing, ev.table, cat, ev.break_even, sections=(growth_section(r),)))
    assert isinstance(xlsx, bytes)
    buf = io.BytesIO(xlsx)
    sheets = pd.read_excel(buf, sheet_name=None)
    assert list(sheets)[:5] == ["Summary", "Workload", "Details", "Break-even", "Growth"]
    workload = sheets["Workload"].set_index("Item")
    assert workload.loc["Traffic growth a month (Growth sheet)", "Value"] == 1.0
    sheet = sheets["Growth"]
    assert sheet[sh_col].tolist() == pytest.approx(by_kind["self_host"].tolist(), rel=1e-12)
    assert sheet.loc[month, "Cheapest option changes"] == f"from {before} to {after}"


def test_without_growth_every_export_is_unchanged(cat: Catalogue) -> None:
    s = preset("chat", DAY)
    ev = evaluate(s, cat)
    assert growth_report(s, cat) is None and growth_sheets(None) == ()
    plain, extra = io.BytesIO(), io.BytesIO()
    write_xlsx(plain, s, ev.table, cat, ev.break_even)
    write_xlsx(extra, s, ev.table, cat, ev.break_even, extra_sheets=growth_sheets(None))
    book = pd.read_excel(plain, sheet_name=None)
    assert book.keys() == pd.read_excel(extra, sheet_name=None).keys() and "Growth" not in book
    assert not book["Workload"]["Item"].str.contains("growth").any()
    assert "growth" not in export.to_json(s, ev.table, cat)  # tests/golden holds every export byte for byte


def test_cli_compare_adds_growth_to_md_json_xlsx_and_not_to_csv(
    growing: Scenario, direct: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "g.json"
    f.write_text(scenario_to_json(growing))
    assert main(["compare", str(f), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(c["month"], c["from"], c["to"]) for c in doc["growth"]["cheapest_changes"]] == cheapest_changes(
        direct
    )
    assert main(["compare", str(f), "--format", "md"]) == 0
    assert "## Growth: the next 12 months" in capsys.readouterr().out
    out = tmp_path / "g.xlsx"
    assert main(["compare", str(f), "--format", "xlsx", "--out", str(out)]) == 0
    assert "Growth" in pd.read_excel(out, sheet_name=None)
    assert main(["compare", str(f), "--format", "csv"]) == 0
    assert "Growth" not in capsys.readouterr().out.split("\n", 1)[1]  # the machine CSV keeps its shape
    # the growth command takes the scenario's rate when no --monthly-growth is given
    assert main(["growth", str(f), "--months", "2", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [r["requests_per_day"] for r in rows if r["kind"] == "api"] == [2000.0, 4000.0]
    plain = tmp_path / "p.json"
    plain.write_text(scenario_to_json(preset("chat", DAY)))
    assert main(["growth", str(plain)]) == 2
    assert capsys.readouterr().err.startswith("error: give --monthly-growth")


#: What the projection of 120,000 requests a day growing 11-fold a month says: month 5 is beyond 1e10 a day.
OUT_OF_RANGE = "month 5: 1.933e+10 requests a day is outside the scenario's range (0, 10,000,000,000]"


@pytest.fixture(scope="module")
def too_fast() -> Scenario:
    """The support-mix preset (120,000 requests a day, request classes) growing +1,000% a month: a valid
    scenario whose projection leaves the volume range in month 5."""
    return preset("support-mix", DAY).model_copy(update={"monthly_growth_fraction": 10.0})


def test_growth_or_problem_gives_the_line_instead_of_raising(too_fast: Scenario, cat: Catalogue) -> None:
    problem = growth_or_problem(too_fast, cat)
    assert problem == GrowthProblem(10.0, OUT_OF_RANGE)
    with pytest.raises(GrowthError, match=r"^month 5: "):
        growth_report(too_fast, cat)  # the strict form is unchanged
    assert growth_or_problem(preset("chat", DAY), cat) is None  # no growth: nothing computed


def test_cli_compare_with_growth_out_of_range_writes_the_comparison_and_the_line(
    too_fast: Scenario, cat: Catalogue, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "fast.json"
    f.write_text(scenario_to_json(too_fast))
    table = evaluate(too_fast, cat).table
    warning = f"warning: growth: {OUT_OF_RANGE}; the comparison has no projection\n"
    line = f"No projection of traffic +1000.0% a month over 12 months: {OUT_OF_RANGE}."

    assert main(["compare", str(f), "--format", "json"]) == 0
    out, err = capsys.readouterr()
    assert err == warning
    doc = json.loads(out)
    assert doc["growth"] == {"monthly_growth_fraction": 10.0, "months": 12, "error": OUT_OF_RANGE}
    plain = json.loads(export.to_json(too_fast, table, cat, evaluate(too_fast, cat).by_class))
    assert {k: v for k, v in doc.items() if k != "growth"} == plain  # the comparison, whole

    assert main(["compare", str(f), "--format", "md"]) == 0
    out, err = capsys.readouterr()
    assert err == warning
    head, section = out.split("## Growth: the next 12 months\n", 1)
    assert "| " in head and all(str(lab) in head for lab in table["label"])  # the comparison table is printed
    assert section.strip() == line.replace("]", "\\]")  # one line (Markdown-escaped) where the table would be

    xlsx = tmp_path / "fast.xlsx"
    assert main(["compare", str(f), "--format", "xlsx", "--out", str(xlsx)]) == 0
    out, err = capsys.readouterr()
    assert err == warning and out.startswith(f"wrote {xlsx}")
    book = pd.read_excel(xlsx, sheet_name=None)
    assert book["Growth"].columns.tolist() == ["Growth"] and book["Growth"]["Growth"].tolist() == [line]
    assert {"Summary", "Details", "Data"} <= book.keys() and len(book["Data"]) == len(table)

    assert main(["compare", str(f), "--format", "csv"]) == 0  # no projection asked for: nothing said
    assert capsys.readouterr().err == ""


def test_cli_compare_with_uncertainty_and_growth_carries_both(
    growing: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "g.json"
    f.write_text(scenario_to_json(growing))
    assert main(["compare", str(f), "--format", "json", "--uncertainty", "--draws", "200"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "uncertainty" in doc and doc["growth"]["months"] == MONTHS
    assert main(["compare", str(f), "--format", "md", "--uncertainty", "--draws", "200"]) == 0
    md = capsys.readouterr().out
    assert 0 < md.index("## Uncertainty") < md.index("## Growth: the next 12 months")
    assert md.rstrip().splitlines()[-1].startswith("- Month ")  # the month the cheapest option changes, last
