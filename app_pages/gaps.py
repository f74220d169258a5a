"""The Methods page's "Known gaps": the sections of the team's docs whose heading says they are about a gap, a
limitation, a caveat, an assumption or a miss, each cut at the next heading of the same or a higher level, and
cleaned for readers (internal references to issues, retired files and Sphinx roles removed). Pure text: tested."""

from __future__ import annotations

import re

#: A heading is a known-gap section when its own text (one line) says so.
GAP_HEADING = re.compile(
    r"gap|limitation|not modell?ed|caveat|not calibrated|not simulated|uncertain|misses|what is assumed",
    re.IGNORECASE,
)
_HEADING = re.compile(r"^(#{1,4})[ \t]+([^\n]+?)[ \t]*#*[ \t]*$", re.MULTILINE)
_ROLE = re.compile(r":(?:mod|func|class|data|meth|attr):`~?([^`]+)`")
_ISSUE = re.compile(r"\s*\((?:see )?issues? \d+[^)]*\)|\b[Ii]ssues? \d+(?:[,/ ]+\d+)*:?\s*", re.IGNORECASE)


def clean(text: str) -> str:
    """Text for readers: Sphinx roles as plain code, no references to issues, no unpaired ``**`` on a line."""
    text = _ROLE.sub(r"`\1`", text)
    text = _ISSUE.sub(" ", text)
    lines = []
    for line in text.splitlines():
        if line.count("**") % 2:
            i = line.rfind("**")
            line = line[:i] + line[i + 2 :]
        lines.append(re.sub(r"[ \t]{2,}", " ", line).rstrip())
    return "\n".join(lines).strip()


def gap_sections(name: str, text: str) -> list[tuple[str, str]]:
    """``(title, body)`` of every known-gap section of one Markdown document: the title is the heading line only
    (never the document), the body runs to the next heading of the same or a higher level."""
    heads = list(_HEADING.finditer(text))
    out = []
    for k, m in enumerate(heads):
        level, title = len(m.group(1)), m.group(2).strip()
        if not GAP_HEADING.search(title):
            continue
        end = next((h.start() for h in heads[k + 1 :] if len(h.group(1)) <= level), len(text))
        body = clean(text[m.end() : end])
        if body:
            out.append((f"{clean(title)} ({name})", body))
    return out
