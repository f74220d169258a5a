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

Calibration: one step-time model for every mode (:mod:`costmodel.serving.calibration`): four parameters,
prefill MFU, decode MFU, decode HBM efficiency (MBU) and a fixed time per forward step, the same for aggregated
and disaggregated rows, fitted by least squares on log(predicted / measured) over every row that can be
estimated. The link efficiency and the overlap stay at their stated assumptions. Judged out of sample:
leave-one-out (each row predicted by a fit without it) and leave-one-curve-out (each published curve, the
points of one sweep, predicted by a fit without any of its points; :mod:`costmodel.serving.curves`). The band:
low and high multiply the base prediction by the 10th and 90th percentiles of the leave-one-curve-out
residuals, so it says how far off an unseen deployment has been, not a fixed ±.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from costmodel.attention import KvDtype
from costmodel.catalog.schema import Catalogue, Measurement
from costmodel.catalog.units import FloatArray
from costmodel.serving import calibration
from costmodel.serving.calibration import DECODE, E2E_AGG, E2E_DISAGG, PARAMETERS, PREFILL, Design
from costmodel.serving.curves import ValidationRow, curve_table, summary
from costmodel.serving.efficiency import LINK_EFFICIENCY_BASE, DeploymentClass, Efficiency
from costmodel.serving.estimate import workpoint_plan
from costmodel.serving.roofline import (
    PREFILL_CHUNK_TOKENS,
    _comm_seconds_per_token,
    collectives_per_step,
    decode_step_times,
    is_rocm,
    prefill_times,
    workpoint,
)
from costmodel.workload.scenario import LayoutChoice, PrecisionPlan

#: MTP acceptance assumed where a source does not state it.
MTP_ACCEPTANCE = 0.7
#: Acceptance a source states: LMSYS's simulated MTP assumed 60 % (docs/sources.md §11 #2, caveat 5).
STATED_ACCEPTANCE = {"lmsys-h100-dsv3-decode-kv4k-simulated-mtp": 0.6}
#: Rows predicted but not fitted: a simulated run (its acceptance is an assumption of the source, not measured).
NOT_FITTED = frozenset({"lmsys-h100-dsv3-decode-kv4k-simulated-mtp"})
#: Curves predicted and counted in every figure but not fitted, because their source says the stack is broken or
#: mis-tuned (the calculator's default is a well-tuned current stack): vLLM 0.16 on MI355X ran a Triton
#: MLA fallback (TPOT flat 152-199 ms, "a software floor"; serving-curves.md C9); the SGLang 0.5.6.post2 Kimi
#: K2.5 recipe on H200 stops rising above concurrency 16 ("saturated or mis-tuned", C13).
NOT_FITTED_CURVES = frozenset(
    {
        "inferencex-mi355x8-kimi-k2.5-mxfp4-vllm016-8k1k",
        "cookbook-h200x8-kimi-k2.5-int4-sglang-1k1k",
        "cookbook-h200x8-kimi-k2.5-int4-sglang-1k8k",
        "cookbook-h200x8-kimi-k2.5-int4-sglang-8k1k",
    }
)
#: Percentiles of the leave-one-curve-out residuals that set the low / high band.
BAND_PERCENTILES = (10.0, 90.0)
#: Batches (sequences per GPU) of the decode grid kept per row for iso-interactivity predictions.
GRID_POINTS = 48
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


def kv_dtype(m: Measurement) -> KvDtype:
    """The KV cache precision a row's source states (``FP8``, ``fp8_e4m3`` → ``fp8``; ``FP16``, ``BF16`` →
    ``bf16``), else the engines' default layout (``deployed``)."""
    text = (m.kv_precision or "").lower()
    if "fp8" in text:
        return "fp8"
    return "bf16" if re.search(r"\b(fp16|bf16)\b", text) else "deployed"


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
        acceptance: MTP acceptance ``A`` (0 without MTP).
        draft_tokens: MTP draft tokens per step ``K`` (0 without MTP).
        dec: decode step (compute, memory, all-to-all, all-reduce) seconds at 100 %.
        pre: one prompt's prefill (compute, memory, all-to-all, all-reduce) GPU-seconds at 100 %.
        pre_steps: prefill chunks (forward steps) per prompt.
        n_prefill: GPUs of the prefill pool (all GPUs when aggregated).
        n_decode: GPUs of the decode pool (all GPUs when aggregated).
        n_total: GPUs of the deployment.
        isl: prompt tokens.
        osl: output tokens.
        kind: row kind of :mod:`costmodel.serving.calibration`.
        scale: the metric's multiplier of the per-GPU figure.
        grid: (batches per GPU, decode compute s, decode memory s) over the batches the memory holds.
        comm_per_token: (all-to-all, all-reduce) seconds per GPU-token at 100 %.
        amd: the GPU runs a ROCm stack (its own fixed step time and per-sequence time).
        collectives_dec: collectives a decode step waits on (``roofline.collectives_per_step``; 0 on one GPU).
        collectives_pre: the same for a prefill chunk.
        tp: attention tensor-parallel group size of the decode instance (1: attention data-parallel).
    """

    row: Measurement
    klass: DeploymentClass
    reason: str
    batch_per_gpu: float = math.nan
    acceptance: float = 0.0
    draft_tokens: int = 0
    dec: tuple[float, float, float, float] = (math.nan,) * 4
    pre: tuple[float, float, float, float] = (math.nan,) * 4
    pre_steps: float = 0.0
    n_prefill: int = 0
    n_decode: int = 0
    n_total: int = 0
    isl: float = math.nan
    osl: float = math.nan
    kind: int = DECODE
    scale: float = 1.0
    grid: tuple[FloatArray, FloatArray, FloatArray] | None = None
    comm_per_token: tuple[float, float] = (0.0, 0.0)
    amd: bool = False
    collectives_dec: int = 0
    collectives_pre: int = 0
    tp: int = 1

    @property
    def gain(self) -> float:
        """``A·K``: extra output tokens per step with MTP."""
        return self.acceptance * self.draft_tokens


def _kind_and_scale(
    m: Measurement, n_p: int, n_d: int, n_total: int, per_node: int, isl: float, osl: float
) -> tuple[int, float]:
    metric = m.metric
    if m.phase == "decode_only":
        per = {"per_decode_gpu": 1, "per_decode_node": per_node, "all_decode_gpus": n_d}
        return DECODE, float(next(v for s, v in per.items() if metric.endswith(s)))
    if m.phase == "prefill_only":
        per = {"per_prefill_gpu": 1, "per_prefill_node": per_node, "all_prefill_gpus": n_p}
        return PREFILL, float(next(v for s, v in per.items() if metric.endswith(s)))
    kind = E2E_DISAGG if m.disaggregated and n_p and n_d else E2E_AGG
    scale = (isl + osl) / osl if metric.startswith("total") else 1.0
    return kind, scale * (n_total if metric.endswith("_all_gpus") and "per_gpu" not in metric else 1.0)


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
    if model.config is None or not model.open_weights:
        why = model.null_reasons.get("config", "closed weights" if not model.open_weights else "")
        return RowWork(
            m,
            klass,
            f"cannot estimate: model {model.id!r} has no published config" + (f": {why}" if why else ""),
        )
    if isl is None or (m.phase == "e2e" and osl is None):
        return RowWork(m, klass, "cannot estimate: the request shape (ISL/OSL) is not published")
    if m.phase == "decode_only" and m.kv_length_tokens is None and m.isl_tokens is None:
        return RowWork(m, klass, "cannot estimate: the KV length is not published")
    n_run = n_d if m.phase != "prefill_only" else n_p
    if not n_run:
        return RowWork(m, klass, "cannot estimate: the GPU count is not published")
    k_draft = (m.mtp_draft_tokens or 1) if m.mtp else 0
    accept = (m.mtp_acceptance or STATED_ACCEPTANCE.get(m.id, MTP_ACCEPTANCE)) if m.mtp else 0.0
    ctx = m.kv_length_tokens or (isl + (osl or 0) / 2.0)
    wp = workpoint(
        model,
        precision_plan(m, (model.weight_precision or {}).get("routed_experts")),
        context_tokens=ctx,
        prompt_tokens=isl,
        max_tokens=ctx if m.phase == "decode_only" else isl + (osl or 0),
        speculative=bool(m.mtp),
        kv_dtype=kv_dtype(m),
    )
    if m.mtp and not wp.profile.speculative:
        k_draft, accept = 0, 0.0  # no MTP layer in the config: an external draft model is not modelled
    layout = attention_layout(m)
    mem = workpoint_plan(wp, gpu, gpus=n_run, layout=layout)
    if not mem.fits:
        return RowWork(m, klass, f"cannot estimate: {mem.reason}")
    tp = mem.tp_size
    held = float(mem.max_seqs_per_gpu) / tp
    if m.batch_per_gpu is not None:
        b = float(m.batch_per_gpu)
    elif m.concurrency is not None:
        b = m.concurrency / max(n_d or n_total, 1)
    else:
        b = held
    b = max(min(b, held), 1.0 / max(n_d or n_total, tp, 1))  # under one sequence per GPU: GPUs idle
    q = 1.0 + k_draft
    b_min = min(b, 1.0 / tp)
    grid_b = np.unique(np.concatenate([np.geomspace(b_min, max(held, b_min), GRID_POINTS), [b]]))
    try:
        a2a_tok, ar_tok = _comm_seconds_per_token(wp.profile, gpu, mem.gpus, tp, _UNIT)
        d = decode_step_times(wp, gpu, mem.gpus, grid_b, _UNIT, tp, draft_tokens=k_draft)
        n_pre = n_p or n_total
        pre_gpus = (
            mem.gpus if m.phase == "prefill_only" or not m.disaggregated else max(min(n_pre, mem.gpus), 1)
        )
        p = prefill_times(wp, gpu, pre_gpus, _UNIT, tp)
    except ValueError as e:
        return RowWork(m, klass, f"cannot estimate: {str(e).removeprefix('cannot estimate: ')}")
    i = int(np.searchsorted(grid_b, b))
    new_tokens = float(wp.prompt_tokens - wp.cached_tokens[0])
    kind, scale = _kind_and_scale(m, n_p, n_d, n_total, gpu.gpus_per_node, float(isl), float(osl or 1.0))
    return RowWork(
        row=m,
        klass=klass,
        reason="",
        batch_per_gpu=b,
        acceptance=accept,
        draft_tokens=k_draft,
        dec=(float(d.compute_s[i]), float(d.memory_s[i]), a2a_tok * b * q, ar_tok * b * q),
        pre=(float(p.compute_s[0]), float(p.memory_s[0]), a2a_tok * new_tokens, ar_tok * new_tokens),
        pre_steps=new_tokens / PREFILL_CHUNK_TOKENS,
        n_prefill=n_p,
        n_decode=n_d,
        n_total=n_total,
        isl=float(isl),
        osl=float(osl) if osl else math.nan,
        kind=kind,
        scale=scale,
        grid=(grid_b, np.asarray(d.compute_s, dtype=np.float64), np.asarray(d.memory_s, dtype=np.float64)),
        comm_per_token=(a2a_tok, ar_tok),
        amd=is_rocm(gpu),
        collectives_dec=collectives_per_step(wp.profile, mem.gpus, tp),
        collectives_pre=collectives_per_step(wp.profile, pre_gpus, tp),
        tp=tp,
    )


def at_batch(w: RowWork, b: float) -> RowWork:
    """``w`` with its decode step at ``b`` sequences per GPU (interpolated on its grid, log-log)."""
    assert w.grid is not None
    gb, gc, gm = w.grid
    lb = math.log(min(max(b, float(gb[0])), float(gb[-1])))
    c = math.exp(float(np.interp(lb, np.log(gb), np.log(gc))))
    mem = math.exp(float(np.interp(lb, np.log(gb), np.log(gm))))
    q = 1.0 + w.draft_tokens
    return replace(w, batch_per_gpu=b, dec=(c, mem, w.comm_per_token[0] * b * q, w.comm_per_token[1] * b * q))


def design(works: Sequence[RowWork]) -> Design:
    """The rows that can be estimated as arrays for :mod:`costmodel.serving.calibration`."""

    def col(f: str) -> FloatArray:
        return np.array([float(getattr(w, f)) for w in works], dtype=np.float64)

    return Design(
        dec=np.array([w.dec for w in works], dtype=np.float64).reshape(-1, 4).T,
        pre=np.array([w.pre for w in works], dtype=np.float64).reshape(-1, 4).T,
        pre_steps=col("pre_steps"),
        batch=col("batch_per_gpu"),
        gain=np.array([w.gain for w in works], dtype=np.float64),
        isl=col("isl"),
        osl=col("osl"),
        kind=col("kind"),
        scale=col("scale"),
        n_prefill=col("n_prefill"),
        n_decode=col("n_decode"),
        n_total=col("n_total"),
        measured=np.array([w.row.measured_value for w in works], dtype=np.float64),
        amd=np.array([1.0 if w.amd else 0.0 for w in works], dtype=np.float64),
        collectives_dec=col("collectives_dec"),
        collectives_pre=col("collectives_pre"),
        group_seqs=col("batch_per_gpu") * col("tp"),
    )


def predict(w: RowWork, x: Sequence[float]) -> float:
    """The row's figure in its own metric with parameters ``x`` (:data:`PARAMETERS`; nan: cannot estimate)."""
    if w.reason:
        return math.nan
    return float(calibration.predict(design([w]), x)[0])


def _fitted(m: Measurement) -> bool:
    return m.id not in NOT_FITTED and (m.curve or m.id) not in NOT_FITTED_CURVES


def tpot_s(w: RowWork, x: Sequence[float]) -> float:
    """Predicted time per output token of ``w`` at its batch, seconds: the decode step (plus, aggregated, each
    step's share of the prefill of the requests replacing finished ones, ``b (1 + A·K) t_p / OSL``) over the
    ``1 + A·K`` tokens a step emits."""
    d = design([w])
    t_d, _, t_p, _ = calibration.rates(d, x)
    share = w.batch_per_gpu * (1.0 + w.gain) * float(t_p[0]) / w.osl if w.kind == E2E_AGG else 0.0
    return (float(t_d[0]) + share) / (1.0 + w.gain)


def _tpot_ms(w: RowWork, x: Sequence[float]) -> float:
    """:func:`tpot_s` in ms; nan for a prefill row or one that cannot be estimated."""
    return math.nan if w.reason or w.kind == PREFILL else tpot_s(w, x) * 1e3


def iso_tpot_prediction(w: RowWork, x: Sequence[float]) -> float:
    """The row's figure predicted at the batch whose predicted TPOT is its measured TPOT (the user's case:
    ``--tpot-ms`` = the measured TPOT); at the smallest batch when even that is slower (a miss, kept), at the
    largest the memory holds when even that is faster. nan when no TPOT is published."""
    m = w.row
    if w.reason or m.tpot_ms_measured is None or m.phase == "prefill_only" or w.grid is None:
        return math.nan
    target = m.tpot_ms_measured / 1e3
    lo, hi = math.log(float(w.grid[0][0])), math.log(float(w.grid[0][-1]))
    if tpot_s(at_batch(w, math.exp(lo)), x) >= target:
        return predict(at_batch(w, math.exp(lo)), x)
    if tpot_s(at_batch(w, math.exp(hi)), x) <= target:
        return predict(at_batch(w, math.exp(hi)), x)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if tpot_s(at_batch(w, math.exp(mid)), x) <= target else (lo, mid)
    return predict(at_batch(w, math.exp(lo)), x)


@dataclass(frozen=True)
class Validation:
    """The suite: rows, the fitted parameters, the band, the summary figures and one line per curve."""

    rows: tuple[ValidationRow, ...]
    factors: dict[str, float]
    band: tuple[float, float]
    summary: dict[str, float | int | str]
    curves: tuple[dict[str, float | int | str], ...] = ()


def curve_of(m: Measurement) -> str:
    """The curve a row belongs to (its own id when it has none)."""
    return m.curve or m.id


def _band(resid: Sequence[float]) -> tuple[float, float]:
    lo, hi = (float(np.exp(np.percentile(list(resid), p))) for p in BAND_PERCENTILES)
    return lo, hi


def validate(catalogue: Catalogue) -> Validation:
    """Predict every measurement; fit the parameters on all of them, each row again without itself, and each
    curve again without any of its points (and at its measured TPOT)."""
    works = [row_work(m, catalogue) for m in catalogue.measurements]
    used = [w for w in works if not w.reason]
    # every fit at once (calibration.fit_many): on all fitted rows, without each row, without each curve
    fitted = [u for u in used if _fitted(u.row)]
    curve_ids = list(dict.fromkeys(curve_of(w.row) for w in used))
    masks = np.array(
        [[True] * len(fitted)]
        + [[u is not w for u in fitted] for w in used]
        + [[curve_of(u.row) != c for u in fitted] for c in curve_ids],
        dtype=bool,
    )
    fits = calibration.fit_many(design(fitted), masks)
    x = tuple(float(v) for v in fits[0])
    loo = {w.row.id: predict(w, fits[1 + k]) for k, w in enumerate(used)}
    loco: dict[str, float] = {}
    iso: dict[str, float] = {}
    tpot_loco: dict[str, float] = {}
    for k, c in enumerate(curve_ids):
        xc = fits[1 + len(used) + k]
        for w in (u for u in used if curve_of(u.row) == c):
            loco[w.row.id] = predict(w, xc)
            iso[w.row.id] = iso_tpot_prediction(w, xc)
            tpot_loco[w.row.id] = _tpot_ms(w, xc)
    resid_loo = {
        k: math.log(next(w for w in used if w.row.id == k).row.measured_value / v) for k, v in loo.items()
    }
    resid = [math.log(w.row.measured_value / loco[w.row.id]) for w in used if _fitted(w.row)]
    lo_q, hi_q = _band(resid)
    rows = []
    for w in works:
        m, base = w.row, predict(w, x)
        low, high = base * lo_q, base * hi_q
        ok = math.isfinite(base)
        inside_loo = None
        if ok:  # the leave-one-out band without this row's own residual, around its leave-one-out prediction
            lo_j, hi_j = _band([r for k, r in resid_loo.items() if k != m.id])
            inside_loo = lo_j * loo[m.id] <= m.measured_value <= hi_j * loo[m.id]
        rows.append(
            ValidationRow(
                id=m.id,
                curve=curve_of(m),
                model=m.model,
                gpu=m.gpu,
                engine=m.engine,
                engine_version=m.engine_version or "",
                as_of=str(m.as_of),
                deployment_class=w.klass,
                metric=m.metric,
                phase=m.phase,
                concurrency=float(m.concurrency or math.nan),
                batch_per_gpu=w.batch_per_gpu,
                tpot_ms_measured=float(m.tpot_ms_measured or math.nan),
                measured=m.measured_value,
                predicted_base=base,
                predicted_low=low,
                predicted_high=high,
                predicted_loo=loo.get(m.id, math.nan),
                predicted_loco=loco.get(m.id, math.nan),
                predicted_iso=iso.get(m.id, math.nan),
                ratio=base / m.measured_value if ok else math.nan,
                inside_band=(low <= m.measured_value <= high) if ok else None,
                inside_band_loo=inside_loo,
                fitted=ok and _fitted(m),
                reason=w.reason,
                source=m.source,
                tpot_ms_predicted=_tpot_ms(w, x) if ok else math.nan,
                tpot_ms_loco=tpot_loco.get(m.id, math.nan),
                per_gpu_divisor=w.scale if ok else math.nan,
            )
        )
    curves = curve_table(rows)
    return Validation(
        tuple(rows), dict(zip(PARAMETERS, x, strict=True)), (lo_q, hi_q), summary(rows, curves), tuple(curves)
    )


#: Columns of :func:`validation_frame`.
VALIDATION_COLUMNS = [
    "id", "curve", "model", "gpu", "engine", "engine_version", "as_of", "deployment_class", "phase", "metric",
    "concurrency", "batch_per_gpu", "tpot_ms_measured", "measured", "predicted_base", "predicted_low",
    "predicted_high", "ratio", "predicted_loo", "predicted_loco", "predicted_iso", "inside_band",
    "inside_band_loo", "fitted", "reason", "source", "tpot_ms_predicted", "tpot_ms_loco", "per_gpu_divisor",
]  # fmt: skip


def validation_frame(v: Validation) -> pd.DataFrame:
    """The rows of ``v`` as a table (:data:`VALIDATION_COLUMNS`; tokens/s in each row's own metric)."""
    return pd.DataFrame(
        [{c: getattr(r, c) for c in VALIDATION_COLUMNS} for r in v.rows], columns=VALIDATION_COLUMNS
    )
