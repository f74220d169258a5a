"""Uploads in a real browser (AppTest cannot drive st.file_uploader): the size cap and a good model file."""

from __future__ import annotations

import re

import pytest
from conftest import Server
from e2ehelpers import wait_for_app
from playwright.sync_api import Page, expect

GQA_MODEL = """\
models:
  - id: my-dense-gqa
    name: My dense GQA model
    provider: me
    open_weights: true
    attention: gqa
    total_params_b: 8
    active_params_b: 8
    context_window_tokens: 131072
    max_output_tokens: 8192
    weight_precision: {dense: bf16}
    config: {num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8,
             head_dim: 128, intermediate_size: 14336, vocab_size: 128256}
    source: my own config.json
    as_of: 2026-11-01
    confidence: derived
"""


def _upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_role("tab", name="overrides").click()  # the uploader lives on the overrides tab
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
        {"name": name, "mimeType": "application/x-yaml", "buffer": data}
    )
    page.wait_for_timeout(500)
    wait_for_app(page)


@pytest.mark.e2e
def test_model_upload_over_the_cap_is_refused_with_one_error(page: Page, app_server: Server) -> None:
    page.goto(f"{app_server.url}/catalogue")
    wait_for_app(page)
    # 2.5 MB of valid YAML comments: over the 2 MB the label states, which is the widget's own limit
    _upload(page, "big.yaml", b"models: []\n" + b"# padding\n" * 250_000)
    expect(page.get_by_text("Model file (YAML or JSON, up to 2 MB)")).to_be_visible()
    # the widget's own refusal, stating the same limit
    expect(
        page.get_by_text(re.compile(r"(exceeds|must be|larger than|too large).*2(\.0)? ?MB", re.I)).first
    ).to_be_visible()
    expect(page.get_by_text("Your models in use")).to_have_count(0)  # nothing was parsed or added
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.e2e
def test_good_model_upload_is_used(page: Page, app_server: Server) -> None:
    page.goto(f"{app_server.url}/catalogue")
    wait_for_app(page)
    _upload(page, "gqa.yaml", GQA_MODEL.encode())
    expect(page.get_by_text("Your models in use: my-dense-gqa")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
