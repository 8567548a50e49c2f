"""SQLite storage through sqlite-utils: schema, migrations, and the writes of each stage."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from pathlib import Path

import sqlite_utils

from ..models import Claim, Document, LoadError, PatternSignal, page_of, printable
from . import ledger  # noqa: F401  (store.ledger for callers)
from .migrations import migrate, writing

DEFAULT_DB = "outputs/ingest.db"
DatabaseError = sqlite3.DatabaseError  # what a damaged or unusable database raises, for modules that use no SQL
MAX_INT = 2**63 - 1  # SQLite's largest integer: no id is larger, and no larger number can be a parameter


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database path: the argument, else $INGEST_DB, else outputs/ingest.db."""
    return Path(path or os.environ.get("INGEST_DB") or DEFAULT_DB)


class NotIngestDatabase(ValueError):
    """A SQLite file that some other program made."""


def database_error(path: str | os.PathLike, exc: sqlite3.DatabaseError) -> str:
    """One line for a SQLite error met while using the database: the file, SQLite's message, what to do."""
    damaged = getattr(exc, "sqlite_errorname", None) in ("SQLITE_CORRUPT", "SQLITE_NOTADB") or "malformed" in str(exc)
    if damaged:
        todo = (
            f'recover what it holds with `sqlite3 {path} ".recover" | sqlite3 recovered.db` and use --db recovered.db'
        )
    else:
        todo = "check the file (disk space, permissions) and try again"
    return f"--db {path}: SQLite error: {exc}; {todo}"


def file_name(db: sqlite_utils.Database) -> str:
    """The file of an open database as it can be shown (bytes of the path that are not UTF-8 escaped)."""
    conn = db.conn
    factory, conn.text_factory = conn.text_factory, bytes  # SQLite hands the path back in the bytes it was given
    try:
        raw = conn.execute("PRAGMA database_list").fetchone()[2]
    finally:
        conn.text_factory = factory
    return printable(os.fsdecode(raw))


def open_db(path: str | os.PathLike | None = None, any_thread: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) the database, with WAL, foreign keys and all migrations applied.

    ``any_thread``: one connection that an event loop's threads may share (the review app)."""
    p = db_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(sqlite3.connect(str(p), check_same_thread=False) if any_thread else p)
    db.execute("PRAGMA busy_timeout = 30000")
    tables = set(db.table_names())
    if tables and "_migrations" not in tables:
        raise NotIngestDatabase("not an ingest database (it holds other tables); give a new --db path")
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    db.execute("PRAGMA synchronous = NORMAL")  # with WAL: consistent after a crash, one fsync per checkpoint
    migrate(db)
    return db


def start_run(db: sqlite_utils.Database, args: dict, config: dict) -> int:
    """Record a new run and return its id; runs left 'running' by a process that is gone become 'interrupted'."""
    with writing(db):
        for run in db.query("SELECT id, pid FROM runs WHERE status = 'running'"):
            if not process_alive(run["pid"]):
                db["runs"].update(run["id"], {"status": "interrupted"})
        table = db["runs"].insert(
            {
                "started_at": time.time(),
                "status": "running",
                "pid": os.getpid(),
                "args": json.dumps(args, sort_keys=True),
                "config": json.dumps(config, sort_keys=True),
            }
        )
    return table.last_pk


def process_alive(pid: int | None) -> bool:
    """Whether a process with this id runs on this machine (a run from before pids were kept: assume so)."""
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def finish_run(db: sqlite_utils.Database, run_id: int, status: str, counts: dict, timings: dict) -> None:
    """Close a run with its status, counts and seconds per stage."""
    if db.conn.in_transaction:  # a read that failed on a damaged page leaves its savepoint open
        db.conn.rollback()
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


def record_not_modified(db: sqlite_utils.Database, run_id: int, url: str) -> str | None:
    """A URL that answered 304: it is still its stored document; returns that document's id."""
    with writing(db):
        row = db.execute("SELECT doc_id FROM fetch_state WHERE url = ?", [url]).fetchone()
        doc_id = row[0] if row else None
        db.execute("UPDATE fetch_state SET checked_at = ? WHERE url = ?", [time.time(), url])
        record_source(db, run_id, url, "not_modified", doc_id, 0.0)
    return doc_id


def record_source(
    db: sqlite_utils.Database, run_id: int, source: str, status: str, doc_id: str | None, seconds: float
) -> None:
    """Note what a source became in this run."""
    db["run_sources"].upsert(
        {"run_id": run_id, "source": source, "status": status, "doc_id": doc_id, "seconds": seconds},
        pk=("run_id", "source"),
    )


def save_error(db: sqlite_utils.Database, run_id: int, error: LoadError, status: str = "failed") -> None:
    """Record a failed (or skipped) source in the run."""
    with writing(db):
        db["errors"].insert({"run_id": run_id, **error.model_dump(), "at": time.time()})
        record_source(db, run_id, error.source, status, None, 0.0)


def save_extract_error(db: sqlite_utils.Database, run_id: int, doc_id: str, extractor: str, error: LoadError) -> None:
    """Record a document whose extraction failed; the next run extracts it again."""
    with writing(db):
        db["errors"].insert({"run_id": run_id, **error.model_dump(), "at": time.time()})
        row = {"doc_id": doc_id, "extractor": extractor, "status": "failed", "run_id": run_id, "at": time.time()}
        db["extractions"].upsert(row, pk=("doc_id", "extractor"))


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


def parties(db: sqlite_utils.Database) -> list[dict]:
    """Every party of a stored claim with its number of claims and documents, most claims first."""
    sql = """
        SELECT name, count(*) AS claims, count(DISTINCT doc_id) AS documents FROM (
            SELECT subject AS name, doc_id FROM claims WHERE subject IS NOT NULL
            UNION ALL SELECT counterparty, doc_id FROM claims WHERE counterparty IS NOT NULL
        ) GROUP BY name ORDER BY claims DESC, name
    """
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
    if not db["evidence"].count_where("claim_id = ? AND doc_id = ? AND char_start IS ?", [claim_id, doc_id, start]):
        span = {"claim_id": claim_id, "doc_id": doc_id, "quote": quote, "char_start": start, "char_end": end}
        db["evidence"].insert(span)


def pending_extraction(db: sqlite_utils.Database, run_id: int, extractor: str) -> list[str]:
    """Ids of the documents this run saw that the extractor has not finished (never run, or failed chunks);
    first copies before near-duplicates, whose claims refer to theirs."""
    sql = """SELECT DISTINCT s.doc_id, d.duplicate_of IS NOT NULL AS copy FROM run_sources s
      JOIN documents d ON d.id = s.doc_id
      LEFT JOIN extractions e ON e.doc_id = s.doc_id AND e.extractor = ?
      WHERE s.run_id = ? AND coalesce(e.status, '') != 'done'
      ORDER BY copy, s.doc_id"""
    return [r["doc_id"] for r in db.query(sql, [extractor, run_id])]


def get_document(db: sqlite_utils.Database, doc_id: str) -> Document:
    """A stored document as a Document."""
    row = db["documents"].get(doc_id)
    fields = {k: row.get(k) for k in Document.model_fields}
    fields["pages"] = json.loads(row["pages"]) if row.get("pages") else None
    fields["version"] = row.get("version") or 1
    return Document(**fields)


# ---------------------------------------------------------------- partnerships

_PAIR_CLAIMS = (
    "SELECT c.id, c.kind, c.subject, c.counterparty, c.value, c.unit, c.qualifier, c.deal_status, c.as_of, c.quote, "
    "c.doc_id, COALESCE(d.duplicate_of, d.id) AS source_id, c.fact_key, c.conflict_group FROM claims c "
    "JOIN documents d ON d.id = c.doc_id WHERE c.grounded = 1 AND COALESCE(c.review_status, '') != 'rejected' "
    "AND c.superseded_by IS NULL AND c.subject IS NOT NULL AND c.counterparty IS NOT NULL"
)
_JSON_IN = "(SELECT value FROM json_each(?))"


def ledger_pair_claims(
    db: sqlite_utils.Database, names: list[str] | None = None, doc_ids: list[str] | None = None
) -> list[dict]:
    """The claims in the ledger (grounded, not rejected, not superseded) that name both parties, with their
    document's first copy; with ``names``, only those whose two parties are among them; with ``doc_ids``, only
    those of these documents."""
    sql, params = _PAIR_CLAIMS, []
    if names is not None:  # both parties among the names
        sql += f" AND c.subject IN {_JSON_IN} AND c.counterparty IN {_JSON_IN}"
        params = [json.dumps(sorted(set(names)))] * 2
    if doc_ids is not None:
        sql += f" AND c.doc_id IN {_JSON_IN}"
        params.append(json.dumps(sorted(set(doc_ids))))
    return [dict(r) for r in db.query(sql + " ORDER BY c.id", params)]


def single_pair_docs(db: sqlite_utils.Database, doc_ids: list[str] | None = None) -> set[str]:
    """The documents (of ``doc_ids``, or all) whose claims in the ledger are about one pair of parties alone (in
    either direction; a party paired with itself does not count)."""
    pair = "min(c.subject, c.counterparty) || char(0) || max(c.subject, c.counterparty)"
    sql = (
        f"SELECT c.doc_id FROM ({_PAIR_CLAIMS} AND lower(c.subject) != lower(c.counterparty)"
        f"{f' AND c.doc_id IN {_JSON_IN}' if doc_ids is not None else ''}) c "
        f"GROUP BY c.doc_id HAVING COUNT(DISTINCT {pair}) = 1"
    )
    params = [json.dumps(sorted(set(doc_ids)))] if doc_ids is not None else []
    return {r[0] for r in db.execute(sql, params)}


def ledger_facts(db: sqlite_utils.Database, keys: list[str] | None = None) -> list[dict]:
    """Facts of the ledger (those with ``keys``, or all), claim ids decoded."""
    sql, params = "SELECT * FROM facts", []
    if keys is not None:
        sql, params = sql + f" WHERE key IN {_JSON_IN}", [json.dumps(sorted(set(keys)))]
    return [{**r, "claim_ids": json.loads(r["claim_ids"] or "[]")} for r in db.query(sql, params)]


def ledger_groups(db: sqlite_utils.Database, ids: list[int] | None = None) -> list[dict]:
    """Conflict groups (with ``ids``, or all): id, fact key, disagreement, reason."""
    sql, params = "SELECT id, fact_key, disagreement, reason FROM conflict_groups", []
    if ids is not None:
        sql, params = sql + f" WHERE id IN {_JSON_IN}", [json.dumps(sorted(set(ids)))]
    return [dict(r) for r in db.query(sql, params)]


def document_signals(db: sqlite_utils.Database, doc_ids: list[str] | None = None) -> list[dict]:
    """Pattern signals of the documents (or all)."""
    sql, params = "SELECT id, doc_id, pattern, phase, quote, char_start, char_end FROM signals", []
    if doc_ids is not None:
        sql, params = sql + f" WHERE doc_id IN {_JSON_IN}", [json.dumps(sorted(set(doc_ids)))]
    return [dict(r) for r in db.query(sql + " ORDER BY id", params)]


def claim_parties(db: sqlite_utils.Database, claim_ids: list[int]) -> set[tuple[str, str]]:
    """The (subject, counterparty) of these claims now, and of the stored partnerships that held them."""
    ids = json.dumps(sorted(set(claim_ids)))
    now = db.execute(
        f"SELECT subject, counterparty FROM claims WHERE id IN {_JSON_IN} AND subject IS NOT NULL "
        "AND counterparty IS NOT NULL",
        [ids],
    ).fetchall()
    before = db.execute(
        f"SELECT a, b FROM partnerships p WHERE EXISTS (SELECT 1 FROM json_each(p.claim_ids) j WHERE j.value IN "
        f"{_JSON_IN})",
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
            db.execute(f"DELETE FROM partnerships WHERE key IN {_JSON_IN}", [json.dumps(sorted(set(keys)))])
            db.execute(f"DELETE FROM partnership_edges WHERE key IN {_JSON_IN}", [json.dumps(sorted(set(keys)))])
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
        db.execute(f"DELETE FROM partnership_stale WHERE key IN {_JSON_IN}", [json.dumps(sorted(set(keys)))])


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
        where.append(f"kind IN {_JSON_IN}")
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
        f"WHERE c.id IN {_JSON_IN}"
    )
    return {r["id"]: dict(r) for r in db.query(sql, [json.dumps(sorted(set(ids)))])}


def documents_by_id(db: sqlite_utils.Database, ids: list[str]) -> dict[str, dict]:
    """Documents' source, URL, title and date (no text), by id."""
    sql = f"SELECT id, source, url, title, published FROM documents WHERE id IN {_JSON_IN}"
    return {r["id"]: dict(r) for r in db.query(sql, [json.dumps(sorted(set(ids)))])}


def open_groups(db: sqlite_utils.Database, ids: list[int]) -> list[dict]:
    """Conflict groups with their claims and pending claims counted (open: some claim pending)."""
    sql = (
        "SELECT g.id, g.fact_key, g.disagreement, g.reason, g.sides, COUNT(c.id) AS claims, "
        "SUM(c.review_status = 'pending') AS pending FROM conflict_groups g JOIN claims c ON c.conflict_group = g.id "
        f"WHERE g.id IN {_JSON_IN} GROUP BY g.id ORDER BY g.id"
    )
    return [{**r, "sides": json.loads(r["sides"] or "[]")} for r in db.query(sql, [json.dumps(sorted(set(ids)))])]
