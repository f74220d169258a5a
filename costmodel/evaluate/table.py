"""The comparison's tables, from the typed results of an evaluation: one tidy row per option (API rows and
self-hosting rows side by side), the stale-row flags and the cheapest rows; the curves and break-even frames are in
:mod:`costmodel.evaluate.frames`.

Every money column is USD per month (``monthly_*_usd``); rates are USD per 1M tokens. API rows carry the ids,
sources, ``as_of`` dates and confidence of the price rows used, and the fields of those rows that could not be
verified; every row says in ``stale_rows`` which catalogue rows it uses were checked more than
:data:`STALE_AFTER_DAYS` days before the priced date. ``gpus`` and ``utilization`` are empty (``<NA>``) for API
rows; no computed column is ever NaN or infinite without its reason in the row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from costmodel.catalog.loader import stale_rows
from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import TOKENS_PER_MTOK
from costmodel.evaluate.ranking import add_ranking
from costmodel.pricing.bill import ApiBill
from costmodel.serving import EfficiencyLevel, OptionEvaluation, option_label
from costmodel.workload.scenario import ApiOption, Scenario, SelfHostOption

#: A catalogue row checked more than this many days before the priced date is flagged in ``stale_rows``.
STALE_AFTER_DAYS = 180

#: Values of the ``group`` column: the model maker's own API (or a custom price), a third party serving the same
#: open weights, or self-hosting.
GROUP_API = "API"
GROUP_HOSTED = "Open weights, hosted"
GROUP_SELF_HOST = "Self-host"
GROUP_PLAN = "Plan: self-host + API"


def option_group(
    kind: str, provider: str, model: str, catalogue: Catalogue, price_basis: str = "list"
) -> str:
    """The group of a table row: :data:`GROUP_SELF_HOST` for self-hosting; :data:`GROUP_HOSTED` for an API
    whose provider is not the model's maker (a host of the open weights); :data:`GROUP_API` otherwise (the
    maker's API, or a custom price)."""
    if kind in ("self_host", "plan"):
        return GROUP_SELF_HOST if kind == "self_host" else GROUP_PLAN
    if price_basis == "custom":
        return GROUP_API
    maker = next((m.provider for m in catalogue.models if m.id == model), None)
    return GROUP_HOSTED if maker is not None and provider != maker else GROUP_API


#: Columns every row has (API and self-hosting), in display order.
COLUMNS = [
    "option",
    "label",
    "kind",
    "group",
    "rank",
    "feasible",
    "reason",
    "provider",
    "model",
    "weights_model",
    "monthly_cost_usd",
    "usd_per_request",
    "usd_per_mtok_input",
    "usd_per_mtok_output",
    "usd_per_mtok_blended",
    "gpus",
    "utilization",
    "price_ids",
    "price_sources",
    "price_as_of",
    "price_confidence",
    "unconfirmed_fields",
    "as_of",
    "notes",
]
#: Extra columns of API rows: the itemised bill.
API_COLUMNS = [
    "price_basis",
    "price_basis_used",
    "monthly_input_cache_hit_usd",
    "monthly_input_cache_miss_usd",
    "monthly_output_usd",
    "monthly_peak_usd",
    "monthly_off_peak_usd",
    "peak_traffic_fraction",
    "context_tier_above_prompt_tokens",
]


# ---- the comparison table ----------------------------------------------------------------------------------


def api_rows(scenario: Scenario, bills: Sequence[tuple[ApiOption, ApiBill]]) -> pd.DataFrame:
    """One row per API option (columns :data:`COLUMNS` + :data:`API_COLUMNS`), from its bill.

    ``context_tier_above_prompt_tokens`` is 0 when the base prices apply. An API that cannot serve the workload
    (``bill.reason``: too long for its context window) has ``feasible`` false, the reason, and empty money.
    """
    records = []
    for option, b in bills:
        p = b.price

        def usd(x: float, b: ApiBill = b) -> float:
            return math.nan if b.reason else x

        records.append(
            {
                "option": option.option_id,
                "kind": "api",
                "feasible": not b.reason,
                "reason": b.reason or None,
                "provider": option.provider,
                "model": option.model,
                "weights_model": p.weights_model,
                "monthly_cost_usd": usd(b.monthly_cost_usd),
                "usd_per_mtok_input": usd(b.usd_per_mtok_input),
                "usd_per_mtok_output": usd(b.usd_per_mtok_output),
                "usd_per_mtok_blended": usd(b.usd_per_mtok_blended),
                "gpus": pd.NA,
                "utilization": pd.NA,
                "price_ids": p.price_ids,
                "price_sources": p.price_sources,
                "price_as_of": p.price_as_of,
                "price_confidence": p.price_confidence,
                "unconfirmed_fields": p.unconfirmed_fields,
                "as_of": scenario.as_of.isoformat(),
                "notes": "; ".join(b.notes),
                "price_basis": option.price_basis,
                "price_basis_used": p.price_basis_used,
                "monthly_input_cache_hit_usd": usd(b.monthly_input_cache_hit_usd),
                "monthly_input_cache_miss_usd": usd(b.monthly_input_cache_miss_usd),
                "monthly_output_usd": usd(b.monthly_output_usd),
                "monthly_peak_usd": usd(b.monthly_peak_usd),
                "monthly_off_peak_usd": usd(b.monthly_off_peak_usd),
                "peak_traffic_fraction": b.peak_traffic_fraction,
                "context_tier_above_prompt_tokens": b.context_tier_above_prompt_tokens or 0,
            }
        )
    df = pd.DataFrame.from_records(records, columns=COLUMNS + API_COLUMNS)
    return df.astype(
        {
            "gpus": "Int64",
            "utilization": "Float64",
            "rank": "Int64",
            "usd_per_request": "Float64",
            "context_tier_above_prompt_tokens": "int64",
        }
    )


#: Columns of :func:`self_host_rows`, in order.
SELF_HOST_ROW_COLUMNS = (
    "option", "kind", "provider", "model", "weights_model", "gpu", "precision", "mode", "disaggregated",
    "prefill_pool_gpus", "monthly_cost_usd", "usd_per_mtok_input", "usd_per_mtok_output", "usd_per_mtok_blended",
    "gpus", "gpus_mean", "deployment_gpus", "attention_layout", "utilization", "ttft_ms", "tpot_ms", "max_batch",
    "prefill_tokens_per_s_per_gpu", "decode_tokens_per_s_per_gpu", "weights_bytes",
    "efficiency", "monthly_cost_usd_pessimistic", "monthly_cost_usd_optimistic", "monthly_cost_usd_floor",
    "feasible", "reason", "unconfirmed_fields", "measured",
    "usd_per_gpu_hour", "rental_provider", "rental_basis", "price_ids", "price_sources", "price_as_of", "price_confidence", "as_of", "band_reason", "notes",
)  # fmt: skip


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _per_mtok(usd: float, mtok: float) -> float | None:
    """USD per million tokens; None when there is no finite rate (no tokens, or too few for one)."""
    return _finite_or_none(usd / mtok) if mtok > 0 else None


#: Model-row fields that feed the self-hosting estimate (their unconfirmed status is carried into the row).
_ARCH_FIELDS = ("config", "weight_precision", "total_params_b", "active_params_b")


def self_host_rows(
    scenario: Scenario, catalogue: Catalogue, evaluated: Sequence[tuple[SelfHostOption, OptionEvaluation]]
) -> pd.DataFrame:
    """One row per evaluated self-hosting option, with the comparison columns (kind = ``self_host``).

    Money at the scenario's efficiency level; the band is named by cost: ``monthly_cost_usd_pessimistic`` at low
    efficiency (the dearer edge), ``monthly_cost_usd_optimistic`` at high efficiency (the cheaper edge),
    ``monthly_cost_usd_floor`` at 100 % efficiency (no cheaper fleet is physically possible). No cell is NaN without its reason in the row: an infeasible option has
    empty money and ``reason``; a band level that cannot meet the latency targets while the chosen level
    can has an empty ``monthly_cost_usd_<level>`` and says why in ``band_reason``; a rate with nothing to
    divide by (no output tokens; every prompt token cached) is empty and ``notes`` says why.
    """
    w = scenario.workload
    a = scenario.assumptions
    mtok_in = w.monthly_prompt_tokens / TOKENS_PER_MTOK
    mtok_out = w.monthly_output_tokens / TOKENS_PER_MTOK
    rentals = {r.id: r for r in catalogue.rentals}
    model_rows = {m.id: m for m in catalogue.models}
    rows = []
    for opt, ev in evaluated:
        est = ev.estimates.get(a.efficiency)
        cost = ev.costs.get(a.efficiency)

        def money(level: EfficiencyLevel, ev: OptionEvaluation = ev) -> float:
            c = ev.costs.get(level)
            return float(c.monthly_cost_usd) if c is not None else math.nan

        rental = rentals.get(ev.rental_id)
        row: dict[str, object] = {
            "price_confidence": rental.confidence
            if rental
            else ("user input" if ev.rental_id == "custom" else None),
            "option": option_label(opt),
            "as_of": scenario.as_of.isoformat(),
            "kind": "self_host",
            "provider": "self-host",
            "model": opt.model,
            "weights_model": opt.model,
            "gpu": opt.gpu,
            "precision": opt.precision,
            "mode": opt.mode,
            "disaggregated": opt.disaggregated,
            "prefill_pool_gpus": opt.prefill_gpus,
            "efficiency": a.efficiency,
            "usd_per_gpu_hour": ev.usd_per_gpu_hour,
            # who the GPU-hour price is from, and on which basis (the market's rows)
            "rental_provider": rental.provider
            if rental
            else ("your price" if ev.rental_id == "custom" else None),
            "rental_basis": rental.basis if rental else None,
            "price_ids": ev.rental_id,
            "price_sources": ev.rental_source,
            "price_as_of": ev.rental_as_of,
            "reason": ev.reason or None,  # None, not "": empty text reads back from CSV as missing
            "feasible": not ev.reason,
        }
        if est is not None:
            row.update(
                deployment_gpus=est.memory.gpus,
                attention_layout=f"{est.memory.attention_layout}{est.memory.tp_size if est.memory.tp_size > 1 else ''}",
                weights_bytes=est.memory.weights_bytes,
                max_batch=est.max_batch,
                tpot_ms=est.tpot_ms,
                ttft_ms=float(est.ttft_ms[0]),
                prefill_tokens_per_s_per_gpu=_finite_or_none(float(est.prefill_tokens_per_s_per_gpu[0])),
                decode_tokens_per_s_per_gpu=_finite_or_none(est.decode_tokens_per_s_per_gpu),
                unconfirmed_fields=", ".join(
                    [f"{opt.gpu}.{f}" for f in est.unconfirmed_fields]
                    + [
                        f"{opt.model}.{f}"
                        for f in model_rows[opt.model].unconfirmed_fields
                        if f in _ARCH_FIELDS
                    ]
                    + [f"{ev.rental_id}.{f}" for f in (rental.unconfirmed_fields if rental else ())]
                )
                or None,
                measured=", ".join(est.measured) or None,
            )
        if cost is not None:
            total = float(cost.monthly_cost_usd)
            row.update(
                monthly_cost_usd=total,
                # a fleet rented for a vanishing volume has no finite price per token: empty, with a note
                usd_per_mtok_input=_per_mtok(float(cost.input_cost_usd), mtok_in),
                usd_per_mtok_output=_per_mtok(float(cost.output_cost_usd), mtok_out),
                usd_per_mtok_blended=_per_mtok(total, mtok_in + mtok_out),
                gpus=float(cost.gpus_peak),
                gpus_mean=float(cost.gpus_mean),
                utilization=float(cost.utilization),
                monthly_cost_usd_pessimistic=money("low"),
                monthly_cost_usd_optimistic=money("high"),
                monthly_cost_usd_floor=money("floor"),
            )
            levels: tuple[EfficiencyLevel, ...] = ("low", "high", "floor")
            band = [
                f"{lv} efficiency: no cost, {ev.estimates[lv].reason}"
                for lv in levels
                if lv in ev.estimates and ev.costs.get(lv) is None
            ]
            row["band_reason"] = "; ".join(band) or None
        notes = []
        if cost is not None and mtok_out <= 0:
            notes.append("no output tokens: no USD per M output tokens")
        if cost is not None and row.get("usd_per_mtok_blended") is None:
            notes.append("volume too small for a finite USD per M tokens on a rented fleet")
        if est is not None and row.get("prefill_tokens_per_s_per_gpu") is None:
            notes.append("every prompt token is cached: no prefill compute, no prefill rate")
        notes += ev.notes
        row["notes"] = "; ".join(notes) or None
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SELF_HOST_ROW_COLUMNS)).astype({"prefill_pool_gpus": "Int64"})


def comparison_table(
    scenario: Scenario, catalogue: Catalogue, api: pd.DataFrame, self_host: pd.DataFrame,
    plans: pd.DataFrame | None = None,
) -> pd.DataFrame:  # fmt: skip
    """API rows, then self-hosting rows, then plan rows (``kind`` = api | self_host | plan; ``group``: :func:`option_group`), with
    ``stale_rows`` and the ranking columns
    of :func:`costmodel.evaluate.ranking.add_ranking` (``label``, ``rank``, ``usd_per_request``, ``flags``).

    Columns: :data:`COLUMNS`, then :data:`API_COLUMNS`, then the columns the self-hosting rows add (then those
    of the plan rows, :data:`costmodel.evaluate.plan_table.PLAN_COLUMNS`, when there are plans).
    """
    frames = [f for f in (api, self_host, plans) if f is not None and not f.empty] or [api]
    table = pd.concat(frames, ignore_index=True)
    table["stale_rows"] = stale_flags(table, scenario, catalogue)
    table["group"] = [
        option_group(
            str(r["kind"]), str(r["provider"]), str(r["model"]), catalogue, str(r.get("price_basis"))
        )
        for _, r in table.iterrows()
    ]
    extra = [c for c in table.columns if c not in COLUMNS + API_COLUMNS]
    # Self-hosting only: the API bill columns are absent, and empty (as for self-hosting rows next to API rows).
    table = table.reindex(columns=COLUMNS + API_COLUMNS + extra)
    return add_ranking(table, scenario, catalogue)


def stale_flags(table: pd.DataFrame, scenario: Scenario, catalogue: Catalogue) -> list[str]:
    """Per row: the catalogue rows it uses (prices, rentals, GPU) checked more than :data:`STALE_AFTER_DAYS`
    days before the priced date (``scenario.as_of``), as ``id (N days old)``; ``none`` when none is (text,
    not empty: an all-empty column would read back from CSV as a column of NaN)."""
    stale = {rid: age for _, rid, _, age in stale_rows(catalogue, scenario.as_of, STALE_AFTER_DAYS)}
    out: list[str] = []
    for _, row in table.iterrows():
        ids = [p.strip() for p in str(row.get("price_ids") or "").split(";")]
        if row.get("kind") == "self_host" and isinstance(row.get("gpu"), str):
            ids.append(row["gpu"])
        hits = [f"{i} ({stale[i]} days old)" for i in dict.fromkeys(ids) if i in stale]
        out.append("; ".join(hits) or "none")
    return out


# ---- curves and break-even points --------------------------------------------------------------------------


def cheapest_row(table: pd.DataFrame) -> pd.Series | None:
    """The ranked row with rank 1: the cheapest option that can serve the workload (None if there is none)."""
    return _best_ranked(table, None)


def cheapest_of_kind(table: pd.DataFrame, kind: str) -> pd.Series | None:
    """The best-ranked row of ``kind`` (api | self_host), None when no option of that kind is ranked."""
    return _best_ranked(table, kind)


def _best_ranked(table: pd.DataFrame, kind: str | None) -> pd.Series | None:
    """The first row (in table order) of the lowest rank among the ranked rows (of ``kind`` if given), as a stable
    sort on ``rank`` would give it; with numpy (selecting and sorting a wide frame cost milliseconds a call)."""
    if "rank" not in table.columns or table.empty:
        return None
    rank = table["rank"].to_numpy(dtype=np.float64, na_value=np.nan)
    ok = ~np.isnan(rank)
    if kind is not None:
        ok &= table["kind"].to_numpy(dtype=object) == kind
    if not ok.any():
        return None
    pos = int(np.flatnonzero(ok)[np.argmin(rank[ok])])
    row: pd.Series = table.iloc[pos]
    return row


def headline_break_even(table: pd.DataFrame, break_even: pd.DataFrame) -> pd.Series | None:
    """The break-even that matters most: the cheapest API against the cheapest self-hosting option (the
    best-ranked of each kind), a row of :func:`costmodel.evaluate.frames.break_even_frame` (its ``requests_per_day`` is NaN and
    ``volume_note`` says why when they never cross); None when no option of one kind is ranked."""
    api, sh = cheapest_of_kind(table, "api"), cheapest_of_kind(table, "self_host")
    if api is None or sh is None or break_even.empty:
        return None
    hit = break_even[(break_even["api"] == api["option"]) & (break_even["self_host"] == sh["option"])]
    if hit.empty:
        return None
    row: pd.Series = hit.iloc[0]
    return row
