"""The frames an evaluation holds agree with the model (curves, break-even points, attention figures), and
the charts drawn from them carry units and tooltips."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from costmodel.catalog import Catalogue, load_catalogue
from costmodel.evaluate.evaluation import compare_table, evaluate
from costmodel.views import architecture as report
from costmodel.views.charts import attention as attention_charts
from costmodel.views.charts import calibration as calibration_charts
from costmodel.views.charts import cost as charts
from costmodel.views.charts import traffic as traffic_charts
from costmodel.workload.presets import preset
from costmodel.workload.scenario import Scenario

AS_OF = dt.date(2026, 11, 20)


def curves_of(s: Scenario, cat: Catalogue) -> pd.DataFrame:
    return evaluate(s, cat).curves


def break_even_of(s: Scenario, cat: Catalogue) -> pd.DataFrame:
    return evaluate(s, cat).break_even


def _encodings(spec: dict[str, Any]) -> list[dict[str, Any]]:
    layers = spec.get("layer", [spec])
    return [layer["encoding"] for layer in layers if "encoding" in layer]


def _check_units_and_tooltips(chart: Any) -> None:
    spec = chart.to_dict()
    encs = _encodings(spec)
    assert any("tooltip" in e for e in encs)
    for e in encs:
        for axis in ("x", "y"):
            title = e.get(axis, {}).get("title")
            if title:
                assert "(" in title, title  # every titled axis names its unit


def test_cost_volume_frame_at_the_scenario_volume_is_the_table() -> None:
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    table = compare_table(s, cat).set_index("option")
    curves = curves_of(s, cat)
    now = curves[curves["current"]].set_index("option")
    assert len(now) == len(table)
    for opt, row in now.iterrows():
        assert row["monthly_cost_usd"] == pytest.approx(float(table.loc[opt, "monthly_cost_usd"]), rel=1e-9)
    sh = curves[curves["kind"] == "self_host"]
    assert (
        sh["monthly_cost_usd_pessimistic"].notna().all() and sh["monthly_cost_usd_optimistic"].notna().all()
    )
    assert (
        sh["monthly_cost_usd_pessimistic"] >= sh["monthly_cost_usd"] - 1e-9
    ).all()  # low efficiency costs more
    assert (sh["monthly_cost_usd_optimistic"] <= sh["monthly_cost_usd"] + 1e-9).all()


def test_band_edge_is_left_out_where_an_efficiency_level_misses_the_latency_target() -> None:
    """With a tight TPOT target the low-efficiency level cannot serve at all; its edge must not be faked
    with the base cost (the band would then claim a certainty the model does not have)."""
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    for tpot_ms in (2.0, 3.0, 5.0, 8.0, 10.0, 15.0, 20.0):  # the first target where the case occurs
        a = s.assumptions.model_copy(update={"tpot_ms_target": tpot_ms})
        tight = s.model_copy(update={"assumptions": a})
        table = compare_table(tight, cat)
        sh_rows = table[(table["kind"] == "self_host") & table["monthly_cost_usd"].notna()]
        missing_low = sh_rows[sh_rows["monthly_cost_usd_pessimistic"].isna()]
        if not missing_low.empty:
            break
    assert not missing_low.empty, "test premise: some option has no low-efficiency cost at a tight TPOT"
    assert missing_low["band_reason"].str.contains("low").all()
    curves = curves_of(tight, cat)
    for opt in missing_low["option"]:
        c = curves[curves["option"] == opt]
        assert c["monthly_cost_usd_pessimistic"].isna().all() and c["monthly_cost_usd"].notna().all()


def test_break_even_points_are_exact_crossings_of_the_drawn_curves() -> None:
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    ev = evaluate(s, cat)
    be = ev.break_even
    assert len(be) == len(s.self_host_options) * len(s.api_options)
    found = be[np.isfinite(be["requests_per_day"])]
    assert not found.empty
    for r in found.itertuples():
        assert r.requests_per_month == pytest.approx(r.requests_per_day * s.workload.days_per_month)
        v = r.requests_per_day
        cost = {}
        for at in (v * (1 - 1e-6), v):  # the curves of the workload at that volume, at their own volume
            w = s.workload.model_copy(update={"requests_per_day": at})
            curves = curves_of(s.model_copy(update={"workload": w}), cat)
            now = curves[curves["current"]].set_index("option")["monthly_cost_usd"]
            cost[at] = (float(now[r.api]), float(now[r.self_host]))
        (api_lo, sh_lo), (api_at, sh_at) = cost[v * (1 - 1e-6)], cost[v]
        assert sh_at <= api_at * (1 + 1e-9)  # at the point: self-hosting no dearer
        assert sh_lo > api_lo  # just below: dearer
        assert r.monthly_cost_usd == pytest.approx(api_at, rel=1e-9)  # the circle sits on the API line


def test_circles_only_where_a_crossing_is_in_the_drawn_range() -> None:
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    curves = curves_of(s, cat)
    be = break_even_of(s, cat)
    far = be.head(1).assign(requests_per_day=1e15, requests_per_month=3e16)
    none = be.head(1).assign(requests_per_day=np.nan, requests_per_month=np.nan)
    pair = (str(be.iloc[0]["self_host"]), str(be.iloc[0]["api"]))
    spec = charts.cost_volume_chart(curves, pd.concat([be, far, none], ignore_index=True), pair).to_dict()
    circles = [
        layer for layer in spec["layer"] if isinstance(layer["mark"], dict) and layer["mark"].get("shape")
    ]
    assert len(circles) == 2  # the verdict's pair (bold, labelled) and the others
    drawn = [r for c in circles for r in spec["datasets"][c["data"]["name"]]]
    lo, hi = curves["requests_per_day"].min(), curves["requests_per_day"].max()
    want = be[be["requests_per_day"].between(lo, hi)]
    assert len(drawn) == len(want) > 0
    bold = spec["datasets"][circles[1]["data"]["name"]]
    assert [(r["self_host"], r["api"]) for r in bold] == ([pair] if pair in {(r["self_host"], r["api"]) for r in drawn}
                                                         else [])  # fmt: skip
    labels = next(
        layer for layer in spec["layer"]
        if isinstance(layer["mark"], dict) and layer["mark"].get("type") == "text" and layer["data"]["name"]
        == circles[1]["data"]["name"]
    )  # fmt: skip
    assert labels["encoding"]["text"]["field"] == "text"
    for r in bold:  # the label names the volume; the tooltip names the pair
        assert r["text"] == f"break-even: {r['requests_per_day']:,.0f}/day"
    tips = {t["field"] for t in circles[0]["encoding"]["tooltip"]}
    assert {"self_host_name", "api_name", "requests_per_day"} <= tips


def test_attention_ratios_at_1m() -> None:
    cat = load_catalogue()
    df = report.attention_frame(
        [cat.model("deepseek-v4-pro")], [report.ONE_M_TOKENS], baseline=cat.model("deepseek-v3.2")
    )
    assert df["kv_ratio"].iloc[0] == pytest.approx(0.10, abs=0.01)
    assert df["flops_ratio"].iloc[0] == pytest.approx(0.27, abs=0.03)


def test_layer_breakdown_sums_to_the_whole_model() -> None:
    from costmodel.attention import kv_cache_bytes

    cat = load_catalogue()
    m = cat.model("deepseek-v4-flash")
    layers = report.layer_breakdown_frame(m, 65_536)
    assert layers["kv_cache_bytes"].sum() == pytest.approx(float(kv_cache_bytes(m, 65_536)), rel=1e-12)


def test_every_chart_has_units_and_tooltips() -> None:
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    table = compare_table(s, cat)
    curves = curves_of(s, cat)
    be = break_even_of(s, cat)
    models = [cat.model("deepseek-v3.2"), cat.model("deepseek-v4-flash")]
    att = report.attention_frame(models, report.context_grid(points=5), baseline=models[0])
    for chart in (
        charts.cost_volume_chart(curves, be),
        charts.breakdown_chart(charts.breakdown_frame(table, curves)),
        charts.band_chart(charts.band_frame(table)),
        attention_charts.kv_chart(att),
        attention_charts.flops_chart(att),
        attention_charts.ratio_chart(att, "deepseek-v3.2"),
        attention_charts.layer_chart(report.layer_breakdown_frame(models[1], 4096)),
        attention_charts.sim_reads_chart(report.sim_reads_frame(report.miniature_mechanisms(), 64), 64),
        traffic_charts.profile_chart(
            pd.DataFrame({"hour": range(24), "weekday": s.workload.hourly_profile_weekday, "weekend": 1.0})
        ),
    ):
        _check_units_and_tooltips(chart)  # to_dict() validates the spec (the app draws it unvalidated)


def test_breakdown_parts_add_up_to_the_monthly_cost() -> None:
    cat = load_catalogue()
    s = preset("rag-long-docs", AS_OF)
    table = compare_table(s, cat)
    parts = charts.breakdown_frame(table, curves_of(s, cat)).groupby("option")["monthly_cost_usd"].sum()
    for opt, total in table.set_index("option")["monthly_cost_usd"].items():
        if np.isfinite(total):
            assert parts[opt] == pytest.approx(float(total), rel=1e-9)


def test_cost_volume_legend_names_every_option_with_its_line_style() -> None:
    import vl_convert as vlc

    cat = load_catalogue()
    s = preset("chat", AS_OF)
    curves = curves_of(s, cat)
    spec = charts.cost_volume_chart(curves, break_even_of(s, cat)).to_dict()
    vega = vlc.vegalite_to_vega(spec)  # compiled: the legend Vega would really draw
    legends = vega.get("legends", [])
    assert len(legends) == 1, legends
    legend = legends[0]
    assert {"stroke", "strokeDash"} <= set(legend)  # the entries show colour and dash of each line
    scales = {sc["name"]: sc for sc in vega["scales"]}
    domain = scales[legend["stroke"]]["domain"]
    options = list(dict.fromkeys(curves["label"]))
    assert domain == options  # every option named by its short label, in the table's order
    assert legend.get("orient") == "bottom" and legend.get("columns") == 1  # a phone shows every entry
    dash = dict(zip(options, scales[legend["strokeDash"]]["range"], strict=True))
    for opt, kind in curves.drop_duplicates("label")[["label", "kind"]].itertuples(index=False):
        assert (dash[opt] == [1, 0]) == (kind == "api"), (opt, dash[opt])


@pytest.mark.parametrize("which", ["volume", "breakdown", "band", "kv"])
def test_chart_files_are_png_and_svg(which: str) -> None:
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    table = compare_table(s, cat)
    curves = curves_of(s, cat)
    models = [cat.model("deepseek-v3.2"), cat.model("deepseek-v4-flash")]
    chart = {
        "volume": lambda: charts.cost_volume_chart(curves, break_even_of(s, cat)),
        "breakdown": lambda: charts.breakdown_chart(charts.breakdown_frame(table, curves)),
        "band": lambda: charts.band_chart(charts.band_frame(table)),
        "kv": lambda: attention_charts.kv_chart(
            report.attention_frame(models, report.context_grid(points=5))
        ),
    }[which]()
    png = charts.chart_png(chart, scale=1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")  # IHDR
    assert width >= charts.EXPORT_WIDTH_PX and height >= 200  # the page width, plus axes and legend
    svg = charts.chart_svg(chart)
    assert svg.lstrip().startswith("<svg")
    assert "monthly cost" in svg or "KV cache" in svg  # the axis titles, with their units, are in the drawing


@pytest.mark.parametrize("name", ["chat", "rag-long-docs", "agentic-coding", "overnight-batch"])
def test_curves_pass_through_the_table_for_layout_switching_options(name: str) -> None:
    """V4-Pro on H200 can be attention TP8 or DP16 (the cheaper wins at each volume): the curve at the
    scenario's volume must be the table's figure, whichever layout that is."""
    from costmodel.workload.scenario import SelfHostOption

    cat = load_catalogue()
    s = preset(name, AS_OF)
    opts = (
        SelfHostOption(model="deepseek-v4-pro", gpu="h200"),
        SelfHostOption(model="deepseek-v4-flash", gpu="h200"),
    )
    s = s.model_copy(update={"self_host_options": opts})
    table = compare_table(s, cat).set_index("option")
    curves = curves_of(s, cat)
    now = curves[curves["current"] & (curves["kind"] == "self_host")].set_index("option")
    assert len(now) == 2
    for opt, row in now.iterrows():
        assert row["monthly_cost_usd"] == pytest.approx(float(table.loc[opt, "monthly_cost_usd"]), rel=1e-9)


def test_the_curve_panels_draw_each_published_curve_measured_and_predicted() -> None:
    """Methods page: one panel per curve with a published TPOT at two or more points; each point three times
    (measured, fitted, fitted without its curve), x = 1000 / its own TPOT, y = its figure per GPU of its phase.
    The SGLang cookbook R1 on 8 x B200, 1K/1K, concurrency 1 (serving-curves.md S1): 105.24 output tok/s over all
    8 GPUs at TPOT 9.16 ms -> 13.16 tok/s per GPU at 109.2 tok/s per user."""
    from costmodel import serving

    v = serving.validate(load_catalogue())
    rows = serving.validation_frame(v)
    pts = calibration_charts.curve_points_frame(rows)
    assert set(pts["series"]) == set(calibration_charts.CURVE_SERIES)
    drawn = set(pts["curve"])
    with_tpot = rows[
        rows["curve"].ne(rows["id"]) & rows["tpot_ms_measured"].notna() & rows["predicted_base"].notna()
    ]
    assert drawn == {c for c, n in with_tpot.groupby("curve").size().items() if n >= 2}
    assert len(drawn) >= 30  # of the 37 curves, those whose points publish a TPOT
    c1 = pts[(pts["curve"] == "cookbook-b200x8-r1-fp8-sglang-1k1k") & (pts["concurrency"] == 1)]
    meas = c1[c1["series"] == "measured"].iloc[0]
    assert meas["tokens_per_s_per_gpu"] == pytest.approx(105.24 / 8) and meas[
        "tokens_per_s_per_user"
    ] == pytest.approx(1000 / 9.16)
    # the software and its date travel with every point (the tooltip shows them)
    assert meas["engine"] == "SGLang" and meas["engine_version"].startswith("0.5.6.post1")
    assert meas["as_of"] == "2026-02-10"
    fit = c1[c1["series"] == calibration_charts.CURVE_SERIES[1]].iloc[0]
    row = rows[rows["id"] == "cookbook-b200x8-r1-fp8-sglang-1k1k-c1"].iloc[0]
    assert fit["tokens_per_s_per_gpu"] == pytest.approx(row["predicted_base"] / 8)
    assert fit["tpot_ms"] == pytest.approx(row["tpot_ms_predicted"]) and 5 < fit["tpot_ms"] < 20
    chart = calibration_charts.serving_curves_chart(pts)
    spec = chart.to_dict()
    assert spec["facet"]["field"] == "curve" and spec["resolve"]["scale"] == {
        "x": "independent",
        "y": "independent",
    }
    _check_units_and_tooltips(chart.spec)
