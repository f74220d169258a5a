"""Altair chart builders (pure functions returning ``alt.Chart``) and the small tables they draw.

No Streamlit and no model here: the app pages call these with frames an evaluation already holds
(:class:`costmodel.evaluate.evaluation.Evaluation`, :mod:`costmodel.views.architecture`) and
show the result. Every axis names its unit; every mark has a tooltip. The two ``*_frame`` functions here only
reshape a comparison table for drawing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

#: The ``group`` of a third-party host of the open weights (``costmodel.evaluate.table.GROUP_HOSTED``; repeated here:
#: this module imports no model module; tests/unit/test_hosted_options.py checks they agree).
GROUP_HOSTED = "Open weights, hosted"

#: Tick labels of a token axis as context windows are quoted: 1K = 1,024, 1M = 1,048,576 (``128K``, ``1M``).
TOKEN_LABEL_EXPR = (
    "datum.value >= 1048576 ? format(datum.value / 1048576, '~g') + 'M' : "
    "datum.value >= 1024 ? format(datum.value / 1024, '~g') + 'K' : format(datum.value, '~g')"
)
#: SI tick labels with at most 3 significant digits (``3T``, ``200G``, ``1.05M``): never ``3e+12``.
SI = ".3~s"


def _legend(title: str, **kw: Any) -> alt.Legend:
    """A legend below the chart, one entry per line, that a phone shows whole."""
    return alt.Legend(title=title, orient="bottom", direction="vertical", columns=1, labelLimit=320,
                      titleLimit=320, **kw)  # fmt: skip


# ---- calculator ----------------------------------------------------------------------------------------------

#: The efficiency band's columns in a curves frame (low efficiency: pessimistic; high: optimistic).
_BAND = ("monthly_cost_usd_pessimistic", "monthly_cost_usd_optimistic")


def _name(df: pd.DataFrame, label: str = "label", fallback: str = "option") -> pd.Series:
    """The short label of each row when the frame has one, else the option id."""
    return df[label].fillna(df[fallback]) if label in df.columns else df[fallback]


@dataclass(frozen=True)
class VolumeLayers:
    """What :func:`cost_volume_chart` draws: the data of each of its layers, in order (``frames``: the efficiency
    band, the lines, the volume rule and its label, the other break-even circles, the headline circle and its
    label), and everything else the chart depends on (``key``: each option's name, kind and group, which set the
    legend, the colours and the dashes). Two charts with the same ``key`` differ only in their data."""

    key: tuple[tuple[str, str, str | None], ...]
    frames: tuple[pd.DataFrame, ...]


def cost_volume_layers(
    curves: pd.DataFrame, break_even: pd.DataFrame, highlight: tuple[str, str] | None = None
) -> VolumeLayers:
    """The layers' data of :func:`cost_volume_chart` (see it for what is drawn)."""
    now = curves[curves["current"].astype(bool)].head(1)[["requests_per_day"]].copy()
    # only the columns drawn: the chart's data travels to the browser on every change
    if "group" not in curves.columns:
        curves = curves.assign(group=None)
    curves = curves.assign(name=_name(curves))[
        ["name", "kind", "group", "requests_per_day", "monthly_cost_usd", *_BAND]
    ]
    kinds = curves.drop_duplicates("name")[["name", "kind", "group"]]
    key = tuple(
        (str(n), str(k), g if isinstance(g, str) else None)
        for n, k, g in zip(kinds["name"], kinds["kind"], kinds["group"], strict=True)
    )
    now["text"] = [f"your volume: {v:,.0f}/day" for v in now["requests_per_day"]]
    found = break_even[np.isfinite(pd.to_numeric(break_even["requests_per_day"], errors="coerce"))].copy()
    if not curves.empty:
        lo, hi = curves["requests_per_day"].min(), curves["requests_per_day"].max()
        found = found[found["requests_per_day"].between(lo, hi)]
    found["self_host_name"] = _name(found, "self_host_label", "self_host")
    found["api_name"] = _name(found, "api_label", "api")
    headline = [
        highlight is not None and (sh, api) == tuple(highlight)
        for sh, api in zip(found["self_host"], found["api"], strict=True)
    ]
    found["headline"] = pd.Series(headline, index=found.index, dtype=bool)
    found["text"] = [f"break-even: {v:,.0f}/day" for v in found["requests_per_day"]]
    circles = [
        "self_host",
        "api",
        "self_host_name",
        "api_name",
        "requests_per_day",
        "monthly_cost_usd",
        "text",
    ]
    found = found[[*circles, "headline"]]
    main = found[found["headline"]][circles]
    return VolumeLayers(
        key=key,
        frames=(
            curves[curves["kind"] == "self_host"].dropna(subset=list(_BAND)),
            curves.drop(columns=list(_BAND)),
            now,
            now,
            found[~found["headline"]][circles],
            main,
            main,
        ),
    )


def cost_volume_chart(
    curves: pd.DataFrame, break_even: pd.DataFrame, highlight: tuple[str, str] | None = None
) -> alt.LayerChart:
    """Monthly cost (USD, log) against volume (requests per day, log): a line per option (solid: API, dashed:
    self-hosting), the self-hosting efficiency band shaded, the scenario's volume ruled and labelled, and the
    break-even points circled, the ``highlight`` pair (self-hosting option, API option: the verdict's) labelled
    with its volume; every circle's tooltip names the pair and the volume."""
    return cost_volume_from_layers(cost_volume_layers(curves, break_even, highlight))


def cost_volume_from_layers(layers: VolumeLayers) -> alt.LayerChart:
    """:func:`cost_volume_chart` drawn from its layers' data (:func:`cost_volume_layers`)."""
    band_data, line_data, now, now_text, other_data, main, main_text = layers.frames
    x = alt.X(
        "requests_per_day:Q",
        title="volume (requests per day, log scale)",
        scale=alt.Scale(type="log", nice=False),
        axis=alt.Axis(format="~s"),
    )
    y_scale = alt.Scale(type="log")
    y_title = "monthly cost (USD per month, log scale)"
    # One legend names every option: colour and dash (solid = API, dashed = self-hosting) share the field and
    # the legend, so each entry shows the line as drawn.
    # dotted: an API of a third-party host of the open weights (group "Open weights, hosted", tables.option_group)
    names = [n for n, _, _ in layers.key]
    dashes = [
        [6, 3] if k == "self_host" else [2, 2] if g == GROUP_HOSTED else [1, 0] for _, k, g in layers.key
    ]
    hosted = any(g == GROUP_HOSTED for _, _, g in layers.key)
    legend = _legend(
        "option (solid: API, "
        + ("dotted: open weights, hosted, " if hosted else "")
        + "dashed: self-hosting; shaded: low to high efficiency)",
        symbolType="stroke",
        symbolStrokeWidth=3,
        symbolSize=400,
        symbolOpacity=1,
    )
    color = alt.Color("name:N", scale=alt.Scale(domain=names), legend=legend)
    dash = alt.StrokeDash("name:N", scale=alt.Scale(domain=names, range=dashes), legend=legend)
    tip = [
        alt.Tooltip("name:N", title="option"),
        alt.Tooltip("requests_per_day:Q", title="requests per day", format=",.0f"),
        alt.Tooltip("monthly_cost_usd:Q", title="monthly cost (USD)", format="$,.0f"),
    ]
    band = (
        alt.Chart(band_data)
        .mark_area(opacity=0.15)
        .encode(
            x=x,
            y=alt.Y(
                "monthly_cost_usd_pessimistic:Q", scale=y_scale, title=y_title, axis=alt.Axis(format="$~s")
            ),
            y2=alt.Y2("monthly_cost_usd_optimistic:Q"),
            fill=alt.Fill("name:N", scale=alt.Scale(domain=names), legend=legend),  # merges with colour
            tooltip=[
                alt.Tooltip("name:N", title="option"),
                alt.Tooltip("requests_per_day:Q", title="requests per day", format=",.0f"),
                alt.Tooltip(
                    "monthly_cost_usd_pessimistic:Q",
                    title="pessimistic: low efficiency (USD/month)",
                    format="$,.0f",
                ),
                alt.Tooltip(
                    "monthly_cost_usd_optimistic:Q",
                    title="optimistic: high efficiency (USD/month)",
                    format="$,.0f",
                ),
            ],
        )
    )
    lines = (
        alt.Chart(line_data)
        .mark_line()
        .encode(
            x=x,
            y=alt.Y("monthly_cost_usd:Q", scale=y_scale, title=y_title, axis=alt.Axis(format="$~s")),
            color=color,
            strokeDash=dash,
            tooltip=tip,
        )
    )
    rule = (
        alt.Chart(now)
        .mark_rule(color="gray", strokeDash=[2, 2])
        .encode(
            x=x,
            tooltip=[alt.Tooltip("requests_per_day:Q", title="your volume (requests/day)", format=",.0f")],
        )
    )
    rule_text = (
        alt.Chart(now_text)
        .mark_text(align="left", baseline="top", dx=4, dy=4, color="gray", fontSize=12)
        .encode(x=x, y=alt.YValue(0), text=alt.Text("text:N"))  # type: ignore[no-untyped-call]
    )
    circle_tip = [
        alt.Tooltip("self_host_name:N", title="self-hosting"),
        alt.Tooltip("api_name:N", title="against the API"),
        alt.Tooltip("requests_per_day:Q", title="break-even (requests/day)", format=",.0f"),
        alt.Tooltip("monthly_cost_usd:Q", title="both cost (USD/month)", format="$,.0f"),
    ]
    others = (
        alt.Chart(other_data)
        .mark_point(shape="circle", size=60, filled=False, strokeWidth=1.5, color="#6e7781")
        .encode(x=x, y=alt.Y("monthly_cost_usd:Q", scale=y_scale), tooltip=circle_tip)
    )
    headline = (
        alt.Chart(main)
        .mark_point(shape="circle", size=220, filled=False, strokeWidth=3, color="black")
        .encode(x=x, y=alt.Y("monthly_cost_usd:Q", scale=y_scale), tooltip=circle_tip)
    )
    headline_text = (
        alt.Chart(main_text)
        .mark_text(align="left", dx=10, dy=-10, fontWeight="bold", fontSize=12)
        .encode(x=x, y=alt.Y("monthly_cost_usd:Q", scale=y_scale), text=alt.Text("text:N"))
    )
    chart = alt.LayerChart(
        layer=[band, lines, rule, rule_text, others, headline, headline_text],
        title=alt.Title(
            "Monthly cost against volume",
            subtitle=[
                "Bold circle: break-even of the cheapest self-hosting against the cheapest API (the verdict's);",
                "grey circles: the other pairs (hover for the pair and the volume). Dotted line: your volume.",
            ],
        ),
    )
    return chart


def breakdown_frame(table: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """Each option's monthly cost split into parts (long format): ``option``, ``name`` (short label), ``part``,
    ``monthly_cost_usd``, ``total_usd`` (the option's monthly cost).

    APIs (from the comparison ``table``): input at the cache-hit price, input at the cache-miss price, output.
    Self-hosting (from the curves' point at the scenario's volume): the prefill (input) and decode (output)
    shares of the GPU bill. Options without a cost (not ranked) are left out.
    """
    now = curves[curves["current"] & (curves["kind"] == "self_host")].set_index("option")
    rows = []
    for r in table.to_dict("records"):
        total = r.get("monthly_cost_usd")
        if total is None or pd.isna(total):
            continue
        if r["kind"] == "api":
            parts = {
                "input, cache hit": r.get("monthly_input_cache_hit_usd"),
                "input, cache miss": r.get("monthly_input_cache_miss_usd"),
                "output": r.get("monthly_output_usd"),
            }
        else:
            inp = now["monthly_input_cost_usd"].get(r["option"]) if r["option"] in now.index else None
            if inp is None or pd.isna(inp):
                parts = {"GPU rental (total)": total}
            else:
                parts = {"prefill (input)": inp, "decode (output)": total - inp}
        name = r.get("label") if isinstance(r.get("label"), str) else r["option"]
        for part, value in parts.items():
            if value is not None and not pd.isna(value):
                rows.append(
                    {"option": r["option"], "name": name, "part": part, "monthly_cost_usd": float(value),
                     "total_usd": float(total)}
                )  # fmt: skip
    return pd.DataFrame(rows, columns=["option", "name", "part", "monthly_cost_usd", "total_usd"])


#: The breakdown's axis stops at this multiple of the median option's cost when one option dwarfs the others.
CLIP_MEDIAN_MULTIPLE = 4.0


def breakdown_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Stacked horizontal bars: each option's monthly cost (USD per month) by part, the total written at the end
    of each bar. When one option costs more than :data:`CLIP_MEDIAN_MULTIPLE` × the median, the axis is clipped
    there (so the others are not slivers) and the clipped bars say so (``▶``)."""
    totals = df.drop_duplicates("name")["total_usd"] if not df.empty else pd.Series(dtype=float)
    top = float(totals.max()) if not totals.empty else 1.0
    cap = min(top, CLIP_MEDIAN_MULTIPLE * float(totals.median())) if not totals.empty else 1.0
    clipped = cap < top
    ends = df.drop_duplicates("name").assign(
        end=lambda d: d["total_usd"].clip(upper=cap),
        text=lambda d: d["total_usd"].map(lambda v: _usd_short(v)) + np.where(d["total_usd"] > cap, " ▶", ""),
    )
    title = "monthly cost (USD per month" + (f", clipped at {_usd_short(cap)})" if clipped else ")")
    x_scale = alt.Scale(domain=[0, cap * 1.18], clamp=True, nice=False)
    y = alt.Y("name:N", title=None, sort=alt.EncodingSortField("total_usd", order="ascending"),
              axis=alt.Axis(labelLimit=220))  # fmt: skip
    bars = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("sum(monthly_cost_usd):Q", title=title, scale=x_scale, axis=alt.Axis(format="$~s")),
            color=alt.Color("part:N", legend=_legend("part")),
            tooltip=[
                alt.Tooltip("name:N", title="option"),
                alt.Tooltip("part:N"),
                alt.Tooltip("monthly_cost_usd:Q", title="USD per month", format="$,.2f"),
                alt.Tooltip("total_usd:Q", title="total (USD per month)", format="$,.0f"),
            ],
        )
    )
    labels = (
        alt.Chart(ends)
        .mark_text(align="left", dx=4, fontSize=11)
        .encode(y=y, x=alt.X("end:Q", scale=x_scale), text=alt.Text("text:N"))
    )
    sub = "Bars end at the axis limit when marked ▶; the label gives the full cost." if clipped else ""
    return alt.LayerChart(layer=[bars, labels], title=alt.Title("Where the money goes", subtitle=sub))


def _usd_short(v: float) -> str:
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= div:
            return f"${v / div:.3g}{suffix}"
    return f"${v:,.0f}" if abs(v) >= 10 else f"${v:.2f}"


#: Efficiency levels of the band chart, named by what they mean for the cost.
BAND_NAMES = {
    "low": "pessimistic (low efficiency)",
    "base": "base efficiency",
    "high": "optimistic (high efficiency)",
    "floor": "floor (100% efficiency)",
    "api": "API bill",
}


def band_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Self-hosting cost at each efficiency level (long): ``option``, ``name``, ``efficiency`` (a name of
    :data:`BAND_NAMES`), ``monthly_cost_usd``; API rows once, as the API bill. Options without a cost are left
    out."""
    columns = {"low": "monthly_cost_usd_pessimistic", "high": "monthly_cost_usd_optimistic",
               "floor": "monthly_cost_usd_floor"}  # fmt: skip
    rows = []
    for r in table.to_dict("records"):
        name = r.get("label") if isinstance(r.get("label"), str) else r["option"]
        if r.get("monthly_cost_usd") is None or pd.isna(r.get("monthly_cost_usd")):
            continue
        if r["kind"] == "api":
            rows.append({"option": r["option"], "name": name, "efficiency": BAND_NAMES["api"],
                         "monthly_cost_usd": float(r["monthly_cost_usd"])})  # fmt: skip
            continue
        for level in ("low", "base", "high", "floor"):
            col = "monthly_cost_usd" if level == r.get("efficiency") else columns.get(level, "")
            v = r.get(col)
            if v is not None and not pd.isna(v):
                rows.append({"option": r["option"], "name": name, "efficiency": BAND_NAMES[level],
                             "monthly_cost_usd": float(v)})  # fmt: skip
    return pd.DataFrame(rows, columns=["option", "name", "efficiency", "monthly_cost_usd"])


def band_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Per option, the monthly cost from optimistic to pessimistic efficiency (a range) and the 100 % floor,
    APIs as their bill."""
    x_title, x_scale = "monthly cost (USD per month, log scale)", alt.Scale(type="log")
    x = alt.X("monthly_cost_usd:Q", title=x_title, scale=x_scale, axis=alt.Axis(format="$~s"))
    y = alt.Y("name:N", title=None, axis=alt.Axis(labelLimit=220))
    order = list(BAND_NAMES.values())
    tip = [
        alt.Tooltip("name:N", title="option"),
        alt.Tooltip("efficiency:N"),
        alt.Tooltip("monthly_cost_usd:Q", title="USD per month", format="$,.0f"),
    ]
    ranged = df[df["efficiency"].isin([BAND_NAMES["low"], BAND_NAMES["high"]])]
    rng = (
        alt.Chart(ranged)
        .mark_rule(strokeWidth=6, opacity=0.4)
        .encode(
            x=alt.X("min(monthly_cost_usd):Q", title=x_title, scale=x_scale),
            x2=alt.X2("max(monthly_cost_usd):Q"),
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
                "efficiency:N",
                sort=order,
                scale=alt.Scale(domain=order),
                legend=_legend("cost at (bar: optimistic to pessimistic)"),
            ),
            shape=alt.Shape("efficiency:N", sort=order, scale=alt.Scale(domain=order), legend=None),
            tooltip=tip,
        )
    )
    chart = alt.LayerChart(
        layer=[rng, marks],
        title="Self-hosting from optimistic to pessimistic efficiency, and the 100 % floor",
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
