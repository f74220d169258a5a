"""Whatever the product writes into a widget or a link, it reads back exactly.

One writer (:func:`costmodel.catalog.units.format_count`) and one reader (:func:`costmodel.catalog.units.parse_count`)
for every count the Calculator shows as text; the property tests cover each field's whole range, and the widget
round trip (scenario -> share link -> widgets -> scenario) is run with the page's own load and read functions.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from urllib.parse import urlencode

import pytest
import streamlit
from hypothesis import given
from hypothesis import strategies as st

from app_pages import calc_fields as cf
from app_pages import calc_state as cs
from costmodel.catalog import Catalogue
from costmodel.catalog.units import format_count, parse_count
from costmodel.views.links.query import (
    parse_query_string,
    scenario_from_query,
    scenario_from_query_string,
    scenario_to_query,
)
from costmodel.workload.presets import preset
from costmodel.workload.scenario import (
    MAX_QUERY_PARAMS,
    MAX_REQUESTS_PER_DAY,
    MAX_TOKENS_PER_REQUEST,
    MIN_REQUESTS_PER_DAY,
    Scenario,
    ServingAssumptions,
    Workload,
)

DEFAULT = preset("chat", dt.date(2026, 11, 28))


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


RPD = _floats(MIN_REQUESTS_PER_DAY, MAX_REQUESTS_PER_DAY)
TOKENS = st.integers(0, MAX_TOKENS_PER_REQUEST)


# ---- the writer/reader pair ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "text"),
    [
        (
            666666666.6666666,
            "666,666,666.6666666",
        ),  # ?rpd=666666666.6666666 was shown as 6.66667e+08, then refused
        (10e6 / 7, "1,428,571.4285714286"),  # a log with 10M requests over 7 days
        (12345.678, "12,345.678"),  # was cut to 12,345.7 (six significant digits)
        (2e6, "2,000,000"),
        (0.001, "0.001"),
        (1e10, "10,000,000,000"),
    ],
)
def test_counts_are_written_exactly_and_read_back(value: float, text: str) -> None:
    assert format_count(value) == text
    assert parse_count(text) == value


@given(RPD)
def test_every_request_rate_reads_back_bit_for_bit(v: float) -> None:
    text = format_count(v)
    assert "e" not in text.lower()  # an exponent is not something the field accepts
    assert parse_count(text) == v


@given(TOKENS)
def test_every_token_count_reads_back(v: int) -> None:
    assert parse_count(format_count(v), binary=True, whole=True) == v


@given(st.floats(0, 1e15, exclude_max=True, allow_nan=False))
def test_any_count_below_the_reader_limit_reads_back(v: float) -> None:
    assert parse_count(format_count(v)) == v


@pytest.mark.parametrize("bad", [-1.0, math.inf, math.nan, 1e16])
def test_the_writer_refuses_what_is_not_a_count(bad: float) -> None:
    with pytest.raises(ValueError, match="count"):
        format_count(bad)


# ---- the widgets: a share link loaded into the Calculator's state reads back the same scenario ------------------
class _State(dict[str, Any]):
    """A stand-in for ``st.session_state`` (the page's functions use it as a mapping)."""


def _through_widgets(s: Scenario, catalogue: Catalogue) -> Scenario:
    state = _State()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(streamlit, "session_state", state)
        return _load_and_read(s, catalogue, state)


def _load_and_read(s: Scenario, catalogue: Catalogue, state: _State) -> Scenario:
    linked, ignored = scenario_from_query(scenario_to_query(s), DEFAULT)
    assert ignored == [] and linked == s  # the link itself is exact
    cs.load(linked)
    assert cs.parse_counts()[1] is None
    raw = cs.read(
        state["calc_profile_base"], state["calc_sh_base"], cs.api_choices(catalogue, None), gpu_price=None
    )
    back, error = cf.validate(raw)
    assert error is None, error
    assert back is not None
    return back


WORKLOADS = st.fixed_dictionaries(
    {
        "requests_per_day": RPD,
        "prompt_tokens": st.integers(1, MAX_TOKENS_PER_REQUEST),
        "output_tokens": TOKENS,
        "reasoning_multiplier": _floats(1.0, 100.0),
        "cache_hit_fraction": _floats(0.0, 1.0),
        "weekend_day_weight": _floats(0.0, 100.0),
        "days_per_month": _floats(*cf.field_bounds(Workload, "days_per_month")),  # type: ignore[arg-type]
    }
)
ASSUMPTIONS = st.fixed_dictionaries(
    {
        f.field: _floats(*(float(b) for b in cf.field_bounds(ServingAssumptions, f.field)))  # type: ignore[arg-type]
        for f in (*cf.ASSUMPTION_INPUTS, *cf.TCO_INPUTS)
    }
)


@given(workload=WORKLOADS, assumptions=ASSUMPTIONS, growth=_floats(0.0, 10.0))
def test_a_share_link_through_the_widgets_is_the_same_scenario(
    workload: dict[str, Any],
    assumptions: dict[str, Any],
    growth: float,
    catalogue: Catalogue,
) -> None:
    try:
        s = DEFAULT.model_copy(
            update={
                "workload": Workload.model_validate({**DEFAULT.workload.model_dump(), **workload}),
                "assumptions": ServingAssumptions.model_validate(
                    {**DEFAULT.assumptions.model_dump(), **assumptions}
                ),
                "monthly_growth_fraction": growth,
            }
        )
        Scenario.model_validate(s.model_dump())
    except ValueError:  # a combination the model refuses (e.g. a strict bound): not a scenario to share
        return
    assert _through_widgets(s, catalogue) == s


# ---- the query-string reader: every value of every key, and the limits said --------------------------------
LINK = scenario_to_query(DEFAULT.model_copy(update={"name": "shared & linked", "description": "a=b&c"}))


@given(twice=st.sets(st.sampled_from(sorted(LINK)), min_size=1), order=st.randoms())
def test_a_key_given_twice_is_reported_and_only_it(twice: set[str], order: Any) -> None:
    pairs = [(k, v) for k, v in LINK.items()] + [(k, LINK[k]) for k in twice]
    order.shuffle(pairs)
    _, ignored = scenario_from_query_string(urlencode(pairs), DEFAULT)
    assert sorted(ignored) == sorted(twice)
    assert scenario_from_query_string(urlencode(list(LINK.items())), DEFAULT) == (
        scenario_from_query(LINK, DEFAULT)[0],
        [],
    )


@given(n=st.integers(MAX_QUERY_PARAMS + 1, 3 * MAX_QUERY_PARAMS))
def test_past_the_parameter_limit_none_is_used_and_the_count_is_said(n: int) -> None:
    raw = "&".join(f"k{i}=1" for i in range(n - 1)) + "&rpd=5"
    params, refused = parse_query_string(raw)
    assert params == {} and refused is not None and f"{n:,} parameters" in refused
    assert scenario_from_query_string(raw, DEFAULT) == (DEFAULT, [refused])


def test_a_huge_query_string_is_refused_before_it_is_parsed() -> None:
    raw = "ph=" + "1" * (20 * 2**20)  # a 20 MB ph value (the 19.9 MB)
    params, refused = parse_query_string(raw)
    assert params == {} and refused is not None and "the limit is 524,288" in refused
