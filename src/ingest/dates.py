"""Dates as articles write them, in their languages: month names (``data/dates.yaml``) and the forms of a full
date ("March 3, 2025", "3 March 2025", "3. März 2025", "le 11 juin 2025", "07.10.2025", "2025-03-03",
"2025年3月31日", "2025년 3월 31일")."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from importlib import resources

import yaml


@cache
def vocabulary() -> dict:
    return yaml.safe_load(resources.files("ingest").joinpath("data/dates.yaml").read_text("utf-8"))


@cache
def months() -> dict[str, int]:
    """Every month name and abbreviation, case-folded, and its number."""
    return {name.casefold(): int(n) for n, names in vocabulary()["months"].items() for name in names}


def month(word: str) -> int | None:
    """The number of a month name or abbreviation ("Sept.", "juin", "März"), else None."""
    return months().get(word.casefold().rstrip("."))


@cache
def month_names() -> str:
    """A pattern of every month name and abbreviation, longest first (case-insensitive, whole words)."""
    names = sorted(months(), key=len, reverse=True)
    return rf"(?i:(?<!\w)(?:{'|'.join(map(re.escape, names))})(?!\w)\.?)"


@cache
def full_date() -> str:
    """A pattern of one full date in any of the forms above, its parts in named groups."""
    mon = month_names()
    return (
        rf"(?P<iso_y>(?:19|20)\d\d)-(?P<iso_m>\d\d)-(?P<iso_d>\d\d)"
        rf"|(?P<cjk_y>(?:19|20)\d\d)\s*[年년]\s*(?P<cjk_m>\d{{1,2}})\s*[月월]\s*(?P<cjk_d>\d{{1,2}})\s*[日일]"
        rf"|(?P<dot_d>\d{{1,2}})\.(?P<dot_m>\d{{1,2}})\.(?P<dot_y>(?:19|20)\d\d)(?!\d)"
        rf"|(?P<md_m>{mon})\s+(?P<md_d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<md_y>(?:19|20)\d\d)"
        rf"|(?P<dm_d>\d{{1,2}})(?:er|\.)?\s+(?:de\s+)?(?P<dm_m>{mon})\s+(?:de\s+)?(?P<dm_y>(?:19|20)\d\d)"
    )


@cache
def _full() -> re.Pattern:
    return re.compile(full_date())


def iso(m: re.Match) -> str | None:
    """The ISO date of a match of ``full_date`` (a pattern that holds it), if it is a real day."""
    for form in ("iso", "cjk", "dot", "md", "dm"):
        if m.group(f"{form}_y"):
            y, mo, d = m.group(f"{form}_y"), m.group(f"{form}_m"), m.group(f"{form}_d")
            number = int(mo) if mo.isdigit() else month(mo)
            try:
                return date(int(y), number or 0, int(d)).isoformat()
            except ValueError:
                return None
    return None


def parse(text: str) -> str | None:
    """The ISO date of a text that is one full date and nothing else ("Apr 23, 2026"), else None."""
    m = _full().fullmatch(text.strip().rstrip("."))
    return iso(m) if m else None
