"""Calculator: a workload from a usage log (upload → costmodel.workload.usage_log → the widgets), and what was imported.

Thin: :func:`costmodel.workload.usage_log.import_log_bytes` reads and summarises the file (DuckDB), ``scenario_from_import``
puts its workload into the current scenario, :func:`app_pages.calc_state.load` fills the widgets, and
``costmodel.views.charts.cost`` draws the imported hourly profile and length distributions above the comparison. The size
limit is the scenario upload's (``common.MAX_UPLOAD_BYTES``); larger logs go through the command line.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages import calc_fields as cf
from app_pages import calc_state as cs
from app_pages import common
from costmodel.catalog.units import parse_token_count
from costmodel.views.charts import traffic as traffic_charts
from costmodel.views.present import md_literal
from costmodel.workload.presets import preset
from costmodel.workload.usage_log import (
    FORMATS,
    LogImport,
    UsageLogError,
    import_log_bytes,
    scenario_from_import,
)

ss = st.session_state
_TYPES = ["csv", "json", "jsonl", "ndjson", "parquet"]


def _key() -> str:
    return f"calc_log_upload_{ss.get('calc_log_gen', 0)}"


def _import() -> None:
    up = ss.get(_key())
    if up is None:
        return
    ss["calc_log_gen"] = ss.get("calc_log_gen", 0) + 1  # empty the uploader (the next file starts afresh)
    data = up.getvalue()
    if len(data) > common.MAX_UPLOAD_BYTES:
        ss["calc_notice"] = (
            f"Usage log {up.name}: {len(data):,} bytes; the limit is {common.MAX_UPLOAD_BYTES:,} bytes. "
            "Import larger logs with `costmodel workload from-log FILE --out scenario.json` and upload the scenario."
        )
        return
    hint_text = str(ss.get("calc_log_prompt", "")).strip()
    try:
        hint = float(parse_token_count(hint_text)) if hint_text else None
    except ValueError as e:
        ss["calc_notice"] = f"Mean prompt length: {e}"
        return
    try:
        log = import_log_bytes(
            data,
            up.name,
            ss.get("calc_log_format", "auto"),
            timezone=str(ss.get(cf.WORKLOAD_KEYS["timezone"], "UTC")),
            prompt_tokens_per_request=hint,
        )
    except UsageLogError as e:
        ss["calc_notice"] = str(e)
        return
    base = ss.get("scenario") or preset("chat", common.today())
    try:
        imported = scenario_from_import(log, base)
    except (
        ValueError
    ) as e:  # UsageLogError (e.g. fewer than 0.001 requests a day) or a value a scenario refuses
        ss["calc_notice"] = f"Usage log {up.name}: {str(e).splitlines()[0]}"
        return
    cs.load(imported)
    ss["calc_log"] = log


def uploader() -> None:
    """The log upload, in an expander of the inputs column."""
    with st.expander(":material/query_stats: Workload from a usage log"):
        st.caption(
            "An export of your API or gateway usage (OpenAI, Anthropic, DeepSeek, LiteLLM, OpenRouter, or the generic "
            "schema: timestamp, input_tokens, cached_input_tokens, output_tokens). It replaces the workload "
            "above: requests a day, mean lengths, cached share and hourly profile, in the time zone chosen above. "
            "Formats: docs/usage-logs.md."
        )
        c1, c2 = st.columns(2)
        c1.selectbox("Log format", FORMATS, key="calc_log_format", help="auto = recognised by its columns")
        c2.text_input(
            "Mean prompt (tokens), Anthropic logs only",
            key="calc_log_prompt",
            help="Anthropic's exports carry no request count: requests = input tokens / this. Leave blank otherwise.",
        )
        st.file_uploader(
            f"Upload a usage log (CSV, JSON/JSONL or Parquet, up to {common.MAX_UPLOAD_MB} MB)",
            type=_TYPES,
            key=_key(),
            on_change=_import,
            max_upload_size=common.MAX_UPLOAD_MB,
        )


def _report(log: LogImport) -> str:
    rejected = md_literal("; ".join(f"{n:,} {reason}" for reason, n in log.rejected))
    share = log.reasoning_share
    return (
        f"**Imported usage log** {md_literal(log.path)} ({log.variant}): {log.rows_read:,} rows read, {log.rows_used:,} used, "
        f"{log.rows_rejected:,} rejected" + (f" ({rejected})" if rejected else "") + ". "
        f"{log.requests:,.0f} requests over {log.days:,} days ({log.first_day} to {log.last_day}): "
        f"{log.requests_per_day:,.1f} a day; mean prompt {log.mean_prompt_tokens:,.0f} tokens "
        f"({log.cache_hit_fraction:.1%} cache reads), mean output {log.mean_output_tokens:,.0f} tokens"
        + (f" ({share:.1%} reasoning)" if share is not None else "")
        + "."
    )


def show() -> None:
    """The imported log's report and charts (profile, lengths), above the comparison; nothing without a log."""
    log: LogImport | None = ss.get("calc_log")
    if log is None:
        return
    with st.container(border=True, key="calc_log_box"):
        st.markdown(_report(log))
        for note in log.notes:
            st.caption(f":material/info: {md_literal(note)}")
        hist = cs.prompt_histogram_kept(cs.parse_counts()[0].get("prompt_tokens"))
        st.caption(
            ":material/bar_chart: API bills use the log-normal prompt lengths chosen under the prompt field, not "
            "the log's."
            if cs.lognormal_on()
            else f":material/bar_chart: API bills apply context tiers to each of the {len(hist)} prompt-length buckets."
            if hist
            else ":material/bar_chart: API bills use the mean prompt (one bucket, or the prompt field was edited)."
        )
        st.altair_chart(
            traffic_charts.log_hour_chart(
                traffic_charts.log_hour_frame(log.weekday_hour_requests), log.timezone
            ),
            width="stretch",
            key="calc_log_hours",
        )
        c1, c2 = st.columns(2)
        with c1:
            st.altair_chart(
                traffic_charts.log_length_chart(
                    traffic_charts.log_length_frame(log.prompt_histogram, "prompt")
                ),
                width="stretch",
                key="calc_log_prompt_hist",
            )
        with c2:
            st.altair_chart(
                traffic_charts.log_length_chart(
                    traffic_charts.log_length_frame(log.output_histogram, "output")
                ),
                width="stretch",
                key="calc_log_output_hist",
            )
        st.button("Hide the imported log", key="calc_log_hide", on_click=_hide)


def _hide(*_: Any) -> None:
    ss.pop("calc_log", None)
