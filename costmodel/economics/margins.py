"""Provider economics: the dated price points of a model and the margin each implies; over time and per context length."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from costmodel.catalog.schema import Catalogue, PriceSchedule
from costmodel.catalog.units import TOKENS_PER_MTOK
from costmodel.economics.cost import SWEEP_CONTEXTS, TOKEN_TYPES, Fleet, Memo, TokenCost, TrafficMix, _cost
from costmodel.pricing.bill import tier_prices
from costmodel.pricing.resolve import ResolvedPrice

# ---- prices and margins ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PricePoint:
    """One price a buyer paid: a catalogue row in one window (USD per 1M tokens, at the mix's prompt length)."""

    row: PriceSchedule
    window: str  # all hours | peak | off-peak
    usd_per_mtok: tuple[float, float, float]  # (cache-miss input, cache-hit input, output)

    @property
    def label(self) -> str:
        """``price_id (window)``."""
        return f"{self.row.id} ({self.window})"


def price_points(
    catalogue: Catalogue, model_id: str, prompt_tokens: int, *, provider: str = "deepseek"
) -> list[PricePoint]:
    """Every dated price of ``model_id`` by ``provider``: each row as listed, and off-peak when it has windows.

    Prices at ``prompt_tokens`` (the context tier that applies), in date order.
    """
    rows = sorted(
        (r for r in catalogue.prices if r.model == model_id and r.provider == provider),
        key=lambda r: (r.effective_from, r.kind, r.id),
    )
    out: list[PricePoint] = []
    for r in rows:
        rp = ResolvedPrice(
            provider=r.provider, model=r.model, price_basis=r.kind, price_basis_used=r.kind,
            usd_per_mtok_input_cache_hit=r.usd_per_mtok_input_cache_hit,
            usd_per_mtok_input_cache_miss=r.usd_per_mtok_input_cache_miss,
            usd_per_mtok_output=r.usd_per_mtok_output, context_tiers=r.context_tiers,
        )  # fmt: skip
        hit, miss, outp = (float(x) for x in tier_prices(rp, prompt_tokens))
        if r.peak_windows:
            out.append(PricePoint(r, "peak", (miss, hit, outp)))
            m = r.off_peak_multiplier
            out.append(PricePoint(r, "off-peak", (miss * m, hit * m, outp * m)))
        else:
            out.append(PricePoint(r, "all hours", (miss, hit, outp)))
    return out


def _margin_pct(price: float, cost: float) -> float:
    """Gross margin ``(price − cost) / price``, percent (nan when the price is 0 or the cost unknown)."""
    if not price > 0 or math.isnan(cost):
        return math.nan
    return (price - cost) / price * 100.0


def margin_table(cost: TokenCost, points: Sequence[PricePoint]) -> pd.DataFrame:
    """One row per price point: prices, costs (base and band) and gross margins per token type and for the mix.

    Columns carry their units: ``usd_per_mtok_*`` (USD per 1M tokens), ``margin_*_pct`` (percent of the price;
    ``_min`` at the band's high cost, ``_max`` at its low cost).
    """
    shares = cost.mix
    p, o, h = shares.prompt_tokens, shares.output_tokens, shares.cached_share
    weights = (p * (1 - h), p * h, o)  # tokens of each type per request
    rows = []
    for pt in points:
        r = pt.row
        rec: dict[str, object] = {
            "model": cost.model,
            "price_id": r.id,
            "kind": r.kind,
            "window": pt.window,
            "effective_from": r.effective_from.isoformat(),
            "effective_to": r.effective_to.isoformat() if r.effective_to else "",
            "gpu": cost.fleet.gpu,
            "usd_per_gpu_hour": cost.price.usd,
            "utilization": cost.fleet.utilization,
        }
        for i, kind in enumerate(TOKEN_TYPES):
            price = pt.usd_per_mtok[i]
            rec[f"price_usd_per_mtok_{kind}"] = price
            rec[f"cost_usd_per_mtok_{kind}"] = cost.usd_per_mtok(kind, "base")
            rec[f"cost_usd_per_mtok_{kind}_low"] = cost.usd_per_mtok(kind, "high")
            rec[f"cost_usd_per_mtok_{kind}_high"] = cost.usd_per_mtok(kind, "low")
            rec[f"margin_{kind}_pct"] = _margin_pct(price, cost.usd_per_mtok(kind, "base"))
            rec[f"margin_{kind}_pct_min"] = _margin_pct(price, cost.usd_per_mtok(kind, "low"))
            rec[f"margin_{kind}_pct_max"] = _margin_pct(price, cost.usd_per_mtok(kind, "high"))
        revenue = sum(w * pr for w, pr in zip(weights, pt.usd_per_mtok, strict=True)) / TOKENS_PER_MTOK
        rec["price_usd_per_request"] = revenue
        rec["cost_usd_per_request"] = cost.usd_per_request("base")
        rec["margin_mix_pct"] = _margin_pct(revenue, cost.usd_per_request("base"))
        rec["margin_mix_pct_min"] = _margin_pct(revenue, cost.usd_per_request("low"))
        rec["margin_mix_pct_max"] = _margin_pct(revenue, cost.usd_per_request("high"))
        rec["price_source"] = r.source
        rec["price_as_of"] = r.as_of.isoformat()
        rec["price_confidence"] = r.confidence
        rec["price_unconfirmed_fields"] = ", ".join(r.unconfirmed_fields)
        rows.append(rec)
    return pd.DataFrame(rows)


def cost_table(cost: TokenCost) -> pd.DataFrame:
    """The cost per 1M tokens of each type, base and band, with the throughput behind it (one row per type)."""
    rows = []
    for i, kind in enumerate(TOKEN_TYPES):
        rows.append({
            "model": cost.model,
            "gpu": cost.fleet.gpu,
            "token_type": kind,
            "usd_per_mtok": cost.usd_per_mtok(kind, "base"),
            "usd_per_mtok_low": cost.usd_per_mtok(kind, "high"),
            "usd_per_mtok_high": cost.usd_per_mtok(kind, "low"),
            "gpu_s_per_mtok": cost.levels["base"].gpu_s_per_token[i] * TOKENS_PER_MTOK if cost.levels else math.nan,
            "usd_per_gpu_hour": cost.price.usd,
            "utilization": cost.fleet.utilization,
            "gpus": cost.gpus,
            "mode": cost.mode,
        })  # fmt: skip
    return pd.DataFrame(rows)


# ---- over time and per context -----------------------------------------------------------------------------


def history_frame(points: Sequence[PricePoint], cost: TokenCost, until: dt.datetime) -> pd.DataFrame:
    """Long frame for the price-history chart: one row per (price point, token type) with its period
    (``start``, ``end``; open rows end at ``until``), the price and the cost band (USD per 1M tokens)."""
    rows = []
    for pt in points:
        end = pt.row.effective_to or until
        for i, kind in enumerate(TOKEN_TYPES):
            rows.append({
                "series": f"{pt.row.kind} ({pt.window})",
                "price_id": pt.row.id,
                "token_type": kind,
                "start": pt.row.effective_from,
                "end": end,
                "price_usd_per_mtok": pt.usd_per_mtok[i],
                "cost_usd_per_mtok": cost.usd_per_mtok(kind, "base"),
                "cost_usd_per_mtok_low": cost.usd_per_mtok(kind, "high"),
                "cost_usd_per_mtok_high": cost.usd_per_mtok(kind, "low"),
                "source": pt.row.source,
                "as_of": pt.row.as_of.isoformat(),
            })  # fmt: skip
    return pd.DataFrame(rows)


def context_sweep(
    model_id: str,
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    point: PricePoint | None,
    contexts: Sequence[int] = SWEEP_CONTEXTS,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """Cost (and margin against ``point``) per token type at each context length: a request of ``L`` tokens is
    ``L − output`` prompt tokens and the mix's output (prompts shorter than 1 token are skipped)."""
    rows = []
    for length in contexts:
        prompt = int(length) - mix.output_tokens
        if prompt < 1:
            continue
        m = TrafficMix(prompt, mix.output_tokens, mix.cached_share)
        c = _cost(memo, model_id, fleet, m, catalogue)
        prices = (
            price_points(catalogue, model_id, prompt, provider=point.row.provider)
            if point is not None
            else []
        )
        here = (
            next((q for q in prices if q.row.id == point.row.id and q.window == point.window), None)
            if point
            else None
        )
        for i, kind in enumerate(TOKEN_TYPES):
            price = here.usd_per_mtok[i] if here else math.nan
            rows.append({
                "model": model_id,
                "context_tokens": int(length),
                "token_type": kind,
                "price": point.label if point else "",
                "cost_usd_per_mtok": c.usd_per_mtok(kind, "base"),
                "cost_usd_per_mtok_low": c.usd_per_mtok(kind, "high"),
                "cost_usd_per_mtok_high": c.usd_per_mtok(kind, "low"),
                "price_usd_per_mtok": price,
                "margin_pct": _margin_pct(price, c.usd_per_mtok(kind, "base")),
                "margin_pct_min": _margin_pct(price, c.usd_per_mtok(kind, "low")),
                "margin_pct_max": _margin_pct(price, c.usd_per_mtok(kind, "high")),
                "reason": c.reason,
                "notes": "; ".join(c.notes),
            })  # fmt: skip
    return pd.DataFrame(rows)
