"""Request mixes: traffic made of classes (chat, RAG, nightly batch, ...), each with its own share of the requests,
lengths, cached share, hourly profile and time zone; API bills per class and in total.

A :class:`RequestMix` holds the total requests per day and the classes; each class's :class:`Workload` describes
one request of that class and when it comes (its ``requests_per_day`` is replaced by ``share × total``:
:meth:`RequestMix.class_workloads`). A class is billed as a workload of its own (its context tier, its peak-hour
share from its own profile), so a mix's bill is the sum of its classes' bills.

Not here yet: self-hosting a mix on one shared fleet (the fleet must be sized for the classes' combined hourly
load and the longest class's KV), and a Scenario field holding a mix (the Calculator's class table).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from costmodel.catalog.schema import Catalogue
from costmodel.pricing import ApiBill, api_bill
from costmodel.scenario import MAX_REQUESTS_PER_DAY, ApiOption, Workload

__all__ = ["MixApiBill", "RequestClass", "RequestMix", "mix_api_bill"]

MAX_CLASSES = 20


class RequestClass(BaseModel):
    """One class of requests: a name, its share of the mix's requests and the shape of its requests."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(min_length=1, max_length=60)]
    share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Fraction of the mix's requests in this class."""
    workload: Workload
    """Lengths, cached share, hourly profile and time zone of the class (its ``requests_per_day`` is replaced)."""


class RequestMix(BaseModel):
    """Total traffic and its classes (shares sum to 1, names unique)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_day: Annotated[float, Field(gt=0, le=MAX_REQUESTS_PER_DAY, allow_inf_nan=False)]
    """Requests per day of all classes together (mean over a week)."""
    classes: tuple[RequestClass, ...] = Field(min_length=1, max_length=MAX_CLASSES)

    @model_validator(mode="after")
    def _shares_and_names(self) -> RequestMix:
        total = sum(c.share for c in self.classes)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the classes' shares sum to {total:.6g}, not 1")
        names = [c.name for c in self.classes]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"class name(s) given twice: {', '.join(twice)}")
        return self

    def class_workloads(self) -> tuple[tuple[str, Workload], ...]:
        """``(name, workload)`` per class, the workload carrying ``share × requests_per_day`` requests a day."""
        return tuple(
            (c.name, c.workload.model_copy(update={"requests_per_day": c.share * self.requests_per_day}))
            for c in self.classes
        )


@dataclass(frozen=True)
class MixApiBill:
    """An API's monthly bill of a mix: one :class:`ApiBill` per class and the totals (USD per month)."""

    option: ApiOption
    per_class: tuple[tuple[str, ApiBill], ...]

    @property
    def monthly_cost_usd(self) -> float:
        """Sum of the classes' monthly bills, USD per month."""
        return sum(b.monthly_cost_usd for _, b in self.per_class)

    @property
    def monthly_tokens(self) -> float:
        """Prompt and billed output tokens per month, all classes."""
        return sum(
            b.monthly_input_cache_hit_tokens + b.monthly_input_cache_miss_tokens + b.monthly_output_tokens
            for _, b in self.per_class
        )

    @property
    def reasons(self) -> tuple[tuple[str, str], ...]:
        """``(class, reason)`` for the classes the API cannot serve (context window, maximum output)."""
        return tuple((name, b.reason) for name, b in self.per_class if b.reason)


def mix_api_bill(option: ApiOption, mix: RequestMix, catalogue: Catalogue, as_of: dt.date) -> MixApiBill:
    """The monthly bill of ``mix`` through ``option``: each class billed as its own workload.

    Raises:
        PricingError: unknown option or no price in effect (one line).
    """
    return MixApiBill(
        option=option,
        per_class=tuple((name, api_bill(option, w, catalogue, as_of)) for name, w in mix.class_workloads()),
    )
