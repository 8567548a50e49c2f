"""Tables in a text: rows written as ``| a | b |`` lines (markdown, and what cleaning makes of an HTML table),
each body row's cells paired with the header cells of their columns.

A table is a run of such lines; its first line is the header, and a line of dashes after it ("|---|---|") is no
row. A line of cells that no header precedes is no table row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

ROW = re.compile(r"[ \t]*\|.*\|[ \t]*$")
SEPARATOR = re.compile(r"[ \t]*\|(?:[ \t]*:?-{2,}:?[ \t]*\|)+[ \t]*$")


@dataclass(frozen=True)
class Cell:
    """A body cell: its column's header text and its span in the text (trimmed of spaces)."""

    header: str
    start: int
    end: int


def cells(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Spans of the cells of the row ``text[start:end]``, trimmed."""
    bars = [m.start() for m in re.finditer(r"\|", text[start:end])]
    spans = []
    for a, b in pairwise(bars):
        a, b = start + a + 1, start + b
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        spans.append((a, b))
    return spans


def body_rows(text: str) -> dict[int, list[Cell]]:
    """The body rows of every table of ``text``, by the offset of the row's first bar, each a list of its cells
    with their headers (as many as both rows have)."""
    out: dict[int, list[Cell]] = {}
    header: list[str] | None = None
    offset = 0
    for line in text.splitlines(keepends=True):
        start, end = offset, offset + len(line.rstrip("\r\n"))
        offset += len(line)
        if not ROW.fullmatch(text, start, end):
            header = None
            continue
        if SEPARATOR.fullmatch(text, start, end):
            continue
        spans = cells(text, start, end)
        if header is None:
            header = [text[a:b] for a, b in spans]
            continue
        out[text.index("|", start)] = [Cell(h, a, b) for h, (a, b) in zip(header, spans, strict=False)]
    return out
