"""A Scenario holding a request mix (Scenario.classes): evaluate() bills each API per class and in total, costs each
self-hosting option on one shared fleet, and gives an option × class breakdown; files round-trip; a scenario
without classes serialises as before."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.views.export.report import Report, render
from costmodel.workload.mix import with_classes
from costmodel.workload.presets import preset
from costmodel.workload.scenario import (
    RequestClass,
    ScenarioError,
    SelfHostOption,
    scenario_from_text,
    scenario_to_json,
    scenario_to_yaml,
)

DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def cat():  # type: ignore[no-untyped-def]
    return load_catalogue()


def _chat_rag(total: float = 100_000.0):  # type: ignore[no-untyped-def]
    chat = preset("chat", DAY).workload  # evening traffic in New York, 1,500-token prompts, 50% cached
    rag = preset("rag-long-docs", DAY).workload  # office hours in Berlin, 60,000-token prompts, 10% cached
    base = preset("chat", DAY)
    base = base.model_copy(update={"workload": base.workload.model_copy(update={"requests_per_day": total})})
    return with_classes(
        base,
        (
            RequestClass(name="chat", share=0.8, workload=chat),
            RequestClass(name="rag", share=0.2, workload=rag),
        ),
    )


def _single(scenario, workload, rpd: float):  # type: ignore[no-untyped-def]
    return scenario.model_copy(
        update={"workload": workload.model_copy(update={"requests_per_day": rpd}), "classes": ()}
    )


def test_api_bill_of_a_mix_is_the_sum_of_the_single_class_bills(cat) -> None:  # type: ignore[no-untyped-def]
    s = _chat_rag()
    chat_w, rag_w = (c.workload for c in s.classes)
    ev = evaluate(s, cat)
    ev_chat, ev_rag = evaluate(_single(s, chat_w, 80_000), cat), evaluate(_single(s, rag_w, 20_000), cat)
    api = ev.table[ev.table["kind"] == "api"].set_index("option")
    one = ev_chat.table.set_index("option")["monthly_cost_usd"]
    two = ev_rag.table.set_index("option")["monthly_cost_usd"]
    assert len(api) == len(s.api_options)
    for option, row in api.iterrows():
        assert row["monthly_cost_usd"] == pytest.approx(one[option] + two[option], rel=1e-12)
        # the breakdown: each class's own bill
        parts = ev.by_class[(ev.by_class["option"] == option)].set_index("class")["monthly_cost_usd"]
        assert parts["chat"] == pytest.approx(one[option], rel=1e-12)
        assert parts["rag"] == pytest.approx(two[option], rel=1e-12)
    # the API volume curve at the scenario's own volume is the table's figure
    cur = ev.curves[ev.curves["current"] & (ev.curves["kind"] == "api")].set_index("option")[
        "monthly_cost_usd"
    ]
    for option, row in api.iterrows():
        assert cur[option] == pytest.approx(row["monthly_cost_usd"], rel=1e-9)


def test_two_identical_classes_self_host_as_the_single_class_workload(cat) -> None:  # type: ignore[no-untyped-def]
    s0 = preset("rag-long-docs", DAY)
    w = s0.workload
    mixed = with_classes(
        s0, (RequestClass(name="a", share=0.5, workload=w), RequestClass(name="b", share=0.5, workload=w))
    )
    assert mixed.workload.prompt_tokens == w.prompt_tokens
    one, two = evaluate(s0, cat), evaluate(mixed, cat)
    t1 = one.table[one.table["kind"] == "self_host"].set_index("option")
    t2 = two.table[two.table["kind"] == "self_host"].set_index("option")
    assert list(t1.index) == list(t2.index) and len(t1) == 2
    for option in t1.index:
        assert t2.loc[option, "monthly_cost_usd"] == pytest.approx(
            t1.loc[option, "monthly_cost_usd"], rel=1e-9
        )
        assert t2.loc[option, "gpus"] == t1.loc[option, "gpus"]
    # the breakdown splits the shared fleet half and half (same shape, same volume)
    sh = two.by_class[two.by_class["kind"] == "self_host"]
    assert np.allclose(sh["share_of_cost"], 0.5, rtol=1e-9)
    # and the API totals agree with the single workload too
    a1 = one.table[one.table["kind"] == "api"].set_index("option")["monthly_cost_usd"]
    a2 = two.table[two.table["kind"] == "api"].set_index("option")["monthly_cost_usd"]
    assert np.allclose(a1.to_numpy(dtype=float), a2.to_numpy(dtype=float), rtol=1e-9, equal_nan=True)


def test_a_chat_and_long_rag_mix_needs_at_least_the_gpus_of_either_alone(cat) -> None:  # type: ignore[no-untyped-def]
    s = _chat_rag()
    chat_w, rag_w = (c.workload for c in s.classes)
    ev = evaluate(s, cat)
    ev_chat, ev_rag = evaluate(_single(s, chat_w, 80_000), cat), evaluate(_single(s, rag_w, 20_000), cat)

    def gpus(e):  # type: ignore[no-untyped-def]
        t = e.table[e.table["kind"] == "self_host"].set_index("option")
        return t["gpus"].astype(float)

    both, chat, rag = gpus(ev), gpus(ev_chat), gpus(ev_rag)
    assert len(both) == 2
    for option in both.index:
        assert both[option] >= chat[option]
        assert both[option] >= rag[option]
        # one shared fleet: never more than two separate fleets
        assert both[option] <= chat[option] + rag[option]
    # the memory plan holds the longest class's request: the mix's deployment is at least the RAG one
    for sh_mix, sh_rag in zip(ev.self_host, ev_rag.self_host, strict=True):
        e_mix, e_rag = sh_mix.evaluation.estimates["base"], sh_rag.evaluation.estimates["base"]
        assert e_mix.memory.gpus >= e_rag.memory.gpus or e_mix.memory.layout != e_rag.memory.layout


def test_a_class_the_model_cannot_hold_makes_the_option_infeasible_naming_the_class(cat) -> None:  # type: ignore[no-untyped-def]
    s = _chat_rag()
    huge = s.classes[1].workload.model_copy(update={"prompt_tokens": 2_000_000})  # beyond V4's 1M window
    s = with_classes(s, (s.classes[0], RequestClass(name="giant-docs", share=0.2, workload=huge)))
    ev = evaluate(s, cat)
    sh = ev.table[ev.table["kind"] == "self_host"]
    assert (~sh["feasible"]).all()
    assert sh["reason"].str.contains("giant-docs").all()
    by = ev.by_class[ev.by_class["kind"] == "self_host"]
    assert by["monthly_cost_usd"].isna().all() and by["reason"].str.contains("giant-docs").all()


def test_files_carry_the_classes_and_scenarios_without_them_are_unchanged() -> None:
    s = _chat_rag()
    for text in (scenario_to_json(s), scenario_to_yaml(s)):
        back = scenario_from_text(text)
        assert back == s
        assert [c.name for c in back.classes] == ["chat", "rag"]
    plain = preset("chat", DAY)
    assert "classes" not in json.loads(scenario_to_json(plain))
    assert "classes" not in scenario_to_yaml(plain)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["classes"][0].update(share=0.7), "shares sum to 0.9, not 1"),
        (lambda d: d["classes"][1].update(name="chat"), "class name(s) given twice: chat"),
        (
            lambda d: d["workload"].update(prompt_tokens=5_000),
            "workload's prompt_tokens must be the classes' mean",
        ),
        (lambda d: d["classes"][0]["workload"].update(output_tokens=-1), "greater than or equal to 0"),
        (
            lambda d: d["classes"][0]["workload"].update(days_per_month=28),
            "class 'chat': days_per_month 28 differs",
        ),
    ],
)
def test_bad_classes_are_refused_with_one_line(change, message: str) -> None:  # type: ignore[no-untyped-def]
    d = json.loads(scenario_to_json(_chat_rag()))
    change(d)
    with pytest.raises(ScenarioError) as e:
        scenario_from_text(json.dumps(d))
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_with_classes_refuses_bad_shares_with_one_line() -> None:
    s = preset("chat", DAY)
    w = s.workload
    with pytest.raises(ScenarioError, match=r"shares sum to 1\.1"):
        with_classes(
            s, (RequestClass(name="a", share=0.6, workload=w), RequestClass(name="b", share=0.5, workload=w))
        )


def test_self_host_mix_on_one_gpu_type_is_one_option_row(cat) -> None:  # type: ignore[no-untyped-def]
    s = _chat_rag().model_copy(
        update={
            "self_host_options": (SelfHostOption(model="deepseek-v4-flash", gpu="h200", mode="autoscaled"),)
        }
    )
    ev = evaluate(s, cat)
    assert (ev.table["kind"] == "self_host").sum() == 1
    sh = ev.by_class[ev.by_class["kind"] == "self_host"]
    assert list(sh["class"]) == ["chat", "rag"]
    total = float(ev.table[ev.table["kind"] == "self_host"]["monthly_cost_usd"].iloc[0])
    assert sh["monthly_cost_usd"].sum() == pytest.approx(total, rel=1e-12)
    # the long-prompt class does most of the work per request: a larger share of the cost than of the requests
    rag = sh.set_index("class").loc["rag"]
    assert rag["share_of_cost"] > rag["share_of_requests"]


def test_compare_cli_reads_classes_and_every_export_carries_the_breakdown(tmp_path, cat) -> None:  # type: ignore[no-untyped-def]
    import io
    import subprocess
    import sys

    import openpyxl
    import pandas as pd

    path = tmp_path / "mix.json"
    path.write_text(scenario_to_json(_chat_rag()), encoding="utf-8")
    ev = evaluate(_chat_rag(), cat)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "costmodel", "compare", str(path), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    csv = run("--format", "csv")
    assert csv.returncode == 0, csv.stderr
    df = pd.read_csv(io.StringIO(csv.stdout))
    # the existing columns first, unchanged; one column per class added
    assert list(df.columns[: len(ev.table.columns)]) == list(ev.table.columns)
    assert list(df.columns[len(ev.table.columns) :]) == [
        "class_monthly_cost_usd:chat",
        "class_monthly_cost_usd:rag",
    ]
    api = df[df["kind"] == "api"]
    assert np.allclose(
        api["class_monthly_cost_usd:chat"] + api["class_monthly_cost_usd:rag"], api["monthly_cost_usd"]
    )
    js = run("--format", "json")
    doc = json.loads(js.stdout)
    assert len(doc["by_class"]) == 2 * len(doc["table"])
    assert doc["scenario"]["classes"][1]["name"] == "rag"
    md = run("--format", "md").stdout
    assert "## Per request class" in md and "| rag |" in md
    out = tmp_path / "mix.xlsx"
    assert run("--format", "xlsx", "--out", str(out)).returncode == 0
    assert "By class" in openpyxl.load_workbook(out).sheetnames
    # the Monte Carlo of a mix: the uncertainty section, no refusal
    unc = run("--uncertainty", "--draws", "500")
    assert unc.returncode == 0, unc.stderr
    assert "## Uncertainty" in unc.stdout and "of 500 draws" in unc.stdout


def test_exports_of_a_scenario_without_classes_are_unchanged(cat) -> None:  # type: ignore[no-untyped-def]
    s = preset("chat", DAY)
    ev = evaluate(s, cat)
    assert ev.by_class.empty
    for fmt in ("csv", "csv-readable", "json", "md"):
        assert render(fmt, Report(s, ev.table, cat, by_class=ev.by_class)) == render(
            fmt, Report(s, ev.table, cat)
        )


def test_class_rows_round_trip_keeps_shares_and_loaded_profiles_exactly() -> None:
    from costmodel.workload.mix import AS_LOADED, class_rows, classes_from_rows

    s = preset("support-mix", DAY)
    odd = s.classes[0].workload.model_copy(update={"hourly_profile_weekday": (1.0,) * 23 + (9.0,)})
    classes = (s.classes[0].model_copy(update={"workload": odd, "share": 0.07}),
               s.classes[1].model_copy(update={"share": 0.93 - 0.05}), s.classes[2])  # fmt: skip
    mixed = with_classes(s, classes)
    rows = class_rows(mixed.classes)
    assert rows[0]["profile"] == AS_LOADED and rows[1]["profile"] == "business hours"
    back = classes_from_rows(rows, mixed.workload, {c.name: c for c in mixed.classes})
    assert back == mixed.classes  # 0.07 × 100 / 100 is not 0.07 in floating point: the loaded share is kept
    # 'as loaded' without a loaded class of that name is refused, naming the row
    with pytest.raises(ScenarioError, match=r"row 1 \(chat\), profile"):
        classes_from_rows(rows, mixed.workload, {})


def test_the_class_chart_stacks_each_options_classes_to_its_cost(cat) -> None:  # type: ignore[no-untyped-def]
    from costmodel.views.charts.mix import class_chart, class_chart_frame

    ev = evaluate(preset("support-mix", DAY), cat)
    df = class_chart_frame(ev.by_class, ev.table)
    costs = ev.table.set_index("option")["monthly_cost_usd"].dropna()
    assert set(df["option"]) == set(costs.index)
    sums = df.groupby("option")["monthly_cost_usd"].sum()
    for option, total in costs.items():
        assert sums[option] == pytest.approx(float(total), rel=1e-9)
    spec = class_chart(df).to_dict()  # validates against the Vega-Lite schema
    assert spec["title"]["text"] == "Cost by request class"
    assert "USD per month" in json.dumps(spec)


def test_each_class_reports_the_ttft_of_its_p99_prompt_and_a_missed_target(cat) -> None:  # type: ignore[no-untyped-def]
    s = _chat_rag()
    sh = evaluate(s, cat).by_class.query("kind == 'self_host'")
    ttft = sh.groupby("class")["ttft_ms_p99"].first()
    assert (sh["ttft_ms_p99"] > 0).all()
    assert ttft["rag"] > ttft["chat"]  # 60,000-token prompts against 1,500
    assert sh["note"].isna().all()  # no TTFT target set
    # a target between the two: the RAG rows say so (the option stays feasible: judged on the mean request)
    target = float(sh["ttft_ms_p99"].max()) * 0.99
    s2 = s.model_copy(update={"assumptions": s.assumptions.model_copy(update={"ttft_ms_target": target})})
    ev2 = evaluate(s2, cat)
    by = ev2.by_class.query("kind == 'self_host'")
    flagged = by[by["note"].notna()]
    assert len(flagged) >= 1 and set(flagged["class"]) == {"rag"}
    assert flagged["note"].str.contains("over the").all()


def test_the_api_sweep_of_a_mix_at_its_own_point_is_the_table(cat) -> None:  # type: ignore[no-untyped-def]
    from costmodel.evaluate.evaluation import sweep

    s = _chat_rag()
    ev = evaluate(s, cat)
    # each class at its own cached share is not one sweep point; at a common fraction the sweep is the sum of the
    # classes' bills at that fraction
    from costmodel.pricing.bill import api_bill

    df = sweep(s, cat, [s.workload.requests_per_day], [0.3])
    for _, row in df.iterrows():
        option = next(o for o in s.api_options if o.option_id == row["option"])
        want = sum(
            api_bill(option, c.model_copy(update={"cache_hit_fraction": 0.3}), cat, s.as_of).monthly_cost_usd
            for _, c in s.class_workloads()
        )
        assert row["monthly_cost_usd"] == pytest.approx(want, rel=1e-9)
    assert len(df) == len(ev.api)


def test_an_api_that_cannot_serve_one_class_has_no_total_and_names_the_class(cat) -> None:  # type: ignore[no-untyped-def]
    s = _chat_rag()
    huge = s.classes[1].workload.model_copy(
        update={"prompt_tokens": 600_000}
    )  # beyond Kimi K2.6's 256K window
    s = with_classes(s, (s.classes[0], RequestClass(name="long-docs", share=0.2, workload=huge)))
    ev = evaluate(s, cat)
    kimi = ev.table.set_index("option").loc["moonshot/kimi-k2.6 (list)"]
    assert not kimi["feasible"] and "long-docs" in kimi["reason"]
    rows = ev.by_class[ev.by_class["option"] == "moonshot/kimi-k2.6 (list)"].set_index("class")
    assert rows.loc["chat", "monthly_cost_usd"] > 0  # the class it can serve keeps its own bill
    assert (
        np.isnan(rows.loc["long-docs", "monthly_cost_usd"]) and "context" in rows.loc["long-docs", "reason"]
    )
    assert rows["share_of_cost"].isna().all()
