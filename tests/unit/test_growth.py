"""Growth projection (costmodel.evaluate.growth): API bills grow exactly with the traffic, month 0 is today's table, and
the month in which the cheapest option changes is found (Claude Opus API vs self-hosting V4-Flash)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.evaluate.growth import GrowthError, cheapest_changes, growth_projection
from costmodel.workload.presets import preset
from costmodel.workload.scenario import ApiOption, SelfHostOption

DAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def cat():  # type: ignore[no-untyped-def]
    return load_catalogue()


@pytest.fixture(scope="module")
def small_chat():  # type: ignore[no-untyped-def]
    s = preset("chat", DAY)
    return s.model_copy(
        update={
            "workload": s.workload.model_copy(update={"requests_per_day": 2_000.0}),
            "api_options": (ApiOption(provider="anthropic", model="claude-opus-4.6"),),
            "self_host_options": (SelfHostOption(model="deepseek-v4-flash", gpu="h200"),),
        }
    )


@pytest.fixture(scope="module")
def doubling(small_chat, cat):  # type: ignore[no-untyped-def]
    return growth_projection(small_chat, cat, 1.0, 8)  # traffic doubles every month


def test_month_zero_is_todays_table_and_api_bills_grow_with_traffic(small_chat, cat, doubling) -> None:  # type: ignore[no-untyped-def]
    today = evaluate(small_chat, cat).table.set_index("option")["monthly_cost_usd"]
    m0 = doubling[doubling["month"] == 0].set_index("option")["monthly_cost_usd"]
    assert m0.to_dict() == today.to_dict()
    api = doubling[doubling["kind"] == "api"].sort_values("month")
    # an API bill is linear in requests: month m costs 2^m times month 0
    np.testing.assert_allclose(api["monthly_cost_usd"], today.iloc[0] * 2.0 ** np.arange(8), rtol=1e-12)
    assert (doubling.groupby("month")["cheapest"].sum() == 1).all()


def test_the_month_the_cheapest_option_changes(doubling) -> None:  # type: ignore[no-untyped-def]
    changes = cheapest_changes(doubling)
    assert len(changes) == 1
    month, before, after = changes[0]
    assert "Opus" in before and "H200" in after
    cost = doubling.pivot(index="month", columns="kind", values="monthly_cost_usd")
    # the API was cheaper the month before and self-hosting is cheaper from that month on
    assert cost.loc[month - 1, "api"] < cost.loc[month - 1, "self_host"]
    assert cost.loc[month, "self_host"] < cost.loc[month, "api"]


def test_no_growth_keeps_every_month_equal(small_chat, cat) -> None:  # type: ignore[no-untyped-def]
    p = growth_projection(small_chat, cat, 0.0, 2)
    a, b = (p[p["month"] == m]["monthly_cost_usd"].to_numpy() for m in (0, 1))
    np.testing.assert_array_equal(a, b)
    assert cheapest_changes(p) == []


@pytest.mark.parametrize(("rate", "months", "message"), [
    (-1.0, 12, "above -100%"), (float("nan"), 12, "above -100%"), (0.1, 0, "between 1 and 60"),
    (10.0, 60, "outside the scenario's range"),
])  # fmt: skip
def test_bad_growth_is_one_line(small_chat, cat, rate: float, months: int, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(GrowthError, match=message):
        growth_projection(small_chat, cat, rate, months)


def test_growth_chart_and_cli(doubling, capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from costmodel.cli.main import main
    from costmodel.views.charts import traffic as traffic_charts
    from costmodel.workload.scenario import scenario_to_json

    spec = traffic_charts.growth_chart(doubling).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["title"] == "monthly cost (USD, log scale)"
    s = tmp_path / "s.json"
    small = preset("chat", DAY)
    s.write_text(scenario_to_json(small))
    assert main(["growth", str(s), "--monthly-growth", "0.1", "--months", "2", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {r["month"] for r in out["rows"]} == {0, 1} and "cheapest_changes" in out
    assert main(["growth", str(s), "--monthly-growth", "-1"]) == 2
    assert capsys.readouterr().err.startswith("error: monthly growth")
