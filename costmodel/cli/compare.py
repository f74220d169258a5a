"""The ``costmodel compare``, ``scenario`` and ``presets`` subcommands: a scenario priced against every option."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import pandas as pd

from costmodel.catalog import load_catalogue
from costmodel.cli.common import (
    RENTAL_BASES,
    RENTAL_RULE_HELP,
    CliError,
    Parser,
    Subparsers,
    as_of,
    emit,
    load_scenario,
    with_rental,
)
from costmodel.evaluate.evaluation import evaluate
from costmodel.evaluate.uncertainty import DEFAULT_DRAWS, monte_carlo, with_uncertainty
from costmodel.views.export.growth import GrowthProblem, growth_or_problem, growth_section
from costmodel.views.export.plans import plan_sections
from costmodel.views.export.report import (
    BINARY_FORMATS,
    FORMATS,
    Report,
    render,
    sections_of,
    uncertainty_section,
    write_report,
)
from costmodel.workload.presets import preset, preset_names
from costmodel.workload.scenario import scenario_to_json, scenario_to_yaml


def _cmd_compare(args: argparse.Namespace) -> int:
    if args.format in BINARY_FORMATS and not args.out:
        raise CliError(f"--format {args.format} writes a file: give --out FILE.{args.format}")
    if args.out and Path(args.out).exists() and not args.force:
        raise CliError(f"{args.out} exists; use --force to overwrite")
    scenario = load_scenario(args)
    if args.plans:  # the file's own ``plans: true`` works too; the flag turns them on for any scenario
        scenario = scenario.model_copy(update={"plans": True})
    scenario = with_rental(scenario, args.rental_basis, args.rental_rule)
    cat = load_catalogue(args.data)
    if (args.draws is not None or args.seed is not None) and not args.uncertainty:
        raise CliError("--draws and --seed apply to --uncertainty")
    ev = evaluate(scenario, cat)
    table = ev.table
    if scenario.plans and not ev.plans:
        print("note: no plan: no API option serves the same model as a self-hosting option", file=sys.stderr)
    for line in ev.left_out:  # options priced before their first row: left out, said
        print(f"note: left out: {line}", file=sys.stderr)
    unc = None
    if args.uncertainty:
        draws = DEFAULT_DRAWS if args.draws is None else args.draws
        unc = monte_carlo(scenario, cat, draws=draws, seed=args.seed or 0, evaluation=ev)
        table = with_uncertainty(ev.table, unc)
    if args.readable and args.format != "csv":
        raise CliError("--readable applies to --format csv (md and xlsx are already for people)")
    growth = None
    if scenario.monthly_growth_fraction and args.format != "csv":  # the 12-month projection
        growth = growth_or_problem(scenario, cat)
        if isinstance(
            growth, GrowthProblem
        ):  # the comparison is valid: it is written, the problem in its place
            print(f"warning: growth: {growth.error}; the comparison has no projection", file=sys.stderr)
    report = Report(
        scenario,
        table,
        cat,
        None,  # the command's exports carry no break-even section (the page's do)
        ev.by_class,
        sections_of(
            [
                uncertainty_section(unc) if unc is not None else None,
                growth_section(growth) if growth is not None else None,
                plan_sections(table, ev.plan_hours()),
            ]
        ),
    )
    fmt = "csv-readable" if args.readable else args.format
    if args.out:
        write_report(args.out, fmt, report, force=args.force)
        print(f"wrote {args.out} ({len(table)} options, {args.format})")
        return 0
    out = render(fmt, report)
    assert isinstance(out, str)  # a binary format without --out is refused above
    sys.stdout.write(out)
    return 0


def _cmd_scenario(args: argparse.Namespace) -> int:

    s = preset(args.preset, as_of(args.as_of))
    sys.stdout.write(scenario_to_json(s) if args.format == "json" else scenario_to_yaml(s))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:

    day = dt.date(2026, 11, 28)  # any date: descriptions do not depend on it
    rows = [(n, preset(n, day).description) for n in preset_names()]
    emit(pd.DataFrame(rows, columns=["preset", "assumptions"]), args.format)
    return 0


def add_pricing(sub: Subparsers[Parser]) -> None:
    c = sub.add_parser("compare", help="cost table of a scenario: API bills (and self-hosting)")
    c.add_argument("scenario", nargs="?", default=None, help="scenario file (.json, .yaml)")
    c.add_argument("--preset", default=None, help="run a preset instead (see 'costmodel presets')")
    c.add_argument("--format", choices=FORMATS, default="md")
    c.add_argument("--out", default=None, help="write to FILE instead of printing (xlsx needs it)")
    c.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    c.add_argument(
        "--readable",
        action="store_true",
        help="with --format csv: the CSV for people (ranked, headers with units, rounded) instead of the "
        "machine CSV (the table's snake_case columns at full precision)",
    )
    c.add_argument(
        "--as-of", default=None, help="price date YYYY-MM-DD (default: the file's; presets: today)"
    )
    c.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    c.add_argument(
        "--uncertainty",
        action="store_true",
        help="add p_cheapest and P10/P50/P90 monthly cost per option (Monte Carlo; md/json: tornado too)",
    )
    c.add_argument(
        "--plans",
        action="store_true",
        help="add rows of kind plan: each self-hosting option's fleet for the base load (committed and on-demand "
        "GPUs) with the overflow sent to the API serving the same model, hour by hour; xlsx: Plans sheets",
    )
    c.add_argument(
        "--rental-basis", choices=RENTAL_BASES, default=None,
        help="price every renting self-hosting option on this basis (a scenario option's acquisition field)",
    )  # fmt: skip
    c.add_argument(
        "--rental-rule", default=None, help=RENTAL_RULE_HELP + " (a scenario option's rental_rule)"
    )
    c.add_argument("--draws", type=int, default=None, help="Monte Carlo draws (default 10,000)")
    c.add_argument("--seed", type=int, default=None, help="Monte Carlo seed (default 0)")
    c.set_defaults(func=_cmd_compare)
    s = sub.add_parser("scenario", help="print a preset scenario, the starting point to edit")
    s.add_argument("--preset", required=True)
    s.add_argument("--as-of", default=None, help="price date YYYY-MM-DD (default: today)")
    s.add_argument("--format", choices=["json", "yaml"], default="json")
    s.set_defaults(func=_cmd_scenario)
    p = sub.add_parser("presets", help="list the preset scenarios and their assumptions")
    p.add_argument("--format", choices=["json", "csv", "md"], default="md")
    p.set_defaults(func=_cmd_presets)
