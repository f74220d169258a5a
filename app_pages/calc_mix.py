"""The Calculator's request classes: a table of classes (name, share, prompt and output tokens, cached share,
hourly profile, time zone) that make the traffic a mix, and the per-class breakdown under the comparison.

Thin: :func:`costmodel.workload.mix.classes_from_rows` reads and checks the rows (one line naming the row and the field),
:func:`costmodel.workload.mix.with_classes` puts them into the scenario, :attr:`costmodel.evaluate.evaluation.Evaluation.by_class` is
the breakdown. An empty table = no classes: the workload fields are the traffic. State in ``calc_state``.
"""

from __future__ import annotations

from typing import Any, cast

import pandas as pd
import streamlit as st

from app_pages import calc_state as cs
from app_pages import common
from costmodel.evaluate.evaluation import Evaluation
from costmodel.views import present
from costmodel.views.export import comparison as export
from costmodel.views.present import md_literal
from costmodel.workload.mix import AS_LOADED, classes_from_rows, with_classes
from costmodel.workload.profiles import NAMED_PROFILES
from costmodel.workload.scenario import MAX_TOKENS_PER_REQUEST, Scenario, ScenarioError


def editor(on_change: Any) -> pd.DataFrame:
    """Draw the class table (in an expander) and return its rows as edited."""
    ss = st.session_state
    n = len(ss.get("calc_mix_base", ()))
    with st.expander(
        ":material/category: Request classes (a mix)" + (f": {n} classes" if n else ""), expanded=bool(n)
    ):
        st.caption(
            "Optional. One row per kind of request (chat, RAG, nightly batch, ...): its share of the requests per "
            "day above, its lengths, cached share and when it comes. With classes, each is billed on its own and "
            "self-hosting serves them all on one fleet; the prompt, output and cached-share fields above are then "
            "the classes' mean, and the traffic-by-hour table and time zone above are not used (each class has "
            "its own). Delete every row to go back to one workload."
        )
        rows = st.data_editor(
            ss["calc_mix_base"],
            key=cs.mix_key(),
            num_rows="dynamic",
            hide_index=True,
            on_change=on_change,
            width="stretch",
            column_config={
                "name": st.column_config.TextColumn("class", max_chars=60, required=True),
                "share_pct": st.column_config.NumberColumn(
                    "share (%)",
                    help="Share of the requests per day; the classes' shares sum to 100%.",
                    format="%.4g",
                ),
                "prompt_tokens": st.column_config.NumberColumn(
                    "prompt tokens",
                    step=1,
                    help=f"Mean prompt tokens per request, cached prefix included "
                    f"(1 to {MAX_TOKENS_PER_REQUEST:,}).",
                ),
                "output_tokens": st.column_config.NumberColumn(
                    "output tokens", step=1, help="Mean output tokens."
                ),
                "cache_hit_fraction": st.column_config.NumberColumn(
                    "cached share (0-1)", help="Fraction of the prompt served from a cached prefix."
                ),
                "profile": st.column_config.SelectboxColumn(
                    "hourly profile",
                    options=[*NAMED_PROFILES, AS_LOADED],
                    default="flat",
                    help="flat = every hour alike; business hours = 09-17 local, weekend days at 0.2×; evening = "
                    "peak 19-21; nightly batch = 22-06 local. 'as loaded' keeps a loaded class's own profile.",
                ),
                "timezone": st.column_config.SelectboxColumn(
                    "time zone", options=common.timezones(), help="Local time of the profile's hours."
                ),
            },
        )
    return cast(pd.DataFrame, rows)


#: The log-normal prompt shape is the single workload's; a mix's prompt lengths are its classes'.
LOGNORMAL_WITH_CLASSES = (
    "Prompt lengths: a log-normal applies to one workload; with request classes each class has its own prompt "
    "length (the class table). Choose 'one length', or delete the class rows."
)

#: The reasoning multiplier is the single workload's; a class's answers are its row's output tokens.
REASONING_WITH_CLASSES = (
    "Reasoning multiplier: {:g}× applies to one workload; with request classes each class's output tokens are "
    "its answers as billed (the class table). Set it to 1, or delete the class rows."
)


def apply(
    scenario: Scenario | None, error: str | None, rows: pd.DataFrame
) -> tuple[Scenario | None, str | None]:
    """The scenario with the table's classes: ``(scenario, None)`` or ``(None, one line naming row and field)``."""
    if scenario is None or error:
        return scenario, error
    records = [{str(k): _plain(v) for k, v in r.items()} for r in rows.to_dict("records")]
    try:
        classes = classes_from_rows(records, scenario.workload, st.session_state.get("calc_mix_loaded") or {})
        if classes and cs.lognormal_on():  # with_classes would replace the log-normal by the classes' mean
            return None, LOGNORMAL_WITH_CLASSES
        if (
            classes and scenario.workload.reasoning_multiplier != 1
        ):  # likewise the multiplier (the mean's is 1)
            return None, REASONING_WITH_CLASSES.format(scenario.workload.reasoning_multiplier)
        return (with_classes(scenario, classes) if classes else scenario), None
    except ScenarioError as e:
        return None, str(e)


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    return v.item() if hasattr(v, "item") else v


def _table(ev: Evaluation) -> pd.DataFrame:
    """The breakdown for people: options by their labels (as in the comparison table), counts and USD as text."""
    out = export.by_class_people(ev.by_class)
    out["Option"] = (
        out["Option"].map(dict(zip(ev.table["option"], ev.table["label"], strict=True))).fillna(out["Option"])
    )
    out["Requests per day"] = out["Requests per day"].map(present.count)
    out["Monthly cost (USD/month)"] = out["Monthly cost (USD/month)"].map(present.usd)
    return out


def breakdown(shown: Any) -> None:
    """The per-class breakdown of a mix (nothing without classes): option × class × monthly USD. ``shown``: the
    Calculator's :class:`~app_pages.calc_compute.Shown` (chart spec and table built once per evaluation)."""
    ev: Evaluation = shown.ev
    if ev.by_class.empty:
        return
    st.markdown("**Per request class** (USD per month; drawn as the *By request class* chart below)")
    table = shown.part("by_class_table", lambda: _table(ev))
    st.dataframe(table, hide_index=True, key="calc_by_class", placeholder="—")
    st.caption(
        "APIs: each class's own bill (its context tier and peak-hour share). Self-hosting: the classes share one "
        "fleet sized for their combined hourly load and the longest class's requests; its cost is split by each "
        "class's share of the GPU-seconds of work."
        + (
            f" Classes: {md_literal(', '.join(c.name for c in ev.scenario.classes))}."
            if ev.scenario.classes
            else ""
        )
    )
