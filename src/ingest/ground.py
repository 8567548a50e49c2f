"""Ground a claim: find its quote in the cleaned text and check that the quote states its figures.

Alignment goes in three steps: (1) the quote verbatim, (2) the quote after normalisation (NFKC, case,
whitespace, curly quotes and dashes), (3) a fuzzy match with rapidfuzz inside bounded windows around the
hint. Step 1 gives ``exact``; steps 2 and 3 give ``fuzzy`` (the quote was not verbatim and has been
replaced by the source words). Settings are in ``data/ground.yaml``.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from itertools import zip_longest

import yaml
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from .figures import mentions_value
from .models import Alignment, Claim

_PUNCT = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′ʼ", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),
    }
)
# Everything but plain ASCII and single spaces: whitespace runs, other whitespace, non-ASCII runs.
_IRREGULAR = re.compile(r"\s{2,}|[^\S ]|[^\x00-\x7f\s]+")
_WORD = re.compile(r"[0-9A-Za-z\u00c0-\u024f]")


@dataclass(frozen=True)
class _Normalised:
    """Normalised text and, for each of its characters, the offset of its source character."""

    text: str
    starts: array

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Source offsets of the normalised span [start, end)."""
        return self.starts[start], self.starts[end - 1] + 1


@cache
def settings() -> dict:
    """The settings of ``data/ground.yaml``."""
    return yaml.safe_load(resources.files("ingest").joinpath("data/ground.yaml").read_text("utf-8"))


@cache
def _char(ch: str) -> str:
    """Normalised form of one non-ASCII character (possibly several characters, or none)."""
    return unicodedata.normalize("NFKC", ch).casefold().translate(_PUNCT)


def _normalise(text: str) -> _Normalised:
    """Case-fold and NFKC-normalise, straighten quotes and dashes, collapse whitespace; keep the offsets."""
    parts: list[str] = []
    starts = array("q")
    pos = 0
    for m in _IRREGULAR.finditer(text):
        i = m.start()
        parts.append(text[pos:i].lower())  # plain ASCII with single spaces: same length
        starts.extend(range(pos, i))
        run, pos = m.group(), m.end()
        if run[0].isspace():
            parts.append(" ")
            starts.append(i)
            continue
        mapped = list(map(_char, run))
        joined = "".join(mapped)
        parts.append(joined)
        if len(joined) == len(run) and "" not in mapped:  # one character for one: offsets are a range
            starts.extend(range(i, pos))
            continue
        for k, n in enumerate(mapped):
            starts.extend([i + k] * len(n))
    parts.append(text[pos:].lower())
    starts.extend(range(pos, len(text)))
    return _Normalised("".join(parts), starts)


@lru_cache(maxsize=8)
def _normalised_text(text: str) -> _Normalised:
    """The normalised form of a document text, built once per text."""
    return _normalise(text)


def _find(haystack: str, needle: str, hint: int) -> int:
    """First occurrence at or after ``hint``, else the first one; -1 if none."""
    i = haystack.find(needle, hint)
    return haystack.find(needle) if i < 0 else i


def _windows(size: int, hint: int, needle: int) -> Iterator[tuple[int, int]]:
    """Overlapping windows: the one at the hint first, then alternately after and before it, within budget."""
    cfg = settings()
    width = max(int(cfg["window_chars"]), 2 * needle)
    step = width - needle
    first = max(0, min(hint, size) - needle)
    after, before = range(first, size, step), range(first - step, -step, -step)
    budget = int(cfg["max_scan_chars"])
    for lo in (lo for pair in zip_longest(after, before) for lo in pair if lo is not None):
        if budget <= 0:
            return
        start, end = max(lo, 0), min(lo + width, size)
        budget -= end - start
        yield start, end


def _fuzzy(norm: _Normalised, quote: str, hint: int) -> tuple[int, int] | None:
    """Fuzzy span of ``quote`` in the first window near ``hint`` that has one, in normalised offsets."""
    threshold = settings()["fuzzy_threshold"]
    for lo, hi in _windows(len(norm.text), hint, len(quote)):
        r = fuzz.partial_ratio_alignment(quote, norm.text[lo:hi], score_cutoff=threshold)
        if r is None:
            continue
        start, end = _refine(quote, norm.text, lo + r.dest_start, lo + r.dest_end)
        if fuzz.ratio(quote, norm.text[start:end]) >= threshold:
            return start, end
    return None


def _refine(quote: str, text: str, start: int, end: int) -> tuple[int, int]:
    """Let a quote-length span grow or shrink to the source words the quote covers (added or lost words)."""
    slack = len(quote) // 5 + 5
    lo, hi = max(0, start - slack), min(len(text), end + slack)
    same = [
        op for op in Levenshtein.opcodes(quote, text[lo:hi]) if op.tag == "equal" and op.dest_end - op.dest_start >= 3
    ]
    return (lo + same[0].dest_start, lo + same[-1].dest_end) if same else (start, end)


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span that cuts Latin words to whole words; trim whitespace at its ends."""
    limit = settings()["max_snap_chars"]
    lo, hi = start, end
    while lo > max(0, start - limit) and _WORD.match(text[lo - 1]) and _WORD.match(text[lo]):
        lo -= 1
    while hi < min(len(text), end + limit) and _WORD.match(text[hi - 1]) and _WORD.match(text[hi]):
        hi += 1
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def align(quote: str, text: str, start_hint: int = 0) -> tuple[int, int, str] | None:
    """Locate ``quote`` in ``text``: (start, end, 'exact' | 'fuzzy') with ``text[start:end]`` the span."""
    quote = quote.strip()
    if not quote or not text:
        return None
    i = _find(text, quote, start_hint)
    if i >= 0:
        return i, i + len(quote), Alignment.exact.value
    norm = _normalised_text(text)
    needle = _normalise(quote).text.strip()
    if not needle:
        return None
    hint = bisect_left(norm.starts, start_hint)
    j = _find(norm.text, needle, hint)
    if j >= 0:
        return (*norm.span(j, j + len(needle)), Alignment.fuzzy.value)
    if len(needle) < settings()["min_fuzzy_chars"]:
        return None
    found = _fuzzy(norm, needle, hint)
    if found is None:
        return None
    start, end = _snap(text, *norm.span(*found))
    return (start, end, Alignment.fuzzy.value) if start < end else None


def ground_claim(claim: Claim, text: str, start_hint: int = 0) -> Claim:
    """A copy of ``claim`` located in ``text``: offsets, alignment, the source words as quote, grounded.

    Grounded means the quote was found and states every figure of the claim (value, range ends)."""
    found = align(claim.quote, text, start_hint)
    if found is None:
        update = {"char_start": None, "char_end": None, "alignment": Alignment.none.value, "grounded": False}
        return claim.model_copy(update=update)
    start, end, how = found
    span = text[start:end]
    update = {"char_start": start, "char_end": end, "alignment": how, "quote": span}
    if claim.conversion_value is not None and not mentions_value(span, claim.conversion_value, claim.conversion_unit):
        update |= {"conversion_value": None, "conversion_unit": None}  # a conversion the quote does not state
    return claim.model_copy(update={**update, "grounded": states_figures(claim, span)})


def states_figures(claim: Claim, quote: str) -> bool:
    """True when the quote states every figure of the claim: its value and its range ends."""
    values = [v for v in (claim.value, claim.value_low, claim.value_high) if v is not None]
    return all(mentions_value(quote, v, claim.unit) for v in values)
