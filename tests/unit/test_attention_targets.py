"""Closed-form attention figures against published numbers (docs/sources.md §2.2-§2.3).

Each golden value cites its source. Where our model differs from a published ratio, the test asserts the
target band and prints the gap (run with ``-s`` to see it; docs/attention-validation.md records it).
"""

from __future__ import annotations

import numpy as np
import pytest

from costmodel.attention import (
    CSA,
    HCA,
    NoArchitectureError,
    attention_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
    layer_mechanisms,
    layer_schedule,
)
from costmodel.attention.compute import flops_per_token
from costmodel.catalog import Catalogue, parse_models_text
from costmodel.catalog.units import BYTES_PER_GIB, parse_token_count
from tests.unit.model_factory import GQA_YAML

ONE_M = parse_token_count("1M")


def test_v3_bf16_kv_is_70272_bytes_per_token(catalogue: Catalogue) -> None:
    # DeepSeek ISCA'25 "Insights into DeepSeek-V3", Table 1: 70.272 KB per token (61 layers × 576 × 2 B).
    v3 = catalogue.model("deepseek-v3")
    assert kv_cache_bytes(v3, 1, "bf16") == 70_272
    lengths = np.array([1, 7, 4096, 131_072])
    np.testing.assert_array_equal(kv_cache_bytes(v3, lengths, "bf16"), 70_272 * lengths)
    # V3's deployed layout is BF16 too (engines' default KV dtype for MLA): same number
    assert kv_cache_bytes(v3, 1) == 70_272


def test_v32_deployed_kv_is_fp8_ds_mla_plus_fp8_indexer(catalogue: Catalogue) -> None:
    # docs/sources.md §2.2: vLLM fp8_ds_mla 656 B + indexer 132 B per layer; "V3.2 FP8 = 48,068 B/token".
    v32 = catalogue.model("deepseek-v3.2")
    assert kv_cache_bytes(v32, 1) == 61 * (656 + 132) == 48_068
    # BF16 (vLLM convention): 1152 + 256 per layer; docs/sources.md §2.2 table: 83.88 GiB at 1M
    assert kv_cache_bytes(v32, 1, "bf16") == 61 * (1152 + 256)
    assert kv_cache_bytes(v32, ONE_M, "bf16") / BYTES_PER_GIB == pytest.approx(83.88, abs=0.005)


def test_fp8_kv_halves_the_bf16_layouts_and_keeps_the_narrower_ones(catalogue: Catalogue) -> None:
    # kv_cache_dtype=fp8 (vLLM / SGLang / TensorRT-LLM): each value the default layout keeps in BF16 in one byte.
    # V3 MLA: (512 latent + 64 rope) x 1 B = 576 B per layer per token (BF16: 1,152 B; config kv_lora_rank 512,
    # qk_rope_head_dim 64, 61 layers).
    v3 = catalogue.model("deepseek-v3")
    assert kv_cache_bytes(v3, 1, "fp8") == 61 * 576
    assert kv_cache_bytes(v3, 1, "deployed") == kv_cache_bytes(v3, 1, "bf16") == 61 * 1152
    # MiniMax-M2.5 GQA: 8 KV heads x (128 + 128) x 1 B = 2,048 B per layer per token, 62 layers (facts-2026-12 §5).
    mm = catalogue.model("minimax-m2.5")
    assert kv_cache_bytes(mm, 1, "fp8") == 62 * 2048
    assert kv_cache_bytes(mm, 1000, "fp8") * 2 == kv_cache_bytes(mm, 1000, "bf16")
    assert kv_read_bytes_per_token(mm, 1000, "fp8") * 2 == kv_read_bytes_per_token(mm, 1000, "bf16")
    # V3.2 (fp8_ds_mla) and V4 store narrower than BF16 by default: FP8 asks for what they already store.
    for model_id in ("deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash"):
        m = catalogue.model(model_id)
        assert kv_cache_bytes(m, 4096, "fp8") == kv_cache_bytes(m, 4096, "deployed")


@pytest.mark.parametrize(
    ("model_id", "gib_bf16"),
    # docs/sources.md §2.2 table (derived; vLLM blog: V4 BF16 KV at 1M = 9.62 GiB per sequence)
    [("deepseek-v4-pro", 9.62), ("deepseek-v4-flash", 6.72)],
)
def test_v4_bf16_kv_at_1m_matches_vllm_blog(catalogue: Catalogue, model_id: str, gib_bf16: float) -> None:
    got = float(kv_cache_bytes(catalogue.model(model_id), ONE_M, "bf16")) / BYTES_PER_GIB
    assert got == pytest.approx(gib_bf16, abs=0.005)


@pytest.mark.parametrize(
    ("model_id", "published_pct"),
    # DeepSeek-V4 model card / paper: KV cache at 1M vs V3.2 = 10% (Pro), 7% (Flash); band ±1.5 points
    [("deepseek-v4-pro", 10.0), ("deepseek-v4-flash", 7.0)],
)
def test_v4_kv_ratio_at_1m_vs_v32(catalogue: Catalogue, model_id: str, published_pct: float) -> None:
    v32 = catalogue.model("deepseek-v3.2")
    pct = 100 * float(kv_cache_bytes(catalogue.model(model_id), ONE_M) / kv_cache_bytes(v32, ONE_M))
    pct_bf16 = 100 * float(
        kv_cache_bytes(catalogue.model(model_id), ONE_M, "bf16") / kv_cache_bytes(v32, ONE_M, "bf16")
    )
    print(
        f"\n{model_id} KV at 1M vs V3.2: deployed {pct:.2f}% (published {published_pct}%, gap "
        f"{pct - published_pct:+.2f} pt); bf16 {pct_bf16:.2f}%"
    )
    assert abs(pct - published_pct) <= 1.5


@pytest.mark.parametrize(
    ("model_id", "published_pct"),
    # DeepSeek-V4 model card / paper: single-token FLOPs at 1M vs V3.2 = 27% (Pro), 10% (Flash); band ±3 points
    [("deepseek-v4-pro", 27.0), ("deepseek-v4-flash", 10.0)],
)
def test_v4_flop_ratio_at_1m_vs_v32(catalogue: Catalogue, model_id: str, published_pct: float) -> None:
    v32 = catalogue.model("deepseek-v3.2")
    m = catalogue.model(model_id)
    pct = 100 * float(flops_per_token(m, ONE_M) / flops_per_token(v32, ONE_M))
    attn_pct = 100 * float(attention_flops_per_token(m, ONE_M) / attention_flops_per_token(v32, ONE_M))
    print(
        f"\n{model_id} FLOPs/token at 1M vs V3.2: {pct:.2f}% (published {published_pct}%, gap "
        f"{pct - published_pct:+.2f} pt); attention only {attn_pct:.2f}%"
    )
    assert abs(pct - published_pct) <= 3.0


def _facts_convention_attention_flops(schedule: list[str], h: int, topk: int, length: int) -> float:
    """docs/sources.md §2.3 (SemiAnalysis InferenceX PR #849) counting, written out independently of the code."""
    total = 0.0
    for kind in schedule:
        if kind == "dsa":
            total += 2 * h * (576 + 512) * min(length, topk) + 2 * 64 * 128 * length
        elif kind == "hca":
            total += 2 * h * 1024 * (length / 128 + 128)
        elif kind == "csa":
            total += 2 * 64 * 128 * (length / 4) + 2 * h * 1024 * (min(length / 4, topk) + 128)
        elif kind == "swa":
            total += 2 * h * 1024 * 128
    return total


@pytest.mark.parametrize("model_id", ["deepseek-v3.2", "deepseek-v4-pro", "deepseek-v4-flash"])
@pytest.mark.parametrize("length", [131_072, ONE_M])
def test_attention_flops_follow_facts_convention(catalogue: Catalogue, model_id: str, length: int) -> None:
    # We also count the indexer's weighted sum over heads (64 MACs per key, +0.78% of the indexer term).
    m = catalogue.model(model_id)
    c = m.config
    assert c is not None and c.index_topk is not None
    ref = _facts_convention_attention_flops(layer_schedule(m), c.num_attention_heads, c.index_topk, length)
    got = float(attention_flops_per_token(m, length))
    assert got == pytest.approx(ref, rel=0.008)
    assert got > ref  # the extra weighted-sum MACs, never fewer


@pytest.mark.parametrize("model_id", ["deepseek-v4-pro", "deepseek-v4-flash"])
def test_compressor_pooling_left_out_is_under_1pct_of_attention(catalogue: Catalogue, model_id: str) -> None:
    # hca.py / docs/attention-validation.md leave the compressor's pooling MACs out of the attention count as
    # "< 1 % of the layer's attention at any context": hold every compressed layer to that, t = 1..1M.
    t = np.arange(1, ONE_M + 1, dtype=np.float64)
    layers = {
        m for m in layer_mechanisms(catalogue.model(model_id), include_mtp=True) if m.kind in ("csa", "hca")
    }
    assert {m.kind for m in layers} == {"csa", "hca"}
    for mech in layers:
        assert isinstance(mech, (CSA, HCA))
        assert np.all(mech.pool_macs(t) < 0.01 * mech.macs(t)), mech.kind


def test_v4_schedules_from_compress_ratios(catalogue: Catalogue) -> None:
    # docs/sources.md §1.2: Pro HCA 31 / CSA 30, MTP window-only; Flash SWA 2 / CSA 21 / HCA 20, MTP window-only
    pro = layer_schedule(catalogue.model("deepseek-v4-pro"))
    assert (len(pro), pro.count("hca"), pro.count("csa")) == (61, 31, 30)
    assert pro[:3] == ["hca", "hca", "csa"]
    flash = layer_schedule(catalogue.model("deepseek-v4-flash"))
    assert (flash.count("swa"), flash.count("csa"), flash.count("hca")) == (2, 21, 20)
    assert layer_schedule(catalogue.model("deepseek-v4-flash"), include_mtp=True)[-1] == "swa"
    assert layer_schedule(catalogue.model("deepseek-v3.2")) == ["dsa"] * 61
    assert layer_schedule(catalogue.model("deepseek-v3"), include_mtp=True) == ["mla"] * 62


def test_mtp_layer_counts_only_when_asked(catalogue: Catalogue) -> None:
    pro = catalogue.model("deepseek-v4-pro")
    extra = kv_cache_bytes(pro, 1000, include_mtp=True) - kv_cache_bytes(pro, 1000)
    assert extra == 128 * 576  # one window-only layer: 128 entries × 576 B (deployed)
    assert attention_flops_per_token(pro, 1000, include_mtp=True) > attention_flops_per_token(pro, 1000)


def test_dense_gqa_model_file(catalogue: Catalogue) -> None:
    # 2 (K and V) × layers × kv_heads × head_dim × 2 bytes (BF16) per token
    (m,) = parse_models_text(GQA_YAML, "gqa.yaml", catalogue.models)
    per_token = 2 * 32 * 8 * 128 * 2
    for dtype in ("bf16", "deployed"):
        assert kv_cache_bytes(m, 1, dtype) == per_token
        assert kv_cache_bytes(m, 8192, dtype) == 8192 * per_token
    assert layer_schedule(m) == ["gqa"] * 32
    # decode attention: 32 layers × 32 heads × (128 + 128) MACs per key × 2 FLOPs
    assert attention_flops_per_token(m, 1000) == 2 * 32 * 32 * 256 * 1000


@pytest.mark.parametrize("model_id", ["deepseek-v4-pro", "deepseek-v4-flash"])
def test_prefill_is_the_sum_over_positions(catalogue: Catalogue, model_id: str) -> None:
    """V4 runs the same attention kernels in prefill and decode: prefill is the sum of decode positions."""
    m = catalogue.model(model_id)
    for p in (1, 3, 127, 128, 129, 513, 2048, 2049, 4100, 9000):
        per_pos = attention_flops_per_token(m, np.arange(1, p + 1)).sum()
        assert attention_prefill_flops(m, p) == per_pos
        c = p // 3
        assert (
            attention_prefill_flops(m, p, c)
            == per_pos - attention_flops_per_token(m, np.arange(1, c + 1)).sum()
        )


@pytest.mark.parametrize("model_id", ["deepseek-v3", "deepseek-v3.2"])
def test_mla_prefill_runs_mha_mode(catalogue: Catalogue, model_id: str) -> None:
    """Dense MLA (V3) prefills in MHA mode: per key 128 heads × (nope 128 + rope 64 + v 128) MACs
    (docs/sources.md §3.1), not the absorbed 576 + 512. V3.2 (DSA): masked MHA while t ≤ top-k (2,048), then
    sparse MQA over 2,048 selected tokens; the indexer (64 heads × (128 + 1)) scores every previous key."""
    m = catalogue.model(model_id)
    c = m.config
    assert c is not None
    layers, mha_key = c.num_hidden_layers, c.num_attention_heads * (128 + 64 + 128)
    for p in (1, 700, 2048, 2049, 9000):
        t = np.arange(1, p + 1, dtype=np.float64)
        if model_id == "deepseek-v3":
            want = 2 * layers * mha_key * t.sum()
        else:
            k = 2048
            core = np.where(t <= k, mha_key * t, c.num_attention_heads * 1088 * k)
            want = 2 * layers * (core + 64 * 129 * t).sum()
        assert attention_prefill_flops(m, p) == pytest.approx(want, rel=1e-12)
        assert attention_prefill_flops(m, p) < attention_flops_per_token(m, t).sum()  # cheaper than decode


def test_vectorised_shapes(catalogue: Catalogue) -> None:
    m = catalogue.model("deepseek-v4-flash")
    grid = np.geomspace(1, ONE_M, 50).round().reshape(5, 10)
    for fn in (kv_cache_bytes, kv_read_bytes_per_token, attention_flops_per_token):
        out = fn(m, grid)
        assert out.shape == (5, 10)
        assert np.all(np.diff(out.ravel()) >= 0)  # nondecreasing in context
    assert attention_prefill_flops(m, [100, 200], [0, 50]).shape == (2,)


def test_kv_read_never_exceeds_what_is_stored(catalogue: Catalogue) -> None:
    """Without cross-layer sharing a step reads at most what is stored. V4.1's CSA2 layers re-read their source's
    shared entries (each layer runs apart and reads them from HBM again): at most once per layer."""
    grid = np.arange(1, 5000, 37)
    for m in catalogue.models:
        if m.config is None:
            continue
        layers = m.config.num_hidden_layers if m.attention == "v41_csa2" else 1
        assert np.all(kv_read_bytes_per_token(m, grid) <= layers * kv_cache_bytes(m, grid))


def test_bad_input(catalogue: Catalogue) -> None:
    m = catalogue.model("deepseek-v4-pro")
    with pytest.raises(ValueError, match="> 0"):
        kv_cache_bytes(m, 0)
    with pytest.raises(ValueError, match="whole"):
        attention_flops_per_token(m, 1.5)
    with pytest.raises(ValueError, match="kv_dtype"):
        kv_cache_bytes(m, 10, "fp4")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exceed"):
        attention_prefill_flops(m, 10, 11)
    with pytest.raises(NoArchitectureError, match="no published architecture"):
        kv_cache_bytes(catalogue.model("claude-opus-4.6"), 10)
