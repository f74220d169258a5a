"""Which open weights serve an API name, by period, and the dated lifecycle events of models and API names.

Split from :mod:`costmodel.catalog.schema` by concern. A :class:`ServingPeriod` sits on a price schedule
(``served_by``): from when to when the schedule's API name was answered by which open-weights model (``None``:
closed weights, or not published). A :class:`LifecycleEvent` is one dated event (release, retirement, redirect
announced, redirect cancelled, ...) of ``data/lifecycle.yaml``, shown on the Catalogue page; ``took_effect`` false
records an announcement that never happened (V4-Pro's redirect of 2026-09-14). Every row carries source, as_of and
confidence; a date two sources disagree on is kept with both (``conflict``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Confidence = Literal["official", "third_party", "derived", "unconfirmed"]
EventKind = Literal[
    "release", "retire", "redirect", "redirect_announced", "redirect_cancelled", "rename", "limit"
]
_Id = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


def _utc(v: dt.datetime | None) -> dt.datetime | None:
    """A naive datetime (or a date, read as 00:00) is UTC."""
    return v.replace(tzinfo=dt.UTC) if v is not None and v.tzinfo is None else v


class ServingPeriod(BaseModel):
    """The weights behind an API name over ``[effective_from, effective_to)`` (UTC; ``effective_to`` None = still)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    weights_model: _Id | None
    """Open-weights model id in ``models.yaml`` (None: closed weights or unknown)."""
    checkpoint: str = ""
    """The checkpoint as the provider names it (e.g. ``DeepSeek-V4-Flash-0731``)."""
    effective_from: dt.datetime
    effective_to: dt.datetime | None = None
    source: str = Field(min_length=1)
    confidence: Confidence
    notes: str = ""

    @field_validator("effective_from", "effective_to", mode="after")
    @classmethod
    def _in_utc(cls, v: dt.datetime | None) -> dt.datetime | None:
        return _utc(v)

    @model_validator(mode="after")
    def _ordered(self) -> ServingPeriod:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError("served_by: effective_to must be after effective_from")
        return self

    def in_effect(self, when: dt.datetime) -> bool:
        """Whether this period covers ``when`` (UTC)."""
        return self.effective_from <= when and (self.effective_to is None or when < self.effective_to)


class LifecycleEvent(BaseModel):
    """One dated event in the life of a model or an API name."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: _Id
    when: dt.datetime
    """When it happened (or was to happen), UTC."""
    kind: EventKind
    model: _Id | None = None
    """The open-weights model concerned (``models.yaml`` id), if any."""
    api_model_names: tuple[str, ...] = ()
    provider: _Id | None = None
    took_effect: bool = True
    """False: announced but it never happened."""
    conflict: str = ""
    """Another source's date or reading, kept when the sources disagree."""
    text: str = Field(min_length=1)
    """What happened, in our words (quotes in ``notes``)."""
    source: str = Field(min_length=1)
    as_of: dt.date
    confidence: Confidence
    notes: str = ""

    @field_validator("when", mode="after")
    @classmethod
    def _in_utc(cls, v: dt.datetime) -> dt.datetime:
        out = _utc(v)
        assert out is not None
        return out


def weights_at(
    served_by: tuple[ServingPeriod, ...], when: dt.datetime, default_model: str | None
) -> ServingPeriod | None:
    """The serving period in effect at ``when`` (UTC). A schedule without ``served_by`` serves ``default_model``
    (its own model row, when that has open weights) over every instant: a period is made up for it. None: the
    schedule lists periods and none covers ``when`` (unknown), or there is no default."""
    if served_by:
        return next((p for p in served_by if p.in_effect(when)), None)
    if default_model is None:
        return None
    return ServingPeriod(
        weights_model=default_model,
        effective_from=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
        source="the price row's own model",
        confidence="derived",
    )
