"""Calculator through AppTest: the Plans toggle adds rows of kind plan to the table, the verdict names the cheapest
plan, the expander draws the plan's two pictures, and the toggle is part of the scenario (link, reload)."""

from __future__ import annotations

import json

from apphelpers import run_page, shown
from streamlit.testing.v1 import AppTest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.views.links.query import PLANS_KEY
from costmodel.views.verdict import verdict
from costmodel.workload.scenario import Scenario

MONTHLY = "Monthly (USD)"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _plans_on(preset_name: str) -> AppTest:
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select(preset_name).run()
    at.toggle(key="calc_plans").set_value(True).run()
    _ok(at)
    return at


def test_plans_toggle_adds_plan_rows_and_the_pictures() -> None:
    at = _plans_on("rag-long-docs")
    s: Scenario = at.session_state["scenario"]
    assert s.plans and s.name == "rag-long-docs"
    table = next(d.value for d in at.dataframe if MONTHLY in d.value.columns)
    ev = evaluate(s, load_catalogue())
    plan_labels = set(ev.table.loc[ev.table["kind"] == "plan", "label"])
    assert len(plan_labels) == 2 and plan_labels <= set(table["Option"])
    # the verdict is the model's, and it leads with the cheapest plan
    text = shown(next(m.value for m in at.markdown if m.value.startswith("#### ")).removeprefix("#### "))
    want = verdict(s, ev.table, ev.break_even).text
    assert text.startswith("Self-host DeepSeek-V4.1-Flash on up to 4 × H200") and want.startswith(text[:60])
    # the picture of the chosen plan (the cheapest) and its cost against committed GPUs
    assert (
        at.selectbox(key="calc_plan_pick").value
        == ev.table.loc[(ev.table["kind"] == "plan") & (ev.table["rank"] == 1), "option"].iloc[0]
    )
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    titles = [json.dumps(s) for s in specs]
    assert sum("hour of the day (UTC, 0-23)" in t for t in titles) == 1  # the mean weekday and weekend day
    assert sum("committed GPUs (whole replicas)" in t for t in titles) == 1  # cost against committed GPUs
    assert at.query_params[PLANS_KEY] == ["1"] or at.query_params[PLANS_KEY] == "1"


def test_plans_off_leaves_the_table_as_before() -> None:
    at = run_page("calculator")
    _ok(at)
    s: Scenario = at.session_state["scenario"]
    assert not s.plans
    table = next(d.value for d in at.dataframe if MONTHLY in d.value.columns)
    assert not any(str(x).startswith("Plan:") for x in table["Option"])
    assert PLANS_KEY not in at.query_params


def test_a_preset_without_a_cheaper_mix_says_why() -> None:
    at = _plans_on("chat")
    text = shown(next(m.value for m in at.markdown if m.value.startswith("#### ")))
    assert "No mix of self-hosting and API beats the pure options: the API alone is best" in text
