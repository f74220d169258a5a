"""The serving model against published measurements (``data/measurements.yaml``), and its calibration on them.

Every row is predicted **in its own metric** (output or total tokens; per GPU of which pool, or per node, or
for all GPUs; one phase or end to end), from the same roofline as the calculator:

- The work of a row is taken apart once, at 100 % of every peak: per decode step at the row's batch, the
  compute seconds ``C_d``, HBM seconds ``M_d`` and interconnect seconds; per prompt, ``C_p``, ``M_p`` and
  interconnect (:func:`row_work`). The efficiency factors then only divide: ``t = combine(max(C / mfu,
  M / mbu), comm)`` (the all-to-all half hidden, as :data:`~costmodel.serving.efficiency.COMM_OVERLAP_BASE`;
  the attention-TP all-reduce on the critical path).
- Decode rate ``D = b (1 + a) / t_d`` output tokens/s per GPU (``b`` sequences per GPU, ``a`` the MTP
  acceptance); prefill rate ``P = ISL / t_p`` prompt tokens/s per GPU.
- End to end, aggregated (prefill chunks share the decode GPUs): each request costs ``t_p`` GPU-seconds of
  prefill and ``OSL / D`` of decode, so ``output/s/GPU = 1 / (1/D + (ISL/OSL)/P)``. Disaggregated: the pools run
  in parallel and the slower one sets the rate, ``requests/s = min(n_p P / ISL, n_d D / OSL)``.
- The batch: the row's batch per GPU, else its concurrency spread over the (decode) GPUs, else the most the
  memory holds (offline runs); never more than the memory holds.

Calibration: six factors, prefill MFU, decode MFU and HBM efficiency (MBU) for each deployment class
(``aggregated``: prefill and decode on the same GPUs, one node or a few; ``disaggregated``: separate pools with
wide expert parallelism), fitted by least squares on log(predicted / measured) over every row that can be
estimated. The link efficiency and the overlap stay at their stated assumptions. The band: low and high
multiply the base prediction by the 10th and 90th percentiles of the leave-one-out residuals (each row
predicted by a fit without it), so it says how far off an unseen deployment has been, not a fixed ±.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from costmodel.catalog.schema import Catalogue, Measurement
from costmodel.catalog.units import FloatArray
from costmodel.serving.efficiency import (
    COMM_OVERLAP_BASE,
    DEPLOYMENT_CLASSES,
    LINK_EFFICIENCY_BASE,
    DeploymentClass,
    Efficiency,
)
from costmodel.serving.memory import memory_plan
from costmodel.serving.roofline import _comm_seconds_per_token, decode_step_times, prefill_times, workpoint
from costmodel.workload.scenario import LayoutChoice, PrecisionPlan

CLASSES = DEPLOYMENT_CLASSES
#: Factor names in the order of the fitted vector (per class: prefill MFU, decode MFU, MBU).
FACTORS = tuple(f"{k}_{f}" for k in CLASSES for f in ("prefill_mfu", "decode_mfu", "decode_mbu"))
#: MTP acceptance assumed where a source does not state it.
MTP_ACCEPTANCE = 0.7
#: Acceptance a source states: LMSYS's simulated MTP assumed 60 % (docs/sources.md §11 #2, caveat 5).
STATED_ACCEPTANCE = {"lmsys-h100-dsv3-decode-kv4k-simulated-mtp": 0.6}
#: Rows predicted but not fitted: a simulated run (its acceptance is an assumption of the source, not measured).
NOT_FITTED = frozenset({"lmsys-h100-dsv3-decode-kv4k-simulated-mtp"})
#: Factors the data do not identify, held at a stated assumption instead of fitted: the disaggregated rows are
#: compute- or network-bound, so their HBM efficiency is the typical decode-kernel 70 % (docs/calibration.md).
FIXED_FACTORS = {"disaggregated_decode_mbu": 0.70}
#: Percentiles of the leave-one-out residuals that set the low / high band.
BAND_PERCENTILES = (10.0, 90.0)
#: Range searched for every factor: no engine reaches more than 90 % of a peak rate (docs/calibration.md).
FACTOR_MIN, FACTOR_MAX = 0.02, 0.90
_UNIT = Efficiency(1.0, 1.0, 1.0, LINK_EFFICIENCY_BASE, 0.0, 0.0)


def deployment_class(m: Measurement) -> DeploymentClass:
    """``disaggregated`` for prefill/decode-split deployments, else ``aggregated``."""
    return "disaggregated" if m.disaggregated else "aggregated"


def precision_plan(m: Measurement, native_experts: str | None = None) -> PrecisionPlan:
    """The precision plan of a row's checkpoint: FP4 experts (NVFP4 / MXFP4), FP8, or the model's native one
    when the row runs the native checkpoint (``native_experts``: the model's routed-expert precision)."""
    text = m.weight_precision.lower()
    for marker, plan in (("fp4", "fp4"), ("int4", "native"), ("fp8", "fp8")):
        if marker in text:
            return "native" if native_experts == marker else plan  # type: ignore[return-value]
    return "native"


def attention_layout(m: Measurement) -> LayoutChoice:
    """Attention data-parallel unless the row runs attention tensor-parallel (``TP8``, ``TP2`` without DP)."""
    text = (m.parallelism or "").lower()
    if re.search(r"dp[- ]?att|attention[ -]dp|dp attention|-dp |dp \+|\bdp\d", text):
        return "dp"
    return "tp" if re.search(r"\btp\s*=?\s*\d", text) else "dp"


@dataclass(frozen=True)
class RowWork:
    """One row's work at 100 % of every peak (seconds), and how the row counts it.

    Attributes:
        row: the measurement.
        klass: deployment class.
        reason: why the row cannot be estimated ("" when it can).
        batch_per_gpu: decode sequences per GPU used.
        acceptance: MTP acceptance (0 without MTP).
        q: tokens verified per sequence per decode step (2 with MTP).
        dec: decode step (compute, memory, all-to-all, all-reduce) seconds at 100 %.
        pre: one prompt's prefill (compute, memory, all-to-all, all-reduce) GPU-seconds at 100 %.
        n_prefill: GPUs of the prefill pool (all GPUs when aggregated).
        n_decode: GPUs of the decode pool (all GPUs when aggregated).
        n_total: GPUs of the deployment.
        isl: prompt tokens.
        osl: output tokens.
        gpus_per_node: GPUs per node (for per-node metrics).
    """

    row: Measurement
    klass: DeploymentClass
    reason: str
    batch_per_gpu: float = math.nan
    acceptance: float = 0.0
    q: float = 1.0
    dec: tuple[float, float, float, float] = (math.nan,) * 4
    pre: tuple[float, float, float, float] = (math.nan,) * 4
    n_prefill: int = 0
    n_decode: int = 0
    n_total: int = 0
    isl: float = math.nan
    osl: float = math.nan
    gpus_per_node: int = 8


def _split(times: FloatArray, comm_tokens: float, a2a_tok: float, ar_tok: float, i: int = 0) -> tuple[float, ...]:
    return (float(times[0][i]), float(times[1][i]), a2a_tok * comm_tokens, ar_tok * comm_tokens)


def row_work(m: Measurement, catalogue: Catalogue) -> RowWork:
    """Take one row's work apart (module docstring); a row that cannot be estimated says why."""
    klass = deployment_class(m)
    model, gpu = catalogue.model(m.model), catalogue.gpu(m.gpu)
    n_total = m.gpus_total or (m.prefill_gpus or 0) + (m.decode_gpus or 0)
    n_p = m.prefill_gpus or (n_total if m.phase != "decode_only" else 0)
    instance = re.search(r"prefill instances? of (\d+) ranks", m.parallelism or "")
    if m.phase == "prefill_only" and instance:  # prefill runs in small instances (GB200: 2 or 4 ranks)
        n_p = int(instance.group(1))
    n_d = m.decode_gpus or (n_total if m.phase != "prefill_only" else 0)
    isl = m.isl_tokens or m.kv_length_tokens
    osl = m.osl_tokens
    if isl is None or (m.phase == "e2e" and osl is None):
        return RowWork(m, klass, "cannot estimate: the request shape (ISL/OSL) is not published")
    if m.phase == "decode_only" and m.kv_length_tokens is None and m.isl_tokens is None:
        return RowWork(m, klass, "cannot estimate: the KV length is not published")
    n_run = n_d if m.phase != "prefill_only" else n_p
    if not n_run:
        return RowWork(m, klass, "cannot estimate: the GPU count is not published")
    accept = STATED_ACCEPTANCE.get(m.id, MTP_ACCEPTANCE) if m.mtp else 0.0
    ctx = m.kv_length_tokens or (isl + (osl or 0) / 2.0)
    wp = workpoint(
        model,
        precision_plan(m, (model.weight_precision or {}).get("routed_experts")),
        context_tokens=ctx,
        prompt_tokens=isl,
        max_tokens=ctx if m.phase == "decode_only" else isl + (osl or 0),
        speculative=bool(m.mtp),
    )
    layout = attention_layout(m)
    mem = memory_plan(
        wp.profile, gpu, kv_bytes_per_seq=wp.kv_bytes_per_seq, kv_bytes_max_seq=wp.kv_bytes_max_seq,
        gpus=n_run, layout=layout,
    )  # fmt: skip
    if not mem.fits:
        return RowWork(m, klass, f"cannot estimate: {mem.reason}")
    tp = mem.tp_size
    if m.batch_per_gpu is not None:
        b = float(m.batch_per_gpu)
    elif m.concurrency is not None:
        b = m.concurrency / max(n_d or n_total, 1)
    else:
        b = float(mem.max_seqs_per_gpu) / tp
    b = max(min(b, float(mem.max_seqs_per_gpu) / tp), 1.0 / tp)
    q = 2.0 if m.mtp else 1.0
    try:
        a2a_tok, ar_tok = _comm_seconds_per_token(wp.profile, gpu, mem.gpus, tp, _UNIT)
        d = decode_step_times(wp, gpu, mem.gpus, [b], _UNIT, tp)
        n_pre = n_p or n_total
        pre_gpus = mem.gpus if m.phase == "prefill_only" or not m.disaggregated else max(min(n_pre, mem.gpus), 1)
        p = prefill_times(wp, gpu, pre_gpus, _UNIT, tp)
    except ValueError as e:
        return RowWork(m, klass, f"cannot estimate: {str(e).removeprefix('cannot estimate: ')}")
    new_tokens = float(wp.prompt_tokens - wp.cached_tokens[0])
    return RowWork(
        row=m,
        klass=klass,
        reason="",
        batch_per_gpu=b,
        acceptance=accept,
        q=q,
        dec=(float(d.compute_s[0]), float(d.memory_s[0]), a2a_tok * b * q, ar_tok * b * q),
        pre=(float(p.compute_s[0]), float(p.memory_s[0]), a2a_tok * new_tokens, ar_tok * new_tokens),
        n_prefill=n_p,
        n_decode=n_d,
        n_total=n_total,
        isl=float(isl),
        osl=float(osl) if osl else math.nan,
        gpus_per_node=gpu.gpus_per_node,
    )


def _step(work: tuple[float, float, float, float], mfu: float, mbu: float) -> float:
    c, mem, a2a, ar = work
    local = max(c / mfu, mem / mbu)
    return max(local, a2a) + (1.0 - COMM_OVERLAP_BASE) * min(local, a2a) + ar


def predict(w: RowWork, factors: Sequence[float]) -> float:
    """The row's figure in its own metric, with the six factors of :data:`FACTORS` (nan: cannot estimate)."""
    if w.reason:
        return math.nan
    k = CLASSES.index(w.klass) * 3
    pm, dm, mbu = factors[k], factors[k + 1], factors[k + 2]
    decode = w.batch_per_gpu * (1.0 + w.acceptance) / _step(w.dec, dm, mbu)  # output tok/s per GPU
    prefill = w.isl / _step(w.pre, pm, mbu)  # prompt tok/s per GPU
    m = w.row
    metric = m.metric
    if m.phase == "decode_only":
        per = {"per_decode_gpu": 1, "per_decode_node": w.gpus_per_node, "all_decode_gpus": w.n_decode}
        return decode * next(v for s, v in per.items() if metric.endswith(s))
    if m.phase == "prefill_only":
        per = {"per_prefill_gpu": 1, "per_prefill_node": w.gpus_per_node, "all_prefill_gpus": w.n_prefill}
        return prefill * next(v for s, v in per.items() if metric.endswith(s))
    if w.klass == "disaggregated" and w.n_prefill and w.n_decode:
        requests = min(w.n_prefill * prefill / w.isl, w.n_decode * decode / w.osl)
        out_per_gpu = requests * w.osl / w.n_total
    else:
        out_per_gpu = 1.0 / (1.0 / decode + (w.isl / w.osl) / prefill)
    value = out_per_gpu * ((w.isl + w.osl) / w.osl if metric.startswith("total") else 1.0)
    return value * (w.n_total if metric.endswith("_all_gpus") and "per_gpu" not in metric else 1.0)


def _loss(works: Sequence[RowWork], factors: Sequence[float]) -> float:
    r = [math.log(predict(w, factors) / w.row.measured_value) for w in works]
    return float(np.sum(np.square(r)))


def fit(works: Sequence[RowWork], start: Sequence[float] | None = None) -> tuple[float, ...]:
    """Least squares on log(predicted / measured) over ``works`` (rows that can be estimated): coordinate
    descent, a golden-section search per factor on a log scale over [:data:`FACTOR_MIN`, :data:`FACTOR_MAX`],
    until it settles; :data:`FIXED_FACTORS` stay at their assumption, :data:`NOT_FITTED` rows are left out."""
    x = list(start or (0.5, 0.3, 0.7) * len(CLASSES))
    for name, value in FIXED_FACTORS.items():
        x[FACTORS.index(name)] = value
    free = [i for i, name in enumerate(FACTORS) if name not in FIXED_FACTORS]
    used = [w for w in works if not w.reason and w.row.id not in NOT_FITTED]
    g = (math.sqrt(5) - 1) / 2
    for _ in range(8):
        before = list(x)
        for i in free:
            lo, hi = math.log(FACTOR_MIN), math.log(FACTOR_MAX)

            def f(v: float, i: int = i) -> float:
                return _loss(used, [*x[:i], math.exp(v), *x[i + 1 :]])

            a, b = hi - g * (hi - lo), lo + g * (hi - lo)
            fa, fb = f(a), f(b)
            for _ in range(40):
                if fa < fb:
                    hi, b, fb = b, a, fa
                    a = hi - g * (hi - lo)
                    fa = f(a)
                else:
                    lo, a, fa = a, b, fb
                    b = lo + g * (hi - lo)
                    fb = f(b)
            x[i] = math.exp((lo + hi) / 2)
        if max(abs(math.log(p / q)) for p, q in zip(x, before, strict=True)) < 1e-4:
            break
    return tuple(x)


@dataclass(frozen=True)
class ValidationRow:
    """One measurement predicted (module docstring). ``predicted_*`` are nan when it cannot be estimated."""

    id: str
    model: str
    gpu: str
    engine: str
    deployment_class: DeploymentClass
    metric: str
    phase: str
    measured: float
    predicted_base: float
    predicted_low: float
    predicted_high: float
    predicted_loo: float
    ratio: float
    inside_band: bool | None
    inside_band_loo: bool | None
    fitted: bool
    reason: str
    source: str


@dataclass(frozen=True)
class Validation:
    """The suite: rows, the fitted factors, the band, and the summary figures."""

    rows: tuple[ValidationRow, ...]
    factors: dict[str, float]
    band: tuple[float, float]
    summary: dict[str, float | int | str]


def _summary(rows: Sequence[ValidationRow]) -> dict[str, float | int | str]:
    ok = [r for r in rows if math.isfinite(r.predicted_base)]
    err = [abs(r.ratio - 1.0) * 100 for r in ok]
    loo = [abs(r.predicted_loo / r.measured - 1.0) * 100 for r in ok]
    worst = max(ok, key=lambda r: abs(math.log(r.ratio)))
    return {
        "rows": len(rows),
        "rows_estimated": len(ok),
        "rows_not_estimated": len(rows) - len(ok),
        "median_abs_pct_error": float(np.median(err)),
        "loo_median_abs_pct_error": float(np.median(loo)),
        "share_inside_band": float(np.mean([bool(r.inside_band) for r in ok])),
        "loo_share_inside_band": float(np.mean([bool(r.inside_band_loo) for r in ok])),
        "max_ratio": float(max(max(r.ratio, 1.0 / r.ratio) for r in ok)),
        "loo_max_ratio": float(max(max(r.predicted_loo / r.measured, r.measured / r.predicted_loo) for r in ok)),
        "worst_row": worst.id,
        "gpus": ", ".join(sorted({r.gpu for r in rows})),
    }


def validate(catalogue: Catalogue) -> Validation:
    """Predict every measurement, fit the factors on all of them, and each row again without itself."""
    works = [row_work(m, catalogue) for m in catalogue.measurements]
    used = [w for w in works if not w.reason]
    factors = fit(used)
    # leave-one-out: each row predicted by a fit (from the same cold start) without it
    loo = {w.row.id: predict(w, fit([u for u in used if u is not w])) for w in used}
    resid = {w.row.id: math.log(w.row.measured_value / loo[w.row.id]) for w in used}
    lo_q, hi_q = (float(np.exp(np.percentile(list(resid.values()), p))) for p in BAND_PERCENTILES)
    rows = []
    for w in works:
        m, base = w.row, predict(w, factors)
        low, high = base * lo_q, base * hi_q
        ok = math.isfinite(base)
        inside_loo = None
        if ok:  # the band without this row's own residual, around its leave-one-out prediction
            others = [r for k, r in resid.items() if k != m.id]
            lo_j, hi_j = (float(np.exp(np.percentile(others, p))) for p in BAND_PERCENTILES)
            inside_loo = lo_j * loo[m.id] <= m.measured_value <= hi_j * loo[m.id]
        rows.append(
            ValidationRow(
                id=m.id, model=m.model, gpu=m.gpu, engine=m.engine, deployment_class=w.klass, metric=m.metric,
                phase=m.phase, measured=m.measured_value, predicted_base=base, predicted_low=low,
                predicted_high=high, predicted_loo=loo.get(m.id, math.nan),
                ratio=base / m.measured_value if ok else math.nan,
                inside_band=(low <= m.measured_value <= high) if ok else None, inside_band_loo=inside_loo,
                fitted=ok and m.id not in NOT_FITTED, reason=w.reason, source=m.source,
            )
        )
    return Validation(tuple(rows), dict(zip(FACTORS, factors, strict=True)), (lo_q, hi_q), _summary(rows))


def efficiency_of(factors: dict[str, float], klass: DeploymentClass, base: Efficiency) -> Efficiency:
    """``base`` with one class's fitted prefill MFU, decode MFU and MBU."""
    return replace(
        base,
        prefill_mfu=factors[f"{klass}_prefill_mfu"],
        decode_mfu=factors[f"{klass}_decode_mfu"],
        decode_mbu=factors[f"{klass}_decode_mbu"],
    )


#: Columns of :func:`validation_frame`.
VALIDATION_COLUMNS = [
    "id", "model", "gpu", "engine", "deployment_class", "phase", "metric", "measured", "predicted_base",
    "predicted_low", "predicted_high", "ratio", "predicted_loo", "inside_band", "inside_band_loo", "fitted",
    "reason", "source",
]  # fmt: skip


def validation_frame(v: Validation) -> pd.DataFrame:
    """The rows of ``v`` as a table (:data:`VALIDATION_COLUMNS`; tokens/s in each row's own metric)."""
    return pd.DataFrame([{c: getattr(r, c) for c in VALIDATION_COLUMNS} for r in v.rows], columns=VALIDATION_COLUMNS)
