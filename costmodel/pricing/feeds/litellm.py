"""Price feeds: LiteLLM price-map entries in our units, mapped to our ids."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from costmodel.catalog.loader import json_loads_strict
from costmodel.pricing.feeds.names import (
    MAX_FEED_ENTRIES,
    FeedEntry,
    FeedError,
    _ours,
    map_model,
    map_provider,
    mapping_note,
)
from costmodel.pricing.feeds.units import _off_peak_mask, _per_mtok, _ratio, peak_windows_from_mask


def _litellm(text: str, what: str) -> list[FeedEntry]:
    try:
        data = json_loads_strict(text)  # a key given twice is refused, as in every structured input
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
    assumed = mapping_note(entry.api_model_name) if problem == "" else ""
    if assumed:
        entry = replace(entry, notes="; ".join(x for x in (entry.notes, assumed) if x))
    if problem == "" and entry.hit is None:
        entry = replace(
            entry,
            notes="; ".join(x for x in (entry.notes, "no cache price: cache hits billed as misses") if x),
        )
    return replace(entry, problem=problem)
