"""The step-time model's eight parameters fitted on the published measurements, vectorised over rows.

Each row's work is taken apart once at 100 % of every peak (:class:`costmodel.serving.validation.RowWork`);
a parameter vector ``x = (prefill MFU, decode MFU, decode MBU, fixed step time in ms on CUDA and on ROCm, the
latency in us of one collective, the per-sequence time in us of a decode step on CUDA and on ROCm)`` then gives, per row, with ``t0``
the row's fixed step time (its stack's, plus the latency of each collective its step waits on: two all-reduces
per layer under attention TP, the dispatch and combine of every MoE layer under attention DP, none on one GPU),

- decode step ``t_d = combine(max(C_d / mfu_d, M_d / mbu), A2A) + AR + t0 + t_seq · b · tp`` seconds, rate
  ``D = b (1 + A·K) / t_d`` output tokens/s per GPU (``b`` sequences per GPU, ``tp`` the attention group whose
  ``b · tp`` sequences one scheduler handles, ``K`` MTP draft tokens, ``A`` their acceptance);
- prefill ``t_p = combine(max(C_p / mfu_p, M_p / mbu), A2A) + AR + t0 · chunks`` GPU-seconds per prompt, rate
  ``P = ISL / t_p``;
- the row's metric from ``D`` and ``P`` (aggregated end to end: ``1 / (1/D + (ISL/OSL)/P)``; disaggregated:
  the slower pool, ``min(n_p P / ISL, n_d D / OSL) · OSL / n``), the same parameters for both modes.

The fit minimises the sum of squared log(predicted / measured) by coordinate descent, a golden-section search
per parameter on a log scale inside its physical range (:data:`PARAMETER_RANGES`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from costmodel.catalog.units import FloatArray
from costmodel.serving.efficiency import COMM_OVERLAP_BASE

#: Parameter names in the order of the fitted vector.
PARAMETERS = (
    "prefill_mfu", "decode_mfu", "decode_mbu", "step_floor_ms", "step_floor_ms_amd", "collective_us", "sequence_us",
    "sequence_us_amd",
)  # fmt: skip
#: Physical range searched for each parameter (docs/calibration.md): a tuned prefill GEMM reaches 30-70 % of
#: the dense tensor peak; decode GEMMs at small tokens per expert 10-60 % (searched 5-80 %, the range declared
#: with the step-time model; the fit sits at its upper bound, docs/calibration.md); decode kernels stream HBM at
#: 60-90 % of peak (weight streaming is a large sequential read); a forward step on one GPU costs 0.2-20 ms of
#: kernel launches (graph replay), sampling and scheduling on CUDA stacks, and more on ROCm stacks (HIP graphs),
#: searched up to 40 ms; each collective of a step over several GPUs adds 5-250 us (its launch and
#: synchronisation latency, a one-shot NVLink all-reduce at the low end, an RDMA all-to-all at the high end, each
#: waiting for the slowest rank); and each sequence of an attention
#: group costs its scheduler 1-500 us of a decode step (batch assembly, paged-KV metadata, sampling and stop
#: checks in the engine's host loop, serial with the GPU work, and the fixed per-sequence part of the decode
#: attention kernels), searched up to 1,000 us on ROCm stacks (which pay more per sequence in the data; younger
#: attention kernels and metadata builders, AITER / Triton, are the hypothesis, not measured).
PARAMETER_RANGES: dict[str, tuple[float, float]] = {
    "prefill_mfu": (0.10, 0.80),
    "decode_mfu": (0.05, 0.80),
    "decode_mbu": (0.60, 0.90),
    "step_floor_ms": (0.2, 20.0),
    "step_floor_ms_amd": (1.0, 40.0),
    "collective_us": (5.0, 250.0),
    "sequence_us": (1.0, 500.0),
    "sequence_us_amd": (1.0, 1000.0),
}
#: Row kinds of the design.
DECODE, PREFILL, E2E_DISAGG, E2E_AGG = 0, 1, 2, 3


@dataclass(frozen=True)
class Design:
    """The rows' work as arrays (one element per row), seconds at 100 % of every peak."""

    dec: FloatArray  # (4, n): compute, memory, all-to-all, all-reduce of one decode step
    pre: FloatArray  # (4, n): the same for one prompt's prefill (GPU-seconds)
    pre_steps: FloatArray  # prefill chunks per prompt
    batch: FloatArray  # sequences per GPU
    gain: FloatArray  # A·K: extra tokens per step with MTP
    isl: FloatArray
    osl: FloatArray
    kind: FloatArray
    scale: FloatArray  # the metric's multiplier (per node, all GPUs, total tokens)
    n_prefill: FloatArray
    n_decode: FloatArray
    n_total: FloatArray
    measured: FloatArray
    amd: FloatArray  # 1 on AMD GPUs (ROCm stacks: their own fixed step time and per-sequence time), else 0
    collectives_dec: (
        FloatArray  # collectives a decode step waits on (0 on one GPU; roofline.collectives_per_step)
    )
    collectives_pre: FloatArray  # the same for a prefill chunk
    group_seqs: FloatArray  # sequences of the decode attention group (batch per GPU × attention TP size)


def _step(
    work: FloatArray, mfu: float | FloatArray, mbu: float | FloatArray, floor_s: FloatArray
) -> FloatArray:
    c, mem, a2a, ar = work
    local = np.maximum(c / mfu, mem / mbu)
    out: FloatArray = (
        np.maximum(local, a2a) + (1.0 - COMM_OVERLAP_BASE) * np.minimum(local, a2a) + ar + floor_s
    )
    return out


def rates(
    d: Design, x: Sequence[float | FloatArray]
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(decode step s, decode rate tok/s/GPU, prefill GPU-s per prompt, prefill rate tok/s/GPU) per row."""
    pm, dm, mbu, t0_ms, t0_amd_ms, coll_us, seq_us, seq_amd_us = x
    t0 = np.where(d.amd > 0, t0_amd_ms, t0_ms) / 1e3
    t_seq = np.where(d.amd > 0, seq_amd_us, seq_us) / 1e6
    t_d = _step(d.dec, dm, mbu, t0 + d.collectives_dec * coll_us / 1e6 + d.group_seqs * t_seq)
    t_p = _step(d.pre, pm, mbu, (t0 + d.collectives_pre * coll_us / 1e6) * d.pre_steps)
    return t_d, d.batch * (1.0 + d.gain) / t_d, t_p, d.isl / t_p


def metric(d: Design, decode: FloatArray, prefill: FloatArray) -> FloatArray:
    """Each row's figure in its own metric from its decode and prefill rates."""
    with np.errstate(divide="ignore", invalid="ignore"):
        disagg = np.minimum(d.n_prefill * prefill / d.isl, d.n_decode * decode / d.osl) * d.osl / d.n_total
        agg = 1.0 / (1.0 / decode + (d.isl / d.osl) / prefill)
    # nested where, not np.select: the same element picked, without select's per-call broadcasting (the fit
    # calls this some 100,000 times)
    out = np.where(
        d.kind == DECODE,
        decode,
        np.where(d.kind == PREFILL, prefill, np.where(d.kind == E2E_DISAGG, disagg, agg)),
    )
    result: FloatArray = out * d.scale
    return result


def predict(d: Design, x: Sequence[float | FloatArray]) -> FloatArray:
    """Predicted figure of every row of ``d`` with parameters ``x``."""
    _, dec, _, pre = rates(d, x)
    return metric(d, dec, pre)


def subset(d: Design, index: FloatArray | Sequence[int]) -> Design:
    """The rows ``index`` of ``d``."""
    i = np.asarray(index, dtype=int)
    return Design(**{k: (v[:, i] if v.ndim == 2 else v[i]) for k, v in vars(d).items()})


#: Where every search starts (each parameter inside its range).
START = (0.4, 0.3, 0.7, 5.0, 10.0, 40.0, 50.0, 50.0)


def fit_many(d: Design, masks: npt.NDArray[np.bool_]) -> FloatArray:
    """Least squares on log(predicted / measured), each parameter inside its range, on each row subset of ``d``
    (``masks``: one boolean row per fit, ``(F, n)``), all fits at once: vectorised over them, so the
    leave-one-out and leave-one-curve-out fits cost about what one fit costs. Returns the ``(F, P)`` parameters.

    Coordinate descent: per sweep each parameter in turn is set by a golden-section search of the loss on a log
    scale inside its range (40 steps); a fit stops when no parameter moved by more than 1e-4 (in log) over a
    sweep, at most 12 sweeps."""
    m = np.asarray(masks, dtype=bool)
    n_fits = m.shape[0]
    x = np.tile(np.asarray(START, dtype=np.float64), (n_fits, 1))
    if d.measured.size == 0:  # nothing to fit: where the search starts
        return x
    logm = np.log(d.measured)

    def loss(v: FloatArray) -> FloatArray:  # v: (F, P) -> (F,); rows outside a fit's subset count 0
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(m, np.log(predict(d, [v[:, j : j + 1] for j in range(v.shape[1])])) - logm, 0.0)
        out: FloatArray = np.sum(np.square(r), axis=1)
        return out

    g = (math.sqrt(5) - 1) / 2
    active = np.ones(n_fits, dtype=bool)
    for _ in range(12):
        before = x.copy()
        for i, name in enumerate(PARAMETERS):
            lo_r, hi_r = (math.log(v) for v in PARAMETER_RANGES[name])
            lo, hi = np.full(n_fits, lo_r), np.full(n_fits, hi_r)

            def f(v: FloatArray, i: int = i) -> FloatArray:
                trial = x.copy()
                trial[:, i] = np.exp(v)
                return loss(trial)

            a, b = hi - g * (hi - lo), lo + g * (hi - lo)
            fa, fb = f(a), f(b)
            for _ in range(40):
                left = fa < fb  # the minimum is in [lo, b]: b becomes the new a's partner
                hi = np.where(left, b, hi)
                lo = np.where(left, lo, a)
                new_a = hi - g * (hi - lo)
                new_b = lo + g * (hi - lo)
                a, b = np.where(left, new_a, b), np.where(left, a, new_b)
                fnew = f(np.where(left, a, b))
                fa, fb = np.where(left, fnew, fb), np.where(left, fa, fnew)
            x[:, i] = np.where(active, np.exp((lo + hi) / 2), x[:, i])
        moved = np.max(np.abs(np.log(x / before)), axis=1)
        active &= moved >= 1e-4
        if not active.any():
            break
    return x
