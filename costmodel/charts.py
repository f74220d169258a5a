"""Altair chart builders (pure functions returning ``alt.Chart``) and the small tables they draw.

No Streamlit here: the app pages call these and show the result. Every axis names its unit; every mark has a
tooltip. The ``*_frame`` functions gather numbers from the model (``costmodel.attention``, ``costmodel.compute``,
``costmodel.compare``) into long DataFrames; the ``*_chart`` functions only draw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from costmodel.attention import (
    CSA,
    DSA,
    HCA,
    KvDtype,
    Mechanism,
    V4Attention,
    layer_mechanisms,
)
from costmodel.attention.report import attention_table
from costmodel.catalog import Catalogue, Gpu, Model
from costmodel.scenario import Scenario
from costmodel.units import BYTES_PER_GB

#: 1M tokens as context windows are quoted (2^20).
ONE_M_TOKENS = 2**20


def context_grid(min_tokens: int = 1024, max_tokens: int = ONE_M_TOKENS, points: int = 41) -> np.ndarray:
    """Whole token counts spaced evenly on a log axis, both ends included."""
    grid = np.unique(np.round(np.geomspace(min_tokens, max_tokens, points)).astype(np.int64))
    return grid


# ---- attention lab -------------------------------------------------------------------------------------------


def attention_frame(
    models: Sequence[Model],
    contexts: Sequence[int] | np.ndarray,
    *,
    kv_dtype: KvDtype = "deployed",
    baseline: Model | None = None,
) -> pd.DataFrame:
    """KV cache and FLOPs per decoded token of each model at each context length (long format).

    The rows of :func:`costmodel.attention.report.attention_table`, in the units the lab shows. Columns:
    ``model``, ``context_tokens``, ``kv_cache_bytes``, ``kv_cache_gb`` (one sequence, all layers, indexer keys
    included), ``flops_per_token`` (whole forward pass), ``attention_flops_per_token``, and with a ``baseline``
    the ratios ``kv_ratio`` and ``flops_ratio`` (model / baseline at the same context).
    """
    if not models:
        return pd.DataFrame()
    df = attention_table(models, np.asarray(contexts, dtype=np.int64), kv_dtype, baseline=baseline)
    df["kv_cache_gb"] = df["kv_cache_bytes"] / BYTES_PER_GB
    columns = ["model", "context_tokens", "kv_cache_bytes", "kv_cache_gb", "flops_per_token"]
    columns += ["attention_flops_per_token"] + (["kv_ratio", "flops_ratio"] if baseline is not None else [])
    return df[columns]


def layer_breakdown_frame(model: Model, context_tokens: int, kv_dtype: KvDtype = "deployed") -> pd.DataFrame:
    """Per layer at one context length: ``layer`` (0-based), ``mechanism``, ``kv_cache_bytes``, ``kv_cache_mb``,
    ``attention_flops`` (2 × MACs, indexer included) to decode one token."""
    t = np.asarray([context_tokens], dtype=np.float64)
    rows = []
    for i, mech in enumerate(layer_mechanisms(model)):
        kv = float(mech.kv_cache_bytes(t, kv_dtype)[0])
        rows.append(
            {
                "layer": i,
                "mechanism": mech.kind,
                "kv_cache_bytes": kv,
                "kv_cache_mb": kv / 1e6,
                "attention_flops": 2.0 * float(mech.macs(t)[0]),
            }
        )
    return pd.DataFrame(rows)


def layer_summary(layers: pd.DataFrame) -> pd.DataFrame:
    """Totals per mechanism of a :func:`layer_breakdown_frame`: ``mechanism``, ``layers`` (count),
    ``kv_cache_mb``, ``attention_flops``."""
    return layers.groupby("mechanism", as_index=False).agg(
        layers=("layer", "count"),
        kv_cache_mb=("kv_cache_mb", "sum"),
        attention_flops=("attention_flops", "sum"),
    )


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


def calibration_frame(
    model: Model, gpu: Gpu, levels: Sequence[str] = ("low", "base", "high", "floor")
) -> pd.DataFrame:
    """Predicted against measured throughput for every published measurement the serving model is checked on.

    Columns: ``measurement``, ``phase``, ``fitted`` (False = out-of-sample check), ``efficiency``,
    ``measured_tokens_per_s_per_node``, ``predicted_tokens_per_s_per_node``, ``ratio`` (predicted / measured).
    """
    from costmodel import serving

    rows = []
    checks = [(m, True) for m in serving.LMSYS_MEASUREMENTS] + [(serving.LMSYS_MTP, False)]
    for m, fitted in checks:
        for level in levels:
            pred = serving.predict_measurement(m, model, gpu, serving.EFFICIENCY[level])  # type: ignore[index]
            rows.append(
                {
                    "measurement": m.name,
                    "phase": m.phase,
                    "fitted": fitted,
                    "efficiency": level,
                    "measured_tokens_per_s_per_node": m.tokens_per_s_per_node,
                    "predicted_tokens_per_s_per_node": pred,
                    "ratio": pred / m.tokens_per_s_per_node,
                }
            )
    return pd.DataFrame(rows)


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

BAND_LEVELS = ("low", "base", "high")


def volume_grid(requests_per_day: float, decades_each_side: float = 2.0, points: int = 121) -> np.ndarray:
    """Volumes (requests/day) evenly spaced on a log axis around ``requests_per_day``, which is included."""
    lo, hi = requests_per_day / 10**decades_each_side, requests_per_day * 10**decades_each_side
    grid = np.geomspace(lo, hi, 2 * (points // 2) + 1)  # odd: the middle point is the volume itself
    grid[points // 2] = requests_per_day
    return grid


def cost_volume_frame(
    scenario: Scenario, catalogue: Catalogue, volumes: np.ndarray | None = None
) -> pd.DataFrame:
    """Monthly cost of every option against volume, the workload's token mix held fixed (long format).

    Columns: ``option``, ``kind`` (api | self_host), ``requests_per_day``, ``requests_per_month``,
    ``monthly_cost_usd`` (self-hosting at the scenario's efficiency level), ``monthly_cost_usd_low`` and
    ``monthly_cost_usd_high`` (self-hosting at the low / high efficiency of the band; equal to the cost for APIs;
    NaN where that efficiency level cannot meet the latency target, so the band is not drawn there),
    ``current`` (True at the scenario's own volume). Infeasible self-hosting options are left out.
    """
    from costmodel.compare import sweep
    from costmodel.serving import evaluate_option, option_label

    w = scenario.workload
    v = volume_grid(w.requests_per_day) if volumes is None else np.asarray(volumes, dtype=float)
    frames = []
    api = sweep(scenario, catalogue, v, [w.cache_hit_fraction])
    if not api.empty:
        frames.append(
            pd.DataFrame(
                {
                    "option": api["option"],
                    "kind": "api",
                    "requests_per_day": api["requests_per_day"],
                    "monthly_cost_usd": api["monthly_cost_usd"],
                    "monthly_input_cost_usd": np.nan,
                    "monthly_cost_usd_low": api["monthly_cost_usd"],
                    "monthly_cost_usd_high": api["monthly_cost_usd"],
                }
            )
        )
    level = scenario.assumptions.efficiency
    for opt in scenario.self_host_options:
        ev = evaluate_option(opt, w, scenario.assumptions, catalogue, volume_scale=v / w.requests_per_day)
        costs = {lv: ev.costs.get(lv) for lv in BAND_LEVELS}  # type: ignore[call-overload]
        main = costs.get(level)
        if main is None:
            continue

        def at(lv: str, c: dict = costs) -> np.ndarray:  # type: ignore[type-arg]
            # a level that cannot meet the latency target has no cost: that band edge is left out, not faked
            fc = c.get(lv)
            return np.asarray(fc.monthly_cost_usd if fc is not None else np.nan, dtype=float) * np.ones(
                len(v)
            )

        frames.append(
            pd.DataFrame(
                {
                    "option": option_label(opt),
                    "kind": "self_host",
                    "requests_per_day": v,
                    "monthly_cost_usd": np.asarray(main.monthly_cost_usd, dtype=float).reshape(-1),
                    "monthly_input_cost_usd": np.asarray(main.input_cost_usd, dtype=float).reshape(-1),
                    # low efficiency costs more: the band's upper edge
                    "monthly_cost_usd_low": at("low"),
                    "monthly_cost_usd_high": at("high"),
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=[
                "option",
                "kind",
                "requests_per_day",
                "requests_per_month",
                "monthly_cost_usd",
                "monthly_input_cost_usd",
                "monthly_cost_usd_low",
                "monthly_cost_usd_high",
                "current",
            ]
        )
    df = pd.concat(frames, ignore_index=True)
    df["requests_per_month"] = df["requests_per_day"] * w.days_per_month
    df["current"] = np.isclose(df["requests_per_day"], w.requests_per_day, rtol=1e-12)
    return df


#: Columns of :func:`break_even_frame`.
BREAK_EVEN_COLUMNS = [
    "self_host",
    "api",
    "requests_per_day",
    "requests_per_month",
    "monthly_cost_usd",
    "volume_note",
    "cache_hit_fraction",
    "cache_hit_note",
]


def break_even_frame(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """Break-even of each self-hosting option against each API option, exact (:mod:`costmodel.breakeven`).

    A break-even volume is the smallest volume from which self-hosting costs no more than the API, the
    workload's hourly shape and token mix held fixed (bisection to machine precision, not a chart grid).

    Columns: ``self_host``, ``api`` (option labels as in :func:`cost_volume_frame`), ``requests_per_day``,
    ``requests_per_month``, ``monthly_cost_usd`` (either bill there, USD/month), ``volume_note`` (why there is
    none; NaN volume then), ``cache_hit_fraction`` (where the bills cross over the cache-hit fraction at the
    scenario's volume; NaN when they do not) and ``cache_hit_note``. One row per pair.
    """
    from costmodel.breakeven import break_even_table

    raw = break_even_table(scenario, catalogue)
    if raw.empty:
        return pd.DataFrame(columns=BREAK_EVEN_COLUMNS)
    df = pd.DataFrame(
        {
            "self_host": raw["self_host_option"],
            "api": raw["api_option"],
            "requests_per_day": raw["break_even_requests_per_day"].astype(float),
            "requests_per_month": raw["break_even_requests_per_day"].astype(float)
            * scenario.workload.days_per_month,
            "monthly_cost_usd": raw["break_even_monthly_cost_usd"].astype(float),
            "volume_note": raw["volume_note"],
            "cache_hit_fraction": raw["break_even_cache_hit_fraction"].astype(float),
            "cache_hit_note": raw["cache_hit_note"],
        }
    )
    return df[BREAK_EVEN_COLUMNS]


def cheapest_row(table: pd.DataFrame) -> pd.Series | None:
    """The row of the comparison table with the lowest finite monthly cost (None if there is none)."""
    costs = pd.to_numeric(table["monthly_cost_usd"], errors="coerce")
    ok = costs[np.isfinite(costs)]
    if ok.empty:
        return None
    row: pd.Series = table.loc[ok.idxmin()]
    return row


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


def headline_break_even(table: pd.DataFrame, break_even: pd.DataFrame) -> pd.Series | None:
    """The break-even that matters most: the cheapest API against the cheapest self-hosting option (by their
    monthly cost at the scenario's volume), a row of :func:`break_even_frame` (its ``requests_per_day`` is NaN
    and ``volume_note`` says why when they never cross); None when there is no option of one kind."""
    costs = pd.to_numeric(table["monthly_cost_usd"], errors="coerce")
    ok = table[costs.notna() & np.isfinite(costs)]
    api, sh = ok[ok["kind"] == "api"], ok[ok["kind"] == "self_host"]
    if api.empty or sh.empty or break_even.empty:
        return None
    a = api.loc[pd.to_numeric(api["monthly_cost_usd"]).idxmin(), "option"]
    s = sh.loc[pd.to_numeric(sh["monthly_cost_usd"]).idxmin(), "option"]
    hit = break_even[(break_even["api"] == a) & (break_even["self_host"] == s)]
    if hit.empty:
        return None
    row: pd.Series = hit.iloc[0]
    return row


# ---- which past positions one query reads (from the numpy reference simulation) -------------------------------


def miniature_mechanisms(
    *, window: int = 32, csa_topk: int = 8, hca_ratio: int = 32, dsa_topk: int = 32
) -> dict[str, Mechanism]:
    """Small versions of the sparse mechanisms (2 heads, tiny dims) whose read pattern is visible on a few
    hundred tokens: V4's sliding window, CSA (ratio 4, indexer top-k), HCA, and V3.2's DSA."""
    v4 = {"n_heads": 2, "head_dim": 16, "rope_dim": 4, "window": window}
    return {
        "V4 window-only layer": V4Attention(**v4),
        "V4 CSA layer": CSA(**v4, ratio=4, index_n_heads=2, index_head_dim=8, index_topk=csa_topk),
        "V4 HCA layer": HCA(**v4, ratio=hca_ratio),
        "V3.2 DSA layer": DSA(2, 16, 4, 2, 8, dsa_topk),
    }


def sim_reads_frame(mechanisms: dict[str, Mechanism], length: int, seed: int = 0) -> pd.DataFrame:
    """For the query at position ``length``, the past positions each mechanism reads, as the simulation in
    :mod:`costmodel.attention.sim` executes it (:func:`~costmodel.attention.sim.query_reads`: random tensors,
    the indexer's top-k is the simulator's own). A compressed entry covers its block of ``ratio`` tokens, a
    window slot or a token one position.

    Returns:
        Columns ``mechanism`` (e.g. ``"V4 CSA layer"``), ``what`` (which part of the layer read it: window,
        selected blocks, indexer, ...), ``position`` (0-based token index) and ``position_end`` (exclusive).
    """
    from costmodel.attention.sim import query_reads

    rows: list[dict[str, Any]] = []
    for label, mech in mechanisms.items():
        r = query_reads(mech, int(length), "bf16", seed)
        ratio = r.block_tokens

        def add(what: str, starts: np.ndarray, width: int, label: str = label) -> None:
            for s in np.unique(starts):
                rows.append(
                    {"mechanism": label, "what": what, "position": int(s), "position_end": int(s) + width}
                )

        if isinstance(mech, V4Attention):
            add("sliding window", r.window, 1)
            if isinstance(mech, CSA):
                add("indexer: blocks scored", r.indexer_scored * ratio, ratio)
                add("blocks selected (top-k)", r.compressed * ratio, ratio)
            elif ratio:
                add("compressed blocks (all)", r.compressed * ratio, ratio)
        elif isinstance(mech, DSA):
            add("indexer: tokens scored", r.indexer_scored, 1)
            add("tokens selected (top-k)", r.tokens, 1)
        else:
            add("every token", r.tokens, 1)
    return pd.DataFrame(rows, columns=["mechanism", "what", "position", "position_end"])


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
