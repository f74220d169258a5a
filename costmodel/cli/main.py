"""The ``costmodel`` command (also ``python -m costmodel``).

Every subcommand turns bad input into one line on stderr and exit status 2; never a traceback.
Subcommands: ``catalog validate|stale`` (foundation), ``attention`` (attention/compute),
``serve`` (serving), ``compare``, ``scenario``, ``presets`` (pricing and comparison).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from costmodel.catalog import CatalogueError
from costmodel.cli.attention import add_attention
from costmodel.cli.catalog import add_catalog
from costmodel.cli.common import CliError, Handler, Parser, Subparsers
from costmodel.cli.compare import add_pricing
from costmodel.cli.economics import add_economics
from costmodel.cli.prices import add_price, add_prices, add_rentals
from costmodel.cli.serve import add_serve, add_validate
from costmodel.cli.workload import add_growth, add_workload

#: Each command group registers its subcommands, in the order ``costmodel --help`` lists them.
REGISTRARS: list[Callable[[Subparsers[Parser]], None]] = [
    add_catalog,
    add_pricing,
    add_serve,
    add_validate,
    add_attention,
    add_price,
    add_prices,
    add_rentals,
    add_economics,
    add_workload,
    add_growth,
]


def build_parser() -> Parser:
    """The argument parser with every registered subcommand."""
    parser = Parser(prog="costmodel", description="DeepSeek V4 cost model: attention, serving, API bills.")
    sub = parser.add_subparsers(dest="cmd", required=True, parser_class=Parser)
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # a usage error (one line already on stderr) or --help: a status, not a raise
        return e.code if isinstance(e.code, int) else 2
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
