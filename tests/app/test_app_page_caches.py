"""The page scripts' caches outlive the run: a page script runs afresh on every rerun, so a cache made at its top
level would be empty each time (app_pages.common.page_cache). A rerun with nothing changed rebuilds nothing."""

from __future__ import annotations

from typing import Any

import pytest
from apphelpers import run_page

from costmodel.views import architecture
from costmodel.views.charts import traffic


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls = [0]
    real = getattr(module, name)

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, spy)
    return calls


def test_the_calculator_draws_its_traffic_chart_once_across_reruns(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch, traffic, "profile_chart")
    at = run_page("calculator")
    first = calls[0]
    assert first <= 1  # 0 when another test of this process built the same profile's spec
    at.run()
    at.run()
    assert calls[0] == first
    assert not at.exception


def test_the_attention_lab_simulates_once_across_reruns(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch, architecture, "sim_reads_frame")
    at = run_page("attention_lab")
    first = calls[0]
    assert first <= 1
    at.run()
    at.run()
    assert calls[0] == first
    assert not at.exception
