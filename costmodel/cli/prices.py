"""The ``costmodel price``, ``costmodel prices import`` and ``costmodel rentals import`` subcommands (registered by :mod:`costmodel.cli.main`).

Bad input is one line on stderr and exit status 2, as everywhere in the CLI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd

from costmodel.catalog import load_catalogue
from costmodel.catalog.units import parse_token_count
from costmodel.cli.common import CliError, Parser, Subparsers, emit
from costmodel.pricing.feeds import apply_review, read_feed, review_feed
from costmodel.pricing.feeds.rentals import RENTAL_SOURCES, apply_rentals, read_rentals, review_rentals
from costmodel.pricing.request_price import parse_instant, price_request


def _tokens(text: str) -> int:

    return 0 if text.strip() == "0" else int(parse_token_count(text))  # 0 is a valid count here


def _cmd_price(args: argparse.Namespace) -> int:

    at = parse_instant(args.at)
    cat = load_catalogue(args.data)
    r = price_request(
        cat,
        args.model,
        at,
        provider=args.provider,
        input_tokens=_tokens(args.input),
        cached_tokens=_tokens(args.cached),
        output_tokens=_tokens(args.output),
        price_basis=args.basis,
    )
    rec = r.record()
    if args.format == "json":
        sys.stdout.write(json.dumps(rec, indent=2) + "\n")
    else:
        emit(pd.DataFrame([rec]), args.format)
    return 0


def add_price(sub: Subparsers[Parser]) -> None:
    """``costmodel price``: one request's cost at an instant."""
    p = sub.add_parser(
        "price", help="what one request costs at an instant (USD), with the row and rates used"
    )
    p.add_argument("--model", required=True, help="model id (see data/models.yaml)")
    p.add_argument(
        "--provider", default=None, help="provider id (default: the model's maker, or its only host)"
    )
    p.add_argument("--at", required=True, help="instant, ISO 8601: 2026-09-12T02:00Z (no offset = UTC)")
    p.add_argument("--input", default="0", help="prompt tokens, cached ones included (2K, 128K ...)")
    p.add_argument("--cached", default="0", help="prompt tokens that are cache hits (part of --input)")
    p.add_argument("--output", default="0", help="billed output tokens (reasoning included)")
    p.add_argument(
        "--basis", choices=["list", "promotion"], default="list",
        help="list price, or the promotion in effect (list when none is)",
    )  # fmt: skip
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "md", "csv"], default="json")
    p.set_defaults(func=_cmd_price)


def _cmd_prices_import(args: argparse.Namespace) -> int:

    if args.file is None:
        raise CliError(
            f"give the feed FILE (--from {args.source}): see docs/prices.md for where to get it offline"
        )
    try:
        effective = dt.date.fromisoformat(args.effective_from) if args.effective_from else dt.date.today()
    except ValueError:
        raise CliError(f"bad --effective-from {args.effective_from[:40]!r}: use YYYY-MM-DD") from None
    feed = read_feed(Path(args.file), args.source)
    cat = load_catalogue(args.data)
    review = review_feed(feed, cat, effective)
    shown = review[review["status"].isin(args.only)] if args.only else review
    left_out = args.except_keys or []
    unknown = [k for k in left_out if k not in set(review["feed_key"])]
    if unknown:
        raise CliError(f"--except: no feed entry {unknown[0][:80]!r} in the review (give feed_key values)")
    if left_out:  # a person's decision: reviewed, said in the action, not applied
        shown = shown.copy()
        shown.loc[shown["feed_key"].isin(left_out), "action"] = "none: left out by --except"
    # --only new --apply: the new rows only. Applied before anything is printed: a failure is one line.
    applied = shown[~shown["feed_key"].isin(left_out)]
    added = apply_review(applied, feed, args.data, effective) if args.apply else None
    emit(shown, args.format)
    counts = review["status"].value_counts().to_dict() if len(review) else {}
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(
        f"{feed.name} {feed.version} (sha256 {feed.sha256[:12]}): {summary or 'no entries'}", file=sys.stderr
    )
    if added is not None:
        print(f"applied: {added} new dated row(s) written to prices.yaml", file=sys.stderr)
    return 0


def add_prices(sub: Subparsers[Parser]) -> None:
    """``costmodel prices import``: review a maintained price feed against the catalogue."""
    p = sub.add_parser("prices", help="maintained price feeds: review against the catalogue, apply new rows")
    psub = p.add_subparsers(dest="prices_cmd", required=True, parser_class=Parser)
    i = psub.add_parser(
        "import", help="review a LiteLLM or genai-prices feed file (offline); --apply adds rows"
    )
    i.add_argument("file", nargs="?", default=None, help="the feed file (LiteLLM JSON; genai-prices data.py)")
    i.add_argument("--from", dest="source", choices=["litellm", "genai-prices"], required=True)
    i.add_argument("--apply", action="store_true", help="add the new and changed rows (never official ones)")
    i.add_argument(
        "--effective-from", default=None,
        help="date YYYY-MM-DD the feed's undated prices are taken to start (default: today, the day it is read)",
    )  # fmt: skip
    i.add_argument(
        "--only", type=_statuses, default=None,
        help="show only these statuses, comma-separated: new,changed,conflict,same,skipped,unmapped",
    )  # fmt: skip
    i.add_argument(
        "--except", dest="except_keys", type=_keys, default=None, metavar="FEED_KEY[,FEED_KEY...]",
        help="feed entries (their feed_key) reviewed but left out of --apply: a person's decision",
    )  # fmt: skip
    i.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    i.add_argument("--format", choices=["json", "md", "csv"], default="md")
    i.set_defaults(func=_cmd_prices_import)


def _keys(text: str) -> list[str]:
    got = [k.strip() for k in text.split(",") if k.strip()]
    if not got:
        raise argparse.ArgumentTypeError("give one or more feed_key values, comma-separated")
    return got


STATUSES = ("new", "changed", "conflict", "same", "skipped", "unmapped")


def _statuses(text: str) -> list[str]:
    got = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in got if s not in STATUSES]
    if bad or not got:
        raise argparse.ArgumentTypeError(
            f"unknown status {', '.join(bad) or repr(text)}; use {','.join(STATUSES)}"
        )
    return got


def _cmd_rentals_import(args: argparse.Namespace) -> int:
    if args.file is None:
        raise CliError(
            f"give the catalog FILE (--from {args.source}): a SkyPilot vms.csv or a gpuhunt <provider>.csv"
        )
    try:
        read_on = dt.date.fromisoformat(args.read_on) if args.read_on else dt.date.today()
    except ValueError:
        raise CliError(f"bad --read-on {args.read_on[:40]!r}: use YYYY-MM-DD") from None
    feed = read_rentals(Path(args.file), args.source, args.provider)
    review = review_rentals(feed, load_catalogue(args.data))
    added = apply_rentals(review, feed, args.data, read_on) if args.apply else None
    emit(review, args.format)
    counts = review["status"].value_counts().to_dict() if len(review) else {}
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    print(
        f"{feed.name} {feed.provider} (sha256 {feed.sha256[:12]}): {summary or 'no GPU offers'}",
        file=sys.stderr,
    )
    if added is not None:
        print(f"applied: {added} new dated row(s) written to hardware.yaml", file=sys.stderr)
    return 0


def add_rentals(sub: Subparsers[Parser]) -> None:
    """``costmodel rentals import``: review a GPU rental catalog file against the market's rows."""
    p = sub.add_parser("rentals", help="GPU rental feeds: review against the catalogue, apply new dated rows")
    rsub = p.add_subparsers(dest="rentals_cmd", required=True, parser_class=Parser)
    i = rsub.add_parser(
        "import", help="review a SkyPilot v8 vms.csv or gpuhunt catalog CSV (offline); --apply adds rows"
    )
    i.add_argument("file", nargs="?", default=None, help="the catalog CSV file")
    i.add_argument("--from", dest="source", choices=RENTAL_SOURCES, required=True)
    i.add_argument(
        "--provider", default=None,
        help="provider name (default: the SkyPilot folder name, catalogs/v8/<cloud>/vms.csv, or the gpuhunt file name)",
    )  # fmt: skip
    i.add_argument(
        "--apply", action="store_true", help="append the new and changed rows, dated (history kept)"
    )
    i.add_argument(
        "--read-on", default=None, help="date YYYY-MM-DD the undated file was read (default: today)"
    )
    i.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    i.add_argument("--format", choices=["json", "md", "csv"], default="md")
    i.set_defaults(func=_cmd_rentals_import)
