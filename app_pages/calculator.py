"""Calculator: a workload and the options to compare -> what each costs per month, why, and how to take it away.

Thin: the widgets make a ``Scenario`` (costmodel.workload.scenario validates it), ``costmodel.evaluate.evaluation`` prices it,
``costmodel.views.verdict`` says what it found, ``costmodel.views.charts.cost`` draws it and ``costmodel.views.export.comparison`` writes the files.
A bad input shows one st.error naming the field, and the last good results stay on screen.

Layout: the verdict comes first, full width (on a phone it is the first thing under the menu); then the inputs
(left) and the table, charts and exports (right). Inputs are drawn row by row, so that on a phone, where
columns stack, they keep their order.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import calc_fields as cf
from app_pages import calc_growth, calc_log, calc_mix, calc_plans, calc_prompt, calc_results, calc_tco, common
from app_pages import calc_state as cs
from costmodel.attention import KV_DTYPES
from costmodel.catalog.budget import MB, BoundedCache
from costmodel.catalog.units import format_count
from costmodel.pricing.hosts import ModelGroup, groups_at_volume
from costmodel.views.charts import traffic as traffic_charts
from costmodel.views.host_menu import cheapest_frame, menu_order, served_notes
from costmodel.views.links.classes import classes_text_problem
from costmodel.views.links.query import CLASSES_KEY, HISTOGRAM_KEY, parse_query_string, scenario_from_query
from costmodel.views.present import describe_workload, md_literal
from costmodel.workload.presets import base_preset, custom_name, preset, preset_names
from costmodel.workload.profiles import TRAFFIC_SHAPES
from costmodel.workload.prompt_shape import lognormal_from_text
from costmodel.workload.scenario import (
    ACQUISITIONS,
    LAYOUT_CHOICES,
    PRECISION_PLANS,
    ScenarioError,
    Workload,
    scenario_from_text,
)

DEFAULT_PRESET = "chat"


#: The traffic-profile charts' specs, shared by every session (only read): at most 256 in 16 MB (one is ~10 kB).
_PROFILE_SPECS: BoundedCache[str, dict[str, Any]] = common.page_cache(
    "traffic-profile chart specs", max_entries=256, max_bytes=16 * MB
)


def _profile_spec(profile: pd.DataFrame) -> dict[str, Any]:
    """The traffic-profile chart's Vega-Lite spec, built once per profile (keyed on the table's JSON)."""
    return _PROFILE_SPECS.get_or_build(
        profile.to_json(orient="split"), lambda: common.vega_spec(traffic_charts.profile_chart(profile))
    )


common.init_state()
cat = common.catalogue()
ss = st.session_state


def _load_preset() -> None:
    name = ss["calc_preset"]
    cs.load(preset(name, cs.as_date(ss.get("calc_as_of", common.today()))))


def _edited() -> None:
    """An input changed: a preset becomes ``custom (from <preset>)`` with a description generated from the
    workload (unless the user named the scenario or wrote its description)."""
    name = str(ss.get("calc_name", ""))
    origin = base_preset(name)
    if origin is None or (name == origin and ss.get("calc_loaded_name") != origin):
        return
    ss["calc_name"] = custom_name(origin)
    counts, error = cs.parse_counts()
    if error is None and not ss.get("calc_desc_typed"):
        fields = {f: ss[k] for f, k in cf.WORKLOAD_KEYS.items()} | counts
        with contextlib.suppress(ValueError):  # an invalid value: its error is shown; the description waits
            ss["calc_desc"] = describe_workload(
                Workload.model_validate(fields), origin, classes=cs.mix_rows_count()
            )


def _api_groups(api: dict[str, Any]) -> tuple[ModelGroup, ...]:
    """The API options grouped by the model they serve at the chosen date, priced for the last valid workload."""
    basis = ss.get("scenario") or preset(DEFAULT_PRESET, common.today())
    workloads = tuple(w for _, w in basis.class_workloads()) if basis.classes else (basis.workload,)
    return groups_at_volume(api, workloads, cat, cs.as_date(ss.get("calc_as_of", basis.as_of)))


def _pick_cheapest(ids: list[str]) -> None:
    """'Cheapest host of each model': the selection becomes one option per model."""
    ss["calc_api"] = ids
    _edited()


def _shape_chosen() -> None:
    cs.choose_shape()
    _edited()


def _table_edited() -> None:
    """The hourly table was edited: the shape is the table's own."""
    ss[cs.SHAPE_KEY] = cs.CUSTOM_SHAPE
    _edited()


def _desc_typed() -> None:
    ss["calc_desc_typed"] = True


def _load_upload() -> None:
    up = ss.get(f"calc_upload_{ss.get('calc_upload_gen', 0)}")
    if up is None:
        return
    data = up.getvalue()
    if len(data) > common.MAX_UPLOAD_BYTES:
        ss["calc_notice"] = (
            f"Scenario file: {len(data):,} bytes; the limit is {common.MAX_UPLOAD_BYTES:,} bytes."
        )
        return
    try:
        s = scenario_from_text(data.decode("utf-8", errors="replace"), what=f"Scenario file {up.name}")
    except ScenarioError as e:
        ss["calc_notice"] = str(e)
        return
    cs.load(s)
    ss["calc_upload_gen"] = ss.get("calc_upload_gen", 0) + 1  # empty the uploader


# ---- first visit (from the URL or the default preset), or back from another page ----------------------------
if cf.WORKLOAD_KEYS["requests_per_day"] not in ss:
    default = preset(DEFAULT_PRESET, common.today())
    ss.setdefault("calc_preset", DEFAULT_PRESET)
    raw_query = common.raw_query_string()  # every value of every key, past Streamlit's limits too
    if ss["scenario"] is not None:
        cs.load(ss["scenario"])
    elif raw_query:
        sent, refused = parse_query_string(raw_query)
        s, ignored = (default, [refused]) if refused is not None else scenario_from_query(sent, default)
        ph = sent.get(HISTOGRAM_KEY, [])
        cs.load(s, lognormal_from_text(ph[0]) if len(ph) == 1 else None)
        if refused is not None:
            ss["calc_notice"] = f"URL not used: {refused}. The defaults stand in."
        elif ignored:
            names = ", ".join(map(str, ignored))
            cl = sent.get(CLASSES_KEY, [])
            why = classes_text_problem(s, cl[0]) if CLASSES_KEY in ignored and len(cl) == 1 else ""
            ss["calc_notice"] = (
                f"URL parameter(s) not used (invalid, unknown, too long or given more than once): {names}"
                + (f" ({why})" if why else "")
                + ". The other values were restored; the defaults stand in for the rest."
            )
    else:
        cs.load(default)

st.markdown(
    "**What does this workload cost each month through the APIs of DeepSeek V4 and its peers, and self-hosted "
    "on rented GPUs?** Describe the traffic in the sidebar (on a phone: » at the top left); the verdict, the ranked "
    "options and the break-even volume follow, and the options to compare are under them."
)
calc_log.show()  # an imported usage log: its profile and lengths, before the comparison
verdict_box = st.container(key="calc_verdict_box")
notice = ss.pop("calc_notice", None)
if notice:
    st.error(md_literal(notice), icon=":material/error:")

# ---- inputs --------------------------------------------------------------------------------------------------
inputs, results = st.sidebar, st.container()  # the workload beside the answer; on a phone, one tap away
slots: dict[str, Any] = {}  # field label -> the place right under its input, where its error is said
with inputs:
    st.selectbox(
        "Preset",
        preset_names(),
        key="calc_preset",
        on_change=_load_preset,
        help="Fills every field below with a typical workload; its description states the assumptions. Once "
        "you edit a field, the scenario becomes 'custom (from <preset>)' with a description of your workload.",
    )
    if ss.get("calc_name"):
        st.caption(f"**{md_literal(ss['calc_name'])}**: {md_literal(ss.get('calc_desc', ''))}")
    st.subheader(":material/speed: Workload", divider="gray")
    rows: list[tuple[object, object]] = [
        (cf.COUNT_INPUTS[0], cf.COUNT_INPUTS[1]),
        (cf.COUNT_INPUTS[2], cf.WORKLOAD_INPUTS[0]),
        (cf.WORKLOAD_INPUTS[1], cf.WORKLOAD_INPUTS[2]),
        ("timezone", cf.WORKLOAD_INPUTS[3]),
    ]
    for i, pair in enumerate(rows):
        if i == 1:
            calc_prompt.inputs(_edited)  # one length or a log-normal, under the prompt field
        cols = st.columns(2)
        for col, f in zip(cols, pair, strict=True):
            if isinstance(f, cf.CountField):
                key = cf.WORKLOAD_KEYS[f.field]
                shaped = f.field == "prompt_tokens" and cs.lognormal_on()
                col.text_input(
                    f.label,
                    key=key,
                    help=calc_prompt.SHAPED_HELP if shaped else cs.count_help(f),
                    on_change=_edited,
                    disabled=shaped,
                )
                slots[cf.LABELS[f.field]] = col.container()
                counts, _ = cs.parse_counts()
                if f.field in counts and str(ss.get(key, "")).strip() != format_count(counts[f.field]):
                    col.caption(f"= {format_count(counts[f.field])} {f.unit}")
            elif isinstance(f, cf.NumberField):
                cs.number_input(col, f, on_change=_edited, slots=slots)
            else:
                col.selectbox(
                    "Time zone of the traffic profile",
                    common.timezones(),
                    key=cf.WORKLOAD_KEYS["timezone"],
                    on_change=_edited,
                    help="The hours of the profile are local to this zone; peak-price windows are in UTC.",
                )
    st.selectbox(
        "Traffic shape (local time)",
        [*TRAFFIC_SHAPES, cs.CUSTOM_SHAPE],
        key=cs.SHAPE_KEY,
        on_change=_shape_chosen,
        help="When in the day the requests come, in the time zone above. A shape sets the weekday and weekend "
        "hours and the weekend day's weight; edit the hourly table for any other shape.",
    )
    beside_inputs = st.container(key="calc_input_errors")  # errors of inputs without a slot of their own
    calc_log.uploader()
    mix_rows = calc_mix.editor(_edited)
    with st.expander(":material/schedule: Traffic by hour (relative weights, local time)"):
        profile = st.data_editor(
            ss["calc_profile_base"],
            key=cs.profile_key(),
            hide_index=True,
            disabled=["hour"],
            on_change=_table_edited,
            width="stretch",
            column_config={
                "hour": st.column_config.NumberColumn("hour", format="%d:00", width=60),
                "weekday": st.column_config.NumberColumn("weekday", min_value=0.0, width=80),
                "weekend": st.column_config.NumberColumn("weekend", min_value=0.0, width=80),
            },
        )
        st.vega_lite_chart(_profile_spec(profile), width="stretch", key="calc_profile_chart")

# the options, the assumptions and the upload: under the results, in the width they need (the GPU grid)
with st.container(key="calc_options_box"):
    st.subheader(":material/compare_arrows: Options to compare", divider="gray")
    api = cs.api_choices(cat, ss["custom_api_price"])
    dropped = [i for i in ss["calc_api"] if i not in api]
    if dropped:
        st.error(
            f"APIs to compare: {md_literal(', '.join(dropped))} not in the catalogue (no price rows); left out.",
            icon=":material/error:",
        )
        ss["calc_api"] = [i for i in ss["calc_api"] if i in api]
    st.date_input(
        "Prices as of (date)",
        key="calc_as_of",
        on_change=_edited,
        help="API prices and promotions in effect at 00:00 UTC on this date are used.",
    )
    # the options model by model, cheapest first for the last valid workload (the one on screen)
    groups = _api_groups(api)
    labels, served = cs.api_labels(cat, api), served_notes(groups)
    st.multiselect(
        "APIs to compare (model · provider, price basis)",
        menu_order(groups),
        key="calc_api",
        on_change=_edited,
        format_func=lambda i: labels[i] + served.get(i, ""),
        placeholder="Type a model or a host to search",
        help="Grouped by model, each model's options cheapest first for this workload; type to search. Price "
        "basis: list = the list price in effect; promotion = a promotion if one runs at the date (else the list "
        "price); custom = your prices from the Catalogue page or the scenario. 'Open weights, hosted': a third "
        "party serving the same open weights (Together, Fireworks, DeepInfra, AWS Bedrock, ...), priced from the "
        "LiteLLM and genai-prices feeds (docs/prices.md).",
    )
    cheapest = cheapest_frame(groups)
    h1, h2 = st.columns([1, 2], vertical_alignment="center")
    h1.button(
        ":material/savings: Cheapest host of each model",
        key="calc_api_cheapest",
        on_click=_pick_cheapest,
        args=([i for i in cheapest["option"] if i],),
        help="Compare one option per model: the host with the lowest monthly bill for this workload at the date "
        "(options that cannot serve it are never picked).",
    )
    h2.caption(
        f"{len(api)} options for {len(groups)} models; the cheapest host of each is in the table below."
    )
    with st.expander(":material/storefront: Cheapest host of each model"):
        st.dataframe(
            cheapest,
            hide_index=True,
            key="calc_api_cheapest_table",
            column_config={"monthly (USD)": st.column_config.NumberColumn(format="$%.0f")},
        )
    gpu_ids = [g.id for g in cat.gpus]
    open_models = [m.id for m in cat.models if m.open_weights and m.config is not None]
    model_names, gpu_names = {m.id: m.name for m in cat.models}, cs.gpu_labels(cat)
    st.caption("Self-hosting: one row per deployment (add or delete rows; blank cells = automatic).")
    self_host = st.data_editor(
        ss["calc_sh_base"],
        key=cs.self_host_key(),
        num_rows="dynamic",
        hide_index=True,
        on_change=_edited,
        placeholder="auto",  # a blank cell is chosen automatically (smallest fit, latest rental row, ...)
        column_config={
            "model": st.column_config.SelectboxColumn(
                "model",
                options=open_models,
                required=True,
                format_func=lambda v: model_names.get(str(v), str(v)),
                width="medium",
            ),
            "gpu": st.column_config.SelectboxColumn(
                "GPU",
                options=gpu_ids,
                required=True,
                format_func=lambda v: gpu_names.get(str(v), str(v)),
                width="medium",
            ),
            "precision": st.column_config.SelectboxColumn(
                "precision", options=PRECISION_PLANS, default="native"
            ),
            "gpus": st.column_config.NumberColumn(
                "GPUs per replica",
                min_value=1,
                step=1,
                help="blank = smallest fit; with a stated prefill/decode split, blank (or the two pools' sum)",
            ),
            "mode": st.column_config.SelectboxColumn(
                "provisioning",
                options=["always_on", "autoscaled"],
                default="always_on",
                help="always_on = GPUs rented around the clock for the busiest hour; autoscaled = hour by hour.",
            ),
            "disaggregated": st.column_config.CheckboxColumn("prefill/decode split", default=False),
            "prefill_gpus": st.column_config.NumberColumn(
                "prefill GPUs per pool",
                min_value=1,
                step=1,
                help="a stated split (with decode GPUs; prefill/decode split on): GPUs of one prefill pool; "
                "blank = pools of the deployment size, as many of each as the work needs",
            ),
            "decode_gpus": st.column_config.NumberColumn(
                "decode GPUs per pool",
                min_value=1,
                step=1,
                help="a stated split: GPUs of one decode pool, which holds the sequences (its batch and rate)",
            ),
            "attention_layout": st.column_config.SelectboxColumn(
                "attention layout",
                options=LAYOUT_CHOICES,
                default="auto",
                help="dp = attention data-parallel, tp = tensor-parallel within a node, auto = the cheaper",
            ),
            "rental_id": st.column_config.SelectboxColumn(
                "rental row",
                options=[r.id for r in cat.rentals],
                help="blank = the most recent on-demand row",
            ),
            "usd_per_gpu_hour": st.column_config.NumberColumn(
                "USD per GPU-hour", min_value=0.01, format="$%.2f", help="blank = the rental row's price"
            ),
            "measured_prefill_tokens_per_s_per_gpu": st.column_config.NumberColumn(
                "measured prefill (tok/s/GPU)", min_value=0.0
            ),
            "measured_decode_tokens_per_s_per_gpu": st.column_config.NumberColumn(
                "measured decode (tok/s/GPU)", min_value=0.0
            ),
            "acquisition": st.column_config.SelectboxColumn(
                "rent or buy",
                options=ACQUISITIONS,
                default="rent",
                help="rent = the default rental row (latest on-demand); on_demand / reserved / spot = the latest "
                "row of that basis; buy = owned servers (see Cost of ownership).",
            ),
            "usd_per_gpu_purchase": st.column_config.NumberColumn(
                "server price per GPU (USD, buy)",
                min_value=1.0,
                format="$%.0f",
                help="Only with buy. Blank = the catalogue's owner all-in cost per GPU-hour, where there is one.",
            ),
        },
    )
    gpu_price = ss["custom_gpu_price"]
    if gpu_price:
        st.caption(
            f":material/tune: Your GPU price from the Catalogue page, ${gpu_price['usd_per_gpu_hour']:.2f} per "
            f"GPU-hour, is used for {gpu_price['gpu']} rows without their own price."
        )

    with st.expander(":material/tune: Serving assumptions (self-hosting)"):
        st.caption(
            "Self-hosting costs are GPU rental plus the overhead below, which is **0% by default** (ops, "
            "storage and network not counted unless you add them)."
        )
        st.segmented_control(
            "Efficiency (MFU/MBU level)",
            ["low", "base", "high"],
            key=cf.ASSUMPTION_KEYS["efficiency"],
            required=True,
            on_change=_edited,
            help="How much of the GPU's peak compute (MFU) and memory bandwidth (MBU) the engine reaches; base is "
            "calibrated on a published measurement, low and high bound the band.",
        )
        a1, a2 = st.columns(2)
        for i, f in enumerate(cf.ASSUMPTION_INPUTS):
            cs.number_input(a1 if i % 2 == 0 else a2, f, on_change=_edited, slots=slots)
        a1.toggle(
            "Speculative decoding (MTP)",
            key=cf.ASSUMPTION_KEYS["speculative_decoding"],
            on_change=_edited,
            help="Multi-token prediction: the MTP draft tokens per step, each kept at the acceptance rate.",
        )
        a2.selectbox(
            "KV cache precision",
            KV_DTYPES,
            key=cf.ASSUMPTION_KEYS["kv_dtype"],
            on_change=_edited,
            help="deployed = what serving engines store (FP8 latent, FP4/FP8 indexer keys); bf16 = all BF16.",
        )
    with st.expander(":material/account_balance: Cost of ownership (self-hosting)"):
        calc_tco.inputs(cat, _edited, slots)
    with st.expander(":material/upload_file: Scenario name and JSON upload"):
        st.text_input("Scenario name", key="calc_name", max_chars=200)
        st.text_area("Description", key="calc_desc", max_chars=1000, on_change=_desc_typed)
        st.file_uploader(
            f"Upload a scenario (JSON or YAML, up to {common.MAX_UPLOAD_MB} MB)",
            type=["json", "yaml", "yml"],
            key=f"calc_upload_{ss.get('calc_upload_gen', 0)}",
            on_change=_load_upload,
            max_upload_size=common.MAX_UPLOAD_MB,
        )
    common.glossary()

# ---- the scenario and its results ----------------------------------------------------------------------------
_counts, count_error = cs.parse_counts()  # the values are read again, with the rest, by cs.read
raw = cs.read(profile, self_host, api, gpu_price)
scenario, error = (None, count_error) if count_error else cf.validate(raw)
if scenario is not None:
    scenario, error = cs.with_prompt_shape(scenario)
scenario, error = calc_mix.apply(scenario, error, mix_rows)
if error:
    cs.error_slot(error, slots, beside_inputs).error(md_literal(error), icon=":material/error:")
with slots.get(cf.LABELS["output_tokens"], beside_inputs):
    if not error and scenario is not None and scenario.workload.output_tokens == 0:
        st.warning(
            "0 output tokens: each request is billed for its prompt only and self-hosting decodes nothing. "
            "Is that what you meant?",
            icon=":material/warning:",
        )
with results:
    calc_results.show(scenario, cat, verdict_box)
    calc_growth.show(scenario, cat)
    calc_plans.show(cat)
