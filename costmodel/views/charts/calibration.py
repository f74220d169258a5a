"""The Methods page's calibration charts (pure functions returning ``alt.Chart``): predicted against measured for
every published serving measurement, and the published serving curves as panels, measured beside predicted. They
draw :func:`costmodel.serving.validation_frame` rows; every axis names its unit, every mark has a tooltip."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd


def validation_chart(df: pd.DataFrame) -> alt.LayerChart:
    """Predicted against measured (log-log), one point per published measurement in its own metric
    (tokens/s), the low-high band as a vertical bar, the y = x line dashed; colour = GPU, shape = engine."""
    ok = df[np.isfinite(pd.to_numeric(df["predicted_base"], errors="coerce"))]
    lo = float(min(ok["measured"].min(), ok["predicted_low"].min()))
    hi = float(max(ok["measured"].max(), ok["predicted_high"].max()))
    diag = pd.DataFrame({"x": [lo * 0.7, hi * 1.4], "y": [lo * 0.7, hi * 1.4]})
    scale = alt.Scale(type="log")
    x = alt.X("measured:Q", title="measured (tokens/s, in each source's metric; log scale)", scale=scale)
    tip = [
        alt.Tooltip("id:N", title="measurement"),
        alt.Tooltip("metric:N"),
        alt.Tooltip("engine:N"),
        alt.Tooltip("measured:Q", title="measured (tok/s)", format=",.0f"),
        alt.Tooltip("predicted_base:Q", title="predicted (tok/s)", format=",.0f"),
        alt.Tooltip("predicted_low:Q", title="band low (tok/s)", format=",.0f"),
        alt.Tooltip("predicted_high:Q", title="band high (tok/s)", format=",.0f"),
        alt.Tooltip("ratio:Q", title="predicted / measured (×)", format=".2f"),
    ]
    band = (
        alt.Chart(ok)
        .mark_rule(opacity=0.45, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("predicted_low:Q", scale=scale),
            y2=alt.Y2("predicted_high:Q"),
            color=alt.Color("gpu:N"),
        )
    )
    points = (
        alt.Chart(ok)
        .mark_point(size=90, filled=True)
        .encode(
            x=x,
            y=alt.Y("predicted_base:Q", title="predicted (tokens/s, same metric; log scale)", scale=scale),
            color=alt.Color("gpu:N", title="GPU"),
            shape=alt.Shape("engine:N", title="engine"),
            tooltip=tip,
        )
    )
    line = alt.Chart(diag).mark_line(strokeDash=[4, 4], color="gray").encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
    return alt.LayerChart(
        layer=[line, band, points], title="Predicted vs measured (dashed: equal; bars: the low-high band)"
    )


#: The series of the curve panels: the published points, the fitted model, the model fitted without the curve.
CURVE_SERIES = ("measured", "model (fitted on all rows)", "model (fitted without this curve)")


def curve_points_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The curve panels' points, long form: per published point of a curve (a curve id with at least two points
    that publish a TPOT and can be estimated), its measured figure and the two predictions, each at its own TPOT:
    ``curve, series, concurrency, tokens_per_s_per_user`` (1000 / TPOT ms) and ``tokens_per_s_per_gpu`` (the
    row's figure ÷ ``per_gpu_divisor``: output tokens per second per GPU, input tokens for prefill rows), with the
    point's ``engine_version`` and ``as_of`` (the software and its date, shown on hover)."""
    ok = df[
        df["curve"].ne(df["id"])
        & np.isfinite(pd.to_numeric(df["tpot_ms_measured"], errors="coerce"))
        & np.isfinite(pd.to_numeric(df["predicted_base"], errors="coerce"))
    ]
    ok = ok[ok.groupby("curve")["id"].transform("size") >= 2]
    parts = []
    for series, value, tpot in zip(
        CURVE_SERIES,
        ("measured", "predicted_base", "predicted_loco"),
        ("tpot_ms_measured", "tpot_ms_predicted", "tpot_ms_loco"),
        strict=True,
    ):
        parts.append(
            pd.DataFrame(
                {
                    "curve": ok["curve"],
                    "gpu": ok["gpu"],
                    "engine": ok["engine"],
                    "engine_version": ok["engine_version"],
                    "as_of": ok["as_of"],
                    "series": series,
                    "concurrency": ok["concurrency"],
                    "tpot_ms": ok[tpot].astype(float),
                    "tokens_per_s_per_user": 1000.0 / ok[tpot].astype(float),
                    "tokens_per_s_per_gpu": ok[value].astype(float) / ok["per_gpu_divisor"].astype(float),
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    keep = np.isfinite(out["tokens_per_s_per_user"]) & np.isfinite(out["tokens_per_s_per_gpu"])
    kept: pd.DataFrame = out.loc[keep].reset_index(drop=True)
    return kept


def serving_curves_chart(points: pd.DataFrame, columns: int = 4) -> alt.FacetChart:
    """One panel per published serving curve (:func:`curve_points_frame`): throughput per GPU against
    interactivity (tokens/s per user = 1000 / TPOT), measured and predicted side by side, each point at the
    concurrency it was published for; each panel on its own scales."""
    tip = [
        alt.Tooltip("curve:N"),
        alt.Tooltip("series:N"),
        alt.Tooltip("engine:N"),
        alt.Tooltip("engine_version:N", title="engine version"),
        alt.Tooltip("as_of:N", title="measured on (software date)"),
        alt.Tooltip("concurrency:Q", title="concurrency (sequences)", format=",.0f"),
        alt.Tooltip("tpot_ms:Q", title="TPOT (ms)", format=",.1f"),
        alt.Tooltip("tokens_per_s_per_user:Q", title="tok/s per user", format=",.1f"),
        alt.Tooltip("tokens_per_s_per_gpu:Q", title="tok/s per GPU", format=",.0f"),
    ]
    base = (
        alt.Chart(points)
        .mark_line(point=True)
        .encode(
            x=alt.X("tokens_per_s_per_user:Q", title="interactivity (tok/s per user = 1000 / TPOT ms)"),
            y=alt.Y("tokens_per_s_per_gpu:Q", title="throughput (output tok/s per GPU)"),
            color=alt.Color(
                "series:N",
                sort=list(CURVE_SERIES),
                legend=alt.Legend(title=None, orient="top", direction="horizontal", labelLimit=320),
                scale=alt.Scale(domain=list(CURVE_SERIES)),
            ),
            strokeDash=alt.condition(
                alt.datum.series == CURVE_SERIES[0], alt.value([1, 0]), alt.value([4, 3])
            ),
            order=alt.Order("concurrency:Q"),
            tooltip=tip,
        )
        .properties(width=230, height=170)
    )
    chart: alt.FacetChart = (
        base.facet(
            facet=alt.Facet("curve:N", title=None, header=alt.Header(labelLimit=260, labelFontSize=10)),
            columns=columns,
        )
        .resolve_scale(x="independent", y="independent")
        .properties(
            title="Published serving curves: measured (solid) and predicted (dashed), per GPU against per user"
        )
    )
    return chart
