"""Altair chart builders (pure functions returning ``alt.Chart``) and the small tables they draw.

No Streamlit and no model here: the app pages call these with frames an evaluation already holds
(:class:`costmodel.compare.Evaluation`, :mod:`costmodel.report`, :func:`costmodel.serving.calibration_frame`) and
show the result. Every axis names its unit; every mark has a tooltip. The two ``*_frame`` functions here only
reshape a comparison table for drawing.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

# ---- attention lab -------------------------------------------------------------------------------------------


def _log_x(title: str = "context length (tokens, log scale)") -> alt.X:
    return alt.X(
        "context_tokens:Q", title=title, scale=alt.Scale(type="log", base=2), axis=alt.Axis(format="~s")
    )


def _lines_per_model(df: pd.DataFrame, title: str, y: alt.Y, tooltip: list[alt.Tooltip]) -> alt.Chart:
    """One line per model of ``y`` against context length (log), the model and context in every tooltip."""
    chart: alt.Chart = (
        alt.Chart(df, title=title)
        .mark_line(point=True)
        .encode(
            x=_log_x(),
            y=y,
            color=alt.Color("model:N", title="model"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("context_tokens:Q", title="context (tokens)", format=","),
                *tooltip,
            ],
        )
    )
    return chart


def kv_chart(df: pd.DataFrame) -> alt.Chart:
    """KV cache per sequence (GB, log) against context length (tokens, log), one line per model."""
    return _lines_per_model(
        df,
        "KV cache per sequence",
        alt.Y("kv_cache_gb:Q", title="KV cache per sequence (GB, log scale)", scale=alt.Scale(type="log")),
        [alt.Tooltip("kv_cache_gb:Q", title="KV cache (GB)", format=",.3f")],
    )


def flops_chart(df: pd.DataFrame) -> alt.Chart:
    """FLOPs to decode one token (log) against context length (log), one line per model."""
    return _lines_per_model(
        df,
        "FLOPs per decoded token",
        alt.Y("flops_per_token:Q", title="FLOPs per token (FLOP, log scale)", scale=alt.Scale(type="log")),
        [
            alt.Tooltip("flops_per_token:Q", title="FLOPs per token", format=".3~s"),
            alt.Tooltip("attention_flops_per_token:Q", title="of which attention", format=".3~s"),
        ],
    )


def ratio_chart(df: pd.DataFrame, baseline_id: str) -> alt.Chart:
    """KV and FLOPs ratios to the baseline (%, log context axis), one panel per measure."""
    long = df.melt(
        id_vars=["model", "context_tokens"],
        value_vars=["kv_ratio", "flops_ratio"],
        var_name="measure",
        value_name="ratio",
    )
    long["measure"] = long["measure"].map({"kv_ratio": "KV cache", "flops_ratio": "FLOPs per token"})
    chart: alt.Chart = (
        alt.Chart(long, title=f"Relative to {baseline_id}")
        .mark_line(point=True)
        .encode(
            x=_log_x(),
            y=alt.Y("ratio:Q", title=f"ratio to {baseline_id} (%)", axis=alt.Axis(format="%")),
            color=alt.Color("model:N", title="model"),
            strokeDash=alt.StrokeDash("measure:N", title="measure"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("context_tokens:Q", title="context (tokens)", format=","),
                alt.Tooltip("ratio:Q", title="ratio to baseline", format=".1%"),
            ],
        )
    )
    return chart


def layer_chart(df: pd.DataFrame, measure: str = "kv_cache_mb") -> alt.Chart:
    """One bar per layer, coloured by mechanism: ``kv_cache_mb`` (MB) or ``attention_flops`` (FLOP)."""
    titles = {"kv_cache_mb": "KV cache (MB)", "attention_flops": "attention FLOPs per token (FLOP)"}
    chart: alt.Chart = (
        alt.Chart(df, title="Per layer")
        .mark_bar()
        .encode(
            x=alt.X("layer:O", title="layer (index)"),
            y=alt.Y(f"{measure}:Q", title=titles[measure]),
            color=alt.Color("mechanism:N", title="mechanism"),
            tooltip=[
                alt.Tooltip("layer:O"),
                alt.Tooltip("mechanism:N"),
                alt.Tooltip("kv_cache_mb:Q", title="KV cache (MB)", format=",.3f"),
                alt.Tooltip("attention_flops:Q", title="attention FLOPs", format=".3~s"),
            ],
        )
    )
    return chart


# ---- calibration ---------------------------------------------------------------------------------------------


def calibration_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Predicted vs measured tokens/s per node (log-log), one colour per efficiency level, with the y = x line."""
    lo = float(min(df["measured_tokens_per_s_per_node"].min(), df["predicted_tokens_per_s_per_node"].min()))
    hi = float(max(df["measured_tokens_per_s_per_node"].max(), df["predicted_tokens_per_s_per_node"].max()))
    diag = pd.DataFrame({"x": [lo * 0.8, hi * 1.25], "y": [lo * 0.8, hi * 1.25]})
    scale = alt.Scale(type="log")
    points = (
        alt.Chart(df)
        .mark_point(size=80, filled=True)
        .encode(
            x=alt.X(
                "measured_tokens_per_s_per_node:Q", title="measured (tokens/s per 8-GPU node)", scale=scale
            ),
            y=alt.Y(
                "predicted_tokens_per_s_per_node:Q", title="predicted (tokens/s per 8-GPU node)", scale=scale
            ),
            color=alt.Color("efficiency:N", title="efficiency", sort=["low", "base", "high", "floor"]),
            shape=alt.Shape("phase:N", title="phase"),
            tooltip=[
                alt.Tooltip("measurement:N"),
                alt.Tooltip("efficiency:N"),
                alt.Tooltip("measured_tokens_per_s_per_node:Q", title="measured (tok/s/node)", format=",.0f"),
                alt.Tooltip(
                    "predicted_tokens_per_s_per_node:Q", title="predicted (tok/s/node)", format=",.0f"
                ),
                alt.Tooltip("ratio:Q", title="predicted / measured", format=".2f"),
            ],
        )
    )
    line = alt.Chart(diag).mark_line(strokeDash=[4, 4], color="gray").encode(x="x:Q", y="y:Q")
    chart = alt.LayerChart(layer=[line, points], title="Predicted vs measured (dashed: equal)")
    return chart


# ---- calculator ----------------------------------------------------------------------------------------------

def cost_volume_chart(curves: pd.DataFrame, break_even: pd.DataFrame) -> alt.LayerChart:
    """Monthly cost (USD, log) against monthly volume (requests, log): a line per option, the self-hosting
    efficiency band shaded, the scenario's volume ruled and break-even points circled."""
    x = alt.X(
        "requests_per_month:Q",
        title="monthly volume (requests per month, log scale)",
        scale=alt.Scale(type="log", nice=False),
        axis=alt.Axis(format="~s"),
    )
    y_scale = alt.Scale(type="log")
    # One legend names every option: colour and dash (solid = API, dashed = self-hosting) share the field and
    # the legend, so each entry shows the line as drawn.
    kinds = curves.drop_duplicates("option")[["option", "kind"]]
    options = kinds["option"].tolist()
    dashes = [[6, 3] if k == "self_host" else [1, 0] for k in kinds["kind"]]
    legend = alt.Legend(
        title="option (solid: API, dashed: self-hosting)",
        titleLimit=600,
        orient="bottom",
        columns=2,
        labelLimit=420,
        symbolType="stroke",
        symbolStrokeWidth=3,
        symbolSize=400,
        symbolOpacity=1,
    )
    color = alt.Color("option:N", scale=alt.Scale(domain=options), legend=legend)
    dash = alt.StrokeDash("option:N", scale=alt.Scale(domain=options, range=dashes), legend=legend)
    tip = [
        alt.Tooltip("option:N"),
        alt.Tooltip("requests_per_month:Q", title="requests per month", format=",.0f"),
        alt.Tooltip("requests_per_day:Q", title="requests per day", format=",.0f"),
        alt.Tooltip("monthly_cost_usd:Q", title="monthly cost (USD)", format="$,.0f"),
    ]
    band = (
        alt.Chart(
            curves[curves["kind"] == "self_host"].dropna(
                subset=["monthly_cost_usd_low", "monthly_cost_usd_high"]
            )
        )
        .mark_area(opacity=0.15)
        .encode(
            x=x,
            y=alt.Y(
                "monthly_cost_usd_high:Q", scale=y_scale, title="monthly cost (USD per month, log scale)"
            ),
            y2="monthly_cost_usd_low:Q",
            fill=alt.Fill("option:N", scale=alt.Scale(domain=options), legend=legend),  # merges with colour
            tooltip=[
                alt.Tooltip("option:N"),
                alt.Tooltip("monthly_cost_usd_high:Q", title="high efficiency (USD/month)", format="$,.0f"),
                alt.Tooltip("monthly_cost_usd_low:Q", title="low efficiency (USD/month)", format="$,.0f"),
            ],
        )
    )
    lines = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("monthly_cost_usd:Q", scale=y_scale, title="monthly cost (USD per month, log scale)"),
            color=color,
            strokeDash=dash,
            tooltip=tip,
        )
    )
    now = curves[curves["current"]].head(1)
    rule = (
        alt.Chart(now)
        .mark_rule(color="gray", strokeDash=[2, 2])
        .encode(
            x=x,
            tooltip=[
                alt.Tooltip("requests_per_month:Q", title="your volume (requests/month)", format=",.0f")
            ],
        )
    )
    found = break_even[np.isfinite(pd.to_numeric(break_even["requests_per_day"], errors="coerce"))]
    if not curves.empty:
        lo, hi = curves["requests_per_month"].min(), curves["requests_per_month"].max()
        found = found[found["requests_per_month"].between(lo, hi)]
    points = (
        alt.Chart(found)
        .mark_point(shape="circle", size=120, filled=False, strokeWidth=2, color="black")
        .encode(
            x=x,
            y=alt.Y("monthly_cost_usd:Q", scale=y_scale),
            tooltip=[
                alt.Tooltip("self_host:N", title="self-hosting"),
                alt.Tooltip("api:N", title="beats API"),
                alt.Tooltip("requests_per_month:Q", title="from (requests/month)", format=",.0f"),
                alt.Tooltip("requests_per_day:Q", title="from (requests/day)", format=",.0f"),
                alt.Tooltip("monthly_cost_usd:Q", title="at (USD/month)", format="$,.0f"),
            ],
        )
    )
    chart = alt.LayerChart(
        layer=[band, lines, rule, points], title="Monthly cost against volume (circles: break-even points)"
    )
    return chart


def breakdown_frame(table: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Each option's monthly cost split into parts (long format): ``option``, ``part``, ``monthly_cost_usd``.

    APIs (from the comparison ``table``): input at the cache-hit price, input at the cache-miss price, output.
    Self-hosting (from the :func:`cost_volume_frame` point at the scenario's volume): the prefill (input) and
    decode (output) shares of the GPU bill.
    """
    now = curves[curves["current"] & (curves["kind"] == "self_host")].set_index("option")
    rows = []
    for r in table.to_dict("records"):
        if r["kind"] == "api":
            parts = {
                "input, cache hit": r.get("monthly_input_cache_hit_usd"),
                "input, cache miss": r.get("monthly_input_cache_miss_usd"),
                "output": r.get("monthly_output_usd"),
            }
        else:
            total = r.get("monthly_cost_usd")
            inp = now["monthly_input_cost_usd"].get(r["option"]) if r["option"] in now.index else None
            if inp is None or pd.isna(inp) or total is None or pd.isna(total):
                parts = {"GPU rental (total)": total}
            else:
                parts = {"prefill (input)": inp, "decode (output)": total - inp}
        for part, value in parts.items():
            if value is not None and not pd.isna(value):
                rows.append({"option": r["option"], "part": part, "monthly_cost_usd": float(value)})
    return pd.DataFrame(rows, columns=["option", "part", "monthly_cost_usd"])


def breakdown_chart(df: pd.DataFrame) -> alt.Chart:
    """Stacked horizontal bars: each option's monthly cost (USD per month) by part."""
    chart: alt.Chart = (
        alt.Chart(df, title="Where the money goes")
        .mark_bar()
        .encode(
            y=alt.Y("option:N", title=None, sort="x", axis=alt.Axis(labelLimit=400)),
            x=alt.X(
                "sum(monthly_cost_usd):Q", title="monthly cost (USD per month)", axis=alt.Axis(format="$,.0f")
            ),
            color=alt.Color("part:N", title="part"),
            tooltip=[
                alt.Tooltip("option:N"),
                alt.Tooltip("part:N"),
                alt.Tooltip("monthly_cost_usd:Q", title="USD per month", format="$,.2f"),
            ],
        )
    )
    return chart


def band_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Self-hosting cost at each efficiency level (long): ``option``, ``efficiency`` (low | base | high |
    floor), ``monthly_cost_usd``; API rows once, as ``efficiency`` = ``api``."""
    rows = []
    for r in table.to_dict("records"):
        if r["kind"] == "api":
            rows.append(
                {
                    "option": r["option"],
                    "efficiency": "api (list bill)",
                    "monthly_cost_usd": r["monthly_cost_usd"],
                }
            )
            continue
        for level in ("low", "base", "high", "floor"):
            col = "monthly_cost_usd" if level == r.get("efficiency") else f"monthly_cost_usd_{level}"
            v = r.get(col)
            if v is not None and not pd.isna(v):
                rows.append({"option": r["option"], "efficiency": level, "monthly_cost_usd": float(v)})
    return pd.DataFrame(rows, columns=["option", "efficiency", "monthly_cost_usd"])


def band_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Per option, the monthly cost at low / base / high efficiency (a range) and the 100 % floor, APIs as dots."""
    x_title, x_scale = "monthly cost (USD per month, log scale)", alt.Scale(type="log")
    x = alt.X("monthly_cost_usd:Q", title=x_title, scale=x_scale)
    y = alt.Y("option:N", title=None, axis=alt.Axis(labelLimit=400))
    tip = [
        alt.Tooltip("option:N"),
        alt.Tooltip("efficiency:N"),
        alt.Tooltip("monthly_cost_usd:Q", title="USD per month", format="$,.0f"),
    ]
    ranged = df[df["efficiency"].isin(["low", "high"])]
    rng = (
        alt.Chart(ranged)
        .mark_rule(strokeWidth=6, opacity=0.4)
        .encode(
            x=alt.X("min(monthly_cost_usd):Q", title=x_title, scale=x_scale),
            x2="max(monthly_cost_usd):Q",
            y=y,
        )
    )
    marks = (
        alt.Chart(df)
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "efficiency:N", title="efficiency", sort=["low", "base", "high", "floor", "api (list bill)"]
            ),
            shape=alt.Shape("efficiency:N", sort=["low", "base", "high", "floor", "api (list bill)"]),
            tooltip=tip,
        )
    )
    chart = alt.LayerChart(
        layer=[rng, marks], title="Self-hosting at low / base / high efficiency, and the 100 % floor"
    )
    return chart


# ---- which past positions one query reads (from the numpy reference simulation) -------------------------------


def sim_reads_chart(df: pd.DataFrame, length: int) -> alt.Chart:
    """Heatmap: one row per mechanism and part, a mark on every past position the query reads."""
    df = df.assign(row=df["mechanism"] + ": " + df["what"])
    chart: alt.Chart = (
        alt.Chart(df, title=f"What the query at position {length} reads")
        .mark_rect()
        .encode(
            x=alt.X(
                "position:Q",
                title="past position (token index)",
                scale=alt.Scale(domain=[0, length], nice=False),
            ),
            x2="position_end:Q",
            y=alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=400)),
            color=alt.Color("mechanism:N", title="mechanism", legend=None),
            tooltip=[
                alt.Tooltip("mechanism:N"),
                alt.Tooltip("what:N", title="part"),
                alt.Tooltip("position:Q", title="from position"),
                alt.Tooltip("position_end:Q", title="to (exclusive)"),
            ],
        )
        .properties(height=alt.Step(26))
    )
    return chart


# ---- chart files ------------------------------------------------------------------------------------------

#: Size of an exported chart (pixels at scale 1) when the chart itself does not set one.
EXPORT_WIDTH_PX, EXPORT_HEIGHT_PX = 960, 540


def _export_spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec: dict[str, Any] = chart.to_dict()
    # A chart sized by its container (the app's "stretch") has no width of its own: give it a page width.
    if spec.get("width") in (None, "container"):
        spec["width"] = EXPORT_WIDTH_PX
    if spec.get("height") in (None, "container"):
        spec["height"] = EXPORT_HEIGHT_PX
    spec.setdefault("background", "white")
    return spec


def chart_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (``scale`` × its size in pixels), drawn by Vega itself (vl-convert)."""
    import vl_convert as vlc  # imported on demand: only an export needs it

    png: bytes = vlc.vegalite_to_png(_export_spec(chart), scale=scale)
    return png


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """The chart as an SVG document (text), drawn by Vega itself (vl-convert)."""
    import vl_convert as vlc

    svg: str = vlc.vegalite_to_svg(_export_spec(chart))
    return svg
