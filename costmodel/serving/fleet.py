"""Fleet sizing and monthly cost of serving an hourly profile; the GPU-hour price of an option."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from costmodel.catalog.schema import Catalogue, GpuRental
from costmodel.catalog.units import FloatArray
from costmodel.serving.tco import resolve_owned
from costmodel.workload.scenario import RentalMode, SelfHostOption, ServingAssumptions

# ---- sizing and cost over the hourly profile ---------------------------------------------------------------

#: The hour-by-hour arrays of a :class:`FleetCost` are kept for one point only. A sweep's (121 volumes or 201
#: cache-hit fractions × 7 × 24 hours, two arrays, float64) were 97% of an evaluation's bytes (about 1.9 MB per
#: self-hosting option, 93 MB for 50 options, kept in the app's result cache) and nothing reads them.
BY_HOUR_POINTS_ONLY = True


@dataclass(frozen=True)
class FleetCost:
    """Monthly cost of serving an hourly profile (arrays over any leading sweep dimensions).

    Attributes:
        monthly_cost_usd: GPU rental × (1 + overhead), USD per month.
        input_cost_usd: the prefill share of it, USD per month.
        output_cost_usd: the decode share, USD per month.
        gpus_peak: GPUs rented in the busiest hour.
        gpus_mean: GPUs rented on average over the week.
        gpu_hours: GPU-hours rented per month.
        utilization: GPU-hours of work / GPU-hours rented.
        gpus_needed_by_hour: fractional GPUs of work in each UTC hour, shape (7, 24); a sweep (leading
            dimensions) keeps only its totals: shape (..., 0, 0) (see :data:`BY_HOUR_POINTS_ONLY`).
        gpus_by_hour: GPUs rented in each UTC hour, shape (7, 24); a sweep: shape (..., 0, 0).
    """

    monthly_cost_usd: FloatArray
    input_cost_usd: FloatArray
    output_cost_usd: FloatArray
    gpus_peak: FloatArray
    gpus_mean: FloatArray
    gpu_hours: FloatArray
    utilization: FloatArray
    gpus_needed_by_hour: FloatArray
    gpus_by_hour: FloatArray


def fleet_cost(
    hourly_requests: FloatArray,
    prefill_gpu_s_per_request: float | FloatArray,
    decode_gpu_s_per_request: float | FloatArray,
    *,
    deployment_gpus: int,
    usd_per_gpu_hour: float,
    days_per_month: float,
    mode: RentalMode = "always_on",
    disaggregated: bool = False,
    overhead_pct: float = 0.0,
    target_utilization: float = 1.0,
    fixed_usd_per_month: float = 0.0,
) -> FleetCost:
    """GPUs by hour and the monthly bill (see the module docstring for the formulas).

    Args:
        hourly_requests: requests in each UTC hour, shape (..., 7, 24).
        prefill_gpu_s_per_request: GPU-seconds of prefill per request, shape broadcastable to (...).
        decode_gpu_s_per_request: GPU-seconds of decode per request, shape broadcastable to (...).
        deployment_gpus: GPUs per deployment (the unit rented).
        usd_per_gpu_hour: rental price, USD per GPU-hour.
        days_per_month: days billed per month.
        mode: ``always_on`` (peak-hour deployments all week) or ``autoscaled`` (per hour).
        disaggregated: prefill and decode pools rounded up separately.
        overhead_pct: extra cost on top of the rental, percent.
        target_utilization: peak utilisation the fleet is sized for (fraction, (0, 1]): GPUs = work / this.
        fixed_usd_per_month: a fixed monthly cost added (people and operations), USD per month; split between
            input and output as the GPU cost is.
    """
    r = np.asarray(hourly_requests, dtype=np.float64)
    pf = np.asarray(prefill_gpu_s_per_request, dtype=np.float64)[..., None, None]
    dc = np.asarray(decode_gpu_s_per_request, dtype=np.float64)[..., None, None]
    return fleet_cost_of_need(
        r * pf / 3600.0,
        r * dc / 3600.0,
        deployment_gpus=deployment_gpus,
        usd_per_gpu_hour=usd_per_gpu_hour,
        days_per_month=days_per_month,
        mode=mode,
        disaggregated=disaggregated,
        overhead_pct=overhead_pct,
        target_utilization=target_utilization,
        fixed_usd_per_month=fixed_usd_per_month,
    )


def fleet_cost_of_need(
    need_p: FloatArray,
    need_d: FloatArray,
    *,
    deployment_gpus: int,
    usd_per_gpu_hour: float,
    days_per_month: float,
    mode: RentalMode = "always_on",
    disaggregated: bool = False,
    overhead_pct: float = 0.0,
    target_utilization: float = 1.0,
    fixed_usd_per_month: float = 0.0,
    prefill_pool_gpus: int | None = None,
) -> FleetCost:
    """:func:`fleet_cost` from the GPUs of work in each UTC hour, prefill and decode apart.

    A request mix sums its classes' work hour by hour (each class's hourly requests × its GPU-seconds per
    request / 3600) before the fleet is sized: one shared fleet.

    Args:
        need_p: GPUs of prefill work (GPU-seconds per second) in each UTC hour, shape (..., 7, 24).
        need_d: GPUs of decode work in each UTC hour, same shape.
        deployment_gpus, usd_per_gpu_hour, days_per_month, mode, disaggregated, overhead_pct,
            target_utilization, fixed_usd_per_month: as :func:`fleet_cost`.
        prefill_pool_gpus: disaggregated with a stated split: GPUs of one prefill pool (the decode pools are
            ``deployment_gpus``); None: prefill pools of ``deployment_gpus`` too.
    """

    def deploy(need: FloatArray, n: float = float(deployment_gpus)) -> FloatArray:
        d = np.maximum(1.0, np.ceil(need / target_utilization / n - 1e-9))
        if mode == "always_on":
            d = np.broadcast_to(d.max(axis=(-2, -1), keepdims=True), d.shape)
        return d * n

    hours_per_slot = days_per_month / 7.0
    k = usd_per_gpu_hour * (1.0 + overhead_pct / 100.0) * hours_per_slot
    work_p, work_d = need_p.sum(axis=(-2, -1)), need_d.sum(axis=(-2, -1))
    if disaggregated:
        gpus_p = deploy(need_p, float(prefill_pool_gpus or deployment_gpus))
        gpus = gpus_p + deploy(need_d)
        cost = gpus.sum(axis=(-2, -1)) * k
        input_cost = gpus_p.sum(axis=(-2, -1)) * k
    else:
        gpus = deploy(need_p + need_d)
        cost = gpus.sum(axis=(-2, -1)) * k
        total = work_p + work_d
        input_cost = cost * np.divide(work_p, total, out=np.full_like(total, 0.5), where=total > 0)
    gpu_hours = gpus.sum(axis=(-2, -1)) * hours_per_slot
    if fixed_usd_per_month:
        share = np.divide(input_cost, cost, out=np.full_like(cost, 0.5), where=cost > 0)
        cost = cost + fixed_usd_per_month
        input_cost = input_cost + fixed_usd_per_month * share
    needed, rented = need_p + need_d, gpus
    if needed.ndim > 2 and BY_HOUR_POINTS_ONLY:  # a sweep: its totals only (BY_HOUR_POINTS_ONLY)
        needed = rented = np.empty((*np.shape(cost), 0, 0))
    return FleetCost(
        monthly_cost_usd=cost,
        input_cost_usd=input_cost,
        output_cost_usd=cost - input_cost,
        gpus_peak=gpus.max(axis=(-2, -1)),
        gpus_mean=gpus.mean(axis=(-2, -1)),
        gpu_hours=gpu_hours,
        utilization=(work_p + work_d) * hours_per_slot / gpu_hours,
        gpus_needed_by_hour=needed,
        gpus_by_hour=rented,
    )


# ---- self-hosting options of a scenario --------------------------------------------------------------------


def resolve_rental(
    option: SelfHostOption, catalogue: Catalogue, assumptions: ServingAssumptions | None = None
) -> tuple[float, str, str, str]:
    """The GPU-hour price of an option: ``(usd_per_gpu_hour, rental id, source, as_of)``.

    An explicit ``usd_per_gpu_hour`` wins; then ``rental_id``; then owning (``acquisition`` buy:
    :func:`costmodel.serving.tco.resolve_owned` with ``assumptions``); then the most recent row of the ``acquisition``
    basis (on_demand, reserved, spot); else (``rent``) the most recent on-demand row for the GPU (the most
    recent of any basis if there is no on-demand row; the cheaper of rows read on the same day).

    Raises:
        ValueError: unknown rental id, a rental of another GPU, no rental row for the GPU (of that basis), or
            no server price to own it.
    """
    if option.usd_per_gpu_hour is not None:
        return option.usd_per_gpu_hour, "custom", "user input", ""
    if option.rental_rule != "latest":
        r = market_rental(option, catalogue)
        return r.usd_per_gpu_hour, r.id, r.source, r.as_of.isoformat()
    rows: list[GpuRental]
    if option.rental_id is None and option.acquisition == "buy":
        owned = resolve_owned(option, assumptions or ServingAssumptions(), catalogue)
        return owned.usd_per_gpu_hour, owned.row_id, owned.source, owned.as_of
    if option.rental_id is None and option.acquisition != "rent":
        rows = _curated_first(
            [r for r in catalogue.rentals if r.gpu == option.gpu and r.basis == option.acquisition]
        )
        if not rows:
            raise ValueError(
                f"cannot price: no {option.acquisition} rental price for {option.gpu} in the catalogue "
                "(choose another basis or give usd_per_gpu_hour)"
            )
    elif option.rental_id is not None:
        rows = [r for r in catalogue.rentals if r.id == option.rental_id]
        if not rows:
            raise ValueError(f"unknown rental {option.rental_id!r}")
        if rows[0].gpu != option.gpu:
            raise ValueError(f"rental {option.rental_id!r} is for {rows[0].gpu}, not {option.gpu}")
    else:
        rows = _curated_first([r for r in catalogue.rentals if r.gpu == option.gpu])
        on_demand = [r for r in rows if r.basis == "on_demand"]
        rows = on_demand or rows
        if not rows:
            raise ValueError(
                f"cannot price: no rental price for {option.gpu} in the catalogue (give usd_per_gpu_hour)"
            )
    r = max(rows, key=lambda x: (x.as_of, -x.usd_per_gpu_hour, x.id))
    return r.usd_per_gpu_hour, r.id, r.source, r.as_of.isoformat()


def _curated_first(rows: list[GpuRental]) -> list[GpuRental]:
    """The curated rows (``market`` false), or the market's when there are none: rule ``latest`` is the rule
    before the market was loaded, so loading it moves no figure that was priced before."""
    return [r for r in rows if not r.market] or rows


def market_offers(catalogue: Catalogue, gpu: str, basis: str) -> list[GpuRental]:
    """The market's rows of ``gpu`` on ``basis`` (on_demand, reserved, spot), each offer's latest: per provider and
    region, the rows of the most recent ``as_of`` (ties all kept: two undated versions of one file disagree and
    their order is unknown). Sorted by price, then id."""
    rows = [r for r in catalogue.rentals if r.market and r.gpu == gpu and r.basis == basis]
    latest: dict[tuple[str, str], list[GpuRental]] = {}
    for r in rows:
        key = (r.provider.lower(), r.region)
        have = latest.get(key)
        if have is None or r.as_of > have[0].as_of:
            latest[key] = [r]
        elif r.as_of == have[0].as_of:
            have.append(r)
    return sorted((r for rs in latest.values() for r in rs), key=lambda x: (x.usd_per_gpu_hour, x.id))


def market_rental(option: SelfHostOption, catalogue: Catalogue) -> GpuRental:
    """The rental row an option's market rule picks (:attr:`SelfHostOption.rental_rule`): the cheapest offer, the
    median one (for an even count the lower of the two middle rows, so the price is a row's), or the named
    provider's latest (its cheapest offer of that date).

    Raises:
        ValueError: no market row of the GPU on the basis, or none from the provider (one line, with who has one).
    """
    basis = "on_demand" if option.acquisition == "rent" else option.acquisition
    offers = market_offers(catalogue, option.gpu, basis)
    if not offers:
        raise ValueError(
            f"cannot price: no {basis} market row for {option.gpu} in the catalogue "
            "(choose another basis or rule, or give usd_per_gpu_hour)"
        )
    if option.rental_rule == "cheapest":
        return offers[0]
    if option.rental_rule == "median":
        return offers[(len(offers) - 1) // 2]
    want = (option.rental_provider or "").lower()
    mine = [r for r in offers if r.provider.lower() == want]
    if not mine:
        have = ", ".join(sorted({r.provider for r in offers}))
        raise ValueError(
            f"no {basis} market row for {option.gpu} from {option.rental_provider!r}; providers: {have}"
        )
    newest = max(r.as_of for r in mine)
    return min((r for r in mine if r.as_of == newest), key=lambda x: (x.usd_per_gpu_hour, x.id))


def cheaper_fleet(a: FleetCost | None, b: FleetCost | None) -> FleetCost | None:
    """Elementwise the cheaper of two fleet costs over the same sweep (None = not available)."""
    if a is None or b is None:
        return a if b is None else b
    take_b = np.asarray(b.monthly_cost_usd) < np.asarray(a.monthly_cost_usd)

    def pick(x: FloatArray, y: FloatArray) -> FloatArray:
        # the per-hour fields have two more axes (7, 24) than the mask
        return np.where(take_b.reshape(take_b.shape + (1,) * (np.ndim(x) - take_b.ndim)), y, x)

    return FleetCost(*(pick(getattr(a, f.name), getattr(b, f.name)) for f in fields(FleetCost)))
