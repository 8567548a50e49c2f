"""Review decisions: the claim queue and its filters, the claims a decision changes, the append-only
``reviews`` audit log, and dismissals."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from ..models import QueueFilters
from .sql import IN_JSON

LIST_COLUMNS = (
    "c.id, c.kind, c.subject, c.counterparty, c.value, c.unit, c.value_low, c.value_high, c.qualifier, "
    "c.deal_status, c.as_of, c.quote, c.char_start, c.char_end, c.alignment, c.grounded, c.confidence, "
    "c.extractor, c.review_status, c.reviewer, c.reviewed_at, c.fact_key, c.conflict_group, c.doc_id, "
    "c.page, c.superseded_by, d.title, d.source, d.url, d.published"
)


def _filters(f: QueueFilters) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters for the queue filters (all indexed or FTS-backed). The claims of earlier
    versions of a changed article (superseded) are left out of the queue, or, with ``superseded``, listed alone."""
    where: list[str] = ["c.superseded_by IS NOT NULL" if f.superseded else "c.superseded_by IS NULL"]
    params: list[Any] = []
    if f.kind:
        where.append("c.kind = ?")
        params.append(f.kind)
    if f.status:
        where.append("c.review_status = ?")
        params.append(f.status)
    if f.party:
        where.append("(c.subject = ? COLLATE NOCASE OR c.counterparty = ? COLLATE NOCASE)")
        params += [f.party, f.party]
    if f.doc:
        where.append("((c.doc_id >= ? AND c.doc_id < ?) OR c.doc_id IN (SELECT id FROM documents WHERE source = ?))")
        params += [f.doc, f.doc + "\uffff", f.doc]
    if f.conflict is not None:
        where.append("c.conflict_group IS NOT NULL" if f.conflict else "c.conflict_group IS NULL")
    if f.ungrounded is not None:
        where.append("COALESCE(c.grounded, 0) = 0" if f.ungrounded else "c.grounded = 1")
    if f.search and f.search.strip():
        terms = " ".join('"' + t.replace('"', '""') + '"' for t in f.search.split())
        where.append("c.id IN (SELECT rowid FROM claims_fts WHERE claims_fts MATCH ?)")
        params.append(terms)
    return where, params


def queue(
    db: sqlite_utils.Database, after: int | None, before: int | None, limit: int, filters: QueueFilters
) -> list[dict]:
    """Claims matching the filters with their document's title/source/url, by id, one keyset page."""
    where, params = _filters(filters)
    if after is not None:
        where.append("c.id > ?")
        params.append(after)
    if before is not None:
        where.append("c.id < ?")
        params.append(before)
    backwards = before is not None and after is None
    sql = f"SELECT {LIST_COLUMNS} FROM claims c JOIN documents d ON d.id = c.doc_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY c.id {'DESC' if backwards else 'ASC'} LIMIT ?"
    rows = [dict(r) for r in db.query(sql, [*params, int(limit)])]
    return rows[::-1] if backwards else rows


def count(db: sqlite_utils.Database, filters: QueueFilters) -> int:
    """Number of claims matching the filters."""
    where, params = _filters(filters)
    sql = "SELECT COUNT(*) FROM claims c" + (" WHERE " + " AND ".join(where) if where else "")
    return db.execute(sql, params).fetchone()[0]


def claim(db: sqlite_utils.Database, claim_id: int) -> dict | None:
    """One claim with its document's metadata and text."""
    sql = (
        "SELECT c.*, d.title, d.source, d.url, d.published, d.duplicate_of, d.text AS doc_text, "
        "d.version AS doc_version, d.superseded_by AS doc_superseded_by "
        "FROM claims c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?"
    )
    return next(iter(db.query(sql, [claim_id])), None)


def claims_with_documents(db: sqlite_utils.Database, ids: list[int]) -> list[dict]:
    """Claims with their document's title, source, URL, date and first copy, by id."""
    sql = (
        "SELECT c.*, d.title, d.source, d.url, d.published, d.duplicate_of FROM claims c "
        f"JOIN documents d ON d.id = c.doc_id WHERE c.id IN {IN_JSON} ORDER BY c.id"
    )
    return [dict(r) for r in db.query(sql, [json.dumps(ids)])]


def pending_grounded(db: sqlite_utils.Database, ids: list[int]) -> list[int]:
    """Those of the claims that are pending and grounded, by id."""
    sql = f"SELECT id FROM claims WHERE id IN {IN_JSON} AND review_status = 'pending' AND grounded = 1 ORDER BY id"
    return [r[0] for r in db.execute(sql, [json.dumps(ids)])]


def snapshot(db: sqlite_utils.Database, claim_id: int, columns: tuple[str, ...]) -> dict | None:
    """The columns of one claim, or None."""
    return next(iter(db.query(f"SELECT {', '.join(columns)} FROM claims WHERE id = ?", [claim_id])), None)


def update_claim(db: sqlite_utils.Database, claim_id: int, values: dict) -> None:
    db["claims"].update(claim_id, values)


def next_decision(db: sqlite_utils.Database) -> int:
    """The id the next decision gets."""
    return db.execute("SELECT COALESCE(MAX(decision), 0) + 1 FROM reviews").fetchone()[0]


def log(db: sqlite_utils.Database, row: dict) -> None:
    """Append one audit row."""
    db["reviews"].insert(row)


def decision_size(db: sqlite_utils.Database, decision: int) -> int:
    """How many claims a decision changed."""
    return db["reviews"].count_where("decision = ?", [decision])


def last_decision(db: sqlite_utils.Database, reviewer: str) -> list[dict]:
    """The audit rows of the reviewer's last decision not yet undone (empty when there is none)."""
    decision = db.execute(
        "SELECT MAX(decision) FROM reviews WHERE reviewer = ? AND action != 'undo' "
        "AND decision NOT IN (SELECT undoes FROM reviews WHERE undoes IS NOT NULL)",
        [reviewer],
    ).fetchone()[0]
    return list(db.query("SELECT * FROM reviews WHERE decision = ? ORDER BY id", [decision])) if decision else []


def history(db: sqlite_utils.Database, claim_id: int) -> list[dict]:
    """The audit log of one claim, oldest first."""
    return [dict(r) for r in db.query("SELECT * FROM reviews WHERE claim_id = ? ORDER BY id", [claim_id])]


def add_dismissal(db: sqlite_utils.Database, row: dict) -> int:
    """Record a conflict marked "not a conflict"; returns its id."""
    return db["dismissals"].insert(row).last_pk


def lift_dismissals(db: sqlite_utils.Database, ids: list[int]) -> None:
    """Dismissals undone: their groups come back."""
    db.execute(f"UPDATE dismissals SET active = 0 WHERE id IN {IN_JSON}", [json.dumps(ids)])
