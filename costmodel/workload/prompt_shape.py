"""How a workload's prompt lengths are described: one length (the mean), a log-normal shape given by its median
and 95th percentile (:mod:`costmodel.workload.distributions`), or a histogram read from a usage log or a file; and the
compact text of that description in a share link (URL key ``ph``).

The URL text is either ``ln:P50:P95`` (a log-normal: the histogram is rebuilt by
:func:`costmodel.workload.distributions.with_lognormal_prompts`, which is deterministic, so the figures are the same; the
parameters are the Calculator's, or found from the histogram by :func:`lognormal_parameters`) or
``SHARE:TOKENS,SHARE:TOKENS,...`` (every bucket, numbers at ``repr`` precision: an exact round trip). The explicit
form of the largest histogram a scenario accepts (64 buckets) is at most :data:`MAX_HISTOGRAM_TEXT_CHARS`
characters, under the URL's per-value limit, so every histogram fits in a link. Units: tokens per request;
shares are fractions of the requests.
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist
from typing import Any, Literal

import pandas as pd

from costmodel.catalog.budget import MB, bounded
from costmodel.workload.distributions import lognormal_prompt_histogram, with_lognormal_prompts
from costmodel.workload.scenario import MAX_TOKENS_PER_REQUEST, PromptBucket, Workload
from costmodel.workload.scenario.model import MAX_PROMPT_BUCKETS

__all__ = [
    "LOGNORMAL_PREFIX",
    "MAX_HISTOGRAM_TEXT_CHARS",
    "histogram_frame",
    "histogram_text",
    "lognormal_from_text",
    "lognormal_parameters",
    "lognormal_problem",
    "made_lognormal",
    "workload_from_histogram_text",
]

LOGNORMAL_PREFIX = "ln"
_Z95 = 1.6448536269514722  # standard normal 95th percentile (costmodel.workload.distributions' constant)
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


@bounded("log-normal parameters of histograms", max_entries=256, max_bytes=8 * MB)
def lognormal_parameters(workload: Workload) -> tuple[int, int] | None:
    """The whole-token (median, 95th percentile) whose log-normal is exactly ``workload``'s prompt histogram, when
    there are such (None otherwise: a log's histogram, or a shape too narrow to tell apart).

    At each bucket edge ``e`` the share of the requests up to it is ``Phi((ln e - mu) / sigma)``, divided by the
    share kept under 2^24 tokens, ``Phi((ln 2^24 - mu) / sigma)``: a straight line through the edges' normal
    quantiles gives ``mu`` and ``sigma`` (iterated for the kept share), whose median ``exp(mu)`` and 95th percentile
    ``exp(mu + 1.645 sigma)`` are rounded to whole tokens; a candidate counts only if :func:`made_lognormal`
    confirms it, so a match is exact, never approximate."""
    hist = workload.prompt_histogram
    index = [_bucket_index(b.prompt_tokens) for b in hist]
    if len(hist) < 2 or index != sorted(set(index)):  # a log-normal's buckets: one per interval, in order
        return None
    normal = NormalDist()
    below = list(itertools.accumulate(b.share for b in hist[:-1]))
    above = list(itertools.accumulate(b.share for b in reversed(hist[1:])))[::-1]  # shares past each edge
    xs = [math.log(2.0 ** (10 + k)) for k in index[:-1]]

    def line(beyond: float) -> tuple[float, float] | None:
        """(mu, sigma) through the edges' quantiles when a share ``beyond`` of all requests is past 2^24."""
        points = []
        for x, lo, hi in zip(xs, below, above, strict=True):
            p, q = lo * (1 - beyond), hi * (1 - beyond) + beyond  # P(X <= edge), P(X > edge)
            if min(p, q) >= 1e-5:
                points.append((x, normal.inv_cdf(p) if p < 0.5 else -normal.inv_cdf(q)))
        n = len(points)
        mx, mz = sum(x for x, _ in points) / max(n, 1), sum(z for _, z in points) / max(n, 1)
        szz = sum((z - mz) ** 2 for _, z in points)
        if n < 2 or szz <= 0:
            return None
        sigma = sum((x - mx) * (z - mz) for x, z in points) / szz  # x = mu + sigma z
        return (mx - sigma * mz, sigma) if sigma > 0 else None

    def gap(beyond: float) -> float | None:
        fit = line(beyond)
        return (
            None if fit is None else normal.cdf((fit[0] - math.log(MAX_TOKENS_PER_REQUEST)) / fit[1]) - beyond
        )

    # the share past 2^24 is where gap() = 0: secant steps from 0 and from the first fit's own value
    b0, g0 = 0.0, gap(0.0)
    if g0 is None:
        return None
    b1 = g0
    for _ in range(50):
        g1 = gap(b1)
        if g1 is None or g1 == g0 or not 0 <= b1 < 0.5:
            break
        b0, g0, b1 = b1, g1, b1 - g1 * (b1 - b0) / (g1 - g0)
        if abs(b1 - b0) <= 1e-17:
            break
    fit = line(b1 if 0 <= b1 < 0.5 else b0)
    if fit is None:
        return None
    mu, sigma = _refined(hist, index, *fit)
    if not (math.isfinite(mu) and 0 < sigma < 50 and math.log(0.5) <= mu <= math.log(MAX_TOKENS_PER_REQUEST)):
        return None  # no log-normal a scenario accepts (and no overflow below)
    p50, p95 = math.exp(mu), math.exp(mu + _Z95 * sigma)
    if p95 >= 2 * MAX_TOKENS_PER_REQUEST:
        return None
    for a in sorted(range(round(p50) - 2, round(p50) + 3), key=lambda v: abs(v - p50)):
        for b in sorted(range(round(p95) - 2, round(p95) + 3), key=lambda v: abs(v - p95)):
            if lognormal_problem(a, b) is None and made_lognormal(workload, a, b):
                return a, b
    return None


def _refined(
    hist: tuple[PromptBucket, ...], index: list[int], mu: float, sigma: float
) -> tuple[float, float]:
    """Newton steps on (mu, sigma) so that the histogram :func:`lognormal_prompt_histogram` makes of them has the
    cumulative shares of ``hist`` at its two best-conditioned edges (the fit above is within ~1e-5 of them; the
    generator's own cut-offs and renormalisation are then matched exactly, to float precision)."""
    normal = NormalDist()
    actual = dict(zip(index, itertools.accumulate(b.share for b in hist), strict=True))
    usable = [k for k in index[:-1] if 1e-4 < actual[k] < 1 - 1e-4]
    if len(usable) < 2:
        return mu, sigma
    k1 = min(usable, key=lambda k: abs(actual[k] - 0.25))
    k2 = min(usable, key=lambda k: abs(actual[k] - 0.75))
    if k1 == k2:
        k1, k2 = usable[0], usable[-1]
    target = (normal.inv_cdf(actual[k1]), normal.inv_cdf(actual[k2]))

    def quantiles(m: float, s: float) -> tuple[float, float] | None:
        try:
            made = lognormal_prompt_histogram(math.exp(m), math.exp(m + _Z95 * s))
        except (ValueError, OverflowError):
            return None
        acc, up_to = 0.0, {}
        for b in made:
            acc += b.share
            up_to[_bucket_index(b.prompt_tokens)] = acc
        c1 = max((v for k, v in up_to.items() if k <= k1), default=0.0)
        c2 = max((v for k, v in up_to.items() if k <= k2), default=0.0)
        if not (0 < c1 < 1 and 0 < c2 < 1):
            return None
        return normal.inv_cdf(c1) - target[0], normal.inv_cdf(c2) - target[1]

    for _ in range(6):
        r = quantiles(mu, sigma)
        if r is None or max(abs(r[0]), abs(r[1])) < 1e-14:
            break
        h = 1e-7
        rm, rs = quantiles(mu + h, sigma), quantiles(mu, sigma + h)
        if rm is None or rs is None:
            break
        a, b = (rm[0] - r[0]) / h, (rs[0] - r[0]) / h
        c, d = (rm[1] - r[1]) / h, (rs[1] - r[1]) / h
        det = a * d - b * c
        if det == 0:
            break
        mu, sigma = mu - (d * r[0] - b * r[1]) / det, sigma - (a * r[1] - c * r[0]) / det
        if not sigma > 0:
            break
    return mu, sigma


def _num(x: float) -> str:
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(float(x))


def histogram_text(workload: Workload, lognormal: tuple[float, float] | None = None) -> str:
    """The URL text of ``workload``'s prompt histogram: ``""`` without one; ``ln:P50:P95`` when ``lognormal``
    (median, 95th percentile), or the whole-token parameters :func:`lognormal_parameters` finds, rebuild it
    exactly; otherwise every ``share:tokens`` bucket."""
    if not workload.prompt_histogram:
        return ""
    if lognormal is None or not made_lognormal(workload, *lognormal):
        lognormal = lognormal_parameters(workload)
    if lognormal is not None:
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


#: Columns of :func:`histogram_frame` (those :func:`costmodel.views.charts.traffic.log_length_chart` draws).
FRAME_COLUMNS = [
    "length",
    "bucket",
    "order",
    "lower_tokens",
    "upper_tokens",
    "requests",
    "mean_tokens",
    "share",
]


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
