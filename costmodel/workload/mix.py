"""Request mixes: traffic made of classes (chat, RAG, nightly batch, ...), each with its own share of the requests,
lengths, cached share, hourly profile and time zone (their API bills: :mod:`costmodel.pricing.mix_bill`).

A :class:`RequestMix` holds the total requests per day and the classes; each class's :class:`Workload` describes
one request of that class and when it comes (its ``requests_per_day`` is replaced by ``share × total``:
:meth:`RequestMix.class_workloads`). A class is billed as a workload of its own (its context tier, its peak-hour
share from its own profile), so a mix's bill is the sum of its classes' bills
(:mod:`costmodel.pricing.mix_bill`).

A :class:`~costmodel.workload.scenario.Scenario` holds a mix in ``classes`` (:func:`scenario_mix`); ``evaluate()`` bills
each API per class and in total (:func:`~costmodel.pricing.mix_bill.combined_bill`) and costs each self-hosting option on one shared fleet
(:func:`~costmodel.serving.evaluate_option` with ``classes``).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from costmodel.catalog.loader import format_validation_error
from costmodel.workload.profiles import NAMED_PROFILES, profile_name
from costmodel.workload.scenario import (
    MAX_CLASSES,
    MAX_REQUESTS_PER_DAY,
    MAX_TOKENS_PER_REQUEST,
    RequestClass,
    Scenario,
    ScenarioError,
    Workload,
    mix_mean_workload,
    mix_problem,
)

__all__ = ["MAX_CLASSES", "RequestClass", "RequestMix", "scenario_mix", "with_classes"]


class RequestMix(BaseModel):
    """Total traffic and its classes (shares sum to 1, names unique)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    requests_per_day: Annotated[float, Field(gt=0, le=MAX_REQUESTS_PER_DAY, allow_inf_nan=False)]
    """Requests per day of all classes together (mean over a week)."""
    classes: tuple[RequestClass, ...] = Field(min_length=1, max_length=MAX_CLASSES)

    @model_validator(mode="after")
    def _shares_and_names(self) -> RequestMix:
        problem = mix_problem(self.classes)
        if problem:
            raise ValueError(problem)
        return self

    def class_workloads(self) -> tuple[tuple[str, Workload], ...]:
        """``(name, workload)`` per class, the workload carrying ``share × requests_per_day`` requests a day."""
        return tuple(
            (c.name, c.workload.model_copy(update={"requests_per_day": c.share * self.requests_per_day}))
            for c in self.classes
        )


def scenario_mix(scenario: Scenario) -> RequestMix | None:
    """The scenario's request mix (None without classes)."""
    if not scenario.classes:
        return None
    return RequestMix(requests_per_day=scenario.workload.requests_per_day, classes=scenario.classes)


def with_classes(scenario: Scenario, classes: tuple[RequestClass, ...]) -> Scenario:
    """``scenario`` holding ``classes`` (its workload takes their mean shape, :func:`mix_mean_workload`; the total
    volume, profile and days per month stay); no classes: the scenario without them, its workload unchanged.

    Raises:
        ScenarioError: the classes do not make a mix (one line).
    """
    if not classes:
        return scenario.model_copy(update={"classes": ()})
    total = scenario.workload.requests_per_day
    # each class's requests per day as the scenario reads them (share × total): one way to write a mix
    classes = tuple(
        c.model_copy(update={"workload": c.workload.model_copy(update={"requests_per_day": c.share * total})})
        for c in classes
    )
    try:
        return Scenario.model_validate(
            {
                **scenario.model_dump(),
                "workload": mix_mean_workload(scenario.workload, classes).model_dump(),
                "classes": [c.model_dump() for c in classes],
            }
        )
    except ValidationError as e:
        raise ScenarioError(f"request classes: {format_validation_error(e)}") from None


# ---- the Calculator's class table: rows <-> classes ----------------------------------------------------------

#: Profile value of a class row whose profile (and time zone) are the loaded class's own (not a named profile).
AS_LOADED = "as loaded"
#: Columns of a class row (the Calculator's table) -> what the user sees, for messages naming the field.
CLASS_ROW_LABELS: dict[str, str] = {
    "name": "name",
    "share_pct": "share (%)",
    "prompt_tokens": "prompt tokens",
    "output_tokens": "output tokens",
    "cache_hit_fraction": "cached share (0-1)",
    "profile": "profile",
    "timezone": "time zone",
}


def class_rows(classes: tuple[RequestClass, ...]) -> list[dict[str, object]]:
    """The class table's rows of ``classes`` (share in percent; the profile's name, or :data:`AS_LOADED`)."""

    return [
        {
            "name": c.name,
            "share_pct": c.share * 100.0,
            "prompt_tokens": c.workload.prompt_tokens,
            "output_tokens": c.workload.output_tokens,
            "cache_hit_fraction": c.workload.cache_hit_fraction,
            "profile": profile_name(c.workload) or AS_LOADED,
            "timezone": c.workload.timezone,
        }
        for c in classes
    ]


def _blank(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip())


def _number(
    tag: str, field: str, v: object, lo: float, hi: float, *, whole: bool, lo_open: bool = False
) -> float:
    label = CLASS_ROW_LABELS[field]
    if _blank(v):
        raise ScenarioError(f"{tag}, {label}: empty; give a number")
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(float(v)):
        raise ScenarioError(f"{tag}, {label}: {v!r} is not a number")
    x = float(v)
    if whole and x != round(x):
        raise ScenarioError(f"{tag}, {label}: {x:g} is not a whole number")
    if x < lo or x > hi or (lo_open and x == lo):
        low = f"more than {lo:g}" if lo_open else f"at least {lo:g}"
        raise ScenarioError(f"{tag}, {label}: {x:,.6g} is out of range ({low} and at most {hi:,.6g})")
    return x


def classes_from_rows(
    rows: list[dict[str, object]], total: Workload, loaded: dict[str, RequestClass] | None = None
) -> tuple[RequestClass, ...]:
    """Request classes from the class table's rows; blank rows are skipped, no rows = no classes.

    Each class's workload: its row's lengths, cached share, profile and time zone; the total's days per month; a
    loaded class of the same name keeps its reasoning multiplier, and its prompt histogram while the prompt is
    its mean; a row whose profile is :data:`AS_LOADED` keeps the loaded class's profile.

    Raises:
        ScenarioError: one line naming the row (number and name) and the field: empty or non-numeric cell, a
            value out of range, an unknown profile, a name given twice, shares not summing to 100%.
    """

    loaded = loaded or {}
    kept = [r for r in rows if not all(_blank(r.get(k)) for k in CLASS_ROW_LABELS)]
    if len(kept) > MAX_CLASSES:
        raise ScenarioError(f"Request classes: {len(kept)} rows; at most {MAX_CLASSES}")
    out: list[RequestClass] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(kept, start=1):
        raw_name = r.get("name")
        name = "" if _blank(raw_name) else str(raw_name).strip()
        tag = f"Request classes, row {i}" + (f" ({name})" if name else "")
        if not name:
            raise ScenarioError(f"{tag}, name: empty; give the class a name")
        if len(name) > 60:
            raise ScenarioError(f"{tag}, name: longer than 60 characters")
        if name in seen:
            raise ScenarioError(
                f"Request classes, row {i}, name: {name!r} is already the name of row {seen[name]}"
            )
        seen[name] = i
        share = _number(tag, "share_pct", r.get("share_pct"), 0.0, 100.0, whole=False, lo_open=True)
        prompt = _number(tag, "prompt_tokens", r.get("prompt_tokens"), 1, MAX_TOKENS_PER_REQUEST, whole=True)
        output = _number(tag, "output_tokens", r.get("output_tokens"), 0, MAX_TOKENS_PER_REQUEST, whole=True)
        cached = _number(tag, "cache_hit_fraction", r.get("cache_hit_fraction"), 0.0, 1.0, whole=False)
        was = loaded.get(name)
        base = was.workload if was is not None else None
        if was is not None and abs(was.share * 100.0 - share) <= 1e-9:
            share = was.share * 100.0  # unchanged: the loaded share exactly (percent and back may round)
        fraction = was.share if was is not None and share == was.share * 100.0 else share / 100.0
        profile = "" if _blank(r.get("profile")) else str(r.get("profile"))  # a cleared cell may come as NaN
        fields: dict[str, object] = {}
        if profile == AS_LOADED and base is not None:
            fields = {
                k: getattr(base, k)
                for k in ("hourly_profile_weekday", "hourly_profile_weekend", "weekend_day_weight")
            }
        elif profile in NAMED_PROFILES:
            p = NAMED_PROFILES[profile]
            fields = {"hourly_profile_weekday": p.weekday, "hourly_profile_weekend": p.weekend,
                      "weekend_day_weight": p.weekend_day_weight}  # fmt: skip
        else:
            known = ", ".join(NAMED_PROFILES)
            raise ScenarioError(f"{tag}, profile: {profile or 'empty'!r} is not one of {known}")
        keep_hist = base is not None and base.prompt_histogram and base.prompt_tokens == int(prompt)
        try:
            w = Workload.model_validate(
                {
                    **fields,
                    "requests_per_day": total.requests_per_day * fraction,
                    "prompt_tokens": int(prompt),
                    "output_tokens": int(output),
                    "cache_hit_fraction": cached,
                    "timezone": total.timezone if _blank(r.get("timezone")) else str(r.get("timezone")),
                    "days_per_month": total.days_per_month,
                    "reasoning_multiplier": base.reasoning_multiplier if base is not None else 1.0,
                    "prompt_histogram": base.prompt_histogram if keep_hist and base is not None else (),
                }
            )
        except ValidationError as e:
            err = e.errors()[0]
            field = str(err["loc"][0]) if err["loc"] else ""
            label = CLASS_ROW_LABELS.get(field, field.replace("_", " ") or "workload")
            raise ScenarioError(f"{tag}, {label}: {str(err['msg']).removeprefix('Value error, ')}") from None
        out.append(RequestClass(name=name, share=fraction, workload=w))
    total_pct = sum(c.share for c in out) * 100.0
    if out and abs(total_pct - 100.0) > 1e-4:
        listed = ", ".join(f"{c.name} {c.share * 100:g}%" for c in out)
        raise ScenarioError(f"Request classes: the shares sum to {total_pct:g}%, not 100% ({listed})")
    return tuple(out)
