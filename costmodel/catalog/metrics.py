"""What a published serving figure counts (split from :mod:`costmodel.catalog.schema` by concern)."""

from __future__ import annotations

from typing import Literal

#: What a published serving figure counts: which tokens (output = generated; input = prompt; total = both),
#: per second, divided by what. ``per_gpu_all_gpus``: every GPU of the deployment (prefill + decode);
#: ``per_decode_gpu`` / ``per_prefill_gpu``: the GPUs of that phase (all GPUs when not disaggregated);
#: ``per_*_node``: per node of ``gpus_per_node`` GPUs of that phase; ``all_*``: the sum over those GPUs.
MeasurementMetric = Literal[
    "output_tokens_per_s_per_gpu_all_gpus",
    "total_tokens_per_s_per_gpu_all_gpus",
    "output_tokens_per_s_all_gpus",
    "total_tokens_per_s_all_gpus",
    "output_tokens_per_s_per_decode_gpu",
    "output_tokens_per_s_per_decode_node",
    "output_tokens_per_s_all_decode_gpus",
    "input_tokens_per_s_per_prefill_gpu",
    "input_tokens_per_s_per_prefill_node",
    "input_tokens_per_s_all_prefill_gpus",
]
#: ``e2e``: prefill and decode both loaded; ``decode_only`` / ``prefill_only``: one phase's rate, the other
#: phase assumed unlimited or measured apart (phase-isolated rates are not end-to-end capacity).
MeasurementPhase = Literal["e2e", "decode_only", "prefill_only"]
#: The one phase each metric can describe.
METRIC_PHASE: dict[str, MeasurementPhase] = {
    "output_tokens_per_s_per_gpu_all_gpus": "e2e",
    "total_tokens_per_s_per_gpu_all_gpus": "e2e",
    "output_tokens_per_s_all_gpus": "e2e",
    "total_tokens_per_s_all_gpus": "e2e",
    "output_tokens_per_s_per_decode_gpu": "decode_only",
    "output_tokens_per_s_per_decode_node": "decode_only",
    "output_tokens_per_s_all_decode_gpus": "decode_only",
    "input_tokens_per_s_per_prefill_gpu": "prefill_only",
    "input_tokens_per_s_per_prefill_node": "prefill_only",
    "input_tokens_per_s_all_prefill_gpus": "prefill_only",
}

__all__ = ["METRIC_PHASE", "MeasurementMetric", "MeasurementPhase"]
