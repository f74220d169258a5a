"""DeepSeek-V4.1-Flash served: Engram tables in the memory plan, and the smallest deployments against the published
recipes (facts-2026-12 §1.6: "start at four Blackwell-class GPUs or eight H200s"; Dynamo H200 recipes are TP4
workers, 8 disaggregated or 16 aggregated)."""

from __future__ import annotations

import pytest

from costmodel import serving
from costmodel.catalog import load_catalogue
from costmodel.serving.memory import engram_bytes_per_gpu, engram_seconds_per_token
from costmodel.serving.weights import engram_params, model_profile

CAT = load_catalogue()
V41 = CAT.model("deepseek-v4.1-flash")


def test_engram_tables_match_the_config_arithmetic() -> None:
    """(384,006,168 + 384,016,682) x 256 = 196.6B params; x (256 + 8) B per row / 256 = 202.8 GB = 188.8 GiB
    (SGLang: "about 189 GiB together")."""
    assert engram_params(V41) / 1e9 == pytest.approx(196.6, abs=0.05)
    p = model_profile(V41)
    assert p.engram_bytes / 1e9 == pytest.approx(202.8, abs=0.05)
    assert p.engram_bytes / 2**30 == pytest.approx(188.8, abs=0.1)
    assert model_profile(CAT.model("deepseek-v4-flash")).engram_bytes == 0


def test_placements_cost_memory_and_time_as_stated() -> None:
    p, b200 = model_profile(V41), CAT.gpu("b200")
    assert engram_bytes_per_gpu(p, 4, "peer") == pytest.approx(p.engram_bytes / 4)
    assert engram_bytes_per_gpu(p, 4, "host") == 0
    assert engram_bytes_per_gpu(p, 4, "hbm") == p.engram_bytes
    # host reads all rows over PCIe, peer only the remote 3/4 over NVLink: host is the slower
    assert engram_seconds_per_token(p, b200, 4, "host") > engram_seconds_per_token(p, b200, 4, "peer") > 0


def _smallest(gpu_id: str, placement: str = "peer") -> serving.MemoryPlan:
    wp = serving.workpoint(V41, "native", context_tokens=8192, prompt_tokens=2048)
    return serving.memory_plan(
        wp.profile,
        CAT.gpu(gpu_id),
        kv_bytes_per_seq=wp.kv_bytes_per_seq,
        engram_placement=placement,  # type: ignore[arg-type]
    )


def test_smallest_deployments_follow_the_recipes() -> None:
    b200, h200 = _smallest("b200"), _smallest("h200")
    assert b200.fits and b200.gpus == 4  # "four Blackwell-class GPUs"
    assert h200.fits and h200.gpus == 4 and h200.tp_size == 4  # one TP4 worker, as the H200 recipes' workers
    assert h200.kv_room_bytes_per_gpu < 2e9  # ...nearly full: the recipes pair two (8) or run four (16)
    # tables in host memory free the HBM: 2 B200 then hold the backbone (SGLang's cpu placement for small groups)
    assert _smallest("b200", "host").gpus == 2
    # a full copy per GPU (202.8 GB) fits on no single GPU of the catalogue
    assert not _smallest("b200", "hbm").fits
