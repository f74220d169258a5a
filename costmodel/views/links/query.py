"""Scenario URLs: the compact query parameters that restore a scenario exactly, read one key at a time."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, unquote

from pydantic import (
    ValidationError,
)

from costmodel.views.links.classes import classes_from_text, classes_text
from costmodel.workload.prompt_shape import histogram_text, workload_from_histogram_text
from costmodel.workload.scenario.base import MAX_QUERY_PARAMS, MAX_QUERY_STRING_CHARS, MAX_QUERY_VALUE_CHARS
from costmodel.workload.scenario.model import Scenario, Workload
from costmodel.workload.scenario.options import SelfHostOption, ServingAssumptions

# ---- URL query parameters ----------------------------------------------------------------------------------
# Compact keys (the Calculator's widget keys are ``calc_`` + these). Lists are comma-separated, option fields
# colon-separated (ids never contain ',' or ':').

#: URL key -> workload field.

WORKLOAD_KEYS = {
    "rpd": "requests_per_day",
    "pt": "prompt_tokens",
    "ot": "output_tokens",
    "rm": "reasoning_multiplier",
    "ch": "cache_hit_fraction",
    "pwd": "hourly_profile_weekday",
    "pwe": "hourly_profile_weekend",
    "ww": "weekend_day_weight",
    "tz": "timezone",
    "dpm": "days_per_month",
}
#: URL key -> serving-assumption field.
ASSUMPTION_KEYS = {
    "eff": "efficiency",
    "tpot": "tpot_ms_target",
    "ttft": "ttft_ms_target",
    "ovh": "overhead_pct",
    "spec": "speculative_decoding",
    "mtp": "mtp_acceptance",
    "mtpk": "mtp_draft_tokens",
    "kv": "kv_dtype",
    "util": "target_utilization",
    "ops": "ops_usd_per_month",
    "life": "server_life_years",
    "pue": "pue",
    "kwh": "usd_per_kwh",
    "host": "hosting_usd_per_gpu_hour",
}
_API_FIELDS = (
    "provider",
    "model",
    "price_basis",
    "usd_per_mtok_input_cache_hit",
    "usd_per_mtok_input_cache_miss",
    "usd_per_mtok_output",
)
_SELF_HOST_FIELDS = (
    "model",
    "gpu",
    "precision",
    "gpus",
    "rental_id",
    "usd_per_gpu_hour",
    "mode",
    "disaggregated",
    "measured_prefill_tokens_per_s_per_gpu",
    "measured_decode_tokens_per_s_per_gpu",
    "attention_layout",  # after the older fields: URLs written before a field existed still parse
    "acquisition",
    "usd_per_gpu_purchase",
    "rental_rule",  # written only when not the default, so links of options without one are as before
    "rental_provider",  # free text: percent-quoted in the link (':' and ',' separate cells and options)
    "prefill_gpus",  # a stated disaggregated split; blank (None) in links of options without one
    "decode_gpus",
)
#: Serving assumptions written only when not at their default (added after links existed: old links stay as they were).
_ASSUMPTIONS_WRITTEN_IF_SET = {"mtp_draft_tokens"}
#: Self-hosting fields left blank in a link when at their default (blank reads back as the default).
_BLANK_AT_DEFAULT = {"rental_rule"}
PROFILE_FIELDS = {"hourly_profile_weekday", "hourly_profile_weekend"}
#: URL key of the prompt-length histogram (:mod:`costmodel.workload.prompt_shape`: ``ln:P50:P95`` or ``share:tokens,...``);
#: written only when the workload has one, so links without one are as before.
HISTOGRAM_KEY = "ph"
#: URL key of the monthly traffic growth (a fraction); written only when it is not 0.
GROWTH_KEY = "gr"
#: URL key of plans (``Scenario.plans``: ``1``); written only when they are on.
PLANS_KEY = "pl"
#: URL key of the request classes (:mod:`costmodel.views.links.classes`); written only when the scenario has classes and
#: they fit in a URL value (otherwise the link carries their mean workload only).
CLASSES_KEY = "cl"
#: Every key :func:`scenario_to_query` writes.
QUERY_KEYS = (
    "v", "n", "desc", "d", *WORKLOAD_KEYS, "api", "sh", *ASSUMPTION_KEYS, HISTOGRAM_KEY, GROWTH_KEY, CLASSES_KEY,
    PLANS_KEY,
)  # fmt: skip


def _num(x: float | int) -> str:
    """Shortest exact text of a number (``1.0`` → ``1``, ``0.1`` → ``0.1``)."""
    if isinstance(x, bool):
        return "1" if x else "0"
    if isinstance(x, int) or (math.isfinite(x) and x == int(x) and abs(x) < 1e15):
        return str(int(x))
    return repr(float(x))


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool | int | float):
        return _num(v)
    return str(v)


def _option_cells(o: SelfHostOption) -> list[str]:
    """The link cells of a self-hosting option, in :data:`_SELF_HOST_FIELDS` order."""
    cells = []
    for f in _SELF_HOST_FIELDS:
        v = getattr(o, f)
        if f in _BLANK_AT_DEFAULT and v == SelfHostOption.model_fields[f].default:
            v = None
        cells.append(quote(v, safe=" ") if f == "rental_provider" and v is not None else _cell(v))
    return cells


def scenario_to_query(s: Scenario, lognormal: tuple[float, float] | None = None) -> dict[str, str]:
    """Compact URL query parameters that :func:`scenario_from_query` turns back into ``s`` exactly.

    ``lognormal``: the (median, 95th percentile) the prompt histogram was made with, if it was; the link then
    carries these two numbers instead of every bucket (only when they rebuild the histogram exactly)."""

    w = s.workload
    q: dict[str, str] = {"v": "1", "n": s.name, "desc": s.description}
    q["d"] = s.as_of.isoformat()
    for key, name in WORKLOAD_KEYS.items():
        value = getattr(w, name)
        q[key] = ",".join(_num(x) for x in value) if name in PROFILE_FIELDS else _cell(value)
    q["api"] = ",".join(
        ":".join(_cell(getattr(o, f)) for f in _API_FIELDS).rstrip(":") for o in s.api_options
    )
    q["sh"] = ",".join(":".join(_option_cells(o)).rstrip(":") for o in s.self_host_options)
    for key, name in ASSUMPTION_KEYS.items():
        value = getattr(s.assumptions, name)
        if name in _ASSUMPTIONS_WRITTEN_IF_SET and value == ServingAssumptions.model_fields[name].default:
            continue
        q[key] = _cell(value)
    if w.prompt_histogram:
        q[HISTOGRAM_KEY] = histogram_text(w, lognormal)
    if s.monthly_growth_fraction:
        q[GROWTH_KEY] = _num(s.monthly_growth_fraction)
    if s.plans:
        q[PLANS_KEY] = "1"
    if s.classes:
        text = classes_text(s)
        if len(text) <= MAX_QUERY_VALUE_CHARS:  # else: the mean workload only (classes_link_problem says so)
            q[CLASSES_KEY] = text
    return q


def _flag(text: str) -> bool:
    """``1`` → True, ``0`` → False; anything else is refused (the key is then reported as ignored)."""
    if text not in ("0", "1"):
        raise ValueError("a flag is 0 or 1")
    return text == "1"


def _parse_profile(text: str) -> list[str]:
    parts = text.split(",")
    if len(parts) != 24:
        raise ValueError("a profile needs 24 comma-separated numbers")
    return parts


def _parse_options(text: str, fields: Sequence[str]) -> list[dict[str, str]]:
    if not text:
        return []
    out = []
    for item in text.split(","):
        parts = item.split(":")
        if len(parts) > len(fields):
            raise ValueError("too many ':' parts")
        out.append({f: p for f, p in zip(fields, parts, strict=False) if p != ""})
    return out


def _unquoted(options: list[dict[str, str]], field: str) -> list[dict[str, str]]:
    """``options`` with ``field`` percent-decoded where present."""
    return [{**o, field: unquote(o[field])} if field in o else o for o in options]


def _single(v: str | Sequence[str]) -> str | None:
    """The value of a query parameter; None when it is given more than once (the rule of the scenario files,
    where a key given twice is refused: neither value is used, and the key is reported)."""
    if isinstance(v, str):
        return v
    return None if len(v) > 1 else (v[0] if v else "")


def parse_query_string(raw: str) -> tuple[dict[str, list[str]], str | None]:
    """The raw query string (``a=1&b=2``, a leading ``?`` allowed) as ``{key: [every value given]}``, or ``({}, why)``
    past the limits (:data:`MAX_QUERY_STRING_CHARS` characters, :data:`MAX_QUERY_PARAMS` parameters: checked
    before parsing, so a 20 MB string costs no parse). Every value is kept: a key given twice is seen as such."""
    from urllib.parse import parse_qs

    raw = raw.removeprefix("?")
    if len(raw) > MAX_QUERY_STRING_CHARS:
        return (
            {},
            f"the whole query string ({len(raw):,} characters; the limit is {MAX_QUERY_STRING_CHARS:,})",
        )
    fields = raw.count("&") + 1 if raw else 0
    if fields > MAX_QUERY_PARAMS:
        return {}, _too_many(fields)
    return parse_qs(raw, keep_blank_values=True), None


def scenario_from_query_string(raw: str, default: Scenario) -> tuple[Scenario, list[str]]:
    """:func:`scenario_from_query` from the raw query string (:func:`parse_query_string`).

    Streamlit hands an app no parameter at all when the query string is too long or has too many parameters,
    and only the last value of a key given twice; an app that reads the raw string says so instead.
    """
    params, refused = parse_query_string(raw)
    if refused is not None:
        return default, [refused]
    return scenario_from_query(params, default)


def _too_many(n: int) -> str:
    return f"all {n:,} parameters (more than {MAX_QUERY_PARAMS:,}: none was used)"


def scenario_from_query(
    params: Mapping[str, str | Sequence[str]], default: Scenario
) -> tuple[Scenario, list[str]]:
    """Rebuild a scenario from URL query parameters, field by field.

    A key that is missing takes the value of ``default``; a key whose value is invalid (or that
    is unknown, or given more than once) is ignored, the value of ``default`` is kept, and the key is
    reported. More than :data:`MAX_QUERY_PARAMS` parameters: none is used (Streamlit's own limit), and the
    one entry of ``ignored`` says so.

    Args:
        params: query parameters (a value may be a list, as ``parse_qs`` gives; the last one counts).
        default: the scenario supplying every value the URL does not (validly) give.

    Returns:
        ``(scenario, ignored)`` where ``ignored`` lists the query keys that were ignored, in order.
    """
    if len(params) > MAX_QUERY_PARAMS:
        return default, [_too_many(len(params))]
    single = {k: _single(v) for k, v in params.items()}
    ignored = [k for k, v in single.items() if v is None]
    q = {k: v for k, v in single.items() if v is not None}
    ignored += [k for k in q if k not in QUERY_KEYS]
    ignored += [k for k in QUERY_KEYS if k in q and len(q[k]) > MAX_QUERY_VALUE_CHARS]
    q = {k: v for k, v in q.items() if k in QUERY_KEYS and k not in ignored}

    def apply(
        current: dict[str, Any],
        key: str,
        name: str,
        parse: Callable[[str], object],
        check: Callable[[dict[str, Any]], object],
    ) -> dict[str, Any]:
        if key not in q:
            return current
        try:
            candidate = {**current, name: parse(q[key])}
            check(candidate)
        except (ValueError, ValidationError, TypeError):
            ignored.append(key)
            return current
        return candidate

    def ident(x: str) -> str:
        return x

    workload = default.workload.model_dump()
    for key, name in WORKLOAD_KEYS.items():
        wparse: Callable[[str], object] = _parse_profile if name in PROFILE_FIELDS else ident
        workload = apply(workload, key, name, wparse, Workload.model_validate)
    if HISTOGRAM_KEY in q:  # after the mean prompt ("pt"), which an explicit histogram must agree with
        try:
            workload = Workload.model_validate(
                workload_from_histogram_text(workload, q[HISTOGRAM_KEY])
            ).model_dump()
        except (ValueError, ValidationError, TypeError):
            ignored.append(HISTOGRAM_KEY)
    assumptions = default.assumptions.model_dump()
    for key, name in ASSUMPTION_KEYS.items():
        parser: Callable[[str], object] = (
            (lambda t: None if t == "" else t) if name == "ttft_ms_target" else ident
        )
        assumptions = apply(assumptions, key, name, parser, ServingAssumptions.model_validate)

    top: dict[str, Any] = default.model_dump(exclude={"workload", "assumptions"})
    top["workload"] = workload
    top["assumptions"] = assumptions

    def check_top(candidate: dict[str, Any]) -> None:
        Scenario.model_validate(candidate)

    top_fields: tuple[tuple[str, str, Callable[[str], object]], ...] = (
        ("n", "name", ident),
        ("desc", "description", ident),
        ("d", "as_of", dt.date.fromisoformat),
        ("api", "api_options", lambda t: _parse_options(t, _API_FIELDS)),
        (
            "sh",
            "self_host_options",
            lambda t: _unquoted(_parse_options(t, _SELF_HOST_FIELDS), "rental_provider"),
        ),
        (GROWTH_KEY, "monthly_growth_fraction", ident),
        (PLANS_KEY, "plans", _flag),
    )
    for key, name, parse in top_fields:
        top = apply(top, key, name, parse, check_top)
    if "v" in q and q["v"] != "1":
        ignored.append("v")
    scenario = Scenario.model_validate(top)
    if CLASSES_KEY in q:  # last: the classes' total is the restored volume, and they set the mean workload
        try:
            scenario = classes_from_text(scenario, q[CLASSES_KEY])
        except ValueError:  # ScenarioError; costmodel.views.links.classes.classes_text_problem says why
            ignored.append(CLASSES_KEY)
    return scenario, ignored
