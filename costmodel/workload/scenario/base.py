"""The scenario models' shared pieces: the bounds that keep every result finite, the literal types of the choices,
the one-line error and the frozen pydantic base (:mod:`costmodel.workload.scenario.model` and
:mod:`costmodel.workload.scenario.options` build on them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
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
#: How FP4 weights are multiplied: activations in FP8 at the FP8 tensor rate (``w4a8``, the default the fit
#: supports) or quantised to FP4 too, at the GPU's FP4 tensor rate (``w4a4``) (:mod:`costmodel.serving.weights`).
Fp4Compute = Literal["w4a8", "w4a4"]
FP4_COMPUTES: tuple[Fp4Compute, ...] = ("w4a8", "w4a4")
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
