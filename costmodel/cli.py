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

from costmodel.attention import KV_DTYPES
from costmodel.catalog import CatalogueError, load_catalogue, stale_rows
from costmodel.export import markdown_table
from costmodel.scenario import LAYOUT_CHOICES, PRECISION_PLANS, LayoutChoice

Handler = Callable[[argparse.Namespace], int]


class CliError(ValueError):
    """A user-facing error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
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


# ---- catalog -----------------------------------------------------------------------------------------------


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


# ---- compare, scenario, presets (pricing) -----------------------------------------------------------------


def _as_of(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CliError(f"bad --as-of {text!r}: use YYYY-MM-DD") from None


def _load_scenario(args: argparse.Namespace) -> Any:
    from costmodel.catalog.loader import MAX_TEXT_BYTES
    from costmodel.presets import preset
    from costmodel.scenario import scenario_from_text

    if args.preset and args.scenario:
        raise CliError("give a SCENARIO file or --preset NAME, not both")
    if args.preset:
        return preset(args.preset, _as_of(args.as_of))
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
    from costmodel.catalog import decode_text

    text = decode_text(path.read_bytes(), str(path))  # UTF-8, BOM dropped: the upload's rule
    if suffix == ".json":
        try:
            json.loads(text)
        except RecursionError:
            raise CliError(f"{path}: nested too deeply; refused") from None
        except ValueError as e:
            raise CliError(f"{path}: not valid JSON: {str(e).splitlines()[0]}") from None
    scenario = scenario_from_text(text, what=str(path))
    return scenario.model_copy(update={"as_of": _as_of(args.as_of)}) if args.as_of else scenario


def _cmd_compare(args: argparse.Namespace) -> int:
    from costmodel.compare import evaluate
    from costmodel.export import to_csv, to_text, write_export

    if args.format == "xlsx" and not args.out:
        raise CliError("--format xlsx writes a file: give --out FILE.xlsx")
    if args.out and Path(args.out).exists() and not args.force:
        raise CliError(f"{args.out} exists; use --force to overwrite")
    scenario = _load_scenario(args)
    cat = load_catalogue(args.data)
    if (args.draws is not None or args.seed is not None) and not args.uncertainty:
        raise CliError("--draws and --seed apply to --uncertainty")
    ev = evaluate(scenario, cat)
    table = ev.table
    for line in ev.left_out:  # options priced before their first row: left out, said (issue 13)
        print(f"note: left out: {line}", file=sys.stderr)
    unc = None
    if args.uncertainty:
        from costmodel.uncertainty import DEFAULT_DRAWS, monte_carlo, with_uncertainty

        draws = DEFAULT_DRAWS if args.draws is None else args.draws
        unc = monte_carlo(scenario, cat, draws=draws, seed=args.seed or 0, evaluation=ev)
        table = with_uncertainty(ev.table, unc)
    if args.readable and args.format != "csv":
        raise CliError("--readable applies to --format csv (md and xlsx are already for people)")
    growth = None
    if scenario.monthly_growth_fraction and args.format in ("md", "json", "xlsx"):  # the 12-month projection
        from costmodel.growth_export import GrowthProblem, growth_or_problem

        growth = growth_or_problem(scenario, cat)
        if isinstance(growth, GrowthProblem):  # the comparison is valid: it is written, the problem in its place
            print(f"warning: growth: {growth.error}; the comparison has no projection", file=sys.stderr)
    if (unc is not None or growth is not None) and args.format in ("md", "json"):
        from costmodel.growth_export import add_growth_to_text
        from costmodel.uncertainty import add_to_text

        text = to_text(args.format, scenario, table, cat, ev.by_class)
        text = add_to_text(args.format, text, unc) if unc is not None else text
        text = add_growth_to_text(args.format, text, growth) if growth is not None else text
        if args.out:
            if Path(args.out).exists() and not args.force:
                raise CliError(f"{args.out} exists; use --force to overwrite")
            Path(args.out).write_text(text, encoding="utf-8")
            print(f"wrote {args.out} ({len(table)} options, {args.format})")
            return 0
        sys.stdout.write(text)
        return 0
    if args.out:
        from costmodel.growth_export import growth_sheets

        write_export(args.out, args.format, scenario, table, cat, force=args.force, readable=args.readable,
                     by_class=ev.by_class, extra_sheets=growth_sheets(growth))  # fmt: skip
        print(f"wrote {args.out} ({len(table)} options, {args.format})")
        return 0
    sys.stdout.write(
        to_csv(table, ev.by_class) if args.readable else to_text(args.format, scenario, table, cat, ev.by_class)
    )
    return 0


def _cmd_scenario(args: argparse.Namespace) -> int:
    from costmodel.presets import preset
    from costmodel.scenario import scenario_to_json, scenario_to_yaml

    s = preset(args.preset, _as_of(args.as_of))
    sys.stdout.write(scenario_to_json(s) if args.format == "json" else scenario_to_yaml(s))
    return 0


def _cmd_presets(args: argparse.Namespace) -> int:
    from costmodel.presets import preset, preset_names

    day = dt.date(2026, 11, 28)  # any date: descriptions do not depend on it
    rows = [(n, preset(n, day).description) for n in preset_names()]
    emit(pd.DataFrame(rows, columns=["preset", "assumptions"]), args.format)
    return 0


def _add_pricing(sub: argparse._SubParsersAction[_Parser]) -> None:
    c = sub.add_parser("compare", help="cost table of a scenario: API bills (and self-hosting)")
    c.add_argument("scenario", nargs="?", default=None, help="scenario file (.json, .yaml)")
    c.add_argument("--preset", default=None, help="run a preset instead (see 'costmodel presets')")
    c.add_argument("--format", choices=["csv", "json", "md", "xlsx"], default="md")
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


# ---- entry point -------------------------------------------------------------------------------------------

#: Each entry adds one subcommand to the parser. Add new subcommands here.
REGISTRARS: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = [_add_catalog, _add_pricing]


# ---- serve (serving helper) --------------------------------------------------------------------------------


def _cmd_serve(args: argparse.Namespace) -> int:
    from costmodel import serving
    from costmodel.feasibility import context_reason
    from costmodel.scenario import MAX_GPUS_PER_REPLICA, MAX_TPOT_MS
    from costmodel.units import parse_token_count

    # the scenario's bounds (SelfHostOption.gpus, ServingAssumptions.tpot_ms_target): one rule for both
    if args.gpus is not None and not 0 < args.gpus <= MAX_GPUS_PER_REPLICA:
        raise CliError(f"--gpus must be between 1 and {MAX_GPUS_PER_REPLICA:,}, got {args.gpus:,}")
    if not 0 < args.tpot_ms <= MAX_TPOT_MS:  # nan and inf fail this too
        raise CliError(f"--tpot-ms must be > 0 and at most {MAX_TPOT_MS:,.0f} ms, got {args.tpot_ms}")
    if args.concurrency is not None and args.concurrency <= 0:
        raise CliError(f"--concurrency must be > 0, got {args.concurrency}")
    if (args.isl is None) != (args.osl is None):
        raise CliError("give --isl and --osl together (a request shape), or neither")
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
        raise CliError(f"--cached-tokens must be between 0 and the prompt's {prompt:,} tokens, got {cached:,}")
    wp = serving.workpoint(
        model, args.precision, context_tokens=context, prompt_tokens=prompt, cached_tokens=cached,
        max_tokens=prompt + output if output else None,
    )  # fmt: skip
    layout: LayoutChoice = args.layout or ("dp" if args.gpus is not None else "auto")
    plan = serving.memory_plan(
        wp.profile, gpu, kv_bytes_per_seq=wp.kv_bytes_per_seq, kv_bytes_max_seq=wp.kv_bytes_max_seq,
        gpus=args.gpus, layout=layout,
    )  # fmt: skip
    mode = args.mode or serving.default_deployment_class(plan.gpus)
    est = serving.estimate(
        wp, gpu, efficiency=args.efficiency, tpot_ms_target=args.tpot_ms, memory=plan, deployment=mode
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
            wp, gpu, efficiency=args.efficiency, decode_batch_per_gpu=batch, memory=plan, deployment=mode
        )
    mem = est.memory
    # beyond the model's context window (or maximum output) the request cannot be served at all
    window_reason = context_reason(model, prompt, output)
    pf = float(est.prefill_gpu_s_per_request[0])
    d = est.decode_tokens_per_s_per_gpu
    # end to end for this request shape, all GPUs counted: each request costs its prefill GPU-seconds and
    # OSL / D of decode (aggregated on the same GPUs, or disaggregated pools sized in that proportion)
    e2e = output / (pf + output / d) if output and d and d == d and d > 0 else float("nan")
    record = {
        "model": model.id,
        "gpu": gpu.id,
        "precision": args.precision,
        "efficiency": args.efficiency,
        "mode": mode,
        "gpus": mem.gpus,
        "nodes": mem.nodes,
        "attention_layout": mem.attention_layout,
        "tp_size": mem.tp_size,
        "weights_bytes": mem.weights_bytes,
        "weights_bytes_per_gpu": mem.weights_bytes_per_gpu,
        "kv_room_bytes_per_gpu": mem.kv_room_bytes_per_gpu,
        "kv_bytes_per_seq": mem.kv_bytes_per_seq,
        "context_tokens": context,
        "prompt_tokens": prompt,
        "cached_tokens": cached,
        "output_tokens": output,
        "max_batch": est.max_batch,
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
    emit(pd.DataFrame([record]), args.format)
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from costmodel.serving import validate, validation_frame

    v = validate(load_catalogue(args.data))
    rows = validation_frame(v)
    if args.format == "json":
        payload = {
            "rows": json.loads(rows.to_json(orient="records")),
            "summary": v.summary,
            "factors": v.factors,
            "band": {"low": v.band[0], "high": v.band[1]},
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    emit(rows, args.format)
    if args.format == "md":
        s = v.summary
        sys.stdout.write(
            f"\n{s['rows']} rows ({s['rows_estimated']} estimated); median |error| {s['median_abs_pct_error']:.1f}%, "
            f"leave-one-out {s['loo_median_abs_pct_error']:.1f}%; {s['share_inside_band']:.0%} inside the band; "
            f"largest ratio {s['max_ratio']:.2f}x ({s['worst_row']})\n"
        )
    return 0


def _add_validate(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "validate", help="the serving model against every published measurement (data/measurements.yaml)"
    )
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "md", "csv"], default="md")
    p.set_defaults(func=_cmd_validate)


def _add_serve(sub: argparse._SubParsersAction[_Parser]) -> None:
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
    p.add_argument("--isl", default=None, help="request shape: prompt tokens (with --osl; replaces --context)")
    p.add_argument("--osl", default=None, help="request shape: output tokens per request")
    p.add_argument("--cached-tokens", type=int, default=None, help="cached prefix of the prompt, tokens")
    p.add_argument(
        "--concurrency", type=int, default=None,
        help="requests in flight over the deployment (an operating point as benchmarks give it; replaces the "
        "--tpot-ms search)",
    )  # fmt: skip
    p.add_argument(
        "--mode", choices=["aggregated", "disaggregated"], default=None,
        help="prefill and decode on the same GPUs (TPOT includes the prefill share) or separate pools; also "
        "picks that class's fitted efficiency (default: what a team with that many GPUs runs: aggregated on "
        "one node of 8 or fewer GPUs, disaggregated beyond)",
    )  # fmt: skip
    p.add_argument("--precision", choices=PRECISION_PLANS, default="native")
    p.add_argument("--efficiency", choices=["low", "base", "high", "floor"], default="base")
    p.add_argument(
        "--layout",
        choices=LAYOUT_CHOICES,
        default=None,
        help="attention data-parallel (dp), tensor-parallel within a node (tp), or the smallest that fits "
        "(auto); default: dp with --gpus (experts by EP over the N GPUs, attention data-parallel), else auto",
    )
    p.add_argument("--data", type=Path, default=None, help="catalogue folder (default: the repo's data/)")
    p.add_argument("--format", choices=["json", "md", "csv"], default="md")
    p.set_defaults(func=_cmd_serve)


REGISTRARS.append(_add_serve)
REGISTRARS.append(_add_validate)


# ---- attention (attention helper) --------------------------------------------------------------------------


def _cmd_attention(args: argparse.Namespace) -> int:
    from costmodel.catalog import load_models_file
    from costmodel.report import attention_table, beyond_window
    from costmodel.units import parse_token_list

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


def _add_attention(sub: argparse._SubParsersAction[_Parser]) -> None:
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


REGISTRARS.append(_add_attention)

# ---- price, prices import (price feeds): costmodel/cli_prices.py -----------------------------------------------
from costmodel.cli_prices import add_price, add_prices  # noqa: E402  (needs CliError, _Parser, emit above)

REGISTRARS += [add_price, add_prices]


def _add_economics(sub: argparse._SubParsersAction[_Parser]) -> None:
    from costmodel.cli_economics import add_economics  # its own module (issue 17)

    add_economics(sub)


REGISTRARS.append(_add_economics)


# ---- workload from-log, growth (real traffic): costmodel/cli_workload.py ---------------------------------------
from costmodel.cli_workload import add_growth, add_workload  # noqa: E402  (needs CliError, _Parser, emit above)

REGISTRARS += [add_workload, add_growth]


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
