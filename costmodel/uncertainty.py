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
  :func:`~costmodel.compare.evaluate` (three in all, whatever the number of draws).
- **Overhead**: ``tri(max(0, ovh − pp), ovh, ovh + pp)`` percent on top of the GPU hours.

Structure used (no evaluate() per draw): per (output point, efficiency level, attention layout), the GPU-seconds
per request of every self-hosting option at the workload's cache-hit share and at every point of the cache-hit
grid are held by the Evaluation (:class:`~costmodel.serving.option.PerRequestTable`); a draw's cost is
the fleet arithmetic of :func:`~costmodel.serving.fleet.fleet_cost` on those (whole deployments, always-on or
hour by hour, disaggregated pools), linear in the rental price and in (1 + overhead), the cheaper layout taken,
as evaluate() does. API bills are :func:`~costmodel.pricing.bill_arrays` over the drawn volume, cache-hit share
and output. Tests hold each draw equal to evaluate() of the scenario the draw describes
(:func:`scenario_for_draw`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from costmodel.breakeven import X_MAX, X_MIN
from costmodel.catalog.schema import Catalogue
from costmodel.compare import Evaluation, evaluate
from costmodel.pricing import ApiBill, api_bill, bill_arrays
from costmodel.scenario import ApiOption, Scenario
from costmodel.serving import CACHE_HIT_GRID
from costmodel.serving.efficiency import BAND_HIGH, BAND_LOW, EfficiencyLevel
from costmodel.serving.option import OptionEvaluation, PerRequestTable, evaluate_option
from costmodel.traffic import hourly_requests_utc
from costmodel.units import FloatArray

__all__ = [
    "DEFAULT_DRAWS",
    "MAX_DRAWS",
    "SWANSON_WEIGHTS",
    "TornadoBar",
    "UncertaintyError",
    "UncertaintyRanges",
    "UncertaintyResult",
    "add_to_text",
    "break_even_quantiles",
    "break_even_sentence",
    "monte_carlo",
    "scenario_for_draw",
    "tornado",
    "tornado_frame",
    "uncertainty_columns",
    "uncertainty_markdown",
    "uncertainty_summary",
    "verdict_of",
    "with_uncertainty",
]

DEFAULT_DRAWS = 10_000
#: More draws than this are refused (memory: the autoscaled fleets hold draws × 168 hours).
MAX_DRAWS = 200_000
#: Swanson's rule: P10, P50, P90 weighted 0.3, 0.4, 0.3 approximate a distribution's mean and spread.
SWANSON_WEIGHTS = (0.3, 0.4, 0.3)
_LEVELS: tuple[EfficiencyLevel, ...] = ("low", "base", "high")
#: Break-even hops per draw before giving up (the exact search of :mod:`costmodel.breakeven` caps at 20,000;
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


@dataclass(frozen=True)
class _Variant:
    """What the draws read of one evaluation: the scenario, the API bills and the self-hosting evaluations."""

    scenario: Scenario
    bills: tuple[ApiBill, ...]
    self_host: tuple[OptionEvaluation, ...]


def _variant_of(ev: Evaluation) -> _Variant:
    return _Variant(ev.scenario, tuple(r.bill for r in ev.api), tuple(r.evaluation for r in ev.self_host))


def _window(h: float, pp: float) -> tuple[int, int]:
    """Indices ``[j0, j1]`` of the cache-hit grid points a draw within ``h ± pp`` can round to."""
    g = CACHE_HIT_GRID.size - 1
    lo, hi = max(0.0, h - pp), min(1.0, h + pp)
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
    j0, j1 = _window(s.workload.cache_hit_fraction, pp)
    grid = CACHE_HIT_GRID[j0 : j1 + 1] if s.api_options and pp > 0 else None
    evs = []
    for o in s.self_host_options:
        e = evaluate_option(o, s.workload, s.assumptions, catalogue, cache_hit_fractions=grid, levels=_LEVELS)
        if grid is not None:
            e = replace(
                e, per_request={lv: tuple(_pad(t, j0) for t in ts) for lv, ts in e.per_request.items()}
            )
        evs.append(e)
    return _Variant(s, tuple(api_bill(o, s.workload, catalogue, s.as_of) for o in priced), tuple(evs))


def _build(
    scenario: Scenario, catalogue: Catalogue, ranges: UncertaintyRanges, base: Evaluation | None
) -> _Model:
    ev0 = base if base is not None else evaluate(scenario, catalogue)
    w, a = scenario.workload, scenario.assumptions
    outs = _output_points(w.output_tokens, ranges.output_pct)
    v0 = _variant_of(ev0)
    priced = tuple(r.option for r in ev0.api)
    pp = ranges.cache_hit_pp / 100.0
    evs = tuple(
        v0 if o == w.output_tokens else _variant(_with_output(scenario, o), catalogue, pp, priced)
        for o in outs
    )
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
        for ev in evs:
            e = ev.self_host[i]
            tables.append({lv: (() if e.reason else e.per_request.get(lv) or ()) for lv in _LEVELS})
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
                r.label, r.option.gpu, p0, lo, hi, note, r.option.mode, r.option.disaggregated, tuple(tables)
            )
        )
    api = tuple(_Api(x.option.option_id, j) for j, x in enumerate(ev0.api))
    h = w.cache_hit_fraction
    hourly = np.asarray(hourly_requests_utc(w), dtype=np.float64)
    uniq, counts = np.unique(hourly, return_counts=True)
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
    )


# ---- inputs of a batch of draws, and their costs -----------------------------------------------------------


@dataclass(frozen=True)
class Draws:
    """Inputs of a batch of draws (arrays over draws).

    Attributes:
        level: efficiency level index (0 low, 1 base, 2 high).
        output: output point index (0 low, 1 the scenario's, 2 high).
        cache_index: 0 = the workload's own cache-hit share, k ≥ 1 = ``CACHE_HIT_GRID[k - 1]``.
        volume: multiple of the scenario's requests per day.
        overhead_pct: overhead on GPU hours, percent.
        price: rental price per self-hosting option, USD per GPU-hour, shape (options, draws).
    """

    level: npt.NDArray[np.int64]
    output: npt.NDArray[np.int64]
    cache_index: npt.NDArray[np.int64]
    volume: FloatArray
    overhead_pct: FloatArray
    price: FloatArray

    def take(self, idx: npt.NDArray[np.intp]) -> Draws:
        return Draws(
            self.level[idx], self.output[idx], self.cache_index[idx], self.volume[idx], self.overhead_pct[idx],
            self.price[:, idx],
        )  # fmt: skip

    @property
    def size(self) -> int:
        return int(self.volume.size)


def _cache_value(m: _Model, idx: npt.NDArray[np.int64]) -> FloatArray:
    own = m.scenario.workload.cache_hit_fraction
    return np.where(idx == 0, own, CACHE_HIT_GRID[np.maximum(idx - 1, 0)])


@dataclass(frozen=True)
class _Slot:
    """One attention layout of one self-hosting option, per draw (the layout of the draw's output point and
    efficiency level, in this slot): GPUs per deployment, GPU-seconds per request; ``valid`` False where the
    draw's (output, level) has fewer layouts."""

    n: FloatArray
    pf: FloatArray
    dc: FloatArray
    valid: npt.NDArray[np.bool_]

    def take(self, idx: npt.NDArray[np.intp]) -> _Slot:
        return _Slot(self.n[idx], self.pf[idx], self.dc[idx], self.valid[idx])


def _slots(m: _Model, i: int, d: Draws) -> list[_Slot]:
    """The per-draw layout tables of self-hosting option ``i`` (one gather per (output, level) group)."""
    sh = m.self_host[i]
    width = max((len(sh.tables[k][lv]) for k in range(3) for lv in _LEVELS), default=0)
    out = []
    for j in range(width):
        n, pf, dc = np.ones(d.size), np.zeros(d.size), np.zeros(d.size)
        valid = np.zeros(d.size, dtype=bool)
        for k in range(3):
            for li, lv in enumerate(_LEVELS):
                tables = sh.tables[k][lv]
                if j >= len(tables):
                    continue
                sel = np.flatnonzero((d.output == k) & (d.level == li))
                if not sel.size:
                    continue
                t = tables[j]
                ci = d.cache_index[sel] if t.grid_feasible else np.zeros(sel.size, dtype=np.int64)
                n[sel], pf[sel], dc[sel], valid[sel] = (
                    t.deployment_gpus,
                    t.prefill_gpu_s[ci],
                    t.decode_gpu_s[ci],
                    True,
                )
        out.append(_Slot(n, pf, dc, valid))
    return out


def _fleet_cost(
    m: _Model, sh: _SelfHost, t: _Slot, price: FloatArray, overhead_pct: FloatArray, volume: FloatArray
) -> FloatArray:
    """Monthly cost of one layout slot over the draws: :func:`costmodel.serving.fleet.fleet_cost`'s arithmetic
    (inf where the slot has no layout).

    Always-on: the deployments of the busiest hour all week; ``ceil`` and the products are monotone, so the
    busiest hour's need is the need at the busiest hour's requests (exact, no 168-hour arrays). Hour by hour:
    the hours with equal requests need equal deployments, so each distinct hourly count is costed once and
    weighted by how many hours have it (sums of whole GPUs: exact).
    """
    pf, dc, n = t.pf, t.dc, t.n
    a = m.scenario.assumptions
    u = a.target_utilization
    hours_per_slot = m.scenario.workload.days_per_month / 7.0
    k = price * (1.0 + overhead_pct / 100.0) * hours_per_slot
    # always-on: the busiest hour, every one of the week's 168 hours; autoscaled: each distinct hourly count
    hours, counts = (
        (np.array([m.hourly_max]), np.array([168.0]))
        if sh.mode == "always_on"
        else (m.hourly_unique, m.hourly_counts)
    )
    r = hours[None, :] * volume[:, None]
    p2, d2, n2 = pf[:, None], dc[:, None], n[:, None]

    def deploy(need: FloatArray) -> FloatArray:
        out: FloatArray = np.maximum(1.0, np.ceil(need / u / n2 - 1e-9))
        return out

    if sh.disaggregated:
        deps = deploy(r * p2 / 3600.0) + deploy(r * d2 / 3600.0)
    else:
        deps = deploy(r * p2 / 3600.0 + r * d2 / 3600.0)
    gpus_sum = (deps * n2) @ counts
    cost: FloatArray = gpus_sum * k
    # fleet_cost adds the fixed monthly cost only when it is not zero (adding 0.0 would not change a figure)
    if a.ops_usd_per_month:
        cost = cost + a.ops_usd_per_month
    out: FloatArray = np.where(t.valid, cost, np.inf)
    return out


def _option_cost(
    m: _Model, i: int, slots: list[_Slot], price: FloatArray, overhead_pct: FloatArray, volume: FloatArray
) -> FloatArray:
    """The cheaper layout per draw, as evaluate() takes it (inf: no layout costed)."""
    best = np.full(volume.size, np.inf)
    for t in slots:
        best = np.minimum(best, _fleet_cost(m, m.self_host[i], t, price, overhead_pct, volume))
    return best


def _self_host_costs(m: _Model, d: Draws, volume: FloatArray | None = None) -> FloatArray:
    """Monthly cost (USD) of each self-hosting option per draw, shape (options, draws); inf = not costed."""
    vol = d.volume if volume is None else volume
    out = np.full((len(m.self_host), d.size), np.inf)
    for i in range(len(m.self_host)):
        out[i] = _option_cost(m, i, _slots(m, i, d), d.price[i], d.overhead_pct, vol)
    return out


def _api_costs(m: _Model, d: Draws, volume: FloatArray | None = None) -> FloatArray:
    """Monthly bill (USD) of each API option per draw, shape (options, draws); inf = cannot serve."""
    vol = d.volume if volume is None else volume
    w = m.scenario.workload
    h = _cache_value(m, d.cache_index)
    out = np.full((len(m.api), d.size), np.inf)
    billed = np.array([ev.scenario.workload.billed_output_tokens for ev in m.evaluations])[d.output]
    for j, api in enumerate(m.api):
        for k in range(3):
            sel = d.output == k
            if not sel.any():
                continue
            bill = m.evaluations[k].bills[api.evaluation_index]
            if bill.reason:
                continue
            # bucket by bucket of the prompt-length histogram (each at its context tier), as the table bills
            out[j, sel] = sum(
                bill_arrays(
                    bill.price,
                    requests_per_month=vol[sel] * w.requests_per_month * share,
                    prompt_tokens=prompt,
                    billed_output_tokens=billed[sel],
                    cache_hit_fraction=h[sel],
                    peak_fraction=bill.peak_traffic_fraction,
                )["monthly_cost_usd"]
                for share, prompt in w.prompt_buckets
            )
    return out


def _base_draws(m: _Model, n: int) -> Draws:
    """``n`` copies of the scenario's own inputs."""
    lv = _LEVELS.index(m.scenario.assumptions.efficiency)
    prices = np.array([[sh.price_usd_per_gpu_hour] * n for sh in m.self_host]).reshape(len(m.self_host), n)
    return Draws(
        level=np.full(n, lv, dtype=np.int64),
        output=np.ones(n, dtype=np.int64),
        cache_index=np.zeros(n, dtype=np.int64),
        volume=np.ones(n),
        overhead_pct=np.full(n, m.scenario.assumptions.overhead_pct),
        price=prices,
    )


def _snap(h: FloatArray) -> npt.NDArray[np.int64]:
    """Index (≥ 1) of the nearest cache-hit grid point."""
    g = CACHE_HIT_GRID.size - 1
    return (np.rint(np.clip(h, 0.0, 1.0) * g).astype(np.int64)) + 1


def _sample(m: _Model, n: int, rng: np.random.Generator) -> Draws:
    r, a, w = m.ranges, m.scenario.assumptions, m.scenario.workload
    base = _base_draws(m, n)
    u = rng.random((5, n))
    level = (
        np.searchsorted(np.cumsum(SWANSON_WEIGHTS), u[0], side="right").astype(np.int64)
        if r.efficiency_band
        else base.level
    )
    output = (
        np.searchsorted(np.cumsum(SWANSON_WEIGHTS), u[1], side="right").astype(np.int64)
        if len(set(m.output_tokens)) > 1
        else base.output
    )
    h0 = w.cache_hit_fraction
    cache_index = (
        _snap(_tri_inv(u[2], m.cache_hit_lo, h0, m.cache_hit_hi)) if r.cache_hit_pp > 0 else base.cache_index
    )
    volume = _tri_inv(u[3], m.volume_lo, 1.0, m.volume_hi)
    overhead = _tri_inv(u[4], m.overhead_lo, a.overhead_pct, m.overhead_hi)
    gpus = sorted({sh.gpu for sh in m.self_host})
    ug = dict(zip(gpus, rng.random((len(gpus), n)), strict=True))
    price = np.empty((len(m.self_host), n))
    for i, sh in enumerate(m.self_host):
        if sh.price_lo < sh.price_hi:
            price[i] = np.exp(
                _tri_inv(
                    ug[sh.gpu],
                    math.log(sh.price_lo),
                    math.log(sh.price_usd_per_gpu_hour),
                    math.log(sh.price_hi),
                )
            )
        else:
            price[i] = sh.price_usd_per_gpu_hour
    return Draws(level, output, cache_index, volume, overhead, price)


def _verdict(api: FloatArray, sh: FloatArray) -> FloatArray:
    """min(API) − min(self-host) per draw, USD/month (nan when either side has no cost)."""
    a = api.min(axis=0) if api.size else np.full(api.shape[1], np.inf)
    s = sh.min(axis=0) if sh.size else np.full(sh.shape[1], np.inf)
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(np.isfinite(a) & np.isfinite(s), a - s, np.nan)
    return out


# ---- the exact recomputation a draw stands for -------------------------------------------------------------


def scenario_for_draw(m_or_scenario: _Model, d: Draws, k: int) -> Scenario:
    """The scenario that draw ``k`` of ``d`` describes: evaluate() of it gives that draw's costs (tests)."""
    m = m_or_scenario
    s = m.evaluations[int(d.output[k])].scenario
    w = s.workload
    ci = int(d.cache_index[k])
    w2 = w.model_copy(
        update={
            "requests_per_day": w.requests_per_day * float(d.volume[k]),
            "cache_hit_fraction": float(_cache_value(m, np.array([ci]))[0]),
        }
    )
    a2 = s.assumptions.model_copy(
        update={"efficiency": _LEVELS[int(d.level[k])], "overhead_pct": float(d.overhead_pct[k])}
    )
    opts = tuple(
        o.model_copy(update={"usd_per_gpu_hour": float(d.price[i, k])}) if math.isfinite(d.price[i, k]) else o
        for i, o in enumerate(s.self_host_options)
    )
    return s.model_copy(update={"workload": w2, "assumptions": a2, "self_host_options": opts})


def verdict_of(ev: Evaluation) -> float:
    """min(API) − min(self-host) monthly cost of an evaluation's table, USD/month (nan when a side is empty)."""
    t = ev.table
    cost = pd.to_numeric(t["monthly_cost_usd"], errors="coerce")
    a = cost[(t["kind"] == "api") & np.isfinite(cost)]
    s = cost[(t["kind"] == "self_host") & np.isfinite(cost)]
    return float(a.min() - s.min()) if len(a) and len(s) else math.nan


# ---- tornado -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TornadoBar:
    """The verdict at the two ends of one input's range (all other inputs at the scenario's values).

    Attributes:
        input: which input.
        label: its name for people.
        low_text, high_text: the input's value at each end, with units.
        verdict_low_usd, verdict_high_usd: min(API) − min(self-host) at that end, USD/month.
        draws: the one-draw inputs of each end (for :func:`scenario_for_draw`).
        note: where the range comes from.
    """

    input: InputName
    label: str
    low_text: str
    high_text: str
    verdict_low_usd: float
    verdict_high_usd: float
    draws: Draws
    note: str

    @property
    def swing_usd(self) -> float:
        return abs(self.verdict_high_usd - self.verdict_low_usd)


def _ends(m: _Model) -> list[tuple[InputName, str, str, Draws, str]]:
    r, a, w = m.ranges, m.scenario.assumptions, m.scenario.workload
    out: list[tuple[InputName, str, str, Draws, str]] = []
    b = _base_draws(m, 2)
    if r.efficiency_band:
        out.append(("efficiency", f"low (×{BAND_LOW:g})", f"high (×{BAND_HIGH:g})", replace(b, level=np.array([0, 2])),
                    "BAND_LOW/BAND_HIGH: P10/P90 of measured/predicted, leave-one-out calibration"))  # fmt: skip
    moving = [sh for sh in m.self_host if sh.price_lo < sh.price_hi]
    if r.rental_range and moving:
        price = np.array([[sh.price_lo, sh.price_hi] for sh in m.self_host])
        lo = ", ".join(f"{sh.gpu} ${sh.price_lo:,.2f}" for sh in moving)
        hi = ", ".join(f"{sh.gpu} ${sh.price_hi:,.2f}" for sh in moving)
        out.append(("rental", f"{lo} /GPU-h", f"{hi} /GPU-h", replace(b, price=price),
                    "; ".join(f"{sh.label}: {sh.price_range_note}" for sh in m.self_host)))  # fmt: skip
    if r.cache_hit_pp > 0:
        ci = _snap(np.array([m.cache_hit_lo, m.cache_hit_hi]))
        h = _cache_value(m, ci)
        out.append(("cache_hit", f"{h[0]:.1%}", f"{h[1]:.1%}", replace(b, cache_index=ci),
                    f"±{r.cache_hit_pp:g} points around {w.cache_hit_fraction:.1%}, on the 0.5-point grid"))  # fmt: skip
    if r.volume_pct > 0:
        v = np.array([m.volume_lo, m.volume_hi])
        out.append(("volume", f"{w.requests_per_day * v[0]:,.0f}/day", f"{w.requests_per_day * v[1]:,.0f}/day",
                    replace(b, volume=v), f"±{r.volume_pct:g}%"))  # fmt: skip
    if len(set(m.output_tokens)) > 1:
        o = m.output_tokens
        out.append(("output", f"{o[0]:,} tokens", f"{o[2]:,} tokens", replace(b, output=np.array([0, 2])),
                    f"±{r.output_pct:g}% (each end a full re-evaluation)"))  # fmt: skip
    if r.overhead_pp > 0:
        ov = np.array([m.overhead_lo, m.overhead_hi])
        out.append(("overhead", f"{ov[0]:g}%", f"{ov[1]:g}%", replace(b, overhead_pct=ov),
                    f"±{r.overhead_pp:g} points around {a.overhead_pct:g}%"))  # fmt: skip
    return out


def _tornado(m: _Model) -> tuple[float, tuple[TornadoBar, ...]]:
    base = _base_draws(m, 1)
    v0 = float(_verdict(_api_costs(m, base), _self_host_costs(m, base))[0])
    if not m.api or not m.self_host:  # no verdict to move
        return v0, ()
    bars = []
    for name, lo, hi, d, note in _ends(m):
        v = _verdict(_api_costs(m, d), _self_host_costs(m, d))
        bars.append(TornadoBar(name, INPUT_LABELS[name], lo, hi, float(v[0]), float(v[1]), d, note))
    bars.sort(key=lambda b: -(b.swing_usd if math.isfinite(b.swing_usd) else -1.0))
    return v0, tuple(bars)


# ---- Monte Carlo -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UncertaintyResult:
    """The tornado and the Monte Carlo of one scenario.

    Attributes:
        options: option ids (the table's ``option`` column), API options first.
        kinds: ``api`` or ``self_host`` per option.
        draws: number of draws; seed: the generator's seed.
        costs: monthly cost (USD) per option per draw, shape (options, draws); inf = not costed in that draw.
        p_cheapest: share of draws where each option is the cheapest (with ``p_none``, sums to 1).
        p_none: share of draws where no option has a cost.
        p_self_host_cheaper: share of draws where the cheapest self-hosting option costs less than the cheapest API.
        verdict_usd: min(API) − min(self-host) per draw, USD/month.
        verdict_base_usd: the same at the scenario's own inputs (the deterministic figure).
        pair: (self-hosting option, API option) of the break-even: the cheapest of each at the scenario's inputs.
        break_even_requests_per_day: break-even volume of that pair per draw, requests/day (nan: none), over
            the first :data:`BREAK_EVEN_DRAWS` draws.
        break_even_unsettled: draws whose break-even search stopped at MAX_BREAK_EVEN_HOPS (counted as none).
        tornado: bars, the widest swing first.
        ranges: the ranges used.
        notes: what was held fixed, and why.
    """

    options: tuple[str, ...]
    kinds: tuple[str, ...]
    draws: int
    seed: int
    costs: FloatArray
    p_cheapest: FloatArray
    p_none: float
    p_self_host_cheaper: float
    verdict_usd: FloatArray
    verdict_base_usd: float
    pair: tuple[str, str] | None
    break_even_requests_per_day: FloatArray
    break_even_unsettled: int
    tornado: tuple[TornadoBar, ...]
    ranges: UncertaintyRanges
    notes: tuple[str, ...]
    model: _Model

    def quantiles(self, i: int) -> tuple[float, float, float]:
        """P10, P50, P90 of option ``i``'s monthly cost over the draws where it is costed (nan: never)."""
        c = self.costs[i][np.isfinite(self.costs[i])]
        if not c.size:
            return (math.nan, math.nan, math.nan)
        q = np.percentile(c, [10, 50, 90])
        return float(q[0]), float(q[1]), float(q[2])

    def sentence(self) -> str:
        """One line: how often self-hosting wins."""
        if not any(k == "self_host" for k in self.kinds) or not any(k == "api" for k in self.kinds):
            return "The verdict needs at least one API and one self-hosting option."
        p = self.p_self_host_cheaper
        return (
            f"Self-hosting is cheaper in {p:.0%} of {self.draws:,} draws"
            f" (the API in {1 - p - self._p_undecided():.0%}); at the scenario's own inputs it "
            + (
                f"saves ${self.verdict_base_usd:,.0f}/month."
                if self.verdict_base_usd > 0
                else f"costs ${-self.verdict_base_usd:,.0f}/month more."
                if math.isfinite(self.verdict_base_usd)
                else "has no cost."
            )
        )

    def _p_undecided(self) -> float:
        return float(np.mean(~np.isfinite(self.verdict_usd)))


def _break_even(m: _Model, d: Draws, i: int, j: int) -> tuple[FloatArray, int]:
    """Break-even volume of self-hosting option ``i`` against API ``j`` per draw (the hop search of
    :func:`costmodel.breakeven.break_even`, vectorised), requests/day; and the number of unsettled draws."""
    n = d.size
    one = np.ones(n)

    slots = _slots(m, i, d)

    def s_at(x: FloatArray, idx: npt.NDArray[np.intp]) -> FloatArray:
        return _option_cost(
            m,
            i,
            [t.take(idx) for t in slots],
            d.price[i][idx],
            d.overhead_pct[idx],
            np.asarray(x, dtype=float),
        )

    a1 = _api_costs(m, d, one)[j]
    allidx = np.arange(n)
    s = s_at(np.full(n, X_MIN), allidx)
    hi = np.full(n, np.nan)
    ok = (a1 > 0) & np.isfinite(a1) & np.isfinite(s)
    bottom = ok & (a1 * X_MIN >= s)
    hi[bottom] = s[bottom] / a1[bottom]
    active = np.flatnonzero(ok & ~bottom)
    for _ in range(MAX_BREAK_EVEN_HOPS):
        if not active.size:
            break
        x = s[active] / a1[active]
        inside = x <= X_MAX
        active, x = active[inside], x[inside]
        if not active.size:
            break
        s_next = s_at(x, active)
        done = s_next <= s[active]
        hi[active[done]] = x[done]
        s[active] = s_next
        active = active[~done]
    return hi * m.scenario.workload.requests_per_day, int(active.size)


def monte_carlo(
    scenario: Scenario,
    catalogue: Catalogue,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    ranges: UncertaintyRanges | None = None,
    evaluation: Evaluation | None = None,
) -> UncertaintyResult:
    """The tornado and ``draws`` seeded Monte Carlo draws of the scenario (module docstring).

    Args:
        scenario: the scenario.
        catalogue: the catalogue.
        draws: number of draws (1 … :data:`MAX_DRAWS`).
        seed: seed of numpy's default generator (≥ 0).
        ranges: the widths (None: the defaults).
        evaluation: ``evaluate(scenario, catalogue)`` when already computed (saves one evaluation).

    Raises:
        UncertaintyError: draws or seed out of range (one line).
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= MAX_DRAWS:
        raise UncertaintyError(f"draws must be a whole number from 1 to {MAX_DRAWS:,}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise UncertaintyError(f"seed must be a whole number from 0 to 2^63 - 1, got {seed!r}")
    r = ranges if ranges is not None else UncertaintyRanges()
    m = _build(scenario, catalogue, r, evaluation)
    v0, bars = _tornado(m)
    d = _sample(m, draws, np.random.default_rng(seed))
    api, sh = _api_costs(m, d), _self_host_costs(m, d)
    costs = np.concatenate([api, sh]) if api.size or sh.size else np.empty((0, draws))
    finite_any = np.isfinite(costs).any(axis=0) if costs.size else np.zeros(draws, dtype=bool)
    winner = (
        np.argmin(np.where(np.isfinite(costs), costs, np.inf), axis=0) if costs.size else np.zeros(draws, int)
    )
    p = np.array([np.mean((winner == k) & finite_any) for k in range(costs.shape[0])])
    verdict = _verdict(api, sh)
    # the pair: the cheapest of each side at the scenario's own inputs
    b = _base_draws(m, 1)
    ab, sb = _api_costs(m, b)[:, 0], _self_host_costs(m, b)[:, 0]
    pair = None
    be = np.full(min(draws, BREAK_EVEN_DRAWS), np.nan)
    unsettled = 0
    if ab.size and sb.size and np.isfinite(ab).any() and np.isfinite(sb).any():
        j, i = int(np.argmin(ab)), int(np.argmin(sb))
        pair = (m.self_host[i].label, m.api[j].label)
        be, unsettled = _break_even(m, d.take(np.arange(min(draws, BREAK_EVEN_DRAWS))), i, j)
    notes = list(m.notes)
    if unsettled:
        notes.append(
            f"{unsettled} draws: break-even search stopped after {MAX_BREAK_EVEN_HOPS} hops (no figure)"
        )
    return UncertaintyResult(
        options=tuple(a.label for a in m.api) + tuple(s.label for s in m.self_host),
        kinds=("api",) * len(m.api) + ("self_host",) * len(m.self_host),
        draws=draws,
        seed=seed,
        costs=costs,
        p_cheapest=p,
        p_none=float(np.mean(~finite_any)),
        p_self_host_cheaper=float(np.mean(verdict > 0)),
        verdict_usd=verdict,
        verdict_base_usd=v0,
        pair=pair,
        break_even_requests_per_day=be,
        break_even_unsettled=unsettled,
        tornado=bars,
        ranges=r,
        notes=tuple(notes),
        model=m,
    )


def tornado(
    scenario: Scenario, catalogue: Catalogue, ranges: UncertaintyRanges | None = None
) -> tuple[float, tuple[TornadoBar, ...]]:
    """The verdict at the scenario's inputs and the tornado bars (widest first), USD/month."""
    return _tornado(_build(scenario, catalogue, ranges or UncertaintyRanges(), None))


# ---- frames ------------------------------------------------------------------------------------------------

#: Columns :func:`uncertainty_columns` adds to the comparison table.
UNCERTAINTY_COLUMNS = [
    "p_cheapest",
    "monthly_cost_usd_p10",
    "monthly_cost_usd_p50",
    "monthly_cost_usd_p90",
]


def uncertainty_columns(res: UncertaintyResult) -> pd.DataFrame:
    """Per option: probability of being the cheapest (fraction of draws) and P10/P50/P90 monthly cost (USD)."""
    q = [res.quantiles(i) for i in range(len(res.options))]
    return pd.DataFrame(
        {
            "option": list(res.options),
            "p_cheapest": res.p_cheapest,
            "monthly_cost_usd_p10": [x[0] for x in q],
            "monthly_cost_usd_p50": [x[1] for x in q],
            "monthly_cost_usd_p90": [x[2] for x in q],
        }
    )


def tornado_frame(res: UncertaintyResult) -> pd.DataFrame:
    """One row per tornado bar: input, ends, verdict at each end (USD/month), swing (USD/month), source."""
    return pd.DataFrame(
        [
            {
                "input": b.label,
                "low": b.low_text,
                "high": b.high_text,
                "verdict_low_usd_per_month": b.verdict_low_usd,
                "verdict_high_usd_per_month": b.verdict_high_usd,
                "swing_usd_per_month": b.swing_usd,
                "range_source": b.note,
            }
            for b in res.tornado
        ],
        columns=[
            "input", "low", "high", "verdict_low_usd_per_month", "verdict_high_usd_per_month",
            "swing_usd_per_month", "range_source",
        ],
    )  # fmt: skip


def with_uncertainty(table: pd.DataFrame, res: UncertaintyResult) -> pd.DataFrame:
    """The comparison table with :data:`UNCERTAINTY_COLUMNS` added (same rows, same order: the table's rows are
    the evaluation's options in order, as the result's are).

    Raises:
        ValueError: the table is not the one of the evaluation ``res`` was computed from.
    """
    if list(table["option"]) != list(res.options):
        raise ValueError("the uncertainty was computed for another comparison table")
    extra = uncertainty_columns(res)
    out = table.copy()
    for col in UNCERTAINTY_COLUMNS:
        out[col] = extra[col].to_numpy(dtype=float)
    return out


def break_even_quantiles(res: UncertaintyResult) -> tuple[float, float, float, float]:
    """P10, P50, P90 of the break-even volume (requests/day) over the draws that have one, and that share."""
    be = res.break_even_requests_per_day
    ok = be[np.isfinite(be)]
    if not ok.size:
        return (math.nan, math.nan, math.nan, 0.0)
    q = np.percentile(ok, [10, 50, 90])
    return float(q[0]), float(q[1]), float(q[2]), float(ok.size / be.size)


def break_even_sentence(res: UncertaintyResult) -> str:
    """One line on the break-even volume of the verdict's pair over the draws."""
    if res.pair is None:
        return "No break-even: the verdict needs an API and a self-hosting option with a cost."
    p10, p50, p90, share = break_even_quantiles(res)
    sh, api = res.pair
    n = res.break_even_requests_per_day.size
    if share == 0:
        return (
            f"Break-even: {sh} never breaks even against {api} in {n:,} draws (searched up to "
            f"{X_MAX:,.0f}× the volume)."
        )
    return (
        f"Break-even: {sh} breaks even against {api} in {share:.0%} of {n:,} draws; where it does, at "
        f"{p10:,.0f} / {p50:,.0f} / {p90:,.0f} requests/day (P10 / P50 / P90)."
    )


def uncertainty_summary(res: UncertaintyResult) -> dict[str, object]:
    """The uncertainty as plain data (JSON export): sentence, draws, seed, ranges, tornado, break-even."""
    p10, p50, p90, share = break_even_quantiles(res)

    def num(x: float) -> float | None:
        return x if math.isfinite(x) else None

    return {
        "sentence": res.sentence(),
        "draws": res.draws,
        "seed": res.seed,
        "ranges": res.ranges.model_dump(),
        "p_self_host_cheaper": res.p_self_host_cheaper,
        "verdict_usd_per_month": num(res.verdict_base_usd),
        "verdict_usd_per_month_p10_p50_p90": [
            num(float(x)) for x in np.nanpercentile(res.verdict_usd, [10, 50, 90])
        ]
        if np.isfinite(res.verdict_usd).any()
        else [None, None, None],
        "break_even_pair": list(res.pair) if res.pair else None,
        "break_even_requests_per_day_p10_p50_p90": [num(p10), num(p50), num(p90)],
        "break_even_share_of_draws": share,
        "tornado": [
            {k: (num(v) if isinstance(v, float) else v) for k, v in row.items()}
            for row in tornado_frame(res).to_dict("records")
        ],
        "notes": list(res.notes),
    }


def uncertainty_markdown(res: UncertaintyResult) -> str:
    """A Markdown section: the sentence, the tornado, the break-even line, the distributions used."""

    def usd(x: float) -> str:
        return f"${x:,.0f}" if math.isfinite(x) else ""

    lines = [
        "## Uncertainty",
        "",
        f"**{res.sentence()}** {break_even_sentence(res)}",
        "",
        f"Verdict = cheapest API − cheapest self-hosting, USD/month (positive: self-hosting saves). "
        f"{res.draws:,} draws, seed {res.seed}; distributions in docs/uncertainty.md.",
        "",
    ]
    if res.tornado:
        lines += [
            "| Input | Low end | High end | Verdict at low (USD/month) | Verdict at high (USD/month) | Range from |",
            "|---|---|---|---|---|---|",
        ]
    else:
        lines.append("No tornado: every range has zero width, or there is no API or no self-hosting option.")
    for b in res.tornado:
        note = b.note.replace("|", "\\|")
        lines.append(
            f"| {b.label} | {b.low_text} | {b.high_text} | {usd(b.verdict_low_usd)} | "
            f"{usd(b.verdict_high_usd)} | {note} |"
        )
    lines += [""] + [f"- {n}" for n in res.notes]
    return "\n".join(lines) + "\n"


def add_to_text(fmt: str, text: str, res: UncertaintyResult) -> str:
    """An exported ``md`` or ``json`` text with the uncertainty added (md: a section; json: a key)."""
    if fmt == "md":
        return text.rstrip("\n") + "\n\n" + uncertainty_markdown(res)
    if fmt == "json":
        import json

        doc = json.loads(text)
        doc["uncertainty"] = uncertainty_summary(res)
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return text
