"""The closed forms equal the numpy simulation, exactly, over a grid of small configs and lengths.

The simulation (costmodel/attention/sim.py) executes each mechanism on random tensors and counts MACs and
stored/read bytes as it goes. Each run records every step t = 1..L, so one run checks all shorter contexts:
shorter than the window, shorter than top-k, not a multiple of the compression ratio, a single token.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.attention import (
    CSA,
    DSA,
    HCA,
    MLA,
    DenseAttention,
    Mechanism,
    V4Attention,
    attention_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.attention.common import KvDtype
from costmodel.attention.sim import EntryTable, simulate_layer, simulate_model
from tests.unit.model_factory import make_model, tiny_v4

MECHANISMS: dict[str, Mechanism] = {
    "mha": DenseAttention("mha", 3, 3, 8, 8),
    "gqa": DenseAttention("gqa", 4, 2, 8, 6),
    "mqa": DenseAttention("mqa", 4, 1, 6, 6),
    "mla": MLA(3, 16, 4),
    "dsa": DSA(3, 16, 4, index_n_heads=2, index_head_dim=8, index_topk=5),
    "swa": V4Attention(2, 12, 4, window=8),
    "hca": HCA(2, 12, 4, window=8, ratio=16),
    "csa": CSA(2, 12, 4, window=8, index_n_heads=2, index_head_dim=8, index_topk=3, ratio=4),
    "csa-real-dims": CSA(2, 512, 64, window=16, index_n_heads=2, index_head_dim=128, index_topk=6, ratio=4),
    "dsa-real-dims": DSA(2, 512, 64, index_n_heads=2, index_head_dim=128, index_topk=7),
}


def _assert_equal(mech: Mechanism, length: int, kv_dtype: KvDtype, seed: int = 0) -> None:
    sim = simulate_layer(mech, length, kv_dtype, seed)
    t = np.arange(1, length + 1, dtype=np.float64)
    np.testing.assert_array_equal(sim.macs, mech.macs(t))
    np.testing.assert_array_equal(sim.stored_bytes, mech.kv_cache_bytes(t, kv_dtype))
    np.testing.assert_array_equal(sim.read_bytes, mech.kv_read_bytes(t, kv_dtype))
    np.testing.assert_array_equal(np.cumsum(sim.macs), mech.macs_sum(t))
    if isinstance(mech, (DSA, CSA)):
        np.testing.assert_array_equal(sim.index_macs, mech.index_macs(t))
    if isinstance(mech, (CSA, HCA)):
        np.testing.assert_array_equal(sim.pool_macs, mech.pool_macs(t))


@pytest.mark.parametrize("kv_dtype", ["deployed", "bf16"])
@pytest.mark.parametrize("name", list(MECHANISMS))
def test_closed_form_equals_simulation(name: str, kv_dtype: KvDtype) -> None:
    # 70 steps: past the window (8/16), past top-k (3-7 entries = 12-28 tokens for CSA), several
    # compression blocks (4 and 16), and every non-multiple in between; t = 1 is the first step.
    _assert_equal(MECHANISMS[name], 70, kv_dtype)


@pytest.mark.parametrize("length", [1, 2, 3, 7, 8, 9, 11, 12, 13, 16, 17])
def test_edge_lengths_one_run_each(length: int) -> None:
    # A fresh run per length (not a prefix of a longer run): single token, < window, = window, > window,
    # < top-k·ratio, = top-k·ratio, not a multiple of the ratio.
    for mech in MECHANISMS.values():
        _assert_equal(mech, length, "deployed", seed=length)


@settings(max_examples=30, deadline=None)
@given(
    n_heads=st.integers(1, 4),
    head_dim=st.integers(5, 40),
    rope_dim=st.integers(0, 4),
    window=st.integers(1, 20),
    ratio=st.integers(1, 9),
    topk=st.integers(1, 12),
    idx_heads=st.integers(1, 3),
    idx_dim=st.integers(1, 70),
    length=st.integers(1, 90),
    bf16=st.booleans(),
)
def test_random_v4_configs(
    n_heads: int,
    head_dim: int,
    rope_dim: int,
    window: int,
    ratio: int,
    topk: int,
    idx_heads: int,
    idx_dim: int,
    length: int,
    bf16: bool,
) -> None:
    dtype: KvDtype = "bf16" if bf16 else "deployed"
    base = V4Attention(n_heads, head_dim, rope_dim, window)
    _assert_equal(base, length, dtype)
    _assert_equal(HCA(n_heads, head_dim, rope_dim, window, ratio=ratio), length, dtype)
    csa = CSA(n_heads, head_dim, rope_dim, window, idx_heads, idx_dim, topk, ratio=ratio)
    _assert_equal(csa, length, dtype)
    _assert_equal(DSA(n_heads, head_dim, rope_dim, idx_heads, idx_dim, topk), length, dtype)


@pytest.mark.slow  # ~2.2 s: three step-by-step simulations of 2,000 tokens
def test_a_few_thousand_tokens() -> None:
    # Realistic ratios/window at reduced heads: CSA top-64 (crossed at t = 256), HCA 128, DSA top-256.
    _assert_equal(
        CSA(4, 64, 16, 128, index_n_heads=4, index_head_dim=32, index_topk=64, ratio=4), 2000, "deployed"
    )
    _assert_equal(HCA(4, 64, 16, 128, ratio=128), 2000, "deployed")
    _assert_equal(DSA(4, 64, 16, 4, 32, 256), 2000, "bf16")


MODELS = {
    "v4-hybrid": tiny_v4(),
    "v4-flash-like": tiny_v4(ratios=(0, 0, 4, 128, 4, 128, 4, 0), window=8, ratio_topk=2),
    "dsa": make_model(
        "mla_dsa",
        num_hidden_layers=3,
        num_attention_heads=2,
        kv_lora_rank=16,
        qk_rope_head_dim=4,
        qk_nope_head_dim=8,
        v_head_dim=8,
        index_n_heads=2,
        index_head_dim=8,
        index_topk=6,
        num_nextn_predict_layers=1,
    ),
    "gqa": make_model("gqa", num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=8),
}


@pytest.mark.parametrize("include_mtp", [False, True])
@pytest.mark.parametrize("kv_dtype", ["deployed", "bf16"])
@pytest.mark.parametrize("name", list(MODELS))
def test_whole_model_public_functions_equal_simulation(
    name: str, kv_dtype: KvDtype, include_mtp: bool
) -> None:
    model, length = MODELS[name], 300  # 128-ratio layers compress twice
    sim = simulate_model(model, length, kv_dtype, include_mtp=include_mtp)
    t = np.arange(1, length + 1)
    np.testing.assert_array_equal(
        sim.stored_bytes, kv_cache_bytes(model, t, kv_dtype, include_mtp=include_mtp)
    )
    np.testing.assert_array_equal(
        sim.read_bytes, kv_read_bytes_per_token(model, t, kv_dtype, include_mtp=include_mtp)
    )
    np.testing.assert_array_equal(2 * sim.macs, attention_flops_per_token(model, t, include_mtp=include_mtp))
    prompt = simulate_model(model, length, kv_dtype, include_mtp=include_mtp, prefill=True)
    np.testing.assert_array_equal(
        2 * np.cumsum(prompt.macs), attention_prefill_flops(model, t, include_mtp=include_mtp)
    )
    np.testing.assert_array_equal(
        2 * np.cumsum(prompt.index_macs),
        attention_prefill_flops(model, t, include_mtp=include_mtp, part="indexer"),
    )


def test_simulated_layouts_store_what_they_claim() -> None:
    # The simulation's arrays have the byte sizes docs/sources.md §2.2 gives: V4 entry 448 FP8 + 64 BF16 = 576 B,
    # V3.2 fp8_ds_mla 656 B, its FP8 indexer key 132 B; our FP4 indexer key choice 64 + 4 = 68 B.
    v4 = V4Attention(128, 512, 64, 128)
    assert EntryTable(v4.entry_layout("deployed"), 1).row_nbytes == 576
    assert EntryTable(v4.entry_layout("bf16"), 1).row_nbytes == 1024
    dsa = DSA(128, 512, 64, 64, 128, 2048)
    assert EntryTable(dsa.entry_layout("deployed"), 1).row_nbytes == 656
    assert EntryTable(dsa.index_layout("deployed"), 1).row_nbytes == 132
    assert EntryTable(dsa.entry_layout("bf16"), 1).row_nbytes == 1152
    csa = CSA(128, 512, 64, 128, 64, 128, 1024)
    assert EntryTable(csa.index_layout("deployed"), 1).row_nbytes == 68


def test_quantised_cache_round_trips() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 576 + 0))
    for layout in (
        DSA(1, 512, 64, 1, 128, 1).entry_layout("deployed"),
        V4Attention(1, 576, 64, 1).entry_layout("deployed"),
    ):
        table = EntryTable(layout, 5)
        for i in range(5):
            table.write(i, x[i])
        back, nbytes = table.read(np.arange(5))
        assert nbytes == 5 * layout.nbytes
        assert np.max(np.abs(back - x)) < 0.05  # FP8 / BF16 stand-in precision
    fp4 = CSA(1, 8, 0, 1, 1, 128, 1).index_layout("deployed")
    table = EntryTable(fp4, 1)
    table.write(0, x[0, :128])
    back, _ = table.read(np.arange(1))
    assert np.corrcoef(back[0], x[0, :128])[0, 1] > 0.95  # 4-bit: coarse but faithful


def test_layouts_change_bytes_not_the_computation() -> None:
    # Same random stream, two layouts: attention outputs agree to quantisation precision (selection unaffected:
    # top-k >= entries here), so the simulation really attends over what it decoded from the cache.
    for mech in (MECHANISMS["mla"], MECHANISMS["gqa"], HCA(2, 12, 4, 8, ratio=4), DSA(3, 16, 4, 2, 8, 50)):
        a = simulate_layer(mech, 40, "bf16", seed=3).output
        b = simulate_layer(mech, 40, "deployed", seed=3).output
        np.testing.assert_allclose(a, b, atol=0.1)


#: Prefill kernels: dense MLA in MHA mode, DSA as masked MHA up to top-k and sparse MQA beyond.
PREFILL_MECHANISMS: dict[str, Mechanism] = {
    **MECHANISMS,
    "mla-mha-mode": MLA(3, 16, 4, nope_dim=6, v_dim=5),
    "dsa-mha-mode": DSA(3, 16, 4, index_n_heads=2, index_head_dim=8, index_topk=5, nope_dim=6, v_dim=5),
}


@pytest.mark.parametrize("name", list(PREFILL_MECHANISMS))
def test_prefill_closed_form_equals_simulation(name: str) -> None:
    """Prefilling positions 1..n: the simulator runs the prompt kernels and counts MACs as it goes; the closed
    form ``prefill_macs_sum`` (and its indexer share) must give the same totals at every n."""
    mech = PREFILL_MECHANISMS[name]
    sim = simulate_layer(mech, 40, "bf16", 0, prefill=True)
    n = np.arange(1, 41, dtype=np.float64)
    np.testing.assert_array_equal(np.cumsum(sim.macs), mech.prefill_macs_sum(n))
    np.testing.assert_array_equal(np.cumsum(sim.index_macs), mech.index_macs_sum(n))


def test_mha_mode_prefill_of_v3_is_3_4x_cheaper_per_key() -> None:
    """DeepSeek-V3 (docs/sources.md §3.1: 128 heads, latent 512, rope 64, nope 128, v 128): MHA-mode prefill
    costs 128·(128+64+128) MACs per key against 128·(512+64+512) absorbed: 1,088 / 320 = 3.4."""
    mla = MLA(128, 512, 64, nope_dim=128, v_dim=128)
    assert mla.macs_per_entry / mla.prefill_macs_per_key == pytest.approx(1088 / 320)
