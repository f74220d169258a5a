"""Pydantic models of the catalogue rows in ``data/*.yaml``.

Every row carries ``source``, ``as_of`` and ``confidence``. Units are in field names
(``usd_per_mtok_*`` = US dollars per 1,000,000 tokens, ``hbm_gb`` = 10^9 bytes,
``hbm_tb_per_s`` = 10^12 bytes per second, ``*_tflops`` = 10^12 dense FLOP/s, ``*_tokens_per_s_*`` = tokens
per second, ``*_ms_*`` = milliseconds).
An unknown value is ``null`` and its reason is given in ``null_reasons``; a value that
could not be verified is listed in ``unconfirmed_fields`` so results that use it can say so.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from costmodel.catalog.architecture import ModelConfig, check_architecture
from costmodel.catalog.fields import (
    MAX_GPUS,
    MAX_TOKENS,
    AttentionKind,
    Confidence,
    GpuCount,
    HolidayCalendarName,
    IdField,
    Millis,
    NoBools,
    NonBlankStr,
    NonNegFloat,
    PosFloat,
    Precision,
    PriceKind,
    RentalBasis,
    TokenCount,
    TokenRate,
    WindowTokens,
)
from costmodel.catalog.lifecycle import LifecycleEvent, ServingPeriod
from costmodel.catalog.metrics import METRIC_PHASE, MeasurementMetric, MeasurementPhase


class UnknownIdError(KeyError):
    """An id that is not in the catalogue. ``str()`` is the message itself (a plain ``KeyError`` would show
    its repr, with stray quotes around it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown id"


class _Row(NoBools):
    """Base of every catalogue row: strict, frozen, with provenance."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    source: NonBlankStr
    """Where the values come from (URL or document)."""
    as_of: dt.date
    """The date the values were read from the source."""
    confidence: Confidence
    """official | third_party | derived | unconfirmed."""
    notes: str = ""
    null_reasons: dict[str, str] = Field(default_factory=dict)
    """For each field left null: why it is unknown."""
    unconfirmed_fields: tuple[str, ...] = ()
    """Fields whose value could not be verified; results using them are labelled."""

    @model_validator(mode="after")
    def _nulls_have_reasons(self) -> _Row:
        fields = type(self).model_fields
        for name in (*self.null_reasons, *self.unconfirmed_fields):
            if name not in fields:
                raise ValueError(f"names unknown field {name!r}")
        for name, info in fields.items():
            # A required field that is null means "unknown": the reason must be given.
            if info.is_required() and getattr(self, name) is None and name not in self.null_reasons:
                raise ValueError(f"field {name!r} is null: give the reason in null_reasons")
        return self


class Model(_Row):
    """A model: architecture (open weights) or API-only entry."""

    id: IdField
    name: str
    provider: IdField
    open_weights: bool
    attention: AttentionKind | None
    total_params_b: PosFloat | None
    """Published total parameters, billions."""
    active_params_b: PosFloat | None
    """Published active parameters per token, billions."""
    context_window_tokens: WindowTokens | None
    max_output_tokens: WindowTokens | None
    config: ModelConfig | None
    weight_precision: dict[Literal["routed_experts", "shared_experts", "dense"], Precision] | None
    """Checkpoint precision per component: routed experts, shared experts, everything else (dense)."""

    @model_validator(mode="after")
    def _architecture_consistent(self) -> Model:
        check_architecture(self.open_weights, self.attention, self.config, self.weight_precision)
        return self


class Gpu(_Row):
    """One accelerator type. Throughputs are dense (non-sparse) peak tensor FLOP/s."""

    id: IdField
    name: str
    vendor: str
    bf16_tflops: PosFloat | None
    fp8_tflops: PosFloat | None
    fp4_tflops: PosFloat | None
    hbm_gb: PosFloat | None
    """HBM capacity per GPU, 10^9 bytes."""
    hbm_tb_per_s: PosFloat | None
    """HBM bandwidth per GPU, 10^12 bytes/s."""
    scale_up_gb_per_s: PosFloat | None
    """Intra-node (NVLink / Infinity Fabric) bandwidth per GPU, 10^9 bytes/s, one direction."""
    scale_out_gb_per_s: PosFloat | None
    """Inter-node network bandwidth per GPU, 10^9 bytes/s."""
    gpus_per_node: Annotated[int, Field(gt=0, le=MAX_GPUS)]
    tdp_w: PosFloat | None


class GpuRental(_Row):
    """A rental price for one GPU type, USD per GPU-hour (an instance price divided by its GPUs)."""

    id: IdField
    gpu: IdField
    usd_per_gpu_hour: PosFloat
    basis: RentalBasis
    provider: str = ""
    region: str = ""
    """Region(s) or offer tier as the source names them (``eu-north1|eu-west1``, ``community``); empty: not given."""
    term: str = ""
    """For a reserved price: the commitment (``5-year``); empty when the source does not say."""
    market: bool = False
    """A provider's listed price, one of the market's rows. The default rule (``latest``) reads the
    curated rows only, so the market moves a figure only when an option asks for a market rule."""


class ServerPrice(_Row):
    """What owning one GPU costs (:mod:`costmodel.serving.tco`): a purchase price, or an owner's all-in cost per hour."""

    id: IdField
    gpu: IdField
    usd_per_gpu_purchase: PosFloat | None
    """Server price divided by its GPUs, USD per GPU (null: no source gives it)."""
    usd_per_gpu_hour_all_in: PosFloat | None
    """An owner's all-in cost (hardware amortised, power, hosting), USD per GPU-hour (null: none published)."""


class PeakWindow(NoBools):
    """Peak hours ``[start_hour_utc, end_hour_utc)`` on the given weekdays (0 = Monday)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_hour_utc: Annotated[int, Field(ge=0, le=23)]
    end_hour_utc: Annotated[int, Field(ge=1, le=24)]
    weekdays: tuple[Annotated[int, Field(ge=0, le=6)], ...] = (0, 1, 2, 3, 4)

    @model_validator(mode="after")
    def _ordered(self) -> PeakWindow:
        if self.end_hour_utc <= self.start_hour_utc:
            raise ValueError(
                f"end_hour_utc {self.end_hour_utc} must be after start_hour_utc {self.start_hour_utc}"
            )
        return self


class ContextTier(NoBools):
    """Prices that apply to a request whose prompt exceeds ``above_prompt_tokens``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    above_prompt_tokens: WindowTokens
    usd_per_mtok_input_cache_hit: NonNegFloat
    usd_per_mtok_input_cache_miss: NonNegFloat
    usd_per_mtok_output: NonNegFloat


class PriceSchedule(_Row):
    """API prices for one provider × model over a period.

    ``effective_from`` is inclusive, ``effective_to`` exclusive (None = still in effect).
    The listed prices are the standard (peak) prices; outside ``peak_windows`` they are
    multiplied by ``off_peak_multiplier``. Without peak windows the price is flat.
    ``peak_excludes_holidays`` names a holiday calendar whose days are off-peak in full (DeepSeek from ~2026-09-19:
    "Monday through Friday, excluding Chinese public holidays").
    """

    id: IdField
    provider: IdField
    model: IdField
    api_model_name: str
    kind: PriceKind
    currency: Literal["USD"] = "USD"
    effective_from: dt.datetime
    effective_to: dt.datetime | None = None
    usd_per_mtok_input_cache_hit: NonNegFloat
    usd_per_mtok_input_cache_miss: NonNegFloat
    usd_per_mtok_output: NonNegFloat
    peak_windows: tuple[PeakWindow, ...] = ()
    off_peak_multiplier: Annotated[float, Field(gt=0, le=1)] = 1.0
    peak_excludes_holidays: HolidayCalendarName | None = None
    context_tiers: tuple[ContextTier, ...] = ()
    context_window_tokens: WindowTokens | None = None
    """The host's own context limit when it differs from the model's (e.g. a 256K or 32K host); None: the model's."""
    served_by: tuple[ServingPeriod, ...] = ()
    """Which open weights answer ``api_model_name`` in each period (``catalog.lifecycle``)."""

    @field_validator("effective_from", "effective_to", mode="before")
    @classmethod
    def _date_is_midnight_utc(cls, v: object) -> object:
        if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
            return dt.datetime(v.year, v.month, v.day, tzinfo=dt.UTC)
        if isinstance(v, dt.datetime) and v.tzinfo is None:
            return v.replace(tzinfo=dt.UTC)
        return v

    @field_validator("effective_from", "effective_to", mode="after")
    @classmethod
    def _naive_is_utc(cls, v: dt.datetime | None) -> dt.datetime | None:
        # a quoted date ('2026-05-01') or date-time without offset arrives as text and is parsed naive: it is UTC
        # as an unquoted one is (comparing naive with aware periods raised a TypeError in the overlap check)
        return v.replace(tzinfo=dt.UTC) if v is not None and v.tzinfo is None else v

    @model_validator(mode="after")
    def _dates_and_tiers(self) -> PriceSchedule:
        if self.effective_to is not None and self.effective_to <= self.effective_from:
            raise ValueError(
                f"effective_to {self.effective_to:%Y-%m-%d %H:%M} is not after effective_from "
                f"{self.effective_from:%Y-%m-%d %H:%M}"
            )
        if self.off_peak_multiplier != 1.0 and not self.peak_windows:
            raise ValueError("off_peak_multiplier given without peak_windows")
        if self.peak_excludes_holidays is not None and not self.peak_windows:
            raise ValueError("peak_excludes_holidays given without peak_windows")
        thresholds = [t.above_prompt_tokens for t in self.context_tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("context_tiers must have strictly increasing above_prompt_tokens")
        return self

    def in_effect(self, when: dt.datetime) -> bool:
        """Whether this schedule applies at ``when`` (UTC)."""
        return self.effective_from <= when and (self.effective_to is None or when < self.effective_to)


class Measurement(_Row):
    """One published serving throughput figure, kept in the metric its source defines.

    ``as_of`` is the date of publication (or of the measurement, where the source dates it). ``gpus_total``
    counts the GPUs of the measured deployment: prefill + decode for a disaggregated run. Figures are as
    published; conversions between metrics belong to the validation code, not to this row.
    """

    id: IdField
    model: IdField
    """Architecture id in ``models.yaml`` (e.g. DeepSeek-R1 and V3 checkpoints map to ``deepseek-v3``)."""
    checkpoint: NonBlankStr
    """The exact checkpoint measured, as published (e.g. ``nvidia/DeepSeek-R1-0528-FP4``)."""
    weight_precision: NonBlankStr
    """Weight precision as published (e.g. ``NVFP4 MoE + FP8 attention``)."""
    kv_precision: str | None
    gpu: IdField
    """GPU id in ``hardware.yaml``."""
    gpus_total: GpuCount | None
    prefill_gpus: GpuCount | None
    decode_gpus: GpuCount | None
    engine: NonBlankStr
    engine_version: str | None
    parallelism: str | None
    """Parallelism as published (TP / EP / DP attention, instance sizes)."""
    disaggregated: bool | None
    """Prefill and decode on separate GPUs (PD disaggregation)."""
    mtp: bool | None
    """Multi-token prediction / speculative decoding on."""
    isl_tokens: TokenCount | None
    """Input (prompt) length per request."""
    osl_tokens: TokenCount | None
    """Output length per request."""
    kv_length_tokens: TokenCount | None
    """KV length held per sequence in a decode-only run."""
    concurrency: Annotated[int, Field(gt=0, le=MAX_TOKENS)] | None
    """Requests in flight over the whole deployment."""
    batch_per_gpu: Annotated[int, Field(gt=0, le=MAX_TOKENS)] | None
    """Sequences per GPU (or per rank) as published."""
    tpot_ms_limit: Millis | None
    """Time-per-output-token limit the run had to meet."""
    ttft_ms_limit: Millis | None
    """Time-to-first-token limit the run had to meet."""
    metric: MeasurementMetric
    phase: MeasurementPhase
    measured_value: TokenRate
    """The figure, in ``metric`` (tokens per second)."""
    published_text: NonBlankStr
    """The figure as quoted from the source."""
    output_tokens_per_s_per_user: TokenRate | None = None
    """Interactivity at that point, when published."""
    tpot_ms_measured: Millis | None = None
    """Measured time per output token at that point, when published."""
    curve: IdField | None = None
    """The published curve (one sweep of one deployment: concurrency, or shapes of one run) the point belongs
    to; points of one curve are left out together in leave-one-curve-out validation. None: its own curve."""
    mtp_draft_tokens: Annotated[int, Field(ge=1, le=16)] | None = None
    """Draft tokens per step with MTP / speculative decoding, when published (default 1 when ``mtp``)."""
    mtp_acceptance: Annotated[float, Field(gt=0, le=1)] | None = None
    """Share of drafted tokens accepted, when published (or derived from a published accept length)."""

    # Field validators (not a model validator) so that the error names the field: fields are validated in
    # declaration order, and ``info.data`` holds the earlier ones that were valid.
    @field_validator("phase")
    @classmethod
    def _phase_fits_metric(cls, phase: MeasurementPhase, info: ValidationInfo) -> MeasurementPhase:
        metric = info.data.get("metric")
        if metric is not None and METRIC_PHASE[metric] != phase:
            raise ValueError(f"metric {metric!r} is a {METRIC_PHASE[metric]} metric, but phase is {phase!r}")
        if info.data.get("kv_length_tokens") is not None and phase != "decode_only":
            raise ValueError(f"kv_length_tokens is for decode_only rows, but phase is {phase!r}")
        return phase

    @field_validator("decode_gpus")
    @classmethod
    def _gpu_counts_add_up(cls, decode: int | None, info: ValidationInfo) -> int | None:
        total, prefill = info.data.get("gpus_total"), info.data.get("prefill_gpus")
        for name, n in (("prefill_gpus", prefill), ("decode_gpus", decode)):
            if n is not None and total is not None and n > total:
                raise ValueError(f"{name}={n} is more than gpus_total={total}")
        if prefill is not None and decode is not None and total is not None and prefill + decode != total:
            raise ValueError(f"prefill_gpus + decode_gpus = {prefill + decode}, but gpus_total = {total}")
        return decode

    @field_validator("disaggregated")
    @classmethod
    def _split_only_when_disaggregated(cls, disaggregated: bool | None, info: ValidationInfo) -> bool | None:
        split = info.data.get("prefill_gpus") is not None or info.data.get("decode_gpus") is not None
        if disaggregated is False and split:
            raise ValueError("disaggregated is false, but prefill_gpus / decode_gpus are given")
        return disaggregated


class Catalogue(BaseModel):
    """Everything in ``data/``, cross-referenced."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: tuple[Model, ...]
    gpus: tuple[Gpu, ...]
    rentals: tuple[GpuRental, ...]
    prices: tuple[PriceSchedule, ...]
    measurements: tuple[Measurement, ...] = ()
    """Published serving measurements (``measurements.yaml``), the validation set of the serving model."""
    events: tuple[LifecycleEvent, ...] = ()
    """Dated lifecycle events of models and API names (``lifecycle.yaml``, optional file)."""
    servers: tuple[ServerPrice, ...] = ()
    """What owning a GPU costs (``hardware.yaml`` key ``servers``, optional), read by :mod:`costmodel.serving.tco`."""

    def model(self, model_id: str) -> Model:
        """The model row with this id; ``KeyError`` with the known ids otherwise."""
        for m in self.models:
            if m.id == model_id:
                return m
        raise UnknownIdError(f"unknown model {model_id!r}; known: {', '.join(m.id for m in self.models)}")

    def gpu(self, gpu_id: str) -> Gpu:
        """The GPU row with this id; ``KeyError`` with the known ids otherwise."""
        for g in self.gpus:
            if g.id == gpu_id:
                return g
        raise UnknownIdError(f"unknown GPU {gpu_id!r}; known: {', '.join(g.id for g in self.gpus)}")
