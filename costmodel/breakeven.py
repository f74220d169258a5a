"""Break-even between self-hosting and each API option (re-exported by :mod:`costmodel.compare`).

Volume. Scale the workload's requests by ``x`` (same hourly shape, prompt and output): the API bill is
linear, ``A(x) = x · A(1)``; the self-hosting bill ``S(x)`` is a step function of ``x`` (whole deployments,
at least one). The break-even volume is the smallest ``x`` with ``S(x) ≤ A(x)``: found on a geometric grid
over ``[X_MIN, X_MAX]`` and refined by bisection. ``S`` only steps up, so the first crossing is where ``A``
rises through a plateau of ``S``: there the two bills are equal. None when self-hosting is dearer over the
whole range (the reason gives both $/M at the top of the range).

Cache-hit fraction. At the workload's volume, ``A(h)`` and ``S(h)`` (cached tokens skip prefill compute)
on a grid of ``h`` in [0, 1]; the crossing is interpolated between grid points. None when one side is
cheaper at every fraction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from costmodel.attention.common import FloatArray
from costmodel.catalog import Catalogue
from costmodel.pricing import bill_arrays, peak_traffic_fraction, resolve_price
from costmodel.scenario import ApiOption, Scenario, SelfHostOption, hourly_requests_utc
from costmodel.serving import OptionEvaluation, evaluate_option, option_fleet_cost, option_label

#: Volume range searched, as multiples of the scenario's requests per day.
X_MIN, X_MAX = 1e-4, 1e5
_GRID = np.geomspace(X_MIN, X_MAX, 181)
_CACHE_GRID = np.linspace(0.0, 1.0, 201)


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


def _evaluations(
    scenario: Scenario, catalogue: Catalogue, sh: SelfHostOption
) -> tuple[OptionEvaluation, OptionEvaluation]:
    """The self-hosting evaluations a break-even needs: at the workload, and over the cache-hit grid."""
    w, a = scenario.workload, scenario.assumptions
    ev = evaluate_option(sh, w, a, catalogue, levels=(a.efficiency,))
    ev_h = evaluate_option(sh, w, a, catalogue, cache_hit_fraction=_CACHE_GRID, levels=(a.efficiency,))
    return ev, ev_h


def break_even(
    scenario: Scenario,
    catalogue: Catalogue,
    sh: SelfHostOption,
    api: ApiOption,
    *,
    evaluated: tuple[OptionEvaluation, OptionEvaluation] | None = None,
) -> BreakEven:
    """Break-even volume and cache-hit fraction of ``sh`` against ``api`` (module docstring).

    ``evaluated`` (from ``_evaluations``) saves re-evaluating ``sh`` for each API option.
    """
    w = scenario.workload
    a = scenario.assumptions
    level = a.efficiency
    price = resolve_price(api, catalogue, scenario.as_of)
    hourly = hourly_requests_utc(w)
    peak = peak_traffic_fraction(price, hourly)
    req_month = w.requests_per_day * w.days_per_month
    tok_per_req = w.prompt_tokens + w.billed_output_tokens

    def api_cost(x: FloatArray | float, h: FloatArray | float) -> FloatArray:
        return bill_arrays(
            price,
            requests_per_month=np.asarray(x) * req_month,
            prompt_tokens=w.prompt_tokens,
            billed_output_tokens=w.billed_output_tokens,
            cache_hit_fraction=h,
            peak_fraction=peak,
        )["monthly_cost_usd"]

    ev, ev_h = evaluated if evaluated is not None else _evaluations(scenario, catalogue, sh)
    est = ev.estimates.get(level)
    if ev.reason or est is None or ev.costs.get(level) is None:
        why = f"none: self-hosting not costed ({ev.reason or 'infeasible'})"
        return BreakEven(math.nan, math.nan, math.nan, why, math.nan, why)
    layouts = ev.alternatives.get(level) or (est,)

    def self_cost(x: FloatArray | float) -> FloatArray:
        """The cheaper attention layout at each volume, as :func:`evaluate_option` prices sweeps."""
        requests = hourly * np.asarray(x, dtype=np.float64)[..., None, None]
        return np.asarray(
            np.minimum.reduce(
                [
                    option_fleet_cost(
                        e, requests, float(e.prefill_gpu_s_per_request[0]), sh, w, a, ev.usd_per_gpu_hour
                    ).monthly_cost_usd
                    for e in layouts
                ]
            ),
            dtype=np.float64,
        )

    # volume
    g = api_cost(_GRID, w.cache_hit_fraction) - self_cost(_GRID)
    hit = np.flatnonzero(g >= 0)
    if hit.size == 0:
        top = X_MAX * req_month * tok_per_req / 1e6
        s_top, a_top = float(self_cost(X_MAX)) / top, float(api_cost(X_MAX, w.cache_hit_fraction)) / top
        vol = (math.nan, math.nan, math.nan)
        vreason = (
            f"none: self-hosting costs ${s_top:,.3g}/M tokens even at {X_MAX:g}× the volume, "
            f"the API ${a_top:,.3g}/M"
        )
    else:
        i = int(hit[0])
        lo, hi = (_GRID[i - 1], _GRID[i]) if i > 0 else (0.0, _GRID[0])
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if float(api_cost(mid, w.cache_hit_fraction) - self_cost(mid)) >= 0:
                hi = mid
            else:
                lo = mid
        vol = (
            hi * w.requests_per_day,
            hi * req_month * tok_per_req,
            float(api_cost(hi, w.cache_hit_fraction)),
        )
        vreason = ""
    # cache-hit fraction
    cost_h = ev_h.costs.get(level)
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


def break_even_table(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """One row per (self-hosting option × API option) with the break-even volume and cache-hit fraction."""
    rows = []
    for sh in scenario.self_host_options:
        evaluated = _evaluations(scenario, catalogue, sh) if scenario.api_options else None
        for api in scenario.api_options:
            try:
                be = break_even(scenario, catalogue, sh, api, evaluated=evaluated)
            except ValueError as e:  # an API option without a price in effect
                be = BreakEven(math.nan, math.nan, math.nan, f"none: {e}", math.nan, f"none: {e}")
            rows.append(
                {
                    "self_host_option": option_label(sh),
                    "api_option": api.option_id,
                    "break_even_requests_per_day": be.requests_per_day,
                    "break_even_monthly_tokens": be.monthly_tokens,
                    "break_even_monthly_cost_usd": be.monthly_cost_usd,
                    "volume_note": be.volume_reason,
                    "break_even_cache_hit_fraction": be.cache_hit_fraction,
                    "cache_hit_note": be.cache_hit_reason,
                }
            )
    return pd.DataFrame(rows)
