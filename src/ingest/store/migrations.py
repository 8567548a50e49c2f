"""The database schema as named migrations, applied once each, in order, when a database is opened."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlite_utils

MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = []


def migration(fn: Callable[[sqlite_utils.Database], None]) -> Callable[[sqlite_utils.Database], None]:
    """Register a migration; migrations run once each, in order, by name."""
    MIGRATIONS.append(fn)
    return fn


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not seen; returns their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at FLOAT)")
    done = {r["name"] for r in db["_migrations"].rows}
    applied = []
    for fn in MIGRATIONS:
        if fn.__name__ in done:
            continue
        with writing(db):  # two processes opening a new file apply each migration once, in turn
            if not db["_migrations"].count_where("name = ?", [fn.__name__]):
                fn(db)
                db["_migrations"].insert({"name": fn.__name__, "applied_at": time.time()})
                applied.append(fn.__name__)
    return applied


@contextmanager
def writing(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the write lock before its first read (BEGIN IMMEDIATE).

    A deferred transaction that reads, then writes after another process committed, fails at once with
    "database is locked"; an immediate one waits for the lock (busy timeout). Nested use is a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


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


@migration
def m006_run_pid(db: sqlite_utils.Database) -> None:
    """Runs: the process that ran each, so a run killed with SIGKILL can later be marked interrupted."""
    db["runs"].add_column("pid", int)


@migration
def m007_claim_origin(db: sqlite_utils.Database) -> None:
    """Import: where an imported claim came from (``file:line``), beside its extractor ``import``."""
    db["claims"].add_column("origin", str)


@migration
def m008_conflict_dismissals(db: sqlite_utils.Database) -> None:
    """Review: conflict groups a reviewer marked "not a conflict" (with a note), which recomputes leave out while
    the dismissal is active; the audit rows of a dismissal name it, so that `ingest undo` can lift it."""
    db["dismissals"].create(
        {"id": int, "fact_key": str, "claim_ids": str, "reason": str, "note": str, "reviewer": str, "at": float,
         "active": int},
        pk="id",
    )  # fmt: skip
    db["dismissals"].create_index(["fact_key"])
    db["reviews"].add_column("dismissal", int)


@migration
def m009_sources(db: sqlite_utils.Database) -> None:
    """Sources: PDF page starts, versions of an article whose text changed (claims of an old version are
    superseded: out of the queue, the ledger and the verified view), each claim's page, and the validators
    (ETag, Last-Modified) of every URL fetched, for conditional requests."""
    db["documents"].add_column("pages", str)  # JSON list of page start offsets in text
    db["documents"].add_column("previous_version", str)
    db["documents"].add_column("superseded_by", str)
    db["documents"].add_column("version", int)
    db["documents"].create_index(["source"])
    db["documents"].create_index(["url"])
    db["claims"].add_column("page", int)
    db["claims"].add_column("superseded_by", str)  # id of the document version that replaced the claim's
    db["fetch_state"].create(
        {"url": str, "etag": str, "last_modified": str, "doc_id": str, "checked_at": float}, pk="url"
    )
    db.executescript(
        """
        DROP VIEW verified_claims;
        CREATE VIEW verified_claims AS
          SELECT * FROM claim_rows
          WHERE review_status IN ('accepted', 'corrected') AND grounded = 1 AND superseded_by IS NULL;
        """
    )


@migration
def m010_partnerships(db: sqlite_utils.Database) -> None:
    """Partnerships: one row per pair of organisations (status, first and latest dated facts, totals, rights,
    sources, conflicts, patterns; the whole dossier as JSON in ``detail``) and one row per deal on the map
    (pair, kind, direction), rebuilt with the fact ledger; the pairs a review decision touched, rebuilt when next
    read; and the view ``partnership_overview`` for Datasette."""
    db["partnerships"].create(
        {
            "key": str,  # 'A|B', names in case-insensitive order
            "a": str,
            "b": str,
            "status": str,  # active, restructured, ended
            "first_date": str,
            "latest_date": str,
            "invested": str,  # the largest investment figure, as read: "more than $13.0B"
            "invested_usd": float,
            "committed_compute": str,
            "stake": str,
            "valuation": str,
            "rights": str,  # "ROFR (Microsoft) ended; IP rights (Microsoft) to 2032 granted"
            "sources": int,
            "claims": int,
            "conflicts": int,
            "patterns": str,  # JSON list of pattern ids
            "kill_list": str,  # JSON list of kill-list move ids
            "claim_ids": str,  # JSON list
            "detail": str,  # JSON: the Partnership model
        },
        pk="key",
    )
    db["partnerships"].create_index(["a"])
    db["partnerships"].create_index(["b"])
    db["partnership_edges"].create(
        {
            "id": int,
            "key": str,
            "a": str,
            "b": str,
            "kind": str,
            "subject": str,
            "counterparty": str,
            "value": float,
            "unit": str,
            "qualifier": str,
            "first_date": str,
            "latest_date": str,
            "facts": int,
            "support": int,
        },
        pk="id",
    )
    # pairs a review decision touched, rebuilt when partnerships are next read (decisions stay fast)
    db["partnership_stale"].create({"key": str, "a": str, "b": str}, pk="key")
    db["partnership_edges"].create_index(["key"])
    db["partnership_edges"].create_index(["kind", "latest_date"])
    db.execute(
        "CREATE VIEW partnership_overview AS SELECT key, a, b, status, first_date, latest_date, invested, "
        "committed_compute, stake, valuation, rights, sources, claims, conflicts, patterns, kill_list "
        "FROM partnerships"
    )


@migration
def m011_document_lookups(db: sqlite_utils.Database) -> None:
    """Indexes for what storing a document's extraction looks up: whether a claim already has an evidence span
    (once per span; a scan of every span before) and the document's signals it replaces."""
    db["evidence"].create_index(["claim_id", "doc_id"])
    db["signals"].create_index(["doc_id"])


@migration
def m012_word_hashed_signatures(db: sqlite_utils.Database) -> None:
    """Near-duplicate signatures hash each word once and mix each 5-gram's hash from its words'
    (``duplicates.signature``; a SHA-1 per gram before, half the cleaning time of a long text): every stored
    signature is made again from its document's text, so that old and new documents still compare."""
    from .. import duplicates

    ids = [r[0] for r in db.execute("SELECT id FROM documents WHERE minhash IS NOT NULL").fetchall()]
    for doc_id in ids:
        (text,) = db.execute("SELECT text FROM documents WHERE id = ?", [doc_id]).fetchone()
        db.execute(
            "UPDATE documents SET minhash = ? WHERE id = ?",
            [duplicates.to_bytes(duplicates.signature(text or "")), doc_id],
        )


@migration
def m013_claim_conversions(db: sqlite_utils.Database) -> None:
    """A claim keeps the conversion its source gives in brackets ("$500m (€460m)"): the ledger compares it too."""
    db["claims"].add_column("conversion_value", float)
    db["claims"].add_column("conversion_unit", str)
