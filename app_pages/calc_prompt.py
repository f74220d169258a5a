"""Calculator: how long the prompts are: one length (the prompt field), or a log-normal given by its median and
95th percentile (costmodel.workload.distributions), or the histogram of an imported log or file; with a small chart of the
histogram and the mean it implies.

Thin: the state is in :mod:`app_pages.calc_state` (the choice, the two fields, the histogram kept from a log), the
histogram comes from :mod:`costmodel.workload.distributions`, its frame from :mod:`costmodel.workload.prompt_shape` and the chart
from :mod:`costmodel.views.charts.traffic`. Bad values are refused by :func:`app_pages.calc_state.with_prompt_shape` (one
line naming the field, the last results kept); the chart's spec is built once per histogram.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from app_pages import calc_state as cs
from costmodel.catalog.budget import MB, bounded
from costmodel.views.charts import traffic as traffic_charts
from costmodel.workload.distributions import lognormal_prompt_histogram
from costmodel.workload.prompt_shape import histogram_frame
from costmodel.workload.scenario import PromptBucket

SHAPED_HELP = (
    "Set by the log-normal below: the mean prompt of its histogram, which the per-token figures use "
    "(the API bills apply context tiers to each bucket)."
)
ss = st.session_state


@bounded("prompt-histogram chart specs", max_entries=256, max_bytes=16 * MB)  # shared: only read
def _spec(buckets: tuple[tuple[float, float], ...], requests_per_day: float) -> dict[str, Any]:
    """The histogram chart's Vega-Lite spec, built once per histogram and volume (every session shares it)."""
    hist = tuple(PromptBucket(share=s, prompt_tokens=t) for s, t in buckets)
    chart = traffic_charts.log_length_chart(
        histogram_frame(hist, requests_per_day), requests_title="requests/day"
    ).properties(height=120)
    return chart.to_dict(validate=False)  # validated in tests/unit/test_prompt_shape.py


def _changed(on_edit: Callable[[], None]) -> None:
    cs.sync_prompt_mean()
    on_edit()


def inputs(on_edit: Callable[[], None]) -> None:
    """The choice and, for a log-normal, its two fields; then the chart of the histogram the bills will use."""
    st.segmented_control(
        "Prompt lengths",
        list(cs.PROMPT_SHAPES),
        key=cs.PROMPT_SHAPE_KEY,
        format_func=cs.PROMPT_SHAPES.__getitem__,
        required=True,
        on_change=_changed,
        args=(on_edit,),
        help="One length: every request has the prompt above (or the histogram of an imported log or file, kept "
        "while the prompt field holds its mean). Log-normal: prompt lengths spread as a log-normal with this "
        "median and 95th percentile; API bills apply context tiers to each power-of-two bucket.",
    )
    hist: tuple[PromptBucket, ...]
    if cs.lognormal_on():
        c1, c2 = st.columns(2)
        for col, which, key in ((c1, "p50", cs.P50_KEY), (c2, "p95", cs.P95_KEY)):
            col.text_input(
                cs.LOGNORMAL_LABELS[which],
                key=key,
                on_change=_changed,
                args=(on_edit,),
                help="Half of the prompts are shorter than the median; 95% are shorter than the 95th percentile "
                "(above the median, at most 16M = 16,777,216 tokens). K = 1,024, M = 1,048,576 tokens.",
            )
        shape, _ = cs.lognormal_typed()  # a bad value: its error is shown with the results
        hist = lognormal_prompt_histogram(*shape) if shape else ()
        what = "Log-normal prompt lengths"
    else:
        hist = cs.prompt_histogram_kept(cs.parse_counts()[0].get("prompt_tokens"))
        if ss.get("calc_log") is not None:  # the imported log's box above already draws it
            return
        what = "Prompt lengths of the loaded scenario"
    if not hist:
        return
    rpd = cs.parse_counts()[0].get("requests_per_day", float("nan"))
    st.vega_lite_chart(
        _spec(tuple((b.share, b.prompt_tokens) for b in hist), float(rpd)),
        width="stretch",
        key="calc_prompt_hist_chart",
    )
    mean = sum(b.share * b.prompt_tokens for b in hist)
    st.caption(
        f":material/bar_chart: {what}: mean **{mean:,.0f} tokens** per request over {len(hist)} buckets; "
        "API bills apply context tiers to each bucket."
    )
