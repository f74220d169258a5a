"""Efficiency factors: the fractions of peak compute, HBM bandwidth and link rate a serving engine reaches,
per level (low / base / high, and ``floor`` = 100 %), calibrated as :mod:`costmodel.serving.calibration` says."""

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


#: Assumptions the LMSYS measurement does not identify (docs/calibration.md): decode kernels reach 70 % of
#: peak HBM bandwidth, the all-to-all 80 % of the link rate, and half of it is hidden under compute/memory
#: (SGLang runs two-batch overlap).
DECODE_MBU_BASE = 0.70
LINK_EFFICIENCY_BASE = 0.80
COMM_OVERLAP_BASE = 0.5
#: Fitted by :func:`fit_lmsys` on LMSYS 2025-05-05 (docs/sources.md §10), rounded: prefill MFU = geometric mean of the
#: values that reproduce the three prefill points; decode MFU reproduces the decode point.
PREFILL_MFU_BASE = 0.54
DECODE_MFU_BASE = 0.25
#: The band: low = base factors × 0.6 with no overlap (an engine without large-scale EP tuning);
#: high = base × 1.3 (links 0.9, overlap 0.8): a better-tuned engine or a newer release.
BAND_LOW, BAND_HIGH = 0.6, 1.3


def _level(scale: float, link: float, overlap: float) -> Efficiency:
    return Efficiency(
        prefill_mfu=min(PREFILL_MFU_BASE * scale, 1.0),
        decode_mfu=min(DECODE_MFU_BASE * scale, 1.0),
        decode_mbu=min(DECODE_MBU_BASE * scale, 1.0),
        link_efficiency=min(link, 1.0),
        comm_overlap=overlap,
    )


#: Efficiency levels: ``floor`` is 100 % of every peak with full overlap (the physical floor of the cost).
EFFICIENCY: dict[EfficiencyLevel, Efficiency] = {
    "low": _level(BAND_LOW, LINK_EFFICIENCY_BASE * BAND_LOW, 0.0),
    "base": _level(1.0, LINK_EFFICIENCY_BASE, COMM_OVERLAP_BASE),
    "high": _level(BAND_HIGH, LINK_EFFICIENCY_BASE * BAND_HIGH, 0.8),
    "floor": Efficiency(1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
}
