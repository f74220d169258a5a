"""The evaluation's other tables, from its typed results: the cost-vs-volume curves (long format, with the
efficiency band), the break-even points (one row per self-hosting/API pair) and, for a request mix, the monthly cost
of each option split by class. Money in USD per month; volumes in requests per day."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from costmodel.catalog.units import FloatArray
from costmodel.evaluate.breakeven import BreakEven
from costmodel.pricing.bill import ApiBill
from costmodel.serving import EfficiencyLevel, FleetCost, OptionEvaluation
from costmodel.workload.scenario import Scenario

BAND_LEVELS: tuple[EfficiencyLevel, ...] = ("low", "base", "high")


def volume_grid(requests_per_day: float, decades_each_side: float = 2.0, points: int = 121) -> FloatArray:
    """Volumes (requests/day) evenly spaced on a log axis around ``requests_per_day``, which is included.

    At the edge of float range the grid is narrower (never zero, never infinite)."""
    lo, hi = requests_per_day / 10**decades_each_side, requests_per_day * 10**decades_each_side
    lo = min(max(lo, np.finfo(float).tiny), requests_per_day)
    grid = np.geomspace(lo, hi, 2 * (points // 2) + 1)  # odd: the middle point is the volume itself
    grid[points // 2] = requests_per_day
    return grid


#: Columns of :func:`curves_frame`.
CURVE_COLUMNS = [
    "option",
    "kind",
    "requests_per_day",
    "requests_per_month",
    "monthly_cost_usd",
    "monthly_input_cost_usd",
    "monthly_cost_usd_pessimistic",
    "monthly_cost_usd_optimistic",
    "current",
]


def curves_frame(
    scenario: Scenario,
    volumes: FloatArray,
    api: Sequence[tuple[str, FloatArray]],
    self_host: Sequence[tuple[str, OptionEvaluation]],
) -> pd.DataFrame:
    """Monthly cost of every option against volume, the workload's token mix held fixed (long format).

    Args:
        scenario: the workload.
        volumes: requests/day of the curves.
        api: per API option, its label and its monthly cost (USD) at each volume.
        self_host: per self-hosting option, its label and its evaluation over ``volumes``.

    Columns: ``option``, ``kind`` (api | self_host), ``requests_per_day``, ``requests_per_month``,
    ``monthly_cost_usd`` (self-hosting at the scenario's efficiency level), ``monthly_cost_usd_pessimistic`` and
    ``monthly_cost_usd_optimistic`` (self-hosting at low / high efficiency; equal to the cost for APIs;
    NaN where that efficiency level cannot meet the latency target, so the band is not drawn there),
    ``current`` (True at the scenario's own volume). Infeasible self-hosting options are left out.
    """
    w = scenario.workload
    v = volumes
    frames = [
        pd.DataFrame(
            {
                "option": label,
                "kind": "api",
                "requests_per_day": v,
                "monthly_cost_usd": cost,
                "monthly_input_cost_usd": np.nan,
                "monthly_cost_usd_pessimistic": cost,
                "monthly_cost_usd_optimistic": cost,
            }
        )
        for label, cost in api
    ]
    level = scenario.assumptions.efficiency
    for label, ev in self_host:
        costs = {lv: ev.volume_costs.get(lv) for lv in BAND_LEVELS}
        main = costs.get(level)
        if main is None:
            continue

        def at(lv: EfficiencyLevel, c: dict[EfficiencyLevel, FleetCost | None] = costs) -> FloatArray:
            # a level that cannot meet the latency target has no cost: that band edge is left out, not faked
            fc = c.get(lv)
            cost = np.asarray(fc.monthly_cost_usd if fc is not None else np.nan, dtype=float)
            return cost * np.ones(len(v))

        frames.append(
            pd.DataFrame(
                {
                    "option": label,
                    "kind": "self_host",
                    "requests_per_day": v,
                    "monthly_cost_usd": np.asarray(main.monthly_cost_usd, dtype=float).reshape(-1),
                    "monthly_input_cost_usd": np.asarray(main.input_cost_usd, dtype=float).reshape(-1),
                    # low efficiency costs more: the band's upper (pessimistic) edge
                    "monthly_cost_usd_pessimistic": at("low"),
                    "monthly_cost_usd_optimistic": at("high"),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=CURVE_COLUMNS)
    df = pd.concat(frames, ignore_index=True)
    df["requests_per_month"] = df["requests_per_day"] * w.days_per_month
    df["current"] = np.isclose(df["requests_per_day"], w.requests_per_day, rtol=1e-12)
    return df


#: Columns of :func:`break_even_frame`.
BREAK_EVEN_COLUMNS = [
    "self_host",
    "api",
    "requests_per_day",
    "requests_per_month",
    "monthly_cost_usd",
    "volume_note",
    "cache_hit_fraction",
    "cache_hit_note",
]


#: Columns :func:`costmodel.evaluate.evaluation.evaluate` adds to the break-even frame: the options' short labels.
BREAK_EVEN_LABEL_COLUMNS = ["self_host_label", "api_label"]


def break_even_frame(scenario: Scenario, pairs: Sequence[tuple[str, str, BreakEven]]) -> pd.DataFrame:
    """Break-even of each self-hosting option against each API option (:mod:`costmodel.evaluate.breakeven`).

    A break-even volume is the smallest volume from which self-hosting costs no more than the API, the
    workload's hourly shape and token mix held fixed (bisection to machine precision, not a chart grid).

    Args:
        scenario: the workload.
        pairs: (self-hosting label, API label, break-even) per pair.

    Columns: ``self_host``, ``api`` (option labels as in :func:`curves_frame`), ``requests_per_day``,
    ``requests_per_month``, ``monthly_cost_usd`` (either bill there, USD/month), ``volume_note`` (why there is
    none; NaN volume then), ``cache_hit_fraction`` (where the bills cross over the cache-hit fraction at the
    scenario's volume; NaN when they do not) and ``cache_hit_note``. One row per pair.
    """
    if not pairs:
        return pd.DataFrame(columns=BREAK_EVEN_COLUMNS)
    days = scenario.workload.days_per_month
    return pd.DataFrame(
        [
            {
                "self_host": sh,
                "api": api,
                "requests_per_day": float(be.requests_per_day),
                "requests_per_month": float(be.requests_per_day) * days,
                "monthly_cost_usd": float(be.monthly_cost_usd),
                "volume_note": be.volume_reason,
                "cache_hit_fraction": float(be.cache_hit_fraction),
                "cache_hit_note": be.cache_hit_reason,
            }
            for sh, api, be in pairs
        ],
        columns=BREAK_EVEN_COLUMNS,
    )


#: Columns of :func:`class_breakdown_frame`.
CLASS_COLUMNS = [
    "option", "kind", "class", "share_of_requests", "requests_per_day", "monthly_cost_usd", "share_of_cost",
    "usd_per_request", "ttft_ms_p99", "basis", "reason", "note",
]  # fmt: skip


def class_breakdown_frame(
    scenario: Scenario,
    api: Sequence[tuple[str, Sequence[tuple[str, ApiBill]]]],
    self_host: Sequence[tuple[str, OptionEvaluation]],
) -> pd.DataFrame:
    """Option × request class × monthly USD: the per-class breakdown of a scenario with classes (empty without).

    API rows: each class's own bill (``basis`` = ``own bill``). Self-hosting rows: the classes share one fleet, so
    its monthly cost (at the scenario's efficiency level) is split by each class's share of the fleet's GPU-seconds
    of work in a week (``basis`` = ``share of GPU-seconds``), and ``ttft_ms_p99`` is the class's time to first token
    at its p99 prompt (ms, no queueing; ``note`` says when it is over the scenario's TTFT target); an option without
    a cost has empty money and its reason. ``usd_per_request`` = monthly USD / the class's requests per month.

    Args:
        scenario: the scenario (its ``classes``, total volume and days per month).
        api: ``(option id, ((class, bill), ...))`` per API option.
        self_host: ``(option label, evaluation)`` per self-hosting option.
    """
    mix = scenario.class_workloads()
    if not mix:
        return pd.DataFrame(columns=CLASS_COLUMNS)
    shares = {c.name: c.share for c in scenario.classes}
    level = scenario.assumptions.efficiency
    rows: list[tuple[object, ...]] = []
    for option, per_class in api:
        # an API that cannot serve some class has no total (the table row says why): no shares of it either
        total = (
            math.nan if any(b.reason for _, b in per_class) else sum(b.monthly_cost_usd for _, b in per_class)
        )
        for (name, b), (_, w) in zip(per_class, mix, strict=True):
            cost = math.nan if b.reason else b.monthly_cost_usd
            rows.append(
                (option, "api", name, shares[name], w.requests_per_day, cost, cost / total if total > 0 else math.nan,
                 cost / w.requests_per_month, math.nan, "own bill", b.reason or None, None)
            )  # fmt: skip
    for label, ev in self_host:
        fleet = ev.costs.get(level)
        work = ev.class_work_shares.get(level, ())
        ttfts = ev.class_ttft_p99_ms.get(level, ())
        target = scenario.assumptions.ttft_ms_target
        for i, (name, w) in enumerate(mix):
            ttft = ttfts[i] if len(ttfts) == len(mix) and fleet is not None else math.nan
            note = (
                f"p99 prompt's TTFT {ttft:,.0f} ms is over the {target:g} ms target (the option's feasibility is "
                "judged on the mean request)"
                if target is not None and ttft > target
                else None
            )
            if fleet is None or len(work) != len(mix):
                cost, part, why = math.nan, math.nan, ev.reason or "not costed"
            else:
                part, why = work[i], None
                cost = float(fleet.monthly_cost_usd) * part
            rows.append(
                (label, "self_host", name, shares[name], w.requests_per_day, cost, part, cost / w.requests_per_month,
                 ttft, "share of GPU-seconds", why, note)
            )  # fmt: skip
    return pd.DataFrame.from_records(rows, columns=CLASS_COLUMNS)
