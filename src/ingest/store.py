"""SQLite storage through sqlite-utils: schema, migrations, and the writes of each stage."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from .models import Claim, Document, LoadError, PatternSignal

DEFAULT_DB = "outputs/ingest.db"
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    """Register a migration; migrations run once each, in order, by name."""
    MIGRATIONS.append(fn)
    return fn


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database path: the argument, else $INGEST_DB, else outputs/ingest.db."""
    return Path(path or os.environ.get("INGEST_DB") or DEFAULT_DB)


def open_db(path: str | os.PathLike | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) the database, with WAL, foreign keys and all migrations applied."""
    p = db_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(p)
    db.execute("PRAGMA busy_timeout = 30000")
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    migrate(db)
    return db


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not seen; returns their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at FLOAT)")
    done = {r["name"] for r in db["_migrations"].rows}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        db.execute("BEGIN IMMEDIATE")  # take the write lock first: two processes opening a new file wait in turn
        try:
            if not db["_migrations"].count_where("name = ?", [fn.__name__]):
                fn(db)
                db["_migrations"].insert({"name": fn.__name__, "applied_at": time.time()})
                applied.append(fn.__name__)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return applied


def schema_version(db: sqlite_utils.Database) -> int:
    """Number of migrations applied."""
    return db["_migrations"].count


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "started_at": float,
            "finished_at": float,
            "status": str,  # running, completed, failed, interrupted
            "args": str,  # JSON
            "config": str,  # JSON
            "counts": str,  # JSON
            "timings": str,  # JSON: seconds per stage
        },
        pk="id",
    )
    db["documents"].create(
        {
            "id": str,
            "source": str,
            "url": str,
            "title": str,
            "author": str,
            "published": str,
            "site": str,
            "language": str,
            "content_type": str,
            "raw": str,
            "text": str,
            "content_hash": str,
            "duplicate_of": str,
            "minhash": bytes,  # near-duplicate signature
            "run_id": int,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("duplicate_of", "documents", "id")],
    )
    db["documents"].create_index(["content_hash"], unique=True)
    db["documents"].enable_fts(["title", "text"], create_triggers=True)
    # Every source seen by every run, and what it became.
    db["run_sources"].create(
        {"run_id": int, "source": str, "status": str, "doc_id": str, "seconds": float},
        pk=("run_id", "source"),
        foreign_keys=[("run_id", "runs", "id"), ("doc_id", "documents", "id")],
    )
    db["errors"].create(
        {"id": int, "run_id": int, "source": str, "stage": str, "message": str, "at": float},
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    # Claims and their evidence (issue: extraction). One row per fact stated by one document.
    db["claims"].create(
        {
            "id": int,
            "doc_id": str,
            "run_id": int,
            "claim_key": str,  # hash of doc, extractor, kind, parties, value, span: re-runs add nothing
            "kind": str,
            "subject": str,
            "counterparty": str,
            "value": float,
            "unit": str,
            "value_low": float,
            "value_high": float,
            "qualifier": str,
            "deal_status": str,
            "as_of": str,
            "quote": str,
            "char_start": int,
            "char_end": int,
            "alignment": str,
            "grounded": int,
            "confidence": float,
            "extractor": str,
            "model": str,
            "prompt_version": str,
            "review_status": str,  # pending, accepted, rejected, corrected
            "reviewer": str,
            "reviewed_at": float,
            "fact_key": str,
            "conflict_group": int,
            "created_at": float,
        },
        pk="id",
        foreign_keys=[("doc_id", "documents", "id"), ("run_id", "runs", "id")],
    )
    db["claims"].create_index(["claim_key"], unique=True)
    db["claims"].create_index(["doc_id"])
    db["claims"].create_index(["fact_key"])
    db["claims"].create_index(["review_status", "kind"])
    # Further spans of the same claim (a claim found twice in a document is merged, its spans kept).
    db["evidence"].create(
        {"id": int, "claim_id": int, "doc_id": str, "quote": str, "char_start": int, "char_end": int},
        pk="id",
        foreign_keys=[("claim_id", "claims", "id"), ("doc_id", "documents", "id")],
    )
    db["signals"].create(
        {
            "id": int,
            "doc_id": str,
            "run_id": int,
            "pattern": str,
            "phase": str,
            "quote": str,
            "char_start": int,
            "char_end": int,
            "confidence": float,
            "extractor": str,
        },
        pk="id",
        foreign_keys=[("doc_id", "documents", "id"), ("run_id", "runs", "id")],
    )
    # Which documents each extractor has finished, so an interrupted run resumes where it stopped.
    db["extractions"].create(
        {"doc_id": str, "extractor": str, "status": str, "chunks_failed": int, "run_id": int, "at": float},
        pk=("doc_id", "extractor"),
        foreign_keys=[("doc_id", "documents", "id"), ("run_id", "runs", "id")],
    )
    # Every LLM call, cached by model, endpoint, prompt version, schema hash and input hash.
    db["llm_calls"].create(
        {
            "id": int,
            "cache_key": str,
            "model": str,
            "endpoint": str,
            "prompt_version": str,
            "schema_hash": str,
            "input_hash": str,
            "request": str,
            "response": str,
            "ok": int,
            "error": str,
            "prompt_tokens": int,
            "completion_tokens": int,
            "duration_ms": float,
            "run_id": int,
            "created_at": float,
        },
        pk="id",
    )
    db["llm_calls"].create_index(["cache_key"])
    # The fact ledger and conflict groups (issue: conflicts); recomputed after runs and reviews.
    db["facts"].create(
        {
            "key": str,
            "kind": str,
            "subject": str,
            "counterparty": str,
            "unit": str,
            "as_of": str,
            "value": float,
            "status": str,  # agreed, single_source, conflicting, superseded
            "support": int,
            "first_seen": str,
            "last_seen": str,
            "claim_ids": str,  # JSON list
            "conflict_group": int,
        },
        pk="key",
    )
    db["conflict_groups"].create(
        {
            "id": int,
            "fact_key": str,
            "disagreement": str,  # value, date, attribution, qualifier
            "reason": str,
            "majority_value": float,
            "spread": float,
            "sides": str,  # JSON
        },
        pk="id",
    )
    # Append-only audit log of review decisions.
    db["reviews"].create(
        {
            "id": int,
            "claim_id": int,
            "action": str,  # accept, reject, correct, undo
            "reviewer": str,
            "at": float,
            "before": str,  # JSON
            "after": str,  # JSON
            "note": str,
        },
        pk="id",
        foreign_keys=[("claim_id", "claims", "id")],
    )
    db.execute(
        "CREATE TRIGGER reviews_append_only_update BEFORE UPDATE ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'reviews is an append-only audit log'); END"
    )
    db.execute(
        "CREATE TRIGGER reviews_append_only_delete BEFORE DELETE ON reviews "
        "BEGIN SELECT RAISE(ABORT, 'reviews is an append-only audit log'); END"
    )


@migration
def m002_review_export(db: sqlite_utils.Database) -> None:
    """Review and export: decision ids in the audit log, queue indexes, quote search, browsing views."""
    db["reviews"].add_column("decision", int)  # groups the rows of one decision (one call)
    db["reviews"].add_column("undoes", int)  # on undo rows: the decision they reverse
    db["reviews"].create_index(["reviewer", "decision"])
    db["reviews"].create_index(["undoes"])
    db.execute("UPDATE claims SET review_status = 'pending' WHERE review_status IS NULL")
    db.execute(
        "CREATE TRIGGER claims_review_default AFTER INSERT ON claims WHEN NEW.review_status IS NULL "
        "BEGIN UPDATE claims SET review_status = 'pending' WHERE id = NEW.id; END"
    )
    db["claims"].create_index(["review_status", "id"])
    db["claims"].create_index(["kind", "id"])
    db["claims"].create_index(["conflict_group"])
    db.execute("CREATE INDEX idx_claims_subject_nocase ON claims(subject COLLATE NOCASE)")
    db.execute("CREATE INDEX idx_claims_counterparty_nocase ON claims(counterparty COLLATE NOCASE)")
    # Full-text search on quotes (filled by enable_fts), kept in step only when a quote changes.
    db["claims"].enable_fts(["quote"], create_triggers=False)
    db.executescript(
        """
        CREATE TRIGGER claims_fts_ai AFTER INSERT ON claims BEGIN
          INSERT INTO claims_fts (rowid, quote) VALUES (new.id, new.quote);
        END;
        CREATE TRIGGER claims_fts_ad AFTER DELETE ON claims BEGIN
          INSERT INTO claims_fts (claims_fts, rowid, quote) VALUES ('delete', old.id, old.quote);
        END;
        CREATE TRIGGER claims_fts_au AFTER UPDATE OF quote ON claims BEGIN
          INSERT INTO claims_fts (claims_fts, rowid, quote) VALUES ('delete', old.id, old.quote);
          INSERT INTO claims_fts (rowid, quote) VALUES (new.id, new.quote);
        END;
        CREATE VIEW claim_rows AS
          SELECT c.*, d.source AS source, d.url AS url, d.title AS title, d.published AS published
          FROM claims c JOIN documents d ON d.id = c.doc_id;
        CREATE VIEW verified_claims AS
          SELECT * FROM claim_rows WHERE review_status IN ('accepted', 'corrected') AND grounded = 1;
        CREATE VIEW open_conflicts AS
          SELECT g.*, COUNT(c.id) AS claims, SUM(c.review_status = 'pending') AS pending
          FROM conflict_groups g JOIN claims c ON c.conflict_group = g.id
          GROUP BY g.id HAVING pending > 0;
        """
    )


@migration
def m003_facts_note(db: sqlite_utils.Database) -> None:
    """Conflicts: a note on a fact whose sources agree with different qualifiers ("up to $X" vs "$X")."""
    db["facts"].add_column("note", str)


@migration
def m004_ledger_scopes(db: sqlite_utils.Database) -> None:
    """Conflicts: the scope (what detection compares together) of each claim, fact and group, so that a review
    decision refreshes only its scopes; stable group ids, and each group's rank (largest disagreement first)."""
    db["claims"].add_column("fact_scope", str)
    db["claims"].create_index(["fact_scope"])
    db["facts"].add_column("scope", str)
    db["facts"].create_index(["scope"])
    db["conflict_groups"].add_column("scope", str)
    db["conflict_groups"].add_column("rank", float)  # how large the disagreement is (spread, or a weight)
    db["conflict_groups"].add_column("support", int)  # independent sources over all sides
    db["conflict_groups"].create_index(["scope"])
    db.execute("CREATE INDEX idx_conflict_groups_order ON conflict_groups(rank DESC, support DESC, fact_key, id)")
    # The id each conflict ever had: the n-th group (in rank order) of a fact key keeps it while it comes and goes.
    db["conflict_group_ids"].create({"id": int, "fact_key": str, "n": int}, pk="id")
    db["conflict_group_ids"].create_index(["fact_key", "n"], unique=True)


@migration
def m005_fact_bases(db: sqlite_utils.Database) -> None:
    """Conflicts: the base of each fact (kind, parties, unit family, facet), the finer unit a refresh rebuilds."""
    db["facts"].add_column("base", str)
    db["facts"].create_index(["base"])
    db.execute("UPDATE claims SET fact_scope = NULL")  # the ledger has no bases yet: the next refresh rebuilds all


def start_run(db: sqlite_utils.Database, args: dict, config: dict) -> int:
    """Record a new run and return its id."""
    table = db["runs"].insert(
        {
            "started_at": time.time(),
            "status": "running",
            "args": json.dumps(args, sort_keys=True),
            "config": json.dumps(config, sort_keys=True),
        }
    )
    return table.last_pk


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, counts: dict, timings: dict) -> None:
    """Close a run with its status, counts and seconds per stage."""
    db["runs"].update(
        run_id,
        {
            "finished_at": time.time(),
            "status": status,
            "counts": json.dumps(counts, sort_keys=True),
            "timings": json.dumps(timings, sort_keys=True),
        },
    )


def find_by_hash(db: sqlite_utils.Database, content_hash: str) -> dict | None:
    """The stored document with this content hash, if any."""
    rows = list(db["documents"].rows_where("content_hash = ?", [content_hash], limit=1))
    return rows[0] if rows else None


def save_document(
    db: sqlite_utils.Database, doc: Document, run_id: int, status: str, seconds: float, minhash: bytes
) -> float:
    """Store a new document and its sighting in one transaction; returns its creation time."""
    created = time.time()
    with db.atomic():
        row = {**doc.model_dump(), "minhash": minhash, "run_id": run_id, "created_at": created}
        db["documents"].insert(row, ignore=True)
        record_source(db, run_id, doc.source, status, doc.id, seconds)
    return created


def record_source(
    db: sqlite_utils.Database, run_id: int, source: str, status: str, doc_id: str | None, seconds: float
) -> None:
    """Note what a source became in this run."""
    db["run_sources"].upsert(
        {"run_id": run_id, "source": source, "status": status, "doc_id": doc_id, "seconds": seconds},
        pk=("run_id", "source"),
    )


def save_error(db: sqlite_utils.Database, run_id: int, error: LoadError) -> None:
    """Record a failed source in the run."""
    with db.atomic():
        db["errors"].insert({"run_id": run_id, **error.model_dump(), "at": time.time()})
        record_source(db, run_id, error.source, "failed", None, 0.0)


def docs(db: sqlite_utils.Database, limit: int | None = None) -> list[dict]:
    """Stored documents, newest first, without their text."""
    cols = "id, source, url, title, published, site, language, length(text) AS chars, duplicate_of, run_id"
    sql = f"SELECT {cols} FROM documents ORDER BY created_at DESC, id"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [dict(r) for r in db.query(sql)]


def show(db: sqlite_utils.Database, doc_id: str) -> dict | None:
    """One document by id or unique id prefix."""
    rows = list(db.query("SELECT * FROM documents WHERE id LIKE ? LIMIT 2", [doc_id + "%"]))
    return rows[0] if len(rows) == 1 else None


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
) -> int:
    """Store one document's claims, evidence spans and signals, and mark it extracted, in one transaction.

    Returns the number of new claims. Claims already stored (same key) are kept as they are, reviews included.
    """
    now = time.time()
    new = 0
    with db.atomic():
        ids = []
        for claim in claims:
            key = claim_key(doc_id, claim)
            row = {
                **claim.model_dump(mode="json"),
                "doc_id": doc_id,
                "run_id": run_id,
                "claim_key": key,
                "model": model,
                "prompt_version": prompt_version,
                "review_status": "pending",
                "created_at": now,
            }
            before = db["claims"].count_where("claim_key = ?", [key])
            db["claims"].insert(row, ignore=True)
            new += before == 0
            ids.append(next(db.query("SELECT id FROM claims WHERE claim_key = ?", [key]))["id"])
        for index, quote, start, end in evidence:
            span = {"claim_id": ids[index], "doc_id": doc_id, "quote": quote, "char_start": start, "char_end": end}
            if not db["evidence"].count_where("claim_id = ? AND char_start IS ?", [ids[index], start]):
                db["evidence"].insert(span)
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


def pending_extraction(db: sqlite_utils.Database, run_id: int, extractor: str) -> list[str]:
    """Ids of the documents this run saw that the extractor has not finished (never run, or failed chunks)."""
    sql = """SELECT DISTINCT s.doc_id FROM run_sources s
      LEFT JOIN extractions e ON e.doc_id = s.doc_id AND e.extractor = ?
      WHERE s.run_id = ? AND s.doc_id IS NOT NULL AND coalesce(e.status, '') != 'done'
      ORDER BY s.doc_id"""
    return [r["doc_id"] for r in db.query(sql, [extractor, run_id])]


def get_document(db: sqlite_utils.Database, doc_id: str) -> Document:
    """A stored document as a Document."""
    row = db["documents"].get(doc_id)
    return Document(**{k: row[k] for k in Document.model_fields})
