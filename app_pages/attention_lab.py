"""Attention lab: what V4's compressed sparse attention buys, computed from the models' configs.

KV cache per sequence and FLOPs per token against context length, ratios to a baseline at 1M tokens, a per-layer
breakdown, and a small live simulation of which past positions one query reads.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from costmodel.attention import KV_DTYPES, NoArchitectureError
from costmodel.catalog.budget import MB
from costmodel.views import architecture as report
from costmodel.views import present
from costmodel.views.charts import attention as attention_charts

common.init_state()
cat = common.catalogue()
ss = st.session_state
open_models = [m.id for m in cat.models if m.open_weights and m.config is not None]
ss.setdefault(
    "lab_models", [m for m in ("deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash") if m in open_models]
)
ss.setdefault("lab_baseline", "deepseek-v3.2" if "deepseek-v3.2" in open_models else open_models[0])
ss["lab_models"] = [m for m in ss["lab_models"] if m in open_models]
st.markdown(
    "**How much memory and compute does a long context cost each model?** KV cache and FLOPs per token, from "
    "the published configs, against context length and per layer: what V4's compressed attention buys."
)

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
    KV_DTYPES,
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
        curves = report.attention_frame(chosen, report.context_grid(), kv_dtype=kv_dtype, baseline=baseline)
        at_1m = report.attention_frame(chosen, [report.ONE_M_TOKENS], kv_dtype=kv_dtype, baseline=baseline)
except (NoArchitectureError, ValueError) as e:
    st.error(f"Models: {present.md_literal(e)}", icon=":material/error:")
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
        help=f"FLOPs to decode one token at position 1,048,576: {present.count_short(row.flops_per_token)} FLOP.",
    )
st.caption(
    "DeepSeek's V4 report quotes, at 1M tokens against V3.2: V4-Pro needs 27% of the single-token FLOPs and "
    "10% of the KV cache; V4-Flash 10% and 7%. The figures above are computed here from the configs."
)
table = pd.DataFrame(
    {
        "model": at_1m["model"],
        "context (tokens)": at_1m["context_tokens"].map(present.count),
        "KV cache (bytes)": at_1m["kv_cache_bytes"].map(present.count),
        "KV cache (GB)": at_1m["kv_cache_gb"].map(lambda v: f"{v:,.2f}"),
        "FLOPs per token (FLOP; G = 10⁹)": at_1m["flops_per_token"].map(present.count_short),
        "attention FLOPs per token (FLOP)": at_1m["attention_flops_per_token"].map(present.count_short),
        f"KV cache vs {baseline.id} (%)": at_1m["kv_ratio"].map(present.percent),
        f"FLOPs vs {baseline.id} (%)": at_1m["flops_ratio"].map(present.percent),
    }
)
st.dataframe(table, hide_index=True, key="lab_1m_table")

st.subheader(":material/show_chart: Against context length", divider="gray")
g1, g2 = st.columns(2)
g1.altair_chart(attention_charts.kv_chart(curves), width="stretch", key="lab_kv_chart")
g2.altair_chart(attention_charts.flops_chart(curves), width="stretch", key="lab_flops_chart")
st.altair_chart(attention_charts.ratio_chart(curves, baseline.id), width="stretch", key="lab_ratio_chart")

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
layers = report.layer_breakdown_frame(cat.model(ss["lab_layer_model"]), ss["lab_layer_context"], kv_dtype)
st.altair_chart(
    attention_charts.layer_chart(layers, ss["lab_layer_measure"]), width="stretch", key="lab_layer_chart"
)
st.dataframe(
    report.layer_summary(layers).rename(
        columns={"kv_cache_mb": "KV cache (MB)", "attention_flops": "attention FLOPs per token (FLOP)"}
    ),
    hide_index=True,
    key="lab_layer_table",
    placeholder="—",
    column_config={
        "KV cache (MB)": st.column_config.NumberColumn(format="localized"),
        "attention FLOPs per token (FLOP)": st.column_config.NumberColumn(format="compact"),
    },
)

st.subheader(":material/grid_on: Live simulation: what one query reads", divider="gray")
st.caption(
    "Miniature layers (2 heads, tiny dimensions) run by the numpy reference simulation that the closed forms are "
    "tested against: the query at the last position reads the marked past positions. CSA and DSA pick their "
    "top-k with a lightning indexer over random keys (the indexer scores every block or token, cheaply); HCA "
    "reads every heavily compressed block; every V4 layer also reads its sliding window."
)
s1, s2, s3, s4, s5 = st.columns(5)
s1.select_slider("Tokens so far", options=[128, 256, 512, 1024], value=256, key="lab_sim_length")
s2.select_slider("Sliding window (tokens)", options=[8, 16, 32, 64], value=32, key="lab_sim_window")
s3.select_slider("CSA top-k (blocks of 4)", options=[4, 8, 16, 32], value=8, key="lab_sim_csa_topk")
s4.select_slider("HCA ratio (tokens per block)", options=[16, 32, 64, 128], value=32, key="lab_sim_hca_ratio")
s5.select_slider("DSA top-k (tokens)", options=[8, 16, 32, 64], value=32, key="lab_sim_dsa_topk")


_SIMULATIONS = common.page_cache("attention-lab simulations", max_entries=32, max_bytes=8 * MB)  # only read


def _simulate(length: int, window: int, csa_topk: int, hca_ratio: int, dsa_topk: int) -> pd.DataFrame:
    mechs = report.miniature_mechanisms(
        window=window, csa_topk=csa_topk, hca_ratio=hca_ratio, dsa_topk=dsa_topk
    )
    return report.sim_reads_frame(mechs, length)


def _sim(*args: int) -> pd.DataFrame:
    """:func:`_simulate`, once per set of sliders in the process."""
    frame: pd.DataFrame = _SIMULATIONS.get_or_build(args, lambda: _simulate(*args))
    return frame


reads = _sim(
    ss["lab_sim_length"],
    ss["lab_sim_window"],
    ss["lab_sim_csa_topk"],
    ss["lab_sim_hca_ratio"],
    ss["lab_sim_dsa_topk"],
)
st.altair_chart(
    attention_charts.sim_reads_chart(reads, ss["lab_sim_length"]), width="stretch", key="lab_sim_chart"
)
