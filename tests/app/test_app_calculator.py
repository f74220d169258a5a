"""Calculator through AppTest: the table is the model's, presets fill the fields, URLs restore scenarios,
bad input is an st.error naming the field (never an exception) and the last good results stay."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from apphelpers import new_app, run_page
from streamlit.testing.v1 import AppTest

from costmodel.catalog import load_catalogue
from costmodel.compare import compare_table
from costmodel.presets import preset
from costmodel.scenario import Scenario, scenario_to_query

MONEY = "monthly_cost_usd"


def _table(at: AppTest) -> pd.DataFrame:
    """The cost table on screen (the one with a monthly-cost column)."""
    return next(d.value for d in at.dataframe if MONEY in d.value.columns)


def _model_costs(s: Scenario) -> dict[str, float]:
    t = compare_table(s, load_catalogue())
    return dict(zip(t["option"], t[MONEY].astype(float), strict=True))


def _shown_costs(at: AppTest) -> dict[str, float]:
    t = _table(at)
    return dict(zip(t["option"], t[MONEY].astype(float), strict=True))


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_default_table_is_the_models_table() -> None:
    at = run_page("calculator")
    _ok(at)
    s = at.session_state["scenario"]
    assert s.name == "chat"
    assert _shown_costs(at) == pytest.approx(_model_costs(s), rel=1e-12)


def test_changing_the_workload_changes_the_table_as_the_model_says() -> None:
    at = run_page("calculator")
    before = _shown_costs(at)
    at.number_input(key="calc_pt").set_value(9000).run()
    at.number_input(key="calc_ch").set_value(0.1).run()
    _ok(at)
    s = at.session_state["scenario"]
    assert s.workload.prompt_tokens == 9000
    assert s.workload.cache_hit_fraction == 0.1
    after = _shown_costs(at)
    assert after == pytest.approx(_model_costs(s), rel=1e-12)
    api = [k for k in after if "self-host" not in k]
    assert all(after[k] > before[k] for k in api)  # longer, less cached prompts cost more on every API


def test_headline_break_even_is_the_exact_break_even() -> None:
    from costmodel.compare import evaluate

    at = run_page("calculator")
    _ok(at)
    s = at.session_state["scenario"]
    ev = evaluate(s, load_catalogue())
    t = ev.table
    cheapest = {k: t[t["kind"] == k].sort_values(MONEY).iloc[0]["option"] for k in ("api", "self_host")}
    exact = next(be for sh, api, be in ev.break_evens if (sh, api) == (cheapest["self_host"], cheapest["api"]))
    assert exact.requests_per_day > 0
    metric = next(m for m in at.metric if m.label.startswith("Break-even volume"))
    assert metric.value == f"{exact.requests_per_day * s.workload.days_per_month:,.0f}"
    assert cheapest["self_host"] in metric.help and cheapest["api"] in metric.help


def test_cheapest_row_is_marked_and_first() -> None:
    at = run_page("calculator")
    t = _table(at)
    assert t.iloc[0]["cheapest"] == "★ cheapest"
    assert (t["cheapest"] == "★ cheapest").sum() == 1
    assert t.iloc[0][MONEY] == t[MONEY].min()
    assert t.iloc[0]["option"] in at.metric[0].help
    assert at.metric[0].value in t.iloc[0]["option"]
    assert "price_as_of" in t.columns and t["price_as_of"].notna().all()


@pytest.mark.parametrize("name", ["rag-long-docs", "overnight-batch"])
def test_preset_fills_every_field(name: str) -> None:
    at = run_page("calculator")
    at.selectbox(key="calc_preset").select(name).run()
    _ok(at)
    want = preset(name, at.session_state["scenario"].as_of)
    assert at.session_state["scenario"] == want
    assert at.number_input(key="calc_pt").value == want.workload.prompt_tokens
    assert at.selectbox(key="calc_tz").value == want.workload.timezone
    assert _shown_costs(at) == pytest.approx(_model_costs(want), rel=1e-12)


def test_url_restores_the_whole_scenario() -> None:
    want = preset("agentic-coding", dt.date(2026, 10, 1)).model_copy(update={"name": "shared"})
    at = new_app()
    for k, v in scenario_to_query(want).items():
        at.query_params[k] = v
    at.run()
    _ok(at)
    assert at.session_state["scenario"] == want
    assert at.number_input(key="calc_rpd").value == want.workload.requests_per_day
    assert at.text_input(key="calc_name").value == "shared"
    assert _shown_costs(at) == pytest.approx(_model_costs(want), rel=1e-12)


def test_app_writes_the_scenario_to_the_url() -> None:
    at = run_page("calculator")
    at.number_input(key="calc_rpd").set_value(12345.0).run()
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


def test_bad_value_names_the_field_and_keeps_last_good_results() -> None:
    at = run_page("calculator")
    good = _shown_costs(at)
    at.number_input(key="calc_rpd").set_value(0.0).run()
    assert not at.exception
    assert any(e.value.startswith("Requests per day:") for e in at.error)
    assert _shown_costs(at) == good
    at.number_input(key="calc_rpd").set_value(1000.0).run()
    _ok(at)
    assert _shown_costs(at) != good


def test_self_hosting_only_still_prices() -> None:
    at = run_page("calculator")
    at.multiselect(key="calc_api").set_value([]).run()
    _ok(at)  # the preset also has self-hosting rows, so the scenario stays valid
    assert _shown_costs(at) == pytest.approx(
        _model_costs(at.session_state["scenario"]), rel=1e-12, nan_ok=True
    )
    assert all(o.startswith("self-host") for o in _shown_costs(at))


def test_state_survives_a_page_switch() -> None:
    at = run_page("calculator")
    at.number_input(key="calc_ot").set_value(777).run()
    at.switch_page("app_pages/catalogue.py").run()
    at.switch_page("app_pages/calculator.py").run()
    _ok(at)
    assert at.number_input(key="calc_ot").value == 777
    assert at.session_state["scenario"].workload.output_tokens == 777


def test_json_scenario_upload_restores_it_and_bad_upload_is_an_error() -> None:
    from costmodel.scenario import scenario_to_json

    want = preset("doc-analysis-1m", dt.date(2026, 11, 1))
    at = run_page("calculator")
    at.file_uploader(key="calc_upload_0").set_value(
        ("s.json", scenario_to_json(want).encode(), "application/json")
    )
    at.run()
    _ok(at)
    assert at.session_state["scenario"] == want
    at.file_uploader(key="calc_upload_1").set_value(
        ("bad.json", b'{"workload": {}}', "application/json")
    ).run()
    assert not at.exception
    assert any("workload" in e.value for e in at.error)
    assert at.session_state["scenario"] == want


def test_custom_gpu_price_from_catalogue_reaches_the_scenario() -> None:
    at = run_page("calculator")
    at.session_state["custom_gpu_price"] = {"gpu": "h200", "usd_per_gpu_hour": 0.5}
    at.run()
    _ok(at)
    sh = at.session_state["scenario"].self_host_options
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
    assert choice in at.multiselect(key="calc_api").options
    at.multiselect(key="calc_api").select(choice).run()
    _ok(at)
    assert choice in _shown_costs(at)
    assert _shown_costs(at) == pytest.approx(_model_costs(at.session_state["scenario"]), rel=1e-12)


@pytest.mark.parametrize("view", ["volume", "breakdown", "band"])
def test_every_chart_view_offers_png_and_svg(view: str) -> None:
    at = run_page("calculator")
    at.segmented_control(key="calc_chart").set_value(view).run()
    _ok(at)
    labels = {b.label for b in at.get("download_button")}
    assert {"CSV", "XLSX", "Markdown", "Scenario JSON", "Chart PNG", "Chart SVG"} <= labels, labels


def test_table_flags_stale_and_unconfirmed_rows_where_used() -> None:
    """Staleness and unconfirmed values are shown in the calculator's table, not only on the Catalogue page."""
    at = run_page("calculator")
    _ok(at)
    t = _table(at)
    for col in ("stale_rows", "unconfirmed_fields", "price_as_of", "price_sources"):
        assert col in t.columns, col
    model = compare_table(at.session_state["scenario"], load_catalogue()).set_index("option")
    for _, row in t.iterrows():
        assert row["stale_rows"] == model.loc[row["option"], "stale_rows"]


def test_number_inputs_take_their_bounds_and_help_from_the_model_fields() -> None:
    """One source for bounds: each input's min/max is the pydantic field's, and its help is the field's
    description (a changed bound in costmodel.scenario moves the widget with it)."""
    from app_pages import calc_state as cs

    at = run_page("calculator")
    _ok(at)
    for f in (*cs.WORKLOAD_INPUTS, *cs.ASSUMPTION_INPUTS):
        key = cs.WORKLOAD_KEYS.get(f.field) or cs.ASSUMPTION_KEYS[f.field]
        proto = at.number_input(key=key).proto
        lo, hi = cs.field_bounds(f.model, f.field)
        assert (proto.min, proto.max) == (lo, hi), f.field
        assert proto.help == (f.model.model_fields[f.field].description or "").replace("``", "`")
    # spot checks against the model's stated limits (costmodel.scenario)
    assert cs.field_bounds(Scenario.model_fields["workload"].annotation, "prompt_tokens") == (1, 2**24)  # type: ignore[arg-type]
    from costmodel.scenario import ServingAssumptions

    assert cs.field_bounds(ServingAssumptions, "ttft_ms_target") == (0, 1e7)  # Optional[Annotated[...]]
