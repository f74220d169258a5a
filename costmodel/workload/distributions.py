"""Parametric prompt-length distributions: a log-normal shape given by its median and 95th percentile, turned
into the prompt-length histogram a workload carries (``Workload.prompt_histogram``), for when no usage log is at
hand.

The buckets are the usage-log import's (power-of-two edges from 1,024 tokens: 512K = 2^19 is an edge, MiniMax M3's
context tier); each bucket carries its probability and the log-normal's mean inside it (closed form), and the tail
beyond the log-normal's 99.99th percentile (or the scenario's longest prompt, 2^24 tokens, if shorter) is cut off
and the shares renormalised: a shape given by its median and p95 says nothing about one request in 10,000, and its
far tail (down to 1e-9 of the requests, at millions of tokens) would otherwise decide alone that no model's
context window can serve the workload. Units: tokens.
"""

from __future__ import annotations

import math

from costmodel.workload.scenario import MAX_TOKENS_PER_REQUEST, PromptBucket, Workload

__all__ = ["lognormal_prompt_histogram", "with_lognormal_prompts"]

_Z95 = 1.6448536269514722  # standard normal 95th percentile
#: Standard normal quantile of the share of the requests the histogram covers (99.99%): the rest is cut off.
_Z_KEPT = 3.719016485455709
_FIRST_EXP, _LAST_EXP = 10, 24


def _phi(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def lognormal_prompt_histogram(p50_tokens: float, p95_tokens: float) -> tuple[PromptBucket, ...]:
    """Histogram of a log-normal prompt length with median ``p50_tokens`` and 95th percentile ``p95_tokens``.

    ``mu = ln p50``, ``sigma = (ln p95 - ln p50) / 1.645``. Bucket k covers ``(2^(9+k), 2^(10+k)]`` (the first
    ``(0, 1024]``); its share is the probability of the interval and its prompt length the conditional mean
    ``exp(mu + sigma^2/2) (Phi((ln b - mu - sigma^2)/sigma) - Phi((ln a - mu - sigma^2)/sigma)) / P(a < X <= b)``.
    The distribution is cut at its 99.99th percentile ``exp(mu + 3.719 sigma)`` (or 2^24 tokens if shorter): the
    last bucket ends there. Buckets under 1e-9 of the requests are left out; shares are renormalised to sum to 1.

    Raises:
        ValueError: p50 not positive, p95 not above p50, or p50 beyond the longest prompt (one line).
    """
    if not (math.isfinite(p50_tokens) and 0 < p50_tokens <= MAX_TOKENS_PER_REQUEST):
        raise ValueError(
            f"median prompt must be between 0 and {MAX_TOKENS_PER_REQUEST:,} tokens, got {p50_tokens:g}"
        )
    if not (math.isfinite(p95_tokens) and p95_tokens > p50_tokens):
        raise ValueError(f"95th-percentile prompt ({p95_tokens:g}) must be above the median ({p50_tokens:g})")
    mu = math.log(p50_tokens)
    sigma = (math.log(p95_tokens) - mu) / _Z95
    mean_all = math.exp(mu + sigma * sigma / 2.0)
    top = math.exp(min(mu + _Z_KEPT * sigma, math.log(2.0**_LAST_EXP)))  # the longest prompt kept
    raw = []
    for k in range(_LAST_EXP - _FIRST_EXP + 1):
        lo = 0.0 if k == 0 else float(2 ** (_FIRST_EXP + k - 1))
        if lo >= top:
            break
        hi = min(float(2 ** (_FIRST_EXP + k)), top)
        za = -math.inf if lo == 0 else (math.log(lo) - mu) / sigma
        zb = (math.log(hi) - mu) / sigma
        p = _phi(zb) - (0.0 if lo == 0 else _phi(za))
        if p < 1e-9:
            continue
        part = _phi(zb - sigma) - (0.0 if lo == 0 else _phi(za - sigma))
        mean = min(max(mean_all * part / p, lo), hi)  # inside its bucket despite rounding in the far tail
        raw.append((p, mean))
    total = sum(p for p, _ in raw)
    return tuple(PromptBucket(share=p / total, prompt_tokens=m) for p, m in raw)


def with_lognormal_prompts(workload: Workload, p50_tokens: float, p95_tokens: float) -> Workload:
    """``workload`` with a log-normal prompt histogram (:func:`lognormal_prompt_histogram`) and ``prompt_tokens``
    set to the histogram's mean (rounded), which the workload's validation requires."""
    hist = lognormal_prompt_histogram(p50_tokens, p95_tokens)
    mean = sum(b.share * b.prompt_tokens for b in hist)
    return Workload.model_validate(
        {**workload.model_dump(), "prompt_tokens": max(1, round(mean)), "prompt_histogram": hist}
    )
