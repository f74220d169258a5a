"""Scenario → Evaluation: every option of a scenario evaluated once, and every table read from that.

:func:`evaluate` prices each API option once (its bill, and its cost over the volume grid of the curves) and
evaluates each self-hosting option once (:func:`~costmodel.serving.evaluate_option`: at the workload, over the
volume grid and over the cache-hit grid of the break-even), then computes the break-even of every
(self-hosting, API) pair from those results. The comparison table, the curves and the break-even points are
turned into DataFrames from the typed results (:mod:`costmodel.evaluate.table`); the charts, the exports, the CLI and
the pages only read an :class:`Evaluation`.

Sweeps of the API bills over volumes × cache-hit fractions (:func:`sweep`, :func:`api_sweep_grid`) are one
vectorised pass each.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import TOKENS_PER_MTOK, FloatArray
from costmodel.evaluate.breakeven import BreakEven, break_even
from costmodel.evaluate.frames import (
    CLASS_COLUMNS,
    break_even_frame,
    class_breakdown_frame,
    curves_frame,
    volume_grid,
)
from costmodel.evaluate.plan_options import PlanResult, evaluate_plan, plan_api_for
from costmodel.evaluate.plan_table import plan_hours_frame, plan_rows
from costmodel.evaluate.table import (
    API_COLUMNS,
    COLUMNS,
    STALE_AFTER_DAYS,
    api_rows,
    comparison_table,
    self_host_rows,
)
from costmodel.pricing.bill import ApiBill, api_bill, peak_traffic_fraction, workload_bill_arrays
from costmodel.pricing.mix_bill import combined_bill
from costmodel.pricing.resolve import NoPriceYetError, ResolvedPrice, resolve_price
from costmodel.serving import CACHE_HIT_GRID, OptionEvaluation, evaluate_option, option_label
from costmodel.workload.scenario import ApiOption, Scenario, SelfHostOption, Workload
from costmodel.workload.traffic import hourly_requests_utc

__all__ = [
    "API_COLUMNS",
    "COLUMNS",
    "STALE_AFTER_DAYS",
    "ApiResult",
    "BreakEven",
    "Evaluation",
    "SelfHostResult",
    "api_sweep_grid",
    "compare_table",
    "evaluate",
    "sweep",
]

#: Columns of :func:`sweep`.
_SWEEP_COLUMNS = [
    "option",
    "requests_per_day",
    "cache_hit_fraction",
    "monthly_cost_usd",
    "usd_per_mtok_blended",
]


@dataclass(frozen=True)
class ApiResult:
    """One API option priced once.

    Attributes:
        option: the option.
        bill: its monthly bill at the workload (prices, sources, itemised costs).
        volume_costs: its monthly cost (USD) at each volume of :attr:`Evaluation.volumes`.
    """

    option: ApiOption
    bill: ApiBill
    volume_costs: FloatArray
    per_class: tuple[tuple[str, ApiBill], ...] = ()
    """A request mix: each class's bill (``bill`` is their sum, :func:`costmodel.pricing.mix_bill.combined_bill`)."""


@dataclass(frozen=True)
class SelfHostResult:
    """One self-hosting option evaluated once (plan, fleet cost per level, curves, provenance, reason)."""

    option: SelfHostOption
    label: str
    evaluation: OptionEvaluation


@dataclass(frozen=True)
class Evaluation:
    """A scenario evaluated once; the tables are DataFrames of these results (do not modify them).

    Attributes:
        scenario: what was evaluated.
        api: per API option, its bill and volume curve.
        self_host: per self-hosting option, its evaluation.
        volumes: requests/day of the cost-vs-volume curves (the scenario's own volume included).
        break_evens: (self-hosting label, API label, break-even) per pair.
        table: the comparison table (:func:`costmodel.evaluate.table.comparison_table`).
        curves: cost against volume, long format (:func:`costmodel.evaluate.frames.curves_frame`).
        break_even: break-even points, one row per pair (:func:`costmodel.evaluate.frames.break_even_frame`).
    """

    scenario: Scenario
    api: tuple[ApiResult, ...]
    self_host: tuple[SelfHostResult, ...]
    volumes: FloatArray
    break_evens: tuple[tuple[str, str, BreakEven], ...]
    table: pd.DataFrame
    curves: pd.DataFrame
    break_even: pd.DataFrame
    left_out: tuple[str, ...] = ()
    """API options left out because the date is before their first price, one line each
    (``no price on record for provider/model before <date> ...``)."""
    by_class: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CLASS_COLUMNS))
    """A scenario with request classes: option × class × monthly USD (:func:`costmodel.evaluate.frames.class_breakdown_frame`);
    empty without classes."""
    plans: tuple[PlanResult, ...] = ()
    """``scenario.plans``: the cheapest plan of each (self-hosting, API) pair (:mod:`costmodel.evaluate.plan_options`);
    their rows are in ``table`` (kind ``plan``). Empty otherwise."""

    def plan_hours(self) -> pd.DataFrame:
        """Each plan's split hour by hour (:func:`costmodel.evaluate.plan_table.plan_hours_frame`)."""
        return plan_hours_frame(self.plans)


def _api_costs(
    price: ResolvedPrice,
    workload: Workload,
    peak_fraction: float,
    requests_per_day: FloatArray,
    cache_hit_fractions: FloatArray,
) -> FloatArray:
    """Monthly cost (USD) at each volume × cache-hit fraction, shape ``(volumes, fractions)``."""
    cost: FloatArray = workload_bill_arrays(
        price,
        workload,
        requests_per_month=requests_per_day[:, None] * workload.days_per_month,
        cache_hit_fraction=cache_hit_fractions[None, :],
        peak_fraction=peak_fraction,
    )["monthly_cost_usd"]
    return cost


def evaluate(scenario: Scenario, catalogue: Catalogue) -> Evaluation:
    """Evaluate every option of ``scenario`` once, with the curves and break-even points (module docstring).

    Raises:
        PricingError: an API option is unknown or has no price in effect at ``scenario.as_of`` (one line). An
            option whose first price is later than ``as_of`` is left out instead (``Evaluation.left_out``),
            unless every API option is (then :class:`~costmodel.pricing.bill.NoPriceYetError`).
        KeyError: a self-hosting option names an unknown model or GPU.
    """
    w, a = scenario.workload, scenario.assumptions
    volumes = volume_grid(w.requests_per_day)
    here = np.array([w.cache_hit_fraction])
    api = []
    left_out: list[str] = []
    mix = scenario.class_workloads()  # () without request classes
    for option in scenario.api_options:
        try:
            per_class = tuple((name, api_bill(option, c, catalogue, scenario.as_of)) for name, c in mix)
            bill = combined_bill(per_class) if mix else api_bill(option, w, catalogue, scenario.as_of)
        except NoPriceYetError as e:  # a row out of the comparison, said on the page: not an error to act on
            left_out.append(str(e).split("; prices exist")[0])
            if len(left_out) == len(scenario.api_options):  # none of the APIs priced: the date is the problem
                raise NoPriceYetError(
                    f"{left_out[0]}; no API option has a price on {scenario.as_of}"
                ) from None
            continue
        if mix:  # each class at its share of every volume, its own cached share and peak-hour share
            curve = np.sum(
                [
                    _api_costs(b.price, c, b.peak_traffic_fraction, volumes * (c.requests_per_day / w.requests_per_day),
                               np.array([c.cache_hit_fraction])).reshape(-1)
                    for (_, c), (_, b) in zip(mix, per_class, strict=True)
                ],
                axis=0,
            )  # fmt: skip
        else:
            curve = _api_costs(bill.price, w, bill.peak_traffic_fraction, volumes, here).reshape(-1)
        api.append(ApiResult(option, bill, curve, per_class))
    self_host = [
        SelfHostResult(
            option,
            option_label(option),
            evaluate_option(
                option,
                w,
                a,
                catalogue,
                volume_scales=volumes / w.requests_per_day,
                cache_hit_fractions=CACHE_HIT_GRID if scenario.api_options else None,
                classes=mix,
            ),
        )
        for option in scenario.self_host_options
    ]
    pairs = tuple(
        (sh.label, r.option.option_id, _break_even(scenario, sh, r)) for sh in self_host for r in api
    )
    plans = _plans(scenario, catalogue, api, self_host) if scenario.plans else ()
    table = comparison_table(
        scenario,
        catalogue,
        api_rows(scenario, [(r.option, r.bill) for r in api]),
        self_host_rows(scenario, catalogue, [(r.option, r.evaluation) for r in self_host]),
        plan_rows(scenario, catalogue, plans) if scenario.plans else None,
    )
    curves = curves_frame(
        scenario,
        volumes,
        [(r.option.option_id, r.volume_costs) for r in api if not r.bill.reason],  # no curve: cannot serve it
        [(r.label, r.evaluation) for r in self_host],
    )
    labels = dict(zip(table["option"], table["label"], strict=True))
    curves["label"] = curves["option"].map(labels)
    curves["group"] = curves["option"].map(dict(zip(table["option"], table["group"], strict=True)))
    be = break_even_frame(scenario, pairs)
    be["self_host_label"] = be["self_host"].map(labels)
    be["api_label"] = be["api"].map(labels)
    return Evaluation(
        scenario=scenario,
        api=tuple(api),
        self_host=tuple(self_host),
        volumes=volumes,
        break_evens=pairs,
        table=table,
        curves=curves,
        break_even=be,
        left_out=tuple(left_out),
        by_class=class_breakdown_frame(
            scenario,
            [(r.option.option_id, r.per_class) for r in api],
            [(r.label, r.evaluation) for r in self_host],
        ),
        plans=tuple(p for p, _ in plans),
    )


def _plans(
    scenario: Scenario, catalogue: Catalogue, api: list[ApiResult], self_host: list[SelfHostResult]
) -> tuple[tuple[PlanResult, ApiBill], ...]:
    """The cheapest plan of each self-hosting option with the API it pairs with (:func:`plan_api_for`), and that
    API's bill; an option without such an API (or whose API was left out) has no plan."""
    out = []
    priced = [r.option for r in api]
    bills = {r.option: r.bill for r in api}
    for sh in self_host:
        option = plan_api_for(sh.option, priced, {r.option: r.bill.price.weights_model for r in api})
        if option is not None:
            one = evaluate_plan(
                scenario, catalogue, (sh.option, sh.label, sh.evaluation), (option, bills[option])
            )
            out.append((one, bills[option]))
    return tuple(out)


def _break_even(scenario: Scenario, sh: SelfHostResult, api: ApiResult) -> BreakEven:
    """Break-even of one pair; none, with the reason, when the API cannot serve the workload at all."""
    if api.bill.reason:
        why = f"none: the API cannot serve this workload ({api.bill.reason})"
        return BreakEven(math.nan, math.nan, math.nan, why, math.nan, why)
    return break_even(scenario, sh.option, sh.evaluation, api.bill.price)


def compare_table(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """The comparison table of ``scenario`` (``evaluate(scenario, catalogue).table``).

    Raises:
        PricingError: an API option cannot be priced at ``scenario.as_of`` (one line).
    """
    return evaluate(scenario, catalogue).table


# ---- sweeps ------------------------------------------------------------------------------------------------


def api_sweep_grid(
    option: ApiOption,
    workload: Workload,
    catalogue: Catalogue,
    as_of: dt.date | dt.datetime,
    requests_per_day: npt.ArrayLike,
    cache_hit_fractions: npt.ArrayLike,
) -> FloatArray:
    """Monthly cost (USD) of ``workload`` through ``option`` over a grid, in one vectorised pass.

    The traffic profile, token lengths and prices are those of ``workload`` and ``as_of``; only the
    volume and the cache-hit fraction vary.

    Returns:
        Array of shape ``(len(requests_per_day), len(cache_hit_fractions))``, USD per month.

    Raises:
        ValueError: a volume ≤ 0 or not finite, or a cache fraction outside [0, 1].
    """
    volumes = np.asarray(requests_per_day, dtype=float).reshape(-1)
    fractions = np.asarray(cache_hit_fractions, dtype=float).reshape(-1)
    if not np.all(np.isfinite(volumes) & (volumes > 0)):
        raise ValueError("sweep volumes must be finite and > 0 requests per day")
    if not np.all((fractions >= 0) & (fractions <= 1)):
        raise ValueError("sweep cache-hit fractions must be in [0, 1]")
    price = resolve_price(option, catalogue, as_of)
    peak = peak_traffic_fraction(price, hourly_requests_utc(workload))
    return _api_costs(price, workload, peak, volumes, fractions)


def sweep(
    scenario: Scenario,
    catalogue: Catalogue,
    requests_per_day: npt.ArrayLike,
    cache_hit_fractions: npt.ArrayLike,
) -> pd.DataFrame:
    """Tidy sweep of every API option over volumes × cache-hit fractions (a request mix: the sum of its classes'
    bills, each class at its share of the volume).

    Returns:
        Columns ``option``, ``requests_per_day``, ``cache_hit_fraction``, ``monthly_cost_usd``,
        ``usd_per_mtok_blended`` (USD per 1M prompt + output tokens); one row per option × point.
    """
    volumes = np.asarray(requests_per_day, dtype=float).reshape(-1)
    fractions = np.asarray(cache_hit_fractions, dtype=float).reshape(-1)
    w = scenario.workload
    mtok_per_month = volumes[:, None] * w.days_per_month * w.tokens_per_request / TOKENS_PER_MTOK
    frames = []
    for option in scenario.api_options:
        if scenario.classes:  # a mix: each class at its share of every volume, every class at each fraction
            cost = np.sum(
                [
                    api_sweep_grid(option, c, catalogue, scenario.as_of, volumes * k.share, fractions)
                    for k, (_, c) in zip(scenario.classes, scenario.class_workloads(), strict=True)
                ],
                axis=0,
            )
        else:
            cost = api_sweep_grid(option, w, catalogue, scenario.as_of, volumes, fractions)
        frames.append(
            pd.DataFrame(
                {
                    "option": option.option_id,
                    "requests_per_day": np.repeat(volumes, fractions.size),
                    "cache_hit_fraction": np.tile(fractions, volumes.size),
                    "monthly_cost_usd": cost.reshape(-1),
                    "usd_per_mtok_blended": (cost / mtok_per_month).reshape(-1),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=_SWEEP_COLUMNS)
    return pd.concat(frames, ignore_index=True)
