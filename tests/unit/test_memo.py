"""The caches of pure functions of catalogue rows (costmodel.catalog.memo) and of the serving estimates
(costmodel.serving.layouts.layout_estimates): a cached answer is the answer computed afresh."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from costmodel.catalog import Catalogue
from costmodel.catalog.memo import by_row_identity
from costmodel.evaluate.evaluation import evaluate
from costmodel.serving.layouts import layout_estimates
from costmodel.workload.presets import preset, preset_names

AS_OF = dt.date(2026, 11, 20)


def test_by_row_identity_keys_on_the_object_and_the_arguments() -> None:
    calls: list[tuple[object, int]] = []

    class Row:  # unhashable, like a catalogue row holding a dict
        __hash__ = None  # type: ignore[assignment]

    @by_row_identity(maxsize=2)
    def f(row: Row, n: int) -> int:
        calls.append((row, n))
        return n * 2

    a, b = Row(), Row()
    assert f(a, 1) == 2 and f(a, 1) == 2 and len(calls) == 1  # hit
    assert f(b, 1) == 2 and len(calls) == 2  # another row: computed
    assert f(a, 2) == 4 and len(calls) == 3  # other argument: computed
    assert f(b, 1) == 2 and len(calls) == 3  # still held
    assert f(a, 1) == 2 and len(calls) == 4  # dropped (maxsize 2, oldest first): computed again


@pytest.mark.parametrize("name", preset_names())
def test_an_edit_of_volume_or_profile_reuses_the_estimates_and_gives_the_fresh_figures(
    catalogue: Catalogue, name: str
) -> None:
    s = preset(name, AS_OF)
    w = s.workload
    edited = s.model_copy(
        update={
            "workload": w.model_copy(
                update={
                    "requests_per_day": w.requests_per_day * 1.37,
                    "weekend_day_weight": 0.5,
                    "hourly_profile_weekday": tuple(reversed(w.hourly_profile_weekday)),
                    "timezone": "Asia/Tokyo",
                }
            )
        }
    )
    evaluate(s, catalogue)  # fills the cache with the shape both scenarios share
    cached = evaluate(edited, catalogue)
    layout_estimates.cache_clear()  # type: ignore[attr-defined]
    fresh = evaluate(edited, catalogue)
    pd.testing.assert_frame_equal(cached.table, fresh.table)
    pd.testing.assert_frame_equal(cached.curves, fresh.curves)
    pd.testing.assert_frame_equal(cached.break_even, fresh.break_even)
    for a, b in zip(cached.self_host, fresh.self_host, strict=True):
        for lv, tables in a.evaluation.per_request.items():
            for t, u in zip(tables, b.evaluation.per_request[lv], strict=True):
                np.testing.assert_array_equal(t.prefill_gpu_s, u.prefill_gpu_s)
                np.testing.assert_array_equal(t.decode_gpu_s, u.decode_gpu_s)


def test_a_shape_edit_is_not_answered_from_the_cache(catalogue: Catalogue) -> None:
    s = preset("chat", AS_OF)
    # 30,000 tokens: the chat fleets double (at 6,000 the step-time model needs the same GPUs)
    longer = s.model_copy(update={"workload": s.workload.model_copy(update={"prompt_tokens": 30000})})
    a, b = evaluate(s, catalogue).table, evaluate(longer, catalogue).table
    sh = a["kind"] == "self_host"
    assert not np.allclose(a.loc[sh, "monthly_cost_usd"], b.loc[sh, "monthly_cost_usd"])
