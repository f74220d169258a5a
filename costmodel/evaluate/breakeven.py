"""Break-even between a self-hosting option and an API option, from their evaluations (read by :mod:`costmodel.evaluate.evaluation`).

Volume. Scale the workload's requests by ``x`` (same hourly shape, prompt and output): the API bill is
linear, ``A(x) = x · A(1)``; the self-hosting bill ``S(x)`` is a step function of ``x`` (whole deployments,
at least one). The break-even volume is the smallest ``x`` in ``[X_MIN, X_MAX]`` with ``S(x) ≤ A(x)``. ``S``
only steps up, so the first crossing is where ``A`` rises through a plateau of ``S``, where the two bills are
equal: from ``X_MIN``, hop to ``x' = S(x) / a1`` (the volume at which the API reaches the current self-hosting
bill; no crossing lies before it) until ``S`` has not stepped up at ``x'``. Exact, however narrow the window
where self-hosting is cheaper. None when self-hosting is dearer over the whole range (the reason gives both
$/M at the top of the range).

Cache-hit fraction. At the workload's volume, ``A(h)`` and ``S(h)`` (cached tokens skip prefill compute)
on a grid of ``h`` in [0, 1]; the crossing is interpolated between grid points. None when one side is
cheaper at every fraction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from costmodel.catalog.units import FloatArray
from costmodel.pricing.bill import peak_traffic_fraction, workload_bill_arrays
from costmodel.pricing.resolve import ResolvedPrice
from costmodel.serving import CACHE_HIT_GRID, OptionEvaluation
from costmodel.serving.option import PerRequestTable, class_need, mix_fleet_cost
from costmodel.workload.scenario import Scenario, SelfHostOption, ServingAssumptions, Workload
from costmodel.workload.traffic import hourly_requests_utc

#: Volume range searched, as multiples of the scenario's requests per day.
X_MIN, X_MAX = 1e-4, 1e5
_CACHE_GRID = CACHE_HIT_GRID
#: Most hops of the break-even search (each hop is to the next step of the self-hosting bill).
_MAX_HOPS = 20_000


@dataclass(frozen=True)
class BreakEven:
    """Break-even of one self-hosting option against one API option.

    Attributes:
        requests_per_day: break-even volume, requests/day (nan when none).
        monthly_tokens: input + billed output tokens per month at that volume (nan when none).
        monthly_cost_usd: either bill at that volume, USD/month.
        volume_reason: why there is none ("" when found).
        cache_hit_fraction: crossing of the two bills over the cache-hit fraction (nan when none).
        cache_hit_reason: why there is none, or which side is cheaper above the crossing.
    """

    requests_per_day: float
    monthly_tokens: float
    monthly_cost_usd: float
    volume_reason: str
    cache_hit_fraction: float
    cache_hit_reason: str


def _slope_floor(
    w: Workload,
    a: ServingAssumptions,
    option: SelfHostOption,
    usd_per_gpu_hour: float,
    layouts: Sequence[Sequence[PerRequestTable]],
    hourly_by_class: Sequence[FloatArray],
) -> tuple[float, float]:
    """A floor under the self-hosting bill at every volume multiple ``x``: ``S(x) >= slope · x - slack``.

    :func:`~costmodel.serving.fleet.fleet_cost` rents ``max(1, ceil(need / u / n - 1e-9))`` deployments of ``n``
    GPUs an hour (always-on: the busiest hour's, every hour), so at least ``need / u - n·1e-9`` GPUs an hour
    (twice the ``1e-9`` with two pools; always-on: the busiest hour's need in each of the 168 hours); summed over
    the week, the cost is at least that work's GPU-hours at the target utilisation. The work of an hour is the sum
    over the classes of their requests × GPU-seconds per request (the per-request tables: bucket-weighted).
    ``slope`` is the least over the layouts, USD per month per volume multiple; ``slack`` USD per month (the
    rounding allowance, less the fixed monthly cost).
    """
    k = usd_per_gpu_hour * (1.0 + a.overhead_pct / 100.0) * w.days_per_month / 7.0

    def week(tables: Sequence[PerRequestTable]) -> float:
        need_p, need_d = class_need(
            hourly_by_class, [t.prefill_gpu_s[0] for t in tables], [t.decode_gpu_s[0] for t in tables]
        )
        need = need_p + need_d  # GPUs of work in each hour (GPU-seconds per second)
        return 168.0 * float(np.max(need)) if option.mode == "always_on" else float(np.sum(need))

    slope = min((k * week(tables) / a.target_utilization for tables in layouts), default=0.0)
    largest_pool = max((t[0].deployment_gpus for t in layouts if t), default=0)
    largest_pool = max(largest_pool, option.prefill_gpus or 0)  # a stated split's prefill pool may be larger
    slack = k * largest_pool * 168.0 * 2e-9 - a.ops_usd_per_month
    return slope, slack


def break_even(
    scenario: Scenario,
    option: SelfHostOption,
    ev: OptionEvaluation,
    price: ResolvedPrice,
) -> BreakEven:
    """Break-even volume and cache-hit fraction of self-hosting ``option`` against an API (module docstring).

    Args:
        scenario: the workload and assumptions.
        option: the self-hosting option ``ev`` evaluated.
        ev: its evaluation, with the cache-hit curve over :data:`CACHE_HIT_GRID`
            (``evaluate_option(..., cache_hit_fractions=CACHE_HIT_GRID)``).
        price: the API's price at the scenario's date (:func:`~costmodel.pricing.bill.resolve_price`).
    """
    w = scenario.workload
    a = scenario.assumptions
    level = a.efficiency
    hourly = hourly_requests_utc(w)
    peak = peak_traffic_fraction(price, hourly)
    req_month = w.requests_per_month
    tok_per_req = w.tokens_per_request

    mix = scenario.class_workloads()
    mix_peaks = [peak_traffic_fraction(price, hourly_requests_utc(c)) for _, c in mix]

    def api_cost(x: FloatArray | float, h: FloatArray | float | None = None) -> FloatArray:
        """The API bill at ``x`` times the volume; ``h`` = every request's cache-hit fraction (None: its own)."""
        if mix:  # a request mix: the sum of its classes' bills (each its tier, peak share and cached share)
            return np.asarray(
                sum(
                    workload_bill_arrays(
                        price, c, requests_per_month=np.asarray(x) * c.requests_per_month,
                        cache_hit_fraction=c.cache_hit_fraction if h is None else h, peak_fraction=pk,
                    )["monthly_cost_usd"]
                    for (_, c), pk in zip(mix, mix_peaks, strict=True)
                ),
                dtype=np.float64,
            )  # fmt: skip
        return workload_bill_arrays(
            price, w, requests_per_month=np.asarray(x) * req_month,
            cache_hit_fraction=w.cache_hit_fraction if h is None else h, peak_fraction=peak,
        )["monthly_cost_usd"]  # fmt: skip

    est = ev.estimates.get(level)
    if ev.reason or est is None or ev.costs.get(level) is None:
        why = f"none: self-hosting not costed ({ev.reason or 'infeasible'})"
        return BreakEven(math.nan, math.nan, math.nan, why, math.nan, why)
    layouts = ev.per_class.get(level) or ()
    hourly_by_class = [hourly_requests_utc(c) for _, c in scenario.class_workloads()] or [hourly]

    def self_cost(x: FloatArray | float) -> FloatArray:
        """The cheaper attention layout at each volume, as :func:`evaluate_option` prices sweeps (the GPU-seconds
        per request of each class weighted over its prompt-length buckets, classes summed hour by hour)."""
        scale = np.atleast_1d(np.asarray(x, dtype=np.float64))
        cost = np.minimum.reduce(
            [
                mix_fleet_cost(
                    tables, hourly_by_class, option, a, ev.usd_per_gpu_hour, w.days_per_month, scale
                ).monthly_cost_usd
                for tables in layouts
            ]
        )
        return np.asarray(cost if np.ndim(x) else cost[0], dtype=np.float64)

    # volume: the API bill is A(x) = a1 · x; the self-hosting bill S(x) only steps up. From x = X_MIN, jump to
    # x' = S(x) / a1, where the API reaches the current self-hosting bill: on [x, x') A < S(x) <= S, so no
    # crossing was skipped; if S(x') = S(x) the bills are equal at x', the smallest crossing; else hop again.
    a1 = float(api_cost(1.0))
    s = float(self_cost(X_MIN))
    hi = math.nan
    slope, slack = _slope_floor(w, a, option, ev.usd_per_gpu_hour, layouts, hourly_by_class)
    floor = slope * (1.0 - 1e-9)
    if floor > a1 and (floor - a1) * X_MIN > slack:
        pass  # S(x) >= slope·x - slack > a1·x over the whole range: no crossing, no hops needed
    elif a1 > 0 and math.isfinite(s):
        if a1 * X_MIN >= s:
            hi = s / a1  # already cheaper at the bottom of the range (one deployment)
        else:
            for _ in range(_MAX_HOPS):
                x = s / a1
                if x > X_MAX:
                    break
                s_next = float(self_cost(x))
                if s_next <= s:
                    hi = x
                    break
                s = s_next
    if not math.isfinite(hi):
        top = X_MAX * req_month * tok_per_req / 1e6
        s_top, a_top = float(self_cost(X_MAX)) / top, float(api_cost(X_MAX)) / top
        vol = (math.nan, math.nan, math.nan)
        vreason = (
            f"none: self-hosting costs ${s_top:,.3g}/M tokens even at {X_MAX:,.0f}× this volume, "
            f"the API ${a_top:,.3g}/M"
        )
    else:
        vol = (
            hi * w.requests_per_day,
            hi * req_month * tok_per_req,
            float(api_cost(hi)),
        )
        vreason = ""
    # cache-hit fraction
    if not np.array_equal(ev.cache_hit_fractions, _CACHE_GRID):
        raise ValueError("break_even needs the option evaluated over CACHE_HIT_GRID")
    cost_h = ev.cache_costs.get(level)
    d = api_cost(1.0, _CACHE_GRID) - (cost_h.monthly_cost_usd if cost_h is not None else np.nan)
    sign = np.sign(d)
    change = np.flatnonzero(sign[:-1] != sign[1:])
    if not np.all(np.isfinite(d)):
        h_star, hreason = math.nan, "none: self-hosting infeasible at some cache-hit fractions"
    elif change.size == 0:
        side = "self-hosting" if d[0] > 0 else "the API"
        h_star, hreason = math.nan, f"none: {side} is cheaper at every cache-hit fraction"
    else:
        j = int(change[0])
        h_star = float(_CACHE_GRID[j] + (_CACHE_GRID[j + 1] - _CACHE_GRID[j]) * d[j] / (d[j] - d[j + 1]))
        cheaper = "self-hosting" if d[j + 1] > 0 else "the API"
        hreason = f"{cheaper} is cheaper above it"
    return BreakEven(*vol, vreason, h_star, hreason)
