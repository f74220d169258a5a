"""Attention lab: the 1M-token ratios on screen are the model's, and the controls change them."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from apphelpers import run_page

from costmodel.attention import kv_cache_bytes
from costmodel.attention.compute import flops_per_token
from costmodel.catalog import load_catalogue

ONE_M = 2**20


def _metric(at: object, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)  # type: ignore[attr-defined]


def test_v4_ratios_at_1m_match_the_model() -> None:
    cat = load_catalogue()
    base = cat.model("deepseek-v3.2")
    at = run_page("attention_lab")
    assert not at.exception
    for mid in ("deepseek-v4-pro", "deepseek-v4-flash"):
        m = cat.model(mid)
        kv = (kv_cache_bytes(m, ONE_M) / kv_cache_bytes(base, ONE_M)).item()
        fl = (flops_per_token(m, ONE_M) / flops_per_token(base, ONE_M)).item()
        assert _metric(at, f"{mid}: KV cache vs deepseek-v3.2") == f"{kv:.0%}"
        assert _metric(at, f"{mid}: FLOPs per token vs deepseek-v3.2") == f"{fl:.0%}"


def test_published_shape_v4_pro_about_10pct_kv_and_a_quarter_flops() -> None:
    at = run_page("attention_lab")
    assert _metric(at, "deepseek-v4-pro: KV cache vs deepseek-v3.2") == "10%"
    assert 20 <= int(_metric(at, "deepseek-v4-pro: FLOPs per token vs deepseek-v3.2").rstrip("%")) <= 30
    assert _metric(at, "deepseek-v4-flash: KV cache vs deepseek-v3.2") == "7%"


def test_changing_baseline_changes_ratios() -> None:
    at = run_page("attention_lab")
    at.selectbox(key="lab_baseline").select("deepseek-v4-pro").run()
    assert not at.exception
    assert _metric(at, "deepseek-v4-pro: KV cache vs deepseek-v4-pro") == "100%"


@pytest.mark.parametrize("measure", ["kv_cache_mb", "attention_flops"])
def test_per_layer_breakdown_counts_every_layer(measure: str) -> None:
    cat = load_catalogue()
    at = run_page("attention_lab")
    at.selectbox(key="lab_layer_model").select("deepseek-v4-flash")
    at.segmented_control(key="lab_layer_measure").set_value(measure).run()
    summary = at.dataframe[-1].value
    n_layers = cat.model("deepseek-v4-flash").config.num_hidden_layers  # type: ignore[union-attr]
    assert summary["layers"].sum() == n_layers
    assert set(summary["mechanism"]) == {"swa", "csa", "hca"}


def test_live_simulation_marks_what_the_query_reads() -> None:
    at = run_page("attention_lab")
    at.select_slider(key="lab_sim_window").set_value(16)
    at.select_slider(key="lab_sim_length").set_value(128).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 5  # 3 curves, the per-layer bars and the heatmap
    heatmap = at.get("vega_lite_chart")[-1].proto
    assert json.loads(heatmap.spec)["title"] == "What the query at position 128 reads"
    (dataset,) = heatmap.datasets
    df = pa.ipc.open_stream(dataset.data.data).read_pandas()  # what the app drew, with the sliders' values
    win = df[(df["mechanism"] == "V4 window-only layer")]
    assert sorted(win["position"]) == list(range(112, 128))  # the last 16 positions, nothing else
    csa = df[(df["mechanism"] == "V4 CSA layer") & (df["what"] == "blocks selected (top-k)")]
    assert len(csa) == 8 and (csa["position"] % 4 == 0).all()
    hca = df[(df["mechanism"] == "V4 HCA layer") & (df["what"] == "compressed blocks (all)")]
    assert sorted(hca["position"]) == list(range(0, 128, 32))  # every complete block of 32
    assert (hca["position_end"] - hca["position"] == 32).all()
