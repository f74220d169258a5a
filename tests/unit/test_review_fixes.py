"""Defects found in the review of 2026-11-29, model side."""

from __future__ import annotations

import math

import pytest

from costmodel.mix import classes_from_rows
from costmodel.scenario import ScenarioError, Workload

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
