"""Economics charts: each draws the rows it is given (a facet over layers that carry their own data, or log-scale
bars, drew nothing in the browser) and names its units."""

from __future__ import annotations

import json

import altair as alt

from costmodel.catalog import load_catalogue
from costmodel.economics import DEEPSEEK_FLEET, DEEPSEEK_MIX, economics
from costmodel.views.charts.economics import hardware_chart, history_chart, story_chart, sweep_chart

EC = economics("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, load_catalogue())


def _inline(chart: alt.TopLevelMixin) -> dict[str, object]:
    with alt.data_transformers.enable("default", consolidate_datasets=False):
        out: dict[str, object] = chart.to_dict()
    return out


def test_story_facet_has_its_data_at_the_top_and_no_bars_on_a_log_scale() -> None:
    spec = _inline(story_chart(EC.story))
    assert "facet" in spec and len(spec["data"]["values"]) == len(EC.story)  # type: ignore[index]
    text = json.dumps(spec)
    assert '"bar"' not in text and "USD per 1M output tokens" in text


def test_every_chart_carries_rows_and_axis_units() -> None:
    for chart, unit in (
        (history_chart(EC.history, "output"), "USD per 1M output tokens"),
        (sweep_chart(EC.sweep), "% of the price"),
        (hardware_chart(EC.hardware), "tokens per second per GPU"),
    ):
        spec = _inline(chart)
        top = spec.get("data", {}).get("values")  # type: ignore[attr-defined]
        for layer in spec["layer"]:  # type: ignore[attr-defined]
            assert (layer.get("data") or {}).get("values") or top  # every layer draws some rows
        assert unit in json.dumps(spec)
