"""Scenario → cost tables: one tidy row per option, and vectorised sweeps of the API bills.

Every money column is USD per month (``monthly_*_usd``); rates are USD per 1M tokens. API rows
carry the ids, sources, ``as_of`` dates and confidence of the price rows used, and the fields of
those rows that could not be verified; every row says in ``stale_rows`` which catalogue rows it uses were
checked more than :data:`STALE_AFTER_DAYS` days before the priced date. ``gpus`` and ``utilization`` are empty (``<NA>``) for API
rows; no computed column is ever NaN or infinite.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd

# break-even (serving helper; the code is in costmodel/breakeven.py) is re-exported from here
from costmodel.breakeven import BreakEven, break_even, break_even_table
from costmodel.catalog.loader import stale_rows
from costmodel.catalog.schema import Catalogue
from costmodel.pricing import api_bill, bill_arrays, peak_traffic_fraction, resolve_price
from costmodel.scenario import ApiOption, Scenario, Workload, hourly_requests_utc
from costmodel.tables import self_host_rows
from costmodel.units import TOKENS_PER_MTOK

__all__ = [
    "API_COLUMNS",
    "COLUMNS",
    "STALE_AFTER_DAYS",
    "BreakEven",
    "api_rows",
    "api_sweep_grid",
    "break_even",
    "break_even_table",
    "compare_table",
    "stale_flags",
    "sweep",
]

FloatArray = npt.NDArray[np.float64]

#: A catalogue row checked more than this many days before the priced date is flagged in ``stale_rows``.
STALE_AFTER_DAYS = 180

#: Columns every row has (API and self-hosting), in display order.
COLUMNS = [
    "option",
    "kind",
    "provider",
    "model",
    "monthly_cost_usd",
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
#: Columns of :func:`sweep`.
_SWEEP_COLUMNS = [
    "option",
    "requests_per_day",
    "cache_hit_fraction",
    "monthly_cost_usd",
    "usd_per_mtok_blended",
]


# ---- the comparison table ----------------------------------------------------------------------------------


def api_rows(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """One row per API option of ``scenario`` (columns :data:`COLUMNS` + :data:`API_COLUMNS`).

    ``context_tier_above_prompt_tokens`` is 0 when the base prices apply.

    Raises:
        PricingError: an option is unknown or has no price in effect at ``scenario.as_of`` (one line).
    """
    records = []
    for option in scenario.api_options:
        b = api_bill(option, scenario.workload, catalogue, scenario.as_of)
        p = b.price
        records.append(
            {
                "option": option.option_id,
                "kind": "api",
                "provider": option.provider,
                "model": option.model,
                "monthly_cost_usd": b.monthly_cost_usd,
                "usd_per_mtok_input": b.usd_per_mtok_input,
                "usd_per_mtok_output": b.usd_per_mtok_output,
                "usd_per_mtok_blended": b.usd_per_mtok_blended,
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
                "monthly_input_cache_hit_usd": b.monthly_input_cache_hit_usd,
                "monthly_input_cache_miss_usd": b.monthly_input_cache_miss_usd,
                "monthly_output_usd": b.monthly_output_usd,
                "monthly_peak_usd": b.monthly_peak_usd,
                "monthly_off_peak_usd": b.monthly_off_peak_usd,
                "peak_traffic_fraction": b.peak_traffic_fraction,
                "context_tier_above_prompt_tokens": b.context_tier_above_prompt_tokens or 0,
            }
        )
    df = pd.DataFrame.from_records(records, columns=COLUMNS + API_COLUMNS)
    return df.astype({"gpus": "Int64", "utilization": "Float64", "context_tier_above_prompt_tokens": "int64"})


def compare_table(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """The cost table of ``scenario``: API rows, then self-hosting rows (``kind`` = api | self_host).

    Columns: :data:`COLUMNS`, then :data:`API_COLUMNS`, then any columns the self-hosting rows add.

    Raises:
        PricingError: an API option cannot be priced at ``scenario.as_of`` (one line).
    """
    api = api_rows(scenario, catalogue)
    frames = [f for f in (api, self_host_rows(scenario, catalogue)) if not f.empty] or [api]
    table = pd.concat(frames, ignore_index=True)
    table["stale_rows"] = stale_flags(table, scenario, catalogue)
    extra = [c for c in table.columns if c not in COLUMNS + API_COLUMNS]
    # Self-hosting only: the API bill columns are absent, and empty (as for self-hosting rows next to API rows).
    return table.reindex(columns=COLUMNS + API_COLUMNS + extra)


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
    cost: FloatArray = bill_arrays(
        price,
        requests_per_month=volumes[:, None] * workload.days_per_month,
        prompt_tokens=workload.prompt_tokens,
        billed_output_tokens=workload.billed_output_tokens,
        cache_hit_fraction=fractions[None, :],
        peak_fraction=peak_traffic_fraction(price, hourly_requests_utc(workload)),
    )["monthly_cost_usd"]
    return cost


def sweep(
    scenario: Scenario,
    catalogue: Catalogue,
    requests_per_day: npt.ArrayLike,
    cache_hit_fractions: npt.ArrayLike,
) -> pd.DataFrame:
    """Tidy sweep of every API option over volumes × cache-hit fractions.

    Returns:
        Columns ``option``, ``requests_per_day``, ``cache_hit_fraction``, ``monthly_cost_usd``,
        ``usd_per_mtok_blended`` (USD per 1M prompt + output tokens); one row per option × point.
    """
    volumes = np.asarray(requests_per_day, dtype=float).reshape(-1)
    fractions = np.asarray(cache_hit_fractions, dtype=float).reshape(-1)
    w = scenario.workload
    tokens_per_request = w.prompt_tokens + w.billed_output_tokens
    mtok_per_month = volumes[:, None] * w.days_per_month * tokens_per_request / TOKENS_PER_MTOK
    frames = []
    for option in scenario.api_options:
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
