"""Calculator: prompt lengths as a log-normal (median and 95th percentile) next to the prompt field: the scenario
carries the histogram costmodel.workload.distributions builds, its chart and mean are shown, bad values are one error naming
the field with the last results kept, and an imported usage log's histogram still works."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from apphelpers import new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from app_pages import calc_state as cs
from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.views import present
from costmodel.views.links.query import scenario_to_query
from costmodel.workload.distributions import with_lognormal_prompts
from costmodel.workload.presets import preset
from costmodel.workload.scenario import Scenario

LOGS = Path(__file__).resolve().parents[1] / "data" / "usage_logs"


def _scenario(at: AppTest) -> Scenario:
    s: Scenario = at.session_state["scenario"]
    return s


def _lognormal(at: AppTest, p50: str, p95: str) -> AppTest:
    at.segmented_control(key=cs.PROMPT_SHAPE_KEY).set_value(cs.LOGNORMAL).run()
    at.text_input(key=cs.P50_KEY).set_value(p50).run()
    at.text_input(key=cs.P95_KEY).set_value(p95).run()
    return at


def _upload_generic_log(at: AppTest) -> None:
    gen = at.session_state["calc_log_gen"] if "calc_log_gen" in at.session_state else 0  # noqa: SIM401
    at.file_uploader(key=f"calc_log_upload_{gen}").set_value(
        ("generic.csv", (LOGS / "generic.csv").read_bytes(), "text/csv")
    ).run()


def _chart_titles(at: AppTest) -> list[str]:
    return [json.dumps(json.loads(c.proto.spec).get("title")) for c in at.get("vega_lite_chart")]


def test_one_length_is_the_default_and_draws_no_histogram() -> None:
    at = run_page("calculator")
    assert at.segmented_control(key=cs.PROMPT_SHAPE_KEY).value == cs.ONE_LENGTH
    assert _scenario(at).workload.prompt_histogram == ()
    assert not any("Prompt length distribution" in t for t in _chart_titles(at))


def test_lognormal_builds_the_histogram_shows_it_and_its_mean() -> None:
    at = run_page("calculator")
    before = _scenario(at)
    _lognormal(at, "3K", "20,000")
    assert not at.exception and not at.error, [e.value for e in at.error]
    w = _scenario(at).workload
    want = with_lognormal_prompts(before.workload, 3 * 1024, 20_000)
    assert (
        w == want
    )  # the histogram and the mean of costmodel.workload.distributions, every other field unchanged
    assert len(w.prompt_histogram) > 3
    # the prompt field shows the mean the figures use, and cannot be typed into meanwhile
    pt = at.text_input(key="calc_pt")
    assert pt.value == f"{want.prompt_tokens:,}" and pt.disabled
    assert any("Prompt length distribution" in t for t in _chart_titles(at))
    assert any(f"mean **{want.prompt_tokens:,} tokens**" in c.value for c in at.caption), [
        c.value for c in at.caption
    ]
    # back to one length: the mean stays, the histogram goes
    at.segmented_control(key=cs.PROMPT_SHAPE_KEY).set_value(cs.ONE_LENGTH).run()
    w1 = _scenario(at).workload
    assert w1.prompt_histogram == () and w1.prompt_tokens == want.prompt_tokens
    assert not at.text_input(key="calc_pt").disabled


def test_bad_lognormal_values_name_the_field_and_keep_the_last_results() -> None:
    at = run_page("calculator")
    _lognormal(at, "2K", "8K")
    good = _scenario(at)
    for p50, p95, field, words in [
        ("8K", "2K", "95th-percentile prompt", "must be above the median"),
        ("2K", "8K", "95th-percentile prompt", ""),  # back to a good pair (checked below)
        ("2K", "32M", "95th-percentile prompt", "at most 16,777,216 tokens"),
        ("0", "8K", "Median prompt", "between 1 and 16,777,216"),
        ("lots", "8K", "Median prompt", "cannot read"),
    ]:
        at.text_input(key=cs.P50_KEY).set_value(p50)
        at.text_input(key=cs.P95_KEY).set_value(p95).run()
        assert not at.exception
        if not words:
            assert not at.error and _scenario(at) == good
            continue
        errors = [shown(e.value) for e in at.error]
        assert len(errors) == 1 and errors[0].startswith(f"{field}: ") and words in errors[0], errors
        assert _scenario(at) == good  # the last valid scenario, and the page says its results are those
        assert any("results of the last valid inputs" in c.value for c in at.caption)


def test_an_imported_log_keeps_its_histogram_until_lognormal_is_chosen() -> None:
    at = run_page("calculator")
    _upload_generic_log(at)
    assert not at.exception and not at.error
    assert [b.prompt_tokens for b in _scenario(at).workload.prompt_histogram] == [1000, 2000, 3000, 600_000]
    assert at.segmented_control(key=cs.PROMPT_SHAPE_KEY).value == cs.ONE_LENGTH
    _lognormal(at, "1K", "4K")
    assert not at.error
    assert _scenario(at).workload == with_lognormal_prompts(_scenario(at).workload, 1024, 4096)
    # the log's box says its histogram is no longer the one billed
    assert any("log-normal prompt lengths chosen under the prompt field" in c.value for c in at.caption)


def _open(query: dict[str, str]) -> AppTest:
    at = new_app()
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at


def _table_rows(at: AppTest) -> list[tuple[str, str]]:
    t = next(d.value for d in at.dataframe if "Monthly (USD)" in d.value.columns)
    return list(zip(t["Option"], t["Monthly (USD)"], strict=True))


def _model_rows(s: Scenario) -> list[tuple[str, str]]:
    frame = present.display_frame(evaluate(s, load_catalogue()).table, ["label", "monthly_cost_usd"])
    return list(zip(frame["Option"], frame["Monthly (USD)"], strict=True))


def test_a_share_link_reproduces_a_lognormal_scenario_and_its_widgets() -> None:
    at = run_page("calculator")
    _lognormal(at, "40K", "300K")
    s = _scenario(at)
    q = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert q["ph"] == f"ln:{40 * 1024}:{300 * 1024}"  # the app wrote the two parameters to the URL
    share = next(c for c in at.caption if c.value.startswith("The link restores every input"))
    assert "prompt-length distribution included" in share.value and "mean prompt" not in share.value
    other = _open(q)
    assert not other.exception and not other.error, [e.value for e in other.error]
    assert _scenario(other) == s
    assert _table_rows(other) == _model_rows(s) == _table_rows(at)
    assert other.segmented_control(key=cs.PROMPT_SHAPE_KEY).value == cs.LOGNORMAL
    assert (other.text_input(key=cs.P50_KEY).value, other.text_input(key=cs.P95_KEY).value) == (
        "40,960",
        "307,200",
    )


def test_a_share_link_reproduces_an_imported_histogram() -> None:
    at = run_page("calculator")
    _upload_generic_log(at)
    s = _scenario(at)
    assert len(s.workload.prompt_histogram) == 4
    other = _open(scenario_to_query(s))
    assert not other.exception and not other.error
    assert _scenario(other) == s
    assert _table_rows(other) == _model_rows(s)


def test_a_bad_histogram_in_a_link_is_named_and_the_rest_restored() -> None:
    want = preset("rag-long-docs", dt.date(2026, 10, 1))
    at = _open({**scenario_to_query(want), "ph": "ln:300000:40000"})
    assert not at.exception
    assert any("ph" in e.value and "not used" in e.value for e in at.error), [e.value for e in at.error]
    assert _scenario(at) == want


# ---- growth: part of the scenario, the link and the exports; computed once per scenario --------------------


def test_growth_is_in_the_scenario_and_the_link_and_a_link_restores_it() -> None:
    at = run_page("calculator")
    assert "gr" not in at.query_params  # no growth: the link is as before
    at.number_input(key=cs.GROWTH_KEY).set_value(10.0).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    s = _scenario(at)
    assert s.monthly_growth_fraction == 0.1
    q = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert q["gr"] == "0.1"
    other = _open(q)
    assert not other.exception and not other.error
    assert _scenario(other) == s and other.number_input(key=cs.GROWTH_KEY).value == 10.0
    # a scenario's exact fraction survives the percent field (0.07 x 100 is 7.000000000000001)
    s7 = preset("chat", dt.date(2026, 10, 1)).model_copy(update={"monthly_growth_fraction": 0.07})
    seven = _open(scenario_to_query(s7))
    assert _scenario(seven) == s7


def test_the_projection_is_built_once_per_scenario_and_never_without_growth(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app_pages import calc_compute, calc_results

    calls: list[float] = []
    evaluations: list[float] = []
    real, real_evaluate = calc_results.growth_report, calc_compute.evaluate

    def counted(s: Scenario, cat: object, *a: object) -> object:
        calls.append(s.monthly_growth_fraction)
        return real(s, cat, *a)  # type: ignore[arg-type]

    def evaluated(s: Scenario, cat: object) -> object:
        evaluations.append(s.monthly_growth_fraction)
        return real_evaluate(s, cat)  # type: ignore[arg-type]

    monkeypatch.setattr(calc_results, "growth_report", counted)
    monkeypatch.setattr(calc_compute, "evaluate", evaluated)
    at = run_page("calculator")
    at.text_input(key="calc_rpd").set_value("54,321").run()  # a scenario no other test has cached
    at.run()
    assert calls == [] and evaluations[-1:] == [0.0]  # growth 0: evaluated, nothing projected
    evaluations.clear()
    at.number_input(key=cs.GROWTH_KEY).set_value(25.0).run()
    assert calls == [0.25]
    assert evaluations == []  # today's table is the growth-less scenario's, not evaluated again
    assert _scenario(at).monthly_growth_fraction == 0.25
    assert at.session_state["calc_last"].ev.scenario == _scenario(at)  # the exports see the growth
    assert any("Monthly cost as traffic grows" in t for t in _chart_titles(at))
    at.run()
    at.toggle(key="calc_details").set_value(True).run()
    assert calls == [0.25]  # reruns with the same inputs: kept with the evaluation
    assert not at.exception and not at.error


def test_the_lognormal_choice_survives_a_page_switch() -> None:
    at = run_page("calculator")
    _lognormal(at, "2K", "16K")
    s = _scenario(at)
    at.switch_page("app_pages/methods.py").run()
    at.switch_page("app_pages/calculator.py").run()
    assert not at.exception and not at.error
    assert _scenario(at) == s
    assert at.segmented_control(key=cs.PROMPT_SHAPE_KEY).value == cs.LOGNORMAL
    assert at.text_input(key=cs.P95_KEY).value == "16,384"


def test_an_uploaded_scenario_with_a_lognormal_histogram_opens_as_that_lognormal() -> None:
    from costmodel.workload.scenario import scenario_to_json

    base = preset("chat", dt.date(2026, 11, 1))
    want = base.model_copy(update={"workload": with_lognormal_prompts(base.workload, 3000, 20_000)})
    at = run_page("calculator")
    at.file_uploader(key="calc_upload_0").set_value(
        ("s.json", scenario_to_json(want).encode(), "application/json")
    ).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _scenario(at) == want
    assert at.segmented_control(key=cs.PROMPT_SHAPE_KEY).value == cs.LOGNORMAL
    assert (at.text_input(key=cs.P50_KEY).value, at.text_input(key=cs.P95_KEY).value) == ("3,000", "20,000")
    assert at.query_params["ph"] in ("ln:3000:20000", ["ln:3000:20000"])
