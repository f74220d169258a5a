"""Price feeds: reading a feed file (size, encoding, format checked) into its entries."""

from __future__ import annotations

import hashlib
from pathlib import Path

from costmodel.pricing.feeds.genai import _genai
from costmodel.pricing.feeds.litellm import _litellm
from costmodel.pricing.feeds.names import (
    _EXTRACT_RE,
    MAX_FEED_BYTES,
    PINNED,
    Feed,
    FeedError,
    FeedName,
    parse_budget_problem,
)


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
    problem = parse_budget_problem(text)  # one parse budget for JSON and Python feeds, before any parse
    if problem is not None:
        raise FeedError(f"{what}: {problem}; refused before parsing")
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
