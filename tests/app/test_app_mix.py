"""Calculator request classes through AppTest: a table of classes makes the scenario a mix (bills per class, one
shared fleet, the per-class breakdown under the comparison); bad rows give one st.error naming the row and the
field, no exception, the rows stay as typed and the last good results stay; a scenario with classes loads into the
table; the uncertainty section says it does not handle a mix."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from apphelpers import new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from app_pages import calc_fields as cf
from app_pages import calc_state as cs
from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.workload.mix import class_rows, with_classes
from costmodel.workload.presets import preset
from costmodel.workload.scenario import RequestClass, Scenario, scenario_from_text, scenario_to_json

DAY = dt.date(2026, 11, 28)
GOOD = [
    {"name": "chat", "share_pct": 80.0, "prompt_tokens": 1500, "output_tokens": 400, "cache_hit_fraction": 0.5,
     "profile": "evening", "timezone": "America/New_York"},
    {"name": "rag", "share_pct": 20.0, "prompt_tokens": 60000, "output_tokens": 800, "cache_hit_fraction": 0.1,
     "profile": "business hours", "timezone": "Europe/Berlin"},
]  # fmt: skip


def _set_rows(at: AppTest, rows: list[dict[str, object]]) -> AppTest:
    """Put ``rows`` into the class table (as if typed) and rerun."""
    at.session_state["calc_mix_base"] = pd.DataFrame(rows, columns=list(cs.MIX_EDITOR_COLUMNS))
    at.session_state["calc_mix_gen"] = int(at.session_state["calc_mix_gen"]) + 1
    return at.run()


def _errors(at: AppTest) -> list[str]:
    return [shown(e.value) for e in at.error]


def _mix(at: AppTest) -> Scenario:
    s: Scenario = at.session_state["scenario"]
    return s


def test_a_class_table_makes_the_scenario_a_mix_with_a_breakdown() -> None:
    at = run_page("calculator")
    assert not at.exception and not at.error
    assert not _mix(at).classes  # the default preset is one workload: empty table, no breakdown
    assert not any("class" in d.value.columns.str.lower().tolist() for d in at.dataframe)
    _set_rows(at, GOOD)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, _errors(at)
    s = _mix(at)
    assert [c.name for c in s.classes] == ["chat", "rag"]
    assert s.classes[1].workload.timezone == "Europe/Berlin"
    # the mean workload: 0.8 × 1,500 + 0.2 × 60,000 = 13,200 tokens
    assert s.workload.prompt_tokens == 13_200
    by = next(d.value for d in at.dataframe if "Class" in d.value.columns)
    ev = evaluate(s, load_catalogue())
    assert len(by) == len(ev.by_class) == 2 * len(ev.table)
    assert set(by["Class"]) == {"chat", "rag"}
    # the uncertainty section, switched on, computes the mix (no refusal line; figures in test_app_uncertainty.py)
    at.toggle(key="calc_unc_on").set_value(True).run()
    assert not [i.value for i in at.info if shown(i.value).startswith("Uncertainty")]
    assert any(m.value.startswith("**Self-hosting is cheaper in") for m in at.markdown)
    assert not at.error
    # the Scenario JSON carries the classes
    assert scenario_from_text(scenario_to_json(s)).classes == s.classes


def test_the_class_chart_is_a_chart_view_only_for_a_mix() -> None:
    at = run_page("calculator")
    assert "By request class" not in at.button_group(key="calc_chart").options  # one workload: no class chart
    _set_rows(at, GOOD)
    assert "By request class" in at.button_group(key="calc_chart").options
    at.button_group(key="calc_chart").set_value("classes").run()
    assert not at.exception and not at.error, _errors(at)
    # the class table shows options by their labels, as the comparison table does
    by = next(d.value for d in at.dataframe if "Class" in d.value.columns)
    labels = set(evaluate(_mix(at), load_catalogue()).table["label"])
    assert set(by["Option"]) <= labels
    _set_rows(at, [])  # back to one workload: the view falls back to the volume chart, no error
    assert not at.exception and not at.error, _errors(at)
    assert at.button_group(key="calc_chart").value == "volume"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r[1].update(share_pct=10.0), "Request classes: the shares sum to 90%, not 100%"),
        (
            lambda r: r[1].update(name="chat"),
            "Request classes, row 2, name: 'chat' is already the name of row 1",
        ),
        (
            lambda r: r[0].update(prompt_tokens=-5),
            "Request classes, row 1 (chat), prompt tokens: -5 is out of range",
        ),
        (lambda r: r[1].update(output_tokens=None), "Request classes, row 2 (rag), output tokens: empty"),
        (
            lambda r: r[1].update(cache_hit_fraction=1.5),
            "Request classes, row 2 (rag), cached share (0-1): 1.5 is out",
        ),
        (
            lambda r: r[0].update(prompt_tokens=10**12),
            "Request classes, row 1 (chat), prompt tokens: 1e+12 is out of range",
        ),
        (lambda r: r[0].update(name=""), "Request classes, row 1, name: empty"),
        (
            lambda r: r[1].update(profile="lunar"),
            "Request classes, row 2 (rag), profile: 'lunar' is not one of",
        ),
    ],
)
def test_bad_rows_give_one_line_naming_row_and_field_and_keep_the_last_results(change, expected: str) -> None:  # type: ignore[no-untyped-def]
    at = run_page("calculator")
    _set_rows(at, GOOD)
    good = _mix(at)
    rows = [dict(r) for r in GOOD]
    change(rows)
    _set_rows(at, rows)
    assert not at.exception, [e.value for e in at.exception]
    errors = _errors(at)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors[0]
    assert "\n" not in errors[0]
    assert _mix(at) == good  # the last good results stay
    # nothing lost: the table still holds the rows as typed
    kept = at.session_state["calc_mix_base"]
    assert len(kept) == 2 and list(kept["name"]) == [r["name"] for r in rows]


def test_a_scenario_with_classes_loads_into_the_table() -> None:
    base = preset("chat", DAY)
    rag = preset("rag-long-docs", DAY).workload
    s = with_classes(
        base,
        (
            RequestClass(name="chat", share=0.7, workload=base.workload),
            RequestClass(name="rag", share=0.3, workload=rag),
        ),
    )
    at = new_app()
    at.session_state["scenario"] = s
    at.run()
    assert not at.exception
    assert list(at.session_state["calc_mix_base"]["name"]) == ["chat", "rag"]
    assert class_rows(s.classes)[1]["profile"] == "business hours"  # rag: office hours, 0.2× weekends
    assert _mix(at).classes == s.classes
    # deleting every row goes back to one workload (the mean the fields hold)
    _set_rows(at, [])
    assert not _mix(at).classes


# ---- classes with a log-normal prompt or a reasoning multiplier: refused in one line ----------------------


def test_lognormal_with_request_classes_is_refused_in_one_line_not_ignored() -> None:
    """With request classes each class has its own prompt length; the log-normal under the prompt field was dropped
    without a word (the classes' mean replaced it) while its chart, its mean and the description said otherwise."""
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    mix = at.session_state["scenario"]
    assert mix.classes and not at.error
    at.segmented_control(key=cs.PROMPT_SHAPE_KEY).set_value(cs.LOGNORMAL).run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1, errors
    assert errors[0].startswith("Prompt lengths: ") and "request classes" in errors[0], errors
    assert at.session_state["scenario"] == mix  # the last valid results stay, marked as such
    assert any("results of the last valid inputs" in c.value for c in at.caption)
    # back to one length: no error, the mix as before
    at.segmented_control(key=cs.PROMPT_SHAPE_KEY).set_value(cs.ONE_LENGTH).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    assert at.session_state["scenario"].classes == mix.classes


def test_the_description_generated_for_an_edited_mix_does_not_state_one_workload() -> None:
    """An edit of a mix generated 'N-token prompts (x% cached), traffic profile in <zone>' from the fields above the
    class table, which with classes hold the loaded mean (stale after a class edit) and a profile the classes do not
    use; the description travels into the XLSX, Markdown and Scenario JSON."""
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    at.text_input(key=cf.WORKLOAD_KEYS["requests_per_day"]).set_value("200K").run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    s = at.session_state["scenario"]
    assert len(s.classes) == 3 and s.name == "custom (from support-mix)"
    assert "200,000 requests a day" in s.description, s.description
    assert "3 request classes" in s.description, s.description
    assert "token prompts" not in s.description and "traffic profile in" not in s.description, s.description


def test_a_reasoning_multiplier_with_request_classes_is_refused_in_one_line_not_ignored() -> None:
    """With classes the multiplier typed above the class table was dropped without a word (the mix's mean workload
    has 1×, each class its own output tokens): 3× thinking tokens changed no figure."""
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    mix = at.session_state["scenario"]
    key = cf.WORKLOAD_KEYS["reasoning_multiplier"]
    at.number_input(key=key).set_value(3.0).run()
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert (
        len(errors) == 1
        and errors[0].startswith("Reasoning multiplier: 3× ")
        and "request classes" in errors[0]
    )
    assert at.session_state["scenario"] == mix
    at.number_input(key=key).set_value(1.0).run()
    assert not at.exception and not at.error, [shown(e.value) for e in at.error]
    assert at.session_state["scenario"].classes == mix.classes
