"""The Calculator reads back exactly what it writes into its widgets and links (issue 27, class 1), and reads the
raw query string itself (class 2: keys given twice, too many parameters, values too long are said, not dropped).
"""

from __future__ import annotations

import datetime as dt

import pytest
from apphelpers import new_app, run_page
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
