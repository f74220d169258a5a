"""DeepSeek-V4.1 CSA2: the closed forms of costmodel.attention.csa2 equal the numpy simulation (sim_csa2), layer by
layer, and the real config gives the published KV bytes and active parameters."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from costmodel.attention import (
    CSA2Reindex,
    CSA2Reuse,
    CSA2Source,
    KvDtype,
    attention_prefill_flops,
    kv_cache_bytes,
    layer_mechanisms,
    layer_schedule,
)
from costmodel.attention.compute import param_counts, prefill_active_params, prefill_flops
from costmodel.attention.sim import simulate_layer
from costmodel.attention.sim_csa2 import simulate_csa2
from costmodel.catalog import load_catalogue
from tests.unit.model_factory import make_model, tiny_v41

LENGTH = 48


def test_roles_follow_the_config() -> None:
    mechs = layer_mechanisms(tiny_v41(), include_mtp=True)
    assert [m.kind for m in mechs] == [
        "swa",
        "csa2_source",
        "csa2_reuse",
        "csa2_source",
        "csa2_reuse",
        "csa2_source",
        "csa2_reuse",
        "csa2_reindex",
        "csa2_reuse",
        "csa2_reuse",
        "swa",
    ]
    assert [getattr(m, "source_layer", None) for m in mechs[1:10]] == [1, 1, 3, 3, 5, 5, 5, 5, 5]
    assert [getattr(m, "prefill_tail", 0) for m in mechs] == [0] * 6 + [4] * 4 + [0]
    cand = mechs[5]
    assert isinstance(cand, CSA2Source) and cand.candidate_blocks == 3 and cand.pool_tokens == 6
    assert isinstance(mechs[7], CSA2Reindex) and mechs[7].pool_tokens == 6
    assert isinstance(mechs[2], CSA2Reuse) and mechs[2].pool_tokens == 0


@pytest.mark.parametrize("kv_dtype", ["deployed", "bf16"])
@pytest.mark.parametrize("topk,blocks,size", [(3, 3, 2), (2, 2, 4), (5, 5, 1)])
def test_closed_forms_equal_the_simulation_per_layer(
    kv_dtype: KvDtype, topk: int, blocks: int, size: int
) -> None:
    mechs = layer_mechanisms(tiny_v41(topk=topk, blocks=blocks, block_size=size), include_mtp=True)
    sims = simulate_csa2(mechs, LENGTH, kv_dtype, seed=3)
    t = np.arange(1, LENGTH + 1, dtype=np.float64)
    for j, (m, r) in enumerate(zip(mechs, sims, strict=True)):
        assert np.array_equal(r.macs, m.macs(t)), j
        assert np.array_equal(r.stored_bytes, m.kv_cache_bytes(t, kv_dtype)), j
        assert np.array_equal(r.read_bytes, m.kv_read_bytes(t, kv_dtype)), j
        idx = m.index_macs_sum(t) - m.index_macs_sum(t - 1)
        assert np.array_equal(r.index_macs, idx), j
        assert r.macs.sum() == m.macs_sum(np.float64(LENGTH)), j
        if isinstance(m, CSA2Source):
            assert np.array_equal(r.pool_macs, m.pool_macs(t)), j


def test_whole_model_kv_and_prefill_equal_the_simulation() -> None:
    model = tiny_v41()
    mechs = layer_mechanisms(model)
    decode = simulate_csa2(mechs, LENGTH, "deployed", seed=1)
    assert sum(r.stored_bytes[-1] for r in decode) == kv_cache_bytes(model, LENGTH)
    prefill = simulate_csa2(mechs, LENGTH, "deployed", seed=1, prefill=True)
    assert 2 * sum(int(r.macs.sum()) for r in prefill) == attention_prefill_flops(model, LENGTH)
    assert 2 * sum(int(r.index_macs.sum()) for r in prefill) == attention_prefill_flops(
        model, LENGTH, part="indexer"
    )
    # decoder layers run only the last `window` positions: fewer MACs than a decode of every position
    assert sum(int(r.macs.sum()) for r in prefill) < sum(int(r.macs.sum()) for r in decode)


def test_decoder_prefill_with_a_cached_prefix_runs_the_request_tail() -> None:
    """Positions c+1..p; decoder layers only max(c, p - window)+1..p."""
    model = tiny_v41(window=4)
    mechs = layer_mechanisms(model)
    p, c = np.float64(40), np.float64(30)
    want = sum(
        m.macs_sum(p) - m.macs_sum(max(c, p - 4) if getattr(m, "prefill_tail", 0) else c) for m in mechs
    )
    assert attention_prefill_flops(model, p, c) == 2 * want
    assert attention_prefill_flops(model, 40, 38) == 2 * sum(m.macs_sum(p) - m.macs_sum(38.0) for m in mechs)


def test_a_csa2_layer_alone_is_not_simulated() -> None:
    with pytest.raises(TypeError, match="source layer"):
        simulate_layer(layer_mechanisms(tiny_v41())[2], 8)


def test_schema_refuses_inconsistent_csa2_configs() -> None:
    with pytest.raises(ValidationError, match="first compressed layer"):
        make_model(
            "v41_csa2",
            num_hidden_layers=3,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=8,
            qk_rope_head_dim=2,
            sliding_window=4,
            compress_ratios=[0, 2, 2],
            index_n_heads=1,
            index_head_dim=4,
            index_topk=2,
            kv_source_layer_ids=[2],
            index_source_layer_ids=[2],
        )
    with pytest.raises(ValidationError, match="unsupported ratios"):
        make_model(
            "v41_csa2",
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=1,
            head_dim=8,
            qk_rope_head_dim=2,
            sliding_window=4,
            compress_ratios=[0, 4],
            index_n_heads=1,
            index_head_dim=4,
            index_topk=2,
            kv_source_layer_ids=[1],
            index_source_layer_ids=[1],
        )


# ---- the real config (data/models.yaml; facts-2026-12 §1) -------------------------------------------------------

CAT = load_catalogue()
V41 = CAT.model("deepseek-v4.1-flash")
V4 = CAT.model("deepseek-v4-flash")
ONE_M = 1_048_576


def test_v41_flash_schedule() -> None:
    kinds = layer_schedule(V41)
    assert kinds.count("csa2_source") == 4 and kinds.count("csa2_reindex") == 4
    assert kinds.count("csa2_reuse") == 30 and kinds.count("swa") == 2


def test_v41_kv_is_within_5_percent_of_the_published_890_bytes_per_token() -> None:
    """Abstract (official): 890 B/token of global KV. Ours: 2.5 entries/token x (288 + 72) B = 900, plus the 40
    layers' 128-token windows (~2.8 B/token at 1M) = 902.8 B/token (+1.4%)."""
    per_token = float(kv_cache_bytes(V41, ONE_M)) / ONE_M
    assert per_token == pytest.approx(890, rel=0.05)
    assert per_token == pytest.approx(902.8, abs=0.1)
    # "roughly 1/4" of V4-Flash's
    assert float(kv_cache_bytes(V41, ONE_M) / kv_cache_bytes(V4, ONE_M)) == pytest.approx(0.25, abs=0.03)
    # BF16: 2.5 x 640 x 2 = 3,200 B/token, ATOM's page_bytes == 16*(3/2+1)*(512+128)*2 per 16 tokens
    bf16 = float(kv_cache_bytes(V41, ONE_M, "bf16")) / ONE_M
    assert bf16 == pytest.approx(3200, rel=0.01)


def test_v41_parameters_match_the_abstract() -> None:
    """Abstract (official): 552B backbone, 16B active in decode and 8B in prefill."""
    counts = param_counts(V41)
    assert counts.total / 1e9 == pytest.approx(552, rel=0.01)
    assert counts.active / 1e9 == pytest.approx(16, rel=0.03)
    assert prefill_active_params(V41) / 1e9 == pytest.approx(8, rel=0.03)
    # per-token prefill FLOPs of a long prompt follow the 8B, not the 16B
    linear_per_token = (
        float(prefill_flops(V41, 65_536)) - float(attention_prefill_flops(V41, 65_536))
    ) / 65_536
    assert linear_per_token / 2e9 == pytest.approx(8, rel=0.05)


def test_fp4_kv_tables_store_and_round_trip_what_they_claim() -> None:
    from costmodel.attention.sim import EntryTable

    src = layer_mechanisms(V41)[2]
    assert isinstance(src, CSA2Source)
    glob = EntryTable(src.global_layout("deployed"), 2)
    index = EntryTable(src.index_layout("deployed"), 2)
    assert (glob.row_nbytes, index.row_nbytes) == (288, 72)  # 256 + 32 scales, 64 + 8
    x = np.random.default_rng(0).standard_normal(512)
    glob.write(0, x)
    back, read = glob.read(np.array([0]))
    assert read == 288
    assert np.max(np.abs(back[0] - x)) <= np.max(np.abs(x)) / 7  # within one FP4 step of each block
