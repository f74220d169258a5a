"""Price feeds: the review of a feed against the catalogue, and applying it (new dated rows, history kept)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from costmodel.catalog.loader import DEFAULT_DATA_DIR, load_catalogue
from costmodel.catalog.schema import Catalogue, PeakWindow, PriceSchedule
from costmodel.pricing.feeds.names import Feed, FeedEntry, FeedError, feed_region

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

    def score(e: FeedEntry) -> tuple[bool, bool, bool, bool]:
        # prefer the dated checkpoint (-0813, -0731, -1017, -260910), then a dated price, then an entry without a
        # region (Bedrock's default over ap-northeast-1, us., eu.), then the host/model key over an alias
        dated = bool(re.search(r"-((0[1-9]|1[0-2])[0-3]\d|2\d[01]\d[0-3]\d)$", e.api_model_name))
        return (dated, e.effective_from is not None, not feed_region(e.key), "/" in e.key)

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
                status="unmapped",
                differences=e.problem,
                action="none (add a mapping in costmodel/pricing/feeds/names.py)",
            )
        elif e.model not in models:
            rec.update(
                status="unmapped", differences=f"model {e.model} not in data/models.yaml", action="none"
            )
        elif gone(e):
            why = f"deprecated on {e.deprecated_on}" if e.deprecated_on else "flagged deprecated by the feed"
            rec.update(status="skipped", differences=why, action="none")
        elif (e.provider, e.model) not in chosen or chosen[(e.provider, e.model)].key != e.key:
            region = feed_region(e.key)
            rec.update(status="skipped", differences=(f"a regional price ({region}); " if region else "")
                       + f"{chosen[(e.provider, e.model)].key} used for this host and model", action="none")  # fmt: skip
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
