"""The Calculator reads back exactly what it writes into its widgets and links, and reads the
raw query string itself (keys given twice, too many parameters, values too long are said, not dropped).
"""

from __future__ import annotations

import datetime as dt

import pytest
from apphelpers import new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from costmodel.workload.presets import preset
from costmodel.workload.scenario import Scenario, scenario_to_json


def _scenario(at: AppTest) -> Scenario:
    s: Scenario = at.session_state["scenario"]
    return s


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("rpd", [666666666.6666666, 10e6 / 7, 12345.678])
def test_a_share_link_with_a_fractional_count_is_read_back_exactly(rpd: float) -> None:
    at = new_app()
    at.query_params["rpd"] = repr(rpd)
    at.run()
    _ok(at)
    assert _scenario(at).workload.requests_per_day == rpd  # bit for bit, as the CLI reads the same value
    assert at.text_input(key="calc_rpd").value == f"{int(rpd):,}" + repr(rpd)[len(str(int(rpd))) :]


def test_an_uploaded_scenario_with_a_fractional_count_is_read_back_exactly() -> None:
    want = preset("chat", dt.date(2026, 11, 1))
    want = want.model_copy(
        update={"workload": want.workload.model_copy(update={"requests_per_day": 666666666.6666666})}
    )
    at = run_page("calculator")
    at.file_uploader(key="calc_upload_0").set_value(
        ("s.json", scenario_to_json(want).encode(), "application/json")
    )
    at.run()
    _ok(at)
    assert _scenario(at) == want


# ---- the raw query string --------------------------------------------------------------------------------------
def _notice(at: AppTest) -> str:
    return " ".join(shown(e.value) for e in at.error)


def test_a_url_key_given_twice_is_named_and_neither_value_used() -> None:
    at = new_app()
    at.query_params["rpd"] = ["1", "2"]  # ?rpd=1&rpd=2: Streamlit's to_dict() kept the last one, with no word
    at.query_params["pt"] = "4096"
    at.run()
    assert not at.exception
    assert "given more than once): rpd." in _notice(at), _notice(at)
    s = _scenario(at)
    assert s.workload.requests_per_day == preset("chat", s.as_of).workload.requests_per_day  # the default
    assert s.workload.prompt_tokens == 4096  # the other values are used


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        (
            {f"k{i}": "1" for i in range(1001)} | {"rpd": "5"},
            "all 1,002 parameters (more than 1,000: none was used)",
        ),
        ({"rpd": "5", "n": "x" * 600_000}, "the whole query string (600,"),  # a 600 KB value
        ({"rpd": "5", "desc": "y" * 5000}, "desc"),  # one value over 4,000 characters: that key only
    ],
)
def test_a_url_past_the_limits_is_said_not_silently_dropped(params: dict[str, str], needle: str) -> None:
    at = new_app()
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert needle in _notice(at), _notice(at)[:300]
    assert len(at.error) == 1
