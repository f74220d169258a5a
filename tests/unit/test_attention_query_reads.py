"""sim.query_reads: the past positions one query reads, recorded from the reference simulation itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costmodel.attention import CSA, DSA, HCA, MLA, DenseAttention, V4Attention
from costmodel.attention.sim import query_reads, simulate_layer


def _csa(window: int = 8, topk: int = 3) -> CSA:
    return CSA(2, 12, 4, window=window, index_n_heads=2, index_head_dim=8, index_topk=topk, ratio=4)


@settings(max_examples=25, deadline=None)
@given(t=st.integers(1, 120), window=st.sampled_from([1, 4, 8, 16]))
def test_window_is_exactly_the_last_tokens(t: int, window: int) -> None:
    r = query_reads(V4Attention(2, 12, 4, window=window), t)
    np.testing.assert_array_equal(r.window, np.arange(max(0, t - window), t))
    assert r.compressed.size == 0 and r.tokens.size == 0 and r.block_tokens == 0


@settings(max_examples=20, deadline=None)
@given(t=st.integers(1, 120), topk=st.integers(1, 12), seed=st.integers(0, 3))
def test_csa_reads_at_most_topk_of_the_scored_blocks(t: int, topk: int, seed: int) -> None:
    r = query_reads(_csa(topk=topk), t, seed=seed)
    complete = t // 4
    np.testing.assert_array_equal(r.indexer_scored, np.arange(complete))  # the indexer scores every block
    assert r.compressed.size == min(topk, complete) <= topk
    assert set(r.compressed) <= set(r.indexer_scored)
    assert np.unique(r.compressed).size == r.compressed.size
    np.testing.assert_array_equal(r.window, np.arange(max(0, t - 8), t))
    assert r.block_tokens == 4


@pytest.mark.parametrize(("t", "ratio"), [(1, 16), (15, 16), (16, 16), (100, 16), (129, 32)])
def test_hca_reads_every_complete_block(t: int, ratio: int) -> None:
    r = query_reads(HCA(2, 12, 4, window=8, ratio=ratio), t)
    np.testing.assert_array_equal(r.compressed, np.arange(t // ratio))
    assert r.indexer_scored.size == 0 and r.block_tokens == ratio


def test_dsa_reads_topk_tokens_of_all_scored() -> None:
    r = query_reads(DSA(3, 16, 4, index_n_heads=2, index_head_dim=8, index_topk=5), 40)
    np.testing.assert_array_equal(r.indexer_scored, np.arange(40))
    assert r.tokens.size == 5 and set(r.tokens) <= set(range(40))


@pytest.mark.parametrize("mech", [DenseAttention("gqa", 4, 2, 8, 6), MLA(3, 16, 4)])
def test_dense_and_mla_read_every_token(mech: DenseAttention | MLA) -> None:
    np.testing.assert_array_equal(query_reads(mech, 17).tokens, np.arange(17))


@pytest.mark.parametrize("t", [3, 40, 97])
def test_the_recorded_reads_are_what_the_step_attends(t: int) -> None:
    """The last step's core-attention MACs are 2·H·d·n over exactly the n entries recorded (shared K = V)."""
    for mech in (_csa(topk=5), HCA(2, 12, 4, window=8, ratio=16), V4Attention(2, 12, 4, window=8)):
        r = query_reads(mech, t, seed=7)
        sim = simulate_layer(mech, t, seed=7)
        n = r.window.size + r.compressed.size
        core = int(sim.macs[-1] - sim.index_macs[-1])
        assert core == 2 * mech.n_heads * mech.head_dim * n


def test_position_must_be_positive() -> None:
    with pytest.raises(ValueError, match="position"):
        query_reads(_csa(), 0)
