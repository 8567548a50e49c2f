"""Clean stage: HTML to article text with metadata, capture artifacts fixed, page chrome dropped."""

from __future__ import annotations

import hashlib
import re
import unicodedata
import warnings
from bisect import bisect_right
from functools import lru_cache
from importlib import resources
from itertools import accumulate

import trafilatura
import yaml
from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

from . import dates
from .models import Document, RawDocument
from .pdf import PAGE_BREAK, reflow

# Capture artifacts seen in saved pages, fixed in this order; each runs only on text containing its cue.
ARTIFACTS: list[tuple[str | None, re.Pattern, str]] = [
    (None, re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]"), ""),  # zero-width chars, soft hyphens
    (None, re.compile(r"[\u00a0\u2007\u202f]"), " "),  # non-breaking spaces
    ("](", re.compile(r"\[([^\]\n]+)\]\((?:https?|tel|mailto):[^)\s]*\)"), r"\1"),  # markdown links
    ("\\", re.compile(r"\\([\\`*_{}\[\]()#+\-.!$%&])"), r"\1"),  # markdown escapes: \$13B, \(0\)
    ("**", re.compile(r"\*\*([^*\n]+)\*\*"), r"\1"),  # markdown bold
    ("''", re.compile(r"''(?<=\w'')(?=\w)"), "'"),  # doubled apostrophes: lab''s
    ("v", re.compile(r"v(?<=[a-z]v)v?(?=\d+\.\d)"), " v"),  # glued version: Verifiedvv0.1.0
    ("vv", re.compile(r"vv(?<=\bvv)(?=\d)"), "v"),  # doubled version prefix: vv0.1.0
    (". ", re.compile(r"^(\s*)(\d+)\.\s+\2\.(?=\s|$)", re.M), r"\1\2."),  # repeated numbering: 1. 1.
    (None, re.compile(r"\d(?<=[a-z]{4}\d)(?=\d* [a-z])"), r" \g<0>"),  # glued count: investment5 kill-list
]
# (Each pattern starts with the text it fixes and looks behind from there: a pattern that starts by looking
# behind is tried at every character, twenty times slower on a 5 MB text.)
DATE_SEARCH = {"extensive_search": False, "original_date": True}  # dates from markup, not a text scan


@lru_cache(maxsize=1)
def vocabulary() -> dict:
    """The cleaning vocabulary from data/clean.yaml, with its patterns compiled."""
    data = yaml.safe_load(resources.files("ingest").joinpath("data/clean.yaml").read_text("utf-8"))
    return {
        "camel": set(data["camel_words"]),
        "chrome": re.compile("|".join(f"(?:{p})" for p in data["chrome_lines"]), re.I),
        "chrome_phrases": re.compile("|".join(f"(?:{p})" for p in data["chrome_phrases"]), re.I),
        "headers": re.compile("|".join(f"(?:{p})" for p in data["chrome_headers"]), re.I),
        "block_max": data["chrome_block_max_line"],
        "figure": re.compile(data["figure_pattern"], re.I),
    }


def clean(raw: RawDocument) -> Document:
    """Turn a loaded article into a Document: text, metadata, and a content hash.

    The published date comes from the page's metadata, else from outside the text (the feed entry, the PDF's
    creation date), else from a dateline near the top of the text."""
    meta: dict = {}
    pages = None
    if raw.content_type == "html":
        body, meta = html_to_text(raw.text, raw.url)
        text = normalize(body)
    elif raw.content_type == "pdf":
        text, pages = pdf_text(raw.text)
    else:
        text = normalize(raw.text)
    if raw.content_type != "html":
        meta = text_metadata(text)
    meta["title"] = meta.get("title") or raw.title
    meta["published"] = meta.get("published") or (raw.published or "")[:10] or dateline_date(text)
    digest = content_hash(text)
    return Document(
        id=digest[:16],
        source=raw.source,
        url=raw.url or meta.get("url"),
        content_type=raw.content_type,
        raw=raw.text,
        text=text,
        content_hash=digest,
        pages=pages,
        **{k: meta.get(k) for k in ("title", "author", "published", "site", "language")},
    )


def pdf_text(pages_text: str) -> tuple[str, list[int]]:
    """A PDF's pages (joined by form feeds) cleaned one by one and joined by blank lines, with the offset
    where each page starts in the joined text."""
    pages = [normalize(reflow(page)) for page in pages_text.split(PAGE_BREAK)]
    starts, text, empty = [], "", 0  # an empty page starts where the next page with text does
    for page in pages:
        if not page:
            empty += 1
            continue
        if text:
            text += "\n\n"
        starts += [len(text)] * (empty + 1)
        text += page
        empty = 0
    return text, starts + [len(text)] * empty


def content_hash(text: str) -> str:
    """SHA-256 of the cleaned text: the document's identity."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def html_to_text(html: str, url: str | None = None) -> tuple[str, dict]:
    """Main text and metadata with trafilatura; beautifulsoup4 when trafilatura finds nothing."""
    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, fast=True, include_comments=False, date_extraction_params=DATE_SEARCH
    )
    meta = {}
    if doc is not None:
        meta = {
            "title": doc.title,
            "author": doc.author,
            "published": doc.date,
            "site": doc.sitename,
            "language": doc.language or html_language(html),
            "url": doc.url,
        }
        if doc.text and doc.text.strip():
            return doc.text, meta
    with warnings.catch_warnings():  # a page that looks like XML is still read as HTML here, on purpose
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form"]):
        tag.decompose()
    if not meta.get("title") and soup.title:
        meta["title"] = soup.title.get_text(strip=True)
    return soup.get_text("\n"), meta


def html_language(html: str) -> str | None:
    """The primary language subtag of ``<html lang=...>``, if present."""
    m = re.search(r"<html[^>]*?\blang=[\"']?([a-zA-Z]{2,3})", html[:5000], re.I)
    return m.group(1).lower() if m else None


def normalize(text: str) -> str:
    """Fix capture artifacts, tidy whitespace, drop page chrome, NFC."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    for cue, pattern, repl in ARTIFACTS:
        if cue is None or cue in text:
            text = pattern.sub(repl, text)
    text = split_glued_labels(text)
    lines = [line.strip() for line in re.sub(r" [ \t]+|\t[ \t]*", " ", text).split("\n")]  # a lone space stays
    text = "\n".join(drop_chrome(lines))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_glued_labels(text: str) -> str:
    """Put a space between labels a capture glued together ("investmentVerified"), sparing real names: a
    word that starts with a capital ("ElevenLabs", "DigitalBridge") or that ``camel_words`` lists."""
    camel = vocabulary()["camel"]

    def fix(m: re.Match) -> str:
        word = m.group(0)
        if word in camel or any(c in word for c in camel):
            return word
        return re.sub(r"(?<=[a-z]{4})(?=[A-Z][a-z])", " ", word)

    return re.sub(r"\b[a-z]\w*?[a-z]{3}[A-Z][a-z]\w*", fix, text)


def drop_chrome(lines: list[str]) -> list[str]:
    """Drop contact lines, disclaimers, cookie and navigation text; never a line stating a figure or a date. The chrome
    patterns read one line at a time, from its start (an e-mail address after a blank line is as much chrome as
    one after a paragraph); the chrome phrases anywhere in it."""
    v = vocabulary()
    starts = list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))
    figures = {bisect_right(starts, m.start()) - 1 for m in v["figure"].finditer("\n".join(lines))}
    kept, in_block = [], False
    for i, line in enumerate(lines):
        has_figure = i in figures
        if not has_figure and v["headers"].match(line):
            in_block = True
            continue
        if in_block:
            if line and (len(line) > v["block_max"] or has_figure):
                in_block = False
            else:
                continue
        chrome = v["chrome"].match(line) or v["chrome_phrases"].search(line)
        if line and not has_figure and chrome and not dates.parse(line):  # "2025-09-18" is no phone number
            continue
        kept.append(line)
    return kept


def text_metadata(text: str) -> dict:
    """Title (a short first line) and date (a date line near the top) of a plain-text capture."""
    lines = [line for line in text.split("\n")[:15] if line]
    meta: dict = {}
    titles = [line for line in lines if looks_like_title(line)]
    if titles:
        meta["title"] = titles[0]
    for line in lines:
        if published := parse_date(line):
            meta["published"] = published
            break
    author = re.search(r"^\*?Author:\s*([^,*\n]+)", text, re.M)
    if author:
        meta["author"] = author.group(1).strip()
    return meta


def dateline_date(text: str) -> str | None:
    """The ISO date of a dateline among the first lines of an article ("NEW YORK, March 3, 2025 -- ..."), if any."""
    head = "\n".join(text.split("\n", 8)[:8])[:1500]
    return next(filter(None, (dates.iso(m) for m in _dateline().finditer(head))), None)


@lru_cache(maxsize=1)
def _dateline() -> re.Pattern:
    """A dateline: "SAN FRANCISCO, March 3, 2025 /PRNewswire/ --", "REDMOND, Wash. — Jan. 23, 2023 —", "Redmond,
    Washington, November 3, 2025-", "Friday, February 6, 2026", "LONDON, 12 May 2024 (Reuters) -", "Published:
    2025-03-04", "07.10.2025 13:42", or a date opening one of the first lines."""
    labels = sorted(dates.vocabulary()["dateline_labels"], key=len, reverse=True)
    return re.compile(
        r"^(?:[A-Z][A-Z.'’ -]{1,40}(?:,\s*[A-Z][A-Za-z.]{1,14})?\s*[,:—–-]+\s*"  # a place in capitals
        r"|(?:[A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,3}[ \t]*,[ \t]*){1,3}"  # places or a weekday, commas after
        rf"|(?i:{'|'.join(map(re.escape, labels))})\s*[,:—–-]*\s*)?"
        rf"(?:{dates.full_date()})",
        re.M,
    )


def looks_like_title(line: str) -> bool:
    """A short line that is not a sentence."""
    return 12 <= len(line) <= 120 and (not line.endswith(".") or len(line) <= 60)


def parse_date(line: str) -> str | None:
    """ISO date of a line that is only a date ("Apr 23, 2026", "11 juin 2025"), else None."""
    return dates.parse(line)
