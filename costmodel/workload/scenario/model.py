"""Workload and Scenario: the validated inputs of a comparison.

A :class:`Workload` says how much traffic there is (requests per day, mean prompt and output
tokens per request, the cached-prefix fraction of the prompt) and when it arrives (a 24-hour
profile in a local time zone, weekday and weekend). A :class:`Scenario` adds the API and
self-hosting options to compare, serving assumptions and the as-of date of the prices.

Round trips are exact: JSON/YAML (:func:`scenario_to_json`, :func:`scenario_to_yaml`,
:func:`scenario_from_text`) and URL query parameters (:func:`scenario_to_query`,
:func:`scenario_from_query`). Units are in field names; token counts are per request,
``requests_per_day`` is the mean over a whole week (weekdays and weekend days).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from costmodel.catalog.fields import refuse_bools

# Upper bounds that keep every result finite and refuse absurd input (not physical limits).
MAX_REQUESTS_PER_DAY = 1e10
#: Fewest requests per day: one request in 1,000 days. Below it every cost rounds to $0 on screen, which would
#: look like an answer (1e-300 requests/day once showed "$0").
MIN_REQUESTS_PER_DAY = 1e-3
#: Slowest measured serving rate a self-hosting option may state (tokens/s per GPU).
MIN_MEASURED_TOKENS_PER_S = 1e-3
MAX_TOKENS_PER_REQUEST = 2**24  # 16,777,216 tokens
MAX_OPTIONS = 50
MAX_QUERY_VALUE_CHARS = 4000
#: Streamlit drops a whole query string with more parameters than this (or longer than
#: :data:`MAX_QUERY_STRING_CHARS`); :func:`scenario_from_query` applies the same limit and says so.
MAX_QUERY_PARAMS = 1000
MAX_QUERY_STRING_CHARS = 512 * 1024
#: Largest latency target (ms) and GPUs per replica, in scenarios and on the command line alike.
MAX_TPOT_MS = 1e5
#: Fastest traffic growth a scenario states: +1,000% a month (the growth projection's bound).
MAX_MONTHLY_GROWTH_FRACTION = 10.0
MAX_GPUS_PER_REPLICA = 100_000

IdStr = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Weight = Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]
Profile = tuple[
    Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight,
    Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight, Weight,
]  # fmt: skip
UsdPerMtok = Annotated[float, Field(ge=0, le=1e4, allow_inf_nan=False)]
#: How a self-hosted model's weights are stored (:mod:`costmodel.serving.weights`).
PrecisionPlan = Literal["native", "fp8", "bf16", "fp4"]
PRECISION_PLANS: tuple[PrecisionPlan, ...] = ("native", "fp8", "bf16", "fp4")
#: Attention data-parallel, tensor-parallel within a node, or the cheaper of the two.
LayoutChoice = Literal["auto", "dp", "tp"]
LAYOUT_CHOICES: tuple[LayoutChoice, ...] = ("auto", "dp", "tp")
#: GPUs rented all week for the peak hour, or hour by hour.
RentalMode = Literal["always_on", "autoscaled"]
#: How the GPUs are paid for (:mod:`costmodel.serving.tco`): ``rent`` = the catalogue's default rental row (the most recent
#: on-demand one); ``on_demand`` / ``reserved`` / ``spot`` = the most recent rental row of that basis; ``buy`` =
#: owned servers (price amortised over their life + power + hosting, or an owner's all-in cost per GPU-hour).
Acquisition = Literal["rent", "on_demand", "reserved", "spot", "buy"]
ACQUISITIONS: tuple[Acquisition, ...] = ("rent", "on_demand", "reserved", "spot", "buy")
RentalRule = Literal["latest", "cheapest", "median", "provider"]
RENTAL_RULES: tuple[RentalRule, ...] = ("latest", "cheapest", "median", "provider")


class ScenarioError(ValueError):
    """A scenario (file, text or parameter) is not valid; the message is one line."""


def flat_profile() -> Profile:
    """A profile with equal traffic in every hour (24 × 1.0)."""
    return (1.0,) * 24


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bools_for_numbers(cls, data: Any) -> Any:
        # pydantic's lax mode turns True into 1; a boolean in a numeric field (or inside a list of numbers,
        # such as the hourly profiles) is a wrong type: the catalogue's rule (costmodel.catalog.schema).
        return refuse_bools(cls, data)


#: Most buckets a prompt-length histogram may have (a log's power-of-two buckets need at most 15).
MAX_PROMPT_BUCKETS = 64


class PromptBucket(_Frozen):
    """One bucket of a prompt-length histogram: a share of the requests and their mean prompt length."""

    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Fraction of the requests in this bucket (the buckets' shares sum to 1)."""
    prompt_tokens: Annotated[float, Field(ge=0, le=MAX_TOKENS_PER_REQUEST, allow_inf_nan=False)]
    """Mean prompt tokens per request of the bucket's requests (cached prefix included)."""


class Workload(_Frozen):
    """Traffic of one application. Tokens are per request; the profile is in ``timezone``."""

    requests_per_day: Annotated[
        float, Field(ge=MIN_REQUESTS_PER_DAY, le=MAX_REQUESTS_PER_DAY, allow_inf_nan=False)
    ]
    """Mean requests per day over a whole week (weekdays and weekend days), requests/day."""
    prompt_tokens: Annotated[int, Field(ge=1, le=MAX_TOKENS_PER_REQUEST)]
    """Mean prompt (input) tokens per request, cached prefix included."""
    output_tokens: Annotated[int, Field(ge=0, le=MAX_TOKENS_PER_REQUEST)]
    """Mean output tokens per request before the reasoning multiplier."""
    reasoning_multiplier: Annotated[float, Field(ge=1.0, le=100.0, allow_inf_nan=False)] = 1.0
    """Billed output tokens = output_tokens × this (thinking tokens are billed as output)."""
    cache_hit_fraction: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.0
    """Fraction of prompt tokens served from a cached prefix: billed at the cache-hit price by APIs, and skipped
    by self-hosted prefill."""
    hourly_profile_weekday: Profile = Field(default_factory=flat_profile)
    """Relative traffic in each local hour 0..23 of a weekday (any scale; normalised)."""
    hourly_profile_weekend: Profile = Field(default_factory=flat_profile)
    """Relative traffic in each local hour 0..23 of a Saturday or Sunday (any scale; normalised)."""
    weekend_day_weight: Annotated[float, Field(ge=0.0, le=100.0, allow_inf_nan=False)] = 1.0
    """Requests on a weekend day relative to a weekday (0 = no weekend traffic)."""
    timezone: str = Field(default="UTC", max_length=64)
    """IANA time zone of the profile hours, e.g. ``Europe/Paris``."""
    days_per_month: Annotated[float, Field(ge=1.0, le=31.0, allow_inf_nan=False)] = 30.4375
    """Days billed per month (365.25 / 12 by default)."""
    prompt_histogram: tuple[PromptBucket, ...] = Field(default=(), max_length=MAX_PROMPT_BUCKETS)
    """Optional prompt-length distribution (e.g. from a usage log): API bills apply context tiers per bucket.
    Its mean must be ``prompt_tokens`` (within half a token). Empty = every request has the mean prompt; an empty
    histogram is left out of JSON/YAML and of URLs (which carry a histogram under key ``ph``)."""

    @model_validator(mode="after")
    def _histogram_matches_mean(self) -> Workload:
        if not self.prompt_histogram:
            return self
        total = sum(b.share for b in self.prompt_histogram)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the prompt histogram's shares sum to {total:.6g}, not 1")
        mean = sum(b.share * b.prompt_tokens for b in self.prompt_histogram)
        if abs(mean - self.prompt_tokens) > 0.5 + 1e-9 * mean:
            raise ValueError(
                f"the prompt histogram's mean is {mean:,.1f} tokens but prompt_tokens is {self.prompt_tokens:,}: "
                "they must agree (within half a token)"
            )
        return self

    @model_serializer(mode="wrap")
    def _omit_empty_histogram(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.prompt_histogram:  # files and exports written before histograms existed stay identical
            data.pop("prompt_histogram", None)
        return data

    @property
    def prompt_buckets(self) -> tuple[tuple[float, float], ...]:
        """``(share of requests, prompt tokens per request)`` pairs: the histogram, or ``((1.0, prompt_tokens),)``."""
        if self.prompt_histogram:
            return tuple((b.share, b.prompt_tokens) for b in self.prompt_histogram)
        return ((1.0, float(self.prompt_tokens)),)

    def prompt_tokens_at_share(self, q: float = 0.99) -> float:
        """Prompt length below which a share ``q`` of the requests falls: the mean prompt of the histogram bucket
        (in order of length) where the cumulative share reaches ``q``; ``prompt_tokens`` without a histogram."""
        acc = 0.0
        ordered = sorted(self.prompt_buckets, key=lambda b: b[1])
        for share, p in ordered:
            acc += share
            if acc >= q - 1e-9:
                return p
        return ordered[-1][1]

    @property
    def longest_prompt_tokens(self) -> float:
        """Largest prompt length of the histogram's buckets (``prompt_tokens`` without a histogram)."""
        return max(p for _, p in self.prompt_buckets)

    @field_validator("hourly_profile_weekday", "hourly_profile_weekend")
    @classmethod
    def _profile_not_zero(cls, v: Profile) -> Profile:
        if not sum(v) > 0:
            raise ValueError("the hourly profile sums to zero: give at least one hour a weight > 0")
        return v

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Paris'"
            ) from None
        return v

    @property
    def billed_output_tokens(self) -> float:
        """Output tokens billed per request: ``output_tokens × reasoning_multiplier``."""
        return self.output_tokens * self.reasoning_multiplier

    @property
    def tokens_per_request(self) -> float:
        """Prompt + billed output tokens per request."""
        return self.prompt_tokens + self.billed_output_tokens

    @property
    def requests_per_month(self) -> float:
        """Requests per month: ``requests_per_day × days_per_month``."""
        return self.requests_per_day * self.days_per_month

    @property
    def monthly_prompt_tokens(self) -> float:
        """Prompt tokens per month (cached prefix included)."""
        return self.requests_per_month * self.prompt_tokens

    @property
    def monthly_output_tokens(self) -> float:
        """Billed output tokens per month."""
        return self.requests_per_month * self.billed_output_tokens


class ApiOption(_Frozen):
    """One API to price: a provider × model × price basis.

    ``price_basis``: ``list`` = the list price in effect at the as-of date; ``promotion`` = the
    promotional price if one is in effect, otherwise the list price (and the table says so);
    ``custom`` = the three prices given here (flat: no peak hours, no context tiers).
    """

    provider: IdStr
    model: IdStr
    price_basis: Literal["list", "promotion", "custom"] = "list"
    usd_per_mtok_input_cache_hit: UsdPerMtok | None = None
    """Custom cache-hit input price, USD per 1M tokens (default: the cache-miss price)."""
    usd_per_mtok_input_cache_miss: UsdPerMtok | None = None
    """Custom cache-miss input price, USD per 1M tokens."""
    usd_per_mtok_output: UsdPerMtok | None = None
    """Custom output price, USD per 1M tokens."""

    @model_validator(mode="after")
    def _custom_prices(self) -> ApiOption:
        given = (
            self.usd_per_mtok_input_cache_hit,
            self.usd_per_mtok_input_cache_miss,
            self.usd_per_mtok_output,
        )
        if self.price_basis == "custom":
            if self.usd_per_mtok_input_cache_miss is None or self.usd_per_mtok_output is None:
                raise ValueError(
                    "price_basis 'custom' needs usd_per_mtok_input_cache_miss and usd_per_mtok_output"
                )
        elif any(p is not None for p in given):
            raise ValueError(f"custom prices given with price_basis {self.price_basis!r}: use 'custom'")
        return self

    @property
    def option_id(self) -> str:
        """``provider/model (basis)``: the ``option`` column of the comparison table."""
        return f"{self.provider}/{self.model} ({self.price_basis})"


class SelfHostOption(_Frozen):
    """One self-hosted deployment: open-weights model × GPU type × precision plan."""

    model: IdStr
    gpu: IdStr
    precision: PrecisionPlan = "native"
    gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_REPLICA)] | None = None
    """GPUs per replica (None = the smallest deployment that fits)."""
    rental_id: IdStr | None = None
    """Rental row to price the GPU hour (None = the most recent on-demand row for the GPU)."""
    usd_per_gpu_hour: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None
    """Override of the GPU-hour price, USD per GPU per hour."""
    mode: RentalMode = "always_on"
    disaggregated: bool = False
    prefill_gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_REPLICA)] | None = None
    """A stated disaggregated split, with ``decode_gpus``: GPUs of one prefill pool (the fleet adds prefill pools of
    this size as the prompts need them). None = pools of the deployment size, sized by the model."""
    decode_gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_REPLICA)] | None = None
    """GPUs of one decode pool, which holds the sequences (its memory plan, batch and rate); with ``prefill_gpus``."""
    attention_layout: LayoutChoice = "auto"
    """Attention data-parallel, tensor-parallel within a node, or ``auto`` (the cheaper for the workload)."""
    # at least 0.001 token/s per GPU: the fuzz suite found that a subnormal rate (2.2e-311) made TTFT infinite
    measured_prefill_tokens_per_s_per_gpu: (
        Annotated[float, Field(ge=MIN_MEASURED_TOKENS_PER_S, le=1e9, allow_inf_nan=False)] | None
    ) = None
    measured_decode_tokens_per_s_per_gpu: (
        Annotated[float, Field(ge=MIN_MEASURED_TOKENS_PER_S, le=1e9, allow_inf_nan=False)] | None
    ) = None
    acquisition: Acquisition = "rent"
    """rent (the default rental row), on_demand / reserved / spot (that basis), or buy (owned servers)."""
    usd_per_gpu_purchase: Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)] | None = None
    """When buying: your server price per GPU, USD (None = the catalogue's owner cost for the GPU)."""
    rental_rule: RentalRule = "latest"
    """Which rental row of the basis prices the GPU-hour: ``latest`` (the most recent curated row, the rule before
    the market), or from the market's rows (each provider offer's latest): ``cheapest``, ``median`` (the lower middle
    row), or ``provider`` (``rental_provider``'s latest). Your own price: ``usd_per_gpu_hour``."""
    rental_provider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """The provider of rule ``provider`` (as in ``hardware.yaml``, e.g. ``nebius``)."""

    @model_validator(mode="after")
    def _rental_rule_is_consistent(self) -> SelfHostOption:
        if (self.rental_rule == "provider") != (self.rental_provider is not None):
            raise ValueError("rental_rule 'provider' and rental_provider go together")
        if self.rental_rule != "latest" and (self.acquisition == "buy" or self.rental_id is not None):
            raise ValueError(
                f"rental_rule {self.rental_rule!r} picks a rental row: not with acquisition buy or a rental_id"
            )
        return self

    @model_validator(mode="after")
    def _split_is_disaggregated(self) -> SelfHostOption:
        if (self.prefill_gpus is None) != (self.decode_gpus is None):
            raise ValueError(
                "prefill and decode GPUs per pool (prefill_gpus, decode_gpus) go together: give both, or neither"
            )
        if self.prefill_gpus is not None and self.decode_gpus is not None:
            if not self.disaggregated:
                raise ValueError(
                    "a stated split (prefill_gpus, decode_gpus) is disaggregated serving: "
                    "tick 'prefill/decode split' (disaggregated)"
                )
            if self.gpus is not None and self.gpus != self.prefill_gpus + self.decode_gpus:
                raise ValueError(
                    f"GPUs per replica (gpus) {self.gpus} is not the split's prefill + decode GPUs "
                    f"({self.prefill_gpus + self.decode_gpus}): leave it blank with a split"
                )
        return self

    @property
    def pool_gpus(self) -> int | None:
        """GPUs of the deployment that holds the sequences: the decode pool of a split, else ``gpus``."""
        return self.decode_gpus if self.decode_gpus is not None else self.gpus

    @model_validator(mode="after")
    def _owned_is_always_on(self) -> SelfHostOption:
        if self.acquisition == "buy" and self.mode == "autoscaled":
            raise ValueError("owned servers are paid for all week: use mode always_on with acquisition buy")
        if self.usd_per_gpu_purchase is not None and self.acquisition != "buy":
            raise ValueError("usd_per_gpu_purchase applies to acquisition buy")
        return self


#: Most MTP draft tokens per decode step (published runs use 1-3; beyond a few the acceptance of the later
#: drafts falls off, which one acceptance rate does not describe).
MAX_MTP_DRAFT_TOKENS = 4


class ServingAssumptions(_Frozen):
    """Assumptions of the self-hosting model (efficiency level, latency targets, overheads)."""

    efficiency: Literal["low", "base", "high"] = "base"
    tpot_ms_target: Annotated[float, Field(gt=0, le=MAX_TPOT_MS, allow_inf_nan=False)] = 50.0
    """Time per output token target, milliseconds."""
    ttft_ms_target: Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)] | None = None
    """Time to first token target, milliseconds (None = no target)."""
    overhead_pct: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] = 0.0
    """Extra cost on top of GPU hours (ops, storage, network), percent."""
    speculative_decoding: bool = False
    mtp_acceptance: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.7
    """Acceptance rate of the MTP draft tokens (fraction of the drafted tokens kept)."""
    mtp_draft_tokens: Annotated[int, Field(ge=1, le=MAX_MTP_DRAFT_TOKENS)] = 1
    """Draft tokens per decode step with speculative decoding (``K``; engines chain the MTP layer): a step
    verifies ``1 + K`` tokens per sequence and emits ``1 + acceptance × K`` on average."""
    kv_dtype: Literal["deployed", "bf16", "fp8"] = "deployed"
    target_utilization: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    """Peak utilisation the fleet is sized for (fraction, 0-1]: GPUs = work / this, in whole deployments."""
    ops_usd_per_month: Annotated[float, Field(ge=0, le=1e8, allow_inf_nan=False)] = 0.0
    """People and operations (engineering, on-call) per self-hosting option, USD per month."""
    server_life_years: Annotated[float, Field(gt=0, le=20, allow_inf_nan=False)] = 4.0
    """When buying: years over which the server price is amortised."""
    pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)] = 1.3
    """When buying: power usage effectiveness of the data centre (facility power / IT power, ≥ 1)."""
    usd_per_kwh: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 0.10
    """When buying: electricity price, USD per kWh."""
    hosting_usd_per_gpu_hour: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    """When buying: hosting / colocation (space, network, remote hands), USD per GPU-hour."""


#: Most request classes a scenario (or a :class:`~costmodel.workload.mix.RequestMix`) may have.
MAX_CLASSES = 20


class RequestClass(_Frozen):
    """One class of requests: a name, its share of the mix's requests and the shape of its requests."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Fraction of the mix's requests in this class."""
    workload: Workload
    """Lengths, cached share, hourly profile and time zone of the class (its ``requests_per_day`` is replaced by
    ``share ×`` the total)."""


def mix_problem(classes: tuple[RequestClass, ...]) -> str:
    """Why ``classes`` are not a mix (shares not summing to 1, a name twice), "" when they are."""
    total = sum(c.share for c in classes)
    if abs(total - 1.0) > 1e-6:
        return f"the classes' shares sum to {total:.6g}, not 1"
    names = [c.name for c in classes]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"class name(s) given twice: {', '.join(twice)}"
    return ""


def mix_mean_workload(total: Workload, classes: tuple[RequestClass, ...]) -> Workload:
    """``total`` with the request-weighted mean shape of ``classes``: mean prompt (rounded), mean billed output
    (rounded, reasoning multiplier 1), cached share of the prompt tokens; no histogram. Its volume, profile,
    time zone and days per month are ``total``'s. What a scenario with classes holds as its ``workload``."""
    prompt = sum(c.share * c.workload.prompt_tokens for c in classes)
    cached = sum(c.share * c.workload.prompt_tokens * c.workload.cache_hit_fraction for c in classes)
    out = sum(c.share * c.workload.billed_output_tokens for c in classes)
    return total.model_copy(
        update={
            "prompt_tokens": max(1, round(prompt)),
            "output_tokens": round(out),
            "reasoning_multiplier": 1.0,
            "cache_hit_fraction": min(1.0, cached / prompt) if prompt > 0 else 0.0,
            "prompt_histogram": (),
        }
    )


class Scenario(_Frozen):
    """A workload, the options to compare, assumptions and the as-of date of the prices."""

    workload: Workload
    api_options: tuple[ApiOption, ...] = Field(default=(), max_length=MAX_OPTIONS)
    self_host_options: tuple[SelfHostOption, ...] = Field(default=(), max_length=MAX_OPTIONS)
    assumptions: ServingAssumptions = Field(default_factory=ServingAssumptions)
    as_of: dt.date
    """Prices in effect at 00:00 UTC on this date are used."""
    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=1000)
    """One sentence stating the assumptions (presets fill it)."""
    classes: tuple[RequestClass, ...] = Field(default=(), max_length=MAX_CLASSES)
    """Optional request classes (chat, RAG, nightly batch, ...): each its share of ``workload.requests_per_day``
    (the total), its own lengths, cached share, hourly profile and time zone. Bills and self-hosting costs are
    then per class and in total; ``workload`` must hold the classes' mean shape (:func:`mix_mean_workload`) and
    its ``days_per_month`` applies to every class. Empty = one class, the workload (left out of JSON/YAML)."""
    monthly_growth_fraction: Annotated[float, Field(allow_inf_nan=False, exclude_if=lambda v: v == 0)] = 0.0
    """Traffic growth per month as a fraction (0.1 = +10% a month; above -1, at most 10): the exports then carry
    each option's cost over the next 12 months (:mod:`costmodel.evaluate.growth`). 0 = none, left out of files and links."""

    plans: Annotated[bool, Field(exclude_if=lambda v: not v)] = False
    """Also price plans (:mod:`costmodel.evaluate.plans`): each self-hosting option's fleet for the base load with the
    overflow sent to the API serving the same weights, hour by hour; rows of kind ``plan``. False = none, left out
    of files and links (the comparison is as before)."""

    @field_validator("monthly_growth_fraction")
    @classmethod
    def _growth_in_range(cls, v: float) -> float:
        if not -1 < v <= MAX_MONTHLY_GROWTH_FRACTION:
            raise ValueError(
                f"monthly growth must be above -100% and at most +1,000% a month (a fraction above -1, at most 10), "
                f"got {v:g} = {v:+.0%}"
            )
        return v

    @field_validator("as_of", mode="before")
    @classmethod
    def _date_not_datetime(cls, v: object) -> object:
        if isinstance(v, dt.datetime):
            raise ValueError("as_of must be a date (YYYY-MM-DD), not a date and time")
        return v

    @model_validator(mode="after")
    def _something_to_compare(self) -> Scenario:
        if not self.api_options and not self.self_host_options:
            raise ValueError("a scenario needs at least one API or self-hosting option")
        return self

    @model_validator(mode="after")
    def _classes_make_a_mix(self) -> Scenario:
        if not self.classes:
            return self
        problem = mix_problem(self.classes)
        if problem:
            raise ValueError(problem)
        w = self.workload
        for c in self.classes:
            if c.workload.days_per_month != w.days_per_month:
                raise ValueError(
                    f"class {c.name!r}: days_per_month {c.workload.days_per_month:g} differs from the workload's "
                    f"{w.days_per_month:g} (one billing month for every class)"
                )
        mean = mix_mean_workload(w, self.classes)
        for key, tol in (("prompt_tokens", 0.5), ("billed_output_tokens", 0.5), ("cache_hit_fraction", 1e-3)):
            got, want = float(getattr(w, key)), float(getattr(mean, key))
            if abs(got - want) > tol:
                raise ValueError(
                    f"with classes, the workload's {key} must be the classes' mean ({want:,.6g}), not {got:,.6g}"
                )
        return self

    @model_serializer(mode="wrap")
    def _omit_empty_classes(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not self.classes:  # files and exports written before classes existed stay identical
            data.pop("classes", None)
        return data

    def class_workloads(self) -> tuple[tuple[str, Workload], ...]:
        """``(name, workload)`` per class, each carrying ``share × workload.requests_per_day`` requests a day
        (empty without classes)."""
        total = self.workload.requests_per_day
        return tuple(
            (c.name, c.workload.model_copy(update={"requests_per_day": c.share * total}))
            for c in self.classes
        )
