"""Units, the shared array type and token-count parsing used across the model.

Money is ``float`` US dollars, rounded only for display. Token counts are integers.
``GB`` = 10^9 bytes, ``GiB`` = 2^30 bytes; token suffixes use binary multiples
(``128K`` = 131,072 tokens, ``1M`` = 1,048,576 tokens) as context windows are quoted that way.
"""

from __future__ import annotations

import math
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
_TOKEN_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KkMm]?)\s*$", re.ASCII)  # digits 0-9 only: not ٨ or ８


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
    """Parse a comma-separated list of token counts (``8K,128K,1M``); an empty item (``1,,2``, ``8K,``) is
    refused, not skipped."""
    parts = [p.strip() for p in str(text).split(",")]
    if not any(parts):
        raise ValueError("empty list of token counts")
    if not all(parts):
        raise ValueError(f"bad list of token counts {str(text)[:60]!r}: an empty item between commas")
    return [parse_token_count(p) for p in parts]


# ---- counts typed by people (the Calculator's request and token fields) -------------------------------------

_DECIMAL_SUFFIX = {"": 1.0, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9}
_BINARY_SUFFIX = {"": 1.0, "K": 1024.0, "M": 1024.0**2}
_COUNT_RE = re.compile(r"^(?P<num>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<suffix>[A-Za-z]*)$", re.ASCII)
_GROUPED_RE = re.compile(r"^\d{1,3}(?:,\d{3})+$", re.ASCII)
#: What a count field accepts, for error messages.
COUNT_FORMS = "a number such as 2000000, 2,000,000, 2M, 8K or 1.5k"


def parse_count(text: str, *, binary: bool = False, whole: bool = False) -> float:
    """A count typed by a person: ``2000000``, ``2,000,000``, ``2M``, ``8K``, ``1.5k``, ``0.5``.

    Suffixes (case-insensitive): ``K`` thousand, ``M`` million, ``B``/``G`` billion; with ``binary`` (token
    counts, quoted as context windows are: :func:`parse_token_count`) ``K`` = 1,024 and ``M`` = 1,048,576 and
    there is no billion. Commas separate thousands only (``2,000,000``; ``1,5`` is refused: use a point).

    Args:
        text: what was typed.
        binary: K/M are powers of two (token counts).
        whole: the result must be a whole number (token counts).

    Returns:
        The value, ≥ 0 and finite (the field's own bounds are checked by the model that uses it).

    Raises:
        ValueError: one line saying what could not be read and what is accepted.
    """
    raw = str(text)
    s = raw.strip().replace("\u202f", "").replace("_", "")
    shown = raw.strip()[:40]
    if not s:
        raise ValueError(f"empty: type {COUNT_FORMS}")
    if s.startswith("-"):
        raise ValueError(f"{shown!r} is negative: a count is 0 or more")
    m = _COUNT_RE.match(s.replace(" ", "") if re.fullmatch(r"[\d ,.]+[A-Za-z]*", s, re.ASCII) else s)
    if not m:
        raise ValueError(f"cannot read {shown!r}: type {COUNT_FORMS}")
    num, suffix = m.group("num"), m.group("suffix").upper()
    table = _BINARY_SUFFIX if binary else _DECIMAL_SUFFIX
    if suffix not in table:
        known = ", ".join(k for k in table if k)
        raise ValueError(f"cannot read {shown!r}: unknown suffix {m.group('suffix')!r} (use {known})")
    whole_part = num.split(".")[0]
    if "," in whole_part and not _GROUPED_RE.match(whole_part):
        raise ValueError(
            f"cannot read {shown!r}: commas separate thousands (2,000,000); use a point for decimals (1.5)"
        )
    digits = whole_part.replace(",", "").lstrip("0")
    if len(digits) > 15:
        raise ValueError(f"{shown!r} is too large")
    value = float(num.replace(",", "")) * table[suffix]
    if whole and value != round(value):
        raise ValueError(f"{shown!r} is {value:,.3f}: not a whole number")
    return float(round(value)) if whole else value


def format_count(value: float) -> str:
    """A count as the product writes it into a text field: ``2,000,000``, ``0.5``, ``666,666,666.6666666``.

    The one writer of :func:`parse_count`'s reader: the text is exact (the shortest decimal that reads back as
    the same float, thousands separated by commas, never an exponent), so ``parse_count(format_count(v)) == v``
    bit for bit for every finite count ≥ 0 (whole numbers up to 10^15, the reader's limit; any fraction).

    Raises:
        ValueError: a negative, infinite or NaN value, or a whole number over 15 digits (not a count).
    """
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{v!r} is not a count (finite and 0 or more)")
    whole, _, frac = np.format_float_positional(v, unique=True, trim="-").partition(".")
    if len(whole.lstrip("0")) > 15:
        raise ValueError(f"{v!r} is too large for a count field (15 digits at most)")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")
