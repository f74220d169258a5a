"""The ``costmodel serve`` and ``validate`` subcommands: one self-hosting layout, and the model against published serving measurements."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from costmodel import serving
from costmodel.catalog import Catalogue, load_catalogue
from costmodel.catalog.feasibility import context_reason
from costmodel.catalog.units import parse_token_count
from costmodel.cli.common import (
    RENTAL_BASES,
    RENTAL_RULE_HELP,
    CliError,
    Parser,
    Subparsers,
    emit,
    rental_fields,
)
from costmodel.serving import validate, validation_frame
from costmodel.serving.estimate import prefill_pool_plan, with_prefill_of, workpoint_plan
from costmodel.serving.fleet import resolve_rental
from costmodel.serving.memory import DEFAULT_ENGRAM_PLACEMENT, ENGRAM_PLACEMENTS, engram_seconds_per_token
from costmodel.workload.scenario import (
    FP4_COMPUTES,
    LAYOUT_CHOICES,
    MAX_GPUS_PER_REPLICA,
    MAX_TPOT_MS,
    PRECISION_PLANS,
    LayoutChoice,
    SelfHostOption,
)


def _cmd_serve(args: argparse.Namespace) -> int:

    # the scenario's bounds (SelfHostOption.gpus, ServingAssumptions.tpot_ms_target): one rule for both
    if args.gpus is not None and not 0 < args.gpus <= MAX_GPUS_PER_REPLICA:
        raise CliError(f"--gpus must be between 1 and {MAX_GPUS_PER_REPLICA:,}, got {args.gpus:,}")
    if not 0 < args.tpot_ms <= MAX_TPOT_MS:  # nan and inf fail this too
        raise CliError(f"--tpot-ms must be > 0 and at most {MAX_TPOT_MS:,.0f} ms, got {args.tpot_ms}")
    if args.concurrency is not None and args.concurrency <= 0:
        raise CliError(f"--concurrency must be > 0, got {args.concurrency}")
    if (args.isl is None) != (args.osl is None):
        raise CliError("give --isl and --osl together (a request shape), or neither")
    split = args.prefill_gpus is not None or args.decode_gpus is not None
    if split:
        if args.prefill_gpus is None or args.decode_gpus is None:
            raise CliError(
                "give --prefill-gpus and --decode-gpus together (a disaggregated split), or neither"
            )
        if min(args.prefill_gpus, args.decode_gpus) <= 0:
            raise CliError("--prefill-gpus and --decode-gpus must be > 0")
        if args.gpus is not None and args.gpus != args.prefill_gpus + args.decode_gpus:
            raise CliError(
                f"--gpus {args.gpus:,} is not --prefill-gpus + --decode-gpus "
                f"({args.prefill_gpus + args.decode_gpus:,})"
            )
        if args.mode == "aggregated":
            raise CliError(
                "a --prefill-gpus/--decode-gpus split is disaggregated serving, not --mode aggregated"
            )
        args.mode = "disaggregated"
        args.gpus = args.decode_gpus  # the decode pool holds the sequences
    if not 0 <= args.mtp <= 16:
        raise CliError(f"--mtp must be between 0 and 16 draft tokens, got {args.mtp}")
    if not 0 < args.mtp_acceptance <= 1:
        raise CliError(f"--mtp-acceptance must be > 0 and at most 1, got {args.mtp_acceptance}")
    cat = load_catalogue(args.data)
    model, gpu = cat.model(args.model), cat.gpu(args.gpu)
    if args.isl is not None:  # a request shape: decode at the mean KV length of its output
        prompt, output = parse_token_count(args.isl), parse_token_count(args.osl)
        context = round(prompt + output / 2)
    else:
        prompt, context = parse_token_count(args.prompt_tokens), parse_token_count(args.context)
        output = max(context - prompt, 0) * 2
    cached = 0 if args.cached_tokens is None else int(args.cached_tokens)
    if not 0 <= cached <= prompt:
        raise CliError(
            f"--cached-tokens must be between 0 and the prompt's {prompt:,} tokens, got {cached:,}"
        )
    wp = serving.workpoint(
        model, args.precision, context_tokens=context, prompt_tokens=prompt, cached_tokens=cached,
        max_tokens=prompt + output if output else None, speculative=args.mtp > 0,
        fp4_compute=args.fp4_compute,
    )  # fmt: skip
    if args.mtp and not wp.profile.speculative:
        raise CliError(f"--mtp: model {model.id!r} has no MTP layer in its config")
    has_fp4 = bool(wp.profile.linear_flops_by_precision.get("fp4"))
    if args.fp4_compute == "w4a4":  # refused here as bad input; a library caller gets an infeasible estimate
        if not has_fp4:
            raise CliError(
                f"--fp4-compute w4a4: model {model.id!r} under --precision {args.precision} has no FP4 weights "
                "(use --precision fp4)"
            )
        if gpu.fp4_tflops is None:
            raise CliError(f"--fp4-compute w4a4: GPU {gpu.id!r} has no FP4 tensor rate (fp4_tflops)")
    mtp = {"mtp_draft_tokens": max(args.mtp, 1), "mtp_acceptance": args.mtp_acceptance}
    layout: LayoutChoice = args.layout or ("dp" if args.gpus is not None else "auto")
    plan = workpoint_plan(wp, gpu, gpus=args.gpus, layout=layout, engram_placement=args.engram_placement)
    mode = args.mode or serving.default_deployment_class(plan.gpus)
    est = serving.estimate(
        wp, gpu, efficiency=args.efficiency, tpot_ms_target=args.tpot_ms, memory=plan, deployment=mode, **mtp
    )
    note = ""
    if args.concurrency is not None and plan.fits:  # an operating point as benchmarks state it
        batch = args.concurrency / plan.gpus
        held = plan.max_seqs_per_gpu / plan.tp_size  # what the KV room holds per GPU
        if batch > held:
            note = (
                f"concurrency {args.concurrency:,} is more than the {round(held * plan.gpus):,} sequences the memory "
                "holds: the rest queue; rates at the memory's batch"
            )
            batch = held
        est = serving.estimate(
            wp,
            gpu,
            efficiency=args.efficiency,
            decode_batch_per_gpu=batch,
            memory=plan,
            deployment=mode,
            **mtp,
        )
    mem = est.memory
    if wp.profile.engram_bytes:  # V4.1: say where the Engram tables were put and what they cost
        eng_s = engram_seconds_per_token(wp.profile, gpu, mem.gpus, mem.engram_placement)
        where = {
            "peer": "sharded over the GPUs' HBM, read from peers",
            "host": "in host memory, read over PCIe",
            "hbm": "a full copy in every GPU's HBM",
        }[mem.engram_placement]
        note = "; ".join(
            x
            for x in (
                note,
                (
                    f"Engram tables ({wp.profile.engram_bytes / 1e9:,.1f} GB) {where}: {mem.engram_bytes_per_gpu / 1e9:,.1f} "
                    f"GB per GPU; gathering one token's rows takes {eng_s * 1e6:,.3f} us if not prefetched (not in the step "
                    "time)"
                ),
            )
            if x
        )
    # beyond the model's context window (or maximum output) the request cannot be served at all
    window_reason = context_reason(model, prompt, output)
    n_prefill = n_decode = mem.gpus
    if split:  # the prefill pool: its own memory plan, prefill rate and TTFT (as the calculator's options)
        n_prefill, n_decode = args.prefill_gpus, args.decode_gpus
        pre_plan = prefill_pool_plan(wp, gpu, n_prefill, mem)
        if not pre_plan.fits:
            raise CliError(pre_plan.reason)
        pre = serving.estimate(wp, gpu, efficiency=args.efficiency, tpot_ms_target=None, memory=pre_plan)
        est = with_prefill_of(est, pre)
    pf = float(est.prefill_gpu_s_per_request[0])
    d = est.decode_tokens_per_s_per_gpu
    ok = bool(output and d and d == d and d > 0)
    if split and ok:  # the slower pool sets the rate; every GPU of both pools counted
        requests = min(n_prefill / pf, n_decode * d / output)
        e2e = requests * output / (n_prefill + n_decode)
    else:
        # end to end for this request shape, all GPUs counted: each request costs its prefill GPU-seconds and
        # OSL / D of decode (aggregated on the same GPUs, or disaggregated pools sized in that proportion)
        e2e = output / (pf + output / d) if ok else float("nan")
    record = {
        "model": model.id,
        "gpu": gpu.id,
        "precision": args.precision,
        "fp4_compute": args.fp4_compute if has_fp4 else None,
        "efficiency": args.efficiency,
        "mode": mode,
        "gpus": n_prefill + n_decode if split else mem.gpus,
        "prefill_gpus": n_prefill,
        "decode_gpus": n_decode,
        "nodes": mem.nodes,
        "attention_layout": mem.attention_layout,
        "tp_size": mem.tp_size,
        "weights_bytes": mem.weights_bytes,
        "weights_bytes_per_gpu": mem.weights_bytes_per_gpu,
        "engram_placement": mem.engram_placement if wp.profile.engram_bytes else "",
        "engram_bytes_per_gpu": mem.engram_bytes_per_gpu,
        "kv_room_bytes_per_gpu": mem.kv_room_bytes_per_gpu,
        "kv_bytes_per_seq": mem.kv_bytes_per_seq,
        "context_tokens": context,
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "output_tokens": output,
        "max_batch": est.max_batch,
        "batch_per_decode_gpu": est.max_batch_per_gpu * mem.tp_size,
        "mtp_draft_tokens": args.mtp,
        "mtp_acceptance": args.mtp_acceptance if args.mtp else 0.0,
        "tokens_per_s_per_user": 1e3 / est.tpot_ms
        if est.tpot_ms and est.tpot_ms == est.tpot_ms
        else float("nan"),
        "prefill_tokens_per_s_per_gpu": float(est.prefill_tokens_per_s_per_gpu[0]),
        "decode_tokens_per_s_per_gpu": d,
        "output_tokens_per_s_per_gpu": e2e,
        "tpot_ms": est.tpot_ms,
        "ttft_ms": float(est.ttft_ms[0]),
        "decode_bound": est.decode_bound,
        "prefill_bound": est.prefill_bound,
        "fits": mem.fits and not window_reason,
        "feasible": est.feasible and not window_reason,
        "reason": "; ".join(r for r in (window_reason, est.reason) if r),
        "unconfirmed_fields": ", ".join(est.unconfirmed_fields),
        "notes": note,
    }
    if args.rental_basis is not None or args.rental_rule is not None:
        record.update(_rental_record(args, cat, e2e))
    emit(pd.DataFrame([record]), args.format)
    return 0


def _rental_record(
    args: argparse.Namespace, cat: Catalogue, output_tokens_per_s_per_gpu: float
) -> dict[str, object]:
    """The GPU-hour price of ``--rental-basis`` / ``--rental-rule``, its row and provider, and what an output token
    costs at it (USD per 1M output tokens, end to end: every GPU-second of the request shape counted)."""
    try:
        option = SelfHostOption(
            model=args.model, gpu=args.gpu, precision=args.precision,
            **rental_fields(args.rental_basis, args.rental_rule),
        )  # fmt: skip
        usd, rid, source, rental_as_of = resolve_rental(option, cat)
    except ValueError as e:
        raise CliError(str(e).splitlines()[-1].strip()) from None
    row = next((r for r in cat.rentals if r.id == rid), None)
    per_mtok = (
        usd / (output_tokens_per_s_per_gpu * 3600.0) * 1e6
        if output_tokens_per_s_per_gpu == output_tokens_per_s_per_gpu and output_tokens_per_s_per_gpu > 0
        else float("nan")
    )
    return {
        "usd_per_gpu_hour": usd,
        "rental_id": rid,
        "rental_provider": row.provider if row else "your price",
        "rental_basis": row.basis if row else "custom",
        "rental_as_of": rental_as_of,
        "rental_source": source,
        "usd_per_mtok_output_at_rental": per_mtok,
    }


def _cmd_validate(args: argparse.Namespace) -> int:

    v = validate(load_catalogue(args.data))
    rows = validation_frame(v)
    if args.format == "json":
        payload = {
            "rows": json.loads(rows.to_json(orient="records")),
            "summary": v.summary,
            "factors": v.factors,
            "band": {"low": v.band[0], "high": v.band[1]},
            "curves": list(v.curves),
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    emit(rows, args.format)
    if args.format == "md":
        s = v.summary
        sys.stdout.write(
            f"\n{s['rows']} rows ({s['rows_estimated']} estimated); median |error| {s['median_abs_pct_error']:.1f}%, "
            f"leave-one-out {s['loo_median_abs_pct_error']:.1f}%; {s['share_inside_band']:.0%} inside the band; "
            f"largest ratio {s['max_ratio']:.2f}x ({s['worst_row']}); leave-one-curve-out "
            f"{s['loco_median_abs_pct_error']:.1f}% over {s['curves']} curves, worst tilt {s['worst_curve_tilt']:.2f}x "
            f"({s['worst_curve']}); at the measured TPOT {s['iso_tpot_median_abs_pct_error']:.1f}%\n"
        )
    return 0


def add_validate(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser(
        "validate", help="the serving model against every published measurement (data/measurements.yaml)"
    )
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "md", "csv"], default="md")
    p.set_defaults(func=_cmd_validate)


def add_serve(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser(
        "serve", help="memory plan, max batch, prefill/decode throughput, TTFT/TPOT of a deployment"
    )
    p.add_argument("--model", required=True, help="open-weights model id")
    p.add_argument("--gpu", required=True, help="GPU id")
    p.add_argument(
        "--gpus", type=int, default=None, help="fixed deployment size (default: smallest that fits)"
    )
    p.add_argument("--context", default="8K", help="mean KV length during decode, tokens (8K, 128K, 1M)")
    p.add_argument("--prompt-tokens", default="2K", help="prompt length for prefill, tokens")
    p.add_argument("--tpot-ms", type=float, default=50.0, help="time-per-output-token target, ms")
    p.add_argument(
        "--isl", default=None, help="request shape: prompt tokens (with --osl; replaces --context)"
    )
    p.add_argument("--osl", default=None, help="request shape: output tokens per request")
    p.add_argument("--cached-tokens", type=int, default=None, help="cached prefix of the prompt, tokens")
    p.add_argument(
        "--concurrency", type=int, default=None,
        help="requests in flight over the deployment (an operating point as benchmarks give it; replaces the "
        "--tpot-ms search)",
    )  # fmt: skip
    p.add_argument(
        "--mode", choices=["aggregated", "disaggregated"], default=None,
        help="prefill and decode on the same GPUs (TPOT includes the prefill share) or separate pools; the "
        "same fitted step-time parameters for both (default: what a team with that many GPUs runs: aggregated "
        "on one node of 8 or fewer GPUs, disaggregated beyond)",
    )  # fmt: skip
    p.add_argument(
        "--prefill-gpus", type=int, default=None,
        help="disaggregated split: GPUs of the prefill pool (with --decode-gpus; --gpus is their sum)",
    )  # fmt: skip
    p.add_argument(
        "--decode-gpus", type=int, default=None,
        help="disaggregated split: GPUs of the decode pool, which holds the sequences (--concurrency spreads "
        "over these)",
    )  # fmt: skip
    p.add_argument(
        "--mtp", type=int, default=0,
        help="speculative decoding: MTP draft tokens per step K (0 = off); a step verifies 1 + K tokens per "
        "sequence and emits 1 + A·K",
    )  # fmt: skip
    p.add_argument(
        "--mtp-acceptance", type=float, default=0.7,
        help="share A of drafted tokens accepted (with --mtp; real text ~0.6-0.8, random tokens lower)",
    )  # fmt: skip
    p.add_argument("--precision", choices=PRECISION_PLANS, default="native")
    p.add_argument(
        "--fp4-compute", choices=FP4_COMPUTES, default="w4a8",
        help="FP4 weights' GEMMs: activations in FP8 at the FP8 tensor rate (w4a8, the default: what the "
        "published FP4 runs support) or quantised to FP4 at the GPU's FP4 rate (w4a4: NVFP4 / MXFP4 kernels on "
        "B200, GB200, GB300, MI355X; not validated, docs/calibration.md)",
    )  # fmt: skip
    p.add_argument("--efficiency", choices=["low", "base", "high", "floor"], default="base")
    p.add_argument(
        "--layout",
        choices=LAYOUT_CHOICES,
        default=None,
        help="attention data-parallel (dp), tensor-parallel within a node (tp), or the smallest that fits "
        "(auto); default: dp with --gpus (experts by EP over the N GPUs, attention data-parallel), else auto",
    )
    p.add_argument(
        "--engram-placement",
        choices=ENGRAM_PLACEMENTS,
        default=DEFAULT_ENGRAM_PLACEMENT,
        help="V4.1's Engram tables: sharded in the GPUs' HBM and read from peers (peer), in host memory (host), "
        "or a full copy per GPU (hbm); weights_bytes_per_gpu includes their share",
    )
    p.add_argument(
        "--rental-basis", choices=RENTAL_BASES, default=None,
        help="add the GPU-hour price on this basis and its cost per output token (default basis: on_demand)",
    )  # fmt: skip
    p.add_argument("--rental-rule", default=None, help=RENTAL_RULE_HELP)
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "md", "csv"], default="md")
    p.set_defaults(func=_cmd_serve)
