"""Efficiency of the one step-time model: the fractions of peak compute and HBM bandwidth a serving engine
reaches, the link efficiency, and a fixed time per forward step, at a level (low / base / high, and ``floor``
= 100 % of every peak with no fixed step time), fitted on the published measurements as
:mod:`costmodel.serving.validation` says.

The same parameters hold for every deployment mode: ``aggregated`` (prefill chunks share the decode steps) and
``disaggregated`` (separate prefill and decode pools) differ only by that sharing, which the estimate computes;
no factor depends on the mode label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EfficiencyLevel = Literal["low", "base", "high", "floor"]
EFFICIENCY_LEVELS: tuple[EfficiencyLevel, ...] = ("low", "base", "high", "floor")


@dataclass(frozen=True)
class Efficiency:
    """Fractions of peak achieved (they multiply the peak rates of the roofline) and the fixed step time.

    Attributes:
        prefill_mfu: prefill compute / peak tensor FLOP/s.
        decode_mfu: decode compute / peak tensor FLOP/s.
        decode_mbu: achieved / peak HBM bandwidth (decode, and the small prefill memory term).
        link_efficiency: achieved / peak scale-up and scale-out bandwidth for the expert all-to-all.
        comm_overlap: fraction of the all-to-all hidden under compute and memory time (0 = serial, 1 = hidden).
        allreduce_overlap: fraction of the attention-TP all-reduce hidden (0: on the critical path).
        step_floor_s: fixed seconds per forward step on one GPU (kernel launches, sampling, scheduling),
            added to every decode step and to every prefill chunk; with the collectives' latency
            (``collective_s``), the batch-1 floor of the step (CUDA stacks).
        step_floor_s_amd: the same on AMD GPUs (ROCm stacks).
        collective_s: fixed seconds each collective of a step over more than one GPU adds (its latency and the
            wait for the slowest rank: the per-layer all-reduces under attention TP, the all-to-alls of every
            MoE layer under attention DP; :func:`costmodel.serving.roofline.collectives_per_step`).
        sequence_s: seconds a decode step adds per sequence of the attention group (``batch × tp``; one
            scheduler drives the group): the engine's per-sequence work of every step (batch assembly, paged-KV
            metadata, sampling, stop checks), serial with the GPU work, and the fixed per-sequence part of the
            decode attention kernels (CUDA stacks).
        sequence_s_amd: the same on AMD GPUs (ROCm stacks).
    """

    prefill_mfu: float
    decode_mfu: float
    decode_mbu: float
    link_efficiency: float
    comm_overlap: float
    allreduce_overlap: float = 0.0
    step_floor_s: float = 0.0
    step_floor_s_amd: float = 0.0
    collective_s: float = 0.0
    sequence_s: float = 0.0
    sequence_s_amd: float = 0.0


#: Assumptions the measurements do not identify (docs/calibration.md): the all-to-all reaches 80 % of the link
#: rate, and half of it is hidden under compute/memory (engines run two-batch overlap).
LINK_EFFICIENCY_BASE = 0.80
COMM_OVERLAP_BASE = 0.5

#: ``aggregated``: prefill and decode on the same GPUs (chunked prefill shares the decode steps);
#: ``disaggregated``: separate prefill and decode pools. The mode changes only that sharing, not a factor.
DeploymentClass = Literal["aggregated", "disaggregated"]
DEPLOYMENT_CLASSES: tuple[DeploymentClass, ...] = ("aggregated", "disaggregated")

#: Deployments above this many GPUs default to the disaggregated mode (published aggregated runs are one node).
AGGREGATED_MAX_GPUS = 8


def default_deployment_class(gpus: int) -> DeploymentClass:
    """What a team with ``gpus`` GPUs per deployment runs: aggregated on one node, disaggregated beyond."""
    return "aggregated" if gpus <= AGGREGATED_MAX_GPUS else "disaggregated"


#: The eight parameters of the step-time model, fitted by :func:`costmodel.serving.validation.validate` on the
#: fitted rows of data/measurements.yaml (least squares on log predicted / measured, each inside its physical
#: range, :data:`costmodel.serving.calibration.PARAMETER_RANGES`), rounded; tests/unit/test_validation.py holds
#: the fit to these. The same values for aggregated and disaggregated serving.
FITTED: dict[str, float] = {
    "prefill_mfu": 0.37,
    "decode_mfu": 0.80,
    "decode_mbu": 0.70,
    "step_floor_ms": 2.00,
    "step_floor_ms_amd": 16.7,
    "collective_us": 52.9,
    "sequence_us": 67.2,
    "sequence_us_amd": 277.9,
}
#: The band: the 10th and 90th percentiles of measured / predicted over the leave-one-curve-out predictions
#: (each curve predicted by a fit without any of its points), applied to every factor.
BAND_LOW, BAND_HIGH = 0.62, 1.63


def fitted_efficiency(values: dict[str, float], scale: float = 1.0) -> Efficiency:
    """The efficiency of fitted ``values`` (:data:`FITTED`'s keys), rates × ``scale`` (≤ 100 %) and the fixed
    step time ÷ ``scale`` (a slower engine has both lower rates and more overhead)."""
    return Efficiency(
        prefill_mfu=min(values["prefill_mfu"] * scale, 1.0),
        decode_mfu=min(values["decode_mfu"] * scale, 1.0),
        decode_mbu=min(values["decode_mbu"] * scale, 1.0),
        link_efficiency=LINK_EFFICIENCY_BASE,
        comm_overlap=COMM_OVERLAP_BASE,
        step_floor_s=values["step_floor_ms"] / 1e3 / scale,
        step_floor_s_amd=values["step_floor_ms_amd"] / 1e3 / scale,
        collective_s=values["collective_us"] / 1e6 / scale,
        sequence_s=values["sequence_us"] / 1e6 / scale,
        sequence_s_amd=values["sequence_us_amd"] / 1e6 / scale,
    )


#: Efficiency levels: ``floor`` is 100 % of every peak with full overlap and no fixed step time (the physical
#: floor of the cost).
EFFICIENCY: dict[EfficiencyLevel, Efficiency] = {
    "low": fitted_efficiency(FITTED, BAND_LOW),
    "base": fitted_efficiency(FITTED),
    "high": fitted_efficiency(FITTED, BAND_HIGH),
    "floor": Efficiency(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0),
}
#: The same levels for every deployment mode (kept keyed by mode for callers that pick by mode).
EFFICIENCY_BY_CLASS: dict[DeploymentClass, dict[EfficiencyLevel, Efficiency]] = {
    k: EFFICIENCY for k in DEPLOYMENT_CLASSES
}
