"""The Calculator's results: headline metrics, the cost table, charts, exports and the shareable URL.

Everything shown is computed by ``costmodel`` (compare, serving, charts, export); results are cached per
scenario. A scenario that cannot be priced shows one st.error and the last good results stay.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from app_pages import common
from costmodel import charts, export, tables
from costmodel.catalog import Catalogue
from costmodel.compare import STALE_AFTER_DAYS, Evaluation, evaluate
from costmodel.scenario import Scenario, scenario_to_json, scenario_to_query

#: Table columns shown, with their on-screen names (units in every header).
TABLE_COLUMNS: dict[str, Any] = {
    "cheapest": st.column_config.TextColumn(" ", width="small", help="The cheapest option is marked."),
    "option": st.column_config.TextColumn("option", width="large"),
    "kind": st.column_config.TextColumn("kind"),
    "monthly_cost_usd": st.column_config.NumberColumn("monthly cost (USD/month)", format="dollar"),
    "usd_per_mtok_input": st.column_config.NumberColumn("input (USD/M tok)", format="$%.4f"),
    "usd_per_mtok_output": st.column_config.NumberColumn("output (USD/M tok)", format="$%.4f"),
    "usd_per_mtok_blended": st.column_config.NumberColumn("blended (USD/M tok)", format="$%.4f"),
    "gpus": st.column_config.NumberColumn("GPUs at peak (count)", format="%d"),
    "utilization": st.column_config.NumberColumn("GPU utilization (%)", format="percent"),
    "price_basis_used": st.column_config.TextColumn("price basis used"),
    "usd_per_gpu_hour": st.column_config.NumberColumn("GPU price (USD/GPU-h)", format="$%.2f"),
    "price_as_of": st.column_config.TextColumn("price as of (date)"),
    "price_ids": st.column_config.TextColumn("price rows"),
    "price_sources": st.column_config.TextColumn("price source", width="medium"),
    "price_confidence": st.column_config.TextColumn("confidence"),
    "stale_rows": st.column_config.TextColumn(
        "stale price rows",
        help=f"Catalogue rows this option uses that were checked more than {STALE_AFTER_DAYS} days before "
        "the priced date.",
    ),
    "unconfirmed_fields": st.column_config.TextColumn(
        "unconfirmed values",
        help="Values of the rows used that no source confirms (catalogue unconfirmed_fields).",
    ),
    "reason": st.column_config.TextColumn("why no cost"),
    "band_reason": st.column_config.TextColumn(
        "efficiency band",
        help="Why a low/high efficiency cost is missing (e.g. the TPOT target cannot be met).",
    ),
    "notes": st.column_config.TextColumn("notes", width="medium"),
}
CHEAPEST_MARK = "★ cheapest"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_resource(max_entries=64, show_spinner=False, hash_funcs={Scenario: hash})
def compute(scenario: Scenario, _cat: Catalogue, uploads: tuple[str, ...]) -> Evaluation:
    """The scenario evaluated once, cached on the hash of the frozen scenario and on the user's uploaded models
    (``uploads``: their JSON; the repository catalogue is the same for the whole process). The evaluation is only
    read, so it is shared, not copied."""
    return evaluate(scenario, _cat)


def display_table(table: pd.DataFrame) -> pd.DataFrame:
    """The comparison table as shown: cheapest first and marked, the listed columns only."""
    shown = table.copy()
    best = tables.cheapest_row(table)
    shown.insert(0, "cheapest", "")
    if best is not None:
        shown.loc[best.name, "cheapest"] = CHEAPEST_MARK
    shown = shown.sort_values("monthly_cost_usd", na_position="last", kind="stable")
    return shown[[c for c in TABLE_COLUMNS if c in shown.columns]].reset_index(drop=True)


def _xlsx(s: Scenario, table: pd.DataFrame, cat: Catalogue) -> bytes:
    buf = io.BytesIO()
    export.write_xlsx(buf, s, table, cat)  # type: ignore[arg-type]  # ExcelWriter takes a buffer too
    return buf.getvalue()


def _slug(s: Scenario) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in (s.name or "scenario"))[:60]


def show(scenario: Scenario | None, cat: Catalogue) -> None:
    """Results of ``scenario``; with None (bad inputs) or a pricing error, the last good results."""
    ss = st.session_state
    if scenario is not None:
        try:
            with st.spinner("Pricing every option…"):
                ev = compute(scenario, cat, tuple(m.model_dump_json() for m in common.custom_models()))
        except (ValueError, KeyError) as e:  # PricingError, ScenarioError and unknown ids are ValueErrors
            st.error(f"Options to compare: {str(e).splitlines()[0]}", icon=":material/error:")
        else:
            ss["calc_last"] = ev
            ss["scenario"] = scenario
            q = scenario_to_query(scenario)
            if st.query_params.to_dict() != q:
                st.query_params.from_dict(q)
    last = ss.get("calc_last")
    if last is None:
        st.info("Results appear here once the inputs are valid.", icon=":material/info:")
        return
    ev = last
    s, table, curves, be = ev.scenario, ev.table, ev.curves, ev.break_even
    if scenario is None or s != scenario:
        st.caption(":material/history: Showing the results of the last valid inputs.")

    # ---- headline -----------------------------------------------------------------------------------------
    best = tables.cheapest_row(table)
    m1, m2, m3 = st.columns([1.6, 1, 1.2])
    if best is not None:
        short = f"{best['model']} @ {best['gpu']}" if best["kind"] == "self_host" else str(best["model"])
        m1.metric(
            "Cheapest option",
            short,
            help=f"{best['option']}; prices as of {s.as_of:%Y-%m-%d}.",
        )
        m2.metric(
            "Its monthly cost (USD/month)",
            f"${float(best['monthly_cost_usd']):,.0f}",
            help=f"For {s.workload.requests_per_day:,.0f} requests/day over {s.workload.days_per_month:g} days.",
        )
    else:
        m1.metric("Cheapest option", "none priced")
    first = tables.headline_break_even(table, be)
    if first is not None and pd.notna(first["requests_per_day"]):
        m3.metric(
            "Break-even volume (requests/month)",
            f"{float(first['requests_per_month']):,.0f}",
            help=f"From this volume {first['self_host']} costs no more than {first['api']} "
            f"({float(first['requests_per_day']):,.0f} requests/day, "
            f"${float(first['monthly_cost_usd']):,.0f}/month); hourly shape and token mix held fixed. "
            "Every pair is listed under the cost-vs-volume chart.",
        )
    else:
        m3.metric(
            "Break-even volume (requests/month)",
            "none",
            help=(
                f"{first['self_host']} against {first['api']}: {first['volume_note']}."
                if first is not None
                else "There is no priced option of one kind (API or self-hosting) to compare."
            ),
        )

    # ---- table --------------------------------------------------------------------------------------------
    with st.container(key="calc_table_box"):
        st.dataframe(display_table(table), hide_index=True, column_config=TABLE_COLUMNS, key="calc_table")
    dates = sorted({str(d) for d in table["price_as_of"] if str(d) not in ("", "nan", "<NA>", "None")})
    st.caption(
        f"Prices in effect on {s.as_of:%Y-%m-%d}; the price rows used were read on "
        f"{', '.join(dates) if dates else 'n/a'} (sources in the table and on the Catalogue page). "
        "USD/M tok = US dollars per million tokens."
    )

    # ---- charts (one drawn at a time: the others cost nothing) --------------------------------------------
    view = st.segmented_control(
        "Chart",
        ["volume", "breakdown", "band"],
        format_func={
            "volume": ":material/show_chart: Cost vs volume",
            "breakdown": ":material/stacked_bar_chart: Cost breakdown",
            "band": ":material/straighten: Efficiency band",
        }.__getitem__,
        default="volume",
        required=True,
        key="calc_chart",
    )
    if view == "volume":
        chart: Any = charts.cost_volume_chart(curves, be)
        st.altair_chart(chart, width="stretch", height=660, key="calc_chart_volume")
        if not be.empty:
            with st.expander("Break-even points"):
                st.dataframe(
                    be,
                    hide_index=True,
                    key="calc_be_table",
                    column_config={
                        "self_host": "self-hosting option",
                        "api": "is cheaper than API",
                        "requests_per_day": st.column_config.NumberColumn(
                            "from (requests/day)", format="localized"
                        ),
                        "requests_per_month": st.column_config.NumberColumn(
                            "from (requests/month)", format="localized"
                        ),
                        "monthly_cost_usd": st.column_config.NumberColumn("at (USD/month)", format="dollar"),
                        "volume_note": st.column_config.TextColumn("why none (volume)"),
                        "cache_hit_fraction": st.column_config.NumberColumn(
                            "bills cross at cache-hit share (fraction 0-1)", format="%.3f"
                        ),
                        "cache_hit_note": st.column_config.TextColumn("cache-hit note"),
                    },
                )
    elif view == "breakdown":
        chart = charts.breakdown_chart(charts.breakdown_frame(table, curves))
        st.altair_chart(chart, width="stretch", key="calc_chart_breakdown")
    else:
        chart = charts.band_chart(charts.band_frame(table))
        st.altair_chart(chart, width="stretch", key="calc_chart_band")

    # ---- export and share ---------------------------------------------------------------------------------
    st.subheader(":material/ios_share: Take it away", divider="gray")
    slug = _slug(s)
    # (label, file contents when clicked, file suffix, MIME type, icon, key, help)
    downloads: list[tuple[str, Callable[[], str | bytes], str, str, str, str, str | None]] = [
        ("CSV", lambda: export.to_csv(table), "csv", "text/csv", "download", "csv", None),
        ("XLSX", lambda: _xlsx(s, table, cat), "xlsx", XLSX_MIME, "download", "xlsx", None),
        (
            "Markdown",
            lambda: export.to_markdown(s, table, cat),
            "md",
            "text/markdown",
            "download",
            "md",
            None,
        ),
        (
            "Scenario JSON",
            lambda: scenario_to_json(s),
            "scenario.json",
            "application/json",
            "download",
            "json",
            "Upload it again (Scenario name and JSON upload) or run `costmodel compare` on it.",
        ),
        (
            "Chart PNG",
            lambda: charts.chart_png(chart),
            f"{view}.png",
            "image/png",
            "image",
            "png",
            "The chart shown above, as an image (drawn when you click).",
        ),
        (
            "Chart SVG",
            lambda: charts.chart_svg(chart),
            f"{view}.svg",
            "image/svg+xml",
            "image",
            "svg",
            "The chart shown above, as a vector drawing.",
        ),
    ]
    columns = st.columns([1, 1, 1.2, 1.4, 1.3, 1.3])
    for col, (label, data, suffix, mime, icon, key, help_text) in zip(columns, downloads, strict=True):
        col.download_button(
            label,
            data=data,
            file_name=f"{slug}.{suffix}",
            mime=mime,
            icon=f":material/{icon}:",
            on_click="ignore",
            key=f"calc_dl_{key}",
            help=help_text,
        )
    st.caption(
        ":material/link: The page's address restores this whole scenario: copy it from the address bar to share. "
        "The query part:"
    )
    # Inline code, not st.code: st.code's highlighter is a separate script the browser would fetch and parse
    # before it shows the page (~0.4 s of a cold start).
    with st.container(key="calc_share_query"):
        st.markdown(f"`?{urlencode(scenario_to_query(s))}`")
