"""Attention closed forms: speed over 6 models × 200 contexts, speed-up over the simulation, the published figures.

Run: ``.venv/bin/python benchmarks/bench_attention.py`` (or via ``benchmarks/run_all.py``). ``main()`` returns
result dicts ``{name, value, unit, target, ratio}``; ``ratio`` = value / target (< 1 is better for times), or
the speed-up where the target is None. Machines here are noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from costmodel.attention import (
    attention_flops_per_token,
    attention_prefill_flops,
    kv_cache_bytes,
    kv_read_bytes_per_token,
)
from costmodel.attention.compute import flops_per_token
from costmodel.attention.sim import simulate_model
from costmodel.catalog import Model, load_catalogue, parse_models_text
from costmodel.catalog.units import parse_token_count

ONE_M = parse_token_count("1M")  # the project's "1M" (1024², costmodel.catalog.units), as in the tests
TARGET_MS = 50.0  # target: 6 models × 200 context lengths from 1 to 1M in under 50 ms

GQA_FILE = """
models:
  - {id: llama-3-8b, name: Llama 3 8B, provider: meta, open_weights: true, attention: gqa,
     total_params_b: 8.03, active_params_b: 8.03, context_window_tokens: 8192, max_output_tokens: 8192,
     weight_precision: {routed_experts: bf16, shared_experts: bf16, dense: bf16},
     config: {num_hidden_layers: 32, hidden_size: 4096, num_attention_heads: 32, num_key_value_heads: 8,
              head_dim: 128, intermediate_size: 14336, vocab_size: 128256},
     source: https://huggingface.co/meta-llama/Meta-Llama-3-8B/blob/main/config.json, as_of: 2026-11-20,
     confidence: official}
"""

TINY_V4 = """
models:
  - {id: tiny-v4, name: tiny V4, provider: test, open_weights: true, attention: v4_hybrid,
     total_params_b: null, active_params_b: null, context_window_tokens: null, max_output_tokens: null,
     weight_precision: {routed_experts: fp4, shared_experts: fp8, dense: fp8},
     config: {num_hidden_layers: 4, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 1,
              head_dim: 64, qk_rope_head_dim: 16, sliding_window: 32, compress_ratios: [0, 4, 128, 4],
              index_n_heads: 4, index_head_dim: 32, index_topk: 16, vocab_size: 100, intermediate_size: 128},
     source: benchmark, as_of: 2026-11-20, confidence: derived,
     null_reasons: {total_params_b: t, active_params_b: t, context_window_tokens: t, max_output_tokens: t}}
"""


def _best_ms(fn: Callable[[], object], repeats: int = 7) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1e3


def _row(
    name: str, value: float, unit: str, target: float | None, ratio: float | None = None
) -> dict[str, Any]:
    if ratio is None and target:
        ratio = value / target
    return {"name": name, "value": value, "unit": unit, "target": target, "ratio": ratio}


def main() -> list[dict[str, Any]]:
    """Run the benchmark, print one line per result and return the results."""
    cat = load_catalogue()
    models: list[Model] = [m for m in cat.models if m.config is not None]
    models += parse_models_text(GQA_FILE, "gqa", cat.models)
    models = models[:6]
    contexts = np.unique(np.geomspace(1, ONE_M, 200).round())
    contexts = np.concatenate([contexts, ONE_M - np.arange(200 - contexts.size)])[:200]

    def closed_forms() -> None:
        for m in models:
            kv_cache_bytes(m, contexts)
            kv_read_bytes_per_token(m, contexts)
            flops_per_token(m, contexts)  # linear + attention_flops_per_token

    ms = _best_ms(closed_forms)
    results = [
        _row(f"closed forms, {len(models)} models x {contexts.size} contexts (1..1M)", ms, "ms", TARGET_MS)
    ]

    # closed form vs simulation: the same per-step counts for a reduced V4 model, t = 1..L
    (tiny,) = parse_models_text(TINY_V4, "tiny", cat.models)
    length = 600
    t = np.arange(1, length + 1)
    sim_ms = _best_ms(lambda: simulate_model(tiny, length), repeats=2)
    cf_ms = _best_ms(lambda: (kv_cache_bytes(tiny, t), attention_flops_per_token(tiny, t)))
    results.append(_row(f"simulation, tiny V4 (4 layers), {length} steps", sim_ms, "ms", None))
    results.append(
        _row(
            "closed form speed-up over the simulation (same counts)",
            sim_ms / cf_ms,
            "x",
            None,
            sim_ms / cf_ms,
        )
    )

    # prefill of a 1M prompt: closed-form sum vs summing 1M positions
    pro = cat.model("deepseek-v4-pro")
    sum_ms = _best_ms(lambda: attention_flops_per_token(pro, np.arange(1, ONE_M + 1)).sum(), repeats=2)
    pf_ms = _best_ms(lambda: attention_prefill_flops(pro, ONE_M))
    results.append(
        _row(
            "prefill 1M closed-form sum speed-up over per-position sum",
            sum_ms / pf_ms,
            "x",
            None,
            sum_ms / pf_ms,
        )
    )

    # the published figures at 1M (DeepSeek-V4 model card / paper): published value as target, ratio = ours / published
    v32 = cat.model("deepseek-v3.2")
    for mid, kv_pub, fl_pub in (("deepseek-v4-pro", 10.0, 27.0), ("deepseek-v4-flash", 7.0, 10.0)):
        m = cat.model(mid)
        kv = 100 * float(kv_cache_bytes(m, ONE_M) / kv_cache_bytes(v32, ONE_M))
        fl = 100 * float(flops_per_token(m, ONE_M) / flops_per_token(v32, ONE_M))
        results.append(_row(f"{mid} KV at 1M vs V3.2 (deployed)", kv, "%", kv_pub))
        results.append(_row(f"{mid} FLOPs/token at 1M vs V3.2", fl, "%", fl_pub))

    for r in results:
        target = "" if r["target"] is None else f" (target {r['target']:g} {r['unit']})"
        ratio = "" if r["ratio"] is None else f"; ratio {r['ratio']:.3g}"
        print(f"{r['name']}: {r['value']:,.4g} {r['unit']}{target}{ratio}")
    return results


if __name__ == "__main__":
    main()
