"""The validation judged curve by curve: leave-one-curve-out error, error by concurrency band, each curve's tilt,
and iso-interactivity error (:func:`costmodel.serving.validation.validate` computes the predictions).

A curve's **tilt** is its predicted / measured ratio at its highest concurrency over that at its lowest, or the
inverse, whichever is ≥ 1 (1 = the model follows the curve's shape; in-sample parameters). Concurrency bands are
by decode sequences per GPU: under 1, 1-4, 4-16, over 16.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from costmodel.serving.efficiency import DeploymentClass


@dataclass(frozen=True)
class ValidationRow:
    """One measurement predicted (module docstring). ``predicted_*`` are nan when it cannot be estimated.

    ``predicted_loo``: by a fit without this row; ``predicted_loco``: by a fit without any point of its curve;
    ``predicted_iso``: by that same fit at the batch whose predicted TPOT is the measured one (nan when no TPOT
    is published); ``batch_per_gpu``: the decode sequences per GPU of the point; ``tpot_ms_predicted`` /
    ``tpot_ms_loco``: the TPOT the fit / the fit without its curve predicts at that batch (nan for prefill rows);
    ``per_gpu_divisor``: what turns the row's figure (measured or predicted) into tokens of its phase per second
    per GPU (output tokens; input tokens for prefill rows): the curve panels' y axis.
    """

    id: str
    curve: str
    model: str
    gpu: str
    engine: str
    engine_version: str
    as_of: str
    deployment_class: DeploymentClass
    metric: str
    phase: str
    concurrency: float
    batch_per_gpu: float
    tpot_ms_measured: float
    measured: float
    predicted_base: float
    predicted_low: float
    predicted_high: float
    predicted_loo: float
    predicted_loco: float
    predicted_iso: float
    ratio: float
    inside_band: bool | None
    inside_band_loo: bool | None
    fitted: bool
    reason: str
    source: str
    tpot_ms_predicted: float = math.nan
    tpot_ms_loco: float = math.nan
    per_gpu_divisor: float = math.nan


#: Concurrency bands: (label, lower, upper) sequences per GPU.
CONCURRENCY_BANDS = (
    ("under_1", 0.0, 1.0),
    ("1_4", 1.0, 4.0),
    ("4_16", 4.0, 16.0),
    ("over_16", 16.0, math.inf),
)


def _err(pred: float, measured: float) -> float:
    return abs(pred / measured - 1.0) * 100.0


def curve_table(rows: Sequence[ValidationRow]) -> list[dict[str, float | int | str]]:
    """One line per curve of two or more estimated points: points, leave-one-curve-out median |error| %, tilt,
    and the ratios at the lowest and highest concurrency (in-sample)."""
    out: list[dict[str, float | int | str]] = []
    for c in dict.fromkeys(r.curve for r in rows):
        pts = [r for r in rows if r.curve == c and math.isfinite(r.predicted_base)]
        if len(pts) < 2:
            continue
        pts.sort(key=lambda r: (r.batch_per_gpu, r.id))
        lo, hi = pts[0].ratio, pts[-1].ratio
        tilt = max(hi / lo, lo / hi)
        out.append(
            {
                "curve": c,
                "model": pts[0].model,
                "gpu": pts[0].gpu,
                "engine": f"{pts[0].engine} {pts[0].engine_version}".strip(),
                "as_of": pts[0].as_of,
                "points": len(pts),
                "loco_median_abs_pct_error": float(
                    np.median([_err(r.predicted_loco, r.measured) for r in pts])
                ),
                "ratio_lowest_concurrency": lo,
                "ratio_highest_concurrency": hi,
                "tilt": tilt,
            }
        )
    return out


def summary(
    rows: Sequence[ValidationRow], curves: Sequence[dict[str, float | int | str]]
) -> dict[str, float | int | str]:
    """The suite's figures: in sample, leave-one-out, leave-one-curve-out, band shares, by concurrency band,
    iso-interactivity, and the worst curve tilt."""
    ok = [r for r in rows if math.isfinite(r.predicted_base)]
    err = [_err(r.predicted_base, r.measured) for r in ok]
    loo = [_err(r.predicted_loo, r.measured) for r in ok]
    loco = [_err(r.predicted_loco, r.measured) for r in ok]
    iso = [_err(r.predicted_iso, r.measured) for r in ok if math.isfinite(r.predicted_iso)]
    worst = max(ok, key=lambda r: abs(math.log(r.ratio)))
    worst_curve = max(curves, key=lambda c: float(c["tilt"])) if curves else None
    out: dict[str, float | int | str] = {
        "rows": len(rows),
        "rows_estimated": len(ok),
        "rows_not_estimated": len(rows) - len(ok),
        "median_abs_pct_error": float(np.median(err)),
        "loo_median_abs_pct_error": float(np.median(loo)),
        "loco_median_abs_pct_error": float(np.median(loco)),
        "share_inside_band": float(np.mean([bool(r.inside_band) for r in ok])),
        "loo_share_inside_band": float(np.mean([bool(r.inside_band_loo) for r in ok])),
        "max_ratio": float(max(max(r.ratio, 1.0 / r.ratio) for r in ok)),
        "loo_max_ratio": float(
            max(max(r.predicted_loo / r.measured, r.measured / r.predicted_loo) for r in ok)
        ),
        "loco_max_ratio": float(
            max(max(r.predicted_loco / r.measured, r.measured / r.predicted_loco) for r in ok)
        ),
        "worst_row": worst.id,
        "curves": len(curves),
        "curve_points": int(sum(int(c["points"]) for c in curves)),
        "worst_curve_tilt": float(worst_curve["tilt"]) if worst_curve else 1.0,
        "worst_curve": str(worst_curve["curve"]) if worst_curve else "",
        "iso_tpot_points": len(iso),
        "iso_tpot_median_abs_pct_error": float(np.median(iso)) if iso else math.nan,
        "gpus": ", ".join(sorted({r.gpu for r in rows})),
    }
    for label, lo, hi in CONCURRENCY_BANDS:
        band = [_err(r.predicted_loco, r.measured) for r in ok if lo <= r.batch_per_gpu < hi]
        out[f"loco_median_abs_pct_error_batch_{label}"] = float(np.median(band)) if band else math.nan
        out[f"points_batch_{label}"] = len(band)
    return out
