"""How a workload's prompt lengths are described: one length (the mean), a log-normal shape given by its median
and 95th percentile (:mod:`costmodel.distributions`), or a histogram read from a usage log or a file; and the
compact text of that description in a share link (URL key ``ph``).

The URL text is either ``ln:P50:P95`` (a log-normal: the histogram is rebuilt by
:func:`costmodel.distributions.with_lognormal_prompts`, which is deterministic, so the figures are the same) or
``SHARE:TOKENS,SHARE:TOKENS,...`` (every bucket, numbers at ``repr`` precision: an exact round trip). The explicit
form of the largest histogram a scenario accepts (64 buckets) is at most :data:`MAX_HISTOGRAM_TEXT_CHARS`
characters, under the URL's per-value limit, so every histogram fits in a link. Units: tokens per request;
shares are fractions of the requests.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import pandas as pd

from costmodel.distributions import with_lognormal_prompts
from costmodel.scenario import MAX_TOKENS_PER_REQUEST, PromptBucket, Workload
from costmodel.scenario.model import MAX_PROMPT_BUCKETS

__all__ = [
    "LOGNORMAL_PREFIX",
    "MAX_HISTOGRAM_TEXT_CHARS",
    "histogram_frame",
    "histogram_text",
    "lognormal_from_text",
    "lognormal_problem",
    "made_lognormal",
    "workload_from_histogram_text",
]

LOGNORMAL_PREFIX = "ln"
#: Longest ``repr`` of a float a bucket can hold (e.g. ``1.2345678901234567e-100``: 23 characters).
_FLOAT_CHARS = 23
#: Longest explicit histogram text: 64 buckets of ``share:tokens`` and their commas.
MAX_HISTOGRAM_TEXT_CHARS = MAX_PROMPT_BUCKETS * (2 * _FLOAT_CHARS + 2) - 1

Which = Literal["p50", "p95"]


def lognormal_problem(p50_tokens: float, p95_tokens: float) -> tuple[Which, str] | None:
    """``(which value, why it is refused)`` for a log-normal shape that cannot be built, else None.

    The median must be 1 to 2^24 tokens (the longest prompt a scenario accepts) and the 95th percentile above
    the median and at most 2^24 tokens (beyond it, more than 5% of the prompts would be longer than any
    request the scenario accepts)."""
    top = MAX_TOKENS_PER_REQUEST
    if not (math.isfinite(p50_tokens) and 1 <= p50_tokens <= top):
        return "p50", f"must be between 1 and {top:,} tokens (the longest prompt), got {p50_tokens:,.10g}"
    if not (math.isfinite(p95_tokens) and p95_tokens <= top):
        return "p95", f"must be at most {top:,} tokens (the longest prompt), got {p95_tokens:,.10g}"
    if not p95_tokens > p50_tokens:
        return "p95", f"must be above the median ({p50_tokens:,.10g} tokens), got {p95_tokens:,.10g}"
    return None


def made_lognormal(workload: Workload, p50_tokens: float, p95_tokens: float) -> bool:
    """Whether ``workload``'s prompt histogram (and mean) is exactly the log-normal of these parameters."""
    if not workload.prompt_histogram or lognormal_problem(p50_tokens, p95_tokens) is not None:
        return False
    return with_lognormal_prompts(workload, p50_tokens, p95_tokens) == workload


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(float(x))


def histogram_text(workload: Workload, lognormal: tuple[float, float] | None = None) -> str:
    """The URL text of ``workload``'s prompt histogram: ``""`` without one; ``ln:P50:P95`` when ``lognormal``
    (median, 95th percentile) rebuilds it exactly; otherwise every ``share:tokens`` bucket."""
    if not workload.prompt_histogram:
        return ""
    if lognormal is not None and made_lognormal(workload, *lognormal):
        return f"{LOGNORMAL_PREFIX}:{_num(lognormal[0])}:{_num(lognormal[1])}"
    return ",".join(f"{_num(b.share)}:{_num(b.prompt_tokens)}" for b in workload.prompt_histogram)


def lognormal_from_text(text: str) -> tuple[float, float] | None:
    """``(median, 95th percentile)`` of an ``ln:P50:P95`` text; None for any other text (unreadable included)."""
    parts = text.split(":")
    if len(parts) != 3 or parts[0] != LOGNORMAL_PREFIX:
        return None
    try:
        p50, p95 = float(parts[1]), float(parts[2])
    except ValueError:
        return None
    return (p50, p95) if lognormal_problem(p50, p95) is None else None


def workload_from_histogram_text(workload: dict[str, Any], text: str) -> dict[str, Any]:
    """``workload`` (a dict of Workload fields) with the prompt histogram of ``text`` (:func:`histogram_text`);
    a log-normal also sets ``prompt_tokens`` to its mean, an explicit histogram must agree with it (the rule of
    a file). The caller validates the result as a Workload.

    Raises:
        ValueError: text that is not a histogram (one line).
    """
    if not text:
        return {**workload, "prompt_histogram": ()}
    if text.startswith(f"{LOGNORMAL_PREFIX}:"):
        shape = lognormal_from_text(text)
        if shape is None:
            raise ValueError("a log-normal prompt histogram is ln:MEDIAN:P95 with 1 <= MEDIAN < P95 <= 2^24")
        base = Workload.model_validate({**workload, "prompt_histogram": ()})
        return with_lognormal_prompts(base, *shape).model_dump()
    buckets = []
    for item in text.split(","):
        share, sep, tokens = item.partition(":")
        if not sep or ":" in tokens:
            raise ValueError("a prompt histogram is SHARE:TOKENS,SHARE:TOKENS,...")
        buckets.append({"share": share, "prompt_tokens": tokens})
    return {**workload, "prompt_histogram": buckets}


def _bucket_index(tokens: float) -> int:
    """Index of the power-of-two bucket holding ``tokens``: 0 = (0, 1024], k = (2^(9+k), 2^(10+k)]."""
    return 0 if tokens <= 1024 else max(0, math.ceil(math.log2(tokens)) - 10)


def _tokens_text(n: int) -> str:
    return f"{n // 1048576:g}M" if n >= 1048576 else f"{n // 1024:g}K" if n >= 1024 else f"{n:g}"


#: Columns of :func:`histogram_frame` (those :func:`costmodel.traffic_charts.log_length_chart` draws).
FRAME_COLUMNS = ["length", "bucket", "order", "lower_tokens", "upper_tokens", "requests", "mean_tokens", "share"]


def histogram_frame(histogram: tuple[PromptBucket, ...], requests_per_day: float) -> pd.DataFrame:
    """One row per power-of-two length bucket of a prompt histogram (the usage-log import's and the
    log-normal's edges): label, bounds (tokens), ``requests`` (requests per day), the mean prompt of the bucket
    (tokens) and its ``share`` of the requests; buckets of the same interval are merged."""
    rows: dict[int, list[float]] = {}
    for b in histogram:
        acc = rows.setdefault(_bucket_index(b.prompt_tokens), [0.0, 0.0])
        acc[0] += b.share
        acc[1] += b.share * b.prompt_tokens
    out = []
    for k in sorted(rows):
        share, tokens = rows[k]
        lo, hi = (0 if k == 0 else 2 ** (9 + k)), 2 ** (10 + k)
        out.append(
            {
                "length": "prompt",
                "bucket": f"{_tokens_text(lo)}–{_tokens_text(hi)}",
                "order": k,
                "lower_tokens": lo,
                "upper_tokens": hi,
                "requests": share * requests_per_day,
                "mean_tokens": tokens / share,
                "share": share,
            }
        )
    return pd.DataFrame(out, columns=FRAME_COLUMNS)
