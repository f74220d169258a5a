"""Every place the app echoes text a user controls shows it as text, never as Markdown.

Each case sends one hostile payload through one channel (URL description, name, unknown key, invalid value, API id;
uploaded scenario name, description, time zone; uploaded model name and a bad model row) and then reads every
element whose body Streamlit renders as Markdown. The payload must be echoed somewhere (so the case reaches the
screen and the check can fail) and no body may hold it in a form Markdown would interpret: an image or a link, a
heading, raw HTML, a bare URL, an icon short code. ``apphelpers.shown`` undoes the escaping to find the echo.
The browser side (no request leaves for the image) is in ``tests/e2e/test_e2e_uploads.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import yaml
from apphelpers import REPO, new_app, run_page, shown
from streamlit.testing.v1 import AppTest

from costmodel.views.links.query import scenario_to_query
from costmodel.workload.presets import preset
from costmodel.workload.scenario import SelfHostOption, scenario_to_json

IMAGE = "![p](http://127.0.0.1:9/track.png)"
PAYLOAD = f"{IMAGE} <img src=x> :material/home: www.example.org"
HEADING = "a description\n# HUGE"  # a heading on its own line (the issue: `?desc=%23%20HUGE`)

#: Patterns that, found in a Markdown body, mean the payload would be interpreted: image/link syntax or raw HTML
#: without its escaping backslash, a bare URL GFM would link, the icon short code, a heading.
INTERPRETED = re.compile(
    r"(?<!\\)!(?<!\\)\[|(?<!\\)\]\(|(?<!\\)<img|http://127|:material/home:|www\.example|^\s*# HUGE",
    re.MULTILINE,
)


def _bodies(at: AppTest) -> list[str]:
    """Every Markdown body on the page: text elements, alerts, and the help texts of metrics."""
    out: list[str] = []
    for kind in (
        "markdown",
        "caption",
        "error",
        "warning",
        "info",
        "success",
        "subheader",
        "header",
        "title",
    ):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(m.proto.help) for m in at.metric]
    return out


def _check(at: AppTest, payload: str = PAYLOAD) -> None:
    assert not at.exception, [e.value for e in at.exception]
    bodies = _bodies(at)
    assert any(" ".join(payload.split()) in shown(b) for b in bodies), "the payload is not echoed: " + repr(
        bodies
    )
    for b in bodies:
        assert not INTERPRETED.search(b), (INTERPRETED.search(b), b)


def _url_app(**params: str) -> AppTest:
    at = new_app()
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at


@pytest.mark.parametrize(
    "params",
    [
        {"desc": PAYLOAD, "n": "x"},  # the description caption
        {"n": PAYLOAD, "desc": "x"},  # the name in bold in the caption
        {PAYLOAD: "1"},  # an unknown key, named in the error
    ],
    ids=["desc", "name", "unknown-key"],
)
def test_url_text_is_shown_as_text(params: dict[str, str]) -> None:
    _check(_url_app(**params))


def test_a_heading_in_the_description_is_not_a_heading() -> None:
    at = _url_app(desc=HEADING, n="x")
    _check(at, HEADING)


def _upload_scenario(at: AppTest, data: dict[str, object]) -> None:
    at.file_uploader(key="calc_upload_0").set_value(("s.json", json.dumps(data).encode(), "application/json"))
    at.run()


def test_uploaded_scenario_text_and_bad_time_zone_are_shown_as_text() -> None:
    s = preset("chat", dt.date(2026, 11, 1))
    good = json.loads(scenario_to_json(s.model_copy(update={"name": PAYLOAD, "description": PAYLOAD})))
    at = run_page("calculator")
    _upload_scenario(at, good)
    _check(at)

    bad = json.loads(scenario_to_json(s))
    bad["workload"]["timezone"] = IMAGE  # the case: the error echoes the refused value
    at = run_page("calculator")
    _upload_scenario(at, bad)
    _check(at, IMAGE)


def _model_yaml(name: str, hidden_size: int = 4096) -> bytes:
    rows = yaml.safe_load((REPO / "data" / "models.yaml").read_text())["models"]
    row = next(r for r in rows if r["id"] == "deepseek-v4-flash")
    row = {**row, "id": "my-flash", "name": name, "source": "my own measurements"}
    text = yaml.safe_dump({"models": [row]})
    return text.replace("hidden_size: 4096", f"hidden_size: {hidden_size}").encode()


def test_uploaded_model_name_is_text_in_the_calculator_verdict_table_and_warnings() -> None:
    upload = run_page("catalogue")
    upload.file_uploader[0].set_value(("m.yaml", _model_yaml(PAYLOAD), "application/yaml")).run()
    models = upload.session_state["custom_models"]
    assert [m.name for m in models] == [PAYLOAD]
    # a session holding that upload opens a link whose only self-hosting option runs the uploaded model: its
    # label (the model's name) is in the verdict, the metrics' help and the warnings
    s = preset("chat", dt.date(2026, 11, 1))
    opt = SelfHostOption(model="my-flash", gpu="h200")
    s = s.model_copy(update={"self_host_options": (opt,), "api_options": s.api_options[:1]})
    at = new_app()
    at.session_state["custom_models"] = models
    for k, v in scenario_to_query(s).items():
        at.query_params[k] = v
    at.run()
    assert at.session_state["scenario"].self_host_options == (opt,)
    _check(at)


def test_bad_model_row_error_is_text() -> None:
    at = run_page("catalogue")
    at.file_uploader[0].set_value(("m.yaml", _model_yaml(PAYLOAD, hidden_size=-1), "application/yaml")).run()
    assert at.session_state["custom_models"] == []
    assert at.error, "a bad row is an error"
    for b in _bodies(at):
        assert not INTERPRETED.search(b), b


def test_usage_log_file_name_is_text_in_the_import_report() -> None:
    """The log's file name is echoed in the import report; a name that is an image link stays text."""
    logs = REPO / "tests" / "data" / "usage_logs"
    name = "![p](http:127.0.0.1:9) [l](x).csv"
    at = run_page("calculator")
    at.file_uploader(key="calc_log_upload_0").set_value(
        (name, (logs / "generic.csv").read_bytes(), "text/csv")
    ).run()
    assert at.session_state["calc_log"] is not None
    _check(at, name)
