"""``costmodel economics``: the provider's cost per 1M tokens, the margin every dated price implies, the V3.2 → V4
comparison and the GPU (Ascend) question. Defaults are DeepSeek's own fleet (:data:`DEEPSEEK_FLEET`,
:data:`DEEPSEEK_MIX`); every flag overrides one assumption. Registered by :mod:`costmodel.cli.main`."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from costmodel.catalog import load_catalogue
from costmodel.catalog.units import parse_token_count
from costmodel.cli.common import CliError, emit
from costmodel.economics import (
    ASCEND_GPUS,
    DEEPSEEK_FLEET,
    DEEPSEEK_MIX,
    STORY_MODELS,
    EconomicsError,
    Fleet,
    TrafficMix,
    economics,
)
from costmodel.serving.efficiency import DEPLOYMENT_CLASSES
from costmodel.views.export.economics import TABLES, to_csv, to_json, to_markdown, write_xlsx
from costmodel.workload.scenario import PRECISION_PLANS


def _fraction(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise EconomicsError(f"bad {what} {text!r}: give a number between 0 and 1 (e.g. 0.7)") from None
    if not math.isfinite(v):
        raise EconomicsError(f"bad {what} {text!r}: give a number between 0 and 1 (e.g. 0.7)")
    return v


def _usd(text: str, what: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise EconomicsError(f"bad {what} {text!r}: give USD per GPU-hour, e.g. 2.0") from None
    if not (math.isfinite(v) and 1e-6 <= v < 1e6):
        raise EconomicsError(f"bad {what} {text!r}: must be between 0.000001 and 1,000,000 USD per GPU-hour")
    return v


def parse_gpu_prices(text: str | None) -> dict[str, float]:
    """``ascend-950=1.5,h20=1.1`` → ``{gpu: USD per GPU-hour}`` (one line naming a bad item)."""
    out: dict[str, float] = {}
    if not text:
        return out
    for item in text.split(","):
        gpu, sep, value = item.partition("=")
        gpu = gpu.strip()
        if not sep or not gpu:
            raise EconomicsError(f"bad --gpu-hour-costs item {item!r}: use GPU=USD, e.g. ascend-950=1.5")
        if gpu in out:
            raise EconomicsError(f"--gpu-hour-costs gives {gpu} twice")
        out[gpu] = _usd(value.strip(), f"GPU-hour cost for {gpu}")
    return out


def _cmd_economics(args: argparse.Namespace) -> int:

    if args.format == "xlsx" and not args.out:
        raise CliError("--format xlsx writes a file: give --out FILE.xlsx")
    if args.format == "csv" and args.table == "all":
        raise CliError("--format csv prints one table: give --table (" + ", ".join(TABLES) + ")")
    if args.out and Path(args.out).exists() and not args.force:
        raise CliError(f"{args.out} exists; use --force to overwrite")
    if args.usd_per_gpu_hour is not None and args.rental:
        raise CliError("give --usd-per-gpu-hour or --rental, not both")
    cat = load_catalogue(args.data)
    gpu_changed = args.gpu != DEEPSEEK_FLEET.gpu
    fleet = Fleet(
        gpu=args.gpu,
        usd_per_gpu_hour=None
        if args.usd_per_gpu_hour is None
        else _usd(args.usd_per_gpu_hour, "--usd-per-gpu-hour"),
        rental_id=args.rental
        or (None if gpu_changed or args.usd_per_gpu_hour is not None else DEEPSEEK_FLEET.rental_id),
        mode=args.mode or (None if gpu_changed else DEEPSEEK_FLEET.mode),
        gpus=args.gpus,
        precision=args.precision,
        utilization=_fraction(args.utilization, "--utilization"),
        tpot_ms=args.tpot_ms,
    )
    mix = TrafficMix(
        prompt_tokens=parse_token_count(args.prompt_tokens),
        output_tokens=parse_token_count(args.output_tokens),
        cached_share=_fraction(args.cached_share, "--cached-share"),
    )
    models = [m.strip() for m in args.story_models.split(",")] if args.story_models else list(STORY_MODELS)
    hw = (
        [g.strip() for g in args.gpus_compared.split(",")]
        if args.gpus_compared
        else [fleet.gpu, *ASCEND_GPUS]
    )
    hw = list(dict.fromkeys(hw))
    if not all(models) or not all(hw):
        raise CliError("an empty item in --story-models or --gpus-compared")
    for mid in [args.model, *models]:
        cat.model(mid)  # a KeyError names an unknown model
    stated = parse_gpu_prices(args.gpu_hour_costs)
    for g in [*hw, *stated]:
        cat.gpu(g)
    ec = economics(args.model, fleet, mix, cat, stated_usd_per_gpu_hour=stated, story_models=models,
                   hardware_gpus=hw, sweep_price=args.sweep_price)  # fmt: skip
    for note in ((ec.cost.reason,) if not ec.cost.feasible else ()) + ec.cost.notes:
        print(f"warning: {args.model} on {fleet.gpu}: {note}", file=sys.stderr)
    if args.format == "xlsx":
        write_xlsx(Path(args.out), ec)
        print(f"wrote {args.out} ({len(TABLES)} sheets, xlsx)")
        return 0
    text: str
    if args.table != "all":
        chunks: list[str] = []
        if args.format == "csv":
            text = to_csv(ec, args.table)
        else:
            emit(getattr(ec, args.table), args.format, chunks.append)
            text = "".join(chunks)
    else:
        text = to_json(ec) if args.format == "json" else to_markdown(ec)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out} ({args.table}, {args.format})")
        return 0
    sys.stdout.write(text)
    return 0


def add_economics(sub: Any) -> None:
    """Register ``costmodel economics`` on the subparsers ``sub``."""
    f, m = DEEPSEEK_FLEET, DEEPSEEK_MIX
    p = sub.add_parser(
        "economics",
        help="the provider's cost per 1M tokens, the margin each dated price implies, V3.2 vs V4, GPUs vs Ascend",
        description="Defaults: DeepSeek's own fleet (H800 at USD 2 per GPU-hour, DeepSeek's stated assumption; "
        "disaggregated; 70%% utilisation, 50%% cached input, 8K prompts, 1K outputs: our assumptions).",
    )
    p.add_argument(
        "--model", default="deepseek-v4-pro", help="open-weights model id (default deepseek-v4-pro)"
    )
    p.add_argument("--gpu", default=f.gpu, help=f"GPU id of the fleet (default {f.gpu})")
    p.add_argument("--usd-per-gpu-hour", default=None, help="what a GPU-hour costs the provider, USD")
    p.add_argument("--rental", default=None, help="catalogue rental row id for the GPU-hour cost")
    p.add_argument(
        "--mode",
        choices=DEPLOYMENT_CLASSES,
        default=None,
        help="serving mode (default: disaggregated for the DeepSeek fleet, else by deployment size)",
    )
    p.add_argument("--gpus", type=int, default=None, help="GPUs per deployment (default: smallest that fits)")
    p.add_argument("--precision", choices=PRECISION_PLANS, default="native")
    p.add_argument(
        "--utilization",
        default=str(f.utilization),
        help="mean fraction of paid GPU-hours doing work over the day, (0, 1]",
    )
    p.add_argument("--tpot-ms", type=float, default=f.tpot_ms, help="time-per-output-token target, ms")
    p.add_argument("--prompt-tokens", default="8K", help="input tokens per request (8K, 128K, 1M)")
    p.add_argument("--output-tokens", default="1K", help="output tokens per request")
    p.add_argument(
        "--cached-share", default=str(m.cached_share), help="fraction of input tokens that are cache hits"
    )
    p.add_argument("--story-models", default=None, help="models of the V3.2 → V4 comparison, baseline first")
    p.add_argument("--gpus-compared", default=None, help="GPUs of the hardware comparison, reference first")
    p.add_argument(
        "--gpu-hour-costs",
        default=None,
        help="stated GPU-hour costs for the comparison, e.g. ascend-950=1.5,h20=1.2 (USD)",
    )
    p.add_argument(
        "--sweep-price",
        default=None,
        help="price of the per-length sweep, 'ROW_ID (window)' as in the margins table "
        "(default: the most recent row's first window)",
    )
    p.add_argument(
        "--table", choices=["all", *TABLES], default="all", help="one table, or all (json, md, xlsx)"
    )
    p.add_argument("--format", choices=["json", "csv", "md", "xlsx"], default="md")
    p.add_argument("--out", default=None, help="write to FILE instead of printing (xlsx needs it)")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.set_defaults(func=_cmd_economics)
