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
from typing import Annotated, Any

from pydantic import (
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from costmodel.workload.scenario.base import (
    MAX_MONTHLY_GROWTH_FRACTION,
    MAX_OPTIONS,
    MAX_REQUESTS_PER_DAY,
    MAX_TOKENS_PER_REQUEST,
    MIN_REQUESTS_PER_DAY,
    Profile,
    _Frozen,
    flat_profile,
)
from costmodel.workload.scenario.options import ApiOption, SelfHostOption, ServingAssumptions

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
