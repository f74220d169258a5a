"""The Calculator's fields: each input's label with its unit, its widget key and its bounds (read from the pydantic
field: one source), and validation errors in our words, naming the field as the user sees it with its accepted
range. The widget state itself is in :mod:`app_pages.calc_state`."""

from __future__ import annotations

import contextlib
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from costmodel.views.links import query as scenario_keys
from costmodel.views.links.query import PROFILE_FIELDS
from costmodel.workload.scenario import (
    Scenario,
    ServingAssumptions,
    Workload,
)


@dataclass(frozen=True)
class NumberField:
    """A number input of the Calculator. Its bounds and help text come from the pydantic field (one source);
    only what the model cannot know is stated here: the label with its unit, the step and the display format.
    Its widget key is ``calc_`` + the field's URL key (:data:`costmodel.views.links.query.WORKLOAD_KEYS`)."""

    model: type[BaseModel]
    field: str
    label: str
    step: float | int
    fmt: str | None = None


@dataclass(frozen=True)
class CountField:
    """A count typed as text (``2M``, ``8K``, ``1.5k``, ``2,000,000``), read by :func:`costmodel.catalog.units.parse_count`:
    requests per day (decimal K/M/B), token counts (whole numbers, K = 1,024 and M = 1,048,576 as context windows
    are quoted). Its widget key is ``calc_`` + the field's URL key, as for :class:`NumberField`."""

    field: str
    label: str
    unit: str
    binary: bool


#: The Calculator's count inputs (text, so that "2M" means two million), in the order drawn.
COUNT_INPUTS = (
    CountField("requests_per_day", "Requests per day (req/day)", "requests/day", False),
    CountField("prompt_tokens", "Prompt tokens per request (tokens)", "tokens", True),
    CountField("output_tokens", "Output tokens per request (tokens)", "tokens", True),
)


#: The Calculator's number inputs, in the order drawn.
WORKLOAD_INPUTS = (
    NumberField(Workload, "reasoning_multiplier", "Reasoning multiplier (×)", 0.5),
    NumberField(Workload, "cache_hit_fraction", "Cached share of the prompt (fraction 0-1)", 0.05),
    NumberField(Workload, "weekend_day_weight", "Weekend day weight (× a weekday)", 0.1),
    NumberField(Workload, "days_per_month", "Days per month (days)", 0.5),
)


ASSUMPTION_INPUTS = (
    NumberField(ServingAssumptions, "tpot_ms_target", "TPOT target (ms)", 5.0),
    NumberField(ServingAssumptions, "ttft_ms_target", "TTFT target (ms)", 100.0),
    NumberField(ServingAssumptions, "overhead_pct", "Overhead (% of GPU cost)", 5.0),
    NumberField(ServingAssumptions, "mtp_acceptance", "MTP acceptance (fraction 0-1)", 0.05),
    NumberField(ServingAssumptions, "mtp_draft_tokens", "MTP draft tokens (tokens per step)", 1),
)


#: The cost-of-ownership inputs (ServingAssumptions fields; costmodel.serving.tco), in the order drawn.
TCO_INPUTS = (
    NumberField(ServingAssumptions, "target_utilization", "Target peak utilisation (fraction 0-1)", 0.05),
    NumberField(
        ServingAssumptions, "ops_usd_per_month", "People and operations (USD/month per option)", 1000.0
    ),
    NumberField(ServingAssumptions, "server_life_years", "Server life when buying (years)", 1.0),
    NumberField(ServingAssumptions, "pue", "PUE when buying (facility / IT power, ≥ 1)", 0.05),
    NumberField(ServingAssumptions, "usd_per_kwh", "Electricity when buying (USD/kWh)", 0.01),
    NumberField(ServingAssumptions, "hosting_usd_per_gpu_hour", "Hosting when buying (USD/GPU-hour)", 0.05),
)


#: Workload field -> widget key (the URL key with a ``calc_`` prefix).
WORKLOAD_KEYS = {
    field: f"calc_{key}" for key, field in scenario_keys.WORKLOAD_KEYS.items() if field not in PROFILE_FIELDS
}


#: ServingAssumptions field -> widget key.
ASSUMPTION_KEYS = {field: f"calc_{key}" for key, field in scenario_keys.ASSUMPTION_KEYS.items()}


#: Field path -> what the user sees (for error messages that name the field).
LABELS = {
    **{
        f.field: f.label.split(" (")[0]
        for f in (*COUNT_INPUTS, *WORKLOAD_INPUTS, *ASSUMPTION_INPUTS, *TCO_INPUTS)
    },
    "timezone": "Time zone",
    "hourly_profile_weekday": "Traffic by hour (weekday column)",
    "hourly_profile_weekend": "Traffic by hour (weekend column)",
    "efficiency": "Efficiency",
    "speculative_decoding": "Speculative decoding",
    "kv_dtype": "KV cache precision",
    "api_options": "APIs to compare",
    "self_host_options": "Self-hosting options",
    "as_of": "Prices as of",
    "name": "Scenario name",
    "description": "Description",
    "monthly_growth_fraction": "Growth",
}


def field_bounds(model: type[BaseModel], field: str) -> tuple[float | None, float | None]:
    """``(lowest, highest)`` value a pydantic field accepts (``gt`` counts as its bound: the widget lets the
    value be typed and the model then says why it is refused); an optional field's bounds are its inner type's."""
    info = model.model_fields[field]
    metadata = list(info.metadata)
    for arg in typing.get_args(info.annotation):  # X | None: the Annotated X carries the bounds
        for inner in typing.get_args(arg)[1:]:
            metadata += getattr(inner, "metadata", [inner])
    lo = next(
        (getattr(m, a) for m in metadata for a in ("ge", "gt") if getattr(m, a, None) is not None), None
    )
    hi = next(
        (getattr(m, a) for m in metadata for a in ("le", "lt") if getattr(m, a, None) is not None), None
    )
    return lo, hi


#: pydantic's bound messages, in our words.
_BOUND_WORDS = (
    ("Input should be greater than or equal to ", "must be at least "),
    ("Input should be less than or equal to ", "must be at most "),
    ("Input should be greater than ", "must be above "),
    ("Input should be less than ", "must be below "),
)


def _our_words(msg: str, loc: list[str]) -> str:
    """A validator's message in our words, with the field's accepted range when it has one."""
    for theirs, ours in _BOUND_WORDS:
        if msg.startswith(theirs):
            rest = msg.removeprefix(theirs)
            with contextlib.suppress(ValueError):
                rest = f"{float(rest):,.15g}"
            msg = ours + rest
            break
    else:
        return msg
    models: dict[str, type[BaseModel]] = {"workload": Workload, "assumptions": ServingAssumptions}
    model = models.get(loc[0]) if len(loc) == 2 else None
    if model is not None and loc[1] in model.model_fields:
        lo, hi = field_bounds(model, loc[1])
        if lo is not None and hi is not None:
            msg += f" (accepted: {lo:,.15g} to {hi:,.15g})"
    return msg


def describe_error(e: ValidationError) -> str:
    """The first validation error, naming the field as the user sees it."""
    err = e.errors()[0]
    loc = [str(p) for p in err["loc"]]
    msg = _our_words(err["msg"].removeprefix("Value error, "), loc)
    if len(loc) >= 2 and loc[0] == "self_host_options" and loc[1].isdigit():
        field = f"Self-hosting options, row {int(loc[1]) + 1}" + (
            f", column {loc[2]}" if len(loc) > 2 else ""
        )
    elif len(loc) >= 2 and loc[0] == "api_options" and loc[1].isdigit():
        field = f"APIs to compare, option {int(loc[1]) + 1}"
    else:
        named = [LABELS[p] for p in loc if p in LABELS]
        field = named[-1] if named else (".".join(loc) or "scenario")
        hours = [p for p in loc if p.isdigit()]
        if named and named[-1].startswith("Traffic by hour") and hours:
            field += f", hour {hours[0]}"
    return f"{field}: {msg}"


def validate(raw: dict[str, Any]) -> tuple[Scenario | None, str | None]:
    """``(scenario, None)`` or ``(None, one-line error naming the field)``."""
    try:
        return Scenario.model_validate(raw), None
    except ValidationError as e:
        return None, describe_error(e)
