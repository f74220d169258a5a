"""Defects found in the review of 2026-11-29, model side."""

from __future__ import annotations

import math

import pytest

from costmodel.workload.mix import classes_from_rows
from costmodel.workload.scenario import ScenarioError, Workload

TOTAL = Workload(requests_per_day=1000, prompt_tokens=1000, output_tokens=100, timezone="Europe/Paris")
ROW = {"name": "chat", "share_pct": 100.0, "prompt_tokens": 1000, "output_tokens": 100, "cache_hit_fraction": 0.0,
       "profile": "flat", "timezone": "UTC"}  # fmt: skip


def test_a_cleared_time_zone_cell_takes_the_workloads_not_nan() -> None:
    """The class table hands a cleared text cell over as NaN: 'unknown time zone 'nan'' named no real value."""
    (c,) = classes_from_rows([{**ROW, "timezone": math.nan}], TOTAL)
    assert c.workload.timezone == "Europe/Paris"


def test_a_cleared_profile_cell_is_named_empty_not_nan() -> None:
    with pytest.raises(ScenarioError, match=r"profile: 'empty' is not one of"):
        classes_from_rows([{**ROW, "profile": math.nan}], TOTAL)


def test_a_usage_log_imported_over_a_mix_replaces_the_mix() -> None:
    """The Calculator imports a log over the current scenario: a mix kept its classes (model_copy, not validated),
    so the log's lengths, histogram and profile were silently replaced by the classes' while its report was shown."""
    import datetime as dt
    from pathlib import Path

    from costmodel.workload.presets import preset
    from costmodel.workload.scenario import Scenario
    from costmodel.workload.usage_log import import_log_bytes, scenario_from_import

    path = Path(__file__).resolve().parents[1] / "data" / "usage_logs" / "generic.csv"
    log = import_log_bytes(path.read_bytes(), path.name, "auto", timezone="UTC")
    mix = preset("support-mix", dt.date(2026, 11, 20))
    assert mix.classes
    s = scenario_from_import(log, mix)
    assert s.classes == ()
    assert s.workload == log.workload()
    assert Scenario.model_validate(s.model_dump()) == s  # a valid scenario, as loaded
