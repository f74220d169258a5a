"""Maintained price feeds read offline (LiteLLM, genai-prices), split by concern: names (the feed model: entries,
pinned versions, name mapping), units, litellm, genai, reading, review (review and apply). The method is in the
docstring of costmodel.pricing.feeds.names.
"""

from __future__ import annotations

from costmodel.pricing.feeds.names import (
    MAX_FEED_BYTES,
    PINNED,
    Feed,
    FeedEntry,
    FeedError,
    map_model,
    map_provider,
)
from costmodel.pricing.feeds.reading import parse_feed, read_feed
from costmodel.pricing.feeds.review import REVIEW_COLUMNS, apply_review, describe_peak, review_feed

__all__ = [
    "MAX_FEED_BYTES",
    "PINNED",
    "REVIEW_COLUMNS",
    "Feed",
    "FeedEntry",
    "FeedError",
    "apply_review",
    "describe_peak",
    "map_model",
    "map_provider",
    "parse_feed",
    "read_feed",
    "review_feed",
]
