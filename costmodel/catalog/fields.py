"""The field types of the catalogue's rows, with their bounds and units, and the rules every row shares: ids,
non-blank text (invisible characters count as blank), numbers that are not booleans and are written in ASCII digits.
The row models themselves are in :mod:`costmodel.catalog.schema`."""

from __future__ import annotations

import types
import typing
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    model_validator,
)

#: Largest integer any catalogue field may hold: exact in float64 and far inside int64 (what numpy and pandas
#: hold). Every integer field has its own, tighter bound; this one is the backstop of the generic types.
MAX_CATALOGUE_INT = 2**53


#: Context windows, output limits and tier thresholds: far above any model (10M tokens today).
MAX_WINDOW_TOKENS = 100_000_000


#: Characters that show nothing: spaces, and the format and control characters (zero-width space U+200B, word
#: joiner U+2060, byte-order mark U+FEFF, soft hyphen U+00AD, ...).
_INVISIBLE = {"Zs", "Zl", "Zp", "Cf", "Cc"}


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only spaces and invisible characters (a zero-width space is blank too)."""
    return all(c.isspace() or unicodedata.category(c) in _INVISIBLE for c in text)


def _not_blank(v: str) -> str:
    if is_blank(v):
        raise ValueError("must not be blank (only spaces or invisible characters)")
    return v


IdField = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


#: A required text (source, checkpoint, ...): at least one character that is not a space.
NonBlankStr = Annotated[str, Field(min_length=1), AfterValidator(_not_blank)]


PosInt = Annotated[int, Field(gt=0, le=MAX_CATALOGUE_INT)]


NonNegInt = Annotated[int, Field(ge=0, le=MAX_CATALOGUE_INT)]


WindowTokens = Annotated[int, Field(gt=0, le=MAX_WINDOW_TOKENS)]


#: Largest value of a generic float field (parameters in billions, TFLOP/s, GB, USD, W): far above any real
#: row, low enough that products of a few of them stay finite.
MAX_CATALOGUE_FLOAT = 1e12


PosFloat = Annotated[float, Field(gt=0, le=MAX_CATALOGUE_FLOAT, allow_inf_nan=False)]


#: Bounds of architecture fields: far above any real model, low enough that every count stays finite
#: and a per-layer schedule fits in memory (a model file asking for 2^40 layers is refused, not run).
MAX_CONFIG_LAYERS = 10_000


MAX_CONFIG_DIM = 2**20


ConfigPosInt = Annotated[int, Field(gt=0, le=MAX_CONFIG_DIM)]


ConfigNonNegInt = Annotated[int, Field(ge=0, le=MAX_CONFIG_DIM)]


NonNegFloat = Annotated[float, Field(ge=0, le=MAX_CATALOGUE_FLOAT, allow_inf_nan=False)]


Confidence = Literal["official", "third_party", "derived", "unconfirmed"]


Precision = Literal["bf16", "fp8", "fp4", "int4"]


AttentionKind = Literal["mha", "gqa", "mqa", "mla", "mla_dsa", "v4_hybrid", "v41_csa2"]
"""``v41_csa2``: DeepSeek-V4.1 (CSA2 source / reindex / reuse layers, causal encoder-decoder)."""


RentalBasis = Literal["on_demand", "spot", "reserved"]


PriceKind = Literal["list", "promotion"]


HolidayCalendarName = Literal["china"]
"""Named public-holiday calendars a peak rule can exclude (:mod:`costmodel.pricing.holiday_calendar`)."""


#: Bounds of measurement fields: far above any published run, low enough to catch a typo of several digits.
MAX_MEASURED_TOKENS_PER_S = 1e9


MAX_GPUS = 1_000_000


MAX_TOKENS = 100_000_000


MAX_MS = 3_600_000.0


GpuCount = Annotated[int, Field(gt=0, le=MAX_GPUS)]


TokenCount = Annotated[int, Field(gt=0, le=MAX_TOKENS)]


Millis = Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)]


TokenRate = Annotated[float, Field(gt=0, le=MAX_MEASURED_TOKENS_PER_S, allow_inf_nan=False)]


def _takes_bool(annotation: Any) -> bool:
    """Whether a field annotation admits a boolean (``bool``, ``bool | None``, ...)."""
    if annotation is bool:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType or origin is Annotated:
        return any(_takes_bool(a) for a in typing.get_args(annotation))
    return False


def _numeric_only(annotation: Any) -> bool:
    """Whether a field takes numbers (or a tuple of them) and no text: ``int``, ``float | None``, ``tuple[float, ...]``;
    not ``str``, dates (written as text) or literals."""
    if annotation is int or annotation is float:
        return True
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None) and a is not Ellipsis]
    if origin is Annotated:
        return _numeric_only(args[0])
    if origin is typing.Union or origin is types.UnionType or origin is tuple:
        return bool(args) and all(_numeric_only(a) for a in args)
    return False


def _non_ascii_number(v: object) -> bool:
    return isinstance(v, str) and not v.isascii()


def refuse_bools(cls: type[BaseModel], data: Any) -> Any:
    """One rule for every input (catalogue rows, scenarios, uploads, URLs): a boolean where a number (or a list of
    numbers) is expected is a wrong type, not 1 or 0 (pydantic's lax mode would take True as 1); a number written
    as text (a URL has only text; ``"200000"`` in a file is read as 200000) must be in ASCII digits: Python reads
    the Arabic-Indic ``٨`` or the full-width ``８`` as 8, which no one typing a price means."""
    if isinstance(data, dict):
        for name, info in cls.model_fields.items():
            v = data.get(name)
            if _takes_bool(info.annotation):
                continue
            if isinstance(v, bool):
                raise ValueError(f"field {name}: expected a number, got a boolean")
            if isinstance(v, list | tuple) and any(isinstance(x, bool) for x in v):
                raise ValueError(f"field {name}: expected numbers, got a boolean in the list")
            if _numeric_only(info.annotation) and (
                _non_ascii_number(v) or (isinstance(v, list | tuple) and any(_non_ascii_number(x) for x in v))
            ):
                raise ValueError(
                    f"field {name}: a number is written in ASCII digits (0-9), got {str(v)[:40]!r}"
                )
    return data


class NoBools(BaseModel):
    @model_validator(mode="before")
    @classmethod
    def _no_bools_for_numbers(cls, data: Any) -> Any:
        return refuse_bools(cls, data)
