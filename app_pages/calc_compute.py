"""The Calculator's results cache: one evaluation per scenario and uploads, and what the page draws from it
(:class:`Shown`: the verdict, the warnings, the tables and the charts' Vega-Lite specs, each built on first use and
charged to the cache), shared by every session, so that a rerun of an unchanged scenario builds nothing. A
session keeps only the key of its last results (:class:`Last`). The page that draws them is
:mod:`app_pages.calc_results`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from app_pages import common
from costmodel.catalog import Catalogue
from costmodel.catalog.budget import MB, BoundedCache, bounded, deep_nbytes
from costmodel.evaluate.evaluation import Evaluation, evaluate
from costmodel.evaluate.table import cheapest_of_kind
from costmodel.views.charts import cost as charts
from costmodel.views.charts import mix as mix_charts
from costmodel.views.verdict import Verdict, verdict
from costmodel.workload.scenario import Scenario

T = TypeVar("T")


@dataclass
class Shown:
    """One evaluation and what the page draws from it, each part built on first use and then kept with the
    evaluation (in :func:`compute`'s cache, so shared by every session on the same scenario and uploads).
    Everything here is only read once built."""

    ev: Evaluation
    _parts: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)  # parts may build on other parts
    _grew: Callable[[int], None] = field(default=lambda n: None)  # the cache is told what each part adds

    def part(self, name: str, build: Callable[[], T]) -> T:
        """The part ``name``, built by ``build`` the first time it is asked for (its bytes charged to the cache)."""
        with self._lock:
            if name not in self._parts:
                self._parts[name] = build()
                self._grew(deep_nbytes(name, self._parts[name], exclude=(self.ev,)))
            out: T = self._parts[name]
            return out

    def verdict(self) -> Verdict:
        return self.part("verdict", lambda: verdict(self.ev.scenario, self.ev.table, self.ev.break_even))

    def chart(self, view: str) -> Any:
        """The Altair chart ``view`` (for the PNG/SVG downloads: built when one is clicked)."""

        def build() -> Any:
            ev = self.ev
            if view == "volume":
                return charts.cost_volume_from_layers(self._volume_layers())
            if view == "breakdown":
                return charts.breakdown_chart(charts.breakdown_frame(ev.table, ev.curves))
            if view == "band":
                return charts.band_chart(charts.band_frame(ev.table))
            if view == "classes":  # a request mix: each option's cost by class
                return mix_charts.class_chart(mix_charts.class_chart_frame(ev.by_class, ev.table))
            raise ValueError(f"unknown chart view {view!r}")

        return self.part(f"chart:{view}", build)

    def spec(self, view: str) -> dict[str, Any]:
        """The Vega-Lite spec the page draws of ``view``. The cost-vs-volume chart, redrawn on every change, is its
        layers' data in a template shared by every chart of the same options (:func:`_volume_template`):
        building the Altair chart and its spec was a fifth of a rerun."""
        if view == "volume":
            return self.part(
                "spec:volume", lambda: common.with_data(*_volume_spec_parts(self._volume_layers()))
            )
        return self.part(f"spec:{view}", lambda: common.vega_spec(self.chart(view)))

    def _volume_layers(self) -> charts.VolumeLayers:
        ev = self.ev
        return self.part(
            "volume_layers", lambda: charts.cost_volume_layers(ev.curves, ev.break_even, headline_pair(ev))
        )


def _volume_spec_parts(layers: charts.VolumeLayers) -> tuple[dict[str, Any], tuple[pd.DataFrame, ...]]:
    return _volume_template(layers.key, tuple(tuple(f.columns) for f in layers.frames)), layers.frames


@bounded("calculator volume-chart templates", max_entries=64, max_bytes=8 * MB)
def _volume_template(
    key: tuple[tuple[str, str, str | None], ...], columns: tuple[tuple[str, ...], ...]
) -> dict[str, Any]:
    """The cost-vs-volume chart's spec without its data, per set of options (``key``) and layer columns."""
    empty = charts.VolumeLayers(key, tuple(pd.DataFrame(columns=list(c)) for c in columns))
    return common.vega_template(charts.cost_volume_from_layers(empty))


#: The evaluations and what is drawn from them, shared by every session: at most 64 scenarios and 96 MB (one
#: entry of the chat preset is about 0.5 MB, one of 50 self-hosting options about 8 MB: its Vega-Lite specs and
#: tables included).
RESULTS: BoundedCache[tuple[Scenario, tuple[str, ...]], Shown] = BoundedCache(
    "calculator results", max_entries=64, max_bytes=96 * MB
)


def compute(scenario: Scenario, _cat: Catalogue, uploads: tuple[str, ...]) -> Shown:
    """The scenario evaluated once, cached (:data:`RESULTS`) on the frozen scenario and on the user's uploaded
    models (``uploads``: their JSON; the repository catalogue is the same for the whole process). The evaluation is
    only read, so it is shared, not copied. The monthly growth does not change today's figures: a scenario that
    differs only by it shares the evaluation of the scenario without growth (its own ``Shown`` keeps its growth
    projection)."""
    key = (scenario, uploads)

    def build() -> Shown:
        if scenario.monthly_growth_fraction:
            flat = compute(scenario.model_copy(update={"monthly_growth_fraction": 0.0}), _cat, uploads)
            return Shown(replace(flat.ev, scenario=scenario), _grew=lambda n: RESULTS.charge(key, n))
        return Shown(evaluate(scenario, _cat), _grew=lambda n: RESULTS.charge(key, n))

    return RESULTS.get_or_build(key, build)


@dataclass(frozen=True)
class Last:
    """What a session keeps of its last good results (``session_state["calc_last"]``): the key of
    :data:`RESULTS`, not the results, so a session never holds results the cache has let go (every open or recently
    closed tab held its evaluation: 8 MB for 50 self-hosting options, ~85 tabs alive within Streamlit's 120 s
    disconnected-session TTL at one link a second). Evicted results are computed again when asked for."""

    scenario: Scenario
    cat: Catalogue
    uploads: tuple[str, ...]

    def shown(self) -> Shown:
        return compute(self.scenario, self.cat, self.uploads)

    @property
    def ev(self) -> Evaluation:
        return self.shown().ev


def last_shown() -> Shown | None:
    """The session's last good results (None before the first)."""
    last: Last | None = st.session_state.get("calc_last")
    return last.shown() if last is not None else None


def headline_pair(ev: Evaluation) -> tuple[str, str] | None:
    """(self-hosting option, API option) ids of the verdict's break-even, to highlight on the chart."""
    api, sh = cheapest_of_kind(ev.table, "api"), cheapest_of_kind(ev.table, "self_host")
    return (str(sh["option"]), str(api["option"])) if api is not None and sh is not None else None
