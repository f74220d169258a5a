"""Third-party hosts of the open weights: priced by `costmodel price` like any row, grouped as
"Open weights, hosted" in the table, the exports and the chart, and the price rows' provenance panel."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.evaluate.table import GROUP_API, GROUP_HOSTED, GROUP_SELF_HOST, option_group
from costmodel.pricing.request_price import price_request
from costmodel.views.charts import cost as charts
from costmodel.views.export import comparison as export
from costmodel.views.price_rows import WEEKDAY_RULE, peak_rule_note, price_rows_frame
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption

CAT = load_catalogue()
DAY = dt.date(2026, 11, 29)
MAKERS = {m.id: m.provider for m in CAT.models}


@pytest.mark.parametrize("row", CAT.prices, ids=lambda r: r.id)
def test_price_answers_for_every_catalogue_row(row) -> None:  # type: ignore[no-untyped-def]
    # at each row's own start, the row in effect for its provider, model and kind is that row
    at = row.effective_from
    r = price_request(CAT, row.model, at, provider=row.provider, input_tokens=1_000, output_tokens=1_000,
                      price_basis=row.kind)  # fmt: skip
    assert r.price_id == row.id
    assert r.usd > 0 or (row.usd_per_mtok_input_cache_miss == 0 and row.usd_per_mtok_output == 0)


def test_at_least_thirty_hosts_with_dated_rows() -> None:
    hosted = [p for p in CAT.prices if MAKERS.get(p.model) not in (None, p.provider)]
    hosts = {p.provider for p in hosted}
    assert len(hosts) >= 30, hosts
    for model in ("deepseek-v4-pro", "deepseek-v4-flash", "deepseek-v4.1-flash", "minimax-m3"):
        assert len({p.provider for p in hosted if p.model == model}) >= 10, model
    assert {p.model for p in hosted} >= {
        "deepseek-v4-pro", "deepseek-v4-flash", "deepseek-v4.1-flash", "deepseek-v3.2", "kimi-k2.6", "minimax-m3"
    }  # fmt: skip
    assert any(p.provider == "bedrock" and p.model == "deepseek-v3.2" for p in hosted)
    # every host row comes from a pinned feed, as_of the day it was read; an undated price starts that day (all of
    # LiteLLM's), a dated one on the feed's date (genai-prices' StartDateConstraint), never later
    read_on = {"LiteLLM 1.110.2": DAY, "genai-prices 0.2.5": dt.date(2026, 12, 7)}
    for p in hosted:
        feed = next(f for f in read_on if p.source.startswith(f + " price feed, entry "))
        assert p.confidence == "third_party" and p.as_of == read_on[feed], p.id
        assert (
            p.effective_from.date() == DAY
            if feed.startswith("LiteLLM")
            else p.effective_from.date() <= p.as_of
        )


def test_option_group() -> None:
    assert charts.GROUP_HOSTED == GROUP_HOSTED  # the chart's copy of the label
    assert option_group("api", "deepseek", "deepseek-v4-pro", CAT) == GROUP_API
    assert option_group("api", "together", "deepseek-v4-pro", CAT) == GROUP_HOSTED
    assert option_group("api", "custom", "deepseek-v4-pro", CAT, "custom") == GROUP_API
    assert option_group("self_host", "self-host", "deepseek-v4-pro", CAT) == GROUP_SELF_HOST


def _scenario():  # type: ignore[no-untyped-def]
    s = preset("chat", DAY)
    hosted = (ApiOption(provider="together", model="deepseek-v4-pro"), ApiOption(provider="deepinfra",
              model="deepseek-v4-pro"))  # fmt: skip
    return s.model_copy(update={"api_options": (*s.api_options, *hosted)})


def test_groups_in_table_curves_exports_and_chart() -> None:
    s = _scenario()
    ev = evaluate(s, CAT)
    groups = dict(zip(ev.table["option"], ev.table["group"], strict=True))
    assert groups["together/deepseek-v4-pro (list)"] == GROUP_HOSTED
    assert groups["deepseek/deepseek-v4-pro (list)"] == GROUP_API
    assert set(ev.curves.loc[ev.curves["option"] == "deepinfra/deepseek-v4-pro (list)", "group"]) == {
        GROUP_HOSTED
    }
    # DeepInfra's V4-Pro is flat (no peak hours): 0.10 cache hit / 1.30 miss / 2.60 output USD per 1M, by hand
    w = s.workload
    c = w.cache_hit_fraction
    want = (
        w.requests_per_month
        * (w.prompt_tokens * (c * 0.10 + (1 - c) * 1.30) + w.billed_output_tokens * 2.60)
        / 1e6
    )
    cost = dict(zip(ev.table["option"], ev.table["monthly_cost_usd"], strict=True))
    assert cost["deepinfra/deepseek-v4-pro (list)"] == pytest.approx(want, rel=1e-12)
    records = json.loads(export.to_json(s, ev.table, CAT))
    text = json.dumps(records)
    assert GROUP_HOSTED in text
    spec = charts.cost_volume_chart(ev.curves, ev.break_even).to_dict()
    dumped = json.dumps(spec)
    assert "dotted: open weights, hosted" in dumped and "[2, 2]" in dumped


def test_price_rows_panel_flags_stale_and_gives_the_rule() -> None:
    s = _scenario()
    ev = evaluate(s, CAT)
    rows = price_rows_frame(ev.table, CAT, s.as_of)
    by_id = rows.set_index("price_id")
    assert by_id.loc["deepseek-v4-pro-peak-holidays-2026-09", "last_verified"] == "2026-09-21"
    assert (
        by_id.loc["deepseek-v4-pro-peak-holidays-2026-09", "peak_hours"]
        == "01-04,06-10 UTC Mon-Fri; off-peak x0.5"
    )
    assert not by_id["stale"].any()  # nothing older than 180 days on 2026-11-29
    later = price_rows_frame(ev.table, CAT, dt.date(2027, 6, 1))  # the same rows, priced half a year later
    assert later.set_index("price_id").loc["deepseek-v4-pro-peak-holidays-2026-09", "stale"]
    assert peak_rule_note(rows) == WEEKDAY_RULE and "Monday to Friday" in WEEKDAY_RULE
