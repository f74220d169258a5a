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

import math
from dataclasses import dataclass, replace

from costmodel.catalog.feasibility import context_reason
from costmodel.catalog.schema import Catalogue, Gpu, Model
from costmodel.catalog.units import SECONDS_PER_HOUR, TOKENS_PER_MTOK
from costmodel.serving.efficiency import (
    DEPLOYMENT_CLASSES,
    DeploymentClass,
    EfficiencyLevel,
    default_deployment_class,
)
from costmodel.serving.estimate import estimate, workpoint_plan
from costmodel.serving.memory import kv_shards
from costmodel.serving.roofline import _hbm_rate, decode_step_times, workpoint
from costmodel.workload.scenario import MAX_GPUS_PER_REPLICA, MAX_TPOT_MS, PRECISION_PLANS, PrecisionPlan

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
DEEPSEEK_FLEET = Fleet(
    gpu="h800", rental_id="h800-deepseek-assumption", mode="disaggregated", utilization=0.7
)
DEEPSEEK_MIX = TrafficMix(prompt_tokens=8 * 1024, output_tokens=1024, cached_share=0.5)
DEEPSEEK_ASSUMPTIONS: tuple[tuple[str, str], ...] = (
    ("GPU", "H800 (the GPU DeepSeek states its cost assumption for; docs/sources.md §6)"),
    (
        "GPU-hour cost",
        "USD 2.00: DeepSeek's own stated assumption (rental row h800-deepseek-assumption, official)",
    ),
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
        raise EconomicsError(
            f"GPUs per deployment must be between 1 and {MAX_GPUS_PER_REPLICA:,}, got {fleet.gpus}"
        )
    if not 0.0 < fleet.tpot_ms <= MAX_TPOT_MS:
        raise EconomicsError(
            f"TPOT target must be > 0 and at most {MAX_TPOT_MS:,.0f} ms, got {fleet.tpot_ms}"
        )
    if fleet.mode is not None and fleet.mode not in DEPLOYMENT_CLASSES:
        raise EconomicsError(
            f"serving mode must be one of {', '.join(DEPLOYMENT_CLASSES)}, got {fleet.mode!r}"
        )
    if fleet.precision not in PRECISION_PLANS:
        raise EconomicsError(
            f"precision must be one of {', '.join(PRECISION_PLANS)}, got {fleet.precision!r}"
        )


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
        return GpuHourPrice(
            math.nan, "", "no rental price in the catalogue (unconfirmed: not found)", "", "none"
        )
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
    plan = workpoint_plan(wp, gpu, gpus=fleet.gpus)
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
