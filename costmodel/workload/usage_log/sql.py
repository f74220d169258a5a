"""Usage logs: the SQL that reads a file with DuckDB (sources, flattening, format detection, histograms)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from costmodel.workload.scenario import MAX_TOKENS_PER_REQUEST
from costmodel.workload.usage_log.formats import _LAST_EXP, _SPECS, LogFormat, UsageLogError, _Spec

# ---- reading -----------------------------------------------------------------------------------------------


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ref(path: str, kind: str, columns: set[str]) -> str:
    """SQL for the value at ``path`` (``a`` or ``a.b.c``): a column (or a key of a JSON row); the rest of the
    path reaches into a JSON value (a nested JSON key, or a CSV cell holding JSON text)."""
    head, _, rest = path.partition(".")
    if kind == "json":
        return f"json_extract_string(json, {_sql_str('$.' + path)})"
    if head not in columns:
        return "NULL"
    if not rest:
        return _ident(head)
    return f"json_extract_string(TRY_CAST({_ident(head)} AS JSON), {_sql_str('$.' + rest)})"


def _expand(template: str, kind: str, columns: set[str]) -> str:
    out, i = [], 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            out.append(template[i:])
            break
        k = template.index("}", j)
        out.append(template[i:j])
        out.append(_ref(template[j + 1 : k], kind, columns))
        i = k + 1
    return "".join(out)


def _connect(threads: int | None) -> Any:
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone='UTC'")
    con.execute("SET enable_progress_bar=false")
    if threads is not None:
        con.execute(f"SET threads={int(threads)}")
    return con


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _source_sql(path: str, kind: str) -> str:
    p = _sql_str(path)
    if kind == "csv":
        # short rows padded with NULL (then rejected for the missing field), never a whole file read as one column
        return f"read_csv({p}, all_varchar=true, header=true, auto_detect=true, strict_mode=false, null_padding=true)"
    if kind == "parquet":
        return f"read_parquet({p})"
    return f"read_json_objects({p}, format='auto', maximum_object_size=1073741824)"


def _columns(con: Any, src: str, kind: str) -> set[str]:
    if kind == "json":
        rows = con.execute(
            f"SELECT DISTINCT unnest(json_keys(json)) FROM (SELECT json FROM {src} LIMIT 1000)"
        ).fetchall()
        return {r[0] for r in rows}
    return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}


def _flatten_sql(src: str, how: str) -> str:
    """One JSON row per ``results[]`` element of API pages, with the bucket's start and end as ``__start`` and
    ``__end``."""
    start, end = ("start_time", "end_time") if how == "openai_pages" else ("starting_at", "ending_at")
    return (
        "(SELECT json_merge_patch(r, json_object('__start', json_extract(b, '$." + start + "'), "
        "'__end', json_extract(b, '$." + end + "'), 'start_time', json_extract(b, '$." + start + "'), "
        "'end_time', json_extract(b, '$." + end + "'))) AS json FROM "
        "(SELECT b, unnest(json_extract(b, '$.results[*]')) AS r FROM "
        f"(SELECT unnest(json_extract(json, '$.data[*]')) AS b FROM {src})))"
    )


_DEEPSEEK_TYPES = {
    "input_cache_hit_tokens": "__hit",
    "input_cache_miss_tokens": "__miss",
    "input_tokens": "__input",
    "output_tokens": "__output",
    "request_count": "__requests",
}


def _deepseek_long(con: Any, src: str, columns: set[str]) -> tuple[str, list[tuple[str, int]]]:
    """The long format (one row per day × model × key × ``type``) pivoted to one row per day × model × key,
    and the long rows that cannot be pivoted (unknown ``type``, bad ``amount``), counted by reason."""

    def col(name: str) -> str:
        return _ident(name) if name in columns else "NULL"

    kind = f"lower(trim(CAST({col('type')} AS VARCHAR)))"
    amount = f"TRY_CAST({col('amount')} AS DOUBLE)"
    known = ", ".join(_sql_str(t) for t in _DEEPSEEK_TYPES)
    reason = (
        f"CASE WHEN {kind} IS NULL OR {kind} NOT IN ({known}) THEN 'token type missing or unknown' "
        f"WHEN {amount} IS NULL OR NOT isfinite({amount}) OR {amount} < 0 THEN 'amount missing, not a number or "
        "negative' END"
    )
    bad = con.execute(
        f"SELECT r, count(*) FROM (SELECT {reason} AS r FROM {src}) WHERE r IS NOT NULL GROUP BY r ORDER BY 2 DESC"
    ).fetchall()
    start = f"coalesce(CAST({col('start_time_iso')} AS VARCHAR), CAST({col('utc_date')} AS VARCHAR))"
    sums = ", ".join(
        f"sum(CASE WHEN k = {_sql_str(t)} THEN a END) AS {c}" for t, c in _DEEPSEEK_TYPES.items()
    )
    pivot = (
        f"(SELECT __start, __end, model, {', '.join(_DEEPSEEK_TYPES.values())}, __rows FROM "
        f"(SELECT {start} AS __start, CAST({col('end_time_iso')} AS VARCHAR) AS __end, "
        f"CAST({col('model')} AS VARCHAR) AS model, CAST({col('api_key_name')} AS VARCHAR) AS __key, "
        f"{sums}, count(*) AS __rows FROM (SELECT *, {kind} AS k, {amount} AS a FROM {src} WHERE {reason} IS NULL) "
        "GROUP BY ALL))"
    )
    return pivot, [(str(r), int(n)) for r, n in bad]


def _detect(columns: set[str], fmt: LogFormat, what: str) -> tuple[str, _Spec]:
    wanted = _SPECS if fmt == "auto" else {fmt: _SPECS[fmt]}
    for name, specs in wanted.items():
        for spec in specs:
            if all(c in columns for c in spec.signature):
                return name, spec
    shown = ", ".join(sorted(columns)[:12]) + (", ..." if len(columns) > 12 else "")
    if fmt == "auto":
        raise UsageLogError(
            f"{what}: not a known usage-log format (columns: {shown}); give --format, or use the generic "
            "schema (timestamp, input_tokens, output_tokens, ...: docs/usage-logs.md)"
        )
    spec = _SPECS[fmt][0]
    missing = [c for c in spec.required if c not in columns]
    raise UsageLogError(
        f"{what}: not a {fmt} log: column(s) {', '.join(missing or spec.signature)} missing (found: {shown})"
    )


def _json_page_columns(con: Any, src: str) -> tuple[set[str], str]:
    """Columns of the ``results[]`` rows of an API page, and which page layout it is ('' when not a page)."""
    keys = _columns(con, src, "json")
    if "data" not in keys:
        return keys, ""
    first = con.execute(
        f"SELECT json_extract(json, '$.data[0]') FROM {src} WHERE json_extract(json, '$.data[0]') IS NOT NULL "
        "LIMIT 1"
    ).fetchone()
    if first is None or first[0] is None:
        return keys, ""
    bucket = con.execute(f"SELECT json_keys(CAST({_sql_str(str(first[0]))} AS JSON))").fetchone()
    bucket_keys = set(bucket[0]) if bucket and bucket[0] else set()
    if "results" not in bucket_keys:
        return keys, ""
    how = "openai_pages" if "start_time" in bucket_keys else "anthropic_pages"
    inner = con.execute(
        f"SELECT DISTINCT unnest(json_keys(json)) FROM (SELECT json FROM {_flatten_sql(src, how)} LIMIT 1000)"
    ).fetchall()
    return {r[0] for r in inner}, how


_REASONS = (
    ("ts IS NULL OR NOT isfinite(ts)", "timestamp missing or not a date/time"),  # infinity: not one
    ("requests IS NULL AND coalesce(input, 0) = 0 AND coalesce(output, 0) = 0",
     "empty bucket (no requests, no tokens)"),
    ("requests IS NULL OR NOT isfinite(requests) OR requests < 0", "request count missing, not a number or negative"),
    ("input IS NULL OR NOT isfinite(input) OR input < 0", "input tokens missing, not a number or negative"),
    ("output IS NULL OR NOT isfinite(output) OR output < 0", "output tokens missing, not a number or negative"),
    ("NOT isfinite(cached) OR cached < 0 OR cached > input", "cached input tokens negative or more than the input"),
    ("reasoning IS NOT NULL AND (NOT isfinite(reasoning) OR reasoning < 0 OR reasoning > output)",
     "reasoning tokens negative or more than the output"),
    ("requests = 0 AND (input > 0 OR output > 0)", "tokens in a row with 0 requests"),
    ("requests = 0", "empty bucket (0 requests)"),
    (f"input / requests > {MAX_TOKENS_PER_REQUEST} OR output / requests > {MAX_TOKENS_PER_REQUEST}",
     f"more than {MAX_TOKENS_PER_REQUEST:,} tokens per request"),
    ("bucket_hours IS NULL OR NOT isfinite(bucket_hours) OR bucket_hours < 0 OR bucket_hours > 8784",
     "bucket width not a number, negative or over a year"),
)  # fmt: skip


def _hist_sql(value: str, first_exp: int) -> str:
    """Bucket index of a length: 0 for (0, 2**first_exp], k for (2**(first_exp+k-1), 2**(first_exp+k)]."""
    return (
        f"CASE WHEN {value} <= {2**first_exp} THEN 0 "
        f"ELSE least(CAST(ceil(log2({value})) AS INTEGER), {_LAST_EXP}) - {first_exp} END"
    )


def _span(first: dt.date, last: dt.date) -> tuple[int, int]:
    """(weekdays, weekend days) from ``first`` to ``last``, both included (arithmetic, no loop over rows)."""
    days = (last - first).days + 1
    weeks, extra = divmod(days, 7)
    weekend = 2 * weeks + sum(1 for i in range(extra) if (first.weekday() + i) % 7 >= 5)
    return days - weekend, weekend
