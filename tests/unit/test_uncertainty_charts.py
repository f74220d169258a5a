"""The uncertainty charts draw the result's own figures, with units on the axes."""

from __future__ import annotations

import datetime as dt

from costmodel.catalog import Catalogue
from costmodel.evaluate.uncertainty import monte_carlo
from costmodel.views.charts.uncertainty import (
    cost_range_chart,
    cost_range_frame,
    tornado_chart,
    tornado_chart_frame,
)
from costmodel.workload.presets import preset


def test_charts_hold_the_results_figures(catalogue: Catalogue) -> None:
    res = monte_carlo(preset("chat", dt.date(2026, 6, 1)), catalogue, draws=2000, seed=3)
    df = tornado_chart_frame(res)
    assert len(df) == 2 * len(res.tornado)
    for b in res.tornado:
        rows = df[df["input"] == b.label].set_index("end")["verdict_usd"]
        assert rows["low end"] == b.verdict_low_usd and rows["high end"] == b.verdict_high_usd
    spec = tornado_chart(res).to_dict()
    assert "USD per month" in spec["layer"][0]["encoding"]["x"]["title"]
    ranges = cost_range_frame(res)
    for _, r in ranges.iterrows():
        i = res.options.index(r["name"])
        assert (r["p10"], r["p50"], r["p90"]) == res.quantiles(i)
        assert r["p_cheapest"] == res.p_cheapest[i]
    spec = cost_range_chart(ranges).to_dict()
    assert "USD per month" in spec["layer"][0]["encoding"]["x"]["title"]
