"""Decide under uncertainty: a tornado of the verdict and a Monte Carlo of every option's monthly cost.

The verdict is the monthly saving of the cheapest self-hosting option against the cheapest API option,
``min(API) − min(self-host)`` in USD/month (positive: self-hosting is cheaper).

Uncertain inputs and their distributions (:class:`UncertaintyRanges` holds the widths; every one can be set to
zero). ``tri(a, m, b)`` is the triangular distribution with ends ``a``, ``b`` and mode ``m`` (the scenario's
own value), so a range of zero width gives back the deterministic figure exactly.

- **Efficiency** (engine maturity): the level low / base / high of :mod:`costmodel.serving.efficiency`, whose
  band ``BAND_LOW``/``BAND_HIGH`` is the P10/P90 of measured / predicted over the calibration's leave-one-out
  predictions. Drawn as the three-point Swanson approximation of that distribution: P10, P50, P90 with weights
  0.3, 0.4, 0.3, one draw shared by every self-hosting option (one engine).
- **Rental price**: per GPU type, ``exp(tri(log lo, log p, log hi))`` where ``p`` is the option's price and
  ``lo``/``hi`` the cheapest and dearest catalogue rental rows of that GPU (every basis). Where the catalogue
  has a single row, ``p × (1 ∓ rental_fallback_pct %)`` (an assumption, labelled so). A price the user typed
  has no range. One quantile per GPU type, shared by the options on that GPU (one market).
- **Cache-hit share**: ``tri(h − pp, h, h + pp)`` clipped to [0, 1], rounded to the 201-point grid of
  :data:`~costmodel.serving.CACHE_HIT_GRID` (steps of 0.005), where every self-hosting cost is tabulated.
- **Volume**: requests/day × ``tri(1 − v, 1, 1 + v)``.
- **Output length**: the three points ``o (1 − p)``, ``o``, ``o (1 + p)`` (rounded to whole tokens) with
  Swanson weights: a longer output changes the memory plan and the batch, so each point is a full
  :func:`~costmodel.evaluate.evaluation.evaluate` (three in all, whatever the number of draws).
- **Overhead**: ``tri(max(0, ovh − pp), ovh, ovh + pp)`` percent on top of the GPU hours.

Structure used (no evaluate() per draw): per (output point, efficiency level, attention layout), the GPU-seconds
per request of every self-hosting option at the workload's cache-hit share and at every point of the cache-hit
grid are held by the Evaluation (:class:`~costmodel.serving.option.PerRequestTable`); a draw's cost is
the fleet arithmetic of :func:`~costmodel.serving.fleet.fleet_cost` on those (whole deployments, always-on or
hour by hour, disaggregated pools), linear in the rental price and in (1 + overhead), the cheaper layout taken,
as evaluate() does. API bills are :func:`~costmodel.pricing.bill.bill_arrays` over the drawn volume, cache-hit share
and output. Tests hold each draw equal to evaluate() of the scenario the draw describes
(:func:`scenario_for_draw`).

A request mix (``Scenario.classes``) moves as a whole: the volume multiple scales every class, each output point
scales every class's output tokens (rounded per class), and the cache-hit share is a shift ``tri(−pp, 0, +pp)``
added to every class's own share (each clipped to [0, 1], rounded to the grid). Its self-hosting draws read the
per-class tables (:attr:`~costmodel.serving.option.OptionEvaluation.per_class`) and size one shared fleet on the
classes' summed work hour by hour (:func:`~costmodel.serving.option.class_need`); its API bills are the sums of the
classes' bills (:func:`~costmodel.pricing.mix_bill.mix_api_bill`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import FloatArray
from costmodel.evaluate.evaluation import Evaluation, evaluate
from costmodel.pricing.bill import ApiBill, api_bill
from costmodel.pricing.mix_bill import combined_bill
from costmodel.serving import CACHE_HIT_GRID
from costmodel.serving.efficiency import EfficiencyLevel
from costmodel.serving.option import OptionEvaluation, PerRequestTable, evaluate_option
from costmodel.workload.mix import with_classes
from costmodel.workload.scenario import ApiOption, Scenario
from costmodel.workload.traffic import hourly_requests_utc

DEFAULT_DRAWS = 10_000
#: More draws than this are refused (memory: the autoscaled fleets hold draws × 168 hours).
MAX_DRAWS = 200_000
#: Swanson's rule: P10, P50, P90 weighted 0.3, 0.4, 0.3 approximate a distribution's mean and spread.
SWANSON_WEIGHTS = (0.3, 0.4, 0.3)
_LEVELS: tuple[EfficiencyLevel, ...] = ("low", "base", "high")
#: Break-even hops per draw before giving up (the exact search of :mod:`costmodel.evaluate.breakeven` caps at 20,000;
#: draws not settled within this many hops get no break-even, and the count is reported).
MAX_BREAK_EVEN_HOPS = 500
#: The break-even distribution is computed over the first this-many draws (independent draws: a random subsample;
#: the hop search is the slowest part of the Monte Carlo).
BREAK_EVEN_DRAWS = 2_000

InputName = Literal["efficiency", "rental", "cache_hit", "volume", "output", "overhead"]
INPUTS: tuple[InputName, ...] = ("efficiency", "rental", "cache_hit", "volume", "output", "overhead")
INPUT_LABELS: dict[InputName, str] = {
    "efficiency": "Serving efficiency (calibration band P10–P90)",
    "rental": "GPU rental price (catalogue range)",
    "cache_hit": "Cache-hit share",
    "volume": "Requests per day",
    "output": "Output tokens per request",
    "overhead": "Overhead on GPU hours",
}


class UncertaintyError(ValueError):
    """Bad uncertainty settings (draws, seed, ranges); the message is one line."""


class UncertaintyRanges(BaseModel):
    """How far each uncertain input may move (module docstring for the distributions). Zero = fixed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    efficiency_band: bool = True
    """Draw the efficiency level from the calibration band (False: the scenario's level only)."""
    rental_range: bool = True
    """Draw each GPU's rental price from its catalogue range (False: the option's price only)."""
    rental_fallback_pct: float = Field(default=25.0, ge=0, le=90, allow_inf_nan=False)
    """± percent around the price where the catalogue has one row for the GPU (an assumption)."""
    cache_hit_pp: float = Field(default=10.0, ge=0, le=100, allow_inf_nan=False)
    """± percentage points of cache-hit share."""
    volume_pct: float = Field(default=30.0, ge=0, le=95, allow_inf_nan=False)
    """± percent of requests per day."""
    output_pct: float = Field(default=25.0, ge=0, le=95, allow_inf_nan=False)
    """± percent of output tokens per request."""
    overhead_pp: float = Field(default=20.0, ge=0, le=1000, allow_inf_nan=False)
    """± percentage points of overhead on GPU hours (the low end is never below 0)."""

    @classmethod
    def zero(cls) -> UncertaintyRanges:
        """Every range of zero width: the Monte Carlo gives back the deterministic figures."""
        return cls(
            efficiency_band=False,
            rental_range=False,
            rental_fallback_pct=0,
            cache_hit_pp=0,
            volume_pct=0,
            output_pct=0,
            overhead_pp=0,
        )


# ---- the model of one scenario, tabulated ------------------------------------------------------------------


@dataclass(frozen=True)
class _SelfHost:
    label: str
    gpu: str
    price_usd_per_gpu_hour: float
    price_lo: float
    price_hi: float
    price_range_note: str
    mode: str
    disaggregated: bool
    #: [output point][level] -> tables of the layouts (empty: not costed)
    tables: tuple[dict[EfficiencyLevel, tuple[PerRequestTable, ...]], ...]
    #: a request mix: [output point][level] -> per layout, one table per class (as ``tables``; empty: one class)
    class_tables: tuple[dict[EfficiencyLevel, tuple[tuple[PerRequestTable, ...], ...]], ...] = ()
    #: a stated disaggregated split: GPUs of one prefill pool (None: pools of the deployment's size)
    prefill_gpus: int | None = None


@dataclass(frozen=True)
class _Api:
    label: str
    evaluation_index: int


@dataclass(frozen=True)
class _Model:
    scenario: Scenario
    evaluations: tuple[_Variant, ...]  # output points low, base, high (the same object when not moved)
    output_tokens: tuple[int, ...]
    hourly: FloatArray
    hourly_max: float
    hourly_unique: FloatArray
    hourly_counts: FloatArray
    self_host: tuple[_SelfHost, ...]
    api: tuple[_Api, ...]
    cache_hit_lo: float
    cache_hit_hi: float
    volume_lo: float
    volume_hi: float
    overhead_lo: float
    overhead_hi: float
    ranges: UncertaintyRanges
    notes: tuple[str, ...]
    #: the output point moves (the three points are not one scenario)
    output_moves: bool = False
    #: a request mix (empty: one class): each class's own cache-hit share, and the distinct rows of the classes'
    #: requests per UTC hour, shape (rows, classes), with how many of the week's 168 hours have each row
    class_hits: tuple[float, ...] = ()
    class_hourly: FloatArray = field(default_factory=lambda: np.empty((0, 0)))
    class_hour_counts: FloatArray = field(default_factory=lambda: np.empty(0))

    @property
    def is_mix(self) -> bool:
        return bool(self.class_hits)


def _tri_inv(
    u: FloatArray, a: float | FloatArray, m: float | FloatArray, b: float | FloatArray
) -> FloatArray:
    """Inverse CDF of the triangular distribution ``tri(a, m, b)`` at ``u`` (``a == b``: the constant ``a``)."""
    a_, m_, b_ = (np.asarray(x, dtype=np.float64) for x in (a, m, b))
    width = b_ - a_
    left = m_ - a_
    c = np.divide(left, width, out=np.zeros_like(width * u), where=width > 0)
    lo = a_ + np.sqrt(np.maximum(u * width * left, 0.0))
    hi = b_ - np.sqrt(np.maximum((1.0 - u) * width * (b_ - m_), 0.0))
    out = np.where(u < c, lo, hi)
    # the mode exactly at u = c, and a zero-width range exactly its value (no rounding through sqrt)
    return np.where(width > 0, out, a_ + 0.0 * u)


def _rental_range(
    option_price: float,
    gpu: str,
    custom: bool,
    catalogue: Catalogue,
    r: UncertaintyRanges,
    owned: bool = False,
) -> tuple[float, float, str]:
    if owned:
        return option_price, option_price, "fixed (owned servers: no rental range)"
    if not r.rental_range or custom or not math.isfinite(option_price):
        return option_price, option_price, "fixed" if not custom else "fixed (your price)"
    rows = [x.usd_per_gpu_hour for x in catalogue.rentals if x.gpu == gpu]
    lo, hi = min([option_price, *rows]), max([option_price, *rows])
    if lo < hi:
        ids = ", ".join(x.id for x in catalogue.rentals if x.gpu == gpu)
        return lo, hi, f"catalogue rows of {gpu}: {ids}"
    f = r.rental_fallback_pct / 100.0
    return (
        option_price * (1 - f),
        option_price * (1 + f),
        (f"assumption: ±{r.rental_fallback_pct:g}% (the catalogue has one price for {gpu})"),
    )


def _output_points(o: int, pct: float) -> tuple[int, int, int]:
    return (round(o * (1 - pct / 100.0)), o, round(o * (1 + pct / 100.0)))


def _with_output(s: Scenario, o: int) -> Scenario:
    return s.model_copy(update={"workload": s.workload.model_copy(update={"output_tokens": o})})


def _with_class_outputs(s: Scenario, k: int, pct: float) -> Scenario:
    """A mix with every class's output tokens at its output point ``k`` (0 low, 1 own, 2 high; rounded)."""

    classes = tuple(
        c.model_copy(
            update={
                "workload": c.workload.model_copy(
                    update={"output_tokens": _output_points(c.workload.output_tokens, pct)[k]}
                )
            }
        )
        for c in s.classes
    )
    return s if classes == s.classes else with_classes(s, classes)


@dataclass(frozen=True)
class _Variant:
    """What the draws read of one evaluation: the scenario, the API bills and the self-hosting evaluations."""

    scenario: Scenario
    bills: tuple[ApiBill, ...]
    self_host: tuple[OptionEvaluation, ...]
    #: a request mix: per API option, each class's bill (empty: one class)
    class_bills: tuple[tuple[ApiBill, ...], ...] = ()


def _variant_of(ev: Evaluation) -> _Variant:
    return _Variant(
        ev.scenario,
        tuple(r.bill for r in ev.api),
        tuple(r.evaluation for r in ev.self_host),
        tuple(tuple(b for _, b in r.per_class) for r in ev.api) if ev.scenario.classes else (),
    )


def _window(h: float, pp: float, h_hi: float | None = None) -> tuple[int, int]:
    """Indices ``[j0, j1]`` of the cache-hit grid points a draw within ``h − pp … h_hi + pp`` can round to
    (``h_hi`` None: ``h``)."""
    g = CACHE_HIT_GRID.size - 1
    lo, hi = max(0.0, h - pp), min(1.0, (h if h_hi is None else h_hi) + pp)
    return int(np.rint(lo * g)), int(np.rint(hi * g))


def _pad(t: PerRequestTable, j0: int) -> PerRequestTable:
    """A table over grid points ``j0..`` as one over the whole grid (nan where never read)."""
    full = CACHE_HIT_GRID.size + 1
    pf, dc = np.full(full, np.nan), np.full(full, np.nan)
    pf[0], dc[0] = t.prefill_gpu_s[0], t.decode_gpu_s[0]
    m = t.prefill_gpu_s.size - 1
    pf[1 + j0 : 1 + j0 + m], dc[1 + j0 : 1 + j0 + m] = t.prefill_gpu_s[1:], t.decode_gpu_s[1:]
    return PerRequestTable(t.deployment_gpus, pf, dc, t.grid_feasible)


def _variant(s: Scenario, catalogue: Catalogue, pp: float, priced: tuple[ApiOption, ...]) -> _Variant:
    """evaluate() without the volume curves and break-even searches, which the draws do not read, and with the
    cache-hit grid only where the draws can fall (``h ± pp``). Only the API options the base evaluation priced
    (``priced``: an option dated before its first price is left out there) are billed, in its order."""
    mix = s.class_workloads()
    hits = [c.cache_hit_fraction for _, c in mix] or [s.workload.cache_hit_fraction]
    j0, j1 = _window(min(hits), pp, max(hits))
    grid = CACHE_HIT_GRID[j0 : j1 + 1] if s.api_options and pp > 0 else None
    evs = []
    for o in s.self_host_options:
        e = evaluate_option(
            o, s.workload, s.assumptions, catalogue, cache_hit_fractions=grid, levels=_LEVELS, classes=mix
        )
        if grid is not None:
            e = replace(
                e,
                per_request={lv: tuple(_pad(t, j0) for t in ts) for lv, ts in e.per_request.items()},
                per_class={
                    lv: tuple(tuple(_pad(t, j0) for t in ts) for ts in layouts)
                    for lv, layouts in e.per_class.items()
                },
            )
        evs.append(e)
    if mix:  # each class billed as its own workload (costmodel.pricing.mix_bill.mix_api_bill)
        class_bills = tuple(tuple(api_bill(o, c, catalogue, s.as_of) for _, c in mix) for o in priced)
        return _Variant(s, tuple(combined_bill(tuple(zip([n for n, _ in mix], b, strict=True))) for b in class_bills),
                        tuple(evs), class_bills)  # fmt: skip
    return _Variant(s, tuple(api_bill(o, s.workload, catalogue, s.as_of) for o in priced), tuple(evs))


def _build(
    scenario: Scenario, catalogue: Catalogue, ranges: UncertaintyRanges, base: Evaluation | None
) -> _Model:
    ev0 = base if base is not None else evaluate(scenario, catalogue)
    w, a = scenario.workload, scenario.assumptions
    v0 = _variant_of(ev0)
    priced = tuple(r.option for r in ev0.api)
    pp = ranges.cache_hit_pp / 100.0
    if scenario.classes:  # every class's output tokens move by the same percentage
        at = [_with_class_outputs(scenario, k, ranges.output_pct) for k in range(3)]
        evs = tuple(v0 if x is scenario else _variant(x, catalogue, pp, priced) for x in at)
        outs = tuple(x.workload.output_tokens for x in at)
        output_moves = any(x is not scenario for x in at)
    else:
        outs = _output_points(w.output_tokens, ranges.output_pct)
        evs = tuple(
            v0 if o == w.output_tokens else _variant(_with_output(scenario, o), catalogue, pp, priced)
            for o in outs
        )
        output_moves = len(set(outs)) > 1
    notes: list[str] = []
    sh = []
    for i, r in enumerate(ev0.self_host):
        p0 = r.evaluation.usd_per_gpu_hour
        lo, hi, note = _rental_range(
            p0,
            r.option.gpu,
            r.option.usd_per_gpu_hour is not None,
            catalogue,
            ranges,
            owned=r.option.acquisition == "buy" and r.option.rental_id is None,
        )
        tables = []
        class_tables = []
        for ev in evs:
            e = ev.self_host[i]
            tables.append({lv: (() if e.reason else e.per_request.get(lv) or ()) for lv in _LEVELS})
            if scenario.classes:
                class_tables.append({lv: (() if e.reason else e.per_class.get(lv) or ()) for lv in _LEVELS})
        if (
            any(not t.grid_feasible for tb in tables for ts in tb.values() for t in ts)
            and ranges.cache_hit_pp > 0
        ):
            notes.append(
                f"{r.label}: costed at the workload's own cache-hit share in every draw ("
                + (
                    "its cost over the cache-hit grid is not feasible everywhere, e.g. a TTFT target missed at "
                    "some shares)"
                    if scenario.api_options
                    else "with no API option the cache-hit grid is not tabulated)"
                )
            )
        sh.append(
            _SelfHost(
                r.label,
                r.option.gpu,
                p0,
                lo,
                hi,
                note,
                r.option.mode,
                r.option.disaggregated,
                tuple(tables),
                tuple(class_tables),
                r.option.prefill_gpus,
            )
        )
    api = tuple(_Api(x.option.option_id, j) for j, x in enumerate(ev0.api))
    h = w.cache_hit_fraction
    hourly = np.asarray(hourly_requests_utc(w), dtype=np.float64)
    uniq, counts = np.unique(hourly, return_counts=True)
    mix = scenario.class_workloads()
    class_hourly, class_counts = np.empty((0, 0)), np.empty(0)
    if mix:  # the hours with the same requests of every class need the same fleet: each distinct row once
        by_hour = np.stack(
            [np.asarray(hourly_requests_utc(c), dtype=np.float64).reshape(-1) for _, c in mix], axis=1
        )
        rows, n_rows = np.unique(by_hour, axis=0, return_counts=True)
        class_hourly, class_counts = rows, n_rows.astype(np.float64)
    return _Model(
        scenario=scenario,
        evaluations=evs,
        output_tokens=outs,
        hourly=hourly,
        hourly_max=float(hourly.max()),
        hourly_unique=uniq,
        hourly_counts=counts.astype(np.float64),
        self_host=tuple(sh),
        api=api,
        cache_hit_lo=max(0.0, h - pp),
        cache_hit_hi=min(1.0, h + pp),
        volume_lo=1.0 - ranges.volume_pct / 100.0,
        volume_hi=1.0 + ranges.volume_pct / 100.0,
        overhead_lo=max(0.0, a.overhead_pct - ranges.overhead_pp),
        overhead_hi=a.overhead_pct + ranges.overhead_pp,
        ranges=ranges,
        notes=tuple(notes),
        output_moves=output_moves,
        class_hits=tuple(c.cache_hit_fraction for _, c in mix),
        class_hourly=class_hourly,
        class_hour_counts=class_counts,
    )
