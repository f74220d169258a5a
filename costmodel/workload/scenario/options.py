"""The options a scenario compares and how it serves them: an API (:class:`ApiOption`), a self-hosted deployment
(:class:`SelfHostOption`) and the serving assumptions (:class:`ServingAssumptions`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from costmodel.workload.scenario.base import (
    MAX_GPUS_PER_REPLICA,
    MAX_TPOT_MS,
    MIN_MEASURED_TOKENS_PER_S,
    Acquisition,
    IdStr,
    LayoutChoice,
    PrecisionPlan,
    RentalMode,
    RentalRule,
    UsdPerMtok,
    _Frozen,
)


class ApiOption(_Frozen):
    """One API to price: a provider × model × price basis.

    ``price_basis``: ``list`` = the list price in effect at the as-of date; ``promotion`` = the
    promotional price if one is in effect, otherwise the list price (and the table says so);
    ``custom`` = the three prices given here (flat: no peak hours, no context tiers).
    """

    provider: IdStr
    model: IdStr
    price_basis: Literal["list", "promotion", "custom"] = "list"
    usd_per_mtok_input_cache_hit: UsdPerMtok | None = None
    """Custom cache-hit input price, USD per 1M tokens (default: the cache-miss price)."""
    usd_per_mtok_input_cache_miss: UsdPerMtok | None = None
    """Custom cache-miss input price, USD per 1M tokens."""
    usd_per_mtok_output: UsdPerMtok | None = None
    """Custom output price, USD per 1M tokens."""

    @model_validator(mode="after")
    def _custom_prices(self) -> ApiOption:
        given = (
            self.usd_per_mtok_input_cache_hit,
            self.usd_per_mtok_input_cache_miss,
            self.usd_per_mtok_output,
        )
        if self.price_basis == "custom":
            if self.usd_per_mtok_input_cache_miss is None or self.usd_per_mtok_output is None:
                raise ValueError(
                    "price_basis 'custom' needs usd_per_mtok_input_cache_miss and usd_per_mtok_output"
                )
        elif any(p is not None for p in given):
            raise ValueError(f"custom prices given with price_basis {self.price_basis!r}: use 'custom'")
        return self

    @property
    def option_id(self) -> str:
        """``provider/model (basis)``: the ``option`` column of the comparison table."""
        return f"{self.provider}/{self.model} ({self.price_basis})"


class SelfHostOption(_Frozen):
    """One self-hosted deployment: open-weights model × GPU type × precision plan."""

    model: IdStr
    gpu: IdStr
    precision: PrecisionPlan = "native"
    gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_REPLICA)] | None = None
    """GPUs per replica (None = the smallest deployment that fits)."""
    rental_id: IdStr | None = None
    """Rental row to price the GPU hour (None = the most recent on-demand row for the GPU)."""
    usd_per_gpu_hour: Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)] | None = None
    """Override of the GPU-hour price, USD per GPU per hour."""
    mode: RentalMode = "always_on"
    disaggregated: bool = False
    prefill_gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_REPLICA)] | None = None
    """A stated disaggregated split, with ``decode_gpus``: GPUs of one prefill pool (the fleet adds prefill pools of
    this size as the prompts need them). None = pools of the deployment size, sized by the model."""
    decode_gpus: Annotated[int, Field(ge=1, le=MAX_GPUS_PER_REPLICA)] | None = None
    """GPUs of one decode pool, which holds the sequences (its memory plan, batch and rate); with ``prefill_gpus``."""
    attention_layout: LayoutChoice = "auto"
    """Attention data-parallel, tensor-parallel within a node, or ``auto`` (the cheaper for the workload)."""
    # at least 0.001 token/s per GPU: the fuzz suite found that a subnormal rate (2.2e-311) made TTFT infinite
    measured_prefill_tokens_per_s_per_gpu: (
        Annotated[float, Field(ge=MIN_MEASURED_TOKENS_PER_S, le=1e9, allow_inf_nan=False)] | None
    ) = None
    measured_decode_tokens_per_s_per_gpu: (
        Annotated[float, Field(ge=MIN_MEASURED_TOKENS_PER_S, le=1e9, allow_inf_nan=False)] | None
    ) = None
    acquisition: Acquisition = "rent"
    """rent (the default rental row), on_demand / reserved / spot (that basis), or buy (owned servers)."""
    usd_per_gpu_purchase: Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)] | None = None
    """When buying: your server price per GPU, USD (None = the catalogue's owner cost for the GPU)."""
    rental_rule: RentalRule = "latest"
    """Which rental row of the basis prices the GPU-hour: ``latest`` (the most recent curated row, the rule before
    the market), or from the market's rows (each provider offer's latest): ``cheapest``, ``median`` (the lower middle
    row), or ``provider`` (``rental_provider``'s latest). Your own price: ``usd_per_gpu_hour``."""
    rental_provider: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    """The provider of rule ``provider`` (as in ``hardware.yaml``, e.g. ``nebius``)."""

    @model_validator(mode="after")
    def _rental_rule_is_consistent(self) -> SelfHostOption:
        if (self.rental_rule == "provider") != (self.rental_provider is not None):
            raise ValueError("rental_rule 'provider' and rental_provider go together")
        if self.rental_rule != "latest" and (self.acquisition == "buy" or self.rental_id is not None):
            raise ValueError(
                f"rental_rule {self.rental_rule!r} picks a rental row: not with acquisition buy or a rental_id"
            )
        return self

    @model_validator(mode="after")
    def _split_is_disaggregated(self) -> SelfHostOption:
        if (self.prefill_gpus is None) != (self.decode_gpus is None):
            raise ValueError(
                "prefill and decode GPUs per pool (prefill_gpus, decode_gpus) go together: give both, or neither"
            )
        if self.prefill_gpus is not None and self.decode_gpus is not None:
            if not self.disaggregated:
                raise ValueError(
                    "a stated split (prefill_gpus, decode_gpus) is disaggregated serving: "
                    "tick 'prefill/decode split' (disaggregated)"
                )
            if self.gpus is not None and self.gpus != self.prefill_gpus + self.decode_gpus:
                raise ValueError(
                    f"GPUs per replica (gpus) {self.gpus} is not the split's prefill + decode GPUs "
                    f"({self.prefill_gpus + self.decode_gpus}): leave it blank with a split"
                )
        return self

    @property
    def pool_gpus(self) -> int | None:
        """GPUs of the deployment that holds the sequences: the decode pool of a split, else ``gpus``."""
        return self.decode_gpus if self.decode_gpus is not None else self.gpus

    @model_validator(mode="after")
    def _owned_is_always_on(self) -> SelfHostOption:
        if self.acquisition == "buy" and self.mode == "autoscaled":
            raise ValueError("owned servers are paid for all week: use mode always_on with acquisition buy")
        if self.usd_per_gpu_purchase is not None and self.acquisition != "buy":
            raise ValueError("usd_per_gpu_purchase applies to acquisition buy")
        return self


#: Most MTP draft tokens per decode step (published runs use 1-3; beyond a few the acceptance of the later
#: drafts falls off, which one acceptance rate does not describe).
MAX_MTP_DRAFT_TOKENS = 4


class ServingAssumptions(_Frozen):
    """Assumptions of the self-hosting model (efficiency level, latency targets, overheads)."""

    efficiency: Literal["low", "base", "high"] = "base"
    tpot_ms_target: Annotated[float, Field(gt=0, le=MAX_TPOT_MS, allow_inf_nan=False)] = 50.0
    """Time per output token target, milliseconds."""
    ttft_ms_target: Annotated[float, Field(gt=0, le=1e7, allow_inf_nan=False)] | None = None
    """Time to first token target, milliseconds (None = no target)."""
    overhead_pct: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] = 0.0
    """Extra cost on top of GPU hours (ops, storage, network), percent."""
    speculative_decoding: bool = False
    mtp_acceptance: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.7
    """Acceptance rate of the MTP draft tokens (fraction of the drafted tokens kept)."""
    mtp_draft_tokens: Annotated[int, Field(ge=1, le=MAX_MTP_DRAFT_TOKENS)] = 1
    """Draft tokens per decode step with speculative decoding (``K``; engines chain the MTP layer): a step
    verifies ``1 + K`` tokens per sequence and emits ``1 + acceptance × K`` on average."""
    kv_dtype: Literal["deployed", "bf16", "fp8"] = "deployed"
    target_utilization: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 1.0
    """Peak utilisation the fleet is sized for (fraction, 0-1]: GPUs = work / this, in whole deployments."""
    ops_usd_per_month: Annotated[float, Field(ge=0, le=1e8, allow_inf_nan=False)] = 0.0
    """People and operations (engineering, on-call) per self-hosting option, USD per month."""
    server_life_years: Annotated[float, Field(gt=0, le=20, allow_inf_nan=False)] = 4.0
    """When buying: years over which the server price is amortised."""
    pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)] = 1.3
    """When buying: power usage effectiveness of the data centre (facility power / IT power, ≥ 1)."""
    usd_per_kwh: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 0.10
    """When buying: electricity price, USD per kWh."""
    hosting_usd_per_gpu_hour: Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)] = 0.0
    """When buying: hosting / colocation (space, network, remote hands), USD per GPU-hour."""
