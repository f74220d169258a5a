"""Catalogue: every model, GPU, rental and API price with its source, date, confidence and a staleness mark;
and the user's overrides (custom GPU price, custom API price, custom models from YAML) that feed the calculator.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app_pages import common
from costmodel.catalog import CatalogueError, parse_models_text, stale_rows
from costmodel.evaluate.evaluation import STALE_AFTER_DAYS
from costmodel.views.present import md_literal
from costmodel.views.price_rows import lifecycle_frame, served_by_text

common.init_state()
base = common.base_catalogue()
cat = common.catalogue()
today = common.today()
stale = {(t, rid): age for t, rid, _, age in stale_rows(cat, today, STALE_AFTER_DAYS)}
custom_ids = {m.id for m in common.custom_models()}

PROVENANCE = {
    "source": st.column_config.TextColumn("source", width="large"),
    "as_of": st.column_config.DateColumn("as of", format="YYYY-MM-DD"),
    "confidence": st.column_config.TextColumn(
        "confidence", help="official | third_party | derived | unconfirmed"
    ),
    "stale": st.column_config.TextColumn(
        "staleness", help=f"Marked when the row was checked more than {STALE_AFTER_DAYS} days ago."
    ),
}


def provenance(table: str, row: Any) -> dict[str, Any]:
    """The provenance columns of a row, with the staleness mark."""
    age = stale.get((table, row.id))
    return {
        "source": row.source,
        "as_of": row.as_of,
        "confidence": row.confidence,
        "stale": f"STALE ({age} days)" if age is not None else "",
    }


st.markdown(
    "**Where does every price and hardware figure come from, and how fresh is it?** The models, GPUs, GPU "
    "rentals and API prices the calculator uses, each with its source and date; your own overrides go here too."
)
st.caption(
    f"Every row carries where its values come from, when they were read and how sure we are. "
    f"Rows checked more than {STALE_AFTER_DAYS} days before today ({today:%Y-%m-%d}) are marked stale; "
    f"{len(stale)} are. Units are in the column names."
)
if stale:
    st.warning(
        f"{len(stale)} catalogue rows are older than {STALE_AFTER_DAYS} days: check them before relying on them.",
        icon=":material/schedule:",
    )

t_models, t_gpus, t_rentals, t_prices, t_over = st.tabs(
    [
        ":material/neurology: Models",
        ":material/memory: GPUs",
        ":material/sell: GPU rentals",
        ":material/payments: API prices",
        ":material/tune: Your overrides",
    ]
)

with t_models, common.guarded("The models table"):
    models = pd.DataFrame(
        [
            {
                "id": m.id,
                "name": m.name + (" (your upload)" if m.id in custom_ids else ""),
                "provider": m.provider,
                "open weights": m.open_weights,
                "attention": m.attention,
                "total params (B)": m.total_params_b,
                "active params (B)": m.active_params_b,
                "context window (tokens)": m.context_window_tokens,
                "max output (tokens)": m.max_output_tokens,
                **provenance("models", m),
            }
            for m in cat.models
        ]
    )
    localized = st.column_config.NumberColumn(format="localized")
    st.dataframe(
        models,
        hide_index=True,
        column_config={**PROVENANCE, "context window (tokens)": localized, "max output (tokens)": localized},
        key="cat_models_table",
        placeholder="—",
    )

with t_gpus, common.guarded("The GPUs table"):
    gpus = pd.DataFrame(
        [
            {
                "id": g.id,
                "name": g.name,
                "vendor": g.vendor,
                "BF16 dense (TFLOP/s)": g.bf16_tflops,
                "FP8 dense (TFLOP/s)": g.fp8_tflops,
                "FP4 dense (TFLOP/s)": g.fp4_tflops,
                "HBM (GB)": g.hbm_gb,
                "HBM bandwidth (TB/s)": g.hbm_tb_per_s,
                "scale-up (GB/s per GPU)": g.scale_up_gb_per_s,
                "scale-out (GB/s per GPU)": g.scale_out_gb_per_s,
                "GPUs per node": g.gpus_per_node,
                **provenance("gpus", g),
            }
            for g in cat.gpus
        ]
    )
    st.dataframe(gpus, hide_index=True, column_config=PROVENANCE, key="cat_gpus_table", placeholder="—")

with t_rentals, common.guarded("The GPU rentals table"):
    rentals = pd.DataFrame(
        [
            {
                "id": r.id,
                "GPU": r.gpu,
                "provider": r.provider,
                "basis": r.basis,
                "price (USD per GPU-hour)": r.usd_per_gpu_hour,
                **provenance("rentals", r),
            }
            for r in cat.rentals
        ]
    )
    st.dataframe(
        rentals,
        hide_index=True,
        column_config={
            **PROVENANCE,
            "price (USD per GPU-hour)": st.column_config.NumberColumn(format="$%.2f"),
        },
        key="cat_rentals_table",
        placeholder="—",
    )

with t_prices, common.guarded("The API prices table"):
    money = st.column_config.NumberColumn(format="$%.4f")
    prices = pd.DataFrame(
        [
            {
                "id": p.id,
                "provider": p.provider,
                "model": p.model,
                "API model name": p.api_model_name,
                "served by (weights, UTC)": served_by_text(p),
                "kind": p.kind,
                "effective from (UTC)": p.effective_from.strftime("%Y-%m-%d %H:%M"),
                "effective to (UTC)": p.effective_to.strftime("%Y-%m-%d %H:%M")
                if p.effective_to
                else "in effect",
                "input, cache hit (USD/M tok)": p.usd_per_mtok_input_cache_hit,
                "input, cache miss (USD/M tok)": p.usd_per_mtok_input_cache_miss,
                "output (USD/M tok)": p.usd_per_mtok_output,
                "peak windows (UTC)": "; ".join(
                    f"{w.start_hour_utc:02d}-{w.end_hour_utc:02d}h days {','.join(map(str, w.weekdays))}"
                    for w in p.peak_windows
                ),
                "off-peak multiplier": p.off_peak_multiplier,
                "context tiers": len(p.context_tiers),
                **provenance("prices", p),
            }
            for p in cat.prices
        ]
    )
    st.dataframe(
        prices,
        hide_index=True,
        column_config={
            **PROVENANCE,
            "input, cache hit (USD/M tok)": money,
            "input, cache miss (USD/M tok)": money,
            "output (USD/M tok)": money,
        },
        key="cat_prices_table",
        placeholder="—",
    )
    st.caption(
        "Listed prices are the standard (peak) prices; off-peak they are multiplied by the multiplier. "
        "'Served by' names the open weights answering the API name in each period (the Calculator's weights column)."
    )
    st.markdown("**:material/history: Model and API-name lifecycle**")
    st.dataframe(
        lifecycle_frame(cat),
        hide_index=True,
        column_config=PROVENANCE,
        key="cat_lifecycle_table",
        placeholder="—",
    )
    st.caption(
        "Releases, retirements and redirects, dated. 'took effect: NO' is an announcement that never happened "
        "(the V4-Pro redirect of 2026-09-14 was cancelled); 'conflict' keeps a second source's date."
    )

with t_over:
    with common.guarded("The price overrides"):
        st.markdown(
            "Overrides live in this browser session and feed the **Calculator**: a custom GPU price replaces the "
            "rental price of self-hosting options on that GPU; a custom API price adds a *custom* price-basis "
            "option; uploaded models can be chosen in the Calculator and the Attention lab."
        )
        c1, c2 = st.columns(2)
        with c1, st.form("cat_gpu_form", border=True):
            st.markdown("**:material/memory: Custom GPU price**")
            cur = st.session_state["custom_gpu_price"]
            gpu_ids = [g.id for g in cat.gpus]
            gpu = st.selectbox(
                "GPU",
                gpu_ids,
                index=gpu_ids.index(cur["gpu"]) if cur and cur["gpu"] in gpu_ids else 0,
                key="cat_gpu_id",
            )
            usd_h = st.number_input(
                "Price (USD per GPU-hour)",
                min_value=0.01,
                max_value=1000.0,
                value=float(cur["usd_per_gpu_hour"]) if cur else 2.0,
                step=0.1,
                help="What you pay for one GPU for one hour.",
                key="cat_gpu_usd_per_hour",
            )
            if st.form_submit_button("Use this GPU price", icon=":material/check:", key="cat_gpu_apply"):
                st.session_state["custom_gpu_price"] = {"gpu": gpu, "usd_per_gpu_hour": float(usd_h)}
                st.rerun()
        if st.session_state["custom_gpu_price"]:
            o = st.session_state["custom_gpu_price"]
            c1.success(
                f"In use: {o['gpu']} at ${o['usd_per_gpu_hour']:.2f} per GPU-hour.", icon=":material/check:"
            )
            if c1.button("Clear GPU price", icon=":material/close:", key="cat_gpu_clear"):
                st.session_state["custom_gpu_price"] = None
                st.rerun()

        with c2, st.form("cat_api_form", border=True):
            st.markdown("**:material/payments: Custom API price**")
            cur = st.session_state["custom_api_price"]
            model_ids = [m.id for m in cat.models]
            model = st.selectbox(
                "Model",
                model_ids,
                index=model_ids.index(cur["model"]) if cur and cur["model"] in model_ids else 0,
                key="cat_api_model",
            )
            vals = {}
            for field, label, default in (
                ("usd_per_mtok_input_cache_hit", "Input, cache hit (USD per M tokens)", 0.03),
                ("usd_per_mtok_input_cache_miss", "Input, cache miss (USD per M tokens)", 0.3),
                ("usd_per_mtok_output", "Output (USD per M tokens)", 1.0),
            ):
                vals[field] = st.number_input(
                    label,
                    min_value=0.0,
                    max_value=10_000.0,
                    value=float(cur[field]) if cur else default,
                    step=0.01,
                    format="%.4f",
                    key=f"cat_api_{field}",
                )
            if st.form_submit_button("Use this API price", icon=":material/check:", key="cat_api_apply"):
                st.session_state["custom_api_price"] = {
                    "model": model,
                    **{k: float(v) for k, v in vals.items()},
                }
                st.rerun()
        if st.session_state["custom_api_price"]:
            o = st.session_state["custom_api_price"]
            c2.success(
                f"In use: {o['model']} at ${o['usd_per_mtok_input_cache_hit']:g} / "
                f"${o['usd_per_mtok_input_cache_miss']:g} / ${o['usd_per_mtok_output']:g} per M tokens "
                "(cache hit / miss / output).",
                icon=":material/check:",
            )
            if c2.button("Clear API price", icon=":material/close:", key="cat_api_clear"):
                st.session_state["custom_api_price"] = None
                st.rerun()

    # the uploaded models and their "Remove" button draw even if the price overrides above fail
    with common.guarded("The model upload"):
        st.markdown("**:material/upload_file: Custom model (YAML)**")
        st.caption(
            "Same schema as `data/models.yaml` (a mapping with key `models`, a list of rows; each row needs "
            "source, as_of and confidence)."
        )
        gen = st.session_state.setdefault("cat_upload_gen", 0)  # bumped to empty the uploader
        up = st.file_uploader(
            f"Model file (YAML or JSON, up to {common.MAX_UPLOAD_MB} MB)",
            type=["yaml", "yml", "json"],
            key=f"cat_model_upload_{gen}",
            max_upload_size=common.MAX_UPLOAD_MB,
        )
        text = common.read_upload(up, "Model file")
        if text is not None and up is not None:
            try:
                parsed = parse_models_text(text, up.name, base.models)
            except CatalogueError as e:
                st.error(f"Model file not used: {md_literal(e)}", icon=":material/error:")
            else:
                if parsed != common.custom_models():
                    st.session_state["custom_models"] = parsed
                    st.rerun()
        if common.custom_models():
            ids = md_literal(", ".join(m.id for m in common.custom_models()))
            st.success(f"Your models in use: {ids}.", icon=":material/check:")
            if st.button("Remove uploaded models", icon=":material/delete:", key="cat_models_clear"):
                st.session_state["custom_models"] = []
                st.session_state["cat_upload_gen"] = gen + 1
                st.rerun()
