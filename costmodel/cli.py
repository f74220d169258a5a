"""The ``costmodel`` command (also ``python -m costmodel``).

Every subcommand turns bad input into one line on stderr and exit status 2; never a traceback.
Subcommands: ``catalog validate|stale`` (foundation), ``attention`` (attention/compute),
``serve`` (serving), ``compare``, ``scenario``, ``presets`` (pricing and comparison).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from costmodel.catalog import CatalogueError, load_catalogue, stale_rows

Handler = Callable[[argparse.Namespace], int]


class CliError(ValueError):
    """A user-facing error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2 (argparse prints usage too: keep it short)
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


# ---- shared output -----------------------------------------------------------------------------------------


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table of ``df`` (no index); pipes in cells are escaped."""

    def cell(v: object) -> str:
        text = f"{v:,.6g}" if isinstance(v, float) else "" if v is None else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def emit(df: pd.DataFrame, fmt: str, out: Callable[[str], object] = sys.stdout.write) -> None:
    """Print ``df`` as ``json`` (array of records), ``csv`` or ``md``."""
    if fmt == "json":
        out(json.dumps(json.loads(df.to_json(orient="records")), indent=2) + "\n")
    elif fmt == "csv":
        out(df.to_csv(index=False))
    elif fmt == "md":
        out(markdown_table(df))
    else:  # argparse choices prevent this
        raise CliError(f"unknown format {fmt!r}")


# ---- catalog -----------------------------------------------------------------------------------------------


def _cmd_catalog_validate(args: argparse.Namespace) -> int:
    cat = load_catalogue(args.data)
    folder = args.data or "data/"
    print(
        f"ok: {folder}: {len(cat.models)} models, {len(cat.gpus)} GPUs, {len(cat.rentals)} rentals, "
        f"{len(cat.prices)} price schedules; all rows and cross-references valid"
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


def _add_catalog(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser("catalog", help="validate the catalogue or list stale rows")
    csub = p.add_subparsers(dest="catalog_cmd", required=True, parser_class=_Parser)
    v = csub.add_parser("validate", help="check every file, row and cross-reference")
    v.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    v.set_defaults(func=_cmd_catalog_validate)
    s = csub.add_parser("stale", help="rows whose as_of date is older than --max-age-days")
    s.add_argument("--data", type=Path, default=None)
    s.add_argument("--max-age-days", type=int, default=180)
    s.add_argument("--today", default=None, help="reference date YYYY-MM-DD (default: today)")
    s.add_argument("--format", choices=["json", "csv", "md"], default="md")
    s.set_defaults(func=_cmd_catalog_stale)


# ---- entry point -------------------------------------------------------------------------------------------

#: Each entry adds one subcommand to the parser. Add new subcommands here.
REGISTRARS: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [_add_catalog]


def build_parser() -> _Parser:
    """The argument parser with every registered subcommand."""
    parser = _Parser(prog="costmodel", description="DeepSeek V4 cost model: attention, serving, API bills.")
    sub = parser.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.func
    try:
        return handler(args)
    except (CliError, CatalogueError, ValueError, KeyError, OSError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        first = str(msg).strip().splitlines()[0] if str(msg).strip() else type(e).__name__
        print(f"error: {first}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # pragma: no cover - `costmodel ... | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
