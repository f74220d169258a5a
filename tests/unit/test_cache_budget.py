"""One cache budget (costmodel.catalog.budget): every cache bounded in entries and in measured bytes.

The 1,000-link server run is ``benchmarks/bench_links.py``; these hold the mechanism cheaply.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import threading
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from costmodel.catalog.budget import MB, TOTAL_MAX_BYTES, BoundedCache, bounded, caches, deep_nbytes


@dataclass(frozen=True)
class _Holder:
    a: np.ndarray
    b: tuple[np.ndarray, ...]


def test_deep_nbytes_counts_buffers_once_and_frames_deep() -> None:
    x = np.zeros(1_000_000)  # 8 MB
    assert 8_000_000 <= deep_nbytes(x) < 8_000_200
    assert deep_nbytes(x, x[10:], x.reshape(1000, 1000)) < 8_000_600  # views: the base once
    h = _Holder(x, (x, np.ones(125_000)))
    assert 9_000_000 <= deep_nbytes(h) < 9_002_000
    frame = pd.DataFrame({"s": ["x" * 100] * 10_000, "f": np.zeros(10_000)})
    assert deep_nbytes(frame) >= 10_000 * (100 + 8)
    assert deep_nbytes({"k": h}, exclude=(x,)) < 1_002_000  # what the caller excludes is not counted


def test_entries_and_bytes_both_bound_the_cache() -> None:
    c: BoundedCache[int, np.ndarray] = BoundedCache("test", max_entries=10, max_bytes=4 * MB)
    for i in range(20):
        c.put(i, np.zeros(MB // 8))  # 1 MB each
        assert c.nbytes <= 4 * MB
    assert len(c) == 3 and list(c._data) == [17, 18, 19]  # 4 × (1 MB + headers) > 4 MB: three fit
    for i in range(20, 40):
        c.put(i, np.zeros(1))
    assert len(c) == 10  # small entries: the entry bound
    c.put(99, np.zeros(MB))  # 8 MB: larger than the whole budget, returned but not kept
    assert 99 not in c and c.stats().largest > 4 * MB
    c.charge(39, 3 * MB)  # an entry that grows pushes the oldest out
    assert c.nbytes <= 4 * MB and 39 in c
    c.charge(39, 2 * MB)  # past the whole budget: no longer kept
    assert 39 not in c and c.nbytes <= 4 * MB


def test_get_or_build_builds_once_per_key_across_threads() -> None:
    c: BoundedCache[str, int] = BoundedCache("test", max_entries=4, max_bytes=MB)
    calls = []
    gate = threading.Event()

    def build() -> int:
        calls.append(1)
        gate.wait(1)
        return 42

    threads = [threading.Thread(target=lambda: c.get_or_build("k", build)) for _ in range(8)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join()
    assert len(calls) == 1 and c.get("k") == 42


def test_bounded_decorator_and_registry() -> None:
    @bounded("test decorator", max_entries=2, max_bytes=MB)
    def square(x: int) -> int:
        return x * x

    assert [square(i) for i in (1, 2, 3, 3)] == [1, 4, 9, 9]
    (stats,) = [s for s in caches() if s.name == "test decorator"]
    assert stats.entries == 2 and stats.max_entries == 2 and 0 < stats.nbytes <= MB


def _fifty_options():  # type: ignore[no-untyped-def]
    from costmodel.catalog import load_catalogue
    from costmodel.workload.presets import preset
    from costmodel.workload.scenario import SelfHostOption

    cat = load_catalogue(None)
    models = ("deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash", "deepseek-v4.1-flash", "kimi-k2.6")
    opts = [SelfHostOption(model=m, gpu=g.id) for m, g in itertools.product(models, cat.gpus)][:50]
    s = preset("chat", dt.date(2026, 11, 29))
    return cat, s.model_copy(update={"self_host_options": tuple(opts)})


@pytest.mark.slow
def test_an_evaluation_of_fifty_options_is_measured_and_small() -> None:
    """A scenario of 50 self-hosting options evaluated (what one share link costs the results cache): the measured
    size is an upper bound of what tracemalloc sees it keep, and it is a few MB (the sweeps' hour-by-hour fleet
    arrays, 93 MB of it, are no longer kept)."""
    from costmodel.evaluate.evaluation import evaluate

    cat, s = _fifty_options()
    evaluate(s, cat)  # imports and the per-model memos
    w = s.workload.model_copy(update={"requests_per_day": 123_457.0})
    gc.collect()
    tracemalloc.start()
    ev = evaluate(s.model_copy(update={"workload": w}), cat)
    kept, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = deep_nbytes(ev)
    assert size < 16 * MB, f"{size / MB:.1f} MB"
    assert (
        size >= 0.5 * kept
    )  # the sizes are measured: not far below what tracemalloc sees (memos included there)
    sh = ev.self_host[0].evaluation
    for costs in (sh.volume_costs, sh.cache_costs):
        for fc in costs.values():
            if fc is not None:
                assert fc.gpus_by_hour.size == 0 and fc.monthly_cost_usd.size > 1  # totals only
    for fc in sh.costs.values():
        if fc is not None:
            assert fc.gpus_by_hour.shape == (7, 24)  # the point itself keeps its hours


@pytest.mark.slow
def test_a_small_budget_holds_many_evaluations_under_its_bytes() -> None:
    """Ten distinct 50-option evaluations through a cache of 24 MB: never over its bytes, the newest kept."""
    from costmodel.evaluate.evaluation import evaluate

    cat, s = _fifty_options()
    c: BoundedCache[float, object] = BoundedCache("test evaluations", max_entries=64, max_bytes=24 * MB)
    for i in range(10):
        w = s.workload.model_copy(update={"requests_per_day": 100_000.0 + 1000 * i})
        c.get_or_build(w.requests_per_day, lambda w=w: evaluate(s.model_copy(update={"workload": w}), cat))
        assert c.nbytes <= 24 * MB
    assert 1 <= len(c) < 10 and 109_000.0 in c


def test_every_cache_of_the_model_is_within_the_total_budget() -> None:
    import costmodel.evaluate.evaluation
    import costmodel.pricing.holiday_calendar
    import costmodel.workload.prompt_shape  # noqa: F401

    made = caches()
    names = {s.name for s in made}
    assert {"costmodel.serving.layouts.layout_estimates", "hourly requests in UTC", "holiday dates"} <= names
    assert sum(s.max_bytes for s in made if not s.name.startswith("test")) <= TOTAL_MAX_BYTES
    assert all(s.nbytes <= s.max_bytes and s.entries <= s.max_entries for s in made)


def test_the_server_keeps_a_closed_tab_session_briefly() -> None:
    """Sessions kept after their tab closes hold most of a busy server's memory (benchmarks/bench_links.py: 150
    distinct share links at about one a second reached 2.0 GB with Streamlit's default of 120 s, and stayed at
    0.50 GB with 10 s), so the app's config keeps them 15 s; a later reconnect is restored from the share link."""
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())
    assert 0 < config["server"]["disconnectedSessionTTL"] <= 30
