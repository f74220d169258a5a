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

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal

from costmodel.catalog.schema import PeakWindow

FeedName = Literal["litellm", "genai-prices"]

#: Largest feed file read (bytes). LiteLLM 1.110.2's map is 3.5 MB and genai-prices 0.2.5's data.py 1.6 MB;
#: anything far larger is refused before it is read.
MAX_FEED_BYTES = 16_000_000
#: Most entries kept from one feed (LiteLLM 1.110.2 has 4,878).
MAX_FEED_ENTRIES = 50_000
#: The versions tested, with the sha256 of the original file in each package.
PINNED: dict[str, tuple[str, str]] = {
    "litellm": ("1.110.2", "8943af58bf9f979c6a4bef815687117ffa341e462a41faed9be17b5c33d3dcc2"),
    "genai-prices": ("0.2.5", "0f8fe8131ea62b310000d35810d097e4865bff07cc51a4a35540663e315d0bb6"),
}
#: Highest believable price, USD per 1M tokens: a feed value above it is refused as a typo or a unit slip.
MAX_USD_PER_MTOK = 10_000.0

#: Parse budget of a feed, JSON or Python (:func:`parse_budget_problem`): Python's parser keeps about 1 KB per
#: element of the tree (a 15.8 MB data.py of ``[0,0,...]`` reached 6.35 GB; a 15.7 MB LiteLLM JSON of 880,000
#: entries 523 MB), so the elements are counted before parsing. The real feeds have a few tens of thousands;
#: 250,000 keep any feed under 16 MB below 400 MB RSS and 2 s (benchmarks/bench_pricing.py measures it).
MAX_PARSE_ELEMENTS = 250_000
#: Deepest nesting of brackets read (the real file nests about 8 deep).
MAX_PARSE_DEPTH = 100
_BRACKETS = re.compile(r"[^\[\](){}]+")


def parse_budget_problem(text: str) -> str | None:
    """Why ``text`` is over the parse budget, or None: more than :data:`MAX_PARSE_ELEMENTS` elements (commas and
    opening brackets, counted without parsing: strings included, so it errs on the safe side) or brackets nested
    deeper than :data:`MAX_PARSE_DEPTH`."""
    elements = text.count(",") + text.count("(") + text.count("[") + text.count("{")
    if elements > MAX_PARSE_ELEMENTS:
        return f"{elements:,} elements (commas and brackets), more than the {MAX_PARSE_ELEMENTS:,} a feed may have"
    depth = deepest = 0
    for c in _BRACKETS.sub("", text):
        depth += 1 if c in "([{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_PARSE_DEPTH:
        return f"brackets nested {deepest:,} deep, more than the {MAX_PARSE_DEPTH} a feed may have"
    return None


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
        """``LiteLLM 1.110.2`` / ``genai-prices 0.2.5``: the source of rows it adds."""
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
    # AWS Bedrock under LiteLLM's three routes (invoke, Converse, the OpenAI-compatible "mantle"): one host
    "bedrock": "bedrock",
    "bedrock_converse": "bedrock",
    "bedrock_mantle": "bedrock",
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


#: An AWS region in a feed key (``bedrock/ap-northeast-1/deepseek.v3.2``) or a Bedrock cross-region inference
#: profile prefix of the model id (``us.deepseek.v3.2``, ``eu.``, ``apac.``...).
_AWS_REGION = re.compile(r"(?:^|/)((?:us-gov|[a-z]{2})-[a-z]+-\d)(?=/)")
_BEDROCK_PROFILE = re.compile(r"^(us|eu|apac|jp|au|ca|global|us-gov)\.(?=[a-z]+\.)")


def feed_region(key: str) -> str:
    """The region a feed entry is priced for, "" when none is named: ``ap-northeast-1`` for
    ``bedrock/ap-northeast-1/deepseek.v3.2``, ``us`` for Bedrock's ``us.deepseek.v3.2`` inference profile. A host
    keeps one row per model (the catalogue has no region field): the entry without a region wins."""
    k = key.strip().lower()
    m = _AWS_REGION.search(k)
    if m:
        return m.group(1)
    m = _BEDROCK_PROFILE.match(k.rsplit("/", 1)[-1])
    return m.group(1) if m else ""


#: Normalised name -> our model id. A dated checkpoint suffix (``-0813``, ``-0731``, ``-1017``; StreamLake's
#: ``-260910``) is the same model re-post-trained on the same architecture.
_MODEL_RULES: tuple[tuple[str, str], ...] = (
    (r"deepseek-v4-pro(-0813)?", "deepseek-v4-pro"),
    (r"deepseek-v4-flash(-0731)?", "deepseek-v4-flash"),
    (r"deepseek-v4\.1-flash(-1017|-260910)?", "deepseek-v4.1-flash"),
    (r"deepseek-v3\.2", "deepseek-v3.2"),
    (r"kimi-k2\.6", "kimi-k2.6"),
    (r"minimax-m3", "minimax-m3"),
)
#: Models of our families the catalogue does not carry, with the reason (checked before the variant markers, so
#: ``kimi-k2.7-code`` says why it is out rather than "a variant").
_NOT_CARRIED: tuple[tuple[str, str], ...] = (
    (
        r"kimi-k2\.7",
        "Kimi K2.7 / K2.7-Code is not in data/models.yaml: no config and no maker's price on record",
    ),
    (
        r"minimax-m3\.1",
        "MiniMax M3.1-Flash is not in data/models.yaml: no config on record (only its context window)",
    ),
    (r"kimi-k2\.5", "Kimi K2.5 is not in data/models.yaml (an earlier checkpoint than the K2.6 it carries)"),
)
#: Markers of a variant (a faster or regional tier, a fine-tune, a preview), never the plain model.
_VARIANT = re.compile(
    r"(-fast|-spot|^spot-|-us|-ultrafast|-highspeed|:variant\d*|:priority|-fp4|-vision-exp|-speciale|-exp|"
    r"-thinking|-abliterated|-f2|-code|-instruct|-preview)"
)
#: What a mapping assumes, said in the row it adds (:func:`mapping_note`).
_MAPPING_NOTES: tuple[tuple[str, str], ...] = (
    (
        r"deepseek-v4\.1-flash-(1017|260910)",
        "V4.1-Flash's dated checkpoint, taken as re-post-trained on the same architecture (not confirmed)",
    ),
)


def normalise_model_name(name: str) -> str:
    """The last path part, lower case, ``p`` between digits read as a dot (``v4p1`` = v4.1, ``k2p6`` = k2.6),
    host prefixes (``fw-``, ``databricks-``, ``ps/``) and a ``-maas`` suffix dropped; a dash between a family's
    version digits read as a dot (``deepseek-v4-1-flash``, ``kimi-k2-7``, ``minimax-m3-1``); AWS Bedrock's dotted
    ids (``deepseek.v3.2``, ``us.deepseek.v3.2``, ``moonshotai.kimi-k2.5``, ``deepseek.r1-v1:0``) read as the plain
    model name (maker prefix and cross-region profile dropped, ``-v1:0`` version suffix dropped)."""
    n = name.strip().lower().rsplit("/", 1)[-1]
    n = _BEDROCK_PROFILE.sub("", n)
    n = re.sub(r"^(deepseek)\.", r"\1-", n)
    n = re.sub(r"^(moonshotai|minimax)\.", "", n)
    n = re.sub(r"-v\d+:\d+$", "", n)
    n = re.sub(r"(?<=\d)p(?=\d)", ".", n)
    n = re.sub(r"^(fw-|databricks-)", "", n)
    n = re.sub(r"-maas$", "", n)
    n = re.sub(
        r"(deepseek-v4|kimi-k2|minimax-m3)-(\d)(?=-|$)", r"\1.\2", n
    )  # kimi-k2-6 (Empirio) = kimi-k2.6
    return n


def map_model(name: str, provider: str | None) -> tuple[str | None, str]:
    """Our model id for a feed's model name, or (None, why).

    DeepSeek's own ``deepseek-v4-flash`` / ``deepseek-flash`` name has been served by V4.1-Flash since
    2026-09-10; the catalogue keeps its first-party price under ``deepseek-v4-flash`` (data/prices.yaml, with its
    ``served_by`` periods). At a host, V4.1-Flash is its own open weights: ``deepseek-v4.1-flash``.
    """
    n = normalise_model_name(name)
    if provider == "deepseek" and n in ("deepseek-flash", "deepseek-v4-flash", "deepseek-v4.1-flash"):
        return "deepseek-v4-flash", ""
    for pattern, why in _NOT_CARRIED:
        if re.match(pattern, n):
            return None, why
    if _VARIANT.search(n):
        return None, f"a variant ({_VARIANT.search(n).group(1).strip('-:')}), not the plain model"  # type: ignore[union-attr]
    for pattern, model in _MODEL_RULES:
        if re.fullmatch(pattern, n):
            return model, ""
    return None, "no catalogue model with this name"


def mapping_note(name: str) -> str:
    """What mapping ``name`` to our model assumes ("" when nothing): said in the notes of the row it adds."""
    n = normalise_model_name(name)
    return next((note for pattern, note in _MAPPING_NOTES if re.fullmatch(pattern, n)), "")


def _ours(name: str) -> bool:
    """Whether a feed name belongs to a family we carry (the entries the review lists)."""
    n = name.lower()
    return any(f in n for f in ("deepseek", "kimi-k2", "minimax-m3"))


# ---- reading ----------------------------------------------------------------------------------------------
