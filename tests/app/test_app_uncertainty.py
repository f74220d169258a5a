"""Calculator, "How sure is this?" and "Cost of ownership" through AppTest: the probability line and the tornado
are the model's for every preset, the ownership inputs show their defaults and sources, bad settings are one
st.error line (never an exception)."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from apphelpers import new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from app_pages import calc_uncertainty
from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.evaluate.uncertainty import break_even_sentence, monte_carlo
from costmodel.serving.tco import TCO_DEFAULTS_NOTE
from costmodel.workload.presets import preset_names
from costmodel.workload.scenario import Scenario, ServingAssumptions

MONTHLY = "Monthly (USD)"


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _sentence(at: AppTest) -> str:
    return shown(
        next(m.value for m in at.markdown if "draws" in m.value and m.value.startswith("**Self-hosting"))
    )


def _analysis(at: AppTest) -> AppTest:
    """Switch on the section's analysis (off by default) and rerun."""
    at.toggle(key=calc_uncertainty.ON_KEY).set_value(True).run()
    return at


def _charts(at: AppTest) -> list[str]:
    """Titles of the Vega-Lite charts on the page."""
    out = []
    for el in at.get("vega_lite_chart"):
        spec = json.loads(el.proto.spec)
        title = spec.get("title")
        out.append(title if isinstance(title, str) else (title or {}).get("text", ""))
    return out


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_shows_the_models_probability_line_and_tornado(
    name: str,
) -> None:  # support-mix included
    at = _analysis(run_page("calculator"))
    at.selectbox(key="calc_preset").select(name).run()
    _ok(at)
    s: Scenario = at.session_state["scenario"]
    res = monte_carlo(s, load_catalogue())  # the page's defaults: 10,000 draws, seed 0, default ranges
    assert _sentence(at) == f"**{res.sentence()}**"
    ev = evaluate(s, load_catalogue())
    labels = dict(zip(ev.table["option"], ev.table["label"], strict=True))
    line = break_even_sentence(res, calc_uncertainty._break_even_at_inputs(ev, res), labels)
    assert any(shown(c.value) == line for c in at.caption)
    # the tornado's figures, as the model's (widest swing first)
    tornado = next(d.value for d in at.dataframe if "Swing (USD/month)" in d.value.columns)
    assert list(tornado["Input"]) == [b.label for b in res.tornado]
    assert list(tornado["Verdict at low end (USD/month)"]) == [b.verdict_low_usd for b in res.tornado]
    assert list(tornado["Verdict at high end (USD/month)"]) == [b.verdict_high_usd for b in res.tornado]
    assert len(res.tornado) == 6
    # shown as whole dollars (the figures stay numbers: a person can sort them)
    config = json.loads(next(d for d in at.dataframe if "Swing (USD/month)" in d.value.columns).proto.columns)
    for col in ("Verdict at low end (USD/month)", "Verdict at high end (USD/month)", "Swing (USD/month)"):
        assert config[col]["type_config"] == {"type": "number", "format": "dollar", "step": 1}
    for view, title in (("tornado", "Which input decides"), ("draws", "Monthly cost over the draws")):
        at.segmented_control(key="calc_chart").set_value(view).run()
        _ok(at)
        titles = _charts(at)
        assert any(t.startswith(title) for t in titles), titles
        labels = {b.label for b in at.get("download_button")}
        assert {"CSV", "XLSX", "Markdown", "JSON (all columns)", "Chart PNG", "Chart SVG"} <= labels


def test_ownership_inputs_show_their_defaults_and_sources() -> None:
    from app_pages import calc_fields as cf

    at = run_page("calculator")
    _ok(at)
    d = ServingAssumptions()
    for f in cf.TCO_INPUTS:
        w = at.number_input(key=cf.ASSUMPTION_KEYS[f.field])
        assert w.value == getattr(d, f.field), f.field
        lo, hi = cf.field_bounds(ServingAssumptions, f.field)
        # no bounds on the widget (the model refuses by name); the help states the range
        assert not w.proto.has_min and not w.proto.has_max, f.field
        assert w.proto.help.endswith(f"Accepted: {lo:g} to {hi:g}."), f.field
    assert any(TCO_DEFAULTS_NOTE in c.value for c in at.caption)
    assert any("$0/month** (not counted" in c.value for c in at.caption)  # ops default stated under the table
    servers = next(df.value for df in at.dataframe if "Owner all-in (USD per GPU-hour)" in df.value.columns)
    cat = load_catalogue()
    assert list(servers["GPU"]) == [r.gpu for r in cat.servers]
    assert servers["Source"].str.contains("SemiAnalysis").any()
    assert servers["Server price per GPU (USD)"].str.startswith("none: ").all()  # no source gives one


def test_people_cost_moves_every_self_hosting_row_by_itself() -> None:
    from app_pages import calc_fields as cf

    at = _analysis(run_page("calculator"))
    before: Scenario = at.session_state["scenario"]
    at.number_input(key=cf.ASSUMPTION_KEYS["ops_usd_per_month"]).set_value(9000.0).run()
    _ok(at)
    after: Scenario = at.session_state["scenario"]
    assert after.assumptions.ops_usd_per_month == 9000.0
    cat = load_catalogue()
    t0 = evaluate(before, cat).table.set_index("option")
    t1 = evaluate(after, cat).table.set_index("option")
    sh = t0["kind"] == "self_host"
    pd.testing.assert_series_equal(
        t1.loc[sh, "monthly_cost_usd"], t0.loc[sh, "monthly_cost_usd"] + 9000.0, check_names=False
    )
    assert _sentence(at) == f"**{monte_carlo(after, cat).sentence()}**"


def test_the_support_mix_preset_shows_the_probability_sentence_and_the_tornado_table() -> None:
    at = _analysis(run_page("calculator"))
    at.selectbox(key="calc_preset").select("support-mix").run()
    _ok(at)
    s: Scenario = at.session_state["scenario"]
    assert [c.name for c in s.classes] == ["chat", "help-centre RAG", "nightly summaries"]
    assert not any(shown(i.value).startswith("Uncertainty") for i in at.info)  # no refusal line any more
    res = monte_carlo(s, load_catalogue())
    assert _sentence(at) == f"**{res.sentence()}**"
    tornado = next(d.value for d in at.dataframe if "Swing (USD/month)" in d.value.columns)
    assert list(tornado["Input"]) == [b.label for b in res.tornado]
    assert list(tornado["Swing (USD/month)"]) == [b.swing_usd for b in res.tornado]
    assert set(tornado["Low end"]) >= {"−10 points"}  # the cache-hit end: every class's share moved
    assert any("every class" in c.value for c in at.caption)  # the ranges caption says how a mix moves


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("calc_unc_draws", 0, "draws must be a whole number from 1 to 200,000"),
        ("calc_unc_draws", 10**9, "draws must be a whole number from 1 to 200,000"),
        ("calc_unc_seed", -1, "seed must be"),
        ("calc_unc_volume_pct", 120.0, "Uncertainty, Requests per day ±"),
        ("calc_unc_cache_hit_pp", -5.0, "Uncertainty, Cache-hit share ±"),
    ],
)
def test_bad_uncertainty_settings_are_one_error_line(key: str, value: float, words: str) -> None:
    at = _analysis(run_page("calculator"))
    at.number_input(key=key).set_value(value).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and words in errors[0] and "\n" not in errors[0], errors
    assert any(MONTHLY in d.value.columns for d in at.dataframe)  # the cost table stays
    at.segmented_control(key="calc_chart").set_value("tornado").run()  # its view says why there is no chart
    assert not at.exception and any("Fix the uncertainty settings" in i.value for i in at.info)
    assert "Chart PNG" not in {b.label for b in at.get("download_button")}


@pytest.mark.parametrize(("param", "value"), [("util", "0"), ("util", "1.5"), ("pue", "0.8"), ("life", "-2")])
def test_bad_ownership_url_parameter_is_reported_not_used(param: str, value: str) -> None:
    at = new_app()
    at.query_params[param] = value
    at.run()
    assert not at.exception
    assert any(param in e.value for e in at.error), [e.value for e in at.error]
    s: Scenario = at.session_state["scenario"]
    assert s.assumptions == ServingAssumptions()  # the default stands in


def test_the_break_even_line_starts_from_the_verdict_and_names_options_not_ids() -> None:
    """The chat preset: the uncertainty line starts from the verdict's break-even (at the inputs), then says how
    often the uncertain cases do (one story, not two that seem to disagree)."""
    at = _analysis(run_page("calculator"))
    verdict = at.session_state["scenario"]
    assert verdict.name == "chat"
    (line,) = [str(c.value) for c in at.caption if str(c.value).startswith("Break-even")]
    assert line.startswith("Break-even: at your inputs DeepSeek-V4.1-Flash on ")  # the weights behind the API
    assert re.search(
        r"breaks even against DeepSeek-V4-Flash API at [\d,]+ requests/day \(the verdict\)", line
    )
    assert "uncertain cases" in line and "self-host deepseek" not in line


def test_the_analysis_is_off_until_switched_on_and_the_files_carry_it_at_the_defaults() -> None:
    """Off by default (the Monte Carlo is a third of a rerun's CPU): no draws on the page, a line saying what
    switching it on gives, its chart views say how to draw them; the files still carry the analysis, at the
    default ranges, and equal to the model's. Switched on, the sentence appears."""
    at = run_page("calculator")
    _ok(at)
    assert not any("draws" in m.value and m.value.startswith("**Self-hosting") for m in at.markdown)
    assert any(str(c.value).startswith("Off: the figures above are at your inputs") for c in at.caption)
    assert not any(str(c.value).startswith("Break-even: at your inputs") for c in at.caption)
    s: Scenario = at.session_state["scenario"]
    res = monte_carlo(s, load_catalogue())
    # what a file carries (the browser test downloads one): off, the analysis at the default settings; on, the
    # section's own result (None with bad settings: the section shows the error and the file has none)
    cat = load_catalogue()
    ev = evaluate(s, cat)
    off = calc_uncertainty.for_files(None, False, ev, cat, ())
    assert off is not None and off.sentence() == res.sentence()
    assert calc_uncertainty.for_files(None, True, ev, cat, ()) is None
    assert calc_uncertainty.for_files(off, True, ev, cat, ()) is off
    at.segmented_control(key="calc_chart").set_value("tornado").run()
    _ok(at)
    assert any("Switch on **Run the uncertainty analysis**" in i.value for i in at.info)
    at = _analysis(at)
    _ok(at)
    assert _sentence(at) == f"**{res.sentence()}**"
    assert any(t.startswith("Which input decides") for t in _charts(at))


def test_the_switch_and_the_ranges_outlive_a_page_switch_and_switching_off() -> None:
    """Streamlit drops a widget's value when a run does not draw it; the section keeps its own."""
    at = _analysis(run_page("calculator"))
    at.number_input(key="calc_unc_volume_pct").set_value(40.0).run()
    _ok(at)
    at.toggle(key=calc_uncertainty.ON_KEY).set_value(False).run()
    at = _analysis(at)
    assert at.number_input(key="calc_unc_volume_pct").value == 40.0
    at.switch_page("app_pages/catalogue.py").run()
    at.switch_page("app_pages/calculator.py").run()
    _ok(at)
    assert at.toggle(key=calc_uncertainty.ON_KEY).value is True
    assert at.number_input(key="calc_unc_volume_pct").value == 40.0
    assert any("draws" in m.value and m.value.startswith("**Self-hosting") for m in at.markdown)
