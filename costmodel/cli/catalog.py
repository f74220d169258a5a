"""The ``costmodel catalog validate|stale`` subcommands: check the catalogue, list rows past their review date."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pandas as pd

from costmodel.catalog import load_catalogue, stale_rows
from costmodel.cli.common import Parser, Subparsers, emit


def _cmd_catalog_validate(args: argparse.Namespace) -> int:
    cat = load_catalogue(args.data)
    folder = args.data or "data/"
    print(
        f"ok: {folder}: {len(cat.models)} models, {len(cat.gpus)} GPUs, {len(cat.rentals)} rentals, "
        f"{len(cat.prices)} price schedules, {len(cat.measurements)} measurements; "
        "all rows and cross-references valid"
    )
    return 0


def _cmd_catalog_stale(args: argparse.Namespace) -> int:
    cat = load_catalogue(args.data)
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    rows = stale_rows(cat, today, args.max_age_days)
    df = pd.DataFrame(rows, columns=["table", "id", "as_of", "age_days"])
    df["as_of"] = df["as_of"].astype(str)
    emit(df, args.format)
    return 0


def add_catalog(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser("catalog", help="validate the catalogue or list stale rows")
    csub = p.add_subparsers(dest="catalog_cmd", required=True, parser_class=Parser)
    v = csub.add_parser("validate", help="check every file, row and cross-reference")
    v.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    v.set_defaults(func=_cmd_catalog_validate)
    s = csub.add_parser("stale", help="rows whose as_of date is older than --max-age-days")
    s.add_argument("--data", type=Path, default=None)
    s.add_argument("--max-age-days", type=int, default=180)
    s.add_argument("--today", default=None, help="reference date YYYY-MM-DD (default: today)")
    s.add_argument("--format", choices=["json", "csv", "md"], default="md")
    s.set_defaults(func=_cmd_catalog_stale)
