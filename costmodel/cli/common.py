"""What every ``costmodel`` subcommand shares: the one-line error, the parser that exits with one line, table
output (json, csv, md), the ``--as-of`` date and the scenario argument (a file or ``--preset``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from costmodel.catalog import decode_text
from costmodel.catalog.loader import MAX_TEXT_BYTES
from costmodel.views.export.comparison import markdown_table
from costmodel.workload.presets import preset
from costmodel.workload.scenario import Scenario, scenario_from_text

Handler = Callable[[argparse.Namespace], int]
Subparsers = argparse._SubParsersAction  # what a group's ``add_*`` registers its subcommands on


class CliError(ValueError):
    """A user-facing error: printed as one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, exit 2 (argparse prints usage too: keep it short)
        one_line = " ".join(message.splitlines())  # an argument may carry a newline or CR
        self.exit(2, f"error: {one_line} (see '{self.prog} --help')\n")


# ---- shared output -----------------------------------------------------------------------------------------


def emit(df: pd.DataFrame, fmt: str, out: Callable[[str], object] | None = None) -> None:
    """Print ``df`` as ``json`` (array of records), ``csv`` or ``md`` (to ``out``, default stdout)."""
    out = out or sys.stdout.write
    if fmt == "json":
        out(json.dumps(json.loads(df.to_json(orient="records")), indent=2) + "\n")
    elif fmt == "csv":
        out(df.to_csv(index=False))
    elif fmt == "md":
        out(markdown_table(df))
    else:  # argparse choices prevent this
        raise CliError(f"unknown format {fmt!r}")


def as_of(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"bad --as-of {text!r}: use YYYY-MM-DD") from None


def load_scenario(args: argparse.Namespace) -> Scenario:
    if args.preset and args.scenario:
        raise CliError("give a SCENARIO file or --preset NAME, not both")
    if args.preset:
        return preset(args.preset, as_of(args.as_of))
    if not args.scenario:
        raise CliError("give a SCENARIO file (.json, .yaml) or --preset NAME (see 'costmodel presets')")
    path = Path(args.scenario)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise CliError(f"{path}: a scenario file must end in .json, .yaml or .yml")
    if not path.is_file():
        raise CliError(f"{path}: file not found")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise CliError(f"{path}: larger than {MAX_TEXT_BYTES // 1_000_000} MB; refused")
    text = decode_text(path.read_bytes(), str(path))  # UTF-8, BOM dropped: the upload's rule
    if suffix == ".json":
        try:
            json.loads(text)
        except RecursionError:
            raise CliError(f"{path}: nested too deeply; refused") from None
        except ValueError as e:
            raise CliError(f"{path}: not valid JSON: {str(e).splitlines()[0]}") from None
    scenario = scenario_from_text(text, what=str(path))
    return scenario.model_copy(update={"as_of": as_of(args.as_of)}) if args.as_of else scenario


# ---- the rental market: --rental-basis / --rental-rule (serve, compare) -------------------------------------

RENTAL_BASES = ("on_demand", "reserved", "spot")
RENTAL_RULE_HELP = (
    "which rental row prices the GPU-hour: latest (the curated row, the default), cheapest or median of the "
    "market's offers, provider:NAME (e.g. provider:nebius), or a number (your own USD per GPU-hour)"
)


def rental_fields(basis: str | None, rule: str | None) -> dict[str, Any]:
    """The :class:`~costmodel.workload.scenario.SelfHostOption` fields of ``--rental-basis`` / ``--rental-rule``."""
    out: dict[str, Any] = {}
    if basis is not None:
        out["acquisition"] = basis
    if rule is None:
        return out
    text = rule.strip()
    if text in ("latest", "cheapest", "median"):
        out["rental_rule"] = text
    elif text.startswith("provider:") and text[len("provider:") :].strip():
        out.update(rental_rule="provider", rental_provider=text[len("provider:") :].strip())
    else:
        try:
            price = float(text)
        except ValueError:
            raise CliError(
                f"bad --rental-rule {rule!r}: use latest, cheapest, median, provider:NAME or a price"
            ) from None
        if not 0 < price <= 1000:  # SelfHostOption.usd_per_gpu_hour's bounds; nan fails this too
            raise CliError(f"--rental-rule price must be > 0 and at most 1,000 USD per GPU-hour, got {rule}")
        out["usd_per_gpu_hour"] = price
    return out


def with_rental(scenario: Scenario, basis: str | None, rule: str | None) -> Scenario:
    """Every self-hosting option of ``scenario`` that rents without a row or price of its own, on that basis and
    rule (options with a ``rental_id``, an own price or bought servers keep theirs)."""
    update = rental_fields(basis, rule)
    if not update:
        return scenario
    opts = []
    for o in scenario.self_host_options:
        if o.rental_id is not None or o.usd_per_gpu_hour is not None or o.acquisition == "buy":
            opts.append(o)
            continue
        try:
            opts.append(type(o).model_validate({**o.model_dump(), **update}))
        except ValueError as e:
            raise CliError(f"--rental-rule/--rental-basis: {str(e).splitlines()[-1].strip()}") from None
    return scenario.model_copy(update={"self_host_options": tuple(opts)})
