"""Self-hosting: memory plan, per-phase throughput, latency and the cost of a workload on rented GPUs.

Deployment shapes (``attention_layout``), both with the routed experts spread over the ``N`` GPUs by expert
parallelism (EP):

- ``dp`` (what SGLang/vLLM large-scale EP does, and what LMSYS measured): attention data-parallel, every GPU
  holds all non-expert weights and serves its own sequences.
- ``tp`` (SGLang's default single-node recipe, e.g. the cookbook's V4-Pro on 8 × H200): the non-expert weights
  (attention, dense FFN, shared experts, embeddings) are sharded over a tensor-parallel group of ``t`` GPUs,
  ``t`` = the largest divisor of ``N`` not above a node; ``N / t`` groups. A group serves its sequences
  together. KV heads are split over the group, but MLA / V4 / MQA have ONE shared latent KV head, so their KV
  is REPLICATED on every rank of the group: a group holds only as many sequences as one GPU's KV room.

Sizes tried: powers of two up to a node, then whole nodes, up to :data:`MAX_NODES` nodes; at each size both
layouts, and the smallest size that fits wins (at equal size, the layout holding more concurrent sequences;
then ``dp``).

Memory plan (bytes per GPU; ``t`` = 1 for ``dp``; ``s`` = min(t, shardable KV heads), 1 for MLA/V4/MQA)::

    weights_per_gpu = replicated / t + ceil(E / N) · L_moe · expert_bytes
    replicated      = dense + shared experts + embeddings (+ MTP non-expert part with speculative decoding)
    kv_room         = hbm · (1 − RESERVED_HBM_FRACTION) − weights_per_gpu
    max_seqs_per_gpu = floor(kv_room / (kv_cache_bytes(mean context) / s))   (paged KV: mean, not max)
                      (the sequences whose KV each GPU holds; under ``tp`` the whole group's sequences)
    max_batch       = max_seqs_per_gpu · N / t                                 (concurrent sequences)
    fits            ⇔ kv_room ≥ kv_cache_bytes(prompt + output) / s           (one whole sequence)

``tp`` is approximate in that the small non-shardable parts (norms, MLA latent down-projections, routers) are
counted as sharded too.

Bytes per parameter: BF16 2; FP8 1 + 4/(128·128) (one float32 scale per 128×128 block, as in the DeepSeek
checkpoints); FP4 0.5 + 1/32 (MXFP4: one 1-byte scale per 32 elements). Embeddings and the output head stay
BF16 in every plan (they are BF16 in the DeepSeek FP8 checkpoints). Plans: ``native`` = the checkpoint's
precision per component; ``fp8`` = every linear weight FP8; ``bf16`` = everything BF16; ``fp4`` = routed and
shared experts FP4, the rest FP8.

Roofline per phase, per GPU (``b`` sequences per GPU, ``q`` tokens per sequence per step, 1 or 2 with MTP;
under ``tp`` a group of ``t`` GPUs serves ``B = t · b`` sequences, each GPU doing ``1/t`` of their compute)::

    t_compute = Σ_c linear_flops_c / (rate_c · mfu) + attention_flops / (rate_attn · mfu)
    t_memory  = bytes_read / (hbm_bw · mbu)
    t_a2a     = tokens · L_moe · max(out_bytes / (scale_out · link_eff), up_bytes / (scale_up · link_eff))
    t_ar      = tokens · 2 · L · 2(t − 1) · h · 2 / (scale_up · link_eff)       (``tp`` only; 0 for t = 1)
    t         = max(t_local, t_a2a) + (1 − overlap) · min(t_local, t_a2a) + (1 − ar_overlap) · t_ar
                + t0 (per forward step) + t_seq · B (decode: per sequence of the group),
                t_local = max(t_compute, t_memory)

``t0`` is the fixed time of a forward step (the stack's, plus a latency per collective over several GPUs) and
``t_seq`` the engine's per-sequence time of a decode step, for each of the ``B`` sequences one scheduler drives
(``roofline.step_floor_s``, ``roofline.sequence_s``: each by software stack, CUDA or ROCm; docs/calibration.md).

The ``tp`` all-reduce: two per layer (after attention, after the MoE/FFN), of the group's BF16 activations
(``t`` tokens × ``h`` × 2 bytes per GPU-token); a ring sends ``2(t − 1)/t`` of the message per rank. It is on
the critical path (``ar_overlap`` = 0; 1 at the floor). Bytes sent are counted against ``scale_up_gb_per_s``,
the same convention as the all-to-all. Under ``tp`` the MoE combine inside a node is that all-reduce (every
rank already holds the group's tokens), so only the scale-out part of the all-to-all remains, for deployments
over several nodes. KV read per decode step under ``tp`` is ``t / s`` times the ``dp`` figure per
GPU-sequence: every rank reads the replicated latent of all ``B`` sequences.

Rates: FP8 (and FP4, run as W4A8) weights at the FP8 rate when the GPU has one, else BF16; BF16 weights and
the attention kernels at the BF16 rate (FP8 if BF16 is unknown). All-to-all bytes per token and MoE layer:
``h · (1 + 4/128 + 2)`` (FP8 dispatch with scales, BF16 combine) to each distinct destination; scale-out
carries one copy per distinct remote node, ``(n−1)(1−(1−1/n)^k)``, scale-up one per distinct other GPU,
``(N−1)(1−(1−1/N)^k)`` (tokens deduplicated per node, then forwarded over NVLink, as DeepEP does).

Decode bytes read per step: replicated weights (less the input-embedding table) + the expected distinct
experts of the whole batch, ``E·(1−(1−k/E)^(N·b·q)) / N`` per layer per GPU, + ``b · kv_read_bytes(context)``.
The batch is the largest ``b`` that fits memory and meets the TPOT target. With speculative decoding (one
MTP draft token) a step verifies ``q = 2`` tokens, runs the MTP layer once, and emits ``1 + acceptance``.

Prefill of a prompt of ``P`` tokens with ``c`` cached: compute ``(P − c) · linear + attention_prefill(P, c)``;
weights are re-read once per chunk of :data:`PREFILL_CHUNK_TOKENS` tokens; the new KV is written once.
``TTFT = t_prefill(one prompt on one GPU) + one decode step`` (no queueing); under ``tp`` the prompt is
spread over the group: ``t_prefill / t``. Prefill KV writes are ``t / s`` times the ``dp`` figure.

Efficiency factors (:data:`EFFICIENCY`) are calibrated on the LMSYS DeepSeek-V3 measurement (docs/calibration.md);
``floor`` is the 100 %-efficiency roofline: the physical floor of the cost.

Sizing and cost, for each UTC hour ``h`` of the (7, 24) profile with ``R_h`` requests::

    gpus_needed_h = R_h · (t_prefill + output_tokens / decode_tokens_per_s_per_gpu) / 3600
    deployments_h = max(1, ceil(gpus_needed_h / N))    (autoscaled; always-on: the peak hour's, every hour)
    monthly_cost  = Σ_h N · deployments_h · usd_per_gpu_hour · (days_per_month / 7) · (1 + overhead_pct / 100)

Disaggregated: the prefill and decode pools are rounded up separately. The cost splits into an input share
(prefill GPU-seconds, or the prefill pool) and an output share (decode), per million tokens of each.
"""

from costmodel.serving.curves import ValidationRow
from costmodel.serving.efficiency import (
    COMM_OVERLAP_BASE,
    DEPLOYMENT_CLASSES,
    EFFICIENCY,
    EFFICIENCY_BY_CLASS,
    EFFICIENCY_LEVELS,
    FITTED,
    LINK_EFFICIENCY_BASE,
    DeploymentClass,
    Efficiency,
    EfficiencyLevel,
    default_deployment_class,
)
from costmodel.serving.estimate import ServingEstimate, estimate
from costmodel.serving.fleet import (
    FleetCost,
    cheaper_fleet,
    fleet_cost,
    fleet_cost_of_need,
    resolve_rental,
)
from costmodel.serving.memory import (
    MAX_BATCH_PER_GPU,
    MAX_NODES,
    RESERVED_HBM_FRACTION,
    AttentionLayout,
    MemoryPlan,
    deployment_sizes,
    kv_shards,
    memory_plan,
    tp_size,
    weights_bytes_per_gpu,
)
from costmodel.serving.option import CACHE_HIT_GRID, OptionEvaluation, evaluate_option, option_label
from costmodel.serving.roofline import (
    A2A_BYTES_PER_HIDDEN,
    ALLREDUCE_BYTES_PER_HIDDEN,
    ALLREDUCES_PER_LAYER,
    DEFAULT_TPOT_MS,
    PREFILL_CHUNK_TOKENS,
    StepTimes,
    Workpoint,
    decode_step_times,
    prefill_times,
    workpoint,
)
from costmodel.serving.validation import Validation, validate, validation_frame
from costmodel.serving.weights import (
    BYTES_PER_PARAM,
    SINGLE_KV_HEAD_ATTENTION,
    Component,
    ModelProfile,
    component_precisions,
    model_profile,
)
from costmodel.workload.scenario import LAYOUT_CHOICES, PRECISION_PLANS, LayoutChoice, PrecisionPlan

__all__ = [
    "A2A_BYTES_PER_HIDDEN",
    "ALLREDUCES_PER_LAYER",
    "ALLREDUCE_BYTES_PER_HIDDEN",
    "BYTES_PER_PARAM",
    "CACHE_HIT_GRID",
    "COMM_OVERLAP_BASE",
    "DEFAULT_TPOT_MS",
    "DEPLOYMENT_CLASSES",
    "EFFICIENCY",
    "EFFICIENCY_BY_CLASS",
    "EFFICIENCY_LEVELS",
    "FITTED",
    "LAYOUT_CHOICES",
    "LINK_EFFICIENCY_BASE",
    "MAX_BATCH_PER_GPU",
    "MAX_NODES",
    "PRECISION_PLANS",
    "PREFILL_CHUNK_TOKENS",
    "RESERVED_HBM_FRACTION",
    "SINGLE_KV_HEAD_ATTENTION",
    "AttentionLayout",
    "Component",
    "DeploymentClass",
    "Efficiency",
    "EfficiencyLevel",
    "FleetCost",
    "LayoutChoice",
    "MemoryPlan",
    "ModelProfile",
    "OptionEvaluation",
    "PrecisionPlan",
    "ServingEstimate",
    "StepTimes",
    "Validation",
    "ValidationRow",
    "Workpoint",
    "cheaper_fleet",
    "component_precisions",
    "decode_step_times",
    "default_deployment_class",
    "deployment_sizes",
    "estimate",
    "evaluate_option",
    "fleet_cost",
    "fleet_cost_of_need",
    "kv_shards",
    "memory_plan",
    "model_profile",
    "option_label",
    "prefill_times",
    "resolve_rental",
    "tp_size",
    "validate",
    "validation_frame",
    "weights_bytes_per_gpu",
    "workpoint",
]
