"""Twenty concurrent users of the calculator: AppTest sessions in threads, each with its own scenario.

The driver shared by benchmarks/bench_scaling.py (rerun p50 / p95 under that load, in docs/benchmarks.md) and
tests/app/test_concurrency.py (every session sees its own scenario's table: no cross-talk through
``st.cache_data`` or session state). Not a ``bench_*`` module, so ``run_all.py`` does not run it by itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import statistics
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest.mock import MagicMock

from streamlit.testing.v1 import AppTest

from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import Scenario

APP = Path(__file__).resolve().parents[1] / "app.py"
TIMEOUT_S = 30  # per AppTest run, as in tests/app
SESSIONS = 20
UNCHANGED_RERUNS = 2
#: The compact table's option and monthly-cost headers (costmodel.views.present), as the page shows them.
OPTION, MONTHLY = "Option", "Monthly (USD)"


def new_app() -> AppTest:
    """A fresh, not yet run, AppTest of the whole app."""
    return AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)


def session_plan(i: int) -> tuple[str, float, float]:
    """Session ``i``'s preset, requests per day and cache-hit fraction: all twenty differ."""
    names = [n for n in preset_names() if n not in MIX_PRESETS]  # a mix's cached share is its classes'
    return names[i % len(names)], 1_000.0 * (i + 1) ** 2, round(0.05 * (i % 7), 2)


#: Presets that are request mixes (their prompt and cached-share fields are the classes' mean, not typed).
MIX_PRESETS = frozenset(n for n in preset_names() if preset(n, dt.date(2026, 11, 28)).classes)


@dataclass
class Outcome:
    index: int
    scenario: Scenario | None = None
    shown: dict[str, str] = field(default_factory=dict)
    rerun_s: list[float] = field(default_factory=list)
    #: Reruns with nothing changed, all sessions at once after every session has made its changes (the aim:
    #: an unchanged scenario must cost nothing but Streamlit's own drawing).
    unchanged_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    retries: int = 0


def shown_costs(at: AppTest) -> dict[str, str]:
    """The monthly cost per option in the session's cost table, as shown (formatted text)."""
    t = next(d.value for d in at.dataframe if MONTHLY in d.value.columns)
    return {str(o): str(c) for o, c in zip(t[OPTION], t[MONTHLY], strict=True)}


def _timed(at: AppTest, out: Outcome) -> None:
    t0 = time.perf_counter()
    at.run()
    out.rerun_s.append(time.perf_counter() - t0)
    if at.exception:
        out.errors += [f"{e.value} at {' | '.join(e.stack_trace[-4:])}" for e in at.exception]
    if at.error:
        out.errors += [str(e.value) for e in at.error]


def _widget(at: AppTest, kind: str, key: str, out: Outcome) -> Any:
    """The session's widget ``key``. Seen once in CI under 20 sessions on 2 cores: a rerun's element tree came
    back without the Calculator's inputs and with no error (AppTest's shared mock runtime, not the app); the
    session then reruns once, as a browser would, and the retry is counted in ``out.retries``."""
    try:
        return getattr(at, kind)(key=key)
    except KeyError:
        out.retries += 1
        at.run()
        return getattr(at, kind)(key=key)


def drive(i: int, start: threading.Barrier, out: Outcome) -> None:
    """One user: open the calculator, pick a preset, type a volume and a cache-hit share."""
    try:
        name, rpd, hit = session_plan(i)
        at = new_app()
        _timed(at, out)
        out.rerun_s.clear()  # the first run of a session is not a rerun
        start.wait(timeout=120)  # every session is open: now they all work at once
        at.selectbox(key="calc_preset").select(name)
        _timed(at, out)
        _widget(at, "text_input", "calc_rpd", out).set_value(f"{rpd:.0f}")
        _timed(at, out)
        _widget(at, "number_input", "calc_ch", out).set_value(hit)
        _timed(at, out)
        out.scenario = at.session_state["scenario"]
        out.shown = shown_costs(at)
        start.wait(timeout=600)  # every session has made its changes: now all rerun unchanged, at once
        for _ in range(UNCHANGED_RERUNS):
            t0 = time.perf_counter()
            at.run()
            out.unchanged_s.append(time.perf_counter() - t0)
        if shown_costs(at) != out.shown:
            out.errors.append("an unchanged rerun showed other figures")
    except Exception as e:  # reported by the caller, with the session number
        out.errors.append(f"{type(e).__name__}: {e}: {traceback.format_exc(limit=-4)}")


@contextlib.contextmanager
def one_server() -> Iterator[None]:
    """Make AppTest behave like one server with many sessions.

    AppTest is written for one session at a time: each run installs a mock ``Runtime`` singleton and a
    config patch, then removes them when it ends, so a session finishing would pull the runtime from under
    the others ("Runtime hasn't been created!"), and each run compiles the page scripts afresh, which several
    threads at once trip over (CPython 3.11: "AST constructor recursion depth mismatch"). A real server has one
    runtime and one script cache (compiling under a lock) for every session; here, while sessions run, a
    shared mock runtime stands in whenever none is installed, one script cache serves every run and the
    config is patched once.
    The app's own shared state (``st.cache_data``, module globals) is untouched: that is what is under test.
    """
    from streamlit.runtime import Runtime
    from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
    from streamlit.runtime.dataframe_source_manager import DataframeSourceManager
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import app_test
    from streamlit.testing.v1.util import patch_config_options

    shared = MagicMock(spec=Runtime)
    shared.media_file_mgr = MediaFileManager(MemoryMediaFileStorage("/mock/media"))
    shared.dataframe_source_mgr = DataframeSourceManager()
    shared.cache_storage_manager = MemoryCacheStorageManager()
    script_cache = app_test.ScriptCache()  # one compiled-script cache, with its lock, as a server has
    # Every compile under one lock, whichever cache asks (the page scripts are compiled through another
    # ScriptCache than the entry point's): CPython 3.11 counts the AST recursion depth per process, so two
    # compiles at once in two threads can fail with "AST constructor recursion depth mismatch" (seen in CI).
    from streamlit.runtime.scriptrunner import script_cache as sc_module

    compile_lock = threading.Lock()
    real_get_bytecode = sc_module.ScriptCache.get_bytecode

    def get_bytecode(self: Any, script_path: str) -> Any:
        with compile_lock:
            return real_get_bytecode(self, script_path)

    saved_get_bytecode = sc_module.ScriptCache.__dict__["get_bytecode"]
    saved = (
        Runtime.__dict__["instance"],
        Runtime.__dict__["exists"],
        app_test.patch_config_options,
        app_test.ScriptCache,
    )

    def instance(cls: type[Runtime]) -> Runtime:
        return cls._instance or shared

    def exists(cls: type[Runtime]) -> bool:
        return True

    Runtime.instance = classmethod(instance)  # type: ignore[method-assign,assignment]
    Runtime.exists = classmethod(exists)  # type: ignore[method-assign,assignment]
    app_test.patch_config_options = lambda options: contextlib.nullcontext()
    app_test.ScriptCache = lambda: script_cache  # type: ignore[assignment,misc]
    sc_module.ScriptCache.get_bytecode = get_bytecode  # type: ignore[method-assign]
    try:
        with patch_config_options({"global.appTest": True}):
            yield
    finally:
        Runtime.instance, Runtime.exists, app_test.patch_config_options, app_test.ScriptCache = saved  # type: ignore[method-assign]
        sc_module.ScriptCache.get_bytecode = saved_get_bytecode  # type: ignore[method-assign]


def run_sessions(n: int = SESSIONS) -> list[Outcome]:
    """Run ``n`` sessions concurrently (one thread each) and return what each saw."""
    outcomes = [Outcome(i) for i in range(n)]
    barrier = threading.Barrier(n)
    threads = [threading.Thread(target=drive, args=(i, barrier, outcomes[i])) for i in range(n)]
    with one_server():
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    if any(t.is_alive() for t in threads):  # a guard against hangs, not a speed check
        raise RuntimeError("a session hung")
    return outcomes


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) by linear interpolation."""
    return float(statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1])
