"""Plans: a self-hosted base load with the overflow sent to an API, hour by hour, and the cheapest such plan.

A plan pairs a self-hosting option with an API option (:func:`plan_api_for`: today the API serving the same model
id) and a fleet of whole replicas of the option's deployment (``n`` GPUs each): ``k`` replicas committed for every
hour of the month, up to ``m`` more rented on demand by the hour, and the API for the work the fleet does not serve
in each UTC hour of the (7, 24) week. Routing is by hour: in hour ``h`` the fleet serves a share of that hour's
requests (every class and prompt-length bucket alike), the API the rest, billed at that hour's price (peak or
off-peak window, context tiers of each bucket: :func:`costmodel.pricing.bill.workload_bill_arrays`).

Per UTC hour ``h`` (``N_h`` GPUs of work at the scenario's latency target, from the serving model's GPU-seconds per
request; ``c = n · target_utilization`` GPUs of work per replica; ``A_h`` USD of API bill for all of hour ``h``'s
requests; ``t = days_per_month / 7`` occurrences of each weekday-hour a month)::

    served by committed   s_h = min(N_h, k · c)
    on-demand replica j   serves o_jh = clip(N_h − s_h − (j − 1) c, 0, c), rented iff o_jh / N_h · A_h ≥ n · p_od
                          (a replica is rented only when the API bill it avoids pays for it; o_jh decreases in j, so
                          the rented ones are a prefix: m_h = min(m, #worth)), capped by m
    monthly cost          t · Σ_h [ k n p_c + m_h n p_od + (1 − (s_h + Σ_{j≤m_h} o_jh) / N_h) · A_h ]
                          + fixed monthly cost (operations) when any GPU is rented

``p_c`` and ``p_od`` include the overhead percentage. The search is exact over the whole-replica grid
``0 ≤ k ≤ K``, ``0 ≤ m ≤ K − k`` (``K`` = replicas of the busiest hour), one vectorised pass per ``k``; the pure
plans (API only: the API bill itself; self-host only: the option's own fleet as evaluated) are candidates too, so
a plan never costs more than either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from costmodel.catalog.units import FloatArray

__all__ = ["PlanInputs", "PlanSearch", "search_plan"]

#: Most replicas of the busiest hour searched one by one (beyond, the plan is not searched: the row says why).
MAX_SEARCH_REPLICAS = 4096


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is searched over, all per UTC hour of the (7, 24) week.

    Attributes:
        need_gpus: GPUs of work in each hour at the latency target (GPU-seconds per second), shape (7, 24).
        api_usd: the API bill of all of the hour's requests at that hour's price, USD per occurrence of the hour.
        requests: requests in each hour (all classes), shape (7, 24).
        tokens: prompt + billed output tokens in each hour, shape (7, 24).
        replica_gpus: GPUs per replica (the unit rented).
        replica_capacity_gpus: GPUs of work one replica serves (replica_gpus × target utilisation).
        committed_usd_per_gpu_hour: committed price, overhead included.
        on_demand_usd_per_gpu_hour: on-demand price, overhead included.
        hours_per_slot: occurrences of each weekday-hour in a month (days_per_month / 7).
        fixed_usd_per_month: fixed monthly cost of running any fleet (operations), USD.
    """

    need_gpus: FloatArray
    api_usd: FloatArray
    requests: FloatArray
    tokens: FloatArray
    replica_gpus: int
    replica_capacity_gpus: float
    committed_usd_per_gpu_hour: float
    on_demand_usd_per_gpu_hour: float
    hours_per_slot: float
    fixed_usd_per_month: float = 0.0


@dataclass(frozen=True)
class PlanSearch:
    """The cheapest (k, m) of the whole-replica grid and what it does hour by hour.

    Attributes:
        committed_replicas: k.
        on_demand_replicas: m, the most on-demand replicas rented in any hour.
        monthly_cost_usd: its monthly cost, USD.
        committed_usd_per_month, on_demand_usd_per_month, api_overflow_usd_per_month, fixed_usd_per_month: its parts.
        on_demand_gpu_hours: on-demand GPU-hours rented a month.
        served_share_by_hour: share of each hour's requests the fleet serves, (7, 24).
        on_demand_by_hour: on-demand replicas rented in each hour, (7, 24).
        cost_by_committed: the cheapest monthly cost at each k = 0..K (over m), USD; shape (K + 1,).
        api_only_usd_per_month: the k = m = 0 plan (every hour's bill at its price).
        peak_replicas: K, the replicas of the busiest hour.
        reason: why the grid was not searched ("" when it was).
    """

    committed_replicas: int
    on_demand_replicas: int
    monthly_cost_usd: float
    committed_usd_per_month: float
    on_demand_usd_per_month: float
    api_overflow_usd_per_month: float
    fixed_usd_per_month: float
    on_demand_gpu_hours: float
    served_share_by_hour: FloatArray
    on_demand_by_hour: FloatArray
    cost_by_committed: FloatArray
    api_only_usd_per_month: float
    peak_replicas: int
    reason: str = ""

    def request_share(self, requests: FloatArray) -> float:
        """Share of the month's requests the fleet serves."""
        total = float(np.sum(requests))
        return float(np.sum(self.served_share_by_hour * requests)) / total if total > 0 else 0.0


def _api_only(x: PlanInputs, reason: str = "") -> PlanSearch:
    api = float(np.sum(x.api_usd)) * x.hours_per_slot
    zero = np.zeros((7, 24))
    return PlanSearch(0, 0, api, 0.0, 0.0, api, 0.0, 0.0, zero, zero, np.array([api]), api, 0, reason)


def search_plan(x: PlanInputs) -> PlanSearch:
    """The cheapest plan of the whole-replica grid (module docstring), ties to the fewest committed, then on-demand.

    A replica that serves nothing (capacity 0, or no finite price) leaves the API-only plan: its cost is the sum of
    each hour's API bill, which is the API's monthly bill of the workload.
    """
    need = np.asarray(x.need_gpus, dtype=np.float64)
    a_usd = np.asarray(x.api_usd, dtype=np.float64)
    cap, n = float(x.replica_capacity_gpus), float(x.replica_gpus)
    prices_ok = math.isfinite(x.committed_usd_per_gpu_hour) and math.isfinite(x.on_demand_usd_per_gpu_hour)
    if not (cap > 0 and math.isfinite(cap) and prices_ok and np.all(np.isfinite(need))):
        return _api_only(
            x, "the fleet has no capacity or no price" if not prices_ok or not cap > 0 else "no finite work"
        )
    peak = int(max(0.0, math.ceil(float(need.max()) / cap - 1e-9)))
    if peak > MAX_SEARCH_REPLICAS:
        return _api_only(
            x, f"the busiest hour needs {peak:,} replicas, more than the {MAX_SEARCH_REPLICAS:,} searched"
        )
    t = x.hours_per_slot
    # API USD avoided per GPU of work served in each hour (0 where there is no work)
    per_gpu = np.divide(a_usd, need, out=np.zeros_like(need), where=need > 0)
    replica_od = n * x.on_demand_usd_per_gpu_hour  # USD an on-demand replica costs per hour
    best: tuple[float, int, int] = (math.inf, 0, 0)
    cost_by_k = np.full(peak + 1, math.inf)
    for k in range(peak + 1):
        s = np.minimum(need, k * cap)
        resid = need - s
        j_max = peak - k
        j = np.arange(1, j_max + 1, dtype=np.float64)[:, None, None]
        o = np.clip(resid[None] - (j - 1.0) * cap, 0.0, cap)  # (J, 7, 24): work of the j-th on-demand replica
        worth = (o * per_gpu[None] >= replica_od) & (o > 0)
        m_star = worth.sum(axis=0)  # (7, 24): on-demand replicas worth renting in each hour
        cum = np.concatenate([np.zeros((1, 7, 24)), np.cumsum(o, axis=0)], axis=0)  # (J + 1, 7, 24)
        m_grid = np.arange(j_max + 1)[:, None, None]
        m_h = np.minimum(m_grid, m_star[None])  # (M + 1, 7, 24)
        served = s[None] + np.take_along_axis(cum, m_h, axis=0)
        api = np.sum((need[None] - served) * per_gpu[None], axis=(1, 2))
        od_hours = n * m_h.sum(axis=(1, 2))  # GPU-hours per week of on-demand
        used = (k > 0) | (m_h.sum(axis=(1, 2)) > 0)
        cost = t * (
            168.0 * k * n * x.committed_usd_per_gpu_hour + od_hours * x.on_demand_usd_per_gpu_hour + api
        )
        cost = cost + np.where(used, x.fixed_usd_per_month, 0.0)
        if k == 0:
            cost[0] = float(np.sum(a_usd)) * t  # the API-only plan: every hour's bill, summed exactly
        i = int(np.argmin(cost))
        cost_by_k[k] = cost[i]
        if cost[i] < best[0] * (1.0 - 1e-12):
            best = (float(cost[i]), k, i)
    _, k, m = best
    s = np.minimum(need, k * cap)
    j = np.arange(1, peak - k + 1, dtype=np.float64)[:, None, None]
    o = np.clip((need - s)[None] - (j - 1.0) * cap, 0.0, cap)
    m_h = np.minimum(m, ((o * per_gpu[None] >= replica_od) & (o > 0)).sum(axis=0))
    cum = np.concatenate([np.zeros((1, 7, 24)), np.cumsum(o, axis=0)], axis=0)
    served = s + np.take_along_axis(cum, m_h[None], axis=0)[0]
    share = np.divide(served, need, out=np.zeros_like(need), where=need > 0)
    api = float(np.sum((1.0 - share) * a_usd)) * t if (k or m_h.any()) else float(np.sum(a_usd)) * t
    committed = 168.0 * k * n * x.committed_usd_per_gpu_hour * t
    od_gpu_hours = n * float(m_h.sum()) * t
    fixed = x.fixed_usd_per_month if (k or m_h.any()) else 0.0
    return PlanSearch(
        committed_replicas=k,
        on_demand_replicas=int(m_h.max()) if m_h.size else 0,
        monthly_cost_usd=committed + od_gpu_hours * x.on_demand_usd_per_gpu_hour + api + fixed,
        committed_usd_per_month=committed,
        on_demand_usd_per_month=od_gpu_hours * x.on_demand_usd_per_gpu_hour,
        api_overflow_usd_per_month=api,
        fixed_usd_per_month=fixed,
        on_demand_gpu_hours=od_gpu_hours,
        served_share_by_hour=share,
        on_demand_by_hour=m_h.astype(np.float64),
        cost_by_committed=cost_by_k,
        api_only_usd_per_month=float(np.sum(a_usd)) * t,
        peak_replicas=peak,
    )
