"""Provider economics: the V3.2 to V4 efficiency story and the Ascend question (the same traffic per GPU type); the whole page computed once."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from costmodel.attention import (
    attention_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.attention.compute import linear_flops_per_token
from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import SECONDS_PER_HOUR
from costmodel.economics.cost import (
    ASCEND_GPUS,
    STORY_CONTEXTS,
    STORY_MODELS,
    TOKEN_TYPES,
    EconomicsError,
    Fleet,
    Memo,
    TokenCost,
    TrafficMix,
    _cost,
)
from costmodel.economics.margins import (
    PricePoint,
    context_sweep,
    cost_table,
    history_frame,
    margin_table,
    price_points,
)

# ---- the efficiency story ----------------------------------------------------------------------------------


def efficiency_story(
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    models: Sequence[str] = STORY_MODELS,
    contexts: Sequence[int] = STORY_CONTEXTS,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """The same traffic served by each model on the same fleet, at each context length.

    One row per (model, context): cost per 1M input / cached / output tokens (base and band), and from the
    estimator where it comes from: the attention share of the FLOPs of one decoded token and of a prefill, the
    KV cache of one sequence, the KV bytes read per decoded token, the KV share of the HBM bytes of a decode step
    at the batch served, and the ratios to the first model (the baseline).
    """
    twice = sorted({m for m in models if list(models).count(m) > 1})
    if (
        twice
    ):  # each model is one row group (and the index of the ratios): a repeat is a mistake, said in one line
        raise ValueError(f"story models: {', '.join(twice)} given more than once")
    rows = []
    for mid in models:
        model = catalogue.model(mid)
        lin = linear_flops_per_token(model)
        for length in contexts:
            prompt = int(length) - mix.output_tokens
            if prompt < 1:
                continue
            c = _cost(memo, mid, fleet, TrafficMix(prompt, mix.output_tokens, mix.cached_share), catalogue)
            attn = float(np.asarray(attention_flops_per_token(model, length)))
            attn_prefill = float(np.asarray(attention_prefill_flops(model, prompt, 0)))
            rows.append({
                "model": mid,
                "context_tokens": int(length),
                "gpu": fleet.gpu,
                "gpus": c.gpus,
                "usd_per_mtok_input": c.usd_per_mtok("input"),
                "usd_per_mtok_input_low": c.usd_per_mtok("input", "high"),
                "usd_per_mtok_input_high": c.usd_per_mtok("input", "low"),
                "usd_per_mtok_cached": c.usd_per_mtok("cached"),
                "usd_per_mtok_output": c.usd_per_mtok("output"),
                "usd_per_mtok_output_low": c.usd_per_mtok("output", "high"),
                "usd_per_mtok_output_high": c.usd_per_mtok("output", "low"),
                "decode_tokens_per_s_per_gpu": c.levels["base"].decode_tokens_per_s_per_gpu if c.levels else math.nan,
                "prefill_tokens_per_s_per_gpu": c.levels["base"].prefill_tokens_per_s_per_gpu if c.levels else math.nan,
                "flops_per_token": lin + attn,
                "attention_flops_share_decode": attn / (lin + attn),
                "attention_flops_share_prefill": attn_prefill / (prompt * lin + attn_prefill),
                "kv_cache_bytes": float(np.asarray(kv_cache_bytes(model, length))),
                "kv_read_bytes_per_token": float(np.asarray(kv_read_bytes_per_token(model, length))),
                "kv_share_decode_bytes": c.decode_kv_share,
                "reason": c.reason,
                "notes": "; ".join(c.notes),
            })  # fmt: skip
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    base = df[df["model"] == models[0]].set_index("context_tokens")
    for col, name in (
        ("usd_per_mtok_input", "input_cost_ratio"),
        ("usd_per_mtok_output", "output_cost_ratio"),
        ("flops_per_token", "flops_ratio"),
        ("kv_cache_bytes", "kv_ratio"),
    ):
        df[name] = df[col].to_numpy() / df["context_tokens"].map(base[col]).to_numpy()
    return df


# ---- the Ascend question -----------------------------------------------------------------------------------


def hardware_table(
    model_id: str,
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    gpus: Sequence[str] = ASCEND_GPUS,
    stated_usd_per_gpu_hour: Mapping[str, float] | None = None,
    memo: Memo | None = None,
) -> pd.DataFrame:
    """The same traffic on each GPU type; the first GPU is the reference.

    Each GPU uses the fleet's mode, precision, utilisation and TPOT target, its own smallest deployment, and its
    GPU-hour price: ``stated_usd_per_gpu_hour[gpu]`` when given, else the fleet's price for the fleet's own GPU,
    else the catalogue's most recent on-demand row, else none (cost unknown). ``break_even_usd_per_gpu_hour`` is
    the GPU-hour price at which the GPU serves the mix at the reference's cost per request (per level: both at
    the same efficiency level), i.e. what the GPU-hour must cost at most to beat the reference.
    """
    stated = dict(stated_usd_per_gpu_hour or {})
    costs: list[TokenCost] = []
    for g in gpus:
        catalogue.gpu(g)  # a KeyError names an unknown id
        if g in stated:
            f = replace(fleet, gpu=g, usd_per_gpu_hour=stated[g], rental_id=None, gpus=None)
        elif g == fleet.gpu:
            f = replace(fleet, gpus=None)
        else:
            f = replace(fleet, gpu=g, usd_per_gpu_hour=None, rental_id=None, gpus=None)
        costs.append(_cost(memo, model_id, f, mix, catalogue))
    ref = costs[0]
    rows = []
    for c in costs:
        gpu = catalogue.gpu(c.fleet.gpu)
        rec: dict[str, object] = {
            "gpu": gpu.id,
            "gpu_name": gpu.name,
            "gpu_confidence": gpu.confidence,
            "unconfirmed_fields": ", ".join(c.unconfirmed_fields),
            "gpu_unconfirmed_fields": ", ".join(gpu.unconfirmed_fields),
            "gpu_null_fields": ", ".join(gpu.null_reasons),
            "gpus": c.gpus if c.feasible else math.nan,
            "mode": c.mode,
            "usd_per_gpu_hour": c.price.usd,
            "gpu_hour_source": c.price.source if c.price.rental_id != "stated" else "stated by the user",
            "gpu_hour_confidence": c.price.confidence,
        }
        for lvl, suffix in (
            ("base", ""),
            ("low", "_low"),
            ("high", "_high"),
        ):  # throughput: low efficiency, low rate
            lc = c.levels.get(lvl)
            rec[f"prefill_tokens_per_s_per_gpu{suffix}"] = lc.prefill_tokens_per_s_per_gpu if lc else math.nan
            rec[f"decode_tokens_per_s_per_gpu{suffix}"] = lc.decode_tokens_per_s_per_gpu if lc else math.nan
        for kind in TOKEN_TYPES:
            rec[f"usd_per_mtok_{kind}"] = c.usd_per_mtok(kind)
            rec[f"usd_per_mtok_{kind}_low"] = c.usd_per_mtok(kind, "high")
            rec[f"usd_per_mtok_{kind}_high"] = c.usd_per_mtok(kind, "low")
        for lvl, suffix in (("base", ""), ("high", "_high"), ("low", "_low")):
            lc, rc = c.levels.get(lvl), ref.levels.get(lvl)
            be = math.nan
            if lc and rc and not math.isnan(ref.price.usd):
                gpu_s = lc.prefill_gpu_s + mix.output_tokens / lc.decode_tokens_per_s_per_gpu
                be = rc.usd_per_request * SECONDS_PER_HOUR * c.fleet.utilization / gpu_s
            rec[f"break_even_usd_per_gpu_hour{suffix}"] = be
        if not c.feasible:
            status = c.reason
        elif math.isnan(c.price.usd):
            status = "throughput only: no GPU-hour price (state one); see the break-even price"
        else:
            status = "estimated"
        rec["status"] = status
        rec["notes"] = "; ".join(c.notes)
        rows.append(rec)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Economics:
    """Everything the page and the command show, computed once.

    Attributes:
        model: model id.
        fleet: the fleet.
        mix: the traffic mix.
        cost: the cost per token on the fleet.
        points: the model's dated prices at the mix's prompt length.
        margins: :func:`margin_table`.
        costs: :func:`cost_table`.
        history: :func:`history_frame`.
        sweep: :func:`context_sweep` against the most recent price point.
        story: :func:`efficiency_story`.
        hardware: :func:`hardware_table`.
    """

    model: str
    fleet: Fleet
    mix: TrafficMix
    cost: TokenCost
    points: tuple[PricePoint, ...]
    margins: pd.DataFrame
    costs: pd.DataFrame
    history: pd.DataFrame
    sweep: pd.DataFrame
    story: pd.DataFrame
    hardware: pd.DataFrame
    assumptions: pd.DataFrame = field(default_factory=pd.DataFrame)


def assumptions_frame(model_id: str, fleet: Fleet, mix: TrafficMix, cost: TokenCost) -> pd.DataFrame:
    """Every input with its unit, and the allocation rule in one line."""
    rows: list[tuple[str, object, str]] = [
        ("Model", model_id, ""),
        ("GPU", fleet.gpu, ""),
        ("GPU-hour cost", cost.price.usd, "USD/GPU-hour"),
        (
            "GPU-hour source",
            f"{cost.price.source} ({cost.price.rental_id or 'none'}, {cost.price.confidence})",
            "",
        ),
        ("Serving mode", cost.mode, ""),
        ("GPUs per deployment", cost.gpus, "GPUs"),
        ("Precision plan", fleet.precision, ""),
        ("Utilisation over the day", fleet.utilization, "fraction of paid GPU-hours"),
        ("TPOT target", fleet.tpot_ms, "ms"),
        ("Prompt tokens per request", mix.prompt_tokens, "tokens"),
        ("Cached share of input", mix.cached_share, "fraction"),
        ("Output tokens per request", mix.output_tokens, "tokens"),
        ("Unconfirmed GPU fields used", ", ".join(cost.unconfirmed_fields) or "none", ""),
        (
            "Allocation rule",
            "output: decode GPU-s; uncached input: T(0)/P; cached input: the rest of T(c) "
            "(docs/economics.md)",
            "",
        ),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value", "Unit"])


def economics(
    model_id: str,
    fleet: Fleet,
    mix: TrafficMix,
    catalogue: Catalogue,
    *,
    provider: str = "deepseek",
    until: dt.datetime | None = None,
    stated_usd_per_gpu_hour: Mapping[str, float] | None = None,
    story_models: Sequence[str] = STORY_MODELS,
    hardware_gpus: Sequence[str] = ASCEND_GPUS,
    sweep_price: str | None = None,
) -> Economics:
    """Compute everything once (see :class:`Economics`); ``until`` ends the open price rows in the history;
    ``sweep_price`` is the :attr:`PricePoint.label` the per-length sweep is set against (default: the most recent
    row's first window).

    Raises:
        EconomicsError: bad input, or a ``sweep_price`` that is not a price of the model.
    """
    memo: Memo = {}
    cost = _cost(memo, model_id, fleet, mix, catalogue)
    points = tuple(price_points(catalogue, model_id, mix.prompt_tokens, provider=provider))
    end = until or max([dt.datetime.now(dt.UTC), *(p.row.effective_from for p in points)])
    latest = points[-1] if points else None
    if points:  # the most recent row's first window (peak, or all hours)
        first = max(p.row.effective_from for p in points)
        latest = next(p for p in points if p.row.effective_from == first)
    if sweep_price is not None:
        chosen = [p for p in points if p.label == sweep_price]
        if not chosen:
            raise EconomicsError(f"{sweep_price!r} is not a price of {model_id}")
        latest = chosen[0]
    return Economics(
        model=model_id,
        fleet=fleet,
        mix=mix,
        cost=cost,
        points=points,
        margins=margin_table(cost, points),
        costs=cost_table(cost),
        history=history_frame(points, cost, end),
        sweep=context_sweep(model_id, fleet, mix, catalogue, latest, memo=memo),
        story=efficiency_story(fleet, mix, catalogue, story_models, memo=memo),
        hardware=hardware_table(
            model_id, fleet, mix, catalogue, hardware_gpus, stated_usd_per_gpu_hour, memo=memo
        ),
        assumptions=assumptions_frame(model_id, fleet, mix, cost),
    )
