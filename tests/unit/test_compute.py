"""Whole-model compute: parameter counts vs published figures, FLOPs per token, prefill, expert coverage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costmodel.attention import attention_flops_per_token
from costmodel.attention.compute import (
    component_params,
    expected_distinct_experts,
    flops_per_token,
    linear_flops_per_token,
    param_counts,
    prefill_flops,
    routed_expert_params,
)
from costmodel.catalog import Catalogue, parse_models_text
from tests.unit.model_factory import GQA_YAML

# Published total / active parameters, billions (the catalogue rows carry them with their sources:
# V3/V3.2 671B/37B excl. MTP (DeepSeek-V3 report); V4-Pro 1.6T/49B, V4-Flash 284B/13B (V4 model cards);
# Kimi K2.6 1.04T/32B (Moonshot, K2 architecture borrowed; docs/sources.md §9)).
PUBLISHED = ["deepseek-v3", "deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash", "kimi-k2.6"]


@pytest.mark.parametrize("model_id", PUBLISHED)
def test_param_counts_within_5pct_of_published(catalogue: Catalogue, model_id: str) -> None:
    m = catalogue.model(model_id)
    assert m.total_params_b is not None and m.active_params_b is not None
    p = param_counts(m)
    total_gap = p.total / 1e9 / m.total_params_b - 1
    active_gap = p.active / 1e9 / m.active_params_b - 1
    print(
        f"\n{model_id}: total {p.total / 1e9:,.1f}B vs {m.total_params_b:,.0f}B ({total_gap:+.1%}); "
        f"active {p.active / 1e9:,.2f}B vs {m.active_params_b:,.0f}B ({active_gap:+.1%}); "
        f"MTP {p.mtp / 1e9:,.2f}B"
    )
    assert abs(total_gap) <= 0.05
    assert abs(active_gap) <= 0.05


def test_v3_mtp_module_close_to_published_14b(catalogue: Catalogue) -> None:
    # DeepSeek-V3 HF card: 685B on disk = 671B main + 14B MTP. The checkpoint stores the MTP module's own copy
    # of the embedding and head (shared in the design), so compare MTP + one embedding + one head.
    m = catalogue.model("deepseek-v3")
    p = param_counts(m)
    with_copies = p.mtp + component_params(m)["embeddings"]
    print(f"\nV3 MTP: {p.mtp / 1e9:.2f}B (+ embedding/head copies {with_copies / 1e9:.2f}B) vs 14B")
    assert with_copies / 14e9 == pytest.approx(1, abs=0.05)


def test_components_add_up(catalogue: Catalogue) -> None:
    for m in catalogue.models:
        if m.config is None:
            continue
        comp = component_params(m)
        assert set(comp) == {"routed_experts", "shared_experts", "dense", "embeddings"}
        assert sum(comp.values()) == param_counts(m).total


def test_expert_shapes(catalogue: Catalogue) -> None:
    # SwiGLU: gate, up, down = 3 × hidden × moe_intermediate (docs/sources.md §1.1, §3.1)
    assert routed_expert_params(catalogue.model("deepseek-v3")) == 3 * 7168 * 2048
    assert routed_expert_params(catalogue.model("deepseek-v4-pro")) == 3 * 7168 * 3072
    comp = component_params(catalogue.model("deepseek-v4-pro"))
    assert comp["routed_experts"] == 61 * 384 * 3 * 7168 * 3072  # all 61 layers MoE (first_k_dense_replace 0)


def test_dense_gqa_params_match_llama3_8b(catalogue: Catalogue) -> None:
    # Meta-Llama-3-8B: 8.03B parameters (HF model page, safetensors metadata)
    (m,) = parse_models_text(GQA_YAML, "gqa.yaml", catalogue.models)
    p = param_counts(m)
    assert p.total / 1e9 == pytest.approx(8.03, abs=0.01)
    # a dense model: every parameter but the unused embedding rows is active
    assert p.total - p.active == (128256 - 1) * 4096


def test_linear_flops_are_twice_the_multiplied_weights(catalogue: Catalogue) -> None:
    for mid in PUBLISHED:
        m = catalogue.model(mid)
        p = param_counts(m)
        # active params minus the embedding row and the vector parameters (norms, biases, sinks: < 0.1%)
        assert linear_flops_per_token(m) == pytest.approx(2 * p.active, rel=2e-3)


def test_flops_per_token_is_linear_plus_attention(catalogue: Catalogue) -> None:
    m = catalogue.model("deepseek-v4-pro")
    t = np.array([1, 1000, 1_048_576])
    np.testing.assert_array_equal(
        flops_per_token(m, t), linear_flops_per_token(m) + attention_flops_per_token(m, t)
    )
    assert linear_flops_per_token(m, include_mtp=True) > linear_flops_per_token(m)


@pytest.mark.parametrize("model_id", ["deepseek-v4-pro", "deepseek-v4-flash"])
def test_prefill_flops_sum_decode_flops(catalogue: Catalogue, model_id: str) -> None:
    m = catalogue.model(model_id)
    for p, c in ((1, 0), (700, 0), (3000, 1000), (3000, 3000)):
        want = flops_per_token(m, np.arange(c + 1, p + 1)).sum() if p > c else 0.0
        assert prefill_flops(m, p, c) == pytest.approx(want, rel=1e-12)


def test_api_only_model_is_refused(catalogue: Catalogue) -> None:
    with pytest.raises(ValueError, match="no published architecture"):
        param_counts(catalogue.model("claude-opus-4.6"))
    with pytest.raises(ValueError, match="no published architecture"):
        flops_per_token(catalogue.model("claude-opus-4.6"), 10)


def test_expected_distinct_experts_edges() -> None:
    assert expected_distinct_experts(256, 8, 0) == 0
    assert expected_distinct_experts(256, 8, 1) == pytest.approx(8)
    assert expected_distinct_experts(256, 256, 5) == 256
    big = expected_distinct_experts(384, 6, [1, 10, 100, 1000, 100_000])
    assert np.all(np.diff(big) > 0) and big[-1] == pytest.approx(384)
    for bad in ((0, 1, 1), (8, 0, 1), (8, 9, 1)):
        with pytest.raises(ValueError):
            expected_distinct_experts(*bad)
    with pytest.raises(ValueError):
        expected_distinct_experts(8, 2, -1)


@given(
    e=st.integers(1, 512),
    k_frac=st.floats(0.0, 1.0),
    n=st.integers(0, 10_000),
)
def test_expected_distinct_experts_bounds(e: int, k_frac: float, n: int) -> None:
    k = max(1, round(k_frac * e))
    got = float(expected_distinct_experts(e, k, n))
    # never more than all experts, nor more than n·k picks; at least k once a token is routed
    assert got <= min(e, n * k) + 1e-9
    if n:
        assert got >= k - 1e-9
