"""Calculator: hosts of the open weights as options, rows left out before their first price, and
when the prices used were last verified."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
from apphelpers import run_page
from streamlit.testing.v1 import AppTest


def _table(at: AppTest) -> pd.DataFrame:
    """The compact cost table on screen."""
    return next(d.value for d in at.dataframe if "Monthly (USD)" in d.value.columns)


def test_hosted_options_are_offered_labelled_and_grouped() -> None:
    at = run_page("calculator")
    opts = at.multiselect(key="calc_api").options
    hosted = [o for o in opts if "open weights, hosted" in o]
    hosts = {o.split("/")[0] for o in hosted}
    assert len(hosts) >= 30, (
        hosts
    )  # data/prices.yaml: 40 hosts imported from LiteLLM 1.110.2 and genai-prices 0.2.5
    assert not any("(promotion)" in o for o in hosted)  # hosts have no promotion rows: list only
    at.date_input(key="calc_as_of").set_value(dt.date(2026, 11, 29)).run()
    at.multiselect(key="calc_api").set_value(
        ["deepseek/deepseek-v4-pro (list)", "together/deepseek-v4-pro (list)"]
    ).run()
    assert not at.error, [e.value for e in at.error]
    table = _table(at)
    types = dict(zip(table["Option"], table["Type"], strict=True))
    assert "Open weights, hosted" in types.values() and "API" in types.values()
    box = next(e for e in at.expander if e.label.startswith("Prices: last verified"))
    rows = box.dataframe[0].value
    assert set(rows["Price row"]) >= {
        "deepseek-v4-pro-peak-holidays-2026-09",
        "together-deepseek-v4-pro-litellm-20261129",
    }
    assert any("Monday to Friday" in c.value for c in box.caption)  # the weekday rule, with its sources


def test_a_date_before_the_first_price_leaves_the_row_out_and_says_so() -> None:
    at = run_page("calculator")
    at.date_input(key="calc_as_of").set_value(dt.date(2026, 5, 1)).run()
    at.multiselect(key="calc_api").set_value(
        ["deepseek/deepseek-v4-pro (list)", "moonshot/kimi-k2.6 (list)"]
    ).run()
    assert not at.error, [e.value for e in at.error]
    infos = [i.value for i in at.info]
    assert any("no price on record for moonshot/kimi-k2.6 before 2026-06-01" in i for i in infos), infos
    assert not any("Kimi" in o for o in _table(at)["Option"])


def test_api_picker_groups_hosts_by_model_and_picks_the_cheapest_of_each() -> None:
    from app_pages import calc_state as cs
    from costmodel.catalog import load_catalogue
    from costmodel.pricing.hosts import group_by_model

    at = run_page("calculator")
    day = dt.date(2026, 12, 7)
    at.date_input(key="calc_as_of").set_value(day).run()
    labels = at.multiselect(key="calc_api").options
    assert len(labels) >= 100
    # model by model: the model a label serves ("(serves X)" for an API answered by other weights) never comes back
    served = [
        re.search(r"\(serves (.+)\)$", lab).group(1) if "(serves " in lab else lab.split(" · ")[0]  # type: ignore[union-attr]
        for lab in labels
    ]
    runs = [m for i, m in enumerate(served) if i == 0 or served[i - 1] != m]
    assert len(runs) == len(set(runs)), runs
    assert "DeepSeek-V4-Flash · deepseek, list price (serves DeepSeek-V4.1-Flash)" in labels
    # each model's options cheapest first for the workload on screen (the last valid scenario)
    cat = load_catalogue()
    s = at.session_state["scenario"]
    api = cs.api_choices(cat, None)  # the page's options (no custom ones in this session)
    groups = group_by_model(api, s.workload, cat, day)
    v41 = next(g for g in groups if g.model == "deepseek-v4.1-flash")
    costs = [q.monthly_cost_usd for q in v41.quotes if not q.reason]
    assert costs == sorted(costs) and len(costs) >= 20
    # the button: one option per model, the cheapest host of each
    at.button(key="calc_api_cheapest").click().run()
    assert not at.error, [e.value for e in at.error]
    picked = at.multiselect(key="calc_api").value
    want = [g.cheapest.option_id for g in groups if g.cheapest is not None]
    assert picked == want and len(want) >= 6
    assert v41.cheapest is not None and v41.cheapest.option_id in picked
    cheapest = next(d.value for d in at.dataframe if "cheapest host" in d.value.columns)
    assert [
        i for i in cheapest["option"] if i
    ] == want  # a model none can serve at the date: no option, a reason
    assert all(
        h.startswith("none: ")
        for h, i in zip(cheapest["cheapest host"], cheapest["option"], strict=True)
        if not i
    )
    assert list(_table(at)["Option"].head(1)) != []  # the comparison ran on the new selection
    # an edit of the workload keeps the selection (the options reorder, the values stay)
    at.text_input(key="calc_rpd").set_value("2M").run()
    assert at.multiselect(key="calc_api").value == want
    assert not at.error, [e.value for e in at.error]
