"""Scanning a text with a slow pattern only where a fast one says a match may start."""

from __future__ import annotations

import re
from collections.abc import Iterator


def finditer(pattern: re.Pattern[str], starts: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, with ``pattern`` tried only where ``starts`` matches: the same matches, provided
    ``starts`` matches wherever a match of ``pattern`` may begin and ``pattern`` matches no empty string."""
    pos = 0
    while candidate := starts.search(text, pos):
        m = pattern.match(text, candidate.start())
        if m is None:
            pos = candidate.start() + 1
            continue
        yield m
        pos = m.end()
