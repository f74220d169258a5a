"""Exports read back equal the table; formula injection is escaped; the compare/scenario/presets CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from costmodel.catalog import Catalogue
from costmodel.cli.main import main
from costmodel.evaluate.evaluation import compare_table
from costmodel.views.export.comparison import (
    assumptions_table,
    escape_cell,
    scenario_table,
    to_csv,
    to_csv_raw,
    to_json,
    to_markdown,
)
from costmodel.views.export.report import WRITERS, Report, render, write_report
from costmodel.views.export.xlsx import write_xlsx
from costmodel.workload.presets import preset
from costmodel.workload.scenario import Scenario, scenario_from_text, scenario_to_json

AS_OF = dt.date(2026, 11, 28)


def normal(df: pd.DataFrame) -> pd.DataFrame:
    """Numbers as float (missing = NaN), text as object str (missing = ''), for comparing read-backs."""
    out = {}
    for c in df.columns:
        col = df[c]
        if col.isna().all():  # an empty column reads back as float NaN
            out[str(c)] = pd.Series([""] * len(col), dtype=object)
        elif all(isinstance(v, bool | np.bool_) for v in col.dropna()):  # bool with gaps: object column
            out[str(c)] = pd.Series([np.nan if pd.isna(v) else float(v) for v in col], dtype=float)
        elif pd.api.types.is_numeric_dtype(col):
            out[str(c)] = pd.to_numeric(col, errors="raise").astype(float)
        else:
            out[str(c)] = pd.Series(["" if pd.isna(v) else str(v) for v in col], dtype=object)
    return pd.DataFrame(out)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """API options only (self-hosting rows are exercised separately)."""
    return preset("doc-analysis-1m", AS_OF).model_copy(update={"self_host_options": ()})


@pytest.fixture(scope="module")
def table(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    return compare_table(scenario, catalogue)


# ---- read-backs --------------------------------------------------------------------------------------------


def test_machine_csv_reads_back_equal(table: pd.DataFrame) -> None:
    back = pd.read_csv(io.StringIO(to_csv_raw(table)))
    pd.testing.assert_frame_equal(normal(back), normal(table), check_exact=True)


def test_people_csv_is_ranked_with_units_and_rounded(table: pd.DataFrame) -> None:
    back = pd.read_csv(io.StringIO(to_csv(table)))
    assert list(back.columns[:5]) == [
        "Rank", "Option", "Type (API or self-host)", "Monthly cost (USD/month)", "Dearer than the cheapest (%)"
    ]  # fmt: skip
    for header in back.columns:  # units in every numeric header
        if pd.api.types.is_numeric_dtype(back[header]) and header != "Rank":
            assert "(" in header and ")" in header, header
    ranked = back[back["Rank"].notna()]
    assert list(ranked["Rank"]) == list(range(1, len(ranked) + 1))  # ranked rows first, in order
    assert ranked["Monthly cost (USD/month)"].is_monotonic_increasing
    assert back["Rank"].isna().sum() == (~table["feasible"].astype(bool)).sum()  # the refused rows last
    assert back.iloc[-1]["Why not ranked"].startswith("the prompt (900,000 tokens) exceeds Kimi K2.6's")
    money = back["Monthly cost (USD/month)"].dropna()
    assert ((money * 100).round(6) % 1 == 0).all()  # cents
    want = table.set_index("label")["monthly_cost_usd"]
    for label, cost in zip(back["Option"], back["Monthly cost (USD/month)"], strict=True):
        if pd.notna(cost):
            assert cost == pytest.approx(float(want[label]), abs=0.006)
    assert (back["Dearer than the cheapest (%)"].dropna() >= 0).all()  # in %, not a fraction
    assert back.iloc[1]["Dearer than the cheapest (%)"] > 1
    text = to_csv(table)
    assert "e+" not in text and "e-0" not in text and "nan" not in text.lower() and "None" not in text


def _workbook(path: Path) -> object:
    import openpyxl

    return openpyxl.load_workbook(path)


def test_xlsx_for_people_formats_ranks_and_explains(
    tmp_path: Path, scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue
) -> None:
    from costmodel.evaluate.evaluation import evaluate

    ev = evaluate(scenario, catalogue)
    path = tmp_path / "out.xlsx"
    write_xlsx(path, scenario, ev.table, catalogue, ev.break_even)
    wb = _workbook(path)
    assert wb.sheetnames == ["Summary", "Workload", "Details", "Assumptions", "Data", "Scenario"]  # type: ignore[attr-defined]
    ws = wb["Summary"]  # type: ignore[index]
    header = [c.value for c in ws[1]]
    assert header[:4] == ["Rank", "Option", "Type (API or self-host)", "Monthly cost (USD/month)"]
    col = {h: i + 1 for i, h in enumerate(header)}
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    ranks = [r[0] for r in rows]
    assert ranks[: len(ranks) - 1] == list(range(1, len(ranks))) and ranks[-1] is None  # Kimi refused, last
    costs = [r[col["Monthly cost (USD/month)"] - 1] for r in rows if r[0] is not None]
    assert costs == sorted(costs)
    formats = {h: ws.cell(row=2, column=i).number_format for h, i in col.items()}
    assert formats["Monthly cost (USD/month)"].startswith("$#,##0.00")
    assert formats["Cost per request (USD)"].startswith("$")
    assert formats["Input (USD per 1M tokens)"].startswith("$#,##0.00")
    assert formats["GPU utilisation (%)"].endswith("%") and formats["Dearer than the cheapest (%)"].endswith(
        "%"
    )
    assert ws.freeze_panes == "B2"  # header row and option column stay in view
    assert ws.column_dimensions["B"].width >= 20  # fitted, not the default 8.43
    assert ws.auto_filter.ref
    workload = {r[0]: r[1] for r in wb["Workload"].iter_rows(min_row=2, values_only=True)}  # type: ignore[index]
    assert workload["Requests per day"] == scenario.workload.requests_per_day
    assert workload["Verdict"].startswith(
        "DeepSeek-V4-Flash API costs $3.17k/month, "
    )  # API options only (holidays off-peak: was $3.23k)
    assert any(k.startswith("Warning") and "Kimi K2.6" in str(v) for k, v in workload.items())
    data = pd.read_excel(path, sheet_name="Data")  # the machine form: every column of the table
    pd.testing.assert_frame_equal(normal(data), normal(ev.table), check_exact=False, rtol=1e-12)
    back, want = pd.read_excel(path, sheet_name="Scenario", dtype=object), scenario_table(scenario)
    assert back["field"].tolist() == want["field"].tolist()
    for got, exp in zip(back["value"], want["value"], strict=True):  # numbers as numbers, the rest as text
        if isinstance(exp, int | float):
            assert float(got) == pytest.approx(exp, rel=1e-15)
        else:
            assert ("" if pd.isna(got) else str(got)) == exp
    assumptions = pd.read_excel(path, sheet_name="Assumptions")
    assert set(table["price_ids"]) <= set(assumptions["id"])
    rows_by_id = {p.id: p for p in catalogue.prices}
    for _, r in assumptions.iterrows():
        assert (
            r["source"] == rows_by_id[r["id"]].source and r["as_of"] == rows_by_id[r["id"]].as_of.isoformat()
        )


def test_xlsx_with_self_host_rows_has_break_even_and_hardware_rows(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    from costmodel.evaluate.evaluation import evaluate

    full = preset("doc-analysis-1m", AS_OF)
    ev = evaluate(full, catalogue)
    both = ev.table
    path = tmp_path / "both.xlsx"
    write_xlsx(path, full, both, catalogue, ev.break_even)
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Summary", "Workload", "Details", "Break-even", "Assumptions", "Data", "Scenario"]
    details = sheets["Details"]
    assert "Monthly cost, pessimistic: low efficiency (USD/month)" in details.columns
    sh = details[details["Type (API or self-host)"] == "Self-host"]
    assert (sh["Monthly cost, optimistic: high efficiency (USD/month)"]
            <= sh["Monthly cost, pessimistic: low efficiency (USD/month)"]).all()  # fmt: skip
    be = sheets["Break-even"]
    assert len(be) == len(ev.break_even)
    assert set(be["Self-hosting option"]) == set(both.loc[both["kind"] == "self_host", "label"])
    self_host = both[both["kind"] == "self_host"]
    assumed = dict(zip(sheets["Assumptions"]["id"], sheets["Assumptions"]["table"], strict=True))
    for gpu in self_host["gpu"]:
        assert assumed[gpu] == "gpus"
    rentals = {r.id for r in catalogue.rentals}
    for pid in self_host["price_ids"]:
        assert pid not in rentals or assumed[pid] == "rentals"


def test_json_export(scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue) -> None:
    doc = json.loads(to_json(scenario, table, catalogue))
    assert Scenario.model_validate(doc["scenario"]) == scenario
    back = pd.DataFrame(doc["table"])
    pd.testing.assert_frame_equal(normal(back), normal(table), check_exact=True)
    assert doc["table"][0]["gpus"] is None  # missing, not NaN
    assert {a["id"] for a in doc["assumptions"]} == set(table["price_ids"])
    for col in ("option", "kind", "monthly_cost_usd", "usd_per_mtok_input", "usd_per_mtok_output",
                "usd_per_mtok_blended", "gpus", "utilization", "rank", "feasible", "reason", "flags"):  # fmt: skip
        assert col in doc["table"][0], col  # the contract columns stay; the new ones are added


def test_markdown_export_reads_like_the_page(
    scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue
) -> None:
    from costmodel.evaluate.evaluation import evaluate
    from costmodel.views.verdict import verdict

    ev = evaluate(scenario, catalogue)
    md = to_markdown(scenario, ev.table, catalogue, ev.break_even)
    assert md.startswith("# Cost comparison: doc-analysis-1m")
    from costmodel.views.present import md_literal

    text = verdict(scenario, ev.table, ev.break_even).text
    assert f"**{md_literal(text)}**" in md  # its dollar signs escaped ($…$ is maths in GitHub's Markdown)
    assert md_literal(text).replace("\\$", "$") == text
    assert "> **Warning.** 1 of 5 options cannot serve this workload" in md
    assert "Prices as of" not in md or "2026-11-28" in md
    assert "500 requests/day" in md and "900,000 prompt tokens" in md
    for bad in ("<NA>", "nan", "None", "e+0", "2e+06"):
        assert bad not in md, bad
    assert "| Option | Type | Monthly (USD) | vs cheapest |" in md
    for label in table["label"]:
        assert f"| {label} |" in md
    for pid in table["price_ids"]:
        assert f"| {pid} |" in md


# ---- formula injection -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2+3", "@SUM(A1)", "\t=x", "\r=x", '=HYPERLINK("http://x")'])
def test_formula_prefixes_are_escaped(text: str) -> None:
    assert escape_cell(text) == "'" + text
    assert escape_cell("plain") == "plain" and escape_cell(-1.5) == -1.5


def test_user_text_cannot_become_a_formula(
    tmp_path: Path, scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue
) -> None:
    evil = scenario.model_copy(update={"name": '=HYPERLINK("http://evil","click")', "description": "@SUM(1)"})
    bad_table = table.assign(notes="=cmd|' /C calc'!A0")
    path = tmp_path / "evil.xlsx"
    write_xlsx(path, evil, bad_table, catalogue)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    values = dict(pd.read_excel(path, sheet_name="Scenario").itertuples(index=False, name=None))
    assert values["name"] == "'" + evil.name and values["description"] == "'@SUM(1)"
    csv_back = pd.read_csv(io.StringIO(to_csv(bad_table)))
    assert (csv_back["Notes"] == "'=cmd|' /C calc'!A0").all()
    raw_back = pd.read_csv(io.StringIO(to_csv_raw(bad_table)))
    assert (raw_back["notes"] == "'=cmd|' /C calc'!A0").all()


def test_write_report_refuses_to_overwrite(
    tmp_path: Path, scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue
) -> None:
    path = tmp_path / "t.csv"
    path.write_text("keep me")
    with pytest.raises(FileExistsError, match="use --force"):
        write_report(path, "csv", Report(scenario, table, catalogue))
    assert path.read_text() == "keep me"
    write_report(path, "csv", Report(scenario, table, catalogue), force=True)
    assert path.read_text().startswith("option,label,kind,")  # the machine CSV: the contract's columns
    write_report(path, "csv-readable", Report(scenario, table, catalogue), force=True)
    assert path.read_text().startswith("Rank,Option,")


def test_assumptions_of_an_empty_table(catalogue: Catalogue, table: pd.DataFrame) -> None:
    assert assumptions_table(table.iloc[0:0], catalogue).empty


# ---- CLI ---------------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_presets_and_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "presets", "--format", "json")
    assert code == 0
    assert [r["preset"] for r in json.loads(out)][:2] == ["chat", "rag-long-docs"]
    code, out, _ = run(capsys, "scenario", "--preset", "agentic-coding", "--as-of", "2026-11-28")
    assert code == 0 and scenario_from_text(out) == preset("agentic-coding", AS_OF)
    code, out, _ = run(capsys, "scenario", "--preset", "chat", "--as-of", "2026-11-28", "--format", "yaml")
    assert code == 0 and scenario_from_text(out) == preset("chat", AS_OF)


def test_cli_compare_preset_and_file_agree(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, catalogue: Catalogue
) -> None:
    code, out, err = run(capsys, "compare", "--preset", "chat", "--as-of", "2026-11-28", "--format", "csv")
    assert code == 0, err
    from_preset = pd.read_csv(io.StringIO(out))
    f = tmp_path / "chat.json"
    f.write_text(scenario_to_json(preset("chat", AS_OF)))
    code, out, err = run(capsys, "compare", str(f), "--format", "csv")
    assert code == 0, err
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(out)), from_preset)
    want = compare_table(preset("chat", AS_OF), catalogue)
    pd.testing.assert_frame_equal(normal(from_preset), normal(want), check_exact=True)


@pytest.mark.parametrize("fmt", ["csv", "json", "md", "xlsx"])
def test_cli_compare_out_and_force(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    out_file = tmp_path / f"t.{fmt}"
    args = [
        "compare",
        "--preset",
        "rag-long-docs",
        "--as-of",
        "2026-11-28",
        "--format",
        fmt,
        "--out",
        str(out_file),
    ]
    code, out, _ = run(capsys, *args)
    assert code == 0 and out_file.stat().st_size > 0 and "wrote" in out
    before = out_file.read_bytes()
    code, _, err = run(capsys, *args)
    assert code == 2 and err == f"error: {out_file} exists; use --force to overwrite\n"
    assert out_file.read_bytes() == before
    code, _, _ = run(capsys, *args, "--force")
    assert code == 0


def test_cli_md_prints_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "compare", "--preset", "overnight-batch", "--as-of", "2026-11-28")
    assert code == 0 and out.startswith("# Cost comparison: overnight-batch")


def good(tmp_path: Path) -> dict[str, object]:
    return json.loads(scenario_to_json(preset("chat", AS_OF)))


BAD_FILES: list[tuple[str, str, str]] = [
    ("s.json", '{"workload": {"requests_per_day": "lots"}}', "workload.requests_per_day"),
    ("s.json", "not json at all", "not valid JSON"),
    ("s.json", "[" * 100_000 + "]" * 100_000, "s.json"),
    ("s.yaml", "a: &a [1, 2]\nb: [*a, *a, *a]\n", "aliases"),
    ("s.yaml", "- just\n- a list\n", "expected a mapping"),
    ("s.yaml", "\x00\x01binary", "s.yaml"),
    ("s.txt", "{}", "must end in .json, .yaml or .yml"),
]


@pytest.mark.parametrize(("name", "text", "needle"), BAD_FILES)
def test_cli_bad_scenario_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, text: str, needle: str
) -> None:
    f = tmp_path / name
    f.write_text(text)
    code, out, err = run(capsys, "compare", str(f))
    assert code == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("workload", "requests_per_day"), "NaN", "finite"),
        (("workload", "output_tokens"), "inf", "output_tokens"),
        (("workload", "prompt_tokens"), 10**40, "prompt_tokens"),
        (("workload", "cache_hit_fraction"), 1.01, "cache_hit_fraction"),
        (("workload", "requests_per_day"), -100, "requests_per_day"),
        (("workload", "hourly_profile_weekday"), [0] * 24, "sums to zero"),
        (("api_options",), [{"provider": "deepseek", "model": "deepseek-v99"}], "unknown API option"),
        (("as_of",), "1999-01-01", "no price on record for"),  # before every API's first price
        (("surprise",), 1, "surprise"),
    ],
)
def test_cli_bad_values_in_scenario_files(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: tuple[str, ...], value: object, needle: str
) -> None:
    data = good(tmp_path)
    target: dict[str, object] = data
    for p in path[:-1]:
        target = target[p]  # type: ignore[assignment]
    target[path[-1]] = value
    f = tmp_path / "s.json"
    f.write_text(json.dumps(data))
    code, _, err = run(capsys, "compare", str(f))
    assert code == 2 and err.count("\n") == 1 and needle in err, err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["compare"], "give a SCENARIO file"),
        (["compare", "--preset", "nope"], "unknown preset 'nope'"),
        (["compare", "--preset", "chat", "--format", "xlsx"], "--out"),
        (["compare", "--preset", "chat", "--as-of", "28/11/2026"], "bad --as-of"),
        (["compare", "missing.json"], "file not found"),
        (["scenario", "--preset", "nope"], "unknown preset"),
    ],
)
def test_cli_bad_arguments(capsys: pytest.CaptureFixture[str], argv: list[str], needle: str) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.count("\n") == 1 and needle in err, err


def test_no_nan_in_exported_numbers(table: pd.DataFrame) -> None:
    back = pd.read_csv(io.StringIO(to_csv_raw(table)))
    served = back[back["feasible"]]
    numeric = served.drop(columns=["gpus", "utilization"]).select_dtypes("number").dropna(axis=1, how="all")
    assert np.isfinite(numeric.to_numpy(dtype=float)).all()


def test_cli_readable_csv_and_its_misuse(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "compare", "--preset", "chat", "--as-of", "2026-11-28", "--format", "csv", "--readable"
    )
    assert code == 0 and out.startswith("Rank,Option,Type (API or self-host),Monthly cost (USD/month)")
    code, _, err = run(capsys, "compare", "--preset", "chat", "--format", "json", "--readable")
    assert code == 2 and "--readable applies to --format csv" in err


def test_markdown_report_escapes_user_text(catalogue: Catalogue) -> None:
    """A scenario name or description cannot inject headings, links, HTML or table rows into the report."""
    from costmodel.evaluate.evaluation import compare_table
    from costmodel.views.export import comparison as export
    from costmodel.workload.presets import preset

    s = preset("chat", dt.date(2026, 11, 28)).model_copy(
        update={"name": "x\n# injected [link](http://evil) <script>", "description": "| a | b |\n## also"}
    )
    md = export.to_markdown(s, compare_table(s, catalogue), catalogue)
    assert "\n# injected" not in md and "\n## also" not in md and "<script>" not in md
    assert "[link](http://evil)" not in md and "\n| a | b |" not in md
    assert md.startswith("# Cost comparison: x \\# injected")


def test_exports_name_the_api_options_left_out_before_their_first_price(
    catalogue: Catalogue, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """Found in review after merging the first-price rule: an option dated before its first price is left out of the table
    (the page and the CLI say so) but the Markdown, JSON and XLSX exports did not mention it."""
    import openpyxl

    from costmodel.evaluate.evaluation import evaluate
    from costmodel.views.export import comparison as export
    from costmodel.workload.presets import preset

    s = preset("chat", dt.date(2026, 3, 1))  # before DeepSeek V4's and Kimi K2.6's first prices
    ev = evaluate(s, catalogue)
    assert len(ev.left_out) == 4
    lines = export.left_out(s, ev.table)
    assert len(lines) == 4 and all("no price on record on 2026-03-01" in x for x in lines)
    md = export.to_markdown(s, ev.table, catalogue, ev.break_even)
    assert md.count("> **Left out.**") == 4
    assert json.loads(export.to_json(s, ev.table, catalogue))["left_out"] == lines
    path = tmp_path / "x.xlsx"
    write_xlsx(path, s, ev.table, catalogue, ev.break_even)
    cells = [c.value for row in openpyxl.load_workbook(path)["Workload"].iter_rows() for c in row]
    assert sum(isinstance(v, str) and v.startswith("Left out ") for v in cells) == 4
    # nothing left out: no key, no line (the golden exports of every preset are unchanged)
    s2 = preset("chat", dt.date(2026, 11, 1))
    ev2 = evaluate(s2, catalogue)
    assert "left_out" not in json.loads(export.to_json(s2, ev2.table, catalogue))


def test_every_format_has_one_writer_and_an_unknown_one_is_one_line(
    scenario: Scenario, table: pd.DataFrame, catalogue: Catalogue
) -> None:
    assert set(WRITERS) == {"csv", "csv-readable", "json", "md", "xlsx"}
    report = Report(scenario, table, catalogue)
    assert isinstance(render("xlsx", report), bytes)
    assert all(isinstance(render(f, report), str) for f in WRITERS if f != "xlsx")
    with pytest.raises(
        ValueError, match=r"^unknown export format 'pdf'; use one of csv, csv-readable, json, md, xlsx$"
    ):
        render("pdf", report)


@pytest.mark.parametrize("name", ["chat", "support-mix", "rag-long-docs"])
def test_every_sheet_of_the_workbook_is_for_people(name: str, catalogue: Catalogue) -> None:
    """Every number is a number with a format (none in General, so none shows 17 decimals), none is stored as text;
    the Data sheet keeps full precision under its own format and the Workload sheet says so."""
    import openpyxl

    from costmodel.evaluate.evaluation import evaluate
    from costmodel.workload.presets import preset

    s = preset(name, dt.date(2026, 12, 6))
    ev = evaluate(s, catalogue)
    xlsx = render("xlsx", Report(s, ev.table, catalogue, ev.break_even, ev.by_class))
    assert isinstance(xlsx, bytes)
    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    numeric_text = re.compile(r"[-+]?\d[\d,]*(\.\d+)?([eE][-+]?\d+)?%?")
    problems = []
    for ws in book.worksheets:
        for row in ws.iter_rows(min_row=2):
            for c in row:
                where = f"{ws.title}!{c.coordinate} ({ws.cell(1, c.column).value})"
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    if c.number_format == "General":
                        problems.append(f"{where}: {c.value!r} in General format")
                elif isinstance(c.value, str) and numeric_text.fullmatch(c.value.strip()):
                    problems.append(f"{where}: the number {c.value!r} stored as text")
    assert problems == []
    data = book["Data"]
    cost_col = next(c.column for c in data[1] if c.value == "monthly_cost_usd")
    first = data.cell(2, cost_col).value
    assert first == pytest.approx(
        float(ev.table["monthly_cost_usd"].iloc[0]), rel=1e-15
    )  # full precision kept
    items = {r[0].value: r[1].value for r in book["Workload"].iter_rows(min_row=2)}
    assert "full precision" in items["Data sheet"]
    scenario = {r[0].value: r[1].value for r in book["Scenario"].iter_rows(min_row=2)}
    assert scenario["workload.requests_per_day"] == s.workload.requests_per_day  # a number, not "200000.0"
