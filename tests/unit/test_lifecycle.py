"""Which weights serve each API name, by date, and the dated lifecycle events (facts-2026-12 §2)."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from costmodel.catalog import Catalogue, ServingPeriod
from costmodel.catalog.lifecycle import weights_at
from costmodel.evaluate.evaluation import evaluate
from costmodel.pricing.resolve import resolve_price
from costmodel.views.verdict import verdict
from costmodel.workload.presets import FLASH_V41_SINCE, flash_weights_on, preset
from costmodel.workload.scenario import ApiOption, SelfHostOption

FLASH = ApiOption(provider="deepseek", model="deepseek-v4-flash")
PRO = ApiOption(provider="deepseek", model="deepseek-v4-pro")
UTC = dt.UTC


@pytest.mark.parametrize(
    "when,weights,checkpoint",
    [
        (dt.datetime(2026, 5, 1, tzinfo=UTC), "deepseek-v4-flash", "DeepSeek-V4-Flash (preview 0423)"),
        (dt.datetime(2026, 8, 1, tzinfo=UTC), "deepseek-v4-flash", "DeepSeek-V4-Flash-0731"),
        (dt.datetime(2026, 9, 10, 3, 59, tzinfo=UTC), "deepseek-v4-flash", None),
        (dt.datetime(2026, 9, 10, 4, 0, tzinfo=UTC), "deepseek-v4.1-flash", "DeepSeek-V4.1-Flash"),
        (dt.datetime(2026, 12, 6, tzinfo=UTC), "deepseek-v4.1-flash", "DeepSeek-V4.1-Flash"),
    ],
)
def test_flash_names_by_date(
    catalogue: Catalogue, when: dt.datetime, weights: str, checkpoint: str | None
) -> None:
    price = resolve_price(FLASH, catalogue, when)
    assert price.weights_model == weights
    if checkpoint is not None:
        assert price.weights is not None and price.weights.checkpoint == checkpoint


def test_v4_pro_was_never_redirected(catalogue: Catalogue) -> None:
    for day in (dt.date(2026, 9, 14), dt.date(2026, 9, 15), dt.date(2026, 12, 6)):
        assert resolve_price(PRO, catalogue, day).weights_model == "deepseek-v4-pro"
    events = {e.id: e for e in catalogue.events}
    announced = events["deepseek-v4-pro-redirect-announced"]
    assert announced.kind == "redirect_announced" and not announced.took_effect
    assert announced.when == dt.datetime(2026, 9, 14, 4, tzinfo=UTC)
    cancelled = events["deepseek-v4-pro-redirect-cancelled"]
    assert cancelled.kind == "redirect_cancelled" and cancelled.conflict  # 09-10 vs 09-11 kept


def test_chat_reasoner_retirement_keeps_its_date_conflict(catalogue: Catalogue) -> None:
    e = next(e for e in catalogue.events if e.id == "deepseek-chat-reasoner-retired")
    assert e.when == dt.datetime(2026, 7, 24, 15, 59, tzinfo=UTC)
    assert "2026-10-24" in e.conflict and e.confidence == "unconfirmed"
    assert set(e.api_model_names) == {"deepseek-chat", "deepseek-reasoner"}


def test_every_event_and_period_has_provenance(catalogue: Catalogue) -> None:
    for e in catalogue.events:
        assert e.source.strip() and e.text.strip() and e.as_of
    for p in catalogue.prices:
        for period in p.served_by:
            assert period.source.strip() and period.confidence
            assert p.effective_from <= period.effective_from  # inside the price schedule
            if p.effective_to is not None:
                assert period.effective_to is not None and period.effective_to <= p.effective_to


def test_the_presets_switch_date_is_the_catalogues(catalogue: Catalogue) -> None:
    row = next(p for p in catalogue.prices if p.id == "deepseek-flash-v4.1-2026-10")
    v41 = next(p for p in row.served_by if p.weights_model == "deepseek-v4.1-flash")
    assert v41.effective_from == FLASH_V41_SINCE
    assert flash_weights_on(dt.date(2026, 9, 10)) == "deepseek-v4-flash"  # 00:00 UTC, before 04:00
    assert flash_weights_on(dt.date(2026, 9, 11)) == "deepseek-v4.1-flash"


def test_weights_at_without_periods_is_the_rows_model() -> None:
    when = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert weights_at((), when, "deepseek-v3.2").weights_model == "deepseek-v3.2"  # type: ignore[union-attr]
    assert weights_at((), when, None) is None
    with pytest.raises(ValidationError, match="after"):
        ServingPeriod(weights_model=None, effective_from="2026-02-01", effective_to="2026-01-01", source="x",
                      confidence="derived")  # fmt: skip


@pytest.mark.parametrize("day,phrase", [
    (dt.date(2026, 12, 6), "Weights: both run deepseek-v4.1-flash."),
    (dt.date(2026, 8, 1), "Weights: both run deepseek-v4-flash."),
])  # fmt: skip
def test_verdict_says_which_weights_each_side_runs(catalogue: Catalogue, day: dt.date, phrase: str) -> None:
    s = preset("chat", day)
    ev = evaluate(s, catalogue)
    assert phrase in verdict(s, ev.table, ev.break_even).text


def test_verdict_says_when_the_weights_differ(catalogue: Catalogue) -> None:
    s = preset("chat", dt.date(2026, 12, 6))
    s = s.model_copy(update={"self_host_options": (SelfHostOption(model="deepseek-v4-flash", gpu="h200"),)})
    ev = evaluate(s, catalogue)
    text = verdict(s, ev.table, ev.break_even).text
    assert "is served by deepseek-v4.1-flash; self-hosting runs deepseek-v4-flash, a different model" in text
