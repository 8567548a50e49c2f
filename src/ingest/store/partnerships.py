"""Partnerships and the deal map: the ledger's claims by pair, and the stored dossiers."""

from __future__ import annotations

import json

import sqlite_utils

from .migrations import writing
from .sql import IN_JSON

_PAIR_CLAIMS = (
    "SELECT c.id, c.kind, c.subject, c.counterparty, c.value, c.unit, c.qualifier, c.deal_status, c.as_of, c.quote, "
    "c.doc_id, COALESCE(d.duplicate_of, d.id) AS source_id, c.fact_key, c.conflict_group FROM claims c "
    "JOIN documents d ON d.id = c.doc_id WHERE c.grounded = 1 AND COALESCE(c.review_status, '') != 'rejected' "
    "AND c.superseded_by IS NULL AND c.subject IS NOT NULL AND c.counterparty IS NOT NULL"
)


def ledger_pair_claims(
    db: sqlite_utils.Database, names: list[str] | None = None, doc_ids: list[str] | None = None
) -> list[dict]:
    """The claims in the ledger (grounded, not rejected, not superseded) that name both parties, with their
    document's first copy; with ``names``, only those whose two parties are among them; with ``doc_ids``, only
    those of these documents."""
    sql, params = _PAIR_CLAIMS, []
    if names is not None:  # both parties among the names
        sql += f" AND c.subject IN {IN_JSON} AND c.counterparty IN {IN_JSON}"
        params = [json.dumps(sorted(set(names)))] * 2
    if doc_ids is not None:
        sql += f" AND c.doc_id IN {IN_JSON}"
        params.append(json.dumps(sorted(set(doc_ids))))
    return [dict(r) for r in db.query(sql + " ORDER BY c.id", params)]


def single_pair_docs(db: sqlite_utils.Database, doc_ids: list[str] | None = None) -> set[str]:
    """The documents (of ``doc_ids``, or all) whose claims in the ledger are about one pair of parties alone (in
    either direction; a party paired with itself does not count)."""
    pair = "min(c.subject, c.counterparty) || char(0) || max(c.subject, c.counterparty)"
    sql = (
        f"SELECT c.doc_id FROM ({_PAIR_CLAIMS} AND lower(c.subject) != lower(c.counterparty)"
        f"{f' AND c.doc_id IN {IN_JSON}' if doc_ids is not None else ''}) c "
        f"GROUP BY c.doc_id HAVING COUNT(DISTINCT {pair}) = 1"
    )
    params = [json.dumps(sorted(set(doc_ids)))] if doc_ids is not None else []
    return {r[0] for r in db.execute(sql, params)}


def ledger_facts(db: sqlite_utils.Database, keys: list[str] | None = None) -> list[dict]:
    """Facts of the ledger (those with ``keys``, or all), claim ids decoded."""
    sql, params = "SELECT * FROM facts", []
    if keys is not None:
        sql, params = sql + f" WHERE key IN {IN_JSON}", [json.dumps(sorted(set(keys)))]
    return [{**r, "claim_ids": json.loads(r["claim_ids"] or "[]")} for r in db.query(sql, params)]


def ledger_groups(db: sqlite_utils.Database, ids: list[int] | None = None) -> list[dict]:
    """Conflict groups (with ``ids``, or all): id, fact key, disagreement, reason."""
    sql, params = "SELECT id, fact_key, disagreement, reason FROM conflict_groups", []
    if ids is not None:
        sql, params = sql + f" WHERE id IN {IN_JSON}", [json.dumps(sorted(set(ids)))]
    return [dict(r) for r in db.query(sql, params)]


def document_signals(db: sqlite_utils.Database, doc_ids: list[str] | None = None) -> list[dict]:
    """Pattern signals of the documents (or all)."""
    sql, params = "SELECT id, doc_id, pattern, phase, quote, char_start, char_end FROM signals", []
    if doc_ids is not None:
        sql, params = sql + f" WHERE doc_id IN {IN_JSON}", [json.dumps(sorted(set(doc_ids)))]
    return [dict(r) for r in db.query(sql + " ORDER BY id", params)]


def claim_parties(db: sqlite_utils.Database, claim_ids: list[int]) -> set[tuple[str, str]]:
    """The (subject, counterparty) of these claims now, and of the stored partnerships that held them."""
    ids = json.dumps(sorted(set(claim_ids)))
    now = db.execute(
        f"SELECT subject, counterparty FROM claims WHERE id IN {IN_JSON} AND subject IS NOT NULL "
        "AND counterparty IS NOT NULL",
        [ids],
    ).fetchall()
    before = db.execute(
        f"SELECT a, b FROM partnerships p WHERE EXISTS (SELECT 1 FROM json_each(p.claim_ids) j WHERE j.value IN "
        f"{IN_JSON})",
        [ids],
    ).fetchall()
    return {(x, y) for x, y in now + before}


def save_partnerships(
    db: sqlite_utils.Database, rows: list[dict], edge_rows: list[dict], keys: list[str] | None = None
) -> None:
    """Replace the partnerships (those of ``keys``, or all) and their map edges, in one transaction."""
    with writing(db):
        if keys is None:
            db.execute("DELETE FROM partnerships")
            db.execute("DELETE FROM partnership_edges")
        else:
            db.execute(f"DELETE FROM partnerships WHERE key IN {IN_JSON}", [json.dumps(sorted(set(keys)))])
            db.execute(f"DELETE FROM partnership_edges WHERE key IN {IN_JSON}", [json.dumps(sorted(set(keys)))])
        clear_stale(db, keys)
        if rows:
            db["partnerships"].insert_all(rows)
        if edge_rows:
            db["partnership_edges"].insert_all(edge_rows)


def mark_stale(db: sqlite_utils.Database, pairs: set[tuple[str, str]]) -> None:
    """Note pairs whose partnership must be rebuilt before it is next read."""
    with writing(db):
        rows = [{"key": f"{a}|{b}", "a": a, "b": b} for a, b in sorted(pairs)]
        db["partnership_stale"].upsert_all(rows, pk="key")


def stale_pairs(db: sqlite_utils.Database) -> set[tuple[str, str]]:
    return {(a, b) for a, b in db.execute("SELECT a, b FROM partnership_stale")}


def clear_stale(db: sqlite_utils.Database, keys: list[str] | None = None) -> None:
    """Forget stale pairs (those of ``keys``, or all): they were rebuilt."""
    if keys is None:
        db.execute("DELETE FROM partnership_stale")
    else:
        db.execute(f"DELETE FROM partnership_stale WHERE key IN {IN_JSON}", [json.dumps(sorted(set(keys)))])


def partnership_count(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM partnerships").fetchone()[0]


def fact_count(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT COUNT(*) FROM facts").fetchone()[0]


def partnership_details(db: sqlite_utils.Database, company: str | None = None, key: str | None = None) -> list[str]:
    """The stored partnerships' JSON (one ``key``, those of a ``company``, or all), by key."""
    sql, params = "SELECT detail FROM partnerships", []
    if key is not None:
        sql, params = sql + " WHERE key = ?", [key]
    elif company:
        sql, params = sql + " WHERE a = ? COLLATE NOCASE OR b = ? COLLATE NOCASE", [company, company]
    return [r[0] for r in db.execute(sql + " ORDER BY key", params)]


def partnership_list(db: sqlite_utils.Database, company: str | None = None, limit: int | None = None) -> list[dict]:
    """The partnerships' summary columns (no JSON detail), most sources first."""
    cols = "key, a, b, status, first_date, latest_date, invested, committed_compute, stake, valuation, rights, "
    cols += "sources, claims, conflicts, patterns, kill_list"
    sql, params = f"SELECT {cols} FROM partnerships", []
    if company:
        sql, params = sql + " WHERE a = ? COLLATE NOCASE OR b = ? COLLATE NOCASE", [company, company]
    sql += " ORDER BY sources DESC, claims DESC, key"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(r) for r in db.query(sql, params)]


def deal_edges(
    db: sqlite_utils.Database, kinds: list[str] | None = None, since: str | None = None, until: str | None = None
) -> list[dict]:
    """The deals of the map, filtered by kind and by period (an edge is kept when its dates meet the period;
    undated edges only without one)."""
    where, params = ["1"], []
    if kinds:
        where.append(f"kind IN {IN_JSON}")
        params.append(json.dumps(sorted(set(kinds))))
    if since:
        where.append("latest_date >= ?")
        params.append(since)
    if until:
        where.append("first_date <= ?")
        params.append(until + "\uffff")
    sql = f"SELECT * FROM partnership_edges WHERE {' AND '.join(where)} ORDER BY key, kind, subject, id"
    return [dict(r) for r in db.query(sql, params)]


def claims_by_id(db: sqlite_utils.Database, ids: list[int]) -> dict[int, dict]:
    """Claims with their document's source, URL, title and date, by id."""
    sql = (
        "SELECT c.id, c.kind, c.subject, c.counterparty, c.value, c.unit, c.value_low, c.value_high, c.qualifier, "
        "c.deal_status, c.as_of, c.quote, c.char_start, c.char_end, c.review_status, c.grounded, c.doc_id, "
        "c.conflict_group, d.source, d.url, d.title, d.published FROM claims c JOIN documents d ON d.id = c.doc_id "
        f"WHERE c.id IN {IN_JSON}"
    )
    return {r["id"]: dict(r) for r in db.query(sql, [json.dumps(sorted(set(ids)))])}


def documents_by_id(db: sqlite_utils.Database, ids: list[str]) -> dict[str, dict]:
    """Documents' source, URL, title and date (no text), by id."""
    sql = f"SELECT id, source, url, title, published FROM documents WHERE id IN {IN_JSON}"
    return {r["id"]: dict(r) for r in db.query(sql, [json.dumps(sorted(set(ids)))])}


def open_groups(db: sqlite_utils.Database, ids: list[int]) -> list[dict]:
    """Conflict groups with their claims and pending claims counted (open: some claim pending)."""
    sql = (  # counted through the claims' conflict_group index, whatever the statistics say
        "SELECT g.id, g.fact_key, g.disagreement, g.reason, g.sides, n.claims, n.pending FROM (SELECT conflict_group "
        "AS id, COUNT(*) AS claims, SUM(review_status = 'pending') AS pending FROM claims "
        f"WHERE conflict_group IN {IN_JSON} GROUP BY conflict_group) n JOIN conflict_groups g ON g.id = n.id "
        "ORDER BY g.id"
    )
    return [{**r, "sides": json.loads(r["sides"] or "[]")} for r in db.query(sql, [json.dumps(sorted(set(ids)))])]
