"""Plans of a scenario: which API pairs with which self-hosting option, what the committed and on-demand GPU-hours
cost, and each pair's cheapest plan (:func:`evaluate_plan`, searched by :func:`costmodel.evaluate.plans.search_plan`).

Assumptions (also in every plan row's ``plan_assumptions``):

- Routing is by hour, not by request: in each UTC hour the fleet serves a share of that hour's requests and the
  API the rest; requests are not routed by length or class.
- The API sees only the overflow; its cache-hit share is taken to be the workload's (each class's own), unless a
  share is given (``overflow_cache_hit_fraction``): a real overflow may hit the API's cache less often.
- Committed GPUs are paid for every hour of the month: a reserved rental row of the GPU when the catalogue has
  one, else the option's GPU-hour price × :data:`COMMITTED_PRICE_FACTOR`; the commitment's term (one year or
  more at the sources) is not modelled beyond its hourly price.
- On-demand GPUs are billed by the hour used, at the option's own GPU-hour price; spot capacity is not used
  (an interruption would send the hour's work to the API at short notice: not priced).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import FloatArray
from costmodel.evaluate.plans import PlanInputs, PlanSearch, search_plan
from costmodel.pricing.bill import ApiBill, peak_weight_utc, workload_bill_arrays
from costmodel.serving import FleetCost, OptionEvaluation
from costmodel.serving.option import class_need
from costmodel.workload.scenario import ApiOption, Scenario, SelfHostOption, Workload
from costmodel.workload.traffic import hourly_requests_utc

__all__ = [
    "COMMITTED_PRICE_FACTOR",
    "PLAN_ASSUMPTIONS",
    "PlanPrices",
    "PlanResult",
    "committed_prices",
    "evaluate_plan",
    "plan_api_for",
    "plan_inputs",
]

#: Committed (reserved) price as a fraction of the on-demand price when the catalogue has no reserved row for the
#: GPU: Hyperstack's reserved against on-demand rates, H100 SXM 2.72/3.20 = 0.85, B200 5.10/6.00 = 0.85, H200
#: 2.79/3.99 = 0.70 (/work/shared/reference/facts-2026-12.md §6, read through secondary trackers); the higher,
#: more conservative ratio. Plausible range 0.5-1.0 (multi-year terms reach lower).
COMMITTED_PRICE_FACTOR = 0.85

#: The assumptions of every plan, in words (rows, exports, the page).
PLAN_ASSUMPTIONS = (
    "routing by UTC hour, not by request; the API's cache-hit share of the overflow = the workload's; committed "
    "GPUs paid every hour (a reserved rental row, else the option's price x "
    f"{COMMITTED_PRICE_FACTOR:g}; the term's length not modelled); on-demand GPUs by the hour at the option's "
    "price; no spot (interruptions not priced)"
)


def plan_api_for(
    option: SelfHostOption,
    api_options: Sequence[ApiOption],
    weights: Mapping[ApiOption, str | None] | None = None,
) -> ApiOption | None:
    """The API a self-hosting option is paired with: the first API option serving the same weights, ``weights``
    giving the open-weights model id behind each API at the priced moment (``deepseek-v4-flash`` is answered by
    ``deepseek-v4.1-flash`` since 2026-09-10; None = closed weights); an API missing from ``weights`` is taken
    to serve its own model id. None when the scenario has none. The one place the pairing rule lives."""
    served = weights or {}
    return next((a for a in api_options if served.get(a, a.model) == option.model), None)


@dataclass(frozen=True)
class PlanPrices:
    """The GPU-hour prices of a plan, USD per GPU-hour before overhead.

    Attributes:
        committed_usd_per_gpu_hour: committed price.
        committed_basis: how it was found, in words.
        committed_price_id: the rental row (or ``<on-demand id> x factor``).
        on_demand_usd_per_gpu_hour: on-demand price (the option's own).
        on_demand_price_id: its row.
    """

    committed_usd_per_gpu_hour: float
    committed_basis: str
    committed_price_id: str
    on_demand_usd_per_gpu_hour: float
    on_demand_price_id: str


def committed_prices(option: SelfHostOption, ev: OptionEvaluation, catalogue: Catalogue) -> PlanPrices:
    """Committed and on-demand GPU-hour prices of a plan on ``option`` (the one place they are looked up).

    On demand: the option's own price (``ev.usd_per_gpu_hour``). Committed: the option's own price when it is
    already committed (``acquisition`` reserved or buy); else the most recent reserved rental row of the GPU; else
    the option's price × :data:`COMMITTED_PRICE_FACTOR`.
    """
    p = ev.usd_per_gpu_hour
    if option.acquisition in ("reserved", "buy"):
        return PlanPrices(p, f"the option's own {option.acquisition} price", ev.rental_id, p, ev.rental_id)
    rows = [r for r in catalogue.rentals if r.gpu == option.gpu and r.basis == "reserved"]
    if rows and option.usd_per_gpu_hour is None:
        r = max(rows, key=lambda x: (x.as_of, -x.usd_per_gpu_hour, x.id))
        return PlanPrices(r.usd_per_gpu_hour, f"reserved rental row {r.id}", r.id, p, ev.rental_id)
    return PlanPrices(
        p * COMMITTED_PRICE_FACTOR,
        f"on-demand x {COMMITTED_PRICE_FACTOR:g} (no reserved row for {option.gpu})",
        f"{ev.rental_id} x {COMMITTED_PRICE_FACTOR:g}",
        p,
        ev.rental_id,
    )


@dataclass(frozen=True)
class PlanResult:
    """The cheapest plan of one (self-hosting, API) pair.

    Attributes:
        self_host: the self-hosting option; ``self_host_label`` its ``option`` label in the table.
        api: the API option (its ``option_id`` is its table label).
        prices: the GPU-hour prices used.
        inputs: the hourly arrays searched (None when not searched).
        search: the search result (None when not searched).
        kind: ``mixed`` (self-hosted base + API overflow), ``api_only``, ``self_host_only`` or ``none``.
        monthly_cost_usd: the plan's monthly cost, USD (nan when none).
        api_only_usd_per_month: the pure API plan (the API's bill), USD (nan when the API cannot serve it).
        self_host_only_usd_per_month: the pure self-hosting plan (the option's fleet as evaluated), USD (nan: none).
        committed_gpus, on_demand_gpus: GPUs of each basis (on-demand: the most in any hour).
        on_demand_gpu_hours: on-demand GPU-hours a month.
        api_overflow_usd_per_month: the API bill of the overflow.
        self_hosted_request_share, self_hosted_token_share: shares of the month's requests and tokens self-hosted.
        served_share_by_hour: share of each UTC hour's requests self-hosted, (7, 24).
        why: why a pure plan is best, or what the mixed plan does, in words.
        reason: why there is no plan ("" when there is).
    """

    self_host: SelfHostOption
    self_host_label: str
    api: ApiOption
    prices: PlanPrices | None
    inputs: PlanInputs | None
    search: PlanSearch | None
    kind: str
    monthly_cost_usd: float
    api_only_usd_per_month: float
    self_host_only_usd_per_month: float
    committed_gpus: int
    on_demand_gpus: int
    on_demand_gpu_hours: float
    committed_usd_per_month: float
    on_demand_usd_per_month: float
    api_overflow_usd_per_month: float
    self_hosted_request_share: float
    self_hosted_token_share: float
    served_share_by_hour: FloatArray
    why: str
    reason: str = ""
    own_fleet: bool = False
    """The plan is the self-hosting option's own fleet (its mode and price), which beat every mix."""


def _none(sh: SelfHostOption, label: str, api: ApiOption, reason: str, a: float, s: float) -> PlanResult:
    nan = math.nan
    return PlanResult(sh, label, api, None, None, None, "none", nan, a, s, 0, 0, nan, nan, nan, nan, nan, nan,
                      np.full((7, 24), nan), "", reason)  # fmt: skip


def _api_usd_by_hour(
    bill: ApiBill, classes: Sequence[Workload], hourly: Sequence[FloatArray], overflow_cache_hit: float | None
) -> FloatArray:
    """USD of the API bill of all of each UTC hour's requests at that hour's price (peak or off-peak, each
    bucket's context tier), summed over the classes: (7, 24)."""
    price = bill.price
    weight = peak_weight_utc(price)  # share of each hour billed at the standard price (holidays excluded)
    out = np.zeros((7, 24))
    for w, r in zip(classes, hourly, strict=True):
        hit = w.cache_hit_fraction if overflow_cache_hit is None else overflow_cache_hit

        def one(peak: float, w: Workload = w, hit: float = hit) -> float:
            return float(
                workload_bill_arrays(
                    price, w, requests_per_month=1.0, cache_hit_fraction=hit, peak_fraction=peak
                )["monthly_cost_usd"]
            )

        out = out + r * (weight * one(1.0) + (1.0 - weight) * one(0.0))
    return out


def plan_inputs(
    scenario: Scenario,
    ev: OptionEvaluation,
    bill: ApiBill,
    prices: PlanPrices,
    overflow_cache_hit_fraction: float | None = None,
    capacity_scale: float = 1.0,
) -> tuple[PlanInputs, ...]:
    """The hourly arrays a plan is searched over, one per attention layout the option costed (the layout the option
    reports first): GPUs of work per UTC hour at the latency target (its classes' requests × GPU-seconds per request,
    :func:`~costmodel.serving.option.class_need`), the API's USD per hour, requests and tokens per hour, the replica
    and the prices with the overhead. Empty when the option has no cost at the scenario's efficiency level."""
    w, a = scenario.workload, scenario.assumptions
    layouts = list(ev.per_class.get(a.efficiency) or ())
    est = ev.estimates.get(a.efficiency)
    if est is not None:  # the reported layout first: ties keep it
        layouts.sort(key=lambda ts: ts[0].deployment_gpus != est.memory.gpus)
    mix = scenario.class_workloads() or (("", w),)
    classes = [c for _, c in mix]
    hourly = [hourly_requests_utc(c) for c in classes]
    requests = np.sum(hourly, axis=0)
    tokens = np.sum([r * (c.prompt_tokens + c.billed_output_tokens) for r, c in zip(hourly, classes, strict=True)],
                    axis=0)  # fmt: skip
    hour_usd = _api_usd_by_hour(bill, classes, hourly, overflow_cache_hit_fraction)
    over = 1.0 + a.overhead_pct / 100.0
    out = []
    for tables in layouts:
        need_p, need_d = class_need(
            hourly, [t.prefill_gpu_s[0] for t in tables], [t.decode_gpu_s[0] for t in tables]
        )
        n = tables[0].deployment_gpus
        out.append(
            PlanInputs(
                need_gpus=need_p + need_d,
                api_usd=hour_usd,
                requests=requests,
                tokens=tokens,
                replica_gpus=n,
                replica_capacity_gpus=n * a.target_utilization * capacity_scale,
                committed_usd_per_gpu_hour=prices.committed_usd_per_gpu_hour * over,
                on_demand_usd_per_gpu_hour=prices.on_demand_usd_per_gpu_hour * over,
                hours_per_slot=w.days_per_month / 7.0,
                fixed_usd_per_month=a.ops_usd_per_month,
            )
        )
    return tuple(out)


def evaluate_plan(
    scenario: Scenario,
    catalogue: Catalogue,
    self_host: tuple[SelfHostOption, str, OptionEvaluation],
    api: tuple[ApiOption, ApiBill],
    *,
    overflow_cache_hit_fraction: float | None = None,
    capacity_scale: float = 1.0,
) -> PlanResult:
    """The cheapest plan of one pair at the scenario's efficiency level (module docstring of
    :mod:`costmodel.evaluate.plans`): each attention layout the option costed is searched, the cheapest kept, and
    the pure plans are candidates.

    Args:
        self_host: (option, its table label, its evaluation).
        api: (option, its bill at the workload).
        overflow_cache_hit_fraction: the cache-hit share of the API's overflow (None: each class's own).
        capacity_scale: multiple of each replica's capacity (0: a fleet that serves nothing; tests).
    """
    sh, label, ev = self_host
    option, bill = api
    level = scenario.assumptions.efficiency
    api_usd = math.nan if bill.reason else bill.monthly_cost_usd
    fleet = ev.costs.get(level)
    sh_usd = float(fleet.monthly_cost_usd) if fleet is not None else math.nan
    if bill.reason:
        return _none(
            sh, label, option, f"the API cannot serve this workload ({bill.reason})", api_usd, sh_usd
        )
    layouts = ev.per_class.get(level) or ()
    if ev.reason or fleet is None or not layouts:
        return _none(
            sh, label, option, f"self-hosting not costed ({ev.reason or 'infeasible'})", api_usd, sh_usd
        )
    if sh.prefill_gpus is not None:  # the search rents one kind of replica; a split has pools of two sizes
        return _none(
            sh,
            label,
            option,
            f"not searched for a stated split (pools of {sh.prefill_gpus} prefill + {sh.decode_gpus} decode GPUs): "
            "a plan rents replicas of one size",
            api_usd,
            sh_usd,
        )
    prices = committed_prices(sh, ev, catalogue)
    best: tuple[PlanSearch, PlanInputs] | None = None
    for x in plan_inputs(scenario, ev, bill, prices, overflow_cache_hit_fraction, capacity_scale):
        found = search_plan(x)
        if best is None or found.monthly_cost_usd < best[0].monthly_cost_usd:
            best = (found, x)
    assert best is not None
    found, x = best
    if found.committed_replicas == 0 and found.on_demand_gpu_hours == 0:
        # the API-only candidate: the API's own bill (equal to the hourly sum up to rounding)
        why = f"not searched: {found.reason}" if found.reason else _why_api(x)
        return _result(sh, label, option, prices, x, found, "api_only", api_usd, api_usd, sh_usd, why)
    if capacity_scale > 0 and sh_usd < found.monthly_cost_usd:  # the option's own fleet is cheaper
        return _self_host_only(sh, label, option, prices, x, found, api_usd, sh_usd, fleet)
    kind = "self_host_only" if found.api_overflow_usd_per_month <= 0 else "mixed"
    why = "the fleet is cheaper than the API in every hour" if kind == "self_host_only" else _when(x, found)
    return _result(sh, label, option, prices, x, found, kind, found.monthly_cost_usd, api_usd, sh_usd, why)


def _result(
    sh: SelfHostOption, label: str, api: ApiOption, prices: PlanPrices, x: PlanInputs, s: PlanSearch, kind: str,
    cost: float, api_usd: float, sh_usd: float, why: str,
) -> PlanResult:  # fmt: skip
    share = s.served_share_by_hour
    tok = float(np.sum(x.tokens))
    return PlanResult(
        self_host=sh,
        self_host_label=label,
        api=api,
        prices=prices,
        inputs=x,
        search=s,
        kind=kind,
        monthly_cost_usd=cost,
        api_only_usd_per_month=api_usd,
        self_host_only_usd_per_month=sh_usd,
        committed_gpus=s.committed_replicas * x.replica_gpus,
        on_demand_gpus=s.on_demand_replicas * x.replica_gpus,
        on_demand_gpu_hours=s.on_demand_gpu_hours,
        committed_usd_per_month=s.committed_usd_per_month,
        on_demand_usd_per_month=s.on_demand_usd_per_month,
        api_overflow_usd_per_month=cost if kind == "api_only" else s.api_overflow_usd_per_month,
        self_hosted_request_share=s.request_share(x.requests),
        self_hosted_token_share=float(np.sum(share * x.tokens)) / tok if tok > 0 else 0.0,
        served_share_by_hour=share,
        why=why,
    )


def _self_host_only(
    sh: SelfHostOption, label: str, api: ApiOption, prices: PlanPrices, x: PlanInputs, s: PlanSearch,
    api_usd: float, sh_usd: float, fleet: FleetCost,
) -> PlanResult:  # fmt: skip
    """The option's own fleet (its mode and price) as the plan: it beat every committed / on-demand mix."""
    full = np.where(x.need_gpus > 0, 1.0, 0.0)
    always_on = sh.mode == "always_on"
    peak = round(float(fleet.gpus_peak))
    od_hours = 0.0 if always_on else float(fleet.gpu_hours)
    return PlanResult(
        self_host=sh, self_host_label=label, api=api, prices=prices, inputs=x, search=s, kind="self_host_only",
        monthly_cost_usd=sh_usd, api_only_usd_per_month=api_usd, self_host_only_usd_per_month=sh_usd,
        committed_gpus=peak if always_on else 0, on_demand_gpus=0 if always_on else peak,
        on_demand_gpu_hours=od_hours, committed_usd_per_month=sh_usd if always_on else 0.0,
        on_demand_usd_per_month=0.0 if always_on else sh_usd, api_overflow_usd_per_month=0.0,
        self_hosted_request_share=1.0, self_hosted_token_share=1.0, served_share_by_hour=full,
        own_fleet=True,
        why=f"the option's own {sh.mode.replace('_', '-')} fleet at its price costs less than any committed and "
        "on-demand mix",
    )  # fmt: skip


def _when(x: PlanInputs, s: PlanSearch) -> str:
    """When the overflow goes to the API, in words: its weekday share and the UTC hours holding most of it."""
    over = x.requests * (1.0 - s.served_share_by_hour)
    total = float(over.sum())
    if total <= 0:
        return ""
    weekday = float(over[:5].sum()) / total
    by_hour = over.sum(axis=0)
    busy = [int(h) for h in np.flatnonzero(by_hour >= 0.5 * by_hour.max())]
    # the shortest arc of the clock holding the busy hours: it starts after the widest gap between them
    gaps = [((busy[(i + 1) % len(busy)] - h - 1) % 24, i) for i, h in enumerate(busy)]
    _, i = max(gaps)
    start, end = busy[(i + 1) % len(busy)], busy[i]
    return (
        f"the API takes the rest: {weekday:.0%} of it on weekdays, most of it {start:02d}:00-{(end + 1) % 24:02d}:00 "
        "UTC"
    )


def _why_api(x: PlanInputs) -> str:
    """Why no GPU is worth renting: the quietest hour's work is less than one replica, or a full replica costs more
    than the API traffic it could take in the best hour."""
    need = x.need_gpus
    per_gpu = np.divide(x.api_usd, need, out=np.zeros_like(need), where=need > 0)
    best_hour = float(np.max(np.minimum(need, x.replica_capacity_gpus) * per_gpu)) if need.size else 0.0
    replica = x.replica_gpus * x.on_demand_usd_per_gpu_hour
    if x.replica_capacity_gpus <= 0:
        return "the fleet has no capacity"
    if float(need.min()) < x.replica_capacity_gpus and best_hour >= replica:
        return (
            f"the fleet's smallest replica ({x.replica_gpus} GPUs) is larger than the base load (the quietest hour "
            f"needs {float(need.min()):.2g} GPUs of work), and renting it on demand for the peaks costs more than "
            "the API for them"
        )
    return (
        f"one replica of {x.replica_gpus} GPUs costs ${replica:,.2f}/hour on demand, more than the "
        f"${best_hour:,.2f} of API traffic it could take in the busiest hour"
    )
