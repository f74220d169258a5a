"""Table rows of the comparison (moved from serving)."""

from __future__ import annotations

import math

import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.scenario import Scenario
from costmodel.serving import EfficiencyLevel, OptionEvaluation, evaluate_option, option_label

#: Columns of :func:`self_host_rows`, in order.
SELF_HOST_COLUMNS = (
    "option", "kind", "provider", "model", "gpu", "precision", "mode", "disaggregated",
    "monthly_cost_usd", "usd_per_mtok_input", "usd_per_mtok_output", "usd_per_mtok_blended",
    "gpus", "gpus_mean", "deployment_gpus", "attention_layout", "utilization", "ttft_ms", "tpot_ms", "max_batch",
    "prefill_tokens_per_s_per_gpu", "decode_tokens_per_s_per_gpu", "weights_bytes",
    "efficiency", "monthly_cost_usd_low", "monthly_cost_usd_high", "monthly_cost_usd_floor",
    "feasible", "reason", "unconfirmed_fields", "measured",
    "usd_per_gpu_hour", "price_ids", "price_sources", "price_as_of", "price_confidence", "as_of", "band_reason", "notes",
)  # fmt: skip


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _per_mtok(usd: float, mtok: float) -> float | None:
    """USD per million tokens; None when there is no finite rate (no tokens, or too few for one)."""
    return _finite_or_none(usd / mtok) if mtok > 0 else None


#: Model-row fields that feed the self-hosting estimate (their unconfirmed status is carried into the row).
_ARCH_FIELDS = ("config", "weight_precision", "total_params_b", "active_params_b")


def self_host_rows(scenario: Scenario, catalogue: Catalogue) -> pd.DataFrame:
    """One row per self-hosting option of the scenario, with the comparison columns (kind = ``self_host``).

    Money at the scenario's efficiency level; ``monthly_cost_usd_low/high/floor`` at the other levels
    (floor = 100 % efficiency). No cell is NaN without its reason in the row: an infeasible option has
    empty money and ``reason``; a band level that cannot meet the latency targets while the chosen level
    can has an empty ``monthly_cost_usd_<level>`` and says why in ``band_reason``; a rate with nothing to
    divide by (no output tokens; every prompt token cached) is empty and ``notes`` says why.
    """
    w = scenario.workload
    a = scenario.assumptions
    requests_per_month = w.requests_per_day * w.days_per_month
    mtok_in = requests_per_month * w.prompt_tokens / 1e6
    mtok_out = requests_per_month * w.billed_output_tokens / 1e6
    rentals = {r.id: r for r in catalogue.rentals}
    model_rows = {m.id: m for m in catalogue.models}
    rows = []
    for opt in scenario.self_host_options:
        ev = evaluate_option(opt, w, a, catalogue)
        est = ev.estimates.get(a.efficiency)
        cost = ev.costs.get(a.efficiency)

        def money(level: EfficiencyLevel, ev: OptionEvaluation = ev) -> float:
            c = ev.costs.get(level)
            return float(c.monthly_cost_usd) if c is not None else math.nan

        rental = rentals.get(ev.rental_id)
        row: dict[str, object] = {
            "price_confidence": rental.confidence
            if rental
            else ("user input" if ev.rental_id == "custom" else None),
            "option": option_label(opt),
            "as_of": scenario.as_of.isoformat(),
            "kind": "self_host",
            "provider": "self-host",
            "model": opt.model,
            "gpu": opt.gpu,
            "precision": opt.precision,
            "mode": opt.mode,
            "disaggregated": opt.disaggregated,
            "efficiency": a.efficiency,
            "usd_per_gpu_hour": ev.usd_per_gpu_hour,
            "price_ids": ev.rental_id,
            "price_sources": ev.rental_source,
            "price_as_of": ev.rental_as_of,
            "reason": ev.reason or None,  # None, not "": empty text reads back from CSV as missing
            "feasible": not ev.reason,
        }
        if est is not None:
            row.update(
                deployment_gpus=est.memory.gpus,
                attention_layout=f"{est.memory.attention_layout}{est.memory.tp_size if est.memory.tp_size > 1 else ''}",
                weights_bytes=est.memory.weights_bytes,
                max_batch=est.max_batch,
                tpot_ms=est.tpot_ms,
                ttft_ms=float(est.ttft_ms[0]),
                prefill_tokens_per_s_per_gpu=_finite_or_none(float(est.prefill_tokens_per_s_per_gpu[0])),
                decode_tokens_per_s_per_gpu=_finite_or_none(est.decode_tokens_per_s_per_gpu),
                unconfirmed_fields=", ".join(
                    [f"{opt.gpu}.{f}" for f in est.unconfirmed_fields]
                    + [
                        f"{opt.model}.{f}"
                        for f in model_rows[opt.model].unconfirmed_fields
                        if f in _ARCH_FIELDS
                    ]
                    + [f"{ev.rental_id}.{f}" for f in (rental.unconfirmed_fields if rental else ())]
                )
                or None,
                measured=", ".join(est.measured) or None,
            )
        if cost is not None:
            total = float(cost.monthly_cost_usd)
            row.update(
                monthly_cost_usd=total,
                # a fleet rented for a vanishing volume has no finite price per token: empty, with a note
                usd_per_mtok_input=_per_mtok(float(cost.input_cost_usd), mtok_in),
                usd_per_mtok_output=_per_mtok(float(cost.output_cost_usd), mtok_out),
                usd_per_mtok_blended=_per_mtok(total, mtok_in + mtok_out),
                gpus=float(cost.gpus_peak),
                gpus_mean=float(cost.gpus_mean),
                utilization=float(cost.utilization),
                monthly_cost_usd_low=money("low"),
                monthly_cost_usd_high=money("high"),
                monthly_cost_usd_floor=money("floor"),
            )
            levels: tuple[EfficiencyLevel, ...] = ("low", "high", "floor")
            band = [
                f"{lv} efficiency: no cost, {ev.estimates[lv].reason}"
                for lv in levels
                if lv in ev.estimates and ev.costs.get(lv) is None
            ]
            row["band_reason"] = "; ".join(band) or None
        notes = []
        if cost is not None and mtok_out <= 0:
            notes.append("no output tokens: no USD per M output tokens")
        if cost is not None and row.get("usd_per_mtok_blended") is None:
            notes.append("volume too small for a finite USD per M tokens on a rented fleet")
        if est is not None and row.get("prefill_tokens_per_s_per_gpu") is None:
            notes.append("every prompt token is cached: no prefill compute, no prefill rate")
        row["notes"] = "; ".join(notes) or None
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SELF_HOST_COLUMNS))
