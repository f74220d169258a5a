"""Plans in the comparison: one row of kind ``plan`` per (self-hosting, API) pair, and the hour-by-hour split.

A plan row carries the comparison columns (``monthly_cost_usd``, ``usd_per_mtok_blended``, ``gpus`` = committed +
the most on-demand GPUs of any hour, ``utilization`` = GPU-hours of work / GPU-hours rented) and its own:
``api_option`` and ``self_host_option`` (the ``option`` of its pair, both rows of the table), ``plan_kind``
(mixed | api_only | self_host_only), ``committed_gpus``, ``on_demand_gpus``, ``on_demand_gpu_hours``,
``self_hosted_request_share``, ``self_hosted_token_share``, ``api_overflow_usd_per_month``, the parts of its cost,
the two pure plans and the prices used. ``usd_per_mtok_input`` / ``_output`` are empty: a plan's fleet is not split
into input and output (``notes`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import TOKENS_PER_MTOK
from costmodel.evaluate.plan_options import PLAN_ASSUMPTIONS, PlanResult
from costmodel.evaluate.ranking import short_model_name
from costmodel.pricing.bill import ApiBill
from costmodel.workload.scenario import Scenario

__all__ = [
    "PLAN_COLUMNS",
    "PLAN_HOUR_COLUMNS",
    "plan_hours_frame",
    "plan_label",
    "plan_option_id",
    "plan_rows",
]

#: Columns plan rows add to the comparison table, in order.
PLAN_COLUMNS = [
    "api_option", "self_host_option", "plan_kind", "committed_gpus", "on_demand_gpus", "on_demand_gpu_hours",
    "self_hosted_request_share", "self_hosted_token_share", "api_overflow_usd_per_month", "committed_usd_per_month",
    "on_demand_usd_per_month", "committed_usd_per_gpu_hour", "committed_basis", "on_demand_usd_per_gpu_hour",
    "api_only_usd_per_month", "self_host_only_usd_per_month", "plan_saving_usd_per_month", "plan_why",
    "plan_assumptions",
]  # fmt: skip


def plan_option_id(p: PlanResult) -> str:
    """The ``option`` of a plan row: ``plan: <self-hosting option> + <API option>``."""
    return f"plan: {p.self_host_label} + {p.api.option_id}"


def plan_label(p: PlanResult, catalogue: Catalogue) -> str:
    """A short label: ``V4-Pro on 8× B200 committed + 8 on demand, V4-Pro API for the rest``."""
    model = short_model_name(catalogue, p.self_host.model)
    api = short_model_name(catalogue, p.api.model)
    api_name = f"{api} API" if p.api.provider == next((m.provider for m in catalogue.models if m.id == p.api.model),
                                                       None) else f"{api} via {p.api.provider}"  # fmt: skip
    gpu = p.self_host.gpu.upper()
    if p.kind == "api_only":
        return f"Plan: {api_name} only (vs {model} on {gpu})"
    parts = []
    if p.committed_gpus:
        parts.append(f"{p.committed_gpus}× committed")
    if p.on_demand_gpus:
        parts.append(f"up to {p.on_demand_gpus}× on demand")
    fleet = f"{model} on {gpu} ({', '.join(parts)})" if parts else f"{model} on {gpu}"
    return f"Plan: {fleet}" + ("" if p.kind == "self_host_only" else f" + {api_name}")


def plan_rows(
    scenario: Scenario, catalogue: Catalogue, plans: Sequence[tuple[PlanResult, ApiBill]]
) -> pd.DataFrame:
    """One row per plan (kind ``plan``), columns of the comparison table + :data:`PLAN_COLUMNS`."""
    w = scenario.workload
    mtok = (w.monthly_prompt_tokens + w.monthly_output_tokens) / TOKENS_PER_MTOK
    rentals = {r.id: r for r in catalogue.rentals}
    rows = []
    for p, bill in plans:
        cost = p.monthly_cost_usd
        pure = min(p.api_only_usd_per_month, p.self_host_only_usd_per_month)
        ids = []
        if p.prices is not None and p.kind != "api_only":
            ids = [i for i in dict.fromkeys([p.prices.committed_price_id.split(" x ")[0], p.prices.on_demand_price_id])
                   if i]  # fmt: skip
        if p.kind != "self_host_only":
            ids.append(bill.price.price_ids)
        used = [rentals[i] for i in ids if i in rentals]
        rented = (p.committed_gpus * 168.0 * w.days_per_month / 7.0) + (p.on_demand_gpu_hours or 0.0)
        work = (
            float(np.sum(p.inputs.need_gpus * p.served_share_by_hour)) * w.days_per_month / 7.0
            if p.inputs is not None and not p.reason
            else math.nan
        )
        notes = [p.why] if p.why else []
        notes.append("a plan's cost is not split into input and output tokens: no USD per M input or output")
        rows.append(
            {
                "option": plan_option_id(p),
                "label": plan_label(p, catalogue),
                "kind": "plan",
                "feasible": not p.reason,
                "reason": p.reason or None,
                "provider": p.api.provider,
                "model": p.self_host.model,
                "monthly_cost_usd": cost,
                "usd_per_mtok_blended": cost / mtok if mtok > 0 and not p.reason else math.nan,
                "gpus": (p.committed_gpus + p.on_demand_gpus) if not p.reason else math.nan,
                "utilization": work / rented if rented > 0 else math.nan,
                "gpu": p.self_host.gpu,
                "price_ids": "; ".join(ids),
                "price_sources": "; ".join(
                    [r.source for r in used]
                    + ([bill.price.price_sources] if p.kind != "self_host_only" else [])
                ),
                "price_as_of": "; ".join(
                    [r.as_of.isoformat() for r in used]
                    + ([bill.price.price_as_of] if p.kind != "self_host_only" else [])
                ),
                "price_confidence": "; ".join(
                    [r.confidence for r in used]
                    + ([bill.price.price_confidence] if p.kind != "self_host_only" else [])
                ),
                "as_of": scenario.as_of.isoformat(),
                "notes": "; ".join(notes),
                "api_option": p.api.option_id,
                "self_host_option": p.self_host_label,
                "plan_kind": p.kind,
                "committed_gpus": p.committed_gpus,
                "on_demand_gpus": p.on_demand_gpus,
                "on_demand_gpu_hours": p.on_demand_gpu_hours,
                "self_hosted_request_share": p.self_hosted_request_share,
                "self_hosted_token_share": p.self_hosted_token_share,
                "api_overflow_usd_per_month": p.api_overflow_usd_per_month,
                "committed_usd_per_month": p.committed_usd_per_month,
                "on_demand_usd_per_month": p.on_demand_usd_per_month,
                "committed_usd_per_gpu_hour": p.prices.committed_usd_per_gpu_hour if p.prices else math.nan,
                "committed_basis": p.prices.committed_basis if p.prices else None,
                "on_demand_usd_per_gpu_hour": p.prices.on_demand_usd_per_gpu_hour if p.prices else math.nan,
                "api_only_usd_per_month": p.api_only_usd_per_month,
                "self_host_only_usd_per_month": p.self_host_only_usd_per_month,
                "plan_saving_usd_per_month": pure - cost if math.isfinite(pure) else math.nan,
                "plan_why": p.why or None,
                "plan_assumptions": PLAN_ASSUMPTIONS,
            }
        )
    cols = ["option", "label", "kind", "feasible", "reason", "provider", "model", "monthly_cost_usd",
            "usd_per_mtok_blended", "gpus", "utilization", "gpu", "price_ids", "price_sources", "price_as_of",
            "price_confidence", "as_of", "notes", *PLAN_COLUMNS]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


#: Columns of :func:`plan_hours_frame`.
PLAN_HOUR_COLUMNS = [
    "plan", "weekday", "hour_utc", "requests", "self_hosted_requests", "api_requests", "self_hosted_share",
    "gpus_of_work", "committed_gpus", "on_demand_gpus", "fleet_capacity_requests", "api_usd",
]  # fmt: skip

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def plan_hours_frame(plans: Sequence[PlanResult]) -> pd.DataFrame:
    """The split of each plan hour by hour: one row per plan × UTC weekday × hour (168 a plan) with the requests in
    that hour (mean week), those self-hosted and those sent to the API, the GPUs of work, the committed and on-demand
    GPUs rented, the requests the fleet could serve in that hour and the API's USD for that hour (one occurrence)."""
    frames = []
    for p in plans:
        x, s = p.inputs, p.search
        if x is None or s is None or p.reason:
            continue
        share = p.served_share_by_hour
        committed = np.full((7, 24), float(p.committed_gpus))
        on_demand = s.on_demand_by_hour * x.replica_gpus
        if p.own_fleet:  # the option's own fleet: always-on (committed above) or autoscaled by the hour
            on_demand = (
                np.zeros((7, 24)) if p.committed_gpus
                else np.maximum(1.0, np.ceil(x.need_gpus / x.replica_capacity_gpus - 1e-9)) * x.replica_gpus
            )  # fmt: skip
        per_req = np.divide(x.need_gpus, x.requests, out=np.zeros((7, 24)), where=x.requests > 0)
        cap_gpus = (committed + on_demand) / x.replica_gpus * x.replica_capacity_gpus
        capacity = np.divide(cap_gpus, per_req, out=np.zeros((7, 24)), where=per_req > 0)
        frames.append(
            pd.DataFrame(
                {
                    "plan": plan_option_id(p),
                    "weekday": np.repeat(_DAYS, 24),
                    "hour_utc": np.tile(np.arange(24), 7),
                    "requests": x.requests.reshape(-1),
                    "self_hosted_requests": (x.requests * share).reshape(-1),
                    "api_requests": (x.requests * (1.0 - share)).reshape(-1),
                    "self_hosted_share": share.reshape(-1),
                    "gpus_of_work": x.need_gpus.reshape(-1),
                    "committed_gpus": committed.reshape(-1),
                    "on_demand_gpus": on_demand.reshape(-1),
                    "fleet_capacity_requests": capacity.reshape(-1),
                    "api_usd": (x.api_usd * (1.0 - share)).reshape(-1),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=PLAN_HOUR_COLUMNS)
    return pd.concat(frames, ignore_index=True)
