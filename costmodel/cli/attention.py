"""The ``costmodel attention`` subcommand: KV cache and attention FLOPs per mechanism at given context lengths."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from costmodel.attention import KV_DTYPES
from costmodel.catalog import load_catalogue, load_models_file
from costmodel.catalog.units import parse_token_list
from costmodel.cli.common import CliError, Parser, Subparsers, emit
from costmodel.views.architecture import attention_table, beyond_window


def _cmd_attention(args: argparse.Namespace) -> int:

    cat = load_catalogue(args.data)
    extra = load_models_file(args.model_file, cat.models) if args.model_file else []
    pool = {m.id: m for m in (*cat.models, *extra)}
    ids = [s.strip() for s in args.model.split(",") if s.strip()] if args.model else [m.id for m in extra]
    if not ids:
        raise CliError("give --model ID[,ID...] (or --model-file F.yaml)")
    for mid in [*ids, *([args.baseline] if args.baseline else [])]:
        if mid not in pool:
            raise CliError(f"unknown model {mid!r}; known: {', '.join(pool)}")
    contexts = parse_token_list(args.context)
    models = [pool[i] for i in ids]
    for m in models:
        for t in beyond_window(m, contexts):
            print(
                f"warning: context {t:,} tokens is beyond {m.id}'s context window of "
                f"{m.context_window_tokens:,}; computed anyway",
                file=sys.stderr,
            )
    baseline = pool[args.baseline] if args.baseline else None
    df = attention_table(models, contexts, args.kv_dtype, baseline=baseline, include_mtp=args.include_mtp)
    emit(df, args.format)
    return 0


def add_attention(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("attention", help="KV cache bytes and FLOPs per token of models at context lengths")
    p.add_argument("--model", default=None, help="model id(s), comma-separated")
    p.add_argument("--context", required=True, help="context length(s): 8192, 128K (=131072), 1M (=1048576)")
    p.add_argument("--baseline", default=None, help="model id for kv_ratio / flops_ratio")
    p.add_argument(
        "--model-file", type=Path, default=None, help="extra models, same schema as data/models.yaml"
    )
    p.add_argument("--kv-dtype", choices=KV_DTYPES, default="deployed")
    p.add_argument("--include-mtp", action="store_true", help="count the MTP layer (speculative decoding)")
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "csv", "md"], default="md")
    p.set_defaults(func=_cmd_attention)
