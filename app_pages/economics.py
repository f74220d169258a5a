"""Provider economics: what a token costs the provider, the margin implied by every dated price, V3.2 → V4 on the
same fleet, and the Ascend question. The arithmetic is :mod:`costmodel.economics`; this page reads inputs, calls
it once (cached on the inputs) and draws."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import common
from costmodel import economics as eco
from costmodel.catalog.budget import MB, BoundedCache
from costmodel.catalog.schema import Catalogue
from costmodel.catalog.units import parse_token_count
from costmodel.serving.efficiency import DEPLOYMENT_CLASSES
from costmodel.views.charts import economics as charts
from costmodel.views.export import economics as export
from costmodel.views.present import md_literal

common.init_state()
cat = common.base_catalogue()
ss = st.session_state
priced = {p.model for p in cat.prices if p.provider == "deepseek"}
models = [m.id for m in cat.models if m.open_weights and m.config is not None and m.id in priced]
gpus = [g.id for g in cat.gpus]
F, M = eco.DEEPSEEK_FLEET, eco.DEEPSEEK_MIX
PRESET = {
    "eco_model": "deepseek-v4-pro",
    "eco_gpu": F.gpu,
    "eco_usd": 2.0,
    "eco_mode": F.mode,
    "eco_util_pct": round(F.utilization * 100),
    "eco_cached_pct": round(M.cached_share * 100),
    "eco_prompt": "8K",
    "eco_output": "1K",
}
COMPARED = [g for g in eco.ASCEND_GPUS if g in gpus]


def _catalogue_price(gpu: str) -> eco.GpuHourPrice:
    """The catalogue's GPU-hour price for ``gpu`` (DeepSeek's own row for the preset's GPU); usd nan if none."""
    fleet = F if gpu == F.gpu else eco.Fleet(gpu=gpu)
    return eco.gpu_hour_price(fleet, cat)


def _gpu_changed() -> None:
    """A new GPU brings its catalogue GPU-hour price when there is one (the user's figure stays otherwise)."""
    price = _catalogue_price(ss["eco_gpu"])
    if not math.isnan(price.usd):
        ss["eco_usd"] = price.usd


def _preset() -> None:
    for k, v in PRESET.items():
        ss[k] = v
    for g in COMPARED:
        ss[f"eco_stated_{g}"] = 0.0


for k, v in PRESET.items():
    ss.setdefault(k, v)
for g in COMPARED:
    ss.setdefault(f"eco_stated_{g}", 0.0)

st.markdown(
    "**What does a token cost the provider, and what margin does each price imply?** The serving model turned "
    "around: a fleet serves a traffic mix; the GPU-hours it pays for are split into uncached input, cached "
    "input and output tokens; every dated price row of the model is set against that cost."
)
with st.container(border=True):
    h1, h2 = st.columns([1, 3])
    h1.button("DeepSeek's own fleet", on_click=_preset, icon=":material/restart_alt:", key="eco_preset",
              help="Reset every input to the preset below.")  # fmt: skip
    h2.markdown(
        "**Preset: DeepSeek's own fleet.** "
        + "; ".join(f"{k}: {v}" for k, v in eco.DEEPSEEK_ASSUMPTIONS)
        + "."
    )

c1, c2, c3, c4 = st.columns(4)
c1.selectbox("Model", models, key="eco_model")
c2.selectbox("GPU of the fleet", gpus, key="eco_gpu", on_change=_gpu_changed,
             help="Changing it loads the GPU's catalogue GPU-hour price, when the catalogue has one.")  # fmt: skip
# no widget bounds (a browser keeps an out-of-range number unsent); the model refuses it by name
c3.number_input("GPU-hour cost (USD per GPU-hour)", step=0.1, key="eco_usd",
                help="What one GPU-hour costs the provider (owning or renting). DeepSeek states USD 2.00 for H800. "
                "Accepted: 0.000001 to 1,000,000.")  # fmt: skip
c4.segmented_control("Serving mode", DEPLOYMENT_CLASSES, key="eco_mode", required=True,
                     help="Prefill and decode on the same GPUs, or separate pools.")  # fmt: skip
d1, d2, d3, d4 = st.columns(4)
d1.slider("Utilisation over the day (%)", 5, 100, key="eco_util_pct",
          help="Mean share of the paid GPU-hours that do work; idle hours are paid by every token served.")  # fmt: skip
d2.slider("Cached share of input tokens (%)", 0, 100, key="eco_cached_pct")
d3.text_input("Prompt tokens per request", key="eco_prompt", help="8K = 8,192; 128K; 1M = 1,048,576.")
d4.text_input("Output tokens per request", key="eco_output")
with st.expander("GPU-hour costs for the GPU comparison (0 = not stated: the catalogue's, or none)"):
    cols = st.columns(len(COMPARED))
    for col, g in zip(cols, COMPARED, strict=True):
        col.number_input(f"{g} (USD per GPU-hour)", step=0.1, key=f"eco_stated_{g}",
                         help="0 to 1,000; 0 = not stated.")  # fmt: skip
    st.caption(
        "No rental price was found for H20, Ascend 910C or Ascend 950 (docs/sources.md §6): without a stated "
        "cost their rows give throughput and the GPU-hour price at which they would match the reference fleet."
    )

try:
    prompt = parse_token_count(ss["eco_prompt"])
    output = parse_token_count(ss["eco_output"])
except ValueError as e:
    st.error(f"Request shape: {md_literal(e)}", icon=":material/error:")
    st.stop()


#: The provider's economics and their chart specs, shared by every session (read-only, never mutated): at most 32
#: results in 32 MB and 64 specs in 16 MB.
_ECONOMICS: BoundedCache[Hashable, eco.Economics] = common.page_cache(
    "provider economics", max_entries=32, max_bytes=32 * MB
)
_SPECS: BoundedCache[Hashable, dict[str, object]] = common.page_cache(
    "provider economics chart specs", max_entries=64, max_bytes=16 * MB
)


def _compute(_cat: Catalogue, *args: object) -> eco.Economics:
    """:func:`_economics`, cached on its arguments (the catalogue is the process's)."""
    if args in _ECONOMICS:
        return _ECONOMICS.get_or_build(args, lambda: _economics(_cat, *args))  # type: ignore[arg-type]
    with st.spinner("Computing the provider's cost…"):
        return _ECONOMICS.get_or_build(args, lambda: _economics(_cat, *args))  # type: ignore[arg-type]


def _economics(
    _cat: Catalogue, model: str, gpu: str, usd: float, mode: str, util: float, cached: float, prompt: int,
    output: int, stated: tuple[tuple[str, float], ...], sweep_price: str | None,
) -> eco.Economics:  # fmt: skip
    known = _catalogue_price(gpu)
    rental = known.rental_id if known.usd == usd else None  # the catalogue's figure: cite its row
    fleet = eco.Fleet(gpu=gpu, usd_per_gpu_hour=None if rental else usd, rental_id=rental, mode=mode,  # type: ignore[arg-type]
                      utilization=util)  # fmt: skip
    mix = eco.TrafficMix(prompt, output, cached)
    ref_first = [gpu, *[g for g in COMPARED if g != gpu]]
    return eco.economics(model, fleet, mix, _cat, stated_usd_per_gpu_hour=dict(stated), hardware_gpus=ref_first,
                         sweep_price=sweep_price)  # fmt: skip


def _spec(name: str, args: tuple[object, ...], kind: str = "output") -> dict[str, object]:
    """The Vega-Lite spec of one chart of ``_compute(*args)``, built once per input (drawing costs ~0.1 s)."""
    return _SPECS.get_or_build((name, args, kind), lambda: _build_spec(name, args, kind))


def _build_spec(name: str, args: tuple[object, ...], kind: str) -> dict[str, object]:
    e = _compute(cat, *args)
    draw: dict[str, Callable[[], alt.TopLevelMixin]] = {
        "history": lambda: charts.history_chart(e.history, kind),
        "sweep": lambda: charts.sweep_chart(e.sweep),
        "story": lambda: charts.story_chart(e.story, "output"),
        "hardware": lambda: charts.hardware_chart(e.hardware),
    }
    chart = draw[name]()
    # data inline in each view: Streamlit's spec path draws nothing from top-level "datasets" in a layered chart
    with alt.data_transformers.enable("default", consolidate_datasets=False):
        out: dict[str, object] = chart.to_dict()
    return out


for g in COMPARED:  # typed out of range (the widgets have no bounds): refused by name, shown as not stated
    if not 0 <= float(ss[f"eco_stated_{g}"]) <= 1000:
        st.error(
            f"GPU-hour cost of {g}: {float(ss[f'eco_stated_{g}']):g} refused (0 = not stated, up to 1,000 USD); "
            "shown as not stated.",
            icon=":material/error:",
        )
stated = tuple((g, float(ss[f"eco_stated_{g}"])) for g in COMPARED if 0 < ss[f"eco_stated_{g}"] <= 1000)
labels = [p.label for p in eco.price_points(cat, ss["eco_model"], prompt)]
if ss.get("eco_sweep_price") not in labels:  # a new model: its most recent row's first window
    newest = max((p for p in eco.price_points(cat, ss["eco_model"], prompt)), key=lambda p: p.row.effective_from,
                 default=None)  # fmt: skip
    ss["eco_sweep_price"] = newest.label if newest else None
ARGS = (ss["eco_model"], ss["eco_gpu"], float(ss["eco_usd"]), ss["eco_mode"], ss["eco_util_pct"] / 100,
        ss["eco_cached_pct"] / 100, prompt, output, stated, ss["eco_sweep_price"])  # fmt: skip
try:
    ec = _compute(cat, *ARGS)
except (eco.EconomicsError, KeyError, ValueError) as e:
    msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
    st.error(f"Cannot compute: {md_literal(msg)}", icon=":material/error:")
    st.stop()

cost = ec.cost
unconfirmed = ", ".join(cost.unconfirmed_fields)


def _usd(v: float) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"${v:,.4f}"


def _pct(v: float) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:,.0f}%"


st.subheader(":material/payments: Cost per 1M tokens", divider="gray")
if not cost.feasible:
    st.error(md_literal(f"{cost.model} on {cost.fleet.gpu}: {cost.reason}"), icon=":material/error:")
    st.stop()
mcols = st.columns(3)
for col, kind in zip(mcols, eco.TOKEN_TYPES, strict=True):
    col.metric(
        f"{charts.TOKEN_NAMES[kind].capitalize()} (USD per 1M tokens)",
        _usd(cost.usd_per_mtok(kind)),
        help=f"Band: {_usd(cost.usd_per_mtok(kind, 'high'))} to {_usd(cost.usd_per_mtok(kind, 'low'))} "
        "(high to low serving efficiency).",
    )
    col.caption(f"band {_usd(cost.usd_per_mtok(kind, 'high'))} – {_usd(cost.usd_per_mtok(kind, 'low'))}")
st.caption(
    f"{cost.gpus} × {cost.fleet.gpu} per deployment, {cost.mode}; GPU-hour USD {cost.price.usd:,.2f} "
    f"({cost.price.source}; {cost.price.confidence}); utilisation {cost.fleet.utilization:.0%}. "
    + (f"**Unconfirmed GPU figures used: {unconfirmed}.** " if unconfirmed else "")
    + " ".join(cost.notes)
    + " Allocation: output tokens carry the decode GPU-seconds; an uncached input token an average token of the "
    "prompt prefilled in full; a cached token the rest of the prefill (the attention that reads it). Off-GPU "
    "cache storage is not modelled (docs/economics.md)."
)

st.subheader(":material/trending_up: Implied gross margin per dated price", divider="gray")
m = ec.margins
if m.empty:
    st.info(f"No DeepSeek price row for {ec.model}.", icon=":material/info:")
else:
    people = pd.DataFrame(
        {
            "price row": m["price_id"],
            "kind": m["kind"],
            "window": m["window"],
            "from (UTC)": m["effective_from"].str[:16],
            "to (UTC)": m["effective_to"].str[:16],
            **{
                f"{charts.TOKEN_NAMES[k]}: price / cost (USD per 1M)": [
                    f"{_usd(p)} / {_usd(c)}"
                    for p, c in zip(m[f"price_usd_per_mtok_{k}"], m[f"cost_usd_per_mtok_{k}"], strict=True)
                ]
                for k in eco.TOKEN_TYPES
            },
            **{
                f"{charts.TOKEN_NAMES[k]} margin (%; band)": [
                    f"{_pct(b)} ({_pct(lo)} to {_pct(hi)})"
                    for b, lo, hi in zip(
                        m[f"margin_{k}_pct"], m[f"margin_{k}_pct_min"], m[f"margin_{k}_pct_max"], strict=True
                    )
                ]
                for k in eco.TOKEN_TYPES
            },
            "mix margin (%; band)": [
                f"{_pct(b)} ({_pct(lo)} to {_pct(hi)})"
                for b, lo, hi in zip(
                    m["margin_mix_pct"], m["margin_mix_pct_min"], m["margin_mix_pct_max"], strict=True
                )
            ],
            "price source": m["price_source"],
            "as of": m["price_as_of"],
            "confidence": m["price_confidence"],
            "unconfirmed price fields": m["price_unconfirmed_fields"].replace("", "none"),
        }
    )
    st.dataframe(people, hide_index=True, key="eco_margins")
    kind = st.segmented_control("Price history of", eco.TOKEN_TYPES, key="eco_history_kind", default="output",
                                required=True, format_func=lambda k: charts.TOKEN_NAMES[k])  # fmt: skip
    st.vega_lite_chart(spec=_spec("history", ARGS, kind or "output"), width="stretch", height=480,
                      key="eco_history")  # fmt: skip
    st.selectbox("Margin per request length against", labels, key="eco_sweep_price",
                 help="A price row and window of the table above.")  # fmt: skip
    if not ec.sweep.empty:
        reasons = "; ".join(dict.fromkeys(r for r in ec.sweep["reason"] if r))
        st.vega_lite_chart(spec=_spec("sweep", ARGS), width="stretch", height=520, key="eco_sweep")
        st.caption(
            f"Against {ss['eco_sweep_price']}: requests of {output:,} output tokens and the rest prompt, cached "
            f"share {ss['eco_cached_pct']}%, at the price tier of each length. " + reasons
        )

st.subheader(":material/compare_arrows: V3.2 → V4: the same traffic on the same fleet", divider="gray")
story = ec.story
st.vega_lite_chart(spec=_spec("story", ARGS), key="eco_story_chart")
st.dataframe(
    pd.DataFrame(
        {
            "model": story["model"],
            "request length (tokens)": story["context_tokens"].map(lambda t: f"{t:,}"),
            "notes": (story["reason"] + " " + story["notes"]).str.strip(),
            "input (USD per 1M)": story["usd_per_mtok_input"].map(_usd),
            "cached (USD per 1M)": story["usd_per_mtok_cached"].map(_usd),
            "output (USD per 1M)": story["usd_per_mtok_output"].map(_usd),
            "output cost vs baseline": story["output_cost_ratio"].map(lambda v: f"{v:.0%}"),
            "attention share of decode FLOPs": story["attention_flops_share_decode"].map(
                lambda v: f"{v:.0%}"
            ),
            "attention share of prefill FLOPs": story["attention_flops_share_prefill"].map(
                lambda v: f"{v:.0%}"
            ),
            "KV share of decode HBM bytes": story["kv_share_decode_bytes"].map(
                lambda v: "—" if pd.isna(v) else f"{v:.0%}"
            ),
            "FLOPs per token vs baseline": story["flops_ratio"].map(lambda v: f"{v:.0%}"),
            "KV cache vs baseline": story["kv_ratio"].map(lambda v: f"{v:.0%}"),
        }
    ),
    hide_index=True,
    key="eco_story",
)
st.caption(
    "Computed from the configs and the serving model, not from DeepSeek's published percentages (27% of V3.2's "
    "FLOPs and 10% of its KV at 1M for V4-Pro). The rest of each token's FLOPs is the MoE and linear layers."
)

st.subheader(":material/memory: The Ascend question: the same traffic per GPU type", divider="gray")
hw = ec.hardware
st.vega_lite_chart(spec=_spec("hardware", ARGS), width="stretch", height=300, key="eco_hw_chart")
st.dataframe(
    pd.DataFrame(
        {
            "GPU": hw["gpu"],
            "status": hw["status"],
            "GPU-hour (USD)": hw["usd_per_gpu_hour"].map(
                lambda v: "not found" if pd.isna(v) else f"${v:,.2f}"
            ),
            "break-even GPU-hour vs the first row (USD; band)": [
                "—" if pd.isna(b) else f"${b:,.2f} (${lo:,.2f} to ${hi:,.2f})"
                for b, lo, hi in zip(
                    hw["break_even_usd_per_gpu_hour"],
                    hw["break_even_usd_per_gpu_hour_low"],
                    hw["break_even_usd_per_gpu_hour_high"],
                    strict=True,
                )
            ],
            "decode (tokens/s/GPU)": hw["decode_tokens_per_s_per_gpu"].map(
                lambda v: "—" if pd.isna(v) else f"{v:,.0f}"
            ),
            "output (USD per 1M)": hw["usd_per_mtok_output"].map(_usd),
            "input (USD per 1M)": hw["usd_per_mtok_input"].map(_usd),
            "GPUs per deployment": hw["gpus"].map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}"),
            "catalogue confidence": hw["gpu_confidence"],
            "unconfirmed figures used": hw["unconfirmed_fields"].replace("", "none"),
            "unconfirmed in the catalogue": hw["gpu_unconfirmed_fields"].replace("", "none"),
            "null in the catalogue (see its reason)": hw["gpu_null_fields"].replace("", "none"),
            "GPU-hour source": hw["gpu_hour_source"] + " (" + hw["gpu_hour_confidence"] + ")",
        }
    ),
    hide_index=True,
    key="eco_hw",
)
st.caption(
    "Every H20 figure and the Ascend 910C row are **unconfirmed** (third-party spec summaries); the Ascend 950 row "
    "is the 950DT (third-party) with its scale-up link **unconfirmed**. A GPU whose catalogue lacks a figure the "
    "estimate needs says 'cannot estimate' and names it. Break-even: the GPU-hour price at which that GPU serves "
    "the mix at the first row's cost per request."
)

st.subheader(":material/download: Export", divider="gray")
slug = f"economics-{ec.model}-{ec.fleet.gpu}"  # files are built when a button is clicked, not on every rerun
x1, x2, x3, x4 = st.columns(4)
x1.download_button("XLSX (every table)", data=lambda: export.xlsx_bytes(ec), file_name=f"{slug}.xlsx", on_click="ignore",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="eco_dl_xlsx")  # fmt: skip
x2.download_button("CSV (margins)", data=lambda: export.to_csv(ec, "margins"), file_name=f"{slug}-margins.csv",
                   mime="text/csv", on_click="ignore", key="eco_dl_csv")  # fmt: skip
x3.download_button("Markdown", data=lambda: export.to_markdown(ec), file_name=f"{slug}.md", mime="text/markdown",
                   on_click="ignore", key="eco_dl_md")  # fmt: skip
x4.download_button("JSON", data=lambda: export.to_json(ec), file_name=f"{slug}.json", mime="application/json",
                   on_click="ignore", key="eco_dl_json")  # fmt: skip
