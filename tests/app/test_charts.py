"""costmodel.charts: the frames agree with the model, the charts carry units and tooltips."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

from costmodel import charts
from costmodel.catalog import load_catalogue
from costmodel.compare import compare_table
from costmodel.scenario import preset

AS_OF = dt.date(2026, 11, 20)


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
    curves = charts.cost_volume_frame(s, cat)
    now = curves[curves["current"]].set_index("option")
    assert len(now) == len(table)
    for opt, row in now.iterrows():
        assert row["monthly_cost_usd"] == pytest.approx(float(table.loc[opt, "monthly_cost_usd"]), rel=1e-9)
    sh = curves[curves["kind"] == "self_host"]
    assert (sh["monthly_cost_usd_low"] >= sh["monthly_cost_usd"] - 1e-9).all()  # low efficiency costs more
    assert (sh["monthly_cost_usd_high"] <= sh["monthly_cost_usd"] + 1e-9).all()


def test_break_even_is_where_the_curves_cross() -> None:
    v = np.geomspace(1, 1e6, 61)
    curves = pd.DataFrame(
        {
            "option": ["api"] * v.size + ["gpu"] * v.size,
            "kind": ["api"] * v.size + ["self_host"] * v.size,
            "requests_per_day": np.concatenate([v, v]),
            "requests_per_month": np.concatenate([v, v]) * 30,
            "monthly_cost_usd": np.concatenate([v * 0.01, np.full(v.size, 100.0)]),  # cross at 10,000/day
        }
    )
    be = charts.break_even_frame(curves)
    assert len(be) == 1
    got = be.iloc[0]["requests_per_day"]
    assert 10_000 <= got <= 10_000 * v[1] / v[0]  # the first grid volume at or above the crossing
    assert charts.break_even_frame(curves.assign(monthly_cost_usd=1.0)).empty  # equal from the start: none


def test_attention_ratios_at_1m() -> None:
    cat = load_catalogue()
    df = charts.attention_frame(
        [cat.model("deepseek-v4-pro")], [charts.ONE_M_TOKENS], baseline=cat.model("deepseek-v3.2")
    )
    assert df["kv_ratio"].iloc[0] == pytest.approx(0.10, abs=0.01)
    assert df["flops_ratio"].iloc[0] == pytest.approx(0.27, abs=0.03)


def test_layer_breakdown_sums_to_the_whole_model() -> None:
    from costmodel.attention import kv_cache_bytes

    cat = load_catalogue()
    m = cat.model("deepseek-v4-flash")
    layers = charts.layer_breakdown_frame(m, 65_536)
    assert layers["kv_cache_bytes"].sum() == pytest.approx(float(kv_cache_bytes(m, 65_536)), rel=1e-12)


def test_every_chart_has_units_and_tooltips() -> None:
    cat = load_catalogue()
    s = preset("chat", AS_OF)
    table = compare_table(s, cat)
    curves = charts.cost_volume_frame(s, cat)
    be = charts.break_even_frame(curves)
    models = [cat.model("deepseek-v3.2"), cat.model("deepseek-v4-flash")]
    att = charts.attention_frame(models, charts.context_grid(points=5), baseline=models[0])
    for chart in (
        charts.cost_volume_chart(curves, be),
        charts.breakdown_chart(charts.breakdown_frame(table, curves)),
        charts.band_chart(charts.band_frame(table)),
        charts.kv_chart(att),
        charts.flops_chart(att),
        charts.ratio_chart(att, "deepseek-v3.2"),
        charts.layer_chart(charts.layer_breakdown_frame(models[1], 4096)),
        charts.sim_reads_chart(charts.sim_reads_frame(charts.miniature_mechanisms(), 64), 64),
    ):
        _check_units_and_tooltips(chart)


def test_breakdown_parts_add_up_to_the_monthly_cost() -> None:
    cat = load_catalogue()
    s = preset("rag-long-docs", AS_OF)
    table = compare_table(s, cat)
    parts = (
        charts.breakdown_frame(table, charts.cost_volume_frame(s, cat))
        .groupby("option")["monthly_cost_usd"]
        .sum()
    )
    for opt, total in table.set_index("option")["monthly_cost_usd"].items():
        if np.isfinite(total):
            assert parts[opt] == pytest.approx(float(total), rel=1e-9)
