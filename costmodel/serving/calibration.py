"""Calibration of the efficiency factors on the LMSYS DeepSeek-V3 measurement (docs/calibration.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from costmodel.catalog.schema import Gpu, Model
from costmodel.serving.efficiency import EFFICIENCY, Efficiency
from costmodel.serving.estimate import estimate
from costmodel.serving.roofline import prefill_times, workpoint

# ---- calibration on LMSYS (docs/sources.md §10) -------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One published throughput figure.

    Attributes:
        name: label.
        phase: prefill | decode.
        gpus: deployment size.
        prompt_tokens: prompt length (prefill), tokens.
        context_tokens: KV length (decode), tokens.
        batch_per_gpu: decode batch per GPU.
        tokens_per_s_per_node: the published figure (input tokens for prefill, output for decode).
        mtp: speculative decoding with MTP (the simulated-MTP run).
    """

    name: str
    phase: Literal["prefill", "decode"]
    gpus: int
    prompt_tokens: int
    context_tokens: int
    batch_per_gpu: int
    tokens_per_s_per_node: float
    mtp: bool = False


#: LMSYS 2025-05-05, DeepSeek-V3 FP8 on nodes of 8 × H100 (docs/sources.md §10). 1K = 1,024 tokens.
LMSYS_MEASUREMENTS: tuple[Measurement, ...] = (
    Measurement("prefill 1K, EP32", "prefill", 32, 1024, 1024, 0, 57_674),
    Measurement("prefill 2K, EP32", "prefill", 32, 2048, 2048, 0, 54_543),
    Measurement("prefill 4K, EP32", "prefill", 32, 4096, 4096, 0, 50_302),
    Measurement("decode b256 KV2000, EP72", "decode", 72, 2000, 2000, 256, 22_282),
)
#: Out-of-sample check (not fitted): simulated MTP, batch 128 per GPU, KV 4,000; acceptance not published.
LMSYS_MTP = Measurement("decode MTP b128 KV4000, EP72", "decode", 72, 4000, 4000, 128, 17_373, mtp=True)


def predict_measurement(
    m: Measurement, model: Model, gpu: Gpu, eff: Efficiency, mtp_acceptance: float = 0.7
) -> float:
    """Predicted tokens/s per node (8 GPUs) for a published measurement, at the given efficiency."""
    wp = workpoint(
        model, "native", context_tokens=m.context_tokens, prompt_tokens=m.prompt_tokens, speculative=m.mtp
    )
    if m.phase == "prefill":
        t = prefill_times(wp, gpu, m.gpus, eff)  # attention data-parallel, as LMSYS ran it
        return float(m.prompt_tokens / t.total_s[0]) * gpu.gpus_per_node
    est = estimate(
        wp,
        gpu,
        gpus=m.gpus,
        efficiency=eff,
        decode_batch_per_gpu=m.batch_per_gpu,
        mtp_acceptance=mtp_acceptance,
        layout="dp",  # LMSYS ran DP attention (docs/sources.md §10): the calibration keeps that layout
    )
    return est.decode_tokens_per_s_per_gpu * gpu.gpus_per_node


def _solve(f: Callable[[float], float], target: float) -> float:
    """Bisection on a scale in (0, 1] such that the increasing function ``f(scale)`` equals ``target``."""
    lo, hi = 1e-3, 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def fit_lmsys(model: Model, gpu: Gpu) -> dict[str, float]:
    """Fit the base efficiency factors on :data:`LMSYS_MEASUREMENTS` (link efficiency and overlap fixed).

    Returns:
        ``prefill_mfu`` (geometric mean of the per-point fits), ``prefill_mfu_min``/``_max`` and
        ``decode_mfu`` (reproducing the decode point; MBU fixed at :data:`DECODE_MBU_BASE`).
    """
    base = EFFICIENCY["base"]

    def fit(m: Measurement, factor: str) -> float:
        """The value of ``factor`` (the other factors at base) whose prediction reproduces ``m``."""
        return _solve(
            lambda s: predict_measurement(m, model, gpu, replace(base, **{factor: s})),
            m.tokens_per_s_per_node,
        )

    mfus = [fit(m, "prefill_mfu") for m in LMSYS_MEASUREMENTS if m.phase == "prefill"]
    s_dec = fit(next(m for m in LMSYS_MEASUREMENTS if m.phase == "decode"), "decode_mfu")
    return {
        "prefill_mfu": float(np.exp(np.mean(np.log(mfus)))),
        "prefill_mfu_min": min(mfus),
        "prefill_mfu_max": max(mfus),
        "decode_mfu": s_dec,
    }


def calibration_frame(
    model: Model, gpu: Gpu, levels: Sequence[str] = ("low", "base", "high", "floor")
) -> pd.DataFrame:
    """Predicted against measured throughput for every published measurement the serving model is checked on.

    Columns: ``measurement``, ``phase``, ``fitted`` (False = out-of-sample check), ``efficiency``,
    ``measured_tokens_per_s_per_node``, ``predicted_tokens_per_s_per_node``, ``ratio`` (predicted / measured).
    """
    rows = []
    checks = [(m, True) for m in LMSYS_MEASUREMENTS] + [(LMSYS_MTP, False)]
    for m, fitted in checks:
        for level in levels:
            pred = predict_measurement(m, model, gpu, EFFICIENCY[level])  # type: ignore[index]
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
