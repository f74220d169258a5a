"""One report, one writer per format.

A :class:`Report` holds what an export says: the scenario, the comparison table, the catalogue rows it used, the
break-even pairs, the per-class breakdown, and the :class:`Section` s added to it (the 12-month growth, the
uncertainty). :data:`WRITERS` maps each format to the function that writes a report in it; a new format is one
writer and one entry. :func:`write_report` is the only place that writes a file.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from costmodel.catalog.schema import Catalogue
from costmodel.evaluate.uncertainty import UncertaintyResult, uncertainty_markdown, uncertainty_summary
from costmodel.views.export.comparison import json_doc, to_csv, to_csv_raw, to_markdown
from costmodel.views.export.xlsx import write_xlsx
from costmodel.workload.scenario import Scenario

__all__ = [
    "BINARY_FORMATS",
    "FORMATS",
    "WRITERS",
    "Report",
    "Section",
    "render",
    "uncertainty_section",
    "write_report",
]

#: An XLSX sheet: name, frame, column kinds (:data:`costmodel.views.export.xlsx.XLSX_FORMATS`).
Sheet = tuple[str, pd.DataFrame, dict[str, str]]


@dataclass(frozen=True)
class Section:
    """A part added to a report: its Markdown section, its JSON key and value, its XLSX sheets (each optional: a
    part may be only in some formats)."""

    json_key: str | None = None
    json_value: object = None
    markdown: str = ""
    sheets: tuple[Sheet, ...] = ()


@dataclass(frozen=True)
class Report:
    """What an export says (money in USD per month, rates in USD per 1M tokens, as in the table)."""

    scenario: Scenario
    table: pd.DataFrame
    catalogue: Catalogue
    break_even: pd.DataFrame | None = None
    by_class: pd.DataFrame | None = None
    sections: tuple[Section, ...] = ()

    @property
    def sheets(self) -> tuple[Sheet, ...]:
        """The sections' XLSX sheets, in order."""
        return tuple(sheet for s in self.sections for sheet in s.sheets)


def uncertainty_section(res: UncertaintyResult) -> Section:
    """The uncertainty as a report section (its per-option columns are in the table: ``with_uncertainty``)."""
    return Section("uncertainty", uncertainty_summary(res), uncertainty_markdown(res))


def _json(r: Report) -> str:
    doc = json_doc(r.scenario, r.table, r.catalogue, r.by_class)
    for s in r.sections:
        if s.json_key is not None:
            doc[s.json_key] = s.json_value
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _markdown(r: Report) -> str:
    text = to_markdown(r.scenario, r.table, r.catalogue, r.break_even, r.by_class)
    for s in r.sections:
        if s.markdown:
            text = text.rstrip("\n") + "\n\n" + s.markdown
    return text


def _xlsx(r: Report) -> bytes:
    buf = io.BytesIO()
    write_xlsx(buf, r.scenario, r.table, r.catalogue, r.break_even, r.by_class, extra_sheets=r.sheets)
    return buf.getvalue()


#: Format → writer. ``csv``: the table's snake_case columns (for machines: what ``costmodel compare --format csv``
#: prints); ``csv-readable``: ranked, headers with units (for people); ``json``, ``md``; ``xlsx`` (bytes).
WRITERS: dict[str, Callable[[Report], str | bytes]] = {
    "csv": lambda r: to_csv_raw(r.table, r.by_class),
    "csv-readable": lambda r: to_csv(r.table, r.by_class),
    "json": _json,
    "md": _markdown,
    "xlsx": _xlsx,
}
#: The formats ``costmodel compare --format`` offers (``csv-readable`` is its ``--readable`` flag), and those that
#: are bytes, written only to a file.
FORMATS: tuple[str, ...] = tuple(f for f in WRITERS if f != "csv-readable")
BINARY_FORMATS = frozenset({"xlsx"})


def render(fmt: str, report: Report) -> str | bytes:
    """The report in ``fmt`` (a key of :data:`WRITERS`).

    Raises:
        ValueError: unknown format (one line naming the known ones).
    """
    writer = WRITERS.get(fmt)
    if writer is None:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(WRITERS)}")
    return writer(report)


def write_report(path: Path | str, fmt: str, report: Report, *, force: bool = False) -> None:
    """Write the report to ``path`` in ``fmt``.

    Raises:
        FileExistsError: ``path`` exists and ``force`` is false.
        ValueError: unknown format.
    """
    p = Path(path)
    if p.exists() and not force:
        raise FileExistsError(f"{p} exists; use --force to overwrite")
    out = render(fmt, report)
    if isinstance(out, bytes):
        p.write_bytes(out)
    else:
        p.write_text(out, encoding="utf-8")


def sections_of(parts: Sequence[Section | None]) -> tuple[Section, ...]:
    """The sections that are there (a part that does not apply is None)."""
    return tuple(p for p in parts if p is not None)
