"""Feeds and sitemaps as sources: RSS/Atom with feedparser, sitemaps with lxml; each entry is an article URL.

Dates are kept as ISO 8601 UTC (``2025-03-04T09:30:00Z``) so that they compare as strings; ``--since``
keeps entries dated on or after a day (undated entries are kept: nothing says they are old), and entries
already stored are skipped unless the feed says they were updated after they were stored.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from lxml import etree

from .errors import FeedError
from .models import Feed, FeedEntry

_SITEMAP_ROOT = re.compile(rb"<(?:[\w-]+:)?(urlset|sitemapindex)[\s>]")
_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(rss|feed|rdf:RDF|RDF)[\s>]")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)


def looks_like_feed(head: bytes) -> bool:
    """Whether the first bytes of a document open an RSS/Atom feed or a sitemap (for servers that send no type)."""
    head = head[:2048].lstrip()
    return head.startswith((b"<?xml", b"<rss", b"<feed", b"<urlset", b"<sitemapindex")) and bool(
        _SITEMAP_ROOT.search(head) or _FEED_ROOT.search(head)
    )


def parse(source: str, text: str, base_url: str | None = None) -> Feed:
    """The entries of a feed or sitemap; relative links are resolved against ``base_url``."""
    data = text.encode("utf-8")
    match = _SITEMAP_ROOT.search(data[:4096])
    if match:
        return _sitemap(source, data, base_url, match.group(1).decode())
    return _feed(source, data, base_url)


def _feed(source: str, data: bytes, base_url: str | None) -> Feed:
    import feedparser

    headers = {"content-location": base_url} if base_url else {}
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)  # a stream: never fetched or opened
    if not parsed.version and not parsed.entries:
        reason = f" ({parsed.bozo_exception})" if parsed.get("bozo_exception") else ""
        raise FeedError(f"not an RSS/Atom feed or a sitemap{reason}")
    entries = []
    for e in parsed.entries:
        link = e.get("link") or next((x.get("href") for x in e.get("links", []) if x.get("href")), None)
        if not link:
            continue
        entries.append(
            FeedEntry(
                url=urljoin(base_url, link.strip()) if base_url else link.strip(),
                title=(e.get("title") or "").strip() or None,
                published=_from_struct(dict.get(e, "published_parsed")),  # dict.get: no fallback from one
                updated=_from_struct(dict.get(e, "updated_parsed")),  # to the other (feedparser issue 310)
            )
        )
    kind = "atom" if parsed.version.startswith("atom") else "rss"
    return Feed(source=source, url=base_url, kind=kind, entries=_web_only(entries))


def _sitemap(source: str, data: bytes, base_url: str | None, root: str) -> Feed:
    tree = etree.fromstring(data, parser=_XML_PARSER)
    if tree is None:
        raise FeedError("not a readable sitemap (malformed XML)")
    entries = []
    for node in tree:
        if not isinstance(node.tag, str):
            continue  # a comment or processing instruction
        children = (child for child in node.iter() if child is not node and isinstance(child.tag, str))
        fields = {etree.QName(child).localname: (child.text or "").strip() for child in children}
        loc = fields.get("loc")
        if not loc:
            continue
        entries.append(
            FeedEntry(
                url=urljoin(base_url, loc) if base_url else loc,
                title=fields.get("title") or None,  # Google News sitemaps: news:title
                published=_from_iso(fields.get("publication_date")),
                updated=_from_iso(fields.get("lastmod")),
            )
        )
    return Feed(source=source, url=base_url, kind=root, entries=_web_only(entries))


def _web_only(entries: list[FeedEntry]) -> list[FeedEntry]:
    """Entries that are http(s) URLs: a feed never names a local file to read."""
    return [e for e in entries if urlsplit(e.url).scheme.lower() in ("http", "https")]


def _from_struct(value: time.struct_time | None) -> str | None:
    if not value:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", value)


def _from_iso(value: str | None) -> str | None:
    """A W3C datetime (``2025-03-04``, ``2025-03-04T09:30:00+01:00``, ``...Z``) as ISO 8601 UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return parsed.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_since(value: str, today: date | None = None) -> date:
    """``--since``: YYYY-MM-DD, ``today``, ``yesterday`` or ``Nd`` (N days ago)."""
    today = today or date.today()
    word = value.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    if re.fullmatch(r"\d{1,4}d", word):
        return today - timedelta(days=int(word[:-1]))
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise ValueError(f"{value!r} is not a date; use YYYY-MM-DD, today, yesterday or Nd (days ago)") from None


def select(
    feed: Feed, since: date | None = None, stored: Callable[[str], float | None] | None = None, seen: set | None = None
) -> Feed:
    """The entries to fetch: dated on or after ``since`` (undated ones kept), not stored yet or updated after
    they were stored (``stored(url)``: when it was stored, epoch seconds), and not already queued (``seen``)."""
    seen = set() if seen is None else seen
    seen.add(feed.source)  # a sitemap index that names itself is read once
    keep, old, known = [], 0, 0
    floor = since.isoformat() if since else None
    for entry in feed.entries:
        if entry.url in seen:
            continue
        if floor and entry.date and entry.date < floor:
            old += 1
            continue
        at = stored(entry.url) if stored and not feed.kind.startswith("sitemapindex") else None
        if at is not None and not (entry.updated and entry.updated > _iso_utc(at)):
            known += 1
            continue
        seen.add(entry.url)
        keep.append(entry)
    return feed.model_copy(update={"entries": keep, "skipped_old": old, "skipped_stored": known})


def _iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
