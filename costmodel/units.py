"""Units, the shared array type and token-count parsing used across the model.

Money is ``float`` US dollars, rounded only for display. Token counts are integers.
``GB`` = 10^9 bytes, ``GiB`` = 2^30 bytes; token suffixes use binary multiples
(``128K`` = 131,072 tokens, ``1M`` = 1,048,576 tokens) as context windows are quoted that way.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt

#: Arrays of quantities (token counts, bytes, FLOPs, USD) over any sweep dimensions.
FloatArray = npt.NDArray[np.float64]

TOKENS_PER_MTOK = 1_000_000
"""Prices are quoted per 1,000,000 tokens (decimal million)."""
BYTES_PER_GB = 1e9
BYTES_PER_GIB = 2**30
SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24

_SUFFIX = {"": 1, "K": 1024, "M": 1024**2}
_TOKEN_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KkMm]?)\s*$")


def parse_token_count(text: str) -> int:
    """Parse a token count such as ``8192``, ``128K`` (131,072) or ``1M`` (1,048,576).

    Raises:
        ValueError: one line naming the bad value.
    """
    m = _TOKEN_RE.match(str(text))
    if not m:
        raise ValueError(f"bad token count {text!r}: use an integer or a K/M suffix, e.g. 8192, 128K, 1M")
    if len(m.group(1).split(".")[0].lstrip("0")) > 15:  # float() of a huge numeral is inf: refuse it first
        raise ValueError(f"bad token count {str(text)[:40]!r}: larger than 2^40 tokens")
    value = float(m.group(1)) * _SUFFIX[m.group(2).upper()]
    if value != int(value):
        raise ValueError(f"bad token count {text!r}: not a whole number of tokens")
    if value <= 0:
        raise ValueError(f"bad token count {text!r}: must be > 0")
    if value > 2**40:
        raise ValueError(f"bad token count {text!r}: larger than 2^40 tokens")
    return int(value)


def parse_token_list(text: str) -> list[int]:
    """Parse a comma-separated list of token counts (``8K,128K,1M``)."""
    parts = [p for p in str(text).split(",") if p.strip()]
    if not parts:
        raise ValueError("empty list of token counts")
    return [parse_token_count(p) for p in parts]
