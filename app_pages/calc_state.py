"""The Calculator's widgets <-> a costmodel ``Scenario``: load a scenario into the widget state, read it back.

The widgets are the working copy; ``st.session_state["scenario"]`` holds the last valid scenario, which restores
the widgets when the user comes back from another page (Streamlit drops the state of widgets it did not draw).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.calc_fields import (
    ASSUMPTION_KEYS,
    COUNT_INPUTS,
    LABELS,
    WORKLOAD_KEYS,
    CountField,
    NumberField,
    field_bounds,
)
from costmodel.catalog import Catalogue
from costmodel.catalog.budget import MB
from costmodel.catalog.memo import by_row_identity
from costmodel.catalog.units import format_count, parse_count
from costmodel.evaluate.table import GROUP_HOSTED, option_group
from costmodel.workload.distributions import with_lognormal_prompts
from costmodel.workload.mix import CLASS_ROW_LABELS, class_rows
from costmodel.workload.presets import base_preset
from costmodel.workload.profiles import TRAFFIC_SHAPES, traffic_shape
from costmodel.workload.prompt_shape import lognormal_parameters, lognormal_problem, made_lognormal
from costmodel.workload.scenario import (
    MAX_TOKENS_PER_REQUEST,
    ApiOption,
    RequestClass,
    Scenario,
    SelfHostOption,
    Workload,
)

HOURS = list(range(24))
#: Columns of the self-hosting editor: the fields of a self-hosting option.
SELF_HOST_EDITOR_COLUMNS = tuple(SelfHostOption.model_fields)


def number_input(
    container: Any, f: NumberField, on_change: Any = None, slots: dict[str, Any] | None = None
) -> None:
    """Draw ``f`` in ``container``: help and accepted range from the model field; with ``slots``, a place for
    the field's error right under it (see :func:`error_slot`).

    The widget has no bounds of its own: a browser keeps an out-of-range number in the box without sending it,
    so the results would stay on the previous value with no word. Every typed value reaches
    the model, which refuses it with a message naming the field, and the page says the results shown are those
    of the last valid inputs."""
    lo, hi = field_bounds(f.model, f.field)
    info = f.model.model_fields[f.field]
    accepted = f" Accepted: {lo:g} to {hi:g}." if lo is not None and hi is not None else ""
    container.number_input(
        f.label,
        step=f.step,
        format=f.fmt,
        key=WORKLOAD_KEYS.get(f.field) or ASSUMPTION_KEYS[f.field],
        help=(info.description or "").replace("``", "`") + accepted,
        on_change=on_change,
    )
    if slots is not None:
        slots[LABELS[f.field]] = container.container()


def error_slot(error: str, slots: dict[str, Any], default: Any) -> Any:
    """Where ``error`` (``"<field label>: <message>"``, as :func:`describe_error` and :func:`parse_counts` word
    it) is shown: right under its field when the field drew a slot, else in ``default``."""
    return slots.get(error.split(":", 1)[0], default)


def count_help(f: CountField) -> str:
    """Help of a count input: the model field's description and what may be typed."""
    info = Workload.model_fields[f.field]
    kinds = (
        "K = 1,024 and M = 1,048,576 tokens, as context windows are quoted"
        if f.binary
        else "K = thousand, M = million, B = billion"
    )
    return (info.description or "").replace(
        "``", "`"
    ) + f" Type a number such as 2000000, 2,000,000, 2M, 8K or 1.5k ({kinds})."


def parse_counts() -> tuple[dict[str, float | int], str | None]:
    """The count fields read from their text: ``(values, None)`` or ``(values so far, error naming the field)``."""
    out: dict[str, float | int] = {}
    for f in COUNT_INPUTS:
        text = st.session_state.get(WORKLOAD_KEYS[f.field], "")
        try:
            v = parse_count(str(text), binary=f.binary, whole=f.binary)
        except ValueError as e:
            return out, f"{f.label.split(' (')[0]}: {e}"
        out[f.field] = int(v) if f.binary else v
    return out, None


def _gen(key: str) -> int:
    return int(st.session_state.get(key, 0))


def profile_key() -> str:
    """Key of the hourly-profile editor (a new key resets its edits)."""
    return f"calc_profile_{_gen('calc_profile_gen')}"


def self_host_key() -> str:
    """Key of the self-hosting editor (a new key resets its edits)."""
    return f"calc_sh_{_gen('calc_sh_gen')}"


def mix_key() -> str:
    """Key of the request-class editor (a new key resets its edits)."""
    return f"calc_mix_{_gen('calc_mix_gen')}"


def mix_rows_count() -> int:
    """Rows of the request-class table as the user has it now (loaded rows + added - deleted; blank rows counted)."""
    ss = st.session_state
    edits = ss.get(mix_key()) or {}
    added = edits.get("added_rows", ()) if isinstance(edits, dict) else ()
    deleted = edits.get("deleted_rows", ()) if isinstance(edits, dict) else ()
    return max(0, len(ss.get("calc_mix_base", ())) + len(added) - len(deleted))


#: Columns of the request-class editor (:func:`costmodel.workload.mix.class_rows`).
MIX_EDITOR_COLUMNS = tuple(CLASS_ROW_LABELS)


def mix_frame(classes: tuple[RequestClass, ...]) -> pd.DataFrame:
    """The request-class editor's rows (empty: no classes)."""
    df = pd.DataFrame(class_rows(classes), columns=list(MIX_EDITOR_COLUMNS))
    return df.astype({"name": "object", "share_pct": "float64", "prompt_tokens": "Int64", "output_tokens": "Int64",
                      "cache_hit_fraction": "float64", "profile": "object", "timezone": "object"})  # fmt: skip


def api_id(o: ApiOption) -> str:
    """The multiselect entry of an API option (its ``option_id``)."""
    return o.option_id


@by_row_identity(maxsize=4, max_bytes=4 * MB)
def _catalogue_api_choices(cat: Catalogue) -> dict[str, ApiOption]:
    """The catalogue's API options (provider x model x {list, promotion}; list only for a host of the open weights
    without promotion rows), built once per catalogue object (only read: :func:`api_choices` copies it)."""
    out: dict[str, ApiOption] = {}
    promos = {(p.provider, p.model) for p in cat.prices if p.kind == "promotion"}
    makers = {m.id: m.provider for m in cat.models}
    for p in cat.prices:
        hosted = makers.get(p.model) not in (None, p.provider) and (p.provider, p.model) not in promos
        for basis in ("list",) if hosted else ("list", "promotion"):
            o = ApiOption(provider=p.provider, model=p.model, price_basis=basis)
            out.setdefault(api_id(o), o)
    return out


def api_choices(cat: Catalogue, custom_api_price: dict[str, Any] | None) -> dict[str, ApiOption]:
    """Every API option the user can pick: catalogue provider x model x {list, promotion} (list only for a host
    of the open weights without promotion rows: group "Open weights, hosted"), custom ones."""
    out = dict(_catalogue_api_choices(cat))
    for raw in st.session_state.get("calc_custom_api", []):
        o = ApiOption.model_validate(raw)
        out[api_id(o)] = o
    if custom_api_price:
        o = custom_api_option(cat, custom_api_price)
        out[api_id(o)] = o
    return out


def api_labels(cat: Catalogue, api: dict[str, ApiOption]) -> dict[str, str]:
    """How each API option reads in the picker: the model's name, the provider and the price basis, with "open
    weights, hosted" for a third-party host of the model's open weights (:func:`costmodel.evaluate.table.option_group`)."""
    names = {m.id: m.name for m in cat.models}
    basis = {"list": "list price", "promotion": "promotion", "custom": "your price"}
    return {
        i: f"{names.get(o.model, o.model)} · {o.provider}, {basis.get(o.price_basis, o.price_basis)}"
        + (
            " · open weights, hosted"
            if option_group("api", o.provider, o.model, cat, o.price_basis) == GROUP_HOSTED
            else ""
        )
        for i, o in api.items()
    }


def gpu_labels(cat: Catalogue) -> dict[str, str]:
    """How each GPU reads in the self-hosting grid: its name and the rental prices on record (USD per GPU-hour)."""
    out = {}
    for g in cat.gpus:
        prices = sorted(r.usd_per_gpu_hour for r in cat.rentals if r.gpu == g.id)
        providers = len({r.provider for r in cat.rentals if r.gpu == g.id})
        if not prices:
            out[g.id] = f"{g.name} — no rental price on record"
        elif len(prices) == 1:
            out[g.id] = f"{g.name} — ${prices[0]:.2f}/GPU-h"
        else:
            out[g.id] = (
                f"{g.name} — ${prices[0]:.2f}–{prices[-1]:.2f}/GPU-h, {providers} provider{'s' * (providers > 1)}"
            )
    return out


def custom_api_option(cat: Catalogue, price: dict[str, Any]) -> ApiOption:
    """The API option of the Catalogue page's custom price."""
    provider = next((m.provider for m in cat.models if m.id == price["model"]), "custom")
    return ApiOption(
        provider=provider,
        model=price["model"],
        price_basis="custom",
        **{k: v for k, v in price.items() if k != "model"},
    )


def self_host_frame(options: tuple[SelfHostOption, ...]) -> pd.DataFrame:
    """The self-hosting editor's rows."""
    rows = [o.model_dump() for o in options]
    df = pd.DataFrame(rows, columns=list(SELF_HOST_EDITOR_COLUMNS))
    return df.astype(
        {"gpus": "Int64", "disaggregated": "bool", "prefill_gpus": "Int64", "decode_gpus": "Int64"}
    )


#: The traffic-shape box: a named shape, or the hourly table as edited.
SHAPE_KEY = "calc_shape"
CUSTOM_SHAPE = "custom (the hourly table below)"


def choose_shape() -> None:
    """The traffic-shape box changed: a named shape sets the weekday and weekend profiles and the weekend day's
    weight in one step (the time zone is its own box); custom keeps the table."""
    ss = st.session_state
    shape = TRAFFIC_SHAPES.get(ss.get(SHAPE_KEY, CUSTOM_SHAPE))
    if shape is None:
        return
    ss["calc_profile_base"] = pd.DataFrame(
        {
            "hour": HOURS,
            "weekday": list(map(float, shape.weekday)),
            "weekend": list(map(float, shape.weekend)),
        }
    )
    ss["calc_profile_gen"] = _gen("calc_profile_gen") + 1
    ss[WORKLOAD_KEYS["weekend_day_weight"]] = shape.weekend_day_weight


def profile_frame(w: Workload) -> pd.DataFrame:
    """The hourly-profile editor's rows: local hour, weekday weight, weekend weight."""
    return pd.DataFrame(
        {
            "hour": HOURS,
            "weekday": list(w.hourly_profile_weekday),
            "weekend": list(w.hourly_profile_weekend),
        }
    )


def load(s: Scenario, lognormal: tuple[float, float] | None = None) -> None:
    """Put scenario ``s`` into the widgets (call before they are drawn, or from a callback); ``lognormal``
    (median, 95th percentile): the shape its prompt histogram was made with, when known (a share link's)."""
    ss = st.session_state
    counts = {f.field for f in COUNT_INPUTS}
    for field, key in WORKLOAD_KEYS.items():
        value = getattr(s.workload, field)
        ss[key] = format_count(value) if field in counts else value
    for field, key in ASSUMPTION_KEYS.items():
        ss[key] = getattr(s.assumptions, field)
    ss["calc_as_of"] = s.as_of
    ss["calc_name"] = s.name
    if (
        origin := base_preset(s.name)
    ) is not None:  # a shared link or file of a preset: the Preset box says which
        ss["calc_preset"] = origin
    ss["calc_desc"] = s.description
    ss["calc_loaded_name"] = s.name
    ss["calc_desc_typed"] = False
    ss["calc_custom_api"] = [o.model_dump() for o in s.api_options if o.price_basis == "custom"]
    ss["calc_api"] = [api_id(o) for o in s.api_options]
    ss["calc_profile_base"] = profile_frame(s.workload)
    ss["calc_profile_gen"] = _gen("calc_profile_gen") + 1
    ss[SHAPE_KEY] = traffic_shape(s.workload) or CUSTOM_SHAPE
    ss["calc_sh_base"] = self_host_frame(s.self_host_options)
    ss["calc_sh_gen"] = _gen("calc_sh_gen") + 1
    ss[GROWTH_KEY] = s.monthly_growth_fraction * 100.0
    ss[PLANS_KEY] = s.plans
    ss["calc_growth_loaded"] = (ss[GROWTH_KEY], s.monthly_growth_fraction)  # the exact fraction behind the %
    load_prompt_shape(s, lognormal)
    ss["calc_mix_base"] = mix_frame(s.classes)
    ss["calc_mix_gen"] = _gen("calc_mix_gen") + 1
    ss["calc_mix_loaded"] = {
        c.name: c for c in s.classes
    }  # shares, profiles 'as loaded', reasoning, histograms


def _clean(v: Any) -> Any:
    """A table cell as a plain value; blanks (None/NaN/NA/'') become None."""
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) or v == "":
        return None
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v


def read(
    profile: pd.DataFrame,
    self_host: pd.DataFrame,
    api: dict[str, ApiOption],
    gpu_price: dict[str, Any] | None,
) -> dict[str, Any]:
    """The raw scenario (a plain dict, not yet validated) from the widgets' current values."""
    ss = st.session_state
    workload: dict[str, Any] = {field: ss[key] for field, key in WORKLOAD_KEYS.items()}
    workload.update(parse_counts()[0])
    workload["hourly_profile_weekday"] = [_clean(v) for v in profile["weekday"]]
    workload["hourly_profile_weekend"] = [_clean(v) for v in profile["weekend"]]
    hist = (
        () if ss.get(PROMPT_SHAPE_KEY) == LOGNORMAL else prompt_histogram_kept(workload.get("prompt_tokens"))
    )
    if hist:
        workload["prompt_histogram"] = [b.model_dump() for b in hist]
    rows = []
    for rec in self_host.to_dict("records"):
        row = {k: _clean(v) for k, v in rec.items() if _clean(v) is not None}
        if row.get("model") is None and row.get("gpu") is None:
            continue  # an empty row the user added and left blank
        if gpu_price and row.get("gpu") == gpu_price["gpu"] and "usd_per_gpu_hour" not in row:
            row["usd_per_gpu_hour"] = gpu_price["usd_per_gpu_hour"]
        rows.append(row)
    return {
        "name": ss["calc_name"],
        "description": ss["calc_desc"],
        "as_of": ss["calc_as_of"],
        "workload": workload,
        "api_options": [api[i].model_dump(exclude_none=True) for i in ss["calc_api"] if i in api],
        "self_host_options": rows,
        "assumptions": {field: ss[key] for field, key in ASSUMPTION_KEYS.items()},
        "monthly_growth_fraction": growth_fraction(),
        "plans": bool(ss.get(PLANS_KEY, False)),
    }


#: Widget key of the monthly growth, in percent (drawn by app_pages.calc_growth).
GROWTH_KEY = "calc_growth_pct"
#: Widget key of the Plans toggle (``Scenario.plans``; drawn by app_pages.calc_plans).
PLANS_KEY = "calc_plans"


def growth_fraction() -> Any:
    """The growth field as the scenario's fraction: the loaded scenario's exact value while the field still shows
    it (percent x 100 / 100 is not always the same float), else the typed percent / 100 (the model checks it)."""
    ss = st.session_state
    pct = ss.get(GROWTH_KEY) or 0.0
    loaded = ss.get("calc_growth_loaded")
    if loaded is not None and loaded[0] == pct:
        return loaded[1]
    return pct / 100.0 if isinstance(pct, int | float) and not isinstance(pct, bool) else pct


def prompt_histogram_kept(prompt_tokens: Any) -> tuple[Any, ...]:
    """The loaded scenario's prompt-length histogram, if its mean is still the prompt field's (an edited mean
    prompt no longer matches it: the bill is then at the mean, as for any typed workload)."""
    hist = tuple(st.session_state.get("calc_prompt_hist") or ())
    if not hist or isinstance(prompt_tokens, bool) or not isinstance(prompt_tokens, int | float):
        return ()
    mean = sum(b.share * b.prompt_tokens for b in hist)
    return hist if abs(mean - prompt_tokens) <= 0.5 else ()


def as_date(v: Any) -> dt.date:
    """A date widget value as a date."""
    return v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


# ---- prompt lengths: one length, a log-normal (median and p95), or a histogram from a log or a file --------------
#: Widget keys of the prompt-length choice and the log-normal's two fields; the last valid log-normal parameters.
PROMPT_SHAPE_KEY, P50_KEY, P95_KEY, LOGNORMAL_LAST_KEY = (
    "calc_pshape",
    "calc_p50",
    "calc_p95",
    "calc_lognormal",
)
ONE_LENGTH, LOGNORMAL = "one", "lognormal"
PROMPT_SHAPES = {ONE_LENGTH: "one length", LOGNORMAL: "log-normal: median and 95th percentile"}
LOGNORMAL_LABELS = {"p50": "Median prompt (tokens)", "p95": "95th-percentile prompt (tokens)"}


def load_prompt_shape(s: Scenario, lognormal: tuple[float, float] | None = None) -> None:
    """The prompt-length widgets for ``s``: log-normal when ``lognormal`` (or the last log-normal the user typed,
    or whole-token parameters found from the histogram: :func:`costmodel.workload.prompt_shape.lognormal_parameters`)
    rebuilds its histogram exactly; otherwise one length, keeping a histogram from a log or a file while the
    prompt field holds its mean (no widget edits its buckets)."""
    ss = st.session_state
    w = s.workload
    shape = next(
        (p for p in (lognormal, ss.get(LOGNORMAL_LAST_KEY)) if p is not None and made_lognormal(w, *p)), None
    ) or (lognormal_parameters(w) if w.prompt_histogram else None)
    if shape is not None:
        ss[PROMPT_SHAPE_KEY], ss[LOGNORMAL_LAST_KEY] = LOGNORMAL, tuple(shape)
        ss[P50_KEY], ss[P95_KEY] = format_count(shape[0]), format_count(shape[1])
        ss["calc_prompt_hist"] = ()
        return
    ss[PROMPT_SHAPE_KEY] = ONE_LENGTH
    ss["calc_prompt_hist"] = tuple(w.prompt_histogram)
    # a starting shape should the user switch to log-normal: median the mean prompt, p95 four times it
    p50 = min(w.prompt_tokens, MAX_TOKENS_PER_REQUEST // 4)
    ss[P50_KEY], ss[P95_KEY] = format_count(p50), format_count(4 * p50)


def lognormal_typed() -> tuple[tuple[int, int] | None, str | None]:
    """``((median, p95), None)`` from the two log-normal fields, or ``(None, error naming the field)``."""
    ss = st.session_state
    values = []
    for which, key in (("p50", P50_KEY), ("p95", P95_KEY)):
        try:
            values.append(int(parse_count(str(ss.get(key, "")), binary=True, whole=True)))
        except ValueError as e:
            return None, f"{LOGNORMAL_LABELS[which].split(' (')[0]}: {e}"
    problem = lognormal_problem(values[0], values[1])
    if problem is not None:
        return None, f"{LOGNORMAL_LABELS[problem[0]].split(' (')[0]}: {problem[1]}"
    return (values[0], values[1]), None


def lognormal_on() -> bool:
    """Whether the prompt lengths are the log-normal's."""
    return bool(st.session_state.get(PROMPT_SHAPE_KEY) == LOGNORMAL)


def with_prompt_shape(s: Scenario) -> tuple[Scenario | None, str | None]:
    """``s`` with the log-normal prompt histogram when that is the choice (``(None, error)`` for bad values);
    ``s`` unchanged otherwise. Remembers the parameters of a valid log-normal (the share link names them)."""
    if not lognormal_on():
        return s, None
    shape, error = lognormal_typed()
    if shape is None:
        return None, error
    st.session_state[LOGNORMAL_LAST_KEY] = shape
    return s.model_copy(update={"workload": with_lognormal_prompts(s.workload, *shape)}), None


def lognormal_hint() -> tuple[float, float] | None:
    """The last valid log-normal parameters while the log-normal is chosen (for the share link), else None."""
    last = st.session_state.get(LOGNORMAL_LAST_KEY)
    return tuple(last) if lognormal_on() and last is not None else None


def sync_prompt_mean() -> None:
    """Callback of the prompt-length widgets: the log-normal's mean goes into the (then disabled) prompt field, so
    that what is shown is what the per-token figures use; switching to it drops a log's histogram."""
    ss = st.session_state
    if not lognormal_on():
        return
    ss["calc_prompt_hist"] = ()
    shape, _ = lognormal_typed()  # a bad value: the page shows its error
    if shape is not None:
        mean = with_lognormal_prompts(Workload(requests_per_day=1, prompt_tokens=1, output_tokens=0), *shape)
        ss[WORKLOAD_KEYS["prompt_tokens"]] = format_count(mean.prompt_tokens)
