"""Calculator (issue 13): hosts of the open weights as options, rows left out before their first price, and
when the prices used were last verified."""

from __future__ import annotations

import datetime as dt

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
