"""Calculator: a share link (and a reload, which reads the URL the page wrote) keeps the request classes (URL key
``cl``): the class table, the comparison and the per-class breakdown come back; a rerun with nothing changed keeps
them; a bad ``cl`` is one error naming it with the rest restored; the share popover says whether the classes travel."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from apphelpers import new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.views import present
from costmodel.views.links.query import scenario_to_query
from costmodel.workload.distributions import with_lognormal_prompts
from costmodel.workload.mix import with_classes
from costmodel.workload.presets import preset
from costmodel.workload.scenario import PromptBucket, RequestClass, Scenario
from costmodel.workload.scenario.model import MAX_CLASSES


def _scenario(at: AppTest) -> Scenario:
    s: Scenario = at.session_state["scenario"]
    return s


def _url(at: AppTest) -> dict[str, str]:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def _open(query: dict[str, str]) -> AppTest:
    at = new_app()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at


def _table(at: AppTest, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns).reset_index(drop=True)


def _model_rows(s: Scenario) -> list[tuple[str, str]]:
    frame = present.display_frame(evaluate(s, load_catalogue()).table, ["label", "monthly_cost_usd"])
    return list(zip(frame["Option"], frame["Monthly (USD)"], strict=True))


def _custom_mix() -> Scenario:
    """Classes the table cannot show whole: a log's histogram with a profile none of the named ones, a log-normal
    with a reasoning multiplier (tests/unit/test_query_classes.py has the same kind of mix)."""
    base = preset("chat", dt.date(2026, 10, 1))
    hist = (PromptBucket(share=0.5, prompt_tokens=1000), PromptBucket(share=0.5, prompt_tokens=600_000))
    logged = base.workload.model_copy(
        update={"prompt_tokens": 300_500, "prompt_histogram": hist, "weekend_day_weight": 0.37,
                "hourly_profile_weekday": tuple(0.1 * (h + 1) for h in range(24)), "timezone": "Asia/Kolkata"}
    )  # fmt: skip
    agent = with_lognormal_prompts(
        base.workload.model_copy(update={"reasoning_multiplier": 2.5}), 40_000, 300_000
    )
    classes = (
        RequestClass(name="log|replay; 100%", share=0.3, workload=logged),
        RequestClass(name="agent", share=0.6, workload=agent),
        RequestClass(name="chat", share=0.1, workload=base.workload),
    )
    return with_classes(base, classes)


def _share_caption(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("The link restores every input"))


def test_a_link_to_the_support_mix_restores_the_class_table_and_the_comparison() -> None:
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select("support-mix").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    s = _scenario(at)
    assert len(s.classes) == 3
    q = _url(at)
    assert q["cl"].startswith(
        "chat|0.75|1500|400|0.5|evening|America/New_York;"
    )  # the page wrote the classes
    caption = _share_caption(at)
    assert "the request classes included" in caption and "mean workload" not in caption

    other = _open(q)  # a reload, a bookmark or the shared link
    assert not other.exception and not other.error, [e.value for e in other.error]
    assert _scenario(other) == s
    assert other.session_state["calc_mix_base"].equals(at.session_state["calc_mix_base"])  # the class table
    assert list(other.session_state["calc_mix_base"]["name"]) == [
        "chat",
        "help-centre RAG",
        "nightly summaries",
    ]
    table = _table(other, "Monthly (USD)")
    assert table.equals(_table(at, "Monthly (USD)"))
    assert list(zip(table["Option"], table["Monthly (USD)"], strict=True)) == _model_rows(s)
    assert _table(other, "Class").equals(_table(at, "Class"))  # the per-class breakdown
    assert _url(other) == q

    other.run()  # a rerun with nothing changed keeps the classes and the link
    assert not other.exception and not other.error
    assert _scenario(other) == s and _url(other) == q


def test_a_link_restores_classes_the_table_cannot_show_histograms_profiles_reasoning() -> None:
    s = _custom_mix()
    at = _open(scenario_to_query(s))
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _scenario(at) == s
    assert list(at.session_state["calc_mix_base"]["profile"]) == ["as loaded", "evening", "evening"]
    at.run()
    assert _scenario(at) == s and _url(at) == scenario_to_query(s)
    assert list(zip(*[_table(at, "Monthly (USD)")[c] for c in ("Option", "Monthly (USD)")], strict=True)) == (
        _model_rows(s)
    )


def test_a_bad_classes_value_is_one_error_naming_it_and_the_rest_is_restored() -> None:
    s = preset("support-mix", dt.date(2026, 10, 1))
    at = _open({**scenario_to_query(s), "cl": "chat|0.5|1500|400|0.5|evening|UTC"})
    assert not at.exception
    errors = [shown(e.value) for e in at.error]
    assert len(errors) == 1 and errors[0].startswith(
        "URL parameter(s) not used (invalid, unknown, too long or given more than once): cl (request classes: the classes' shares sum to 0.5, not 1)."
    ), errors
    got = _scenario(at)
    assert not got.classes and got == s.model_copy(update={"classes": ()})


def test_the_popover_keeps_the_caveat_only_for_a_mix_too_long_for_a_link() -> None:
    base = preset("chat", dt.date(2026, 10, 1))
    odd = base.workload.model_copy(
        update={"hourly_profile_weekday": tuple(1 / (h + 7) for h in range(24)),
                "hourly_profile_weekend": tuple(1 / (h + 11) for h in range(24))}
    )  # fmt: skip
    s = with_classes(
        base,
        tuple(RequestClass(name=f"c{i}", share=1 / MAX_CLASSES, workload=odd) for i in range(MAX_CLASSES)),
    )
    at = new_app()
    at.session_state["scenario"] = s
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _scenario(at) == s
    caption = shown(_share_caption(at))
    assert f"but not the request classes: the {MAX_CLASSES} request classes need" in caption
    assert "mean workload" in caption
    assert "cl" not in at.query_params
