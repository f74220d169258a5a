"""Attention lab: what V4's compressed sparse attention buys, computed from the models' configs.

KV cache per sequence and FLOPs per token against context length, ratios to a baseline at 1M tokens, a per-layer
breakdown, and a small live simulation of which past positions one query reads.
"""

from __future__ import annotations

import streamlit as st

from app_pages import common
from costmodel import charts
from costmodel.attention import NoArchitectureError

common.init_state()
cat = common.catalogue()
ss = st.session_state
open_models = [m.id for m in cat.models if m.open_weights and m.config is not None]
ss.setdefault(
    "lab_models", [m for m in ("deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash") if m in open_models]
)
ss.setdefault("lab_baseline", "deepseek-v3.2" if "deepseek-v3.2" in open_models else open_models[0])
ss["lab_models"] = [m for m in ss["lab_models"] if m in open_models]

c1, c2, c3 = st.columns([3, 1.4, 1.2])
c1.multiselect(
    "Models",
    open_models,
    key="lab_models",
    help="Open-weights models with a published config (and your uploaded ones).",
)
c2.selectbox("Baseline for the ratios", open_models, key="lab_baseline")
c3.segmented_control(
    "KV cache precision",
    ["deployed", "bf16"],
    key="lab_kv",
    default="deployed",
    required=True,
    help="deployed = what serving engines store (FP8 latent with BF16 rope dims, FP4/FP8 indexer keys).",
)
chosen = [cat.model(m) for m in ss["lab_models"]]
baseline = cat.model(ss["lab_baseline"])
kv_dtype = ss["lab_kv"]
if not chosen:
    st.info("Choose at least one model.", icon=":material/info:")
    st.stop()

try:
    with st.spinner("Computing KV cache and FLOPs…"):
        curves = charts.attention_frame(chosen, charts.context_grid(), kv_dtype=kv_dtype, baseline=baseline)
        at_1m = charts.attention_frame(chosen, [charts.ONE_M_TOKENS], kv_dtype=kv_dtype, baseline=baseline)
except (NoArchitectureError, ValueError) as e:
    st.error(f"Models: {e}", icon=":material/error:")
    st.stop()

st.subheader(":material/percent: At 1M tokens of context", divider="gray")
cols = st.columns(len(chosen))
for col, row in zip(cols, at_1m.itertuples(), strict=True):
    col.metric(
        f"{row.model}: KV cache vs {baseline.id}",
        f"{row.kv_ratio:.0%}",
        help=f"KV cache for one 1,048,576-token sequence: {row.kv_cache_gb:,.2f} GB ({kv_dtype}).",
    )
    col.metric(
        f"{row.model}: FLOPs per token vs {baseline.id}",
        f"{row.flops_ratio:.0%}",
        help=f"FLOPs to decode one token at position 1,048,576: {row.flops_per_token:.3g} FLOP.",
    )
st.caption(
    "DeepSeek's V4 report quotes, at 1M tokens against V3.2: V4-Pro needs 27% of the single-token FLOPs and "
    "10% of the KV cache; V4-Flash 10% and 7%. The figures above are computed here from the configs."
)
table = at_1m.rename(
    columns={
        "context_tokens": "context (tokens)",
        "kv_cache_bytes": "KV cache (bytes)",
        "kv_cache_gb": "KV cache (GB)",
        "flops_per_token": "FLOPs per token (FLOP)",
        "attention_flops_per_token": "attention FLOPs per token (FLOP)",
        "kv_ratio": f"KV ratio to {baseline.id} (fraction)",
        "flops_ratio": f"FLOPs ratio to {baseline.id} (fraction)",
    }
)
st.dataframe(table, hide_index=True, key="lab_1m_table")

st.subheader(":material/show_chart: Against context length", divider="gray")
g1, g2 = st.columns(2)
g1.altair_chart(charts.kv_chart(curves), width="stretch", key="lab_kv_chart")
g2.altair_chart(charts.flops_chart(curves), width="stretch", key="lab_flops_chart")
st.altair_chart(charts.ratio_chart(curves, baseline.id), width="stretch", key="lab_ratio_chart")

st.subheader(":material/layers: Per layer", divider="gray")
l1, l2, l3 = st.columns([2, 2, 2])
l1.selectbox("Model", [m.id for m in chosen], key="lab_layer_model")
l2.select_slider(
    "Context (tokens)",
    options=[4096, 32_768, 131_072, 262_144, 524_288, 1_048_576],
    value=1_048_576,
    format_func=lambda t: f"{t // 1024:,}K" if t < 2**20 else "1M",
    key="lab_layer_context",
)
l3.segmented_control(
    "Measure",
    ["kv_cache_mb", "attention_flops"],
    format_func=lambda m: {"kv_cache_mb": "KV cache (MB)", "attention_flops": "attention FLOPs"}[m],
    key="lab_layer_measure",
    default="kv_cache_mb",
    required=True,
)
layers = charts.layer_breakdown_frame(cat.model(ss["lab_layer_model"]), ss["lab_layer_context"], kv_dtype)
st.altair_chart(charts.layer_chart(layers, ss["lab_layer_measure"]), width="stretch", key="lab_layer_chart")
st.dataframe(
    charts.layer_summary(layers).rename(
        columns={"kv_cache_mb": "KV cache (MB)", "attention_flops": "attention FLOPs per token (FLOP)"}
    ),
    hide_index=True,
    key="lab_layer_table",
)
