"""Load and cross-check the catalogue files (``models.yaml``, ``hardware.yaml``, ``prices.yaml``,
``measurements.yaml``).

The only I/O in ``costmodel`` besides exports. Every problem becomes one :class:`CatalogueError`
whose one-line message names the file, the row id and the field.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from costmodel.catalog.lifecycle import LifecycleEvent
from costmodel.catalog.schema import Catalogue, Gpu, GpuRental, Measurement, Model, PriceSchedule, ServerPrice

#: The repository's own catalogue folder.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data"
#: Largest YAML/JSON text we parse (bytes); larger inputs are refused, not read.
MAX_TEXT_BYTES = 2_000_000

FILES: dict[str, tuple[tuple[str, type[BaseModel]], ...]] = {
    "models.yaml": (("models", Model),),
    "hardware.yaml": (("gpus", Gpu), ("rentals", GpuRental), ("servers", ServerPrice)),
    "prices.yaml": (("prices", PriceSchedule),),
    "measurements.yaml": (("measurements", Measurement),),
    "lifecycle.yaml": (("events", LifecycleEvent),),
}
#: Files a catalogue folder may leave out (older folders have no lifecycle events).
OPTIONAL_FILES = frozenset({"lifecycle.yaml"})
#: Top-level keys a catalogue folder may leave out (older folders have no server prices).
OPTIONAL_KEYS = frozenset({"servers", "events"})

R = TypeVar("R", bound=BaseModel)


class CatalogueError(ValueError):
    """A catalogue file or row is wrong; the message is one line naming file, row and field."""

    def __init__(self, message: str) -> None:
        # one line by construction: a row id or a mapping key quoted from the file may hold a newline
        super().__init__(_one_line(message))


def _one_line(text: str) -> str:
    """``text`` with every non-printable character (newline, tab, control) written as its escape."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def decode_text(data: bytes, what: str = "input") -> str:
    """The one rule for the bytes of a file (CLI and uploads alike): UTF-8, a leading byte-order mark dropped.

    Raises:
        ValueError: one line when the bytes are not UTF-8 (Latin-1, UTF-16, binary): refused, never guessed.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{what}: not UTF-8 text (byte {e.start + 1:,} is not UTF-8); save it as UTF-8"
        ) from None
    return check_text(text, what)


def check_text(text: str, what: str = "input") -> str:
    """Text already decoded: drop a leading byte-order mark; refuse U+FFFD, the mark a lossy decoding leaves
    where bytes were not UTF-8 (so a Latin-1 file decoded with ``errors="replace"`` is refused as the CLI
    refuses it, not read with its accents turned into question marks).

    Raises:
        ValueError: one line.
    """
    if "\ufffd" in text:
        raise ValueError(
            f"{what}: not UTF-8 text (holds U+FFFD, the mark of bytes that were not UTF-8); save it as UTF-8"
        )
    return text.removeprefix("\ufeff")


def _refuse_duplicate_keys(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A mapping in which a key appears twice is refused (the last one would win silently)."""
    out: dict[Any, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {str(k)[:60]!r}")
        out[k] = v
    return out


def json_loads_strict(text: str) -> Any:
    """``json.loads`` that refuses a key given twice in one object (ValueError, as a JSON syntax error)."""
    return json.loads(text, object_pairs_hook=_refuse_duplicate_keys)


#: libyaml's parser when PyYAML was built with it (about 5× faster on the catalogue), else the pure-Python one; the
#: constructor (what the values become) is PyYAML's safe constructor either way.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_BaseLoader):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys (aliases are refused by :func:`_refuse_aliases`)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {str(key)[:60]!r}", key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


def _refuse_aliases(root: Any) -> None:
    """Refuse a composed document in which a node is reached twice: that is what an alias (``*name``) makes, and
    no alias is ever expanded ('billion laughs'), since the walk stops at the first node seen again."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.composer.ComposerError(
                None,
                None,
                "YAML aliases (*name) are not allowed (this anchor is used again)",
                node.start_mark,
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _load_strict(text: str) -> Any:
    """One YAML document: composed, checked for aliases, then constructed (duplicate keys refused)."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _refuse_aliases(root)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def parse_yaml_text(text: str, *, what: str = "input") -> Any:
    """Parse YAML (a superset of JSON) safely: size-capped, no aliases, no Python tags.

    Raises:
        ValueError: one line saying what is wrong and where.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_TEXT_BYTES:
        raise ValueError(f"{what}: larger than {MAX_TEXT_BYTES // 1_000_000} MB; refused")
    text = check_text(text, what)
    try:
        return _load_strict(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValueError(f"{what}: not valid YAML/JSON{where}: {e.problem or e.context}") from None
    except (yaml.YAMLError, RecursionError) as e:
        raise ValueError(f"{what}: not valid YAML/JSON: {type(e).__name__}") from None


def format_validation_error(e: ValidationError) -> str:
    """The first error of a pydantic ``ValidationError`` as ``field: message``."""
    err = e.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(row)"
    msg = err["msg"].removeprefix("Value error, ")
    extra = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
    return f"field {loc}: {msg}{extra}"


def _validate_rows(rows: object, cls: type[R], file: str, key: str) -> list[R]:
    if not isinstance(rows, list):
        raise CatalogueError(f"{file}: '{key}' must be a list of rows, got {type(rows).__name__}")
    out: list[R] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        rid = row.get("id", f"#{i + 1}") if isinstance(row, dict) else f"#{i + 1}"
        if not isinstance(row, dict):
            raise CatalogueError(f"{file}: {key} row {rid}: must be a mapping, got {type(row).__name__}")
        try:
            obj = cls.model_validate(row)
        except ValidationError as e:
            raise CatalogueError(f"{file}: {key} row {rid}: {format_validation_error(e)}") from None
        oid = str(getattr(obj, "id", rid))
        if oid in seen:
            raise CatalogueError(f"{file}: {key} row {oid}: field id: duplicate id")
        seen.add(oid)
        out.append(obj)
    return out


def _read(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    if not path.is_file():
        raise CatalogueError(f"{path}: file not found")
    if path.stat().st_size > MAX_TEXT_BYTES:
        raise CatalogueError(f"{name}: larger than {MAX_TEXT_BYTES // 1_000_000} MB; refused")
    try:
        data = parse_yaml_text(decode_text(path.read_bytes(), name), what=name)
    except ValueError as e:
        raise CatalogueError(str(e)) from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{name}: top level must be a mapping with keys {[k for k, _ in FILES[name]]}")
    allowed = {k for k, _ in FILES[name]}
    unknown = set(data) - allowed
    if unknown:
        raise CatalogueError(
            f"{name}: unknown top-level key(s) {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return data


def _overlapping_prices(prices: Sequence[PriceSchedule]) -> tuple[PriceSchedule, PriceSchedule] | None:
    """The first two rows for the same provider, model and kind whose effective periods overlap."""
    groups: dict[tuple[str, str, str], list[PriceSchedule]] = {}
    for p in prices:
        groups.setdefault((p.provider, p.model, p.kind), []).append(p)
    for rows in groups.values():
        rows = sorted(rows, key=lambda p: p.effective_from)
        for a, b in itertools.pairwise(rows):  # sorted by start: an overlap shows between neighbours
            if a.effective_to is None or b.effective_from < a.effective_to:
                return a, b
    return None


def cross_check(cat: Catalogue) -> None:
    """Cross-references: each price names a known model, each rental a known GPU, each measurement a known
    open-weights model and a known GPU; no two price rows for the same provider, model and kind are in
    effect at the same instant (one would be used silently).

    Raises:
        CatalogueError: naming file, row and field.
    """
    model_ids = {m.id for m in cat.models}
    gpu_ids = {g.id for g in cat.gpus}
    for p in cat.prices:
        if p.model not in model_ids:
            raise CatalogueError(
                f"prices.yaml: prices row {p.id}: field model: unknown model {p.model!r}; "
                f"known: {', '.join(sorted(model_ids))}"
            )
    overlap = _overlapping_prices(cat.prices)
    if overlap:
        a, b = overlap
        end = "open-ended" if a.effective_to is None else f"to {a.effective_to:%Y-%m-%d %H:%M}"
        raise CatalogueError(
            f"prices.yaml: prices row {b.id}: field effective_from: the period overlaps row {a.id} "
            f"(same provider {a.provider}, model {a.model}, kind {a.kind}; {a.id} runs from "
            f"{a.effective_from:%Y-%m-%d %H:%M} {end}): end one before the other starts"
        )
    open_weights = {m.id for m in cat.models if m.open_weights}
    for p in cat.prices:
        for period in p.served_by:
            if period.weights_model is not None and period.weights_model not in open_weights:
                raise CatalogueError(
                    f"prices.yaml: prices row {p.id}: field served_by: {period.weights_model!r} is not an "
                    f"open-weights model in models.yaml; known: {', '.join(sorted(open_weights))}"
                )
    for e in cat.events:
        if e.model is not None and e.model not in model_ids:
            raise CatalogueError(f"lifecycle.yaml: events row {e.id}: field model: unknown model {e.model!r}")
    for table, rows in (("rentals", cat.rentals), ("servers", cat.servers)):
        for r in rows:
            if r.gpu not in gpu_ids:
                raise CatalogueError(
                    f"hardware.yaml: {table} row {r.id}: field gpu: unknown GPU {r.gpu!r}; "
                    f"known: {', '.join(sorted(gpu_ids))}"
                )
    open_ids = {m.id for m in cat.models if m.open_weights}
    for x in cat.measurements:
        where = f"measurements.yaml: measurements row {x.id}"
        # the messages also name the file referred to: a broken reference may come from an edit there
        if x.model not in model_ids:
            raise CatalogueError(
                f"{where}: field model: unknown model {x.model!r} (no such row in models.yaml); "
                f"known: {', '.join(sorted(model_ids))}"
            )
        if x.model not in open_ids:
            raise CatalogueError(
                f"{where}: field model: {x.model!r} has no open weights in models.yaml; a measurement needs "
                f"an open-weights model: {', '.join(sorted(open_ids))}"
            )
        if x.gpu not in gpu_ids:
            raise CatalogueError(
                f"{where}: field gpu: unknown GPU {x.gpu!r} (no such row in hardware.yaml); "
                f"known: {', '.join(sorted(gpu_ids))}"
            )


def load_catalogue(data_dir: Path | str | None = None) -> Catalogue:
    """Load, validate and cross-check the catalogue files in ``data_dir`` (default: repo ``data/``).

    Raises:
        CatalogueError: one line naming the file, the row id and the field.
    """
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    if not folder.is_dir():
        raise CatalogueError(f"{folder}: not a folder")
    parts: dict[str, list[Any]] = {}
    for name, sections in FILES.items():
        data = {} if name in OPTIONAL_FILES and not (folder / name).is_file() else _read(folder, name)
        for key, cls in sections:
            if key not in data and key in OPTIONAL_KEYS:
                parts[key] = []
                continue
            if key not in data:
                raise CatalogueError(f"{name}: missing top-level key '{key}'")
            parts[key] = _validate_rows(data[key], cls, name, key)
    cat = Catalogue(
        models=tuple(parts["models"]),
        gpus=tuple(parts["gpus"]),
        rentals=tuple(parts["rentals"]),
        prices=tuple(parts["prices"]),
        measurements=tuple(parts["measurements"]),
        servers=tuple(parts["servers"]),
        events=tuple(parts["events"]),
    )
    cross_check(cat)
    return cat


def load_models_file(path: Path | str, known: Sequence[Model] = ()) -> list[Model]:
    """Load user model entries (same schema as ``data/models.yaml``, top key ``models``).

    Raises:
        CatalogueError: naming file, row and field; also when an id clashes with ``known``.
    """
    p = Path(path)
    if not p.is_file():
        raise CatalogueError(f"{p}: file not found")
    if p.stat().st_size > MAX_TEXT_BYTES:
        raise CatalogueError(f"{p.name}: larger than {MAX_TEXT_BYTES // 1_000_000} MB; refused")
    try:
        text = decode_text(p.read_bytes(), p.name)
    except ValueError as e:
        raise CatalogueError(str(e)) from None
    return parse_models_text(text, p.name, known)


def parse_models_text(text: str, name: str = "model file", known: Sequence[Model] = ()) -> list[Model]:
    """Parse model entries from YAML/JSON text (a mapping with key ``models``, or a list of rows)."""
    try:
        data = parse_yaml_text(text, what=name)
    except ValueError as e:
        raise CatalogueError(str(e)) from None
    rows = data.get("models") if isinstance(data, dict) else data
    if rows is None:
        raise CatalogueError(f"{name}: expected a mapping with key 'models' (a list of model rows)")
    models = _validate_rows(rows, Model, name, "models")
    clash = {m.id for m in models} & {m.id for m in known}
    if clash:
        raise CatalogueError(f"{name}: models row {sorted(clash)[0]}: field id: already in the catalogue")
    return models


def stale_rows(
    cat: Catalogue, today: dt.date, max_age_days: int = 180
) -> list[tuple[str, str, dt.date, int]]:
    """Rows whose ``as_of`` is more than ``max_age_days`` before ``today`` (ended price schedules excluded).

    Returns:
        ``(table, id, as_of, age_days)`` tuples, oldest first.

    Raises:
        ValueError: ``max_age_days`` is negative (an age cannot be; every row would be listed).
    """
    if isinstance(max_age_days, bool) or max_age_days < 0:
        raise ValueError(f"max_age_days must be a whole number of days >= 0, got {max_age_days}")
    rows: Iterable[tuple[str, Model | Gpu | GpuRental | PriceSchedule]] = [
        *(("models", m) for m in cat.models),
        *(("gpus", g) for g in cat.gpus),
        *(("rentals", r) for r in cat.rentals),
        *(("prices", p) for p in cat.prices),
    ]
    now = dt.datetime(today.year, today.month, today.day, tzinfo=dt.UTC)
    out = [
        (t, r.id, r.as_of, (today - r.as_of).days)
        for t, r in rows
        if (today - r.as_of).days > max_age_days
        # a price schedule that ended is history: it cannot go stale
        and not (isinstance(r, PriceSchedule) and r.effective_to is not None and r.effective_to <= now)
    ]
    return sorted(out, key=lambda x: -x[3])
