"""Workload presets: typical applications, each a scenario whose description states its assumptions."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

from costmodel.workload.mix import with_classes
from costmodel.workload.profiles import EVENING, NIGHT, OFFICE_HOURS
from costmodel.workload.scenario import (
    ApiOption,
    Profile,
    RequestClass,
    Scenario,
    ScenarioError,
    SelfHostOption,
    Workload,
)

_OFFICE_HOURS: Profile = OFFICE_HOURS
_EVENING: Profile = EVENING
_NIGHT: Profile = NIGHT

_DEFAULT_API = (
    ApiOption(provider="deepseek", model="deepseek-v4-flash"),
    ApiOption(provider="deepseek", model="deepseek-v4-pro"),
    ApiOption(provider="moonshot", model="kimi-k2.6"),
    ApiOption(provider="minimax", model="minimax-m3"),
    ApiOption(provider="anthropic", model="claude-opus-4.6"),
)
_DEFAULT_SELF_HOST = (
    SelfHostOption(model="deepseek-v4-flash", gpu="h200"),
    SelfHostOption(model="deepseek-v4-pro", gpu="b200"),
)


_AUTOSCALED_SELF_HOST = (
    SelfHostOption(model="deepseek-v4-flash", gpu="h200", mode="autoscaled"),
    SelfHostOption(model="deepseek-v4-pro", gpu="b200", mode="autoscaled"),
)

#: When DeepSeek's Flash API names started being answered by V4.1-Flash: 2026-09-10 04:00 UTC (the ``served_by`` of
#: price row ``deepseek-flash-v4.1-2026-10`` in data/prices.yaml; a test holds the two equal). A preset dated on
#: or after it self-hosts what the Flash API then serves, V4.1-Flash, in place of V4-Flash.
FLASH_V41_SINCE = dt.datetime(2026, 9, 10, 4, tzinfo=dt.UTC)


def flash_weights_on(as_of: dt.date) -> str:
    """The open weights behind the Flash API at 00:00 UTC of ``as_of``: ``deepseek-v4-flash`` or
    ``deepseek-v4.1-flash``."""
    start = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC)
    return "deepseek-v4.1-flash" if start >= FLASH_V41_SINCE else "deepseek-v4-flash"


def _following_flash(options: tuple[SelfHostOption, ...], as_of: dt.date) -> tuple[SelfHostOption, ...]:
    """The preset's self-hosting options with the Flash weights the Flash API serves at ``as_of``."""
    flash = flash_weights_on(as_of)
    return tuple(
        o.model_copy(update={"model": flash}) if o.model == "deepseek-v4-flash" else o for o in options
    )


#: Preset name → (description, workload, self-hosting options); every preset prices the same API options.
_PRESET_SPECS: dict[str, tuple[str, Workload, tuple[SelfHostOption, ...]]] = {
    "chat": (
        "A consumer chat assistant: 200,000 requests a day, 1,500-token prompts of which 50% is a cached "
        "system prompt and history, 400-token answers, evening-heavy traffic in New York, weekends as busy.",
        Workload(
            requests_per_day=200_000,
            prompt_tokens=1_500,
            output_tokens=400,
            cache_hit_fraction=0.5,
            hourly_profile_weekday=_EVENING,
            hourly_profile_weekend=_EVENING,
            timezone="America/New_York",
        ),
        _DEFAULT_SELF_HOST,
    ),
    "rag-long-docs": (
        "Retrieval-augmented answers over long documents: 20,000 requests a day, 60,000-token prompts of "
        "retrieved passages with a 10% cached prefix, 800-token answers, office hours in Berlin, quiet weekends.",
        Workload(
            requests_per_day=20_000,
            prompt_tokens=60_000,
            output_tokens=800,
            cache_hit_fraction=0.1,
            hourly_profile_weekday=_OFFICE_HOURS,
            hourly_profile_weekend=_OFFICE_HOURS,
            weekend_day_weight=0.2,
            timezone="Europe/Berlin",
        ),
        _DEFAULT_SELF_HOST,
    ),
    "agentic-coding": (
        "An agentic coding tool: 50,000 model calls a day, each re-sending a 120,000-token repository and "
        "conversation context that is 90% cached, 1,000 output tokens with 2× thinking tokens, office hours "
        "in San Francisco, light weekends.",
        Workload(
            requests_per_day=50_000,
            prompt_tokens=120_000,
            output_tokens=1_000,
            reasoning_multiplier=2.0,
            cache_hit_fraction=0.9,
            hourly_profile_weekday=_OFFICE_HOURS,
            hourly_profile_weekend=_OFFICE_HOURS,
            weekend_day_weight=0.3,
            timezone="America/Los_Angeles",
        ),
        _DEFAULT_SELF_HOST,
    ),
    "doc-analysis-1m": (
        "Whole-document analysis at the 1M-token scale: 500 requests a day, 900,000-token prompts (a fresh "
        "document each time, no cache hits), 4,000-token reports, office hours in Singapore, no weekends.",
        Workload(
            requests_per_day=500,
            prompt_tokens=900_000,
            output_tokens=4_000,
            cache_hit_fraction=0.0,
            hourly_profile_weekday=_OFFICE_HOURS,
            hourly_profile_weekend=_OFFICE_HOURS,
            weekend_day_weight=0.0,
            timezone="Asia/Singapore",
        ),
        _DEFAULT_SELF_HOST,
    ),
    "overnight-batch": (
        "Overnight batch jobs: 1,000,000 requests a day run between 22:00 and 06:00 UTC every day, "
        "4,000-token prompts sharing a 25% cached instruction prefix, 300-token structured outputs.",
        Workload(
            requests_per_day=1_000_000,
            prompt_tokens=4_000,
            output_tokens=300,
            cache_hit_fraction=0.25,
            hourly_profile_weekday=_NIGHT,
            hourly_profile_weekend=_NIGHT,
            timezone="UTC",
        ),
        _AUTOSCALED_SELF_HOST,
    ),
}


def _class(name: str, share: float, preset_name: str, **changes: object) -> RequestClass:
    """A request class with the shape of preset ``preset_name``'s workload (``changes`` applied)."""
    w = _PRESET_SPECS[preset_name][1].model_copy(update=changes)
    return RequestClass(name=name, share=share, workload=w)


#: Mix presets: name → (description, total traffic, classes, self-hosting options). Each class's numbers come from
#: a single-workload preset above (its stated assumptions) unless the description says otherwise.
_MIX_SPECS: dict[str, tuple[str, Workload, tuple[RequestClass, ...], tuple[SelfHostOption, ...]]] = {
    "support-mix": (
        "A customer-support product as three request classes, 120,000 requests a day: chat 75% (the chat "
        "preset's requests: 1,500-token prompts 50% cached, 400-token answers, evening traffic in New York), "
        "help-centre RAG 20% (assumed 20,000-token prompts of retrieved articles, 10% cached as in the "
        "rag-long-docs preset, 600-token answers, business hours in New York, light weekends), and nightly ticket "
        "summaries 5% (the overnight-batch preset's requests: 4,000-token prompts 25% cached, 300-token outputs, "
        "22:00-06:00 UTC); the shares and the RAG lengths are assumptions, not measurements.",
        Workload(
            requests_per_day=120_000,
            prompt_tokens=1,
            output_tokens=0,
            hourly_profile_weekday=_EVENING,
            hourly_profile_weekend=_EVENING,
            timezone="America/New_York",
        ),
        (
            _class("chat", 0.75, "chat"),
            _class(
                "help-centre RAG",
                0.20,
                "rag-long-docs",
                prompt_tokens=20_000,
                output_tokens=600,
                timezone="America/New_York",
            ),
            _class("nightly summaries", 0.05, "overnight-batch"),
        ),
        _DEFAULT_SELF_HOST,
    ),
}


def _build_preset(name: str, as_of: dt.date) -> Scenario:
    if name in _MIX_SPECS:
        description, total, classes, self_host = _MIX_SPECS[name]

        one = Scenario(
            name=name, description=description, workload=total, api_options=_DEFAULT_API,
            self_host_options=_following_flash(self_host, as_of), as_of=as_of,
        )  # fmt: skip
        return with_classes(one, classes)
    description, workload, self_host = _PRESET_SPECS[name]
    return Scenario(
        name=name,
        description=description,
        workload=workload,
        api_options=_DEFAULT_API,
        self_host_options=_following_flash(self_host, as_of),
        as_of=as_of,
    )


#: Preset name → builder taking the as-of date (the single-workload presets, then the mixes).
PRESETS: dict[str, Callable[[dt.date], Scenario]] = {
    name: functools.partial(_build_preset, name) for name in (*_PRESET_SPECS, *_MIX_SPECS)
}


def preset_names() -> list[str]:
    """Names of the presets, in display order."""
    return list(PRESETS)


def preset(name: str, as_of: dt.date) -> Scenario:
    """The preset scenario ``name`` priced at ``as_of`` (its ``description`` states the assumptions).

    Raises:
        ScenarioError: unknown name (the message lists the known ones).
    """
    try:
        build = PRESETS[name]
    except KeyError:
        raise ScenarioError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None
    return build(as_of)


def custom_name(preset_name: str) -> str:
    """The name a preset takes once its inputs are edited: ``custom (from chat)``."""
    return f"custom (from {preset_name})"


def base_preset(name: str) -> str | None:
    """The preset a scenario name comes from: ``chat`` for ``chat`` and ``custom (from chat)``, else None."""
    inner = name.removeprefix("custom (from ").removesuffix(")") if name.startswith("custom (from ") else name
    return inner if inner in PRESETS else None
