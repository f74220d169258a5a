"""Calculator through AppTest: the verdict and the table are the model's, presets fill the fields, counts read
"2M", edits make the scenario "custom (from <preset>)", URLs restore scenarios, impossible workloads are refused
with the reason, bad input is an st.error naming the field (never an exception) and the last good results stay."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from apphelpers import new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from app_pages import calc_fields as cf
from app_pages import calc_state as cs
from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.views import present
from costmodel.views.links.query import scenario_to_query
from costmodel.views.verdict import verdict, warnings
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.profiles import OFFICE_9_18, TRAFFIC_SHAPES
from costmodel.workload.scenario import Scenario

MONTHLY = "Monthly (USD)"


def _table(at: AppTest) -> pd.DataFrame:
    """The compact cost table on screen."""
    return next(d.value for d in at.dataframe if MONTHLY in d.value.columns)


def _model_rows(s: Scenario) -> list[tuple[str, str]]:
    """(option label, monthly cost as shown) in rank order, from the model."""
    shown = present.display_frame(evaluate(s, load_catalogue()).table, ["label", "monthly_cost_usd"])
    return list(zip(shown["Option"], shown[MONTHLY], strict=True))


def _shown_rows(at: AppTest) -> list[tuple[str, str]]:
    t = _table(at)
    return list(zip(t["Option"], t[MONTHLY], strict=True))


def _verdict_text(at: AppTest) -> str:
    return shown(next(m.value for m in at.markdown if m.value.startswith("#### ")).removeprefix("#### "))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _scenario(at: AppTest) -> Scenario:
    s: Scenario = at.session_state["scenario"]
    return s


def test_default_table_is_the_models_table_ranked() -> None:
    at = run_page("calculator")
    _ok(at)
    s = _scenario(at)
    assert s.name == "chat"
    assert _shown_rows(at) == _model_rows(s)
    t = _table(at)
    assert list(t.columns) == [
        "Option", "Type", MONTHLY, "vs cheapest", "$/request", "$/M input", "$/M output", "GPUs", "Utilisation",
        "Flags",
    ]  # fmt: skip
    assert t.iloc[0]["vs cheapest"] == "cheapest" and (t["vs cheapest"] == "cheapest").sum() == 1
    costs = [float(v.replace("$", "").replace(",", "")) for v in t[MONTHLY] if v != "—"]
    assert costs == sorted(costs)
    for col in t.columns:  # human formats: no None, nan or scientific notation anywhere
        for v in t[col]:
            assert v is not None and "None" not in str(v) and "nan" not in str(v).lower(), (col, v)
            assert "e+" not in str(v) and "e-0" not in str(v), (col, v)


def test_verdict_names_both_sides_and_the_break_even_next_to_the_users_volume() -> None:
    at = run_page("calculator")
    _ok(at)
    s = _scenario(at)
    ev = evaluate(s, load_catalogue())
    v = verdict(s, ev.table, ev.break_even)
    text = _verdict_text(at)
    assert text == v.text
    t = ev.table
    best = {
        k: t[(t["kind"] == k) & t["rank"].notna()].sort_values("rank").iloc[0] for k in ("api", "self_host")
    }
    assert best["api"]["label"] in text and best["self_host"]["label"] in text
    assert "API" in text and "self-host" in text.lower()
    assert f"are at {present.count_short(s.workload.requests_per_day)}" in text
    exact = next(
        be
        for sh, api, be in ev.break_evens
        if (sh, api) == (best["self_host"]["option"], best["api"]["option"])
    )
    metrics = {m.label: m for m in at.metric}
    if exact.requests_per_day == exact.requests_per_day:  # found
        assert f"at {present.count_short(exact.requests_per_day)} requests/day" in text
        assert metrics["Break-even (requests/day)"].value == present.count_short(exact.requests_per_day)
    else:
        assert "never break even" in text and metrics["Break-even (requests/day)"].value == "none"
    assert metrics["Per month (USD)"].value == present.usd(v.monthly_cost_usd)
    assert metrics["Per request (USD)"].value == present.usd(
        v.monthly_cost_usd / s.workload.requests_per_month
    )
    assert metrics["Per year (USD)"].value == present.usd(12 * v.monthly_cost_usd)


@pytest.mark.parametrize("name", preset_names())
def test_every_preset_has_a_verdict_warnings_and_a_ranked_table(name: str) -> None:
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select(name).run()
    _ok(at)
    s = _scenario(at)
    assert s == preset(name, s.as_of)
    ev = evaluate(s, load_catalogue())
    assert _verdict_text(at) == verdict(s, ev.table, ev.break_even).text
    assert [w.value for w in at.warning] == warnings(s, ev.table)
    assert _shown_rows(at) == _model_rows(s)
    assert at.text_input(key="calc_pt").value == f"{s.workload.prompt_tokens:,}"
    assert at.selectbox(key="calc_tz").value == s.workload.timezone


def test_a_2m_token_prompt_is_refused_with_the_reason_and_not_ranked() -> None:
    at = run_page("calculator")
    at.text_input(key="calc_pt").set_value("2M").run()
    _ok(at)
    s = _scenario(at)
    assert s.workload.prompt_tokens == 2 * 1024 * 1024
    t = _table(at)
    refused = t[t["Flags"].str.startswith("not ranked: the prompt (2,097,152 tokens) exceeds")]
    # every option's window is known (Claude Opus 4.6: 1M per Anthropic's page) and none holds 2M: all refused.
    # Before, Claude's window was missing and the verdict called it "the only option that can serve".
    assert set(refused["Option"]) == set(t["Option"])
    assert (refused[MONTHLY] == "—").all() and (refused["vs cheapest"] == "—").all()
    warned = [shown(w.value) for w in at.warning]
    assert any(w.startswith(f"{len(refused)} of {len(t)} options cannot serve this workload") for w in warned)
    assert any("1,048,576-token context window" in w for w in warned)
    assert any("Claude Opus 4.6's 1,000,000-token context window" in w for w in warned)
    text = _verdict_text(at)
    assert text.startswith("No option can serve this workload") and "only option" not in text


def test_a_workload_no_option_can_serve_says_so() -> None:
    at = run_page("calculator")
    at.multiselect(key="calc_api").set_value(["deepseek/deepseek-v4-flash (list)"]).run()
    at.text_input(key="calc_pt").set_value("1,100,000").run()
    _ok(at)
    assert _verdict_text(at).startswith("No option can serve this workload")
    assert not at.metric  # no figures for a cheapest option that does not exist
    assert (_table(at)[MONTHLY] == "—").all()


@pytest.mark.parametrize(
    ("key", "typed", "field", "want"),
    [
        ("calc_rpd", "2M", "requests_per_day", 2_000_000.0),
        ("calc_rpd", "2,000,000", "requests_per_day", 2_000_000.0),
        ("calc_rpd", "1.5k", "requests_per_day", 1_500.0),
        ("calc_rpd", " 250 ", "requests_per_day", 250.0),
        ("calc_pt", "8K", "prompt_tokens", 8_192),
        ("calc_pt", "1.5k", "prompt_tokens", 1_536),
        ("calc_ot", "0", "output_tokens", 0),
    ],
)
def test_counts_read_suffixes_and_separators(key: str, typed: str, field: str, want: float) -> None:
    at = run_page("calculator")
    at.text_input(key=key).set_value(typed).run()
    _ok(at)
    assert getattr(_scenario(at).workload, field) == want
    assert _shown_rows(at) == _model_rows(_scenario(at))
    if typed.strip() != f"{want:,.0f}":  # what was read is written under the field
        assert any(c.value.startswith(f"= {want:,.0f} ") for c in at.caption), [c.value for c in at.caption]


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    [
        ("calc_rpd", "2MM", "Requests per day: cannot read '2MM': unknown suffix 'MM'"),
        ("calc_rpd", "lots", "Requests per day: cannot read 'lots'"),
        ("calc_rpd", "-5", "Requests per day: '-5' is negative"),
        ("calc_rpd", "1,5", "Requests per day: cannot read '1,5': commas separate thousands"),
        ("calc_rpd", "", "Requests per day: empty"),
        ("calc_rpd", "0", "Requests per day: must be at least 0.001 (accepted: 0.001 to 10,000,000,000)"),
        (
            "calc_rpd",
            "0.0000001",
            "Requests per day: must be at least 0.001 (accepted: 0.001 to 10,000,000,000)",
        ),
        ("calc_rpd", "20B", "Requests per day: must be at most 10,000,000,000"),
        ("calc_pt", "1.0001k", "Prompt tokens per request: '1.0001k' is 1,024.102: not a whole number"),
        ("calc_pt", "1B", "Prompt tokens per request: cannot read '1B': unknown suffix 'B' (use K, M)"),
        ("calc_ot", "2.5", "Output tokens per request: '2.5' is 2.500: not a whole number"),
        ("calc_pt", "32M", "Prompt tokens per request: must be at most 16,777,216"),
    ],
)
def test_unreadable_or_out_of_range_counts_name_the_field_and_keep_the_last_results(
    key: str, typed: str, message: str
) -> None:
    at = run_page("calculator")
    good = _shown_rows(at)
    good_scenario = _scenario(at)
    at.text_input(key=key).set_value(typed).run()
    assert not at.exception
    assert any(shown(e.value).startswith(message) for e in at.error), [e.value for e in at.error]
    assert _shown_rows(at) == good and _scenario(at) == good_scenario
    assert any("last valid inputs" in c.value for c in at.caption)


def test_an_edit_makes_the_preset_custom_with_a_generated_description() -> None:
    at = run_page("calculator")
    at.text_input(key="calc_rpd").set_value("2M").run()
    _ok(at)
    s = _scenario(at)
    assert s.name == "custom (from chat)"
    assert s.description.startswith("Custom workload (edited from the chat preset): 2,000,000 requests a day")
    assert "200,000" not in s.description
    assert at.query_params["n"] in ("custom (from chat)", ["custom (from chat)"])
    assert at.query_params["desc"] in (s.description, [s.description])
    from app_pages.calc_results import _slug
    from costmodel.views.export import comparison as export

    assert _slug(s) == "custom--from-chat"  # the file names of every download

    md = export.to_markdown(s, evaluate(s, load_catalogue()).table, load_catalogue())
    assert md.startswith(
        "# Cost comparison: custom (from chat)\n\nCustom workload (edited from the chat preset)"
    )
    # a second edit rewrites the description; a name of one's own is kept
    at.number_input(key="calc_ch").set_value(0.25).run()
    assert "(25% cached)" in _scenario(at).description
    at.text_input(key="calc_name").set_value("my app").run()
    at.text_input(key="calc_ot").set_value("500").run()
    _ok(at)
    assert _scenario(at).name == "my app"
    # choosing a preset again restores its own name and description
    at.selectbox(key="calc_preset").select("rag-long-docs").run()
    assert _scenario(at).name == "rag-long-docs" and "20,000 requests a day" in _scenario(at).description


def test_url_restores_the_whole_scenario() -> None:
    want = preset("agentic-coding", dt.date(2026, 10, 1)).model_copy(update={"name": "shared"})
    at = new_app()
    for k, v in scenario_to_query(want).items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    assert _scenario(at) == want
    assert at.text_input(key="calc_rpd").value == "50,000"
    assert at.text_input(key="calc_name").value == "shared"
    assert _shown_rows(at) == _model_rows(want)


def test_app_writes_the_scenario_to_the_url() -> None:
    at = run_page("calculator")
    at.text_input(key="calc_rpd").set_value("12,345").run()
    assert at.query_params["rpd"] in ("12345", ["12345"])


@pytest.mark.parametrize(
    ("param", "value"),
    [("rpd", "-5"), ("tz", "Mars/Olympus"), ("api", "a:b:c:d:e:f:g"), ("d", "2026-13-01"), ("zz", "1")],
)
def test_bad_url_parameter_is_an_error_not_an_exception(param: str, value: str) -> None:
    at = new_app()
    at.query_params[param] = value
    at.run()
    assert not at.exception
    assert any(param in e.value for e in at.error), [e.value for e in at.error]
    assert at.session_state["scenario"] is not None  # the defaults stand in
    assert not _table(at).empty


def test_url_naming_an_unknown_api_is_an_error_not_an_exception() -> None:
    at = new_app()
    at.query_params["api"] = "nobody:nothing:list"
    at.run()
    assert not at.exception
    assert any(e.value.startswith("APIs to compare:") and "nobody" in e.value for e in at.error), [
        e.value for e in at.error
    ]


def test_self_hosting_only_still_prices() -> None:
    at = run_page("calculator")
    at.multiselect(key="calc_api").set_value([]).run()
    _ok(at)  # the preset also has self-hosting rows, so the scenario stays valid
    assert _shown_rows(at) == _model_rows(_scenario(at))
    assert set(_table(at)["Type"]) == {"Self-host"}
    assert "break-even" not in _verdict_text(at)  # no API in the comparison: nothing to break even with


def test_state_survives_a_page_switch() -> None:
    at = run_page("calculator")
    at.text_input(key="calc_ot").set_value("777").run()
    at.switch_page("app_pages/catalogue.py").run()
    at.switch_page("app_pages/calculator.py").run()
    _ok(at)
    assert at.text_input(key="calc_ot").value == "777"
    assert _scenario(at).workload.output_tokens == 777


def test_json_scenario_upload_restores_it_and_bad_upload_is_an_error() -> None:
    from costmodel.workload.scenario import scenario_to_json

    want = preset("doc-analysis-1m", dt.date(2026, 11, 1))
    at = run_page("calculator")
    at.file_uploader(key="calc_upload_0").set_value(
        ("s.json", scenario_to_json(want).encode(), "application/json")
    )
    at.run()
    _ok(at)
    assert _scenario(at) == want
    at.file_uploader(key="calc_upload_1").set_value(
        ("bad.json", b'{"workload": {}}', "application/json")
    ).run()
    assert not at.exception
    assert any("workload" in e.value for e in at.error)
    assert _scenario(at) == want


def test_custom_gpu_price_from_catalogue_reaches_the_scenario() -> None:
    at = run_page("calculator")
    at.session_state["custom_gpu_price"] = {"gpu": "h200", "usd_per_gpu_hour": 0.5}
    at.run()
    _ok(at)
    sh = _scenario(at).self_host_options
    assert [o.usd_per_gpu_hour for o in sh if o.gpu == "h200"] == [0.5]


def test_custom_api_price_from_catalogue_can_be_compared() -> None:
    at = run_page("calculator")
    at.session_state["custom_api_price"] = {
        "model": "deepseek-v4-flash",
        "usd_per_mtok_input_cache_hit": 0.01,
        "usd_per_mtok_input_cache_miss": 0.1,
        "usd_per_mtok_output": 0.2,
    }
    at.run()
    choice = "deepseek/deepseek-v4-flash (custom)"
    assert (
        "DeepSeek-V4-Flash · deepseek, your price" in at.multiselect(key="calc_api").options
    )  # names, not ids
    at.multiselect(key="calc_api").select(choice).run()
    _ok(at)
    assert "DeepSeek-V4-Flash API (your prices)" in set(_table(at)["Option"])
    assert _shown_rows(at) == _model_rows(_scenario(at))


@pytest.mark.parametrize("view", ["volume", "breakdown", "band"])
def test_every_chart_view_offers_every_export(view: str) -> None:
    at = run_page("calculator")
    at.segmented_control(key="calc_chart").set_value(view).run()
    _ok(at)
    labels = {b.label for b in at.get("download_button")}
    assert {
        "CSV",
        "XLSX",
        "Markdown",
        "JSON (all columns)",
        "Scenario JSON",
        "Chart PNG",
        "Chart SVG",
    } <= labels


def test_details_view_has_every_column_with_units_and_the_band_named_by_cost() -> None:
    at = run_page("calculator")
    at.toggle(key="calc_details").set_value(True).run()
    _ok(at)
    t = next(d.value for d in at.dataframe if "Monthly cost (USD/month)" in d.value.columns)
    for header in (
        "Monthly cost, optimistic: high efficiency (USD/month)",
        "Monthly cost, pessimistic: low efficiency (USD/month)",
        "Monthly cost floor: 100% efficiency (USD/month)",
        "Catalogue rows older than the staleness limit",
        "Unconfirmed values (row.field)",
        "Time per output token, TPOT (ms)",
    ):
        assert header in t.columns, header
    sh = t[t["Type (API or self-host)"] == "Self-host"]
    money = {
        c: sh[c].map(lambda v: float(v.replace("$", "").replace(",", "")))
        for c in ("Monthly cost, optimistic: high efficiency (USD/month)",
                  "Monthly cost, pessimistic: low efficiency (USD/month)")
    }  # fmt: skip
    assert (money["Monthly cost, optimistic: high efficiency (USD/month)"]
            <= money["Monthly cost, pessimistic: low efficiency (USD/month)"]).all()  # fmt: skip


def test_stale_rows_are_flagged_on_the_row_and_warned_above_the_table() -> None:
    at = run_page("calculator")
    _ok(at)
    s = _scenario(at)
    t = evaluate(s, load_catalogue()).table
    stale = t[t["stale_rows"] != "none"]
    assert not stale.empty, "no stale row in the default scenario: the test says nothing"
    shown = _table(at).set_index("Option")
    for _, row in stale.iterrows():
        assert "stale price data (" in shown.loc[row["label"], "Flags"]
    assert any(w.value.startswith("Catalogue rows older than 180 days are used") for w in at.warning)


def test_page_opens_with_what_it_answers_and_has_a_glossary() -> None:
    at = run_page("calculator")
    assert at.markdown[0].value.startswith("**What does this workload cost")
    glossary = next(e for e in at.expander if "Glossary" in e.label)
    text = " ".join(m.value for m in glossary.markdown)
    for term in (
        "TTFT",
        "TPOT",
        "MFU / MBU",
        "MTP",
        "dp / tp",
        "Always on / autoscaled",
        "Self-host",
        "Price rows",
    ):
        assert f"**{term}**" in text, term
    assert any("0% by default" in c.value for c in at.caption)  # the overhead default is stated


@pytest.mark.parametrize(
    ("key", "typed", "message"),
    [  # with widget bounds, each was kept in the box, not applied, and not mentioned
        ("calc_ch", 1.5, "Cached share of the prompt: must be at most 1"),
        ("calc_ch", -0.1, "Cached share of the prompt: must be at least 0"),
        ("calc_dpm", 0.0, "Days per month: must be at least 1"),
        ("calc_dpm", 40.0, "Days per month: must be at most 31"),
        ("calc_rm", 0.5, "Reasoning multiplier: must be at least 1"),
        ("calc_ovh", -5.0, "Overhead: must be at least 0"),
        ("calc_mtp", 2.0, "MTP acceptance: must be at most"),
        ("calc_tpot", 0.0, "TPOT target: must be above 0"),
    ],
)
def test_out_of_range_numbers_are_refused_by_name_and_the_last_results_kept(
    key: str, typed: float, message: str
) -> None:
    at = run_page("calculator")
    good = _shown_rows(at)
    good_scenario = _scenario(at)
    at.number_input(key=key).set_value(typed).run()
    assert not at.exception
    assert at.number_input(key=key).value == typed  # the box keeps what was typed ...
    assert any(shown(e.value).startswith(message) for e in at.error), [e.value for e in at.error]
    assert _shown_rows(at) == good and _scenario(at) == good_scenario  # ... the results do not move ...
    assert any("last valid inputs" in c.value for c in at.caption)  # ... and the page says so


def test_zero_output_tokens_is_warned_beside_the_field_and_still_computed() -> None:
    """0 output tokens is a legal workload (prompt-only calls such as classification by logprobs) but
    more often a slip: the page warns under the field, and the results follow the value (no silent refusal)."""
    at = run_page("calculator")
    at.text_input(key="calc_ot").set_value("0").run()
    assert not at.exception and not at.error
    assert any("0 output tokens" in w.value for w in at.warning), [w.value for w in at.warning]
    assert _scenario(at).workload.output_tokens == 0
    at.text_input(key="calc_ot").set_value("200").run()
    assert not any("0 output tokens" in w.value for w in at.warning)


def test_number_inputs_take_their_range_and_help_from_the_model_fields() -> None:
    """One source for bounds: each input's help is the pydantic field's description and states the field's
    accepted range (a changed bound in costmodel.workload.scenario moves the help with it). The widgets carry no bounds
    of their own: the model refuses out-of-range values with a message (next test)."""
    from app_pages import calc_fields as cf
    from app_pages import calc_state as cs

    at = run_page("calculator")
    _ok(at)
    for f in (*cf.WORKLOAD_INPUTS, *cf.ASSUMPTION_INPUTS):
        key = cf.WORKLOAD_KEYS.get(f.field) or cf.ASSUMPTION_KEYS[f.field]
        proto = at.number_input(key=key).proto
        lo, hi = cf.field_bounds(f.model, f.field)
        assert not proto.has_min and not proto.has_max, f.field
        assert lo is not None and hi is not None, f.field
        description = (f.model.model_fields[f.field].description or "").replace("``", "`")
        assert proto.help == f"{description} Accepted: {lo:g} to {hi:g}.", f.field
    for c in cf.COUNT_INPUTS:
        assert at.text_input(key=cf.WORKLOAD_KEYS[c.field]).proto.help == cs.count_help(c)
    assert cf.field_bounds(Scenario.model_fields["workload"].annotation, "prompt_tokens") == (1, 2**24)  # type: ignore[arg-type]
    from costmodel.workload.scenario import ServingAssumptions

    assert cf.field_bounds(ServingAssumptions, "ttft_ms_target") == (0, 1e7)  # Optional[Annotated[...]]


def test_an_unchanged_rerun_builds_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rerun of an unchanged scenario (any widget touched, a page switch back, another session
    on the same scenario) evaluates nothing and builds no chart, verdict or table again: they are kept with the
    cached evaluation. Before, the chart was rebuilt and its spec re-validated on every rerun."""
    from app_pages import calc_compute, calc_results
    from costmodel.evaluate import evaluation as compare
    from costmodel.views.charts import cost as charts

    calls: list[str] = []
    for module, name in (
        (charts, "cost_volume_layers"),
        (calc_compute, "verdict"),
        (calc_results, "warnings"),
        (calc_results, "compact_table"),
        (compare, "evaluate"),
        (calc_compute, "evaluate"),
    ):
        real = getattr(module, name)

        def counted(*args: object, _real: Any = real, _name: str = name, **kwargs: object) -> object:
            calls.append(_name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    at = run_page("calculator")
    at.text_input(key="calc_rpd").set_value("123,457").run()  # a scenario no other test has cached
    assert "cost_volume_layers" in calls and "evaluate" in calls  # the counters see the first build
    calls.clear()
    at.run()
    at.toggle(key="calc_details").set_value(True).run()
    at.toggle(key="calc_details").set_value(False).run()
    _ok(at)
    assert calls == [], calls


def test_office_hours_in_new_york_is_one_choice_that_sets_every_field_it_names() -> None:
    """The traffic in words: one choice sets the weekday and weekend hours and the weekend weight (no weekend)."""
    at = run_page("calculator")
    assert at.selectbox(key=cs.SHAPE_KEY).value == next(
        n for n in TRAFFIC_SHAPES if n.startswith("evening")
    )  # the chat preset's evening-heavy traffic is named, not "custom"
    at.selectbox(key=cf.WORKLOAD_KEYS["timezone"]).select("America/New_York").run()
    at.selectbox(key=cs.SHAPE_KEY).select("office hours (Mon–Fri 9–18, no weekend)").run()
    assert not at.exception and not at.error
    w = at.session_state["scenario"].workload
    assert w.timezone == "America/New_York"
    assert tuple(w.hourly_profile_weekday) == tuple(map(float, OFFICE_9_18))
    assert w.weekend_day_weight == 0.0
    assert [h for h, v in enumerate(w.hourly_profile_weekday) if v] == list(range(9, 18))
    # an edit of the hourly table makes the shape the table's own
    at.selectbox(key=cs.SHAPE_KEY).select(cs.CUSTOM_SHAPE).run()
    assert tuple(at.session_state["scenario"].workload.hourly_profile_weekday) == tuple(
        map(float, OFFICE_9_18)
    )


def test_one_option_explained_shows_the_picked_options_derivation() -> None:
    at = run_page("calculator")
    table = evaluate(at.session_state["scenario"], load_catalogue()).table
    pick = at.selectbox(key="calc_explain")
    assert list(pick.options) == list(table["label"])  # options read as the table's names
    row = table[table["kind"] == "self_host"].iloc[0]
    pick.select(row["option"]).run()
    assert not at.exception
    titles = [m.value for m in at.markdown if m.value.startswith("**")]
    assert "**The latency it meets**" in titles and "**The deployment**" in titles
    deployment = next(t.value for t in at.table if "GPUs per replica" in t.value.index)
    assert deployment.loc["GPUs per replica", "value"] == f"{row['deployment_gpus']:.0f}"
