"""One option explained (costmodel.views.explain): every figure comes from the option's row, with its unit."""

from __future__ import annotations

import datetime as dt

import pytest

from costmodel.catalog import load_catalogue
from costmodel.evaluate.evaluation import evaluate
from costmodel.views.explain import explain_option
from costmodel.workload.presets import preset

DAY = dt.date(2026, 12, 6)


@pytest.fixture(scope="module")
def chat():  # type: ignore[no-untyped-def]
    return evaluate(preset("chat", DAY), load_catalogue())


def _items(sections):  # type: ignore[no-untyped-def]
    return {title: dict(items) for title, items in sections}


def test_a_self_hosting_option_shows_its_deployment_latency_price_band_and_break_even(chat) -> None:  # type: ignore[no-untyped-def]
    row = chat.table[chat.table["kind"] == "self_host"].iloc[0]
    got = _items(explain_option(row, chat.scenario, chat.break_even))
    assert list(got) == [
        "What it costs", "The deployment", "The latency it meets", "Rates and memory", "The price row", "The band",
        "What would change the verdict",
    ]  # fmt: skip
    dep = got["The deployment"]
    assert float(dep["GPUs at the busiest hour"]) * 1 == row["gpus"]
    assert float(dep["Replicas at the busiest hour"]) == row["gpus"] / row["deployment_gpus"]
    lat = got["The latency it meets"]
    assert (
        lat["Time per output token (TPOT)"] == f"{row['tpot_ms']:,.0f} ms (target 50 ms)"
    )  # the chat preset's target
    assert (
        got["The price row"]["As of"] == row["price_as_of"]
        and got["The price row"]["Catalogue row"] == row["price_ids"]
    )
    against = got["What would change the verdict"]
    assert any(k.startswith("Against DeepSeek-V4-Flash API") for k in against)
    assert all("self-host deepseek" not in k for k in against)  # names, not ids


def test_an_api_shows_its_bill_parts_and_price_row(chat) -> None:  # type: ignore[no-untyped-def]
    row = chat.table[chat.table["option"] == "deepseek/deepseek-v4-flash (list)"].iloc[0]
    got = _items(explain_option(row, chat.scenario, chat.break_even))
    assert list(got) == ["What it costs", "The price row", "What would change the verdict"]
    # the table's figure, as the page shows it
    assert got["What it costs"]["Monthly cost"] == f"${row['monthly_cost_usd']:,.0f}/month"
    assert got["The price row"]["Catalogue row"] == row["price_ids"]


def test_an_option_that_cannot_serve_says_why() -> None:
    s = preset("chat", DAY)
    s = s.model_copy(update={"workload": s.workload.model_copy(update={"prompt_tokens": 5_000_000})})
    ev = evaluate(s, load_catalogue())
    row = ev.table[~ev.table["feasible"].astype(bool)].iloc[0]
    ((title, items),) = explain_option(row, ev.scenario, ev.break_even)
    assert title == "Cannot serve this workload" and items[0][1] == row["reason"]
