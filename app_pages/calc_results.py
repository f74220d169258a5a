"""The Calculator's results: the verdict, the warnings, the ranked table, charts, exports and the share link.

Everything shown is computed by ``costmodel`` (compare, verdict, present, charts, export); results are cached per
scenario, and so is what the page draws from them (:class:`Shown`: the verdict, the warnings, the tables and the
charts' Vega-Lite specs), so that a rerun of an unchanged scenario, by this session or any other, builds nothing.
A scenario that cannot be priced shows one st.error and the last good results stay.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from app_pages import calc_mix, calc_state, calc_uncertainty, common
from app_pages.calc_compute import Last, Shown, compute, last_shown
from costmodel.catalog import Catalogue
from costmodel.evaluate.evaluation import STALE_AFTER_DAYS
from costmodel.evaluate.uncertainty import UncertaintyResult, with_uncertainty
from costmodel.views import present
from costmodel.views.charts import cost as charts
from costmodel.views.explain import explain_option
from costmodel.views.export import comparison as export
from costmodel.views.export.growth import (
    GrowthProblem,
    GrowthReport,
    growth_report,
    growth_section,
)
from costmodel.views.export.plans import plan_sections
from costmodel.views.export.report import Report, render, sections_of, uncertainty_section
from costmodel.views.links.classes import classes_link_problem
from costmodel.views.links.query import scenario_to_query
from costmodel.views.price_rows import peak_rule_note, price_rows_frame
from costmodel.views.verdict import warnings
from costmodel.workload.scenario import Scenario, scenario_to_json

#: The compact table's columns on screen: width (px) and help (headers come from costmodel.views.present).
_COMPACT_CONFIG: dict[str, tuple[int | Literal["small", "medium", "large"], str]] = {
    "label": (185, "The option: an API (provider's price) or a self-hosted deployment (GPU type and count)."),
    "type": (72, "API = pay per token; Self-host = rent GPUs and serve the open weights."),
    "monthly_cost_usd": (
        88,
        "What the workload costs per month (USD). Self-hosting at the efficiency level set.",
    ),
    "vs_cheapest": (82, "How much dearer than the cheapest option that can serve the workload."),
    "usd_per_request": (80, "Monthly cost divided by the requests of the month (USD)."),
    "usd_per_mtok_input": (
        78,
        "USD per million prompt tokens (self-hosting: the prefill share of the bill).",
    ),
    "usd_per_mtok_output": (
        82,
        "USD per million output tokens (self-hosting: the decode share of the bill).",
    ),
    "gpus": (50, "GPUs rented at the busiest hour (self-hosting)."),
    "utilization": (78, "Share of the rented GPU-hours spent serving requests."),
    "flags": (
        150,
        f"Not ranked (and why), stale price data (checked more than {STALE_AFTER_DAYS} days before the priced "
        "date), unconfirmed values, promotional or your own prices.",
    ),
}
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def compact_table(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The default table (ranked, formatted text) and its column configuration."""
    frame = present.display_frame(table, present.COMPACT)
    config: dict[str, Any] = {}
    for col in present.COMPACT:
        spec = present.COLUMN_SPECS[col]
        width, help_text = _COMPACT_CONFIG[col]
        config[spec.short or spec.header] = st.column_config.TextColumn(
            spec.short or spec.header,
            width=width,
            help=help_text,
            pinned=col == "label",
        )
    return frame, config


def details_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every column people may want (ranked, formatted text, long headers with units)."""
    return present.display_frame(table, present.DETAILS, short=False)


def growth(shown: Shown, cat: Catalogue) -> GrowthReport | str | None:
    """The 12-month projection of the shown scenario at its monthly growth, built on first use and kept with the
    evaluation (shared by every session on the scenario); None without growth (nothing computed); the error line
    when the traffic leaves the scenario's range within the months."""
    s = shown.ev.scenario
    if s.monthly_growth_fraction == 0:
        return None

    def build() -> GrowthReport | str:
        try:
            report = growth_report(s, cat)
        except (ValueError, KeyError) as e:  # GrowthError
            return str(e).splitlines()[0]
        return report if report is not None else "no monthly growth"  # not reached: the rate is not 0

    out: GrowthReport | str = shown.part("growth", build)
    return out


def _growth_for_export(shown: Shown, cat: Catalogue) -> GrowthReport | GrowthProblem | None:
    report = growth(shown, cat)
    if isinstance(report, str):  # the exports carry the line where the projection would be
        return GrowthProblem(shown.ev.scenario.monthly_growth_fraction, report.rstrip("."))
    return report


def _slug(s: Scenario) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in (s.name or "scenario"))[:60].strip("-")


def _verdict(shown: Shown, box: Any, stale_inputs: bool) -> None:
    s = shown.ev.scenario
    v = shown.verdict()
    with box, st.container(border=True, key="calc_verdict"):
        st.markdown(f"#### {present.md_literal(v.text)}")
        if v.option:
            m1, m2, m3, m4 = st.columns(4)
            option = present.md_literal(v.option)  # a label may come from an uploaded model's name
            m1.metric("Per month (USD)", present.usd(v.monthly_cost_usd), help=f"{option}, per month.")
            m2.metric("Per request (USD)", present.usd(v.usd_per_request), help=f"{option}, per request.")
            m3.metric("Per year (USD)", present.usd(v.yearly_cost_usd), help=f"{option}, 12 months.")
            be = v.break_even_requests_per_day
            m4.metric(
                "Break-even (requests/day)",
                present.count_short(be) if pd.notna(be) else "none",
                help=(
                    f"{present.md_literal(v.break_even_pair[0])} against {present.md_literal(v.break_even_pair[1])}; "
                    f"you are at "
                    f"{present.count(s.workload.requests_per_day)} requests/day. Circled and labelled on the "
                    "cost-vs-volume chart; every pair is listed under it."
                    if v.break_even_pair
                    else "Needs a ranked API and a ranked self-hosting option."
                ),
            )
        if stale_inputs:
            st.caption(":material/history: These are the results of the last valid inputs.")


def _price_rows(shown: Shown, cat: Catalogue) -> None:
    """When the price rows used were last verified (stale ones flagged), their peak hours and the weekday rule."""
    ev = shown.ev
    rows = shown.part("price_rows", lambda: price_rows_frame(ev.table, cat, ev.scenario.as_of))
    if rows.empty:
        return
    n_stale = int(rows["stale"].sum())
    oldest = rows["last_verified"].min()
    title = f"Prices: last verified {oldest} at the oldest" + (
        f", {n_stale} row{'s' if n_stale > 1 else ''} stale (over {STALE_AFTER_DAYS} days)" if n_stale else ""
    )
    with st.expander(title, icon=":material/warning:" if n_stale else ":material/verified:"):
        frame = rows.assign(stale=rows["stale"].map({True: "STALE", False: ""}))
        frame.columns = ["Option", "Price row", "Provider", "Confidence", "Last verified (date)",
                         "Age at the priced date (days)", "Stale", "Peak hours (UTC)", "Source"]  # fmt: skip
        st.dataframe(frame, hide_index=True, key="calc_price_rows", placeholder="—")
        note = peak_rule_note(rows)
        if note:
            st.caption(note)


def _explained(shown: Shown) -> None:
    """One option explained: pick an option of the table, read its derivation (views.explain)."""
    ev = shown.ev
    table = ev.table
    with st.expander(":material/manage_search: One option explained: how its cost follows"):
        labels = dict(zip(table["option"], table["label"], strict=True))
        picked = st.selectbox(
            "Option", list(labels), format_func=labels.__getitem__, key="calc_explain", index=0
        )
        if picked not in labels:
            return
        row = table[table["option"] == picked].iloc[0]
        for title, items in explain_option(row, ev.scenario, ev.break_even):
            st.markdown(f"**{title}**")
            st.table(pd.DataFrame(items, columns=["", "value"]).set_index(""))


def show(scenario: Scenario | None, cat: Catalogue, top: Any) -> None:
    """Results of ``scenario``; with None (bad inputs) or a pricing error, the last good results.

    The verdict, the warnings and the table go in ``top`` (a full-width container above the inputs); the charts,
    the exports and the share link where this is called (the column beside the inputs)."""
    ss = st.session_state
    uploads = tuple(m.model_dump_json() for m in common.custom_models())
    fresh: Shown | None = None
    if scenario is not None:
        try:
            with st.spinner("Pricing every option…"):
                fresh = compute(scenario, cat, uploads)
        except (ValueError, KeyError) as e:  # PricingError, ScenarioError and unknown ids are ValueErrors
            st.error(
                f"Options to compare: {present.md_literal(str(e).splitlines()[0])}", icon=":material/error:"
            )
        else:
            ss["calc_last"] = Last(scenario, cat, uploads)
            ss["scenario"] = scenario
            q = scenario_to_query(scenario, calc_state.lognormal_hint())
            if st.query_params.to_dict() != q:
                st.query_params.from_dict(q)
    last = fresh or last_shown()
    if last is None:
        st.info("Results appear here once the inputs are valid.", icon=":material/info:")
        return
    shown: Shown = last
    ev = shown.ev
    s, table, be = ev.scenario, ev.table, ev.break_even
    _verdict(shown, top, scenario is None or s != scenario)

    # ---- warnings, then the table (full width, under the verdict) ---------------------------------------
    with top:
        with st.container(key="calc_warnings"):
            for text in shown.part("warnings", lambda: warnings(s, table)):
                st.warning(text, icon=":material/warning:")
            for line in ev.left_out:  # dated before the option's first price: out of the table, said here
                st.info(f"Left out: {present.md_literal(line)}.", icon=":material/event_busy:")
        details = st.toggle(
            "Show every column",
            key="calc_details",
            help="Efficiency band, GPU plan, bill items, sources and dates of every row.",
        )
        with st.container(key="calc_table_box"):
            if details:
                frame = shown.part("details", lambda: details_table(table))
                st.dataframe(frame, hide_index=True, key="calc_table_details", placeholder="—")
            else:
                frame, config = shown.part("compact", lambda: compact_table(table))
                st.dataframe(frame, hide_index=True, column_config=config, key="calc_table", placeholder="—")
        a = s.assumptions
        st.caption(
            f"Cheapest first; options that cannot serve the workload are last and not ranked. Self-hosting at "
            f"**{a.efficiency}** efficiency, GPU rental plus **{a.overhead_pct:g}% overhead**"
            f"{' (the default: set it under Serving assumptions)' if a.overhead_pct == 0 else ''}, fleet sized "
            f"for **{a.target_utilization:.0%}** peak utilisation, people and operations "
            f"**${a.ops_usd_per_month:,.0f}/month**{' (not counted: set it under Cost of ownership)' if not a.ops_usd_per_month else ''}. "
            f"Prices in effect on {s.as_of:%Y-%m-%d}. $/M = US dollars per million tokens."
        )

        _explained(shown)
        calc_mix.breakdown(shown)  # a mix: option × class
        _price_rows(shown, cat)

    # ---- how sure is this (the sentence and the tornado's figures; its charts are views below) ---------------
    unc = calc_uncertainty.show(ev, cat, uploads)

    # ---- charts (one drawn at a time: the others cost nothing) --------------------------------------------
    drawn_here = ["volume", "breakdown", "band", *(["classes"] if not ev.by_class.empty else [])]
    if "calc_chart" in ss and ss["calc_chart"] not in (*drawn_here, *calc_uncertainty.VIEWS):
        del ss["calc_chart"]  # "By request class" of a mix no longer loaded: back to the default view
    view = st.segmented_control(
        "Chart",
        [*drawn_here, *calc_uncertainty.VIEWS],
        format_func={
            "volume": ":material/show_chart: Cost vs volume",
            "breakdown": ":material/stacked_bar_chart: Cost breakdown",
            "band": ":material/straighten: Efficiency band",
            "classes": ":material/category: By request class",
            **calc_uncertainty.VIEWS,
        }.__getitem__,
        default="volume",
        required=True,
        key="calc_chart",
    )
    chart: Callable[[], Any] | None
    if view in drawn_here:
        st.vega_lite_chart(
            shown.spec(view),
            width="stretch",
            height=560 if view == "volume" else "content",
            key=f"calc_chart_{view}",
        )
        chart = functools.partial(shown.chart, view)
    else:
        drawn = calc_uncertainty.chart(view, unc, ev)
        chart = None if drawn is None else (lambda: drawn)
    if view == "volume" and not be.empty:
        with st.expander("Break-even points: every self-hosting option against every API"):
            st.dataframe(
                shown.part("break_even", lambda: _break_even_table(s, be)),
                hide_index=True,
                key="calc_be_table",
                placeholder="—",
            )

    # ---- export and share ---------------------------------------------------------------------------------
    # the analysis a file carries: the section's, or, while it is switched off, the defaults' (run when clicked)
    analysis_on = calc_uncertainty.is_on()

    def table_x(u: UncertaintyResult | None) -> pd.DataFrame:  # the table with the uncertainty columns
        return with_uncertainty(table, u) if u is not None else table

    def file(fmt: str, tab: Callable[[UncertaintyResult | None], pd.DataFrame]) -> Callable[[], str | bytes]:
        """The export in ``fmt``, written when its button is clicked (the growth built then if not already)."""

        def make() -> str | bytes:
            g = _growth_for_export(shown, cat)
            u = calc_uncertainty.for_files(unc, analysis_on, ev, cat, uploads)
            parts = [
                uncertainty_section(u) if u is not None else None,
                growth_section(g) if g is not None else None,
                plan_sections(table, ev.plan_hours()),
            ]
            return render(fmt, Report(s, tab(u), cat, be, ev.by_class, sections_of(parts)))

        return make

    st.subheader(":material/ios_share: Take it away", divider="gray")
    slug = _slug(s)
    # (label, file contents when clicked, file suffix, MIME type, icon, key, help)
    downloads: list[tuple[str, Callable[[], str | bytes], str, str, str, str, str | None]] = [
        ("XLSX", file("xlsx", table_x), "xlsx", XLSX_MIME,
         "table_view", "xlsx", "For people: ranked, formatted, with the workload, the verdict and the assumptions."),
        ("CSV", file("csv-readable", table_x), "csv", "text/csv", "csv", "csv",
         "For people: ranked, readable headers with units."),
        ("Markdown", file("md", lambda u: table), "md", "text/markdown", "description", "md",
         "A report formatted as this page."),
        ("JSON (all columns)", file("json", table_x), "json", "application/json", "data_object",
         "json_table", "For machines: every column at full precision, with the scenario and the rows used."),
        ("Scenario JSON", lambda: scenario_to_json(s), "scenario.json", "application/json", "upload_file", "json",
         "Upload it again (Scenario name and JSON upload) or run `costmodel compare` on it."),
        ("Chart PNG", lambda: charts.chart_png(_chart_to_download(chart)), f"{view}.png", "image/png", "image", "png",
         "The chart shown above, as an image (drawn when you click)."),
        ("Chart SVG", lambda: charts.chart_svg(_chart_to_download(chart)), f"{view}.svg", "image/svg+xml", "image", "svg",
         "The chart shown above, as a vector drawing."),
    ]  # fmt: skip
    if chart is None:  # a chart view that could not be drawn: no chart to download
        downloads = downloads[:5]
    for start in (0, 4):
        columns = st.columns(4)
        for col, (label, data, suffix, mime, icon, key, help_text) in zip(
            columns, downloads[start:], strict=False
        ):
            col.download_button(
                label,
                data=data,
                file_name=f"{slug}.{suffix}",
                mime=mime,
                icon=f":material/{icon}:",
                on_click="ignore",
                key=f"calc_dl_{key}",
                help=help_text,
                width="stretch",
            )
    base = (st.context.url or "").split("?")[0]
    link = f"{base}?{urlencode(scenario_to_query(s, calc_state.lognormal_hint()))}"
    with st.popover("Copy a link to this scenario", icon=":material/link:", key="calc_share"):
        too_long = classes_link_problem(s) if s.classes else ""
        st.caption(
            "The link restores every input, the prompt-length distribution"
            + (" and the request classes" if s.classes and not too_long else "")
            + " included"
            + (
                f", but not the request classes: {too_long}, so it carries their mean workload (the Scenario "
                "JSON download keeps the classes)"
                if too_long
                else ""
            )
            + ". Copy it with the button at the right of the box."
        )
        st.code(link, language=None, wrap_lines=True)


def _chart_to_download(chart: Callable[[], Any] | None) -> Any:
    """The chart to download: the chart downloads are offered only when a chart was drawn."""
    if chart is None:
        raise ValueError("no chart was drawn")
    return chart()


def _break_even_table(s: Scenario, be: pd.DataFrame) -> pd.DataFrame:
    """Every break-even pair, formatted for people."""
    out = export.break_even_people(s, be)
    for col in ("Break-even (requests/day)", "Your volume (requests/day)"):
        out[col] = out[col].map(present.count)
    out["Monthly cost there (USD/month)"] = out["Monthly cost there (USD/month)"].map(present.usd)
    return out
