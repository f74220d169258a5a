"""Methods & validation: the formulas in words and math, the validation (predicted vs measured), known gaps.

The math summary is written here; the exact statements are the modules' own docstrings (shown verbatim, so they
cannot drift from the code); the validation table (every published measurement predicted) is computed live by ``costmodel.serving``; the known gaps
come from the team's ``docs/*.md``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from app_pages import common, gaps
from costmodel import serving
from costmodel.views.charts import calibration as charts

DOCS = Path(__file__).resolve().parents[1] / "docs"
MODULES = {
    "costmodel.workload.scenario.model": "Workload and scenario",
    "costmodel.workload.scenario.options": "Options and serving assumptions",
    "costmodel.pricing.bill": "API bills",
    "costmodel.attention": "Attention (all mechanisms)",
    "costmodel.attention.dense": "MHA / GQA / MQA",
    "costmodel.attention.mla": "MLA",
    "costmodel.attention.dsa": "DSA (V3.2)",
    "costmodel.attention.swa": "V4 sliding window",
    "costmodel.attention.csa": "V4 CSA",
    "costmodel.attention.hca": "V4 HCA",
    "costmodel.attention.sim": "Reference simulation",
    "costmodel.attention.compute": "Parameters and FLOPs",
    "costmodel.serving": "Serving: memory, throughput, fleet cost",
    "costmodel.serving.validation": "Serving against published measurements",
    "costmodel.evaluate.evaluation": "Comparison: one evaluation of a scenario",
    "costmodel.evaluate.breakeven": "Break-even",
}

common.init_state()
cat = common.catalogue()
st.markdown(
    "**How are the costs computed, and how far can they be trusted?** The formulas in words, the code's own "
    "statements of them, the serving model against published measurements, and what the model leaves out."
)


def _doc(module: str) -> str:
    """A module's own docstring, verbatim."""
    return inspect.getdoc(importlib.import_module(module)) or ""


tab_math, tab_code, tab_cal, tab_gaps = st.tabs(
    [
        ":material/function: Formulas",
        ":material/code: As the code states them",
        ":material/target: Calibration",
        ":material/report: Known gaps",
    ]
)

with tab_math:
    st.markdown(
        "**API bill.** Each month, a workload of $R$ requests a day over $D$ days sends prompts of $P$ tokens, a "
        "fraction $h$ of which hit the provider's prefix cache, and receives $O$ output tokens, multiplied by the "
        "reasoning multiplier $\\rho$ (thinking tokens are billed as output). Prices are USD per million tokens, "
        "taken from the schedule in effect at the as-of date; traffic outside a provider's peak windows (weighed "
        "with the hourly profile in UTC) pays the off-peak multiplier $\\mu$."
    )
    st.latex(
        r"\text{bill} = R\,D\,\frac{P\,h\,p_\text{hit} + P\,(1-h)\,p_\text{miss} + \rho\,O\,p_\text{out}}{10^6}"
        r"\,\bigl(f_\text{peak} + (1-f_\text{peak})\,\mu\bigr)"
    )
    st.markdown(
        "**KV cache.** What one sequence of $t$ tokens keeps, summed over the layers. Dense attention stores a key "
        "and a value per KV head; MLA one compressed latent plus a shared RoPE key; DeepSeek V3.2's DSA adds an "
        "indexer key per token. DeepSeek V4 runs, per layer, a 128-token sliding window ($w$) and either nothing "
        "else (window-only layers), CSA (every $m=4$ tokens pooled into one entry, plus an indexer key) or HCA "
        "(every $m=128$ tokens pooled into one entry; no indexer, so $[m=4]$ keeps $e_\\text{idx}$ to CSA layers)."
    )
    st.latex(
        r"\text{KV}_\text{GQA}(t) = t\,n_\text{kv}\,(d_k + d_v)\,b \qquad "
        r"\text{KV}_\text{MLA}(t) = t\,(d_c + d_r)\,b \qquad "
        r"\text{KV}_\text{V4}(t) = \min(t, w)\,e + \lfloor t/m \rfloor\,(e + [m = 4]\,e_\text{idx})"
    )
    st.markdown(
        "**FLOPs per decoded token** = 2 × the multiply-accumulates of every linear layer the token passes through "
        "(attention projections, dense FFN, the shared and the $k$ routed experts it is sent to, the head) plus "
        "attention at its position. Sparse attention caps what one query reads: DSA and CSA attend to the top-$k$ "
        "entries an indexer picks (the indexer itself scores every entry, cheaply), HCA to every compressed entry."
    )
    st.latex(
        r"F(t) = 2\,N_\text{active} + 2\,\sum_\ell \text{MACs}_\ell(t), \qquad "
        r"\text{MACs}_\text{CSA}(t) = H\,2d\,\bigl(\min(\lfloor t/4\rfloor, k) + \min(t, w)\bigr) + "
        r"H_\text{idx}(d_\text{idx}+1)\lfloor t/4\rfloor"
    )
    st.markdown(
        "**Self-hosting.** The smallest deployment of $N$ GPUs whose memory holds the weights (each component at "
        "its precision) and at least one whole sequence's KV cache; the largest batch that fits the rest of the "
        "memory and meets the TPOT target. Routed experts are spread over the $N$ GPUs (expert parallelism); "
        "attention is either replicated on every GPU (data-parallel) or split over a node (tensor-parallel, "
        "which holds a replica of the shared latent KV on every rank and adds two all-reduces per layer): "
        "each layout is sized, and the cheaper for the workload is priced. Each phase's time is a roofline: the slowest of compute, HBM traffic "
        "and the expert all-to-all, each at a fraction (MFU, MBU, link efficiency) of the peak. Those efficiency "
        "factors are calibrated on a published measurement (next tab) and shown as a low/base/high band; the "
        "100 %-efficiency roofline is the physical floor of the cost."
    )
    st.latex(
        r"t_\text{step} = \max\Bigl(\frac{F}{\text{peak FLOP/s}\cdot\text{MFU}},\ "
        r"\frac{\text{bytes read}}{\text{HBM B/s}\cdot\text{MBU}}\Bigr) \oplus t_\text{comm}"
    )
    st.markdown(
        "**Fleet cost.** For every UTC hour of the week, the GPUs needed to serve that hour's requests; GPUs "
        "are rented for the peak hour around the clock (always-on) or hour by hour (autoscaled), in whole "
        "deployments."
    )
    st.latex(
        r"\text{GPUs}_h = \frac{R_h\,\bigl(t_\text{prefill} + O / r_\text{decode}\bigr)}{3600}, \qquad "
        r"\text{cost} = \sum_h N\,\Bigl\lceil \tfrac{\text{GPUs}_h}{N} \Bigr\rceil\,"
        r"p_\text{GPU-h}\,\tfrac{D}{7}\,(1 + \text{overhead})"
    )
    st.markdown(
        "**Break-even.** API bills grow in proportion to volume; a self-hosted fleet costs at least one whole "
        "deployment and then grows in steps. The break-even volume is the smallest monthly volume from which "
        "self-hosting is the cheaper of the two, with the workload's token mix held fixed."
    )

with tab_code:
    st.caption("Each module's own documentation, shown verbatim: the formulas exactly as implemented.")
    for name, title in MODULES.items():
        with st.expander(f"{title} (`{name}`)"):
            st.markdown(_doc(name))


@st.cache_data(max_entries=1, show_spinner="Predicting every published measurement…")
def _validation() -> tuple[
    pd.DataFrame, dict[str, float | int | str], dict[str, float], tuple[float, float], pd.DataFrame
]:
    v = serving.validate(common.base_catalogue())
    return serving.validation_frame(v), v.summary, v.factors, v.band, pd.DataFrame(list(v.curves))


with tab_cal:
    rows, summary, factors, band, curves = _validation()
    st.markdown(
        "The serving model against every published serving measurement in the catalogue "
        f"(`data/measurements.yaml`, {summary['rows']} rows, {summary['curves']} curves: H100 to GB300, MI300X, "
        "MI355X; DeepSeek V3/R1, V3.2, V4-Pro, Kimi K2, MiniMax, Qwen3, gpt-oss), each predicted **in its own "
        "metric** (output or total tokens; per GPU, per node or all GPUs; one phase or end to end). One step-time "
        "model for every deployment mode (prefill MFU, decode MFU, HBM efficiency, a fixed time per step on CUDA "
        "and on ROCm stacks, a latency per collective over several GPUs and a time per sequence of the scheduler, "
        "also by stack) "
        "is fitted on them; the band is the 10th-90th percentile of how far off each row was when its whole curve "
        "was predicted by a fit without it (leave-one-curve-out). `docs/calibration.md` names the misses."
    )
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Median error (%)", f"{float(summary['median_abs_pct_error']):.0f}%")
    m2.metric(
        "Leave-one-out median error (%)",
        f"{float(summary['loo_median_abs_pct_error']):.0f}%",
        help="Each row predicted by the factors fitted without it: the error to expect on a deployment the "
        "model has not seen.",
    )
    m3.metric(
        "Inside the band, leave-one-out (% of rows)",
        f"{float(summary['loo_share_inside_band']):.0%}",
        help="Each row's leave-one-out prediction with the band computed without it "
        f"({float(summary['share_inside_band']):.0%} inside the band around the fitted prediction).",
    )
    m4.metric(
        "Largest ratio (×)",
        f"{float(summary['max_ratio']):.2f}×",
        help=f"Largest of predicted/measured and measured/predicted: {summary['worst_row']}.",
    )
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        "Leave-one-curve-out median error (%)",
        f"{float(summary['loco_median_abs_pct_error']):.0f}%",
        help="Each curve predicted by a fit without any of its points: the error to expect on a stack the model "
        "has not seen.",
    )
    c2.metric(
        "At the measured TPOT, median error (%)",
        f"{float(summary['iso_tpot_median_abs_pct_error']):.0f}%",
        help="Each point predicted at the batch whose predicted TPOT is its measured TPOT (what `--tpot-ms` does), "
        f"by the fit without its curve; {summary['iso_tpot_points']} points.",
    )
    c3.metric(
        "Worst curve tilt (×)",
        f"{float(summary['worst_curve_tilt']):.1f}×",
        help="predicted/measured at a curve's highest concurrency over that at its lowest (or the inverse): "
        f"{summary['worst_curve']}.",
    )
    c4.metric("Curves (count)", f"{summary['curves']}", help=f"{summary['curve_points']} points on curves.")
    st.altair_chart(charts.validation_chart(rows), width="stretch", key="methods_val_chart")
    st.altair_chart(
        charts.serving_curves_chart(charts.curve_points_frame(rows)),
        width="content",
        key="methods_curves_chart",
    )
    st.caption(
        "Curves whose points publish no TPOT (prefill-only curves, offline runs) are in the tables but not drawn. "
        "Throughput is output tokens per second per GPU of the curve's own deployment, for measured and predicted "
        "alike; a curve's table row below gives its error without it and its tilt."
    )
    st.dataframe(
        curves,
        hide_index=True,
        key="methods_curve_table",
        column_config={
            "loco_median_abs_pct_error": st.column_config.NumberColumn(
                "error without the curve, median (%)", format="%.0f"
            ),
            "ratio_lowest_concurrency": st.column_config.NumberColumn(
                "pred. / meas. at lowest concurrency (×)", format="%.2f"
            ),
            "ratio_highest_concurrency": st.column_config.NumberColumn(
                "pred. / meas. at highest concurrency (×)", format="%.2f"
            ),
            "tilt": st.column_config.NumberColumn("tilt (×)", format="%.2f"),
            "points": st.column_config.NumberColumn("points (count)"),
        },
    )
    st.caption(
        f"Band: × {band[0]:.2f} to × {band[1]:.2f} of the base prediction. Fitted factors: "
        + ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in factors.items())
        + ". Rows that cannot be estimated stay in the table and say why."
    )
    st.dataframe(
        rows,
        hide_index=True,
        key="methods_val_table",
        column_config={
            "measured": st.column_config.NumberColumn("measured (tok/s, its metric)", format="localized"),
            "predicted_base": st.column_config.NumberColumn("predicted (tok/s)", format="localized"),
            "predicted_low": st.column_config.NumberColumn("band low (tok/s)", format="localized"),
            "predicted_high": st.column_config.NumberColumn("band high (tok/s)", format="localized"),
            "predicted_loo": st.column_config.NumberColumn("leave-one-out (tok/s)", format="localized"),
            "ratio": st.column_config.NumberColumn("predicted / measured (×)", format="%.2f"),
            "inside_band": st.column_config.CheckboxColumn("inside band"),
            "reason": st.column_config.TextColumn("why not estimated"),
        },
    )

GAP_MARK = re.compile(r"(?i:not modell?ed|not simulated|not calibrated)|ASSUMPTION")

with tab_gaps:
    st.caption(
        "What the model leaves out or assumes: the sections of the team's notes about gaps, assumptions and "
        "misses, then the sentences of the code's own documentation that say so."
    )
    docs = sorted(p for p in DOCS.glob("*.md") if p.name not in {"architecture.md", "benchmarks.md"})
    sections = [
        sec
        for p in docs
        for sec in gaps.gap_sections(p.name, p.read_text(encoding="utf-8", errors="replace"))
    ]
    for title, body in sections:
        with st.expander(title):
            st.markdown(body)
    stated = []
    for name in MODULES:
        flat = re.sub(r"\s+", " ", _doc(name))
        sentences = re.split(r"(?<=[.;])\s+(?=[A-Z`*(])", flat)
        stated += [f"- {gaps.clean(x.strip())} (`{name}`)" for x in sentences if GAP_MARK.search(x)]
    if stated:
        st.markdown("**What the model leaves out or assumes, as its modules state it**")
        st.markdown("\n".join(stated))
    if not sections and not stated:
        st.info("No known gaps written down yet.", icon=":material/info:")
    if docs:
        st.divider()
        pick = st.selectbox("Read a document from docs/", [p.name for p in docs], key="methods_doc")
        st.markdown((DOCS / pick).read_text(encoding="utf-8", errors="replace"))
