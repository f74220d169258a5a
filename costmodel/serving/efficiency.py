"""Efficiency factors: the fractions of peak compute, HBM bandwidth and link rate a serving engine reaches, per
deployment class and level (low / base / high, and ``floor`` = 100 %), fitted on the published measurements as
:mod:`costmodel.serving.validation` says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EfficiencyLevel = Literal["low", "base", "high", "floor"]
EFFICIENCY_LEVELS: tuple[EfficiencyLevel, ...] = ("low", "base", "high", "floor")

@dataclass(frozen=True)
class Efficiency:
    """Fractions of peak achieved; multiply the peak rates of the roofline.

    Attributes:
        prefill_mfu: prefill compute / peak tensor FLOP/s.
        decode_mfu: decode compute / peak tensor FLOP/s.
        decode_mbu: achieved / peak HBM bandwidth (decode, and the small prefill memory term).
        link_efficiency: achieved / peak scale-up and scale-out bandwidth for the expert all-to-all.
        comm_overlap: fraction of the all-to-all hidden under compute and memory time (0 = serial, 1 = hidden).
        allreduce_overlap: fraction of the attention-TP all-reduce hidden (0: on the critical path).
    """

    prefill_mfu: float
    decode_mfu: float
    decode_mbu: float
    link_efficiency: float
    comm_overlap: float
    allreduce_overlap: float = 0.0


#: Assumptions the measurements do not identify (docs/calibration.md): the all-to-all reaches 80 % of the link
#: rate, and half of it is hidden under compute/memory (engines run two-batch overlap).
LINK_EFFICIENCY_BASE = 0.80
COMM_OVERLAP_BASE = 0.5

#: ``aggregated``: prefill and decode on the same GPUs (chunked prefill; one node or a few, what a team with a
#: handful of GPUs runs); ``disaggregated``: separate prefill and decode pools with wide expert parallelism.
DeploymentClass = Literal["aggregated", "disaggregated"]
DEPLOYMENT_CLASSES: tuple[DeploymentClass, ...] = ("aggregated", "disaggregated")

#: Deployments above this many GPUs default to the disaggregated class (published aggregated runs are one node).
AGGREGATED_MAX_GPUS = 8


def default_deployment_class(gpus: int) -> DeploymentClass:
    """What a team with ``gpus`` GPUs per deployment runs: aggregated on one node, disaggregated beyond."""
    return "aggregated" if gpus <= AGGREGATED_MAX_GPUS else "disaggregated"


#: (prefill MFU, decode MFU, decode MBU) per class, fitted by :func:`costmodel.serving.validation.validate` on
#: the 29 fitted rows of data/measurements.yaml (least squares on log predicted / measured), rounded to two
#: decimals; tests/unit/test_validation.py holds the fit to these. The disaggregated MBU is not identified by
#: the data (those rows are compute- or network-bound) and is held at the typical decode-kernel 70 %.
FITTED: dict[DeploymentClass, tuple[float, float, float]] = {
    "aggregated": (0.28, 0.21, 0.22),
    "disaggregated": (0.40, 0.33, 0.70),
}
#: The band: the 10th and 90th percentiles of measured / predicted over the leave-one-out predictions of the
#: same suite (each row predicted by a fit without it), applied to every factor.
BAND_LOW, BAND_HIGH = 0.63, 1.70


def _level(klass: DeploymentClass, scale: float) -> Efficiency:
    pm, dm, mbu = FITTED[klass]
    return Efficiency(
        prefill_mfu=min(pm * scale, 1.0),
        decode_mfu=min(dm * scale, 1.0),
        decode_mbu=min(mbu * scale, 1.0),
        link_efficiency=LINK_EFFICIENCY_BASE,
        comm_overlap=COMM_OVERLAP_BASE,
    )


#: Efficiency levels per deployment class: ``floor`` is 100 % of every peak with full overlap (the physical
#: floor of the cost).
EFFICIENCY_BY_CLASS: dict[DeploymentClass, dict[EfficiencyLevel, Efficiency]] = {
    k: {
        "low": _level(k, BAND_LOW),
        "base": _level(k, 1.0),
        "high": _level(k, BAND_HIGH),
        "floor": Efficiency(1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    }
    for k in DEPLOYMENT_CLASSES
}
#: The aggregated levels (the default deployment class).
EFFICIENCY: dict[EfficiencyLevel, Efficiency] = EFFICIENCY_BY_CLASS["aggregated"]
