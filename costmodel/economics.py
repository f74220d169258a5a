"""Provider economics: what a token costs the provider that serves it, and the gross margin each price implies.

The buyer's side of the calculator turned around. A *fleet* (GPU type, GPU-hour cost, serving mode, deployment
size, mean utilisation) serves a *traffic mix* (prompt length, cached share of the prompt, output length) of one
open-weights model; the serving model of :mod:`costmodel.serving` gives the GPU-seconds each request needs, and
this module turns them into USD per 1M uncached input, cached input and output tokens, then into the gross margin
``(price − cost) / price`` of every dated price row of the model.

Allocation rule (how a fleet's GPU-hours are split between token types; the margins depend on it)
------------------------------------------------------------------------------------------------
For one request of ``P`` prompt tokens, ``c = h · P`` of them cache hits, and ``O`` output tokens, the serving
estimate at full load gives (GPU-seconds, all GPUs of the deployment counted):

- ``T(c)``: prefill of the prompt with ``c`` tokens cached (the cached prefix's linear layers are skipped; the
  attention of the new tokens over the cached prefix and the KV they write are counted);
- ``T(0)``: prefill of the same prompt with nothing cached;
- ``O / D(c)``: decode, ``D(c)`` the output tokens per second per GPU at the batch meeting the TPOT target
  (aggregated serving: the batch depends on the prefill share, hence on ``c``).

The rule, per token::

    output token         : 1 / D(c)                                  (decode GPU-seconds, all to output)
    uncached input token : T(0) / P                                  (an average token of a fully uncached prompt)
    cached input token   : max(T(c) − (P − c) · T(0) / P, 0) / c     (what the prompt costs beyond its uncached tokens)

so ``(P − c) · uncached + c · cached + O · output = T(c) + O / D(c)``: the GPU-seconds of the request, exactly
(the ``max(·, 0)`` never binds: attention per position grows with the position, so the uncached suffix of a
cached prompt costs at least its share of ``T(0)``). A cache hit is thus charged the attention that reads it: the
extra work the new tokens do because the prefix is there. With ``c = 0`` the cached rate is the limit of that
rule at one cached token, ``T(1) − (P − 1) · T(0) / P``. At most ``P − 1`` tokens are cache hits: an engine
computes at least the last prompt token, whose logits give the first output token. Not modelled: storing the prefix cache off-GPU (DRAM,
SSD) and loading it into HBM; the cached-input cost is a lower bound.

USD per GPU-second is ``usd_per_gpu_hour / 3600 / utilisation``: a fleet that does work ``utilisation`` of the
GPU-hours it pays for (mean over the day; a fleet sized for the peak hour with diurnal traffic runs well below
1) pays for the idle hours in every token it serves. Prefill and decode share the same utilisation (in a
disaggregated fleet, both pools idle alike).

The band: the efficiency levels ``low`` / ``base`` / ``high`` of :mod:`costmodel.serving.efficiency` (fitted on
the published measurements; ``high`` serves faster, so it gives the LOW cost). Margins are reported at the base
cost and over the band (``_min`` at the high cost, ``_max`` at the low cost).

Prices: every price row of the model (list and promotion), as listed (``all hours`` when the row has no peak
windows, ``peak`` otherwise) and ``off-peak`` (× ``off_peak_multiplier``) when it has peak windows; the context
tier that applies at the prompt length. The margin of the mix weighs the three token types by the mix.

Unknown figures: a GPU whose catalogue row lacks a field the estimate needs gives ``cannot estimate`` with the
field named (never a guess); a GPU with no GPU-hour price gives the throughput and the GPU-hour price at which it
would match a reference fleet (:func:`hardware_table`), not a cost.

Everything is pure; functions take the catalogue and return dataclasses or DataFrames (the edge).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from costmodel.attention import (
    attention_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.catalog.schema import Catalogue, Gpu, Model, PriceSchedule
from costmodel.compute import linear_flops_per_token
from costmodel.feasibility import context_reason
from costmodel.pricing import ResolvedPrice, tier_prices
from costmodel.scenario import MAX_GPUS_PER_REPLICA, MAX_TPOT_MS, PRECISION_PLANS, PrecisionPlan
from costmodel.serving.efficiency import (
    DEPLOYMENT_CLASSES,
    DeploymentClass,
    EfficiencyLevel,
    default_deployment_class,
)
from costmodel.serving.estimate import estimate
from costmodel.serving.memory import kv_shards, memory_plan
from costmodel.serving.roofline import _hbm_rate, decode_step_times, workpoint
from costmodel.units import SECONDS_PER_HOUR, TOKENS_PER_MTOK

#: Efficiency levels of the band, in the order low cost, base, high cost.
BAND_LEVELS: tuple[EfficiencyLevel, ...] = ("high", "base", "low")
#: Context lengths of the efficiency story and the per-context margin (tokens; K = 1,024).
STORY_CONTEXTS: tuple[int, ...] = (8 * 1024, 128 * 1024, 1024 * 1024)
SWEEP_CONTEXTS: tuple[int, ...] = (8 * 1024, 32 * 1024, 128 * 1024, 512 * 1024, 1024 * 1024)
#: The GPUs of the Ascend question, the reference first.
ASCEND_GPUS: tuple[str, ...] = ("h800", "h20", "h200", "ascend-910c", "ascend-950")
#: The models of the efficiency story, the baseline first.
STORY_MODELS: tuple[str, ...] = ("deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash")
TOKEN_TYPES: tuple[str, str, str] = ("input", "cached", "output")
#: Smallest utilisation accepted (1 %: below it the idle hours swamp every figure, and 0 divides by zero).
MIN_UTILIZATION = 0.01
#: Longest prompt or output a request may have, tokens (2^31; far beyond any context window).
MAX_TOKENS = 2**31


# ---- inputs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """A provider's serving fleet.

    Attributes:
        gpu: GPU id.
        usd_per_gpu_hour: what a GPU-hour costs the provider, USD (None: the catalogue's rental row).
        rental_id: the catalogue rental row to use when ``usd_per_gpu_hour`` is None (None: the most recent
            on-demand row for the GPU).
        mode: ``aggregated`` or ``disaggregated`` (None: what the deployment size suggests).
        gpus: GPUs per deployment (None: the smallest that fits).
        precision: weight precision plan.
        utilization: mean fraction of the rented GPU-hours doing work, over the day, in (0, 1].
        tpot_ms: time-per-output-token target, ms (caps the decode batch).
    """

    gpu: str
    usd_per_gpu_hour: float | None = None
    rental_id: str | None = None
    mode: DeploymentClass | None = None
    gpus: int | None = None
    precision: PrecisionPlan = "native"
    utilization: float = 0.7
    tpot_ms: float = 50.0


@dataclass(frozen=True)
class TrafficMix:
    """The traffic a fleet serves, per request.

    Attributes:
        prompt_tokens: input tokens per request (the context the request brings).
        output_tokens: output tokens per request.
        cached_share: fraction of the input tokens that are prefix-cache hits, in [0, 1].
    """

    prompt_tokens: int
    output_tokens: int
    cached_share: float

    @property
    def token_shares(self) -> tuple[float, float, float]:
        """Shares of (uncached input, cached input, output) in all tokens of a request."""
        total = self.prompt_tokens + self.output_tokens
        cached = self.prompt_tokens * self.cached_share
        return (self.prompt_tokens - cached) / total, cached / total, self.output_tokens / total


#: DeepSeek's own fleet, as the preset of the page and the command's defaults. H800 at USD 2 per GPU-hour is
#: DeepSeek's stated cost assumption (rental row ``h800-deepseek-assumption``, docs/sources.md §6); the rest is
#: OUR assumption, stated and editable: disaggregated prefill / decode pools, a mean
#: utilisation of 70 % over the day, half of the input tokens cache hits, 8K-token prompts and 1K outputs.
DEEPSEEK_FLEET = Fleet(gpu="h800", rental_id="h800-deepseek-assumption", mode="disaggregated", utilization=0.7)
DEEPSEEK_MIX = TrafficMix(prompt_tokens=8 * 1024, output_tokens=1024, cached_share=0.5)
DEEPSEEK_ASSUMPTIONS: tuple[tuple[str, str], ...] = (
    ("GPU", "H800 (the GPU DeepSeek states its cost assumption for; docs/sources.md §6)"),
    ("GPU-hour cost", "USD 2.00: DeepSeek's own stated assumption (rental row h800-deepseek-assumption, official)"),
    ("Serving mode", "disaggregated prefill / decode pools (our assumption)"),
    ("Utilisation over the day", "70 % of the paid GPU-hours do work (our assumption; not published)"),
    ("Cached share of input", "50 % of input tokens are cache hits (our assumption; not published)"),
    ("Request shape", "8K-token prompts, 1K output tokens (our assumption)"),
)


class EconomicsError(ValueError):
    """Bad economics input; the message is one line naming the field."""


def check_inputs(fleet: Fleet, mix: TrafficMix) -> None:
    """Raise :class:`EconomicsError` (one line) for an input out of range."""
    u = fleet.utilization
    if isinstance(u, bool) or not (MIN_UTILIZATION <= u <= 1.0):  # nan fails too
        raise EconomicsError(
            f"utilisation must be between {MIN_UTILIZATION} and 1 (a fraction of GPU-hours), got {u}"
        )
    h = mix.cached_share
    if isinstance(h, bool) or not (0.0 <= h <= 1.0):
        raise EconomicsError(f"cached share must be between 0 and 1, got {h}")
    if not 1 <= mix.prompt_tokens <= MAX_TOKENS:
        raise EconomicsError(f"prompt tokens must be between 1 and {MAX_TOKENS:,}, got {mix.prompt_tokens:,}")
    if not 1 <= mix.output_tokens <= MAX_TOKENS:
        raise EconomicsError(f"output tokens must be between 1 and {MAX_TOKENS:,}, got {mix.output_tokens:,}")
    p = fleet.usd_per_gpu_hour
    if p is not None and (isinstance(p, bool) or not (1e-6 <= p < 1e6)):
        raise EconomicsError(f"GPU-hour cost must be between 0.000001 and 1,000,000 USD, got {p}")
    if fleet.gpus is not None and not 0 < fleet.gpus <= MAX_GPUS_PER_REPLICA:
        raise EconomicsError(f"GPUs per deployment must be between 1 and {MAX_GPUS_PER_REPLICA:,}, got {fleet.gpus}")
    if not 0.0 < fleet.tpot_ms <= MAX_TPOT_MS:
        raise EconomicsError(f"TPOT target must be > 0 and at most {MAX_TPOT_MS:,.0f} ms, got {fleet.tpot_ms}")
    if fleet.mode is not None and fleet.mode not in DEPLOYMENT_CLASSES:
        raise EconomicsError(f"serving mode must be one of {', '.join(DEPLOYMENT_CLASSES)}, got {fleet.mode!r}")
    if fleet.precision not in PRECISION_PLANS:
        raise EconomicsError(f"precision must be one of {', '.join(PRECISION_PLANS)}, got {fleet.precision!r}")


# ---- the GPU-hour price ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuHourPrice:
    """What a GPU-hour costs and where the figure comes from (``usd`` nan: not known)."""

    usd: float
    rental_id: str
    source: str
    as_of: str
    confidence: str


def gpu_hour_price(fleet: Fleet, catalogue: Catalogue) -> GpuHourPrice:
    """The fleet's GPU-hour price: stated, the rental row named, or the GPU's most recent on-demand row.

    Raises:
        EconomicsError: an unknown rental id or a rental of another GPU.
    """
    if fleet.usd_per_gpu_hour is not None:
        return GpuHourPrice(float(fleet.usd_per_gpu_hour), "stated", "stated by the user", "", "user")
    rows = [r for r in catalogue.rentals if r.gpu == fleet.gpu]
    if fleet.rental_id is not None:
        named = [r for r in catalogue.rentals if r.id == fleet.rental_id]
        if not named:
            raise EconomicsError(f"unknown rental {fleet.rental_id!r}")
        if named[0].gpu != fleet.gpu:
            raise EconomicsError(f"rental {fleet.rental_id!r} is for {named[0].gpu}, not {fleet.gpu}")
        rows = named
    else:
        rows = [r for r in rows if r.basis == "on_demand"] or rows
    if not rows:
        return GpuHourPrice(math.nan, "", "no rental price in the catalogue (unconfirmed: not found)", "", "none")
    r = max(rows, key=lambda x: (x.as_of, -x.usd_per_gpu_hour, x.id))
    return GpuHourPrice(r.usd_per_gpu_hour, r.id, r.source, r.as_of.isoformat(), r.confidence)


# ---- cost per token ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelCost:
    """GPU-seconds and USD per token type at one efficiency level (USD nan when the GPU-hour price is unknown).

    Attributes:
        prefill_gpu_s_uncached: ``T(0)``, GPU-seconds to prefill the prompt with nothing cached.
        prefill_gpu_s: ``T(c)``, GPU-seconds to prefill it with the mix's cached prefix.
        prefill_tokens_per_s_per_gpu: prompt tokens per GPU-second with nothing cached (``P / T(0)``).
        decode_tokens_per_s_per_gpu: ``D(c)``, output tokens per GPU-second.
        gpu_s_per_token: GPU-seconds per (uncached input, cached input, output) token, at full load.
        usd_per_mtok: USD per 1M (uncached input, cached input, output) tokens, utilisation included.
        usd_per_request: USD per request of the mix.
    """

    prefill_gpu_s_uncached: float
    prefill_gpu_s: float
    prefill_tokens_per_s_per_gpu: float
    decode_tokens_per_s_per_gpu: float
    gpu_s_per_token: tuple[float, float, float]
    usd_per_mtok: tuple[float, float, float]
    usd_per_request: float


@dataclass(frozen=True)
class TokenCost:
    """The serving cost of a model's tokens on a fleet, per efficiency level (see the module docstring).

    Attributes:
        model: model id.
        fleet: the fleet.
        mix: the traffic mix.
        price: the GPU-hour price used.
        gpus: GPUs per deployment.
        mode: aggregated | disaggregated.
        attention_layout: dp | tp.
        levels: per efficiency level (``high``, ``base``, ``low``); empty when it cannot be estimated.
        feasible: every level could be estimated.
        reason: why not ("" otherwise).
        notes: caveats that do not stop the estimate (e.g. beyond the model's context window).
        gpu_confidence: the GPU row's confidence.
        unconfirmed_fields: the GPU fields the estimate used that the catalogue marks unconfirmed.
        batch_per_gpu: decode batch per GPU at the base level.
    """

    model: str
    fleet: Fleet
    mix: TrafficMix
    price: GpuHourPrice
    gpus: int
    mode: str
    attention_layout: str
    levels: dict[str, LevelCost]
    feasible: bool
    reason: str
    notes: tuple[str, ...] = ()
    gpu_confidence: str = ""
    unconfirmed_fields: tuple[str, ...] = ()
    batch_per_gpu: float = math.nan
    decode_kv_share: float = math.nan

    def usd_per_mtok(self, kind: str, level: str = "base") -> float:
        """USD per 1M tokens of ``kind`` (input | cached | output) at ``level`` (nan when not estimated)."""
        lc = self.levels.get(level)
        return lc.usd_per_mtok[TOKEN_TYPES.index(kind)] if lc else math.nan

    def usd_per_request(self, level: str = "base") -> float:
        """USD per request of the mix at ``level``."""
        lc = self.levels.get(level)
        return lc.usd_per_request if lc else math.nan


def _cannot(reason: str) -> str:
    return reason if reason.startswith("cannot") else f"cannot estimate: {reason}"


def token_cost(model_id: str, fleet: Fleet, mix: TrafficMix, catalogue: Catalogue) -> TokenCost:
    """Cost per 1M uncached input, cached input and output tokens of ``mix`` served on ``fleet``.

    Raises:
        EconomicsError: bad input (one line); unknown model or GPU ids raise the catalogue's KeyError.
    """
    check_inputs(fleet, mix)
    model: Model = catalogue.model(model_id)
    gpu: Gpu = catalogue.gpu(fleet.gpu)
    if not model.open_weights:
        raise EconomicsError(f"cannot estimate {model.id}: closed weights, no serving model")
    if model.config is None:
        raise EconomicsError(f"cannot estimate {model.id}: no architecture config in the catalogue")
    price = gpu_hour_price(fleet, catalogue)
    p, o = int(mix.prompt_tokens), int(mix.output_tokens)
    # an engine computes at least the last prompt token (its logits give the first output token), so at most
    # P − 1 tokens are served from the cache
    cached = min(round(mix.cached_share * p), p - 1)
    notes: list[str] = []
    window = context_reason(model, p, o)
    if window:
        notes.append(f"hypothetical: {window}")
    # cached lengths evaluated at once: 0 (T(0)), the mix's c, and 1 (the cached rate's limit when c = 0)
    probe = cached if cached > 0 else 1
    wp = workpoint(
        model, fleet.precision, context_tokens=p + o / 2.0, prompt_tokens=p,
        cached_tokens=[0.0, float(cached), float(probe)], max_tokens=p + o,
    )  # fmt: skip
    plan = memory_plan(
        wp.profile, gpu, kv_bytes_per_seq=wp.kv_bytes_per_seq, kv_bytes_max_seq=wp.kv_bytes_max_seq,
        gpus=fleet.gpus, layout="auto",
    )  # fmt: skip
    mode: DeploymentClass = fleet.mode or default_deployment_class(plan.gpus)
    shell = TokenCost(
        model=model.id, fleet=fleet, mix=mix, price=price, gpus=plan.gpus, mode=mode,
        attention_layout=plan.attention_layout, levels={}, feasible=False, reason="", notes=tuple(notes),
        gpu_confidence=gpu.confidence,
    )  # fmt: skip
    if not plan.fits:
        return replace(shell, reason=_cannot(plan.reason))
    per_s = price.usd / SECONDS_PER_HOUR / fleet.utilization  # USD per GPU-second of work
    levels: dict[str, LevelCost] = {}
    unconfirmed: tuple[str, ...] = ()
    batch, kv_share = math.nan, math.nan
    for level in BAND_LEVELS:  # high, base, low efficiency
        est = estimate(wp, gpu, efficiency=level, tpot_ms_target=fleet.tpot_ms, memory=plan, deployment=mode)
        if not est.feasible:
            return replace(shell, reason=_cannot(est.reason), unconfirmed_fields=est.unconfirmed_fields)
        unconfirmed = est.unconfirmed_fields
        t0, tc, t1 = (float(x) for x in est.prefill_gpu_s_per_request)
        d = float(est.decode_tokens_per_s_by_cached[1])
        uncached = t0 / p
        if cached > 0:
            cached_s = max(tc - (p - cached) * uncached, 0.0) / cached
            prefill = tc
        else:
            cached_s = max(t1 - (p - 1) * uncached, 0.0)
            prefill = t0
        gpu_s = (uncached, cached_s, 1.0 / d)
        usd = tuple(s * per_s * TOKENS_PER_MTOK for s in gpu_s)
        levels[level] = LevelCost(
            prefill_gpu_s_uncached=t0,
            prefill_gpu_s=prefill,
            prefill_tokens_per_s_per_gpu=p / t0 if t0 > 0 else math.inf,
            decode_tokens_per_s_per_gpu=d,
            gpu_s_per_token=gpu_s,
            usd_per_mtok=(usd[0], usd[1], usd[2]),
            usd_per_request=(prefill + o / d) * per_s,
        )
        if level == "base":
            batch = float(est.batch_per_gpu_by_cached[1])
            # the KV read's share of the HBM bytes of a decode step at that batch (the rest: weights)
            tp = plan.tp_size
            step = decode_step_times(wp, gpu, plan.gpus, [batch], est.efficiency, tp)
            kv = batch * tp / kv_shards(wp.profile, tp) * wp.kv_read_bytes_per_token
            kv_share = float(kv / (float(step.memory_s[0]) * _hbm_rate(gpu, est.efficiency)))
    if math.isnan(price.usd):
        notes.append(f"no GPU-hour price for {gpu.id}: throughput only (state a price)")
    return replace(shell, levels=levels, feasible=True, notes=tuple(notes), unconfirmed_fields=unconfirmed,
                   batch_per_gpu=batch, decode_kv_share=kv_share)  # fmt: skip


Memo = dict[tuple[str, Fleet, TrafficMix], TokenCost]


def _cost(memo: Memo | None, model_id: str, fleet: Fleet, mix: TrafficMix, catalogue: Catalogue) -> TokenCost:
    """:func:`token_cost`, reusing ``memo`` (one :func:`economics` call asks for some points twice)."""
    if memo is None:
        return token_cost(model_id, fleet, mix, catalogue)
    key = (model_id, fleet, mix)
    if key not in memo:
        memo[key] = token_cost(model_id, fleet, mix, catalogue)
    return memo[key]


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
        here = next((q for q in prices if q.row.id == point.row.id and q.window == point.window), None) if point else None
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


# ---- the efficiency story ----------------------------------------------------------------------------------


def efficiency_story(
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    models: Sequence[str] = STORY_MODELS,
    contexts: Sequence[int] = STORY_CONTEXTS,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """The same traffic served by each model on the same fleet, at each context length.

    One row per (model, context): cost per 1M input / cached / output tokens (base and band), and from the
    estimator where it comes from: the attention share of the FLOPs of one decoded token and of a prefill, the
    KV cache of one sequence, the KV bytes read per decoded token, the KV share of the HBM bytes of a decode step
    at the batch served, and the ratios to the first model (the baseline).
    """
    rows = []
    for mid in models:
        model = catalogue.model(mid)
        lin = linear_flops_per_token(model)
        for length in contexts:
            prompt = int(length) - mix.output_tokens
            if prompt < 1:
                continue
            c = _cost(memo, mid, fleet, TrafficMix(prompt, mix.output_tokens, mix.cached_share), catalogue)
            attn = float(np.asarray(attention_flops_per_token(model, length)))
            attn_prefill = float(np.asarray(attention_prefill_flops(model, prompt, 0)))
            rows.append({
                "model": mid,
                "context_tokens": int(length),
                "gpu": fleet.gpu,
                "gpus": c.gpus,
                "usd_per_mtok_input": c.usd_per_mtok("input"),
                "usd_per_mtok_input_low": c.usd_per_mtok("input", "high"),
                "usd_per_mtok_input_high": c.usd_per_mtok("input", "low"),
                "usd_per_mtok_cached": c.usd_per_mtok("cached"),
                "usd_per_mtok_output": c.usd_per_mtok("output"),
                "usd_per_mtok_output_low": c.usd_per_mtok("output", "high"),
                "usd_per_mtok_output_high": c.usd_per_mtok("output", "low"),
                "decode_tokens_per_s_per_gpu": c.levels["base"].decode_tokens_per_s_per_gpu if c.levels else math.nan,
                "prefill_tokens_per_s_per_gpu": c.levels["base"].prefill_tokens_per_s_per_gpu if c.levels else math.nan,
                "flops_per_token": lin + attn,
                "attention_flops_share_decode": attn / (lin + attn),
                "attention_flops_share_prefill": attn_prefill / (prompt * lin + attn_prefill),
                "kv_cache_bytes": float(np.asarray(kv_cache_bytes(model, length))),
                "kv_read_bytes_per_token": float(np.asarray(kv_read_bytes_per_token(model, length))),
                "kv_share_decode_bytes": c.decode_kv_share,
                "reason": c.reason,
                "notes": "; ".join(c.notes),
            })  # fmt: skip
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    base = df[df["model"] == models[0]].set_index("context_tokens")
    for col, name in (
        ("usd_per_mtok_input", "input_cost_ratio"),
        ("usd_per_mtok_output", "output_cost_ratio"),
        ("flops_per_token", "flops_ratio"),
        ("kv_cache_bytes", "kv_ratio"),
    ):
        df[name] = df[col].to_numpy() / df["context_tokens"].map(base[col]).to_numpy()
    return df


# ---- the Ascend question -----------------------------------------------------------------------------------


def hardware_table(
    model_id: str,
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    gpus: Sequence[str] = ASCEND_GPUS,
    stated_usd_per_gpu_hour: Mapping[str, float] | None = None,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """The same traffic on each GPU type; the first GPU is the reference.

    Each GPU uses the fleet's mode, precision, utilisation and TPOT target, its own smallest deployment, and its
    GPU-hour price: ``stated_usd_per_gpu_hour[gpu]`` when given, else the fleet's price for the fleet's own GPU,
    else the catalogue's most recent on-demand row, else none (cost unknown). ``break_even_usd_per_gpu_hour`` is
    the GPU-hour price at which the GPU serves the mix at the reference's cost per request (per level: both at
    the same efficiency level), i.e. what the GPU-hour must cost at most to beat the reference.
    """
    stated = dict(stated_usd_per_gpu_hour or {})
    costs: list[TokenCost] = []
    for g in gpus:
        catalogue.gpu(g)  # a KeyError names an unknown id
        if g in stated:
            f = replace(fleet, gpu=g, usd_per_gpu_hour=stated[g], rental_id=None, gpus=None)
        elif g == fleet.gpu:
            f = replace(fleet, gpus=None)
        else:
            f = replace(fleet, gpu=g, usd_per_gpu_hour=None, rental_id=None, gpus=None)
        costs.append(_cost(memo, model_id, f, mix, catalogue))
    ref = costs[0]
    rows = []
    for c in costs:
        gpu = catalogue.gpu(c.fleet.gpu)
        rec: dict[str, object] = {
            "gpu": gpu.id,
            "gpu_name": gpu.name,
            "gpu_confidence": gpu.confidence,
            "unconfirmed_fields": ", ".join(c.unconfirmed_fields),
            "gpu_unconfirmed_fields": ", ".join(gpu.unconfirmed_fields),
            "gpu_null_fields": ", ".join(gpu.null_reasons),
            "gpus": c.gpus if c.feasible else math.nan,
            "mode": c.mode,
            "usd_per_gpu_hour": c.price.usd,
            "gpu_hour_source": c.price.source if c.price.rental_id != "stated" else "stated by the user",
            "gpu_hour_confidence": c.price.confidence,
        }
        for lvl, suffix in (("base", ""), ("low", "_low"), ("high", "_high")):  # throughput: low efficiency, low rate
            lc = c.levels.get(lvl)
            rec[f"prefill_tokens_per_s_per_gpu{suffix}"] = lc.prefill_tokens_per_s_per_gpu if lc else math.nan
            rec[f"decode_tokens_per_s_per_gpu{suffix}"] = lc.decode_tokens_per_s_per_gpu if lc else math.nan
        for kind in TOKEN_TYPES:
            rec[f"usd_per_mtok_{kind}"] = c.usd_per_mtok(kind)
            rec[f"usd_per_mtok_{kind}_low"] = c.usd_per_mtok(kind, "high")
            rec[f"usd_per_mtok_{kind}_high"] = c.usd_per_mtok(kind, "low")
        for lvl, suffix in (("base", ""), ("high", "_high"), ("low", "_low")):
            lc, rc = c.levels.get(lvl), ref.levels.get(lvl)
            be = math.nan
            if lc and rc and not math.isnan(ref.price.usd):
                gpu_s = lc.prefill_gpu_s + mix.output_tokens / lc.decode_tokens_per_s_per_gpu
                be = rc.usd_per_request * SECONDS_PER_HOUR * c.fleet.utilization / gpu_s
            rec[f"break_even_usd_per_gpu_hour{suffix}"] = be
        if not c.feasible:
            status = c.reason
        elif math.isnan(c.price.usd):
            status = "throughput only: no GPU-hour price (state one); see the break-even price"
        else:
            status = "estimated"
        rec["status"] = status
        rec["notes"] = "; ".join(c.notes)
        rows.append(rec)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Economics:
    """Everything the page and the command show, computed once.

    Attributes:
        model: model id.
        fleet: the fleet.
        mix: the traffic mix.
        cost: the cost per token on the fleet.
        points: the model's dated prices at the mix's prompt length.
        margins: :func:`margin_table`.
        costs: :func:`cost_table`.
        history: :func:`history_frame`.
        sweep: :func:`context_sweep` against the most recent price point.
        story: :func:`efficiency_story`.
        hardware: :func:`hardware_table`.
    """

    model: str
    fleet: Fleet
    mix: TrafficMix
    cost: TokenCost
    points: tuple[PricePoint, ...]
    margins: pd.DataFrame
    costs: pd.DataFrame
    history: pd.DataFrame
    sweep: pd.DataFrame
    story: pd.DataFrame
    hardware: pd.DataFrame
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)


def assumptions_frame(model_id: str, fleet: Fleet, mix: TrafficMix, cost: TokenCost) -> pd.DataFrame:
    """Every input with its unit, and the allocation rule in one line."""
    rows: list[tuple[str, object, str]] = [
        ("Model", model_id, ""),
        ("GPU", fleet.gpu, ""),
        ("GPU-hour cost", cost.price.usd, "USD/GPU-hour"),
        ("GPU-hour source", f"{cost.price.source} ({cost.price.rental_id or 'none'}, {cost.price.confidence})", ""),
        ("Serving mode", cost.mode, ""),
        ("GPUs per deployment", cost.gpus, "GPUs"),
        ("Precision plan", fleet.precision, ""),
        ("Utilisation over the day", fleet.utilization, "fraction of paid GPU-hours"),
        ("TPOT target", fleet.tpot_ms, "ms"),
        ("Prompt tokens per request", mix.prompt_tokens, "tokens"),
        ("Cached share of input", mix.cached_share, "fraction"),
        ("Output tokens per request", mix.output_tokens, "tokens"),
        ("Unconfirmed GPU fields used", ", ".join(cost.unconfirmed_fields) or "none", ""),
        ("Allocation rule", "output: decode GPU-s; uncached input: T(0)/P; cached input: the rest of T(c) "
         "(docs/economics.md)", ""),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value", "Unit"])


def economics(
    model_id: str,
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    *,
    provider: str = "deepseek",
    until: dt.datetime | None = None,
    stated_usd_per_gpu_hour: Mapping[str, float] | None = None,
    story_models: Sequence[str] = STORY_MODELS,
    hardware_gpus: Sequence[str] = ASCEND_GPUS,
    sweep_price: str | None = None,
) -> Economics:
    """Compute everything once (see :class:`Economics`); ``until`` ends the open price rows in the history;
    ``sweep_price`` is the :attr:`PricePoint.label` the per-length sweep is set against (default: the most recent
    row's first window).

    Raises:
        EconomicsError: bad input, or a ``sweep_price`` that is not a price of the model.
    """
    memo: Memo = {}
    cost = _cost(memo, model_id, fleet, mix, catalogue)
    points = tuple(price_points(catalogue, model_id, mix.prompt_tokens, provider=provider))
    end = until or max([dt.datetime.now(dt.UTC), *(p.row.effective_from for p in points)])
    latest = points[-1] if points else None
    if points:  # the most recent row's first window (peak, or all hours)
        first = max(p.row.effective_from for p in points)
        latest = next(p for p in points if p.row.effective_from == first)
    if sweep_price is not None:
        chosen = [p for p in points if p.label == sweep_price]
        if not chosen:
            raise EconomicsError(f"{sweep_price!r} is not a price of {model_id}")
        latest = chosen[0]
    return Economics(
        model=model_id,
        fleet=fleet,
        mix=mix,
        cost=cost,
        points=points,
        margins=margin_table(cost, points),
        costs=cost_table(cost),
        history=history_frame(points, cost, end),
        sweep=context_sweep(model_id, fleet, mix, catalogue, latest, memo=memo),
        story=efficiency_story(fleet, mix, catalogue, story_models, memo=memo),
        hardware=hardware_table(model_id, fleet, mix, catalogue, hardware_gpus, stated_usd_per_gpu_hour, memo=memo),
        assumptions=assumptions_frame(model_id, fleet, mix, cost),
    )
