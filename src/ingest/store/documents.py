"""Documents: stored once per cleaned text, their versions, and what the server said about their URLs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import sqlite_utils

from ..models import Document, printable
from .migrations import writing
from .runs import record_source


def find_by_hash(db: sqlite_utils.Database, content_hash: str) -> dict | None:
    """The stored document with this content hash, if any."""
    rows = list(db["documents"].rows_where("content_hash = ?", [content_hash], limit=1))
    return rows[0] if rows else None


def save_document(
    db: sqlite_utils.Database,
    doc: Document,
    run_id: int,
    status: str,
    seconds: float,
    minhash: bytes | None,
    validators: tuple[str | None, str | None] | None = None,
) -> float:
    """Store a new document and its sighting in one transaction; returns its creation time.

    A new version of an article (``doc.previous_version`` set) supersedes the previous one and its claims, which
    are kept. ``validators`` (ETag, Last-Modified) are kept for the next conditional request to the source."""
    created = time.time()
    with writing(db):
        row = {**doc.model_dump(), "minhash": minhash, "run_id": run_id, "created_at": created}
        row["pages"] = json.dumps(doc.pages) if doc.pages is not None else None
        db["documents"].insert(row, ignore=True)
        if doc.previous_version:
            db.execute("UPDATE documents SET superseded_by = ? WHERE id = ?", [doc.id, doc.previous_version])
            sql = "UPDATE claims SET superseded_by = ? WHERE doc_id = ? AND superseded_by IS NULL"
            db.execute(sql, [doc.id, doc.previous_version])
        record_source(db, run_id, doc.source, status, doc.id, seconds)
        if validators is not None:
            save_fetch_state(db, doc.source, validators, doc.id)
    return created


def latest_version(db: sqlite_utils.Database, source: str, url: str | None) -> dict | None:
    """The current version (not superseded) of the article stored from this source or URL, if any."""
    sql = (
        "SELECT id, version FROM documents WHERE superseded_by IS NULL AND (source = ? OR url = ? OR url = ?) "
        "ORDER BY created_at DESC, id LIMIT 1"
    )
    rows = list(db.query(sql, [source, url or source, source]))
    return rows[0] if rows else None


def versions(db: sqlite_utils.Database, doc_id: str) -> list[dict]:
    """Every version of the article that ``doc_id`` is a version of, oldest first, without raw input."""
    cols = "id, source, url, title, published, version, previous_version, superseded_by, created_at, run_id, text"

    def get(i: str) -> dict | None:
        return next(iter(db.query(f"SELECT {cols} FROM documents WHERE id = ?", [i])), None)

    row = get(doc_id)
    seen = {doc_id}
    while row and row["previous_version"] and row["previous_version"] not in seen:  # back to the first
        prev = get(row["previous_version"])
        if prev is None:
            break
        row, _ = prev, seen.add(prev["id"])
    chain = [row] if row else []
    while chain and chain[-1]["superseded_by"] and chain[-1]["superseded_by"] not in {c["id"] for c in chain}:
        nxt = get(chain[-1]["superseded_by"])
        if nxt is None:
            break
        chain.append(nxt)
    return chain


def stored_at(db: sqlite_utils.Database, url: str) -> float | None:
    """When the article at ``url`` was last stored or found unchanged (epoch seconds), or None."""
    sql = """SELECT max(t) FROM (SELECT created_at AS t FROM documents WHERE source = ? OR url = ?
             UNION ALL SELECT checked_at FROM fetch_state WHERE url = ? AND doc_id IS NOT NULL)"""
    return db.execute(sql, [url, url, url]).fetchone()[0]


def validators(db: sqlite_utils.Database, url: str) -> tuple[str | None, str | None] | None:
    """The ETag and Last-Modified the server sent for ``url`` when its stored text was fetched, if any."""
    sql = """SELECT f.etag, f.last_modified FROM fetch_state f JOIN documents d ON d.id = f.doc_id
             WHERE f.url = ? AND (f.etag IS NOT NULL OR f.last_modified IS NOT NULL)"""
    row = db.execute(sql, [url]).fetchone()
    return (row[0], row[1]) if row else None


def save_fetch_state(
    db: sqlite_utils.Database, url: str, validators: tuple[str | None, str | None], doc_id: str | None
) -> None:
    """Remember what the server said about ``url`` (ETag, Last-Modified) and which document its text is."""
    etag, modified = validators
    row = {"url": url, "etag": etag, "last_modified": modified, "doc_id": doc_id, "checked_at": time.time()}
    with writing(db):
        db["fetch_state"].upsert(row, pk="url")


def docs(db: sqlite_utils.Database, limit: int | None = None) -> list[dict]:
    """Stored documents, newest first, without their text."""
    cols = (
        "id, source, url, title, published, site, language, length(text) AS chars, duplicate_of, run_id, "
        "content_type, json_array_length(pages) AS pages, version, superseded_by"
    )
    sql = f"SELECT {cols} FROM documents ORDER BY created_at DESC, id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(r) for r in db.query(sql)]


def show(db: sqlite_utils.Database, doc: str) -> list[dict]:
    """The documents a reference names: an id, an id prefix, or the source as given (one, or the candidates)."""
    sql = "SELECT * FROM documents WHERE substr(id, 1, ?) = ? OR source = ? ORDER BY id LIMIT 10"
    doc = printable(doc)  # a source is stored with bytes that are not UTF-8 escaped
    rows = list(db.query(sql, [len(doc), doc, doc]))
    current = [r for r in rows if not r["superseded_by"]]
    if len(rows) > 1 and len(current) == 1 and all(r["source"] == doc for r in rows):
        return current  # a source whose article changed names its current version
    return rows


def get_document(db: sqlite_utils.Database, doc_id: str) -> Document:
    """A stored document as a Document to extract from: its raw input is not read (``raw`` is empty; extraction
    reads the cleaned ``text``, and a page's HTML can be ten times its text, all of it sent to a pool's worker)."""
    columns = [k for k in Document.model_fields if k != "raw"]
    row = next(db.query(f"SELECT {', '.join(columns)} FROM documents WHERE id = ?", [doc_id]))
    fields = {**row, "raw": ""}
    fields["pages"] = json.loads(row["pages"]) if row.get("pages") else None
    fields["version"] = row.get("version") or 1
    return Document(**fields)


def pending_extraction(db: sqlite_utils.Database, run_id: int, extractor: str) -> list[str]:
    """Ids of the documents this run saw that the extractor has not finished (never run, or failed chunks);
    first copies before near-duplicates, whose claims refer to theirs."""
    sql = """SELECT DISTINCT s.doc_id, d.duplicate_of IS NOT NULL AS copy FROM run_sources s
      JOIN documents d ON d.id = s.doc_id
      LEFT JOIN extractions e ON e.doc_id = s.doc_id AND e.extractor = ?
      WHERE s.run_id = ? AND coalesce(e.status, '') != 'done'
      ORDER BY copy, s.doc_id"""
    return [r["doc_id"] for r in db.query(sql, [extractor, run_id])]


def signatures(db: sqlite_utils.Database) -> Iterator[tuple[str, bytes, float]]:
    """(id, MinHash signature, creation time) of every document that has one: the near-duplicate index."""
    yield from db.execute("SELECT id, minhash, created_at FROM documents WHERE minhash IS NOT NULL")


def text_of(db: sqlite_utils.Database, doc_id: str) -> tuple[str, str] | None:
    """(id, cleaned text) of a document, if it is stored."""
    row = db.execute("SELECT id, text FROM documents WHERE id = ?", [doc_id]).fetchone()
    return (row[0], row[1] or "") if row else None


_LONGEST_FROM = {
    column: f"SELECT id, text FROM documents WHERE {column} = ? ORDER BY length(text) DESC, id LIMIT 1"
    for column in ("source", "url")
}


def longest_from(db: sqlite_utils.Database, column: str, value: str) -> tuple[str, str] | None:
    """(id, cleaned text) of the longest document stored from this ``source`` or ``url``, if any."""
    row = db.execute(_LONGEST_FROM[column], [value]).fetchone()
    return (row[0], row[1] or "") if row else None


def first_copies(db: sqlite_utils.Database) -> Iterator[tuple[str, str]]:
    """(id, source) of every document that is no near-duplicate of another."""
    yield from db.execute("SELECT id, source FROM documents WHERE duplicate_of IS NULL")
