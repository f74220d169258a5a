"""Usage-log import: a workload from last month's traffic, summarised in SQL by DuckDB.

A usage log (CSV, JSON/JSONL or Parquet; per request or per time bucket) from an API provider's or a gateway's
export is read by DuckDB (embedded, streaming: files larger than memory work), normalised to one relation
``(ts, requests, input, cached, output, reasoning, model, bucket_hours)`` by a per-format SQL mapping, checked
row by row *in SQL* (each bad row gets the first reason that applies, and the reasons are counted), and
aggregated in SQL: totals, requests by local weekday × hour, requests per local day, prompt- and output-length
histograms, requests per model. Python only touches the aggregates (at most a few hundred numbers).

Token conventions (docs/usage-logs.md; docs/sources.md cites the field references):

* ``input`` is *all* prompt tokens of the row, cache reads and cache writes included; ``cached`` is the cache-read
  part (a subset). Formats that report disjoint counts (Anthropic) are summed into the inclusive total.
  Cache writes are counted as uncached input: the workload has one cache-hit share, and writes are not hits.
* ``output`` is all output tokens, reasoning included; ``reasoning`` (where a log gives it) is the subset, reported
  but never added again (the workload's ``reasoning_multiplier`` stays 1).
* Timestamps without an offset are UTC (every documented export is UTC). The profile is expressed in the time
  zone asked for (default UTC), which becomes the workload's ``timezone``.
* Rows wider than one hour (daily buckets) count in the totals, the days and the weekday/weekend split, but not in
  the hourly profile: with no hour-resolved row at all the profile stays flat and the report says so.

Units: token counts are tokens (per request or per row as named), requests are requests, days are local days.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from costmodel.scenario import (
    MAX_REQUESTS_PER_DAY,
    MAX_TOKENS_PER_REQUEST,
    MIN_REQUESTS_PER_DAY,
    Profile,
    PromptBucket,
    Scenario,
    Workload,
)

__all__ = [
    "FORMATS",
    "HistogramBucket",
    "LogImport",
    "UsageLogError",
    "import_log",
    "import_log_bytes",
    "scenario_from_import",
]

LogFormat = Literal["auto", "openai", "anthropic", "litellm", "openrouter", "deepseek", "generic"]
#: The formats ``--format`` accepts (``auto`` detects one of the others from the column names).
FORMATS: tuple[LogFormat, ...] = (
    "auto", "openai", "anthropic", "litellm", "openrouter", "deepseek", "generic"
)  # fmt: skip
#: File kinds by suffix.
_KINDS = {".csv": "csv", ".json": "json", ".jsonl": "json", ".ndjson": "json", ".parquet": "parquet"}
#: Prompt-length histogram: the first bucket is (0, 2**10] tokens, then doubling up to 2**24 (the scenario's
#: largest prompt). Power-of-two edges put 512K = 2**19 (MiniMax's context tier) on a bucket edge.
PROMPT_FIRST_EXP = 10
#: Output-length histogram: (0, 2**6] tokens, then doubling.
OUTPUT_FIRST_EXP = 6
_LAST_EXP = 24


class UsageLogError(ValueError):
    """A usage log cannot be imported; the message is one line naming the file and what is wrong."""


@dataclass(frozen=True)
class _Spec:
    """SQL expressions of one format variant over its rows (see :func:`_ref` for ``{path}`` references)."""

    name: str
    """Human name, e.g. ``OpenAI dashboard CSV``."""
    signature: tuple[str, ...]
    """Top-level columns/keys whose presence identifies the variant (all must be present)."""
    ts: str
    requests: str | None
    """None: the format carries no request count (needs a mean prompt length to derive requests)."""
    input: str
    cached: str
    output: str
    reasoning: str | None
    model: str
    bucket_hours: str
    grain: Literal["request", "bucket"]
    required: tuple[str, ...]
    flatten: Literal["", "openai_pages", "anthropic_pages", "deepseek_long"] = ""
    row_weight: str = "1"
    """Rows of the file one normalised row stands for (a pivoted long-format group: its long rows)."""


def _num(path: str) -> str:
    return f"TRY_CAST({{{path}}} AS DOUBLE)"


def _num0(path: str) -> str:
    return f"coalesce({_num(path)}, 0)"


def _ts(path: str) -> str:
    """UTC wall time (TIMESTAMP) of a date/time: text with an offset (``Z``, ``+hh:mm``, ``-hh:mm``) through the
    time-zone-aware parser, text without one read as UTC by the plain parser (twice as fast on 10M rows)."""
    v = f"CAST({{{path}}} AS VARCHAR)"
    aware = f"CAST(TRY_CAST({v} AS TIMESTAMPTZ) AS TIMESTAMP)"
    offset = f"ends_with({v}, 'Z') OR contains({v}, '+') OR contains(substr({v}, 11), '-')"
    return f"(CASE WHEN {offset} THEN {aware} ELSE coalesce(TRY_CAST({v} AS TIMESTAMP), {aware}) END)"


_SPECS: dict[str, tuple[_Spec, ...]] = {
    "openai": (
        _Spec(
            name="OpenAI usage export (dashboard CSV or Usage API)",
            signature=("num_model_requests", "input_cached_tokens"),
            ts=f"coalesce({_ts('start_time_iso')}, CAST(to_timestamp({_num('start_time')}) AS TIMESTAMP))",
            requests=_num("num_model_requests"),
            # input_tokens includes cached and cache-write tokens; older rows without it: the parts summed
            input=f"coalesce({_num('input_tokens')}, {_num0('input_uncached_tokens')} + "
            f"{_num0('input_cached_tokens')} + {_num0('input_cache_write_tokens')})",
            cached=_num0("input_cached_tokens"),
            output=_num("output_tokens"),
            reasoning=None,
            model="{model}",
            bucket_hours=f"coalesce(({_num('end_time')} - {_num('start_time')}) / 3600.0, 1.0)",
            grain="bucket",
            required=("num_model_requests", "output_tokens"),
        ),
    ),
    "anthropic": (
        _Spec(
            name="Anthropic Console usage CSV",
            signature=("usage_date_utc", "usage_input_tokens_no_cache"),
            ts=_ts("usage_date_utc"),
            requests=None,
            input=f"{_num('usage_input_tokens_no_cache')} + {_num0('usage_input_tokens_cache_write_5m')} + "
            f"{_num0('usage_input_tokens_cache_write_1h')} + {_num0('usage_input_tokens_cache_read')}",
            cached=_num0("usage_input_tokens_cache_read"),
            output=_num("usage_output_tokens"),
            reasoning=None,
            model="{model_version}",
            # 'YYYY-MM-DD' is a day; 'YYYY-MM-DD HH:MM' an hour (or finer)
            bucket_hours="CASE WHEN length(trim(CAST({usage_date_utc} AS VARCHAR))) <= 10 THEN 24.0 ELSE 1.0 END",
            grain="bucket",
            required=("usage_input_tokens_no_cache", "usage_output_tokens"),
        ),
        _Spec(
            name="Anthropic Admin usage report (API JSON)",
            signature=("uncached_input_tokens",),
            ts=_ts("__start"),
            requests=None,
            input=f"{_num('uncached_input_tokens')} + {_num0('cache_read_input_tokens')} + "
            f"{_num0('cache_creation.ephemeral_5m_input_tokens')} + "
            f"{_num0('cache_creation.ephemeral_1h_input_tokens')}",
            cached=_num0("cache_read_input_tokens"),
            output=_num("output_tokens"),
            reasoning=None,
            model="{model}",
            bucket_hours=f"coalesce(epoch({_ts('__end')} - {_ts('__start')}) / 3600.0, 1.0)",
            grain="bucket",
            required=("uncached_input_tokens", "output_tokens"),
            flatten="anthropic_pages",
        ),
    ),
    "litellm": (
        _Spec(
            name="LiteLLM spend logs (/spend/logs, LiteLLM_SpendLogs)",
            signature=("startTime", "prompt_tokens"),
            ts=_ts("startTime"),
            requests="1.0",
            input=_num("prompt_tokens"),
            cached=f"coalesce({_num('metadata.usage_object.prompt_tokens_details.cached_tokens')}, "
            f"{_num('metadata.usage_object.cache_read_input_tokens')}, 0)",
            output=_num("completion_tokens"),
            reasoning=_num("metadata.usage_object.completion_tokens_details.reasoning_tokens"),
            model="coalesce({model}, {model_group})",
            bucket_hours="0.0",
            grain="request",
            required=("prompt_tokens", "completion_tokens"),
        ),
    ),
    "openrouter": (
        _Spec(
            name="OpenRouter per-generation CSV",
            signature=("created_at", "tokens_prompt"),
            ts=_ts("created_at"),
            requests="1.0",
            input=_num("tokens_prompt"),
            cached=_num0("tokens_cached"),
            output=_num("tokens_completion"),
            reasoning=_num("tokens_reasoning"),
            model="{model_permaslug}",
            bucket_hours="0.0",
            grain="request",
            required=("tokens_completion",),
        ),
        _Spec(
            name="OpenRouter generation API (JSON, one {'data': ...} per line)",
            signature=("data",),
            ts=_ts("data.created_at"),
            requests="1.0",
            input=_num("data.native_tokens_prompt"),
            cached=_num0("data.native_tokens_cached"),
            output=_num("data.native_tokens_completion"),
            reasoning=_num("data.native_tokens_reasoning"),
            model="{data.model}",
            bucket_hours="0.0",
            grain="request",
            required=("data",),
        ),
    ),
    "deepseek": (
        _Spec(
            name="DeepSeek platform usage export (amount CSV, long format)",
            signature=("type", "amount", "model"),
            ts=_ts("__start"),
            requests=_num("__requests"),
            # disjoint counts: cache hits + cache misses (or an 'input_tokens' row where one is given)
            input="coalesce({__input}, CASE WHEN {__hit} IS NOT NULL OR {__miss} IS NOT NULL "
            "THEN coalesce({__hit}, 0) + coalesce({__miss}, 0) END)",
            cached="coalesce({__hit}, 0)",
            output="CASE WHEN {__output} IS NOT NULL OR {__hit} IS NOT NULL OR {__miss} IS NOT NULL "
            "OR {__input} IS NOT NULL THEN coalesce({__output}, 0) END",
            reasoning=None,
            model="{model}",
            bucket_hours=f"coalesce(epoch({_ts('__end')} - {_ts('__start')}) / 3600.0, 24.0)",
            grain="bucket",
            required=("type", "amount", "model"),
            flatten="deepseek_long",
            row_weight="{__rows}",
        ),
    ),
    "generic": (
        _Spec(
            name="generic usage log (docs/usage-logs.md)",
            signature=("timestamp", "input_tokens", "output_tokens"),
            ts=_ts("timestamp"),
            requests=f"coalesce({_num('requests')}, CASE WHEN {{requests}} IS NULL THEN 1.0 END)",
            input=_num("input_tokens"),
            cached=_num0("cached_input_tokens"),
            output=_num("output_tokens"),
            reasoning=_num("reasoning_tokens"),
            model="{model}",
            bucket_hours=f"coalesce({_num('bucket_hours')}, 0.0)",
            grain="request",
            required=("timestamp", "input_tokens", "output_tokens"),
        ),
    ),
}

#: The OpenAI Usage API page: ``data[]`` buckets, each with ``results[]``.
_OPENAI_PAGE_SIGNATURE = ("data", "object")


@dataclass(frozen=True)
class HistogramBucket:
    """Requests whose length (tokens per request) falls in ``(lower_tokens, upper_tokens]``."""

    lower_tokens: int
    upper_tokens: int
    requests: float
    mean_tokens: float
    """Mean length of the requests in the bucket, tokens per request."""
    cached_fraction: float = 0.0
    """Cache-read share of the bucket's prompt tokens (prompt histogram only)."""
    mean_output_tokens: float = 0.0
    """Mean output tokens per request of the bucket's requests (prompt histogram only)."""


@dataclass(frozen=True)
class LogImport:
    """What a usage log says about a workload, with the account of every row read."""

    path: str
    format: str
    variant: str
    grain: Literal["request", "bucket"]
    timezone: str
    rows_read: int
    rows_used: int
    rejected: tuple[tuple[str, int], ...]
    """(reason, rows) for every reason a row was not used, most frequent first."""
    requests: float
    first_day: dt.date
    last_day: dt.date
    days: int
    """Local calendar days from the first to the last day with traffic, both included."""
    input_tokens: float
    cached_input_tokens: float
    output_tokens: float
    reasoning_tokens: float | None
    """None when the log does not report reasoning tokens."""
    weekday_hour_requests: tuple[tuple[float, ...], ...]
    """7 × 24 requests by local weekday (row 0 = Monday) and hour, from hour-resolved rows only."""
    hour_resolved_requests: float
    daily_requests: tuple[tuple[dt.date, float], ...]
    """Requests per local day (days with traffic)."""
    prompt_histogram: tuple[HistogramBucket, ...]
    output_histogram: tuple[HistogramBucket, ...]
    models: tuple[tuple[str, float], ...]
    """(model, requests), most requests first; ``(unknown)`` where the log gives none."""
    weekdays_in_span: int
    weekend_days_in_span: int
    notes: tuple[str, ...] = field(default=())

    @property
    def rows_rejected(self) -> int:
        """Rows read but not used (every reason counted)."""
        return self.rows_read - self.rows_used

    @property
    def requests_per_day(self) -> float:
        """Mean requests per day over the log's span (days without traffic included), requests/day."""
        return self.requests / self.days

    @property
    def mean_prompt_tokens(self) -> float:
        """Mean prompt tokens per request (cache reads and writes included)."""
        return self.input_tokens / self.requests

    @property
    def mean_output_tokens(self) -> float:
        """Mean output tokens per request (reasoning included)."""
        return self.output_tokens / self.requests

    @property
    def cache_hit_fraction(self) -> float:
        """Cache-read share of the prompt tokens."""
        return self.cached_input_tokens / self.input_tokens if self.input_tokens > 0 else 0.0

    @property
    def reasoning_share(self) -> float | None:
        """Reasoning share of the output tokens (None when the log does not report reasoning)."""
        if self.reasoning_tokens is None or self.output_tokens <= 0:
            return None
        return self.reasoning_tokens / self.output_tokens

    def _profile(self, rows: Sequence[int]) -> Profile | None:
        hours = [sum(self.weekday_hour_requests[d][h] for d in rows) for h in range(24)]
        total = sum(hours)
        if total <= 0:
            return None
        # mean hour = 1; four decimals keep URLs short (the profile is relative: any scale is normalised)
        return tuple(round(24 * x / total, 4) for x in hours)  # type: ignore[return-value]

    @property
    def weekend_day_weight(self) -> float:
        """Requests on a mean weekend day relative to a mean weekday (1.0 when the span lacks either)."""
        if not self.weekdays_in_span or not self.weekend_days_in_span:
            return 1.0
        by_dow = [0.0] * 7
        for day, n in self.daily_requests:
            by_dow[day.weekday()] += n
        weekday = sum(by_dow[:5]) / self.weekdays_in_span
        weekend = sum(by_dow[5:]) / self.weekend_days_in_span
        if weekday <= 0:
            return 100.0 if weekend > 0 else 1.0
        return min(round(weekend / weekday, 4), 100.0)

    def workload(self) -> Workload:
        """The workload of the log: mean lengths, cached share, requests per day, profiles in ``timezone``, and
        the prompt-length histogram (its buckets' shares and mean prompts) when it has more than one bucket."""
        flat = (1.0,) * 24
        weekday = self._profile(range(5))
        weekend = self._profile(range(5, 7))
        prompt = max(1, min(round(self.mean_prompt_tokens), MAX_TOKENS_PER_REQUEST))
        histogram = tuple(
            PromptBucket(share=b.requests / self.requests, prompt_tokens=b.mean_tokens)
            for b in self.prompt_histogram
        )
        mean = sum(b.share * b.prompt_tokens for b in histogram)
        if len(histogram) < 2 or abs(mean - prompt) > 0.5:  # one bucket: the mean says it all
            histogram = ()
        if self.requests_per_day < MIN_REQUESTS_PER_DAY:  # a scenario refuses it: say so, naming the rate
            raise UsageLogError(
                f"the log averages {self.requests_per_day:.3g} requests a day over {self.days:,} days, fewer than "
                f"the {MIN_REQUESTS_PER_DAY:g} a scenario accepts"
            )
        return Workload(
            requests_per_day=min(self.requests_per_day, MAX_REQUESTS_PER_DAY),
            prompt_tokens=prompt,
            prompt_histogram=histogram,
            output_tokens=min(round(self.mean_output_tokens), MAX_TOKENS_PER_REQUEST),
            cache_hit_fraction=min(max(self.cache_hit_fraction, 0.0), 1.0),
            hourly_profile_weekday=weekday or weekend or flat,
            hourly_profile_weekend=weekend or weekday or flat,
            weekend_day_weight=self.weekend_day_weight,
            timezone=self.timezone,
        )

    def report_dict(self) -> dict[str, Any]:
        """Everything the import found, JSON-ready: counts, rejections, means, the weekday × hour matrix, requests
        per day, histograms, models."""

        def hist(buckets: tuple[HistogramBucket, ...]) -> list[dict[str, float]]:
            return [vars(b).copy() for b in buckets]

        return {
            "file": self.path,
            "format": self.format,
            "variant": self.variant,
            "grain": self.grain,
            "timezone": self.timezone,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
            "rejected": [{"reason": r, "rows": n} for r, n in self.rejected],
            "requests": self.requests,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "days": self.days,
            "requests_per_day": self.requests_per_day,
            "mean_prompt_tokens": self.mean_prompt_tokens,
            "mean_output_tokens": self.mean_output_tokens,
            "cache_hit_fraction": self.cache_hit_fraction,
            "reasoning_share": self.reasoning_share,
            "weekend_day_weight": self.weekend_day_weight,
            "weekday_hour_requests": [list(r) for r in self.weekday_hour_requests],
            "daily_requests": [{"day": d.isoformat(), "requests": n} for d, n in self.daily_requests],
            "prompt_histogram": hist(self.prompt_histogram),
            "output_histogram": hist(self.output_histogram),
            "models": [{"model": m, "requests": n} for m, n in self.models],
            "notes": list(self.notes),
        }

    def report_lines(self) -> list[str]:
        """The import report, one line each: rows read, used, rejected (with reasons), what was derived."""
        lines = [
            f"{self.path}: {self.variant} ({self.format}, per {self.grain})",
            f"rows read {self.rows_read:,}; used {self.rows_used:,}; rejected {self.rows_rejected:,}",
        ]
        lines += [f"  rejected {n:,}: {reason}" for reason, n in self.rejected]
        share = self.reasoning_share
        lines += [
            f"requests {self.requests:,.0f} over {self.days:,} days ({self.first_day} to {self.last_day}, "
            f"{self.timezone}): {self.requests_per_day:,.1f} requests/day",
            f"mean prompt {self.mean_prompt_tokens:,.1f} tokens ({self.cache_hit_fraction:.1%} cache reads); "
            f"mean output {self.mean_output_tokens:,.1f} tokens"
            + (f" ({share:.1%} reasoning)" if share is not None else ""),
            f"weekend day / weekday traffic: {self.weekend_day_weight:g}",
        ]
        lines += [f"note: {n}" for n in self.notes]
        return lines


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
    ("ts IS NULL", "timestamp missing or not a date/time"),
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
    if not p.is_file():
        raise UsageLogError(f"{what}: file not found")
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
        return _import(con, str(p), kind, fmt, timezone, prompt_tokens_per_request, what)
    except duckdb.Error as e:
        if "unicode" in str(e).lower() or "utf-8" in str(e).lower():
            raise UsageLogError(
                f"{what}: not UTF-8 text; save the log as UTF-8 and upload it again"
            ) from None
        raise UsageLogError(f"{what}: not a readable {kind.upper()} usage log ({_one_line(e)})") from None
    finally:
        con.close()


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
    """``base`` with the log's workload (its options, assumptions and date kept), named after the log."""
    w = log.workload()
    description = (
        f"Imported from the usage log {Path(log.path).name} ({log.variant}): {log.requests:,.0f} requests over "
        f"{log.days:,} days ({log.first_day} to {log.last_day}), {w.prompt_tokens:,}-token mean prompts "
        f"({w.cache_hit_fraction:.0%} cache reads), {w.output_tokens:,}-token mean outputs, hourly profile in "
        f"{w.timezone}."
    )
    return base.model_copy(
        update={"workload": w, "name": "from usage log", "description": description[:1000]}
    )
