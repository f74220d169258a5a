"""Price feeds: genai-prices data.py read as data (ast), never executed."""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import replace
from typing import Any

import numpy as np

from costmodel.pricing.feeds.litellm import _clean, _finish
from costmodel.pricing.feeds.names import (
    MAX_FEED_ENTRIES,
    FeedEntry,
    FeedError,
    _ours,
    map_model,
    map_provider,
)
from costmodel.pricing.feeds.units import _per_mtok, _ratio, peak_windows_from_mask

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
        out: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            key = _literal(k) if k is not None else None
            if key in out:  # the one duplicate-key rule of every structured input
                raise _Unsupported(f"line {node.lineno}: duplicate key {str(key)[:60]!r}")
            out[key] = _literal(v)
        return out
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
    try:  # within the parse budget (costmodel.pricing.feeds.reading.parse_feed checked it)
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
