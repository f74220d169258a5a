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
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from costmodel.workload.scenario import (
    MAX_REQUESTS_PER_DAY,
    MAX_TOKENS_PER_REQUEST,
    MIN_REQUESTS_PER_DAY,
    Profile,
    PromptBucket,
    Workload,
)

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
        totals = {
            "requests": self.requests,
            "input tokens": self.input_tokens,
            "output tokens": self.output_tokens,
        }
        for what, total in totals.items():
            if not math.isfinite(total):  # rows of 1e308 requests: the sum overflows, and every mean with it
                raise UsageLogError(
                    f"the log's {what} add up to more than the largest number ({total}): a row holds an absurd count"
                )
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
        if (
            not self.requests_per_day <= MAX_REQUESTS_PER_DAY
        ):  # refused, not clamped: the description says the rate
            raise UsageLogError(
                f"the log averages {self.requests_per_day:,.6g} requests a day, more than the "
                f"{MAX_REQUESTS_PER_DAY:,.0f} a scenario accepts"
            )
        try:
            return self._workload(prompt, histogram, weekday or weekend or flat, weekend or weekday or flat)
        except ValidationError as e:  # one line naming the field, never "2 validation errors for Workload"
            err = e.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "workload"
            raise UsageLogError(
                f"the log's workload: {field}: {err['msg'].removeprefix('Value error, ')} (got {err.get('input')!r:.60})"
            ) from None

    def _workload(
        self, prompt: int, histogram: tuple[PromptBucket, ...], weekday: Profile, weekend: Profile
    ) -> Workload:
        return Workload(
            requests_per_day=self.requests_per_day,
            prompt_tokens=prompt,
            prompt_histogram=histogram,
            output_tokens=min(round(self.mean_output_tokens), MAX_TOKENS_PER_REQUEST),
            cache_hit_fraction=min(max(self.cache_hit_fraction, 0.0), 1.0),
            hourly_profile_weekday=weekday,
            hourly_profile_weekend=weekend,
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
