"""Provider economics page: V4-Pro's cost and margins at its four prices, the story, the Ascend rows with their
labels, and a bad input giving one clear line."""

from __future__ import annotations

import pandas as pd
import pytest
from apphelpers import new_app, shown
from streamlit.testing.v1 import AppTest

from costmodel.catalog import load_catalogue
from costmodel.economics import DEEPSEEK_FLEET, DEEPSEEK_MIX, token_cost

PAGE = "app_pages/economics.py"


def _page() -> AppTest:
    at = new_app()
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception
    return at


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The dataframe on the page that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _metric(at: AppTest, start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(start))


def test_default_is_deepseeks_fleet_with_v4_pro_margins() -> None:
    at = _page()
    assert not at.error
    want = token_cost("deepseek-v4-pro", DEEPSEEK_FLEET, DEEPSEEK_MIX, load_catalogue())
    assert _metric(at, "Output") == f"${want.usd_per_mtok('output'):,.4f}"
    assert _metric(at, "Uncached input") == f"${want.usd_per_mtok('input'):,.4f}"
    margins = _table(at, "price row")
    assert set(zip(margins["kind"], margins["window"], strict=True)) == {
        ("list", "all hours"), ("promotion", "all hours"), ("list", "peak"), ("list", "off-peak")
    }  # fmt: skip
    assert margins["price source"].str.len().min() > 0 and margins["as of"].str.len().min() > 0
    story = _table(at, "request length (tokens)")
    assert set(story["request length (tokens)"]) == {"8,192", "131,072", "1,048,576"}
    hw = _table(at, "GPU").set_index("GPU")
    assert hw.loc["ascend-910c", "catalogue confidence"] == "unconfirmed"
    assert hw.loc["ascend-910c", "status"].startswith("cannot estimate")
    assert hw.loc["h20", "catalogue confidence"] == "unconfirmed"
    assert "hbm_tb_per_s" in hw.loc["h20", "unconfirmed in the catalogue"]  # labelled although not estimated
    assert "hbm_tb_per_s" in hw.loc["ascend-910c", "null in the catalogue (see its reason)"]
    assert "scale_up_gb_per_s" in hw.loc["ascend-950", "unconfirmed figures used"]


def test_inputs_change_the_cost_and_the_preset_restores_it() -> None:
    at = _page()
    before = _metric(at, "Output")
    at.number_input(key="eco_usd").set_value(4.0).run()
    assert not at.exception and not at.error
    after = _metric(at, "Output")
    assert float(after.strip("$").replace(",", "")) > float(before.strip("$").replace(",", ""))
    at.button(key="eco_preset").click().run()
    assert _metric(at, "Output") == before


def test_a_stated_ascend_price_gives_a_cost() -> None:
    at = _page()
    at.number_input(key="eco_stated_ascend-950").set_value(1.5).run()
    hw = _table(at, "GPU").set_index("GPU")
    assert hw.loc["ascend-950", "GPU-hour (USD)"] == "$1.50"
    assert hw.loc["ascend-950", "output (USD per 1M)"].startswith("$")


def test_bad_prompt_length_gives_one_clear_line() -> None:
    at = _page()
    at.text_input(key="eco_prompt").set_value("lots").run()
    assert not at.exception
    assert len(at.error) == 1
    msg = shown(at.error[0].value)
    assert "Request shape" in msg and "'lots'" in msg and "\n" not in msg
    assert not at.metric  # no stale or partial figures under the error


def test_changing_the_gpu_loads_its_catalogue_price_and_cites_it() -> None:
    at = _page()
    at.selectbox(key="eco_gpu").set_value("h200").run()
    assert not at.exception and not at.error
    # the latest on-demand row of data/hardware.yaml: h200-verda-on-demand-fin-02-fin-03-skypilot-b (2026-12-06)
    assert at.number_input(key="eco_usd").value == 2.59
    assert any(
        "USD 2.59 (skypilot-catalog v8 verda" in c.value for c in at.caption
    )  # the price with its source
    margins = _table(at, "price row")
    assert (margins["unconfirmed price fields"] != "").all()


def test_a_fleet_gpu_with_an_unknown_figure_says_cannot_estimate_in_one_line() -> None:
    at = _page()
    at.selectbox(key="eco_gpu").set_value("ascend-910c").run()
    assert not at.exception
    assert len(at.error) == 1
    msg = shown(at.error[0].value)
    assert "cannot estimate" in msg and "hbm_tb_per_s" in msg and "\n" not in msg


def test_the_sweep_can_be_set_against_the_promotion() -> None:
    at = _page()
    box = at.selectbox(key="eco_sweep_price")
    assert box.value == "deepseek-v4-pro-peak-holidays-2026-09 (peak)"  # the row in effect since 2026-09-19
    box.set_value("deepseek-v4-pro-promo-75 (all hours)").run()
    assert not at.exception and not at.error
    assert any("Against deepseek-v4-pro-promo-75 (all hours)" in c.value for c in at.caption)


@pytest.mark.parametrize("typed", [-1.0, 2000.0])
def test_a_stated_gpu_hour_cost_out_of_range_is_refused_by_name(typed: float) -> None:
    """On this page too the widgets have no bounds, so a typed value reaches the page, which refuses
    it by name and says what is shown instead (before, the browser kept it in the box, unsent, with no word)."""
    at = _page()
    at.number_input(key="eco_stated_h20").set_value(typed).run()
    assert not at.exception
    assert [shown(e.value) for e in at.error] == [
        f"GPU-hour cost of h20: {typed:g} refused (0 = not stated, up to 1,000 USD); shown as not stated."
    ]
    at.number_input(key="eco_usd").set_value(-5.0).run()
    assert any("GPU-hour cost must be between" in shown(e.value) for e in at.error)
