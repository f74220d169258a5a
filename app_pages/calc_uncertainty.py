"""The Calculator's "How sure is this?" section: editable ranges, the probability line, the tornado, cost ranges.

Thin: :func:`costmodel.evaluate.uncertainty.monte_carlo` computes (cached per scenario, ranges, draws and seed),
:mod:`costmodel.views.charts.uncertainty` draws. Bad settings show one st.error line.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app_pages.calc_fields import field_bounds
from costmodel.catalog import Catalogue
from costmodel.catalog.budget import MB, BoundedCache
from costmodel.evaluate.evaluation import Evaluation
from costmodel.evaluate.uncertainty import (
    DEFAULT_DRAWS,
    MAX_DRAWS,
    UncertaintyError,
    UncertaintyRanges,
    UncertaintyResult,
    break_even_sentence,
    monte_carlo,
    tornado_frame,
)
from costmodel.views.charts.uncertainty import cost_range_chart, cost_range_frame, tornado_chart
from costmodel.views.present import md_literal
from costmodel.workload.scenario import Scenario

#: (field, label with unit, step) of the range inputs; bounds come from the pydantic field.
RANGE_INPUTS = (
    ("volume_pct", "Requests per day ± (%)", 5.0),
    ("cache_hit_pp", "Cache-hit share ± (percentage points)", 5.0),
    ("output_pct", "Output tokens ± (%)", 5.0),
    ("overhead_pp", "Overhead ± (percentage points)", 5.0),
    ("rental_fallback_pct", "GPU price ± where the catalogue has one row (%)", 5.0),
)
TOGGLES = (
    ("efficiency_band", "Efficiency across its calibration band (P10–P90)"),
    ("rental_range", "GPU price across the catalogue's rows for the GPU"),
)
KEY = "calc_unc_"
#: Chart views of the Calculator's chart selector drawn here (one chart at a time: each costs a chart build).
VIEWS = {
    "tornado": ":material/align_horizontal_center: Tornado",
    "draws": ":material/casino: Cost over the draws",
}


#: The Monte Carlo results, shared by every session: at most 32 and 64 MB (the chat preset's is about 1 MB; one of
#: 50 self-hosting options about 16 MB, of which 4.4 MB are its costs per draw and the rest its evaluations at the
#: output-length ends: counted in full, though its base evaluation is also in the results cache).
RESULTS: BoundedCache[Hashable, UncertaintyResult] = BoundedCache(
    "uncertainty results", max_entries=32, max_bytes=64 * MB
)


def compute(
    scenario: Scenario,
    _cat: Catalogue,
    _ev: Evaluation,
    uploads: tuple[str, ...],
    ranges: UncertaintyRanges,
    draws: int,
    seed: int,
) -> UncertaintyResult:
    """The tornado and the Monte Carlo, cached like the evaluation (on the scenario and the uploaded models)."""
    return RESULTS.get_or_build(
        (scenario, uploads, ranges, draws, seed),
        lambda: monte_carlo(scenario, _cat, draws=draws, seed=seed, ranges=ranges, evaluation=_ev),
    )


def _kept_number(col: Any, label: str, field: str, step: float, help_text: str) -> None:
    """A number input of the section whose value is kept across runs that do not draw it (:func:`_remember`)."""
    col.number_input(
        label, step=step, key=KEY + field, on_change=_remember, args=(KEY + field,), help=help_text
    )


def _settings() -> tuple[UncertaintyRanges | None, Any, Any, str | None]:
    """The range widgets: ``(ranges, draws, seed, None)`` or ``(None, ..., error line)``."""
    with st.expander(":material/tune: Ranges of the uncertain inputs (editable)"):
        st.caption(
            "Each input moves across its range; the defaults come from the calibration residuals (efficiency), "
            "the catalogue's rental rows (GPU price) and stated assumptions (the ± below). "
            "Distributions: triangular with the mode at your value; efficiency and output length at P10/P50/P90 "
            "weighted 30/40/30 (Swanson). With request classes the inputs move the mix as a whole: requests per "
            "day scale every class (the total), output tokens every class's, and the cache-hit share moves every "
            "class's own cached share by the same points (clipped to 0–1)."
        )
        t1, t2 = st.columns(2)
        for (field, label), col in zip(TOGGLES, (t1, t2), strict=True):
            col.toggle(label, key=KEY + field, on_change=_remember, args=(KEY + field,))
        c1, c2 = st.columns(2)
        for i, (field, label, step) in enumerate(RANGE_INPUTS):
            lo, hi = field_bounds(UncertaintyRanges, field)
            _kept_number(
                c1 if i % 2 == 0 else c2,
                label,
                field,
                step,
                f"From {lo:g} to {hi:g}. " + (UncertaintyRanges.model_fields[field].description or ""),
            )
        d1, d2 = st.columns(2)
        _kept_number(d1, "Draws (count)", "draws", 1000, f"Monte Carlo draws, 1 to {MAX_DRAWS:,}.")
        _kept_number(d2, "Seed", "seed", 1, "Same seed, same draws.")
    ss = st.session_state
    raw = {f: ss[KEY + f] for f, _ in TOGGLES} | {f: ss[KEY + f] for f, _, _ in RANGE_INPUTS}
    labels = {f: lab for f, lab in TOGGLES} | {f: lab for f, lab, _ in RANGE_INPUTS}
    try:
        ranges = UncertaintyRanges.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        name = labels.get(str(err["loc"][0]), str(err["loc"][0])) if err["loc"] else "ranges"
        return None, None, None, f"Uncertainty, {name.split(' (')[0]}: {err['msg']}"
    return ranges, ss[KEY + "draws"], ss[KEY + "seed"], None


#: The section's switch: the Monte Carlo runs on every change only while it is on (off by default: it was a third
#: of a cached-share edit's CPU, and the verdict above does not read it).
ON_KEY = KEY + "on"


#: Where the section's settings are kept between runs that do not draw them (Streamlit drops a widget's value
#: when a run does not draw it: the section switched off, another page opened), and their defaults.
_KEPT = KEY + "kept"


def _defaults() -> dict[str, Any]:
    d = UncertaintyRanges()
    return (
        {ON_KEY: False, KEY + "draws": DEFAULT_DRAWS, KEY + "seed": 0}
        | {KEY + f: getattr(d, f) for f, _ in TOGGLES}
        | {KEY + f: float(getattr(d, f)) for f, _, _ in RANGE_INPUTS}
    )


def _restore() -> None:
    """Before the widgets: each setting at its kept value (its default at first). The kept values change only
    by a person's edit (:func:`_remember`, run before the script), so a run that did not draw a widget loses
    nothing."""
    ss = st.session_state
    kept = ss.setdefault(_KEPT, _defaults())
    for k, v in kept.items():
        ss[k] = v


def _remember(key: str) -> None:
    """A setting was edited: keep its new value."""
    ss = st.session_state
    ss[_KEPT] = {**ss.get(_KEPT, _defaults()), key: ss[key]}


def is_on() -> bool:
    """The analysis is switched on in this session."""
    return bool(st.session_state.get(_KEPT, {}).get(ON_KEY, False))


def show(ev: Evaluation, cat: Catalogue, uploads: tuple[str, ...]) -> UncertaintyResult | None:
    """Draw the section for ``ev``; returns the result (None when it is switched off, the settings are bad or
    there is nothing to compare)."""
    st.subheader(":material/casino: How sure is this?", divider="gray")
    _restore()
    st.toggle(
        "Run the uncertainty analysis",
        key=ON_KEY,
        on_change=_remember,
        args=(ON_KEY,),
        help="10,000 draws over the inputs that are uncertain (efficiency across its calibration band, GPU "
        "prices, volume, cached share, output length, overhead): the odds that the verdict holds, a tornado of "
        "which input decides, and each option's cost range. It reruns on every change while it is on.",
    )
    if not is_on():
        st.caption(
            "Off: the figures above are at your inputs as given. Switch it on for the odds that the verdict "
            "holds, the tornado and the cost ranges (the **Tornado** and **Cost over the draws** charts). The "
            "downloads below carry it at the default ranges while it is off."
        )
        return None
    ranges, draws, seed, error = _settings()
    if error or ranges is None:
        st.error(error or "Uncertainty: bad settings", icon=":material/error:")
        return None
    try:
        res = compute(ev.scenario, cat, ev, uploads, ranges, draws, seed)
    except UncertaintyError as e:
        st.error(f"Uncertainty: {md_literal(e)}", icon=":material/error:")
        return None
    st.markdown(f"**{md_literal(res.sentence())}**")  # the sentences name options (an uploaded model's name)
    labels = dict(zip(ev.table["option"], ev.table["label"], strict=True))
    st.caption(md_literal(break_even_sentence(res, _break_even_at_inputs(ev, res), labels)))
    if res.tornado:
        st.dataframe(
            tornado_people(res),
            hide_index=True,
            key="calc_unc_tornado_table",
            column_config={c: st.column_config.NumberColumn(format="dollar", step=1) for c in _USD_COLUMNS},
        )
        st.caption(
            "Tornado, widest swing first: the verdict (cheapest API − cheapest self-hosting, USD/month; > 0: "
            "self-hosting saves) recomputed with one input at each end of its range, the others at your values. "
            "Drawn as the **Tornado** chart below; the cost of every option over the draws as **Cost over the "
            "draws**."
        )
    for note in res.notes:
        st.caption(f":material/info: {md_literal(note)}")
    return res


def for_files(
    shown: UncertaintyResult | None, on: bool, ev: Evaluation, cat: Catalogue, uploads: tuple[str, ...]
) -> UncertaintyResult | None:
    """The analysis a downloaded file carries: the section's when it is switched ``on`` (None with bad settings:
    the section shows the error, and the file has no uncertainty), else the analysis at the default ranges,
    draws and seed (None when there is nothing to compare). No Streamlit call: a download runs it when clicked."""
    if on:
        return shown
    try:
        return compute(ev.scenario, cat, ev, uploads, UncertaintyRanges(), DEFAULT_DRAWS, 0)
    except UncertaintyError:
        return None


def _break_even_at_inputs(ev: Evaluation, res: UncertaintyResult) -> float | None:
    """The break-even volume of the uncertainty's pair at the user's inputs (requests/day; nan: none), from the
    evaluation the verdict reads (None when the pair is not among its break-even rows)."""
    be = ev.break_even
    if res.pair is None or be.empty:
        return None
    sh, api = res.pair
    row = be[(be["self_host"] == sh) & (be["api"] == api)]
    return float(pd.to_numeric(row["requests_per_day"]).iloc[0]) if len(row) else None


_USD_COLUMNS = ("Verdict at low end (USD/month)", "Verdict at high end (USD/month)", "Swing (USD/month)")


def tornado_people(res: UncertaintyResult) -> pd.DataFrame:
    """The tornado as a table for people (headers with units)."""
    f = tornado_frame(res)
    return pd.DataFrame(
        {
            "Input": f["input"],
            "Low end": f["low"],
            "High end": f["high"],
            _USD_COLUMNS[0]: f["verdict_low_usd_per_month"],
            _USD_COLUMNS[1]: f["verdict_high_usd_per_month"],
            _USD_COLUMNS[2]: f["swing_usd_per_month"],
            "Range from": f["range_source"],
        }
    )


def chart(view: str, res: UncertaintyResult | None, ev: Evaluation) -> Any:
    """Draw the chart of ``view`` (:data:`VIEWS`) and return it (for the PNG/SVG downloads); None: nothing drawn."""
    if res is None:
        st.info(
            "Fix the uncertainty settings above to draw this chart."
            if is_on()
            else "Switch on **Run the uncertainty analysis** above to draw this chart.",
            icon=":material/info:",
        )
        return None
    if view == "tornado":
        if not res.tornado:
            st.info("Every range has zero width: there is no tornado.", icon=":material/info:")
            return None
        c = tornado_chart(res)
        st.altair_chart(c, width="stretch", key="calc_chart_tornado")
        return c
    labels = dict(zip(ev.table["option"], ev.table["label"], strict=True))
    c = cost_range_chart(cost_range_frame(res, labels))
    st.altair_chart(c, width="stretch", key="calc_chart_draws")
    return c
