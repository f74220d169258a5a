"""Maintained price feeds read offline: LiteLLM's price map and pydantic's genai-prices data.

Two feeds, pinned to the versions tested (:data:`PINNED`):

* **LiteLLM** ``model_prices_and_context_window.json`` (shipped in the ``litellm`` wheel as
  ``litellm/model_prices_and_context_window_backup.json``): one JSON object per ``host/model`` key, prices in USD
  per token, no dates; DeepSeek-style time-of-day prices in ``off_peak_pricing`` (windows of UTC hours on ISO
  weekdays 1 = Monday ... 7 = Sunday).
* **genai-prices** ``genai_prices/data.py``: Python source (a list of ``Provider(...)`` calls) with prices in
  USD per 1M tokens, ``StartDateConstraint`` (a UTC date) and ``TimeOfDateConstraint`` (a daily UTC window, the
  same on all seven days: the schema has no weekday field). It is **read, never imported or executed**: the
  file is parsed with :mod:`ast` and only literals and the feed's own constructor names are evaluated.

Each feed entry becomes a :class:`FeedEntry` in our units (USD per 1M tokens; peak windows as
:class:`~costmodel.catalog.schema.PeakWindow`), mapped to our provider and model ids where we can
(:func:`map_model`, :func:`map_provider`), with the reason when we cannot. :func:`review_feed` compares the
entries with the catalogue's rows; :func:`apply_review` appends the new dated rows to ``prices.yaml``.

The file reading here is explicit (``costmodel prices import``); everything else is pure.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import yaml

from costmodel.catalog.loader import DEFAULT_DATA_DIR, load_catalogue
from costmodel.catalog.schema import Catalogue, PeakWindow, PriceSchedule

__all__ = [
    "MAX_FEED_BYTES",
    "PINNED",
    "REVIEW_COLUMNS",
    "Feed",
    "FeedEntry",
    "FeedError",
    "apply_review",
    "map_model",
    "map_provider",
    "parse_feed",
    "read_feed",
    "review_feed",
]

FeedName = Literal["litellm", "genai-prices"]

#: Largest feed file read (bytes). LiteLLM 1.110.2's map is 3.5 MB and genai-prices 0.2.3's data.py 1.6 MB;
#: anything far larger is refused before it is read.
MAX_FEED_BYTES = 16_000_000
#: Most entries kept from one feed (LiteLLM 1.110.2 has 4,878).
MAX_FEED_ENTRIES = 50_000
#: The versions tested, with the sha256 of the original file in each package.
PINNED: dict[str, tuple[str, str]] = {
    "litellm": ("1.110.2", "8943af58bf9f979c6a4bef815687117ffa341e462a41faed9be17b5c33d3dcc2"),
    "genai-prices": ("0.2.3", "5f4d8e175a91cf23cac17da33a4daa60a6a6c49525109c97e93db220d5197206"),
}
#: Highest believable price, USD per 1M tokens: a feed value above it is refused as a typo or a unit slip.
MAX_USD_PER_MTOK = 10_000.0

_EXTRACT_RE = re.compile(r"extract of (?P<pkg>[\w.-]+) (?P<ver>[\w.+-]+) .*?sha256 (?P<sha>[0-9a-f]{64})")


class FeedError(ValueError):
    """A feed file that cannot be read (missing, too large, malformed, hostile); the message is one line."""


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry in our units. Prices are USD per 1M tokens at the *standard* (peak) rate; outside the
    peak windows they are multiplied by ``off_peak_multiplier``."""

    key: str
    """The feed's own name for the entry (LiteLLM key; genai-prices ``provider:model id``)."""
    host: str
    """The feed's provider id (``fireworks_ai``, ``together``...)."""
    api_model_name: str
    provider: str | None
    """Our provider id, None when the host is not mapped (routers, gateways)."""
    model: str | None
    """Our model id, None when the entry is not a model we carry."""
    effective_from: dt.date | None
    """Start of this price as the feed dates it (genai-prices ``StartDateConstraint``); None = undated."""
    hit: float | None
    miss: float | None
    out: float | None
    peak_windows: tuple[PeakWindow, ...] = ()
    off_peak_multiplier: float = 1.0
    source_url: str = ""
    deprecated: bool = False
    """Flagged deprecated by the feed (genai-prices)."""
    deprecated_on: dt.date | None = None
    """LiteLLM ``deprecation_date``: the entry is skipped on and after it."""
    problem: str = ""
    """Why the entry cannot become a catalogue row ("" when it can)."""
    notes: str = ""
    rates: tuple[tuple[str, dt.date | None, int, int, float, float, float], ...] = field(
        default=(), repr=False
    )
    """The feed's own pricing, for :meth:`rates_at`: ``(kind, start_date, start_minute, end_minute, hit, miss,
    out)`` in the feed's order (genai-prices: the last active one wins)."""
    off_peak_mask: tuple[tuple[bool, ...], ...] = field(default=(), repr=False)
    """LiteLLM: (7, 24) off-peak hours, Monday first; empty when the entry has no off-peak prices."""
    off_peak_rates: tuple[float, float, float] | None = field(default=None, repr=False)

    def rates_at(self, when: dt.datetime) -> tuple[float, float, float] | None:
        """(hit, miss, out) USD per 1M tokens at ``when`` (UTC) under the feed's own rules; None when unpriced.

        LiteLLM: the off-peak prices inside its off-peak windows (UTC hours on the weekdays it lists, weekday
        taken in UTC), else the standard ones. genai-prices: the last conditional price whose constraint holds
        (a start date compares the UTC date; a daily window the UTC time of day, every day of the week).
        """
        if self.rates:
            chosen: tuple[float, float, float] | None = None
            minute = when.hour * 60 + when.minute
            for kind, start, m0, m1, h, mi, o in self.rates:
                if kind == "always":
                    ok = True
                elif kind == "date":
                    ok = start is not None and when.date() >= start
                else:
                    ok = (m0 <= minute < m1) if m0 < m1 else (minute >= m0 or minute < m1)
                if ok:
                    chosen = (h, mi, o)
            return chosen
        if self.hit is None or self.miss is None or self.out is None:
            return None
        if self.off_peak_mask and self.off_peak_rates and self.off_peak_mask[when.weekday()][when.hour]:
            return self.off_peak_rates
        return (self.hit, self.miss, self.out)


@dataclass(frozen=True)
class Feed:
    """A feed file read and mapped."""

    name: FeedName
    version: str
    sha256: str
    """sha256 of the original package file (from the extract header for a committed extract)."""
    entries: tuple[FeedEntry, ...]
    extract: bool = False
    """Whether the file is a trimmed extract (tests/data/feeds/) rather than the package's file."""

    @property
    def label(self) -> str:
        """``LiteLLM 1.110.2`` / ``genai-prices 0.2.3``: the source of rows it adds."""
        return f"{'LiteLLM' if self.name == 'litellm' else 'genai-prices'} {self.version}"


# ---- names ------------------------------------------------------------------------------------------------

#: Feed provider id -> our provider id, where the generic rule (lower case, ``_ai`` dropped) is not enough.
_PROVIDERS = {
    "fireworks_ai": "fireworks",
    "together_ai": "together",
    "azure_ai": "azure",
    "moonshotai": "moonshot",
    "vertex_ai-deepseek_models": "vertex",
    "vertex_ai-moonshot_models": "vertex",
}
#: Feed providers that route to other hosts or resell: their prices are not a host's own.
ROUTERS = ("openrouter", "vercel_ai_gateway", "clf_ai_gateway", "aihubmix", "opencode_go", "huggingface")


def map_provider(host: str) -> tuple[str | None, str]:
    """Our provider id for a feed's provider id, or (None, why)."""
    h = host.strip().lower()
    if any(h == r or h.startswith(r + "_") for r in ROUTERS):
        return None, f"{host} routes to other hosts (not a host's own price)"
    if h in _PROVIDERS:
        return _PROVIDERS[h], ""
    p = re.sub(r"_ai$", "", h)
    p = re.sub(r"[^a-z0-9.-]+", "-", p).strip("-.")
    if not p or not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", p) or len(p) > 60:
        return None, f"provider {host[:40]!r} is not a usable id"
    return p, ""


_MODEL_RULES: tuple[tuple[str, str], ...] = (
    (r"deepseek-v4-pro(-0813)?", "deepseek-v4-pro"),
    (r"deepseek-v4-flash(-0731)?", "deepseek-v4-flash"),
    (r"deepseek-v3\.2", "deepseek-v3.2"),
    (r"kimi-k2\.6", "kimi-k2.6"),
    (r"minimax-m3", "minimax-m3"),
)
#: Markers of a variant (a faster or regional tier, a fine-tune, a preview), never the plain model.
_VARIANT = re.compile(
    r"(-fast|-spot|-us|-ultrafast|-highspeed|:variant\d*|:priority|-fp4|-vision-exp|-speciale|-exp|-thinking|"
    r"-abliterated|-f2|-code|-instruct|-preview)"
)


def normalise_model_name(name: str) -> str:
    """The last path part, lower case, ``p`` between digits read as a dot (``v4p1`` = v4.1, ``k2p6`` = k2.6),
    host prefixes (``fw-``, ``databricks-``, ``ps/``) and a ``-maas`` suffix dropped."""
    n = name.strip().lower().rsplit("/", 1)[-1]
    n = re.sub(r"(?<=\d)p(?=\d)", ".", n)
    n = re.sub(r"^(fw-|databricks-)", "", n)
    n = re.sub(r"-maas$", "", n)
    n = re.sub(r"(kimi-k2)-(\d)$", r"\1.\2", n)  # kimi-k2-6 (Empirio) = kimi-k2.6
    return n


def map_model(name: str, provider: str | None) -> tuple[str | None, str]:
    """Our model id for a feed's model name, or (None, why).

    DeepSeek's own ``deepseek-v4-flash`` / ``deepseek-flash`` name has been served by V4.1-Flash since
    2026-09-10; the catalogue keeps its first-party price under ``deepseek-v4-flash`` (data/prices.yaml). At a
    host, V4.1-Flash is a different (552B) architecture the catalogue does not carry: not mapped.
    """
    n = normalise_model_name(name)
    if provider == "deepseek" and n in ("deepseek-flash", "deepseek-v4-flash", "deepseek-v4.1-flash"):
        return "deepseek-v4-flash", ""
    if "v4.1-flash" in n or "v4-1-flash" in n:
        return None, "V4.1-Flash (552B) is not in the catalogue (data/models.yaml)"
    if _VARIANT.search(n):
        return None, f"a variant ({_VARIANT.search(n).group(1).strip('-:')}), not the plain model"  # type: ignore[union-attr]
    for pattern, model in _MODEL_RULES:
        if re.fullmatch(pattern, n):
            return model, ""
    return None, "no catalogue model with this name"


def _ours(name: str) -> bool:
    """Whether a feed name belongs to a family we carry (the entries the review lists)."""
    n = name.lower()
    return any(f in n for f in ("deepseek", "kimi-k2", "minimax-m3"))


# ---- reading ----------------------------------------------------------------------------------------------


def read_feed(path: Path, name: FeedName) -> Feed:
    """Read a feed file (size-capped, UTF-8) and map its entries.

    Raises:
        FeedError: one line (missing, too large, not UTF-8, malformed, hostile).
    """
    if not path.exists():
        raise FeedError(f"{path}: file not found")
    if not path.is_file():
        raise FeedError(f"{path}: not a regular file (a folder or a device); give the feed file")
    size = path.stat().st_size
    if size > MAX_FEED_BYTES:
        raise FeedError(
            f"{path}: {size:,} bytes is larger than the {MAX_FEED_BYTES // 1_000_000} MB a feed may be; refused"
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FeedError(f"{path}: not UTF-8 text (byte {e.start + 1:,})") from None
    return parse_feed(text, name, what=str(path), sha256=hashlib.sha256(data).hexdigest())


def parse_feed(text: str, name: FeedName, *, what: str = "feed", sha256: str = "") -> Feed:
    """Parse the text of a feed file (see :func:`read_feed`)."""
    if len(text) > MAX_FEED_BYTES:
        raise FeedError(f"{what}: larger than {MAX_FEED_BYTES // 1_000_000} MB; refused")
    head = _EXTRACT_RE.search(text[:2000])
    version, pinned_sha = PINNED[name]
    if head:
        version, sha, extract = head.group("ver"), head.group("sha"), True
    else:
        sha, extract = sha256, False
        if pinned_sha and sha256 != pinned_sha:
            version = f"unpinned (not {name} {version})"
    try:
        entries = _litellm(text, what) if name == "litellm" else _genai(text, what)
    except RecursionError:
        raise FeedError(f"{what}: nested too deeply; refused") from None
    except MemoryError:  # pragma: no cover - depends on the machine
        raise FeedError(f"{what}: too large to parse; refused") from None
    return Feed(name=name, version=version, sha256=sha, entries=tuple(entries), extract=extract)


def _per_mtok(v: Any, what: str, per_token: bool) -> float | None:
    """A price in USD per 1M tokens, None when absent; ValueError on a value that is not a believable price."""
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{what} is not a number ({str(v)[:30]!r})")
    x = float(v) * (1e6 if per_token else 1.0)
    if not math.isfinite(x) or x < 0 or x > MAX_USD_PER_MTOK:
        raise ValueError(
            f"{what} = {v!r} is not a price between 0 and {MAX_USD_PER_MTOK:,.0f} USD per 1M tokens"
        )
    return round(x, 9)  # 1.32e-06 * 1e6 = 1.3199999999999998: the feed's decimal value, not the float noise


def _hours(span: Any) -> list[int]:
    """``"10:00-00:00"`` -> hours 10..23 (an end of 00:00 is midnight); whole hours only."""
    if not isinstance(span, str) or not re.fullmatch(r"\d\d:\d\d-\d\d:\d\d", span):
        raise ValueError(f"off-peak hours {str(span)[:30]!r} are not HH:MM-HH:MM")
    (h0, m0), (h1, m1) = ((int(x[:2]), int(x[3:])) for x in span.split("-"))
    if m0 or m1 or h0 > 23 or h1 > 23:
        raise ValueError(f"off-peak hours {span!r} are not whole UTC hours")
    end = 24 if h1 == 0 else h1
    if end <= h0:
        raise ValueError(f"off-peak hours {span!r} wrap past midnight")
    return list(range(h0, end))


def _off_peak_mask(op: Any) -> npt.NDArray[np.bool_]:
    windows = op.get("windows") if isinstance(op, dict) else None
    if not isinstance(windows, list) or not windows:
        raise ValueError("off_peak_pricing has no windows")
    mask = np.zeros((7, 24), dtype=bool)
    for w in windows:
        if not isinstance(w, dict):
            raise ValueError("an off-peak window is not an object")
        spans = w.get("hours_utc")
        spans = [spans] if isinstance(spans, str) else spans
        days = w.get("weekdays")
        if not isinstance(spans, list) or not isinstance(days, list) or not days:
            raise ValueError("an off-peak window needs hours_utc and weekdays")
        for d in days:
            if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7:
                raise ValueError(f"weekday {str(d)[:10]!r} is not 1 (Monday) ... 7 (Sunday)")
            for s in spans:
                mask[d - 1, _hours(s)] = True
    return mask


def peak_windows_from_mask(peak: npt.NDArray[np.bool_]) -> tuple[PeakWindow, ...]:
    """The (7, 24) peak mask (Monday first) as PeakWindows: one per run of hours, weekdays grouped."""
    runs: dict[tuple[int, int], list[int]] = {}
    for day in range(7):
        h = 0
        while h < 24:
            if peak[day, h]:
                start = h
                while h < 24 and peak[day, h]:
                    h += 1
                runs.setdefault((start, h), []).append(day)
            else:
                h += 1
    return tuple(
        PeakWindow(start_hour_utc=s, end_hour_utc=e, weekdays=tuple(days))
        for (s, e), days in sorted(runs.items())
    )


def _ratio(base: tuple[float | None, ...], other: tuple[float | None, ...]) -> float | None:
    """The one multiplier m with other = m x base for every priced field, None when there is none."""
    ms = {round(o / b, 6) for b, o in zip(base, other, strict=True) if b and o is not None}
    zero_ok = all(o == 0 for b, o in zip(base, other, strict=True) if b == 0 and o is not None)
    return ms.pop() if len(ms) == 1 and zero_ok else None


def _litellm(text: str, what: str) -> list[FeedEntry]:
    try:
        data = json.loads(text)
    except ValueError as e:
        raise FeedError(f"{what}: not valid JSON: {str(e).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise FeedError(f"{what}: a LiteLLM price map is a JSON object of entries, got {type(data).__name__}")
    if len(data) > MAX_FEED_ENTRIES:
        raise FeedError(f"{what}: {len(data):,} entries, more than {MAX_FEED_ENTRIES:,}; refused")
    out: list[FeedEntry] = []
    for key, v in data.items():
        if not isinstance(key, str) or key.startswith("_") or key == "sample_spec" or not _ours(key):
            continue
        host = v.get("litellm_provider") if isinstance(v, dict) else None
        host = host if isinstance(host, str) else key.split("/", 1)[0]
        name = key.split("/", 1)[1] if key.startswith(host + "/") else key
        provider, why_p = map_provider(host)
        model, why_m = map_model(name, provider)
        base = FeedEntry(key=key[:200], host=host[:60], api_model_name=name[:200], provider=provider, model=model,
                         effective_from=None, hit=None, miss=None, out=None)  # fmt: skip
        if not isinstance(v, dict):
            out.append(_finish(replace(base, problem="entry is not an object"), "", ""))
            continue
        src = v.get("source")
        try:
            miss = _per_mtok(v.get("input_cost_per_token"), "input_cost_per_token", True)
            o = _per_mtok(v.get("output_cost_per_token"), "output_cost_per_token", True)
            hit = _per_mtok(v.get("cache_read_input_token_cost"), "cache_read_input_token_cost", True)
            entry = replace(
                base, hit=hit, miss=miss, out=o, source_url=src[:300] if isinstance(src, str) else ""
            )
            dep = v.get("deprecation_date")
            if isinstance(dep, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", dep):
                try:
                    entry = replace(entry, deprecated_on=dt.date.fromisoformat(dep))
                except ValueError:
                    raise ValueError(f"deprecation_date {dep!r} is not a date") from None
            op = v.get("off_peak_pricing")
            if op is not None:
                mask = _off_peak_mask(op)
                assert isinstance(op, dict)
                off = (
                    _per_mtok(
                        op.get("cache_read_input_token_cost"), "off-peak cache_read_input_token_cost", True
                    ),
                    _per_mtok(op.get("input_cost_per_token"), "off-peak input_cost_per_token", True),
                    _per_mtok(op.get("output_cost_per_token"), "off-peak output_cost_per_token", True),
                )
                off_f = tuple(b if x is None else x for x, b in zip(off, (hit, miss, o), strict=True))
                entry = replace(entry, off_peak_mask=tuple(tuple(bool(x) for x in r) for r in mask),
                                off_peak_rates=(off_f[0] or 0.0, off_f[1] or 0.0, off_f[2] or 0.0))  # fmt: skip
                m = _ratio((hit, miss, o), off)
                tz = op.get("weekday_timezone")
                note = f"weekdays in {tz}, taken as UTC days" if isinstance(tz, str) and tz != "UTC" else ""
                if m is None or not 0 < m <= 1:
                    entry = replace(
                        entry, problem="off-peak prices are not one multiple (<= 1) of the standard ones"
                    )
                else:
                    entry = replace(entry, peak_windows=peak_windows_from_mask(~mask), off_peak_multiplier=m,
                                    notes="; ".join(x for x in (entry.notes, note) if x))  # fmt: skip
        except ValueError as e:
            out.append(_finish(replace(base, problem=_clean(str(e), 300)), "", ""))
            continue
        if miss is None or o is None:
            entry = replace(entry, problem=entry.problem or "no input or output price per token")
        out.append(_finish(entry, why_p, why_m))
    return out


def _clean(text: str, limit: int) -> str:
    """A name quoted from a feed, one printable line (a newline or control character in a key is escaped), cut."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[:limit])


def _finish(entry: FeedEntry, why_p: str, why_m: str) -> FeedEntry:
    entry = replace(entry, key=_clean(entry.key, 200), host=_clean(entry.host, 60),
                    api_model_name=_clean(entry.api_model_name, 200), source_url=_clean(entry.source_url, 300))  # fmt: skip
    problem = entry.problem or why_p or why_m
    if problem == "" and entry.hit is None:
        entry = replace(
            entry,
            notes="; ".join(x for x in (entry.notes, "no cache price: cache hits billed as misses") if x),
        )
    return replace(entry, problem=problem)


# ---- genai-prices: data.py read as data (ast), never executed ----------------------------------------------

#: Constructors of genai-prices' data.py that are read (as dicts of their keyword arguments).
_GENAI_CALLS = frozenset(
    {
        "Provider", "ModelInfo", "ModelPrice", "ConditionalPrice", "StartDateConstraint", "TimeOfDateConstraint",
        "ClauseEquals", "ClauseStartsWith", "ClauseEndsWith", "ClauseContains", "ClauseRegex", "ClauseOr",
        "ClauseAnd", "UsageExtractor", "UsageExtractorMapping", "TieredPrices", "Tier", "PriceVariant", "ArrayMatch",
    }
)  # fmt: skip


class _Unsupported(ValueError):
    pass


def _literal(node: ast.AST) -> Any:
    """Evaluate a node of genai-prices' data.py as data: literals, lists, dicts, the feed's constructors (as
    ``{"__type__": name, **kwargs}``), ``Decimal('x')``, ``datetime.date(y, m, d)``, ``datetime.time(h, m, tzinfo=...)``.
    Anything else raises :class:`_Unsupported` with the line number."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool | type(None)):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_literal(e) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {
            _literal(k) if k is not None else None: _literal(v)
            for k, v in zip(node.keys, node.values, strict=True)
        }
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
    ):
        v = _literal(node.operand)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return -v
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and (node.value.id, node.attr) in (("datetime", "UTC"), ("datetime", "timezone"))
    ):
        return "UTC"
    if isinstance(node, ast.Call) and not any(isinstance(a, ast.Starred) for a in node.args):
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else f"{fn.value.id}.{fn.attr}" if (
            isinstance(fn, ast.Attribute) and isinstance(fn.value, ast.Name)) else ""  # fmt: skip
        args = [_literal(a) for a in node.args]
        kwargs = {k.arg: _literal(k.value) for k in node.keywords if k.arg is not None}
        if len(kwargs) != len(node.keywords):
            raise _Unsupported(f"line {node.lineno}: **kwargs is not read")
        if name == "Decimal" and len(args) == 1 and isinstance(args[0], str) and not kwargs:
            try:
                return float(args[0])
            except ValueError:
                raise _Unsupported(f"line {node.lineno}: Decimal({args[0][:20]!r}) is not a number") from None
        if name in ("datetime.date", "date") and len(args) == 3 and all(type(a) is int for a in args):
            try:
                return dt.date(*args)
            except ValueError as e:
                raise _Unsupported(f"line {node.lineno}: {e}") from None
        if name in ("datetime.time", "time") and 1 <= len(args) <= 2 and all(type(a) is int for a in args):
            try:
                t = dt.time(*args)
            except ValueError as e:
                raise _Unsupported(f"line {node.lineno}: {e}") from None
            if kwargs.get("tzinfo", "UTC") != "UTC":
                raise _Unsupported(f"line {node.lineno}: a time zone other than UTC")
            return t
        if name in _GENAI_CALLS and not args:
            return {"__type__": name, **kwargs}
        raise _Unsupported(f"line {node.lineno}: call of {name or ast.unparse(fn)[:40]!r} is not read")
    raise _Unsupported(f"line {getattr(node, 'lineno', '?')}: {type(node).__name__} is not read (only data)")


def _genai_providers(text: str, what: str) -> list[Any]:
    try:
        tree = ast.parse(text, filename=what)
    except SyntaxError as e:
        raise FeedError(f"{what}: not Python source genai-prices writes (line {e.lineno}: {e.msg})") from None
    for stmt in tree.body:
        target: ast.expr
        node: ast.expr | None
        if isinstance(stmt, ast.AnnAssign):
            target, node = stmt.target, stmt.value
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, node = stmt.targets[0], stmt.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == "providers" and node is not None:
            try:
                value = _literal(node)
            except _Unsupported as e:
                raise FeedError(f"{what}: {e}; refused") from None
            if not isinstance(value, list):
                raise FeedError(f"{what}: providers is not a list")
            return value
    raise FeedError(f"{what}: no 'providers = [...]' list (is this genai-prices' data.py?)")


def _mp(p: Any, where: str) -> tuple[float | None, float | None, float | None]:
    if not isinstance(p, dict) or p.get("__type__") != "ModelPrice":
        raise ValueError(f"{where}: prices are not a ModelPrice")
    vals = []
    for k in ("cache_read_mtok", "input_mtok", "output_mtok"):
        v = p.get(k)
        if isinstance(v, dict):
            raise ValueError(f"{where}: tiered {k} is not mapped")
        vals.append(_per_mtok(v, f"{where} {k}", False))
    return vals[0], vals[1], vals[2]


def _genai(text: str, what: str) -> list[FeedEntry]:
    out: list[FeedEntry] = []
    for prov in _genai_providers(text, what):
        if not isinstance(prov, dict) or not isinstance(prov.get("id"), str):
            raise FeedError(f"{what}: a provider is not Provider(id=...)")
        host = prov["id"][:60]
        provider, why_p = map_provider(host)
        models = prov.get("models") or []
        if not isinstance(models, list):
            raise FeedError(f"{what}: provider {host!r} models is not a list")
        urls = prov.get("pricing_urls")
        url = urls[0] if isinstance(urls, list) and urls and isinstance(urls[0], str) else ""
        for m in models:
            if not isinstance(m, dict) or not isinstance(m.get("id"), str):
                continue
            mid = m["id"][:200]
            if not _ours(mid):
                continue
            model, why_m = map_model(mid, provider)
            base = FeedEntry(key=f"{host}:{mid}", host=host, api_model_name=mid, provider=provider, model=model,
                             effective_from=None, hit=None, miss=None, out=None, source_url=url[:300],
                             deprecated=bool(m.get("deprecated")))  # fmt: skip
            try:
                out.append(_finish(_genai_entry(base, m.get("prices")), why_p, why_m))
            except ValueError as e:
                out.append(_finish(replace(base, problem=_clean(str(e), 300)), "", ""))
            if len(out) > MAX_FEED_ENTRIES:
                raise FeedError(f"{what}: more than {MAX_FEED_ENTRIES:,} entries; refused")
    return out


def _genai_entry(base: FeedEntry, prices: Any) -> FeedEntry:
    """The feed's conditional prices (for :meth:`FeedEntry.rates_at`) and the catalogue row they map to: the
    latest dated price, with the daily windows as peak windows on all seven days, when the window prices are one
    multiple of it."""
    where = base.key
    conds = prices if isinstance(prices, list) else [{"__type__": "ConditionalPrice", "prices": prices}]
    rates: list[tuple[str, dt.date | None, int, int, float, float, float]] = []
    for c in conds:
        if not isinstance(c, dict) or c.get("__type__") != "ConditionalPrice":
            raise ValueError(f"{where}: a price is not a ConditionalPrice")
        hit, miss, o = _mp(c.get("prices"), where)
        if miss is None or o is None:
            raise ValueError(f"{where}: no input or output price")
        trio = (miss if hit is None else hit, miss, o)
        con = c.get("constraint")
        if con is None:
            rates.append(("always", None, 0, 0, *trio))
        elif isinstance(con, dict) and con.get("__type__") == "StartDateConstraint" and isinstance(
            con.get("start_date"), dt.date):  # fmt: skip
            rates.append(("date", con["start_date"], 0, 0, *trio))
        elif isinstance(con, dict) and con.get("__type__") == "TimeOfDateConstraint":
            t0, t1 = con.get("start_time"), con.get("end_time")
            if not isinstance(t0, dt.time) or not isinstance(t1, dt.time):
                raise ValueError(f"{where}: a daily window without times")
            rates.append(("time", None, t0.hour * 60 + t0.minute, t1.hour * 60 + t1.minute, *trio))
        else:
            raise ValueError(f"{where}: an unknown price constraint")
    entry = replace(base, rates=tuple(rates))
    flat = [r for r in rates if r[0] != "time"]
    timed = [r for r in rates if r[0] == "time"]
    if not flat:
        return replace(entry, problem="no price outside the daily windows")
    latest = max(flat, key=lambda r: r[1] or dt.date.min)
    hit_l, miss_l, out_l = latest[4:]
    no_cache = all(
        isinstance(c.get("prices"), dict) and c["prices"].get("cache_read_mtok") is None for c in conds
    )
    entry = replace(entry, effective_from=latest[1], hit=None if no_cache else hit_l, miss=miss_l, out=out_l)
    if not timed:
        return entry
    peaks = {tuple(r[4:]) for r in timed}
    if len(peaks) != 1 or any(r[2] % 60 or r[3] % 60 for r in timed):
        return replace(entry, problem="daily windows with different prices, or not on whole hours")
    peak = peaks.pop()
    m = _ratio(peak, (hit_l, miss_l, out_l))
    if m is None or not 0 < m <= 1:
        return replace(
            entry, problem="price outside the daily windows is not one multiple (<= 1) of the window price"
        )
    mask = np.zeros((7, 24), dtype=bool)
    for r in timed:
        h0, h1 = r[2] // 60, (r[3] // 60) or 24
        if h1 <= h0:
            return replace(entry, problem="a daily window wraps past midnight")
        mask[:, h0:h1] = True  # genai-prices has no weekday field: every day of the week
    return replace(
        entry, hit=peak[0], miss=peak[1], out=peak[2], peak_windows=peak_windows_from_mask(mask), off_peak_multiplier=m,
        notes="daily windows apply on all seven days (the feed has no weekday field)",
    )  # fmt: skip


# ---- review and apply -------------------------------------------------------------------------------------

Status = Literal["new", "same", "changed", "conflict", "unmapped", "skipped"]
REVIEW_COLUMNS = [
    "status", "feed_key", "provider", "model", "effective_from", "usd_per_mtok_input_cache_hit",
    "usd_per_mtok_input_cache_miss", "usd_per_mtok_output", "peak", "our_row", "our_confidence", "differences",
    "action",
]  # fmt: skip

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def describe_peak(windows: Iterable[PeakWindow], multiplier: float) -> str:
    """``01-04,06-10 UTC Mon-Fri; off-peak x0.5`` ("flat" without windows)."""
    ws = list(windows)
    if not ws:
        return "flat"
    by_days: dict[tuple[int, ...], list[str]] = {}
    for w in ws:
        by_days.setdefault(tuple(w.weekdays), []).append(f"{w.start_hour_utc:02d}-{w.end_hour_utc:02d}")
    parts = []
    for days, spans in by_days.items():
        d = sorted(days)
        label = (
            f"{_DAYS[d[0]]}-{_DAYS[d[-1]]}"
            if d == list(range(d[0], d[-1] + 1)) and len(d) > 2
            else ",".join(_DAYS[i] for i in d)
        )
        parts.append(f"{','.join(spans)} UTC {label}")
    return f"{'; '.join(parts)}; off-peak x{multiplier:g}"


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= 1e-9 + 1e-6 * max(abs(a), abs(b))


def _differences(e: FeedEntry, row: PriceSchedule, start: dt.date) -> list[str]:
    diffs = []
    hit = e.miss if e.hit is None else e.hit
    for label, ours, theirs in (
        ("cache hit", row.usd_per_mtok_input_cache_hit, hit),
        ("input", row.usd_per_mtok_input_cache_miss, e.miss),
        ("output", row.usd_per_mtok_output, e.out),
    ):
        if not _close(ours, theirs):
            diffs.append(f"{label} {theirs:g} vs ours {ours:g}")
    if describe_peak(row.peak_windows, row.off_peak_multiplier) != describe_peak(
        e.peak_windows, e.off_peak_multiplier
    ):
        diffs.append(
            f"peak {describe_peak(e.peak_windows, e.off_peak_multiplier)} vs ours "
            f"{describe_peak(row.peak_windows, row.off_peak_multiplier)}"
        )
    if e.effective_from is not None and e.effective_from != row.effective_from.date():
        diffs.append(f"from {e.effective_from} vs ours {row.effective_from:%Y-%m-%d %H:%M} UTC")
    return diffs


def review_feed(feed: Feed, catalogue: Catalogue, read_on: dt.date) -> pd.DataFrame:
    """One row per feed entry of a family we carry (DeepSeek, Kimi K2, MiniMax M3), with what to do about it.

    ``status``: ``new`` (no row of ours for this provider × model in effect on ``read_on``), ``same``,
    ``changed`` (ours is not official: ``--apply`` adds the feed's row from its date), ``conflict`` (ours is
    official: never overridden, a person decides), ``unmapped`` (host or model we cannot map, or prices our
    schema cannot hold: the reason is in ``differences``), ``skipped`` (deprecated, or another entry of the same
    host and model is used). Undated feed prices are taken to start on ``read_on``.
    """
    models = {m.id for m in catalogue.models}

    def gone(e: FeedEntry) -> bool:
        return e.deprecated or (e.deprecated_on is not None and e.deprecated_on <= read_on)

    def score(e: FeedEntry) -> tuple[bool, bool, bool]:
        # prefer the dated checkpoint (-0813, -0731), then a dated price, then the host/model key over an alias
        return (bool(re.search(r"-0\d{3}$", e.api_model_name)), e.effective_from is not None, "/" in e.key)

    chosen: dict[tuple[str, str], FeedEntry] = {}
    for e in feed.entries:
        if e.problem or gone(e) or e.provider is None or e.model is None or e.model not in models:
            continue
        k = (e.provider, e.model)
        if k not in chosen or score(e) > score(chosen[k]):
            chosen[k] = e
    rows = []
    read_at = dt.datetime(read_on.year, read_on.month, read_on.day, tzinfo=dt.UTC)
    for e in sorted(feed.entries, key=lambda x: (x.model or "~", x.provider or "~", x.key)):
        if e.deprecated_on is not None and e.deprecated_on > read_on:
            e = replace(
                e, notes="; ".join(x for x in (e.notes, f"deprecation announced for {e.deprecated_on}") if x)
            )
        rec: dict[str, Any] = {
            "feed_key": e.key, "provider": e.provider, "model": e.model,
            "effective_from": (e.effective_from or read_on).isoformat(),
            "usd_per_mtok_input_cache_hit": e.hit, "usd_per_mtok_input_cache_miss": e.miss,
            "usd_per_mtok_output": e.out, "peak": describe_peak(e.peak_windows, e.off_peak_multiplier),
            "our_row": None, "our_confidence": None, "differences": e.notes, "action": "",
        }  # fmt: skip
        if e.problem or e.provider is None or e.model is None:
            rec.update(
                status="unmapped", differences=e.problem, action="none (add a mapping in costmodel/feeds.py)"
            )
        elif e.model not in models:
            rec.update(
                status="unmapped", differences=f"model {e.model} not in data/models.yaml", action="none"
            )
        elif gone(e):
            why = f"deprecated on {e.deprecated_on}" if e.deprecated_on else "flagged deprecated by the feed"
            rec.update(status="skipped", differences=why, action="none")
        elif (e.provider, e.model) not in chosen or chosen[(e.provider, e.model)].key != e.key:
            rec.update(status="skipped", differences=f"{chosen[(e.provider, e.model)].key} used for this host and model",
                       action="none")  # fmt: skip
        else:
            start = e.effective_from or read_on
            at = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
            mine = [
                p for p in catalogue.prices if (p.provider, p.model, p.kind) == (e.provider, e.model, "list")
            ]
            current = next((p for p in sorted(mine, key=lambda p: p.effective_from, reverse=True)
                            if p.in_effect(max(at, read_at)) or p.in_effect(at)), None)  # fmt: skip
            if current is None:
                ends = max((p.effective_to for p in mine if p.effective_to), default=None)
                note = f"; our rows end {ends:%Y-%m-%d}" if ends else ""
                rec.update(status="new", differences=(e.notes + note).strip("; "),
                           action=f"--apply adds a third_party row from {start}")  # fmt: skip
            else:
                diffs = _differences(e, current, start)
                rec.update(our_row=current.id, our_confidence=current.confidence)
                if not diffs:
                    rec.update(status="same", action="none")
                elif current.confidence == "official":
                    rec.update(status="conflict", differences="; ".join(diffs),
                               action="none: our row is official (a person checks the provider's page)")  # fmt: skip
                elif current.effective_to is not None or current.effective_from.date() >= start:
                    rec.update(status="changed", differences="; ".join(diffs),
                               action=f"none: {current.id} starts on or after {start} or has an end date; "
                               "replacing it would rewrite history (a person decides)")  # fmt: skip
                else:
                    rec.update(status="changed", differences="; ".join(diffs),
                               action=f"--apply ends {current.id} on {start} and adds the feed's row")  # fmt: skip
        rows.append(rec)
    order = {s: i for i, s in enumerate(("conflict", "changed", "new", "same", "skipped", "unmapped"))}
    rows.sort(key=lambda r: order[r["status"]])  # what to act on first
    return pd.DataFrame.from_records(rows, columns=REVIEW_COLUMNS)


def _row_id(provider: str, model: str, feed: Feed, start: dt.date) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", f"{provider}-{model}-{feed.name}-{start:%Y%m%d}".lower())[:100]


def _entry_by_key(feed: Feed) -> dict[str, FeedEntry]:
    return {e.key: e for e in feed.entries}


def apply_review(review: pd.DataFrame, feed: Feed, data_dir: Path | None, read_on: dt.date) -> int:
    """Append the ``new`` and ``changed`` rows of ``review`` to ``prices.yaml`` as dated ``third_party`` rows
    with the feed and its version as source. A ``changed`` row closes ours (``effective_to`` = the feed row's
    start) only when ours is open-ended and starts earlier; history before that date is never rewritten and an
    ``official`` row is never touched. The result is validated as a whole catalogue before the file is replaced.

    Returns:
        The number of rows added.

    Raises:
        FeedError: the catalogue would not validate (nothing is written).
    """
    folder = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    path = folder / "prices.yaml"
    text = path.read_text(encoding="utf-8")
    cat = load_catalogue(folder)
    by_id = {p.id: p for p in cat.prices}
    entries = _entry_by_key(feed)
    blocks: list[str] = []
    for rec in review.to_dict("records"):
        if rec["status"] not in ("new", "changed"):
            continue
        e = entries[rec["feed_key"]]
        assert e.provider is not None and e.model is not None and e.miss is not None and e.out is not None
        start = dt.date.fromisoformat(rec["effective_from"])
        if rec["status"] == "changed":
            ours = by_id[rec["our_row"]]
            if (
                ours.confidence == "official"
                or ours.effective_to is not None
                or ours.effective_from.date() >= start
            ):
                continue  # closing it would rewrite history or an official row: left to a person
            pattern = re.compile(
                rf"(\n  - id: {re.escape(ours.id)}\n(?:    .*\n)*?    effective_from: [^\n]*\n)"
            )
            m = pattern.search(text)
            if m is None:
                continue
            text = text[: m.end()] + f"    effective_to: {start.isoformat()}\n" + text[m.end() :]
        row: dict[str, Any] = {
            "id": _row_id(e.provider, e.model, feed, start),
            "provider": e.provider,
            "model": e.model,
            "api_model_name": e.api_model_name,
            "kind": "list",
            "effective_from": start,
            **(
                {"effective_to": e.deprecated_on}
                if e.deprecated_on is not None and e.deprecated_on > start
                else {}
            ),
            "usd_per_mtok_input_cache_hit": e.miss if e.hit is None else e.hit,
            "usd_per_mtok_input_cache_miss": e.miss,
            "usd_per_mtok_output": e.out,
        }
        if e.peak_windows:
            row["peak_windows"] = [w.model_dump() for w in e.peak_windows]
            row["off_peak_multiplier"] = e.off_peak_multiplier
        row.update(
            source=f"{feed.label} price feed, entry {e.key}"
            + (f" (cites {e.source_url})" if e.source_url else ""),
            as_of=read_on,
            confidence="third_party",
            notes=f"Imported by 'costmodel prices import --from {feed.name}' (feed sha256 {feed.sha256[:12]})."
            + (" " + e.notes + "." if e.notes else "")
            + (f" Deprecation announced for {e.deprecated_on}." if e.deprecated_on else "")
            + (
                ""
                if e.effective_from
                else f" The feed is undated: no price is claimed before {start} (the day it was read)."
            ),
        )
        if e.hit is None:
            row["unconfirmed_fields"] = ["usd_per_mtok_input_cache_hit"]
        dumped = yaml.safe_dump([row], sort_keys=False, allow_unicode=True, width=200)
        blocks.append("\n" + "".join("  " + line + "\n" for line in dumped.splitlines()))
    if not blocks:
        return 0
    new_text = text.rstrip("\n") + "\n" + "".join(blocks)
    with tempfile.TemporaryDirectory() as tmp:
        for f in folder.glob("*.yaml"):
            shutil.copy(f, Path(tmp) / f.name)
        (Path(tmp) / "prices.yaml").write_text(new_text, encoding="utf-8")
        try:
            load_catalogue(tmp)
        except ValueError as e:
            raise FeedError(f"the rows would not validate, nothing written: {e}") from None
    path.write_text(new_text, encoding="utf-8")
    return len(blocks)
