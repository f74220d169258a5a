"""The ``costmodel workload from-log`` and ``costmodel growth`` subcommands: workloads from real traffic (registered
by :mod:`costmodel.cli.main`).

Bad input is one line on stderr and exit status 2, as everywhere in the CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from costmodel.catalog import load_catalogue
from costmodel.catalog.units import parse_token_count
from costmodel.cli.common import CliError, Parser, Subparsers, as_of, emit, load_scenario
from costmodel.evaluate.growth import cheapest_changes, growth_projection
from costmodel.workload.presets import preset
from costmodel.workload.scenario import scenario_to_json
from costmodel.workload.usage_log import FORMATS, import_log, scenario_from_import

# ---- workload from-log (usage-log import) -----------------------------------------------------------------


def _cmd_workload_from_log(args: argparse.Namespace) -> int:

    for target in (args.out, args.report):
        if target and Path(target).exists() and not args.force:
            raise CliError(f"{target} exists; use --force to overwrite")
    hint = float(parse_token_count(args.prompt_tokens)) if args.prompt_tokens else None
    log = import_log(args.file, args.format, timezone=args.timezone, prompt_tokens_per_request=hint)
    scenario = scenario_from_import(log, preset("chat", as_of(args.as_of)))
    report = "\n".join(log.report_lines()) + "\n"
    if args.report:
        Path(args.report).write_text(json.dumps(log.report_dict(), indent=2) + "\n", encoding="utf-8")
    if args.out:
        Path(args.out).write_text(scenario_to_json(scenario), encoding="utf-8")
        sys.stdout.write(report + f"wrote {args.out}\n")
    else:  # the scenario on stdout (to redirect), the report on stderr
        sys.stderr.write(report)
        sys.stdout.write(scenario_to_json(scenario))
    return 0


def add_workload(sub: Subparsers[Parser]) -> None:

    p = sub.add_parser("workload", help="build a workload from real traffic")
    wsub = p.add_subparsers(dest="workload_cmd", required=True, parser_class=Parser)
    f = wsub.add_parser(
        "from-log", help="a scenario from a usage log (CSV, JSON/JSONL, Parquet; see docs/usage-logs.md)"
    )
    f.add_argument("file", help="the usage log (.csv, .json, .jsonl, .ndjson, .parquet)")
    f.add_argument("--format", choices=FORMATS, default="auto", help="export format (default: detected)")
    f.add_argument("--out", default=None, help="write the scenario JSON here (default: stdout)")
    f.add_argument("--report", default=None, help="write the full import report (JSON) here")
    f.add_argument("--timezone", default="UTC", help="IANA time zone of the hourly profile (default UTC)")
    f.add_argument(
        "--prompt-tokens", default=None,
        help="mean prompt tokens per request, for logs without request counts (Anthropic's exports)",
    )  # fmt: skip
    f.add_argument("--as-of", default=None, help="price date YYYY-MM-DD of the scenario (default: today)")
    f.add_argument("--force", action="store_true", help="overwrite --out / --report if they exist")
    f.set_defaults(func=_cmd_workload_from_log)


def _cmd_growth(args: argparse.Namespace) -> int:

    scenario = load_scenario(args)
    rate = scenario.monthly_growth_fraction if args.monthly_growth is None else args.monthly_growth
    if args.monthly_growth is None and rate == 0:
        raise CliError("give --monthly-growth (the scenario states no monthly_growth_fraction)")
    projection = growth_projection(scenario, load_catalogue(args.data), rate, args.months)
    changes = cheapest_changes(projection)
    if args.format == "json":
        payload = {
            "rows": json.loads(projection.to_json(orient="records")),
            "cheapest_changes": [{"month": m, "from": a, "to": b} for m, a, b in changes],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    emit(projection, args.format)
    if args.format == "md":
        lines = [f"month {m}: the cheapest option changes from {a} to {b}" for m, a, b in changes]
        sys.stdout.write("\n" + ("\n".join(lines) or "the same option stays cheapest every month") + "\n")
    return 0


def add_growth(sub: Subparsers[Parser]) -> None:
    p = sub.add_parser(
        "growth", help="monthly cost of each option as traffic grows; when the cheapest changes"
    )
    p.add_argument("scenario", nargs="?", default=None, help="scenario file (.json, .yaml)")
    p.add_argument("--preset", default=None, help="a preset instead of a file")
    p.add_argument("--monthly-growth", type=float, default=None,
                   help="traffic growth a month, 0.1 = +10%% (default: the scenario's monthly_growth_fraction)")  # fmt: skip
    p.add_argument("--months", type=int, default=12, help="months projected (default 12, month 0 = now)")
    p.add_argument("--as-of", default=None, help="price date YYYY-MM-DD")
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "csv", "md"], default="md")
    p.set_defaults(func=_cmd_growth)
