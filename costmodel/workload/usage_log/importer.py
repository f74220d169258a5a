"""Usage logs: importing a file (one SQL pass: checks, rejections by reason, aggregates) and the Scenario it gives."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from costmodel.workload.scenario import MAX_TOKENS_PER_REQUEST, Scenario
from costmodel.workload.usage_log.formats import (
    _KINDS,
    FORMATS,
    OUTPUT_FIRST_EXP,
    PROMPT_FIRST_EXP,
    HistogramBucket,
    LogFormat,
    LogImport,
    UsageLogError,
)
from costmodel.workload.usage_log.sql import (
    _DEEPSEEK_TYPES,
    _REASONS,
    _columns,
    _connect,
    _deepseek_long,
    _detect,
    _expand,
    _flatten_sql,
    _hist_sql,
    _json_page_columns,
    _one_line,
    _source_sql,
    _span,
    _sql_str,
)


def import_log(
    path: str | os.PathLike[str],
    fmt: LogFormat = "auto",
    *,
    timezone: str = "UTC",
    prompt_tokens_per_request: float | None = None,
    threads: int | None = None,
    what: str | None = None,
) -> LogImport:
    """Read and summarise a usage log (CSV, JSON/JSONL or Parquet, by suffix).

    Args:
        path: the file.
        fmt: the export format, or ``auto`` to detect it from the column names.
        timezone: IANA zone of the hourly profile and the days (timestamps without offset are UTC).
        prompt_tokens_per_request: mean prompt tokens per request, for formats without request counts
            (Anthropic's): requests = input tokens of the row / this.
        threads: DuckDB threads (None = DuckDB's default); the benchmark sets 1.
        what: the name in messages (default: the path).

    Raises:
        UsageLogError: one line: unreadable or unknown file, missing columns, no usable row, ...
    """
    what = what or str(path)
    p = Path(path)
    kind = _KINDS.get(p.suffix.lower())
    if kind is None:
        raise UsageLogError(f"{what}: a usage log must end in .csv, .json, .jsonl, .ndjson or .parquet")
    _check_regular_file(p, what)
    if fmt not in FORMATS:
        raise UsageLogError(f"{what}: unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageLogError(f"unknown time zone {timezone!r}; use an IANA name such as 'UTC'") from None
    if prompt_tokens_per_request is not None and not (
        math.isfinite(prompt_tokens_per_request) and 0 < prompt_tokens_per_request <= MAX_TOKENS_PER_REQUEST
    ):
        raise UsageLogError(f"the mean prompt length must be between 1 and {MAX_TOKENS_PER_REQUEST:,} tokens")
    import duckdb

    con = _connect(threads)
    try:
        with _exactly(p) as safe:
            return _import(con, safe, kind, fmt, timezone, prompt_tokens_per_request, what)
    except duckdb.Error as e:
        if "unicode" in str(e).lower() or "utf-8" in str(e).lower():
            raise UsageLogError(
                f"{what}: not UTF-8 text; save the log as UTF-8 and upload it again"
            ) from None
        raise UsageLogError(f"{what}: not a readable {kind.upper()} usage log ({_one_line(e)})") from None
    finally:
        con.close()


def _check_regular_file(p: Path, what: str) -> None:
    """One line for a path that is not a regular file: missing, a broken link, or a device, pipe or directory
    (a link to ``/dev/zero`` is not "not found": it is there and never ends)."""
    if p.is_file():
        return
    if p.is_symlink() and not p.exists():
        raise UsageLogError(f"{what}: a symbolic link to a file that does not exist")
    if p.exists():
        kind = "a directory" if p.is_dir() else "a device, pipe or socket"
        raise UsageLogError(f"{what}: not a regular file ({kind}); give the log file itself")
    raise UsageLogError(f"{what}: file not found")


@contextlib.contextmanager
def _exactly(p: Path) -> Iterator[str]:
    """A path DuckDB reads as exactly the file ``p``: DuckDB takes a path as a glob (``a[b].csv`` read ``ab.csv``,
    ``star*.csv`` merged two files) or a URL, so it is given a link with a plain name in a private directory."""
    with tempfile.TemporaryDirectory(prefix="usage-log-") as tmp:
        link = Path(tmp) / f"log{p.suffix.lower()}"
        link.symlink_to(p.resolve())
        yield str(link)


def _import(
    con: Any, path: str, kind: str, fmt: LogFormat, tz: str, prompt_hint: float | None, what: str
) -> LogImport:
    src = _source_sql(path, kind)
    how = ""
    if kind == "json":
        columns, how = _json_page_columns(con, src)
        if how:
            src = _flatten_sql(src, how)
    else:
        columns = _columns(con, src, kind)
    name, spec = _detect(columns, fmt, what)
    if how == "anthropic_pages" and name != "anthropic":
        raise UsageLogError(f"{what}: an Anthropic usage-report page, not a {name} log")
    missing = [c for c in spec.required if c not in columns]
    if missing:
        raise UsageLogError(f"{what}: {spec.name}: column(s) {', '.join(missing)} missing")
    notes: list[str] = []
    unpivoted: list[tuple[str, int]] = []
    if spec.flatten == "deepseek_long":
        if kind == "json":
            raise UsageLogError(f"{what}: {spec.name} is read from its CSV (amount-*.csv from the ZIP)")
        src, unpivoted = _deepseek_long(con, src, columns)
        columns = {"__start", "__end", "model", *_DEEPSEEK_TYPES.values(), "__rows"}

    def x(template: str) -> str:
        return _expand(template, kind, columns)

    if spec.requests is None:
        if prompt_hint is None:
            raise UsageLogError(
                f"{what}: {spec.name} has no request counts: give the mean prompt length per request "
                "(--prompt-tokens N) to turn its token totals into requests"
            )
        requests_sql = f"({x(spec.input)}) / {float(prompt_hint)!r}"
        notes.append(
            f"the log has no request counts: requests = input tokens / {prompt_hint:,.0f} (the mean prompt "
            "length given); the histograms then hold row means"
        )
    else:
        requests_sql = x(spec.requests)
    reasoning_sql = x(spec.reasoning) if spec.reasoning else "NULL"
    con.execute(
        "CREATE TEMP VIEW norm AS SELECT "
        f"{x(spec.ts)} AS ts, CAST({requests_sql} AS DOUBLE) AS requests, CAST({x(spec.input)} AS DOUBLE) AS input, "
        f"CAST({x(spec.cached)} AS DOUBLE) AS cached, CAST({x(spec.output)} AS DOUBLE) AS output, "
        f"CAST({reasoning_sql} AS DOUBLE) AS reasoning, CAST({x(spec.model)} AS VARCHAR) AS model, "
        f"CAST({x(spec.bucket_hours)} AS DOUBLE) AS bucket_hours, CAST({x(spec.row_weight)} AS BIGINT) AS w "
        f"FROM {src}"
    )
    reason_sql = "CASE " + " ".join(f"WHEN {c} THEN {_sql_str(r)}" for c, r in _REASONS) + " END"
    # ts is UTC wall time; a bucket counts at its midpoint (a DeepSeek day from 00:00+08:00 is that day, not the
    # UTC day before); ICU's time-zone conversion only for another zone (the session zone is UTC)
    mid = (
        "ts"
        if spec.bucket_hours == "0.0"
        else "ts + to_microseconds(CAST(least(greatest(coalesce(bucket_hours, 0), 0), 8784) * 1800e6 AS BIGINT))"
    )
    local = mid if tz == "UTC" else f"timezone({_sql_str(tz)}, CAST({mid} AS TIMESTAMPTZ))"
    con.execute(  # the one pass over the file: parsed, checked and kept in memory (spilled to disk if large)
        "CREATE TEMP TABLE checked AS SELECT requests, input, cached, output, reasoning, model, bucket_hours, w, "
        f"{reason_sql} AS reason, {local} AS local_ts FROM norm"
    )
    rows = con.execute("SELECT reason, sum(w) FROM checked GROUP BY reason").fetchall()
    counted = [(str(r), int(n)) for r, n in rows if r is not None] + unpivoted
    rejected = tuple(sorted(counted, key=lambda rn: -rn[1]))
    rows_read = sum(int(n) for _, n in rows) + sum(n for _, n in unpivoted)
    used = rows_read - sum(n for _, n in rejected)
    if rows_read == 0:
        raise UsageLogError(f"{what}: no rows: the file is empty")
    con.execute("CREATE TEMP VIEW ok AS SELECT * FROM checked WHERE reason IS NULL")
    total = con.execute(
        "SELECT sum(requests), sum(input), sum(cached), sum(output), sum(reasoning), count(reasoning), "
        "min(CAST(local_ts AS DATE)), max(CAST(local_ts AS DATE)) FROM ok"
    ).fetchone()
    requests = float(total[0] or 0.0)
    if used == 0 or requests <= 0:
        reasons = "; ".join(f"{n:,} {r}" for r, n in rejected)
        raise UsageLogError(f"{what}: no usable rows ({rows_read:,} read; rejected: {reasons})")
    first_day, last_day = total[6], total[7]
    days = (last_day - first_day).days + 1
    grid = [[0.0] * 24 for _ in range(7)]
    for dow, hour, n in con.execute(
        "SELECT isodow(local_ts) - 1, hour(local_ts), sum(requests) FROM ok WHERE bucket_hours <= 1 GROUP BY ALL"
    ).fetchall():
        grid[int(dow)][int(hour)] = float(n)
    hour_resolved = sum(map(sum, grid))
    if hour_resolved <= 0:
        notes.append("no row is an hour wide or less (daily buckets): the hourly profile is left flat")
    elif hour_resolved < requests * (1 - 1e-9):
        notes.append(
            f"{1 - hour_resolved / requests:.1%} of the requests are in rows wider than an hour: "
            "the hourly profile comes from the rest"
        )
    daily = tuple(
        (d, float(n))
        for d, n in con.execute(
            "SELECT CAST(local_ts AS DATE) AS d, sum(requests) FROM ok GROUP BY d ORDER BY d"
        ).fetchall()
    )
    prompt_hist = _histogram(con, "input / requests", PROMPT_FIRST_EXP, with_prompt_detail=True)
    output_hist = _histogram(con, "output / requests", OUTPUT_FIRST_EXP, with_prompt_detail=False)
    models = tuple(
        (str(m), float(n))
        for m, n in con.execute(
            "SELECT coalesce(nullif(trim(model), ''), '(unknown)') AS m, sum(requests) AS n FROM ok "
            "GROUP BY m ORDER BY n DESC, m"
        ).fetchall()
    )
    grain = spec.grain
    if name == "generic" and con.execute("SELECT bool_or(requests <> 1) FROM ok").fetchone()[0]:
        grain = "bucket"  # the generic schema holds per-request and per-bucket rows alike
    if grain == "bucket":
        notes.append(
            "aggregated rows: the length histograms place each row at its mean length per request, "
            "not each request at its own"
        )
    weekdays, weekend_days = _span(first_day, last_day)
    return LogImport(
        path=what,
        format=name,
        variant=spec.name,
        grain=grain,
        timezone=tz,
        rows_read=rows_read,
        rows_used=used,
        rejected=rejected,
        requests=requests,
        first_day=first_day,
        last_day=last_day,
        days=days,
        input_tokens=float(total[1]),
        cached_input_tokens=float(total[2]),
        output_tokens=float(total[3]),
        reasoning_tokens=float(total[4]) if int(total[5]) else None,
        weekday_hour_requests=tuple(tuple(r) for r in grid),
        hour_resolved_requests=hour_resolved,
        daily_requests=daily,
        prompt_histogram=prompt_hist,
        output_histogram=output_hist,
        models=models,
        weekdays_in_span=weekdays,
        weekend_days_in_span=weekend_days,
        notes=tuple(notes),
    )


def _histogram(
    con: Any, value: str, first_exp: int, *, with_prompt_detail: bool
) -> tuple[HistogramBucket, ...]:
    idx = _hist_sql(value, first_exp)
    rows = con.execute(
        f"SELECT {idx} AS k, sum(requests), sum(input), sum(cached), sum(output) FROM ok GROUP BY k ORDER BY k"
    ).fetchall()
    out = []
    for k, n, inp, cached, output in rows:
        k = int(k)
        n = float(n)
        lower = 0 if k == 0 else 2 ** (first_exp + k - 1)
        length = float(inp) if with_prompt_detail else float(output)
        out.append(
            HistogramBucket(
                lower_tokens=lower,
                upper_tokens=2 ** (first_exp + k),
                requests=n,
                mean_tokens=length / n,
                cached_fraction=float(cached) / float(inp) if with_prompt_detail and inp else 0.0,
                mean_output_tokens=float(output) / n if with_prompt_detail else 0.0,
            )
        )
    return tuple(out)


def import_log_bytes(data: bytes, filename: str, fmt: LogFormat = "auto", **kwargs: Any) -> LogImport:
    """:func:`import_log` of an upload's bytes (written to a private temporary file that is removed after)."""
    suffix = Path(filename).suffix.lower()
    if suffix not in _KINDS:
        raise UsageLogError(f"{filename}: a usage log must end in .csv, .json, .jsonl, .ndjson or .parquet")
    with tempfile.TemporaryDirectory(prefix="usage-log-") as tmp:
        target = Path(tmp) / f"upload{suffix}"
        target.write_bytes(data)
        return import_log(target, fmt, what=filename, **kwargs)


def scenario_from_import(log: LogImport, base: Scenario) -> Scenario:
    """``base`` with the log's workload (its options, assumptions and date kept), named after the log; the log is the
    whole traffic, so ``base``'s request classes, if any, are dropped."""
    w = log.workload()
    description = (
        f"Imported from the usage log {Path(log.path).name} ({log.variant}): {log.requests:,.0f} requests over "
        f"{log.days:,} days ({log.first_day} to {log.last_day}), {w.prompt_tokens:,}-token mean prompts "
        f"({w.cache_hit_fraction:.0%} cache reads), {w.output_tokens:,}-token mean outputs, hourly profile in "
        f"{w.timezone}."
    )
    return base.model_copy(
        update={"workload": w, "classes": (), "name": "from usage log", "description": description[:1000]}
    )
