"""Claims: stored once per document and fact, with their evidence spans and signals."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator

import sqlite_utils

from ..models import Claim, PatternSignal, page_of
from .migrations import writing
from .sql import IN_JSON


def parties(db: sqlite_utils.Database) -> list[dict]:
    """Every party of a stored claim with its number of claims and documents, most claims first."""
    sql = """
        SELECT name, count(*) AS claims, count(DISTINCT doc_id) AS documents FROM (
            SELECT subject AS name, doc_id FROM claims WHERE subject IS NOT NULL
            UNION ALL SELECT counterparty, doc_id FROM claims WHERE counterparty IS NOT NULL
        ) GROUP BY name ORDER BY claims DESC, name
    """
    return [dict(r) for r in db.query(sql)]


def claim_key(doc_id: str, claim: Claim) -> str:
    """Identity of a stored claim: re-extracting the same document adds nothing."""
    parts = (doc_id, claim.extractor, claim.kind, claim.subject, claim.counterparty, claim.value, claim.unit)
    return hashlib.sha256(json.dumps([*parts, claim.char_start, claim.char_end]).encode()).hexdigest()[:24]


def save_extraction(
    db: sqlite_utils.Database,
    doc_id: str,
    run_id: int,
    extractor: str,
    claims: list[Claim],
    signals: list[PatternSignal],
    evidence: list[tuple[int, str, int | None, int | None]],
    failed_chunks: int = 0,
    model: str | None = None,
    prompt_version: str | None = None,
    copy_of: str | None = None,
    pages: list[int] | None = None,
) -> int:
    """Store one document's claims, evidence spans and signals, and mark it extracted, in one transaction.

    Returns the number of new claims. Claims already stored (same key) are kept as they are, reviews included.
    A near-duplicate (``copy_of`` the first copy's id) adds no claim that the first copy states alike: its quote
    becomes evidence of that claim, so copies of one article do not fill the review queue.
    """
    now = time.time()
    new = 0
    with writing(db):
        superseded_by = db.execute("SELECT superseded_by FROM documents WHERE id = ?", [doc_id]).fetchone()
        superseded_by = superseded_by[0] if superseded_by else None
        ids = []
        for claim in claims:
            key = claim_key(doc_id, claim)
            stored = db.execute("SELECT id FROM claims WHERE claim_key = ?", [key]).fetchone()
            if stored:
                ids.append(stored[0])
                continue
            same = _same_claim(db, copy_of, claim) if copy_of else None
            if same:
                ids.append(same[0])
                _add_evidence(db, same[0], doc_id, claim.quote, claim.char_start, claim.char_end)
                continue
            row = {
                **claim.model_dump(mode="json"),
                "doc_id": doc_id,
                "run_id": run_id,
                "claim_key": key,
                "model": model,
                "prompt_version": prompt_version,
                "review_status": "pending",
                "created_at": now,
                "page": page_of(pages, claim.char_start),
                "superseded_by": superseded_by,
            }
            ids.append(db["claims"].insert(row).last_pk)
            new += 1
        for index, quote, start, end in evidence:
            _add_evidence(db, ids[index], doc_id, quote, start, end)
        db["signals"].delete_where("doc_id = ?", [doc_id])
        db["signals"].insert_all({**s.model_dump(), "doc_id": doc_id, "run_id": run_id} for s in signals)
        db["extractions"].upsert(
            {
                "doc_id": doc_id,
                "extractor": extractor,
                "status": "failed" if failed_chunks else "done",
                "chunks_failed": failed_chunks,
                "run_id": run_id,
                "at": now,
            },
            pk=("doc_id", "extractor"),
        )
    return new


def _same_claim(db: sqlite_utils.Database, doc_id: str, claim: Claim) -> tuple[int] | None:
    """The id of a claim of ``doc_id`` that states the same fact as ``claim``, if there is one."""
    fields = ("kind", "subject", "counterparty", "value", "unit", "value_low", "value_high", "qualifier", "as_of")
    sql = "SELECT id FROM claims WHERE doc_id = ? AND " + " AND ".join(f"{f} IS ?" for f in fields) + " LIMIT 1"
    row = claim.model_dump(mode="json")
    return db.execute(sql, [doc_id, *(row[f] for f in fields)]).fetchone()


def _add_evidence(db: sqlite_utils.Database, claim_id: int, doc_id: str, quote: str, start, end) -> None:
    """Another span (of this or a near-duplicate document) that states a stored claim, once."""
    db.execute(
        "INSERT INTO evidence (claim_id, doc_id, quote, char_start, char_end) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS "
        "(SELECT 1 FROM evidence WHERE claim_id = ? AND doc_id = ? AND char_start IS ?)",
        [claim_id, doc_id, quote, start, end, claim_id, doc_id, start],
    )


def save_imported(db: sqlite_utils.Database, doc_id: str, run_id: int, claims: list[tuple[Claim, str]]) -> list[bool]:
    """Store one document's imported claims (with their origin) in one transaction; a claim already stored is
    left as it is. Returns, per claim, whether it was new."""
    now = time.time()
    new = []
    with writing(db):
        for claim, origin in claims:
            key = claim_key(doc_id, claim)
            new.append(not db.execute("SELECT 1 FROM claims WHERE claim_key = ?", [key]).fetchone())
            if new[-1]:
                row = {**claim.model_dump(mode="json"), "doc_id": doc_id, "run_id": run_id, "claim_key": key}
                db["claims"].insert({**row, "origin": origin, "review_status": "pending", "created_at": now})
    return new


def of_document(db: sqlite_utils.Database, doc_id: str, columns: tuple[str, ...]) -> list[dict]:
    """A document's claims (these columns), by id."""
    sql = f"SELECT {', '.join(columns)} FROM claims WHERE doc_id = ? ORDER BY id"
    return [dict(r) for r in db.query(sql, [doc_id])]


def export_rows(db: sqlite_utils.Database, verified: bool = False, ids: list[int] | None = None) -> Iterator[dict]:
    """Claims as the export views give them, by id: the verified ones or all (with ``ids``, only those)."""
    view = "verified_claims" if verified else "claim_rows"
    where, params = (f"id IN {IN_JSON}", [json.dumps(ids)]) if ids is not None else ("1", [])
    yield from db.query(f"SELECT * FROM {view} WHERE {where} ORDER BY id", params)
