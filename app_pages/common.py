"""Helpers shared by the pages: session state, the cached catalogue, error display.

No arithmetic here either: this module only wires Streamlit to ``costmodel``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

import altair as alt
import pandas as pd
import streamlit as st
from streamlit import dataframe_util
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from costmodel.catalog import Catalogue, CatalogueError, Model, load_catalogue
from costmodel.catalog.budget import MB, BoundedCache
from costmodel.views.present import md_literal

#: Largest file a user may upload (bytes): the uploader's own limit (``server.maxUploadSize`` in
#: .streamlit/config.toml, in MiB), so the label, the widget and the check say the same.
MAX_UPLOAD_MB = 2
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024

#: Every term the pages use without spelling it out, in plain words (the Calculator's glossary).
GLOSSARY: dict[str, str] = {
    "API": "Paying a provider per token (DeepSeek, Moonshot, MiniMax, Anthropic) at its published price.",
    "Self-host": "Renting GPUs by the hour and serving the open weights yourself; the cost is the GPU rental "
    "(plus the overhead you set), whatever the traffic.",
    "Break-even": "The volume (requests/day) from which the cheapest self-hosting costs no more than the "
    "cheapest API, the token mix and the hourly traffic shape held fixed.",
    "Cached share": "The part of each prompt the provider (or your server) has already seen, e.g. a system "
    "prompt: APIs bill it at the cheaper cache-hit price, self-hosting skips its prefill compute.",
    "$/M input, $/M output": "US dollars per million input (prompt) or output tokens; for self-hosting, the GPU "
    "bill split between prefill (input) and decode (output).",
    "TTFT": "Time to first token: how long a user waits before the answer starts (prefill of the prompt).",
    "TPOT": "Time per output token: the pace of the answer once it starts; a target caps the batch size.",
    "MFU / MBU": "Model FLOPs utilisation / memory bandwidth utilisation: the share of the GPU's peak compute "
    "(prefill) or memory bandwidth (decode) a serving engine reaches; calibrated on published measurements.",
    "Efficiency level": "low / base / high MFU and MBU. Optimistic = high efficiency (cheaper), pessimistic = "
    "low efficiency (dearer), floor = 100 % efficiency (no fleet can be cheaper).",
    "MTP": "Multi-token prediction: DeepSeek's draft head for speculative decoding; an accepted draft token "
    "saves a decode step (acceptance = share of drafts kept).",
    "dp / tp": "Attention data-parallel (every GPU holds the attention and its own sequences) or "
    "tensor-parallel within a node (tpN: split over N GPUs); auto picks the cheaper.",
    "Always on / autoscaled": "GPUs rented around the clock for the busiest hour, or hour by hour as traffic "
    "needs them (whole replicas).",
    "Utilisation": "The share of the rented GPU-hours spent serving requests.",
    "Price rows": "Dated rows of the catalogue (data/*.yaml) that a price or GPU rental comes from, with "
    "their source; the Catalogue page lists them.",
    "Stale": f"A catalogue row checked more than {180} days before the priced date: the price may have moved.",
    "Unconfirmed values": "Values of a row used that no source confirms yet (listed per row in the details).",
}

#: Keys of the state shared between pages (created with setdefault so they survive page switches).
STATE_DEFAULTS: dict[str, Any] = {
    # The last scenario that computed without error (a costmodel Scenario, or None before the first run).
    "scenario": None,
    # User catalogue overrides, set on the Catalogue page and used by the Calculator.
    "custom_models": [],  # list[Model] parsed from an uploaded YAML
    "custom_gpu_price": None,  # {"gpu": id, "usd_per_gpu_hour": float} or None
    "custom_api_price": None,  # {"model": id, "usd_per_mtok_input_cache_hit": .., "..._miss": .., "..._output": ..}
}


#: The page scripts' caches, by name. A page script (``st.Page``) runs afresh on every rerun, so a cache made at its
#: top level would be a new, empty one each time: pages take theirs from here, where they outlive the run.
_PAGE_CACHES: dict[str, BoundedCache[Any, Any]] = {}


def page_cache(name: str, *, max_entries: int, max_bytes: int) -> BoundedCache[Any, Any]:
    """The process's cache called ``name`` (made on first use with these bounds), shared by every session and
    rerun of the page that asks for it."""
    cache = _PAGE_CACHES.get(name)
    if cache is None:
        cache = _PAGE_CACHES.setdefault(
            name, BoundedCache(name, max_entries=max_entries, max_bytes=max_bytes)
        )
    return cache


def init_state() -> None:
    """Create the shared session-state keys once (idempotent)."""
    for key, value in STATE_DEFAULTS.items():
        st.session_state.setdefault(key, value.copy() if isinstance(value, list | dict) else value)


@st.cache_resource(max_entries=4, ttl=3600, show_spinner="Loading the catalogue…")
def _load(data_dir: str | None) -> Catalogue:
    """One catalogue object per process, shared (it is frozen): costmodel caches what it derives from a catalogue
    row by the row's identity (costmodel.catalog.memo), which a copy per rerun (st.cache_data) would defeat."""
    return load_catalogue(data_dir)


#: The catalogue with each set of uploaded models: at most 16 sets in 32 MB (the new rows and the uploaded JSON
#: are counted; the base catalogue's rows, shared, are not).
_WITH_MODELS: BoundedCache[tuple[int, tuple[str, ...]], Catalogue] = BoundedCache(
    "catalogue with uploaded models", max_entries=16, max_bytes=32 * MB
)


def _with_models(_base: Catalogue, base_id: int, models_json: tuple[str, ...]) -> Catalogue:
    """The catalogue with uploaded models added, one object per set of uploads (so it too stays the same object
    across reruns); keyed on the base's identity and the models' JSON."""
    key = (base_id, models_json)
    hit = _WITH_MODELS.get(key)
    if hit is not None:
        return hit
    extra = tuple(Model.model_validate_json(m) for m in models_json)
    cat = _base.model_copy(update={"models": (*_base.models, *extra)})
    return _WITH_MODELS.put(key, cat, exclude=(*_base.models, *_base.__dict__.values()))


@st.cache_data(max_entries=1, show_spinner=False)
def timezones() -> list[str]:
    """Every IANA time zone name, sorted (read from disk once per process)."""
    return sorted(zoneinfo.available_timezones())


def base_catalogue() -> Catalogue:
    """The repository catalogue (cached); on a bad catalogue: one st.error line and stop the page."""
    try:
        return _load(None)
    except CatalogueError as e:
        st.error(f"The catalogue could not be loaded: {md_literal(e)}", icon=":material/error:")
        st.stop()
        raise  # unreachable: st.stop raises


def custom_models() -> list[Model]:
    """Models the user uploaded on the Catalogue page."""
    init_state()
    return list(st.session_state["custom_models"])


def catalogue() -> Catalogue:
    """The catalogue with the user's uploaded models added (what the calculator and lab use)."""
    base = base_catalogue()
    extra = custom_models()
    if not extra:
        return base
    key = tuple(m.model_dump_json() for m in extra)
    cat = _with_models(base, id(base), key)
    if any(
        a is not b for a, b in zip(cat.models, base.models, strict=False)
    ):  # built on an older base at a reused id
        _WITH_MODELS.clear()
        cat = _with_models(base, id(base), key)
    return cat


def today() -> dt.date:
    """Today's date (UTC)."""
    return dt.datetime.now(dt.UTC).date()


def show_unexpected(e: BaseException) -> None:
    """Show an unexpected page error as one line (no traceback)."""
    first = str(e).splitlines()[0] if str(e) else ""
    st.error(
        f"This page hit an unexpected problem ({type(e).__name__}: {md_literal(first[:300])}). "
        "Change the inputs or reload; the last good results are kept.",
        icon=":material/error:",
    )


@contextlib.contextmanager
def guarded(what: str) -> Iterator[None]:
    """Draw one part of a page; if it fails, one error line names the part and the rest of the page still draws
    (so no failure in a table can hide the controls that undo the input behind it, e.g. "Remove uploaded
    models"). ``st.rerun``/``st.stop`` are BaseExceptions and pass through."""
    try:
        yield
    except Exception as e:
        first = str(e).splitlines()[0] if str(e) else ""
        st.error(
            f"{what} could not be shown ({type(e).__name__}: {md_literal(first[:300])}).",
            icon=":material/error:",
        )


def glossary() -> None:
    """The glossary, in an expander (every term the results use)."""
    with st.expander(":material/menu_book: Glossary: the terms used on this page"):
        st.markdown("\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items()))


def read_upload(uploaded: Any, what: str) -> str | None:
    """The text of an uploaded file, or None after an st.error if it is too large or not UTF-8."""
    if uploaded is None:
        return None
    data = uploaded.getvalue()
    if len(data) > MAX_UPLOAD_BYTES:
        st.error(f"{what}: file is {len(data):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} bytes.")
        return None
    try:
        text: str = data.decode("utf-8")
    except UnicodeDecodeError:
        st.error(f"{what}: not UTF-8 text.")
        return None
    return text


def vega_spec(chart: Any) -> dict[str, Any]:
    """The Vega-Lite spec of an Altair chart for ``st.vega_lite_chart``, its tables carried as Arrow bytes.

    What ``st.altair_chart`` does, without its schema validation and without copying every row through Altair:
    each view's DataFrame is turned into Arrow IPC bytes (Streamlit moves those straight into the message), so
    building the spec and sending it on every rerun no longer cost a JSON record per row. The chart itself is
    left as it was (its PNG/SVG export reads its data). Schema validity: tests/unit/test_charts.py validates
    every chart builder."""
    frames: list[pd.DataFrame] = []
    spec = vega_template(chart, frames)
    return with_data(spec, frames)


def vega_template(chart: Any, frames: list[pd.DataFrame] | None = None) -> dict[str, Any]:
    """The spec of ``chart`` with the data of its ``i``-th view (depth first) named ``view-i`` and left out
    (appended to ``frames`` when given): two charts drawn by the same code from the same structure and other
    data share it, so :func:`with_data` of the new data is the new chart's spec."""
    swapped: list[tuple[Any, pd.DataFrame]] = []

    def name_data(view: Any) -> None:
        data = getattr(view, "data", alt.Undefined)
        if isinstance(data, pd.DataFrame):
            swapped.append((view, data))
            view.data = alt.NamedData(name=f"view-{len(swapped) - 1}")
        for attr in ("layer", "hconcat", "vconcat", "concat"):
            sub = getattr(view, attr, alt.Undefined)
            if isinstance(sub, list):
                for v in sub:
                    name_data(v)

    try:
        name_data(chart)
        spec: dict[str, Any] = chart.to_dict(validate=False)
    finally:
        for view, data in swapped:
            view.data = data
    if frames is not None:
        frames.extend(data for _, data in swapped)
    return spec


def with_data(template: dict[str, Any], frames: Sequence[pd.DataFrame]) -> dict[str, Any]:
    """``template`` (:func:`vega_template`) with ``frames`` as its views' data, as Arrow IPC bytes."""
    datasets = {f"view-{i}": dataframe_util.convert_anything_to_arrow_bytes(f) for i, f in enumerate(frames)}
    return {**template, "datasets": {**template.get("datasets", {}), **datasets}}


def raw_query_string() -> str:
    """The query string exactly as the browser sent it (no ``?``). ``st.query_params`` keeps only the last value of
    a key given twice, and is empty when the string has more than 1,000 parameters or 512 KiB; the app reads the
    raw string itself (:func:`costmodel.views.links.query.scenario_from_query_string`) to say so instead."""
    ctx = get_script_run_ctx()
    raw = getattr(ctx, "query_string", None) if ctx is not None else None
    if isinstance(raw, str):
        return raw.removeprefix("?")
    return urlencode({k: st.query_params.get_all(k) for k in st.query_params}, doseq=True)
