"""GPU rental feeds: SkyPilot catalog v8 ``vms.csv`` files and dstack gpuhunt catalog CSVs, reviewed
against the market's rows of ``hardware.yaml`` and applied as new dated rows (history is never rewritten).

Schemas: ``../shared/reference/facts-2026-12.md`` §7. Columns are keyed by header name (the order differs per
cloud). Prices in both are USD per *instance*-hour: divided by the instance's GPU count. SkyPilot's ``SpotPrice``
(empty: no spot offer) and gpuhunt's ``spot`` flag give spot rows. Neither file has a date column: the rows are
dated the day the file is read, and marked so (``as_of`` unconfirmed).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
import shutil
import tempfile
import typing
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml

from costmodel.catalog.loader import DEFAULT_DATA_DIR, load_catalogue
from costmodel.catalog.schema import Catalogue
from costmodel.pricing.feeds.names import MAX_FEED_BYTES, FeedError

__all__ = [
    "RENTAL_COLUMNS",
    "RentalFeed",
    "apply_rentals",
    "map_gpu",
    "parse_rentals",
    "read_rentals",
    "review_rentals",
]

RentalSource = Literal["skypilot", "gpuhunt"]
#: The rental feeds ``costmodel rentals import --from`` reads (a new feed: its name here, its headers below).
RENTAL_SOURCES: tuple[RentalSource, ...] = typing.get_args(RentalSource)
MAX_ROWS = 200_000
RENTAL_COLUMNS = [
    "status", "provider", "gpu", "basis", "usd_per_gpu_hour", "region", "feed_names", "our_row", "our_usd_per_gpu_hour",
    "differences", "action",
]  # fmt: skip
_REQUIRED = {
    "skypilot": ("InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region", "SpotPrice"),
    "gpuhunt": ("instance_name", "location", "price", "gpu_count", "gpu_name", "spot"),
}
#: Feed GPU names -> catalogue GPU ids. PCIe and other variants the catalogue lacks stay unmapped.
_GPU_NAMES = {
    "h100": "h100-sxm", "h100-80g-sxm5": "h100-sxm", "h100-sxm": "h100-sxm", "h100-sxm5": "h100-sxm",
    "h100-80gb-sxm": "h100-sxm", "h800": "h800", "h200": "h200", "h200-sxm": "h200", "h200-141g": "h200",
    "b200": "b200", "b300": "b300", "gb200": "gb200", "gb300": "gb300", "h20": "h20", "mi300x": "mi300x",
    "mi355x": "mi355x",
}  # fmt: skip


@dataclass(frozen=True)
class FeedRow:
    """One instance offer of the file, priced per GPU-hour."""

    provider: str
    feed_name: str
    gpu: str | None
    """Catalogue GPU id (None: unmapped, ``problem`` says why)."""
    basis: str
    usd_per_gpu_hour: float
    region: str
    instance: str
    problem: str = ""


@dataclass(frozen=True)
class RentalFeed:
    name: RentalSource
    provider: str
    sha256: str
    rows: tuple[FeedRow, ...]


def map_gpu(name: str, instance: str = "") -> tuple[str | None, str]:
    """The catalogue id of a feed GPU name (``H100-80G-SXM5`` -> ``h100-sxm``), or None and the reason."""
    key = name.strip().lower()
    if "pcie" in key or "pcie" in instance.lower():
        return None, f"{name} (PCIe) is not in data/hardware.yaml"
    if key in _GPU_NAMES:
        return _GPU_NAMES[key], ""
    return None, f"GPU name {name[:40]!r} is not mapped (costmodel/pricing/feeds/rentals.py)"


def _num(v: str, what: str, line: int) -> float | None:
    v = (v or "").strip()
    if not v:
        return None
    try:
        x = float(v)
    except ValueError:
        raise FeedError(f"{what}: line {line}: not a number: {v[:30]!r}") from None
    if not math.isfinite(x) or x < 0 or x > 1e6:
        raise FeedError(f"{what}: line {line}: {v[:30]!r} is not a price or count in range")
    return x


def parse_rentals(
    text: str, source: RentalSource, provider: str, *, what: str = "feed", sha256: str = ""
) -> RentalFeed:
    """Parse a SkyPilot ``vms.csv`` or gpuhunt CSV text. Raises :class:`FeedError` (one line) if malformed."""
    if source not in _REQUIRED:
        raise FeedError(f"unknown rental feed {source!r}; use {' or '.join(RENTAL_SOURCES)}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]{0,40}", provider):
        raise FeedError(f"{what}: provider {provider[:40]!r} must be a lower-case name (give --provider)")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = reader.fieldnames or []
        missing = [c for c in _REQUIRED[source] if c not in header]
        if missing:
            raise FeedError(f"{what}: not a {source} catalog CSV: missing column(s) {', '.join(missing)}")
        rows: list[FeedRow] = []
        for n, rec in enumerate(reader, start=2):
            if n > MAX_ROWS:
                raise FeedError(f"{what}: more than {MAX_ROWS:,} rows; refused")
            if None in rec:
                raise FeedError(f"{what}: line {n}: more fields than the header")
            if any(v is None for v in rec.values()):
                raise FeedError(f"{what}: line {n}: fewer fields than the header")
            rows.extend(_rows(rec, source, provider, what, n))
    except csv.Error as e:
        raise FeedError(f"{what}: not valid CSV: {str(e)[:80]}") from None
    return RentalFeed(name=source, provider=provider, sha256=sha256, rows=tuple(rows))


def _rows(rec: dict[str, str], source: RentalSource, provider: str, what: str, n: int) -> list[FeedRow]:
    if source == "skypilot":
        name, count = rec["AcceleratorName"] or "", _num(rec["AcceleratorCount"], what, n)
        inst, region = rec["InstanceType"] or "", rec["Region"] or ""
        prices = [("on_demand", _num(rec["Price"], what, n)), ("spot", _num(rec["SpotPrice"], what, n))]
    else:
        name, count = rec["gpu_name"] or "", _num(rec["gpu_count"], what, n)
        inst, region = rec["instance_name"] or "", rec["location"] or ""
        spot = (rec["spot"] or "").strip().lower()
        if spot not in ("true", "false"):
            raise FeedError(f"{what}: line {n}: spot must be True or False, got {spot[:20]!r}")
        prices = [("spot" if spot == "true" else "on_demand", _num(rec["price"], what, n))]
    if not name.strip() or not count:  # a CPU instance: not a GPU offer
        return []
    gpu, problem = map_gpu(name, inst)
    return [
        FeedRow(provider, name.strip()[:40], gpu, basis, p / count, region.strip()[:60], inst[:80], problem)
        for basis, p in prices
        if p is not None and p > 0
    ]


def read_rentals(path: Path, source: RentalSource, provider: str | None = None) -> RentalFeed:
    """Read a rental feed file (size-capped, UTF-8). The provider defaults to the SkyPilot folder name
    (``catalogs/v8/<cloud>/vms.csv``) or the gpuhunt file name (``<provider>.csv``)."""
    if not path.is_file():
        raise FeedError(f"{path}: file not found" if not path.exists() else f"{path}: not a regular file")
    if path.stat().st_size > MAX_FEED_BYTES:
        raise FeedError(f"{path}: larger than {MAX_FEED_BYTES // 1_000_000} MB; refused")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise FeedError(f"{path}: not UTF-8 text (byte {e.start + 1:,})") from None
    if "\x00" in text:
        raise FeedError(f"{path}: contains NUL bytes: not a CSV file")
    prov = provider or (path.parent.name if source == "skypilot" else path.stem)
    return parse_rentals(text, source, prov.lower(), what=str(path), sha256=hashlib.sha256(data).hexdigest())


def review_rentals(feed: RentalFeed, catalogue: Catalogue) -> pd.DataFrame:
    """One row per provider × GPU × basis × per-GPU price of the file (regions joined), against our market rows.

    ``status``: ``new`` (no row of ours for the provider, GPU and basis), ``same`` (the price equals one of our
    latest rows for them), ``changed`` (ours differ: ``--apply`` adds a dated row, ours stay as history),
    ``conflict`` (the file gives this GPU and basis more than one per-GPU price, e.g. 1x and 8x instances: a person
    decides, nothing applied; or ours is official), ``unmapped`` (a GPU the catalogue lacks)."""
    groups: dict[tuple[str | None, str, str, float], list[FeedRow]] = defaultdict(list)
    for r in feed.rows:
        key = (r.gpu, r.basis, r.feed_name if r.gpu is None else "", round(r.usd_per_gpu_hour, 6))
        groups[key].append(r)
    prices_per: dict[tuple[str | None, str, str], set[float]] = defaultdict(set)
    for gpu, basis, fname, price in groups:
        prices_per[(gpu, basis, fname)].add(price)
    out = []
    for (gpu, basis, _fname, price), rs in sorted(
        groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1], kv[0][3])
    ):
        rec: dict[str, Any] = {
            "provider": feed.provider, "gpu": gpu, "basis": basis, "usd_per_gpu_hour": price,
            "region": "|".join(sorted({r.region for r in rs if r.region})), "our_row": None,
            "feed_names": ", ".join(sorted({r.feed_name for r in rs})), "our_usd_per_gpu_hour": None,
        }  # fmt: skip
        if gpu is None:
            out.append({**rec, "status": "unmapped", "differences": rs[0].problem, "action": "none"})
            continue
        ours = [x for x in catalogue.rentals if x.market and x.gpu == gpu and x.basis == basis
                and x.provider.lower() == feed.provider]  # fmt: skip
        newest = max((x.as_of for x in ours), default=None)
        latest = [x for x in ours if x.as_of == newest]
        match = next((x for x in latest if abs(x.usd_per_gpu_hour - price) <= 1e-6 * max(1.0, price)), None)
        others = sorted(prices_per[(gpu, basis, "")] - {price})
        if others:
            out.append({**rec, "status": "conflict", "action": "none: a person picks the offer",
                        "differences": f"the file also gives {', '.join(f'{p:g}' for p in others)} per GPU-hour for "
                        f"{gpu} {basis} ({len(rs)} instance(s) at this price)"})  # fmt: skip
        elif match is not None:
            out.append({**rec, "status": "same", "our_row": match.id, "our_usd_per_gpu_hour": match.usd_per_gpu_hour,
                        "differences": "", "action": "none"})  # fmt: skip
        elif latest and any(x.confidence == "official" for x in latest):
            out.append({**rec, "status": "conflict", "our_row": latest[0].id, "differences": "ours is official",
                        "our_usd_per_gpu_hour": latest[0].usd_per_gpu_hour, "action": "none"})  # fmt: skip
        elif latest:
            out.append({**rec, "status": "changed", "our_row": latest[0].id,
                        "our_usd_per_gpu_hour": latest[0].usd_per_gpu_hour,
                        "differences": f"{price:g} vs ours {latest[0].usd_per_gpu_hour:g} ({newest})",
                        "action": "--apply adds a dated row; ours stays as history"})  # fmt: skip
        else:
            out.append({**rec, "status": "new", "differences": "", "action": "--apply adds a dated row"})
    order = {s: i for i, s in enumerate(("conflict", "changed", "new", "same", "unmapped"))}
    out.sort(key=lambda r: order[r["status"]])
    return pd.DataFrame.from_records(out, columns=RENTAL_COLUMNS)


def apply_rentals(review: pd.DataFrame, feed: RentalFeed, data_dir: Path | None, read_on: dt.date) -> int:
    """Append the ``new`` and ``changed`` rows to the ``rentals`` of ``hardware.yaml`` as market rows dated
    ``read_on`` (unconfirmed: the files are undated). Validated as a whole catalogue before the file is replaced.

    Raises:
        FeedError: the catalogue would not validate, or the file has no rentals list (nothing is written).
    """
    folder = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    path = folder / "hardware.yaml"
    text = path.read_text(encoding="utf-8")
    ids = {r.id for r in load_catalogue(folder).rentals}
    blocks = []
    for rec in review.to_dict("records"):
        if rec["status"] not in ("new", "changed"):
            continue
        base = f"{rec['gpu']}-{feed.provider}-{rec['basis'].replace('_', '-')}-{feed.name}-{read_on:%Y%m%d}"
        rid, k = re.sub(r"[^a-z0-9._-]+", "-", base.lower())[:90], 2
        while rid in ids:
            rid, k = f"{rid.rsplit('-v', 1)[0] if k > 2 else rid}-v{k}", k + 1
        ids.add(rid)
        row = {
            "id": rid, "gpu": rec["gpu"], "usd_per_gpu_hour": float(rec["usd_per_gpu_hour"]), "basis": rec["basis"],
            "provider": feed.provider, "region": rec["region"], "market": True,
            "source": f"{feed.name} catalog CSV ({rec['feed_names']}; per instance-hour / GPUs; sha256 {feed.sha256[:12]})",
            "as_of": read_on, "confidence": "third_party", "unconfirmed_fields": ["as_of"],
            "notes": f"Imported by 'costmodel rentals import --from {feed.name}'. The file is undated: as_of is the "
            "day it was read.",
        }  # fmt: skip
        dumped = yaml.safe_dump([row], sort_keys=False, allow_unicode=True, width=200)
        blocks.append("\n" + "".join("  " + line + "\n" for line in dumped.splitlines()))
    if not blocks:
        return 0
    m = re.search(r"^rentals:\n(?:(?: .*|)\n)*", text, flags=re.M)
    if m is None:
        raise FeedError(f"{path}: no 'rentals:' list to append to; nothing written")
    end = m.end()
    new_text = text[:end].rstrip("\n") + "\n" + "".join(blocks) + "\n" + text[end:]
    with tempfile.TemporaryDirectory() as tmp:
        for f in folder.glob("*.yaml"):
            shutil.copy(f, Path(tmp) / f.name)
        (Path(tmp) / "hardware.yaml").write_text(new_text, encoding="utf-8")
        try:
            load_catalogue(tmp)
        except ValueError as e:
            raise FeedError(
                f"the rows would not validate, nothing written: {str(e).splitlines()[0]}"
            ) from None
    path.write_text(new_text, encoding="utf-8")
    return len(blocks)
