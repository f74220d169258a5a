"""``costmodel compare --uncertainty``: the contract's columns added, the table unchanged without the flag."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from costmodel.cli.main import main
from costmodel.evaluate.uncertainty import MAX_DRAWS, UNCERTAINTY_COLUMNS

ARGS = ["compare", "--preset", "chat", "--as-of", "2026-06-01"]


def _csv(capsys: pytest.CaptureFixture[str], *extra: str) -> pd.DataFrame:
    assert main([*ARGS, "--format", "csv", *extra]) == 0
    return pd.read_csv(io.StringIO(capsys.readouterr().out))


def test_columns_added_and_nothing_else_moves(capsys: pytest.CaptureFixture[str]) -> None:
    plain = _csv(capsys)
    unc = _csv(capsys, "--uncertainty", "--draws", "2000", "--seed", "5")
    assert not set(UNCERTAINTY_COLUMNS) & set(plain.columns)
    assert list(unc.columns) == [*plain.columns, *UNCERTAINTY_COLUMNS]
    pd.testing.assert_frame_equal(unc[plain.columns], plain)
    assert unc["p_cheapest"].sum() == pytest.approx(1.0)
    assert (unc["monthly_cost_usd_p10"] <= unc["monthly_cost_usd_p50"]).all()
    assert (unc["monthly_cost_usd_p50"] <= unc["monthly_cost_usd_p90"]).all()
    again = _csv(capsys, "--uncertainty", "--draws", "2000", "--seed", "5")
    pd.testing.assert_frame_equal(unc, again)  # seeded


def test_markdown_and_json_carry_the_sentence_and_tornado(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGS, "--uncertainty", "--draws", "1000"]) == 0
    md = capsys.readouterr().out
    assert "## Uncertainty" in md and "of 1,000 draws" in md and "| Requests per day |" in md
    assert main([*ARGS, "--uncertainty", "--draws", "1000", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    u = doc["uncertainty"]
    assert u["draws"] == 1000 and u["sentence"].startswith("Self-hosting is cheaper in")
    assert {row["input"] for row in u["tornado"]} >= {"Requests per day", "Cache-hit share"}
    assert all("p_cheapest" in row for row in doc["table"])


def test_xlsx_export_carries_the_columns(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "c.xlsx"
    assert main([*ARGS, "--uncertainty", "--draws", "500", "--format", "xlsx", "--out", str(out)]) == 0
    data = pd.read_excel(out, sheet_name="Data")
    assert set(UNCERTAINTY_COLUMNS) <= set(data.columns)


def test_a_mix_gets_the_columns_sentence_and_tornado(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """The support-mix preset (request classes): no refusal, the same columns and exports as one class."""
    import datetime as dt
    from pathlib import Path

    from costmodel.catalog import load_catalogue
    from costmodel.evaluate.uncertainty import monte_carlo
    from costmodel.workload.presets import preset

    mix = ["compare", "--preset", "support-mix", "--as-of", "2026-06-01", "--uncertainty", "--draws", "1000"]
    assert main([*mix, "--format", "csv"]) == 0
    unc = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(UNCERTAINTY_COLUMNS) <= set(unc.columns)
    assert unc["p_cheapest"].sum() == pytest.approx(1.0)
    res = monte_carlo(preset("support-mix", dt.date(2026, 6, 1)), load_catalogue(), draws=1000)
    assert list(unc["p_cheapest"]) == pytest.approx(list(res.p_cheapest), abs=1e-12)  # the model's figures
    assert main([*mix, "--format", "json"]) == 0
    u = json.loads(capsys.readouterr().out)["uncertainty"]
    assert u["sentence"] == res.sentence()
    assert len(u["tornado"]) == 6
    out = Path(str(tmp_path)) / "mix.xlsx"
    assert main([*mix, "--format", "xlsx", "--out", str(out)]) == 0
    assert set(UNCERTAINTY_COLUMNS) <= set(pd.read_excel(out, sheet_name="Data").columns)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--uncertainty", "--draws", "0"], "draws must be"),
        (["--uncertainty", "--draws", str(MAX_DRAWS + 1)], "draws must be"),
        (["--uncertainty", "--draws", "-3"], "draws must be"),
        (["--uncertainty", "--seed", "-1"], "seed must be"),
        (["--uncertainty", "--draws", "many"], "invalid int value"),
        (["--draws", "100"], "apply to --uncertainty"),
        (["--seed", "1"], "apply to --uncertainty"),
    ],
)
def test_bad_flags_are_one_line(capsys: pytest.CaptureFixture[str], extra: list[str], words: str) -> None:
    assert main([*ARGS, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and "\n" not in err and "Traceback" not in err


def test_with_uncertainty_refuses_another_table(catalogue: object) -> None:
    import datetime as dt

    from costmodel.evaluate.evaluation import evaluate
    from costmodel.evaluate.uncertainty import monte_carlo, with_uncertainty
    from costmodel.workload.presets import preset

    cat = catalogue
    a = preset("chat", dt.date(2026, 6, 1))
    res = monte_carlo(a, cat, draws=100)  # type: ignore[arg-type]
    other = evaluate(preset("rag-long-docs", dt.date(2026, 6, 1)), cat).table  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="another comparison table"):
        with_uncertainty(other.iloc[::-1], res)


@pytest.mark.parametrize(
    ("assumptions", "field"),
    [
        ("server_life_years: -1", "server_life_years"),
        ("pue: 0.8", "pue"),
        ("target_utilization: 0", "target_utilization"),
        ("target_utilization: 1.5", "target_utilization"),
    ],
)
def test_bad_ownership_input_in_a_scenario_file_is_one_line(
    tmp_path: object, capsys: pytest.CaptureFixture[str], assumptions: str, field: str
) -> None:
    from pathlib import Path

    f = Path(str(tmp_path)) / "s.yaml"
    f.write_text(
        "workload: {requests_per_day: 1000, prompt_tokens: 100, output_tokens: 10}\n"
        "self_host_options: [{model: deepseek-v4-flash, gpu: h200}]\n"
        f"assumptions: {{{assumptions}}}\n"
        "as_of: 2026-06-01\n",
        encoding="utf-8",
    )
    assert main(["compare", str(f), "--uncertainty"]) == 2
    err = capsys.readouterr().err.strip()
    assert field in err and "\n" not in err and "Traceback" not in err
