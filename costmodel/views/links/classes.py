"""Request classes in a share link (URL key ``cl``): the compact text of a scenario's classes and back.

The text is one item per class, items separated by ``;``, fields by ``|``::

    NAME|SHARE|PROMPT|OUTPUT|CACHED|PROFILE|TZ[|HISTOGRAM[|REASONING]]

``NAME`` is percent-encoded (``%``, ``|`` and ``;`` never appear in it raw); ``SHARE`` (fraction of the requests),
``PROMPT`` and ``OUTPUT`` (tokens per request) and ``CACHED`` (fraction of the prompt) are numbers at ``repr``
precision; ``PROFILE`` is the name of a profile in :data:`costmodel.workload.profiles.NAMED_PROFILES`, or
``WEEKDAY:WEEKEND:WEEKEND_DAY_WEIGHT`` (24 comma-separated numbers each); ``TZ`` is the IANA time zone;
``HISTOGRAM`` is the class's prompt histogram in the ``ph`` encoding (:func:`costmodel.workload.prompt_shape.histogram_text`,
left empty without one); ``REASONING`` the reasoning multiplier, written only when it is not 1. A class's requests
per day (share × the total) and days per month (the total's) come from the workload, so the round trip is exact.

A mix whose text is longer than :data:`~costmodel.workload.scenario.base.MAX_QUERY_VALUE_CHARS` does not fit in a link
(:func:`classes_link_problem` says so in one line); the link then carries the mix's mean workload only.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

from pydantic import ValidationError

from costmodel.catalog.loader import format_validation_error
from costmodel.workload.mix import with_classes
from costmodel.workload.profiles import NAMED_PROFILES, profile_name
from costmodel.workload.prompt_shape import histogram_text, workload_from_histogram_text
from costmodel.workload.scenario import RequestClass, Scenario, ScenarioError, Workload
from costmodel.workload.scenario.base import MAX_QUERY_VALUE_CHARS
from costmodel.workload.scenario.model import MAX_CLASSES, mix_problem

__all__ = ["classes_from_text", "classes_link_problem", "classes_text", "classes_text_problem"]

_CLASS_SEP = ";"
_FIELD_SEP = "|"
_PROFILE_SEP = ":"
_FIELDS = ("name", "share", "prompt tokens", "output tokens", "cached share", "profile", "time zone")
_OPTIONAL = ("prompt histogram", "reasoning multiplier")


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(float(x))


def _profile_text(w: Workload) -> str:
    name = profile_name(w)
    if name is not None:
        return name
    days = (",".join(map(_num, w.hourly_profile_weekday)), ",".join(map(_num, w.hourly_profile_weekend)))
    return _PROFILE_SEP.join((*days, _num(w.weekend_day_weight)))


def _class_text(c: RequestClass) -> str:
    w = c.workload
    fields = [
        quote(c.name, safe=" "),
        _num(c.share),
        str(w.prompt_tokens),
        str(w.output_tokens),
        _num(w.cache_hit_fraction),
        _profile_text(w),
        w.timezone,
        histogram_text(w),
    ]
    if w.reasoning_multiplier != 1:
        fields.append(_num(w.reasoning_multiplier))
    while fields[-1] == "":  # an empty histogram without a reasoning multiplier: left out
        fields.pop()
    return _FIELD_SEP.join(fields)


def classes_text(s: Scenario) -> str:
    """The ``cl`` text of ``s``'s classes (``""`` without classes), whatever its length."""
    return _CLASS_SEP.join(_class_text(c) for c in s.classes)


def classes_link_problem(s: Scenario) -> str:
    """Why ``s``'s classes cannot travel in a link (one line), ``""`` when they can (or there are none)."""
    n = len(classes_text(s))
    if n <= MAX_QUERY_VALUE_CHARS:
        return ""
    return (
        f"the {len(s.classes)} request classes need {n:,} characters in a link, more than the {MAX_QUERY_VALUE_CHARS:,} "
        "a URL value may have"
    )


def _profile_fields(text: str) -> dict[str, object]:
    if text in NAMED_PROFILES:
        p = NAMED_PROFILES[text]
        return {"hourly_profile_weekday": p.weekday, "hourly_profile_weekend": p.weekend,
                "weekend_day_weight": p.weekend_day_weight}  # fmt: skip
    parts = text.split(_PROFILE_SEP)
    if len(parts) != 3:
        known = ", ".join(NAMED_PROFILES)
        raise ValueError(f"{text[:40]!r} is neither one of {known} nor WEEKDAY:WEEKEND:WEEKEND_DAY_WEIGHT")
    weekday, weekend = parts[0].split(","), parts[1].split(",")
    if len(weekday) != 24 or len(weekend) != 24:
        raise ValueError("a profile needs 24 comma-separated numbers for weekdays and 24 for weekends")
    return {
        "hourly_profile_weekday": weekday,
        "hourly_profile_weekend": weekend,
        "weekend_day_weight": parts[2],
    }


def _class_from_text(i: int, text: str, total: Workload) -> RequestClass:
    parts = text.split(_FIELD_SEP)
    if not len(_FIELDS) <= len(parts) <= len(_FIELDS) + len(_OPTIONAL):
        raise ScenarioError(
            f"request class {i}: {len(parts)} fields; a class is NAME|SHARE|PROMPT|OUTPUT|CACHED|PROFILE|TZ"
            "[|HISTOGRAM[|REASONING]]"
        )
    name = unquote(parts[0], errors="strict")
    tag = f"request class {i}" + (f" ({name[:60]!r})" if name else "")
    try:
        profile = _profile_fields(parts[5])
    except ValueError as e:
        raise ScenarioError(f"{tag}, profile: {e}") from None
    fields: dict[str, object] = {
        **profile,
        "requests_per_day": total.requests_per_day,  # replaced by share × total (with_classes)
        "prompt_tokens": parts[2],
        "output_tokens": parts[3],
        "cache_hit_fraction": parts[4],
        "timezone": parts[6],
        "days_per_month": total.days_per_month,
        "reasoning_multiplier": parts[8] if len(parts) > 8 else 1.0,
    }
    try:
        if len(parts) > 7 and parts[7]:
            try:
                fields = workload_from_histogram_text(fields, parts[7])
            except ValueError as e:
                raise ScenarioError(f"{tag}, prompt histogram: {e}") from None
        return RequestClass.model_validate({"name": name, "share": parts[1], "workload": fields})
    except ValidationError as e:
        raise ScenarioError(f"{tag}: {format_validation_error(e)}") from None


def classes_from_text(s: Scenario, text: str) -> Scenario:
    """``s`` holding the classes of ``text`` (:func:`classes_text`), each class validated as in a file; ``""``:
    ``s`` without classes.

    Raises:
        ScenarioError: one line naming the class and the field (or the mix: shares, names).
    """
    if not text:
        return with_classes(s, ())
    items = text.split(_CLASS_SEP)
    if len(items) > MAX_CLASSES:
        raise ScenarioError(f"request classes: {len(items)} classes; at most {MAX_CLASSES}")
    try:
        classes = tuple(_class_from_text(i, t, s.workload) for i, t in enumerate(items, start=1))
    except UnicodeDecodeError:
        raise ScenarioError("request classes: a class name is not valid UTF-8 once decoded") from None
    problem = mix_problem(classes)
    if problem:
        raise ScenarioError(f"request classes: {problem}")
    return with_classes(s, classes)


def classes_text_problem(s: Scenario, text: str) -> str:
    """Why ``text`` is not request classes for ``s`` (one line: the class and the field), ``""`` when it is: what a
    page shows next to the ``cl`` key that :func:`~costmodel.views.links.query.scenario_from_query` reported as ignored."""
    if len(text) > MAX_QUERY_VALUE_CHARS:
        return f"{len(text):,} characters, more than the {MAX_QUERY_VALUE_CHARS:,} a URL value may have"
    try:
        classes_from_text(s, text)
    except ValueError as e:
        return str(e).splitlines()[0] if str(e) else "not request classes"
    return ""
