"""A workload, the options to compare and the serving assumptions (pydantic, frozen), split by concern: base (bounds, literal types, the frozen base), model (workload, request classes, scenario), options (API and self-hosting options, serving assumptions), files (JSON/YAML), the URL codec is costmodel.views.links.query. The field documentation is in costmodel.workload.scenario.model."""

from __future__ import annotations

from costmodel.workload.scenario.base import (
    ACQUISITIONS,
    LAYOUT_CHOICES,
    MAX_GPUS_PER_REPLICA,
    MAX_QUERY_PARAMS,
    MAX_REQUESTS_PER_DAY,
    MAX_TOKENS_PER_REQUEST,
    MAX_TPOT_MS,
    MIN_REQUESTS_PER_DAY,
    PRECISION_PLANS,
    RENTAL_RULES,
    Acquisition,
    LayoutChoice,
    PrecisionPlan,
    Profile,
    RentalMode,
    RentalRule,
    ScenarioError,
    flat_profile,
)
from costmodel.workload.scenario.files import (
    scenario_from_bytes,
    scenario_from_text,
    scenario_to_json,
    scenario_to_yaml,
)
from costmodel.workload.scenario.model import (
    MAX_CLASSES,
    PromptBucket,
    RequestClass,
    Scenario,
    Workload,
    mix_mean_workload,
    mix_problem,
)
from costmodel.workload.scenario.options import (
    ApiOption,
    SelfHostOption,
    ServingAssumptions,
)

__all__ = [
    "ACQUISITIONS",
    "LAYOUT_CHOICES",
    "MAX_CLASSES",
    "MAX_GPUS_PER_REPLICA",
    "MAX_QUERY_PARAMS",
    "MAX_REQUESTS_PER_DAY",
    "MAX_TOKENS_PER_REQUEST",
    "MAX_TPOT_MS",
    "MIN_REQUESTS_PER_DAY",
    "PRECISION_PLANS",
    "RENTAL_RULES",
    "Acquisition",
    "ApiOption",
    "LayoutChoice",
    "PrecisionPlan",
    "Profile",
    "PromptBucket",
    "RentalMode",
    "RentalRule",
    "RequestClass",
    "Scenario",
    "ScenarioError",
    "SelfHostOption",
    "ServingAssumptions",
    "Workload",
    "flat_profile",
    "mix_mean_workload",
    "mix_problem",
    "scenario_from_bytes",
    "scenario_from_text",
    "scenario_to_json",
    "scenario_to_yaml",
]
