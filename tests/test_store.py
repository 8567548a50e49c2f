import sqlite3

import pytest

from ingest import duplicates, store
from ingest.models import Document, LoadError
from ingest.store import migrations


def make_doc(text="Microsoft invested $1 billion in OpenAI.", source="a.txt") -> Document:
    from ingest.clean import content_hash

    digest = content_hash(text)
    return Document(id=digest[:16], source=source, content_type="text", raw=text, text=text, content_hash=digest)


def test_open_creates_schema_with_wal_and_foreign_keys(db_file):
    db = store.open_db(db_file)
    assert {"runs", "documents", "errors", "claims", "reviews", "llm_calls", "facts"} <= set(db.table_names())
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert migrations.schema_version(db) == len(migrations.MIGRATIONS)


def test_reopening_applies_nothing_twice(db_file):
    store.open_db(db_file)
    db = store.open_db(db_file)
    assert migrations.migrate(db) == []


@pytest.mark.parametrize(
    "lookup",
    [
        "SELECT 1 FROM evidence WHERE claim_id = 1 AND doc_id = 'd' AND char_start IS 5",
        "DELETE FROM signals WHERE doc_id = 'd'",
    ],
)
def test_storing_an_extraction_looks_up_by_index_not_by_scanning_the_table(db_file, lookup):
    """Once per evidence span and once per document: a scan of the whole table each time grows with the corpus."""
    plan = " ".join(row[-1] for row in store.open_db(db_file).execute(f"EXPLAIN QUERY PLAN {lookup}").fetchall())
    assert plan.startswith("SEARCH") and "INDEX" in plan, plan


def test_database_from_an_older_version_still_opens(db_file):
    """A database made with only the first migration gets the later ones, and keeps its rows."""
    import sqlite_utils

    old = sqlite_utils.Database(db_file)
    old["_migrations"].create({"name": str, "applied_at": float}, pk="name")
    migrations.m001_initial(old)
    old["_migrations"].insert({"name": "m001_initial", "applied_at": 0.0})
    run_id = old["runs"].insert({"status": "running", "args": "{}"}).last_pk
    old.close()
    db = store.open_db(db_file)
    assert migrations.schema_version(db) == len(migrations.MIGRATIONS)
    assert db["runs"].get(run_id)["status"] == "running"


def test_env_var_names_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("INGEST_DB", str(tmp_path / "env.db"))
    assert store.db_path() == tmp_path / "env.db"
    assert store.db_path(tmp_path / "x.db") == tmp_path / "x.db"


def test_document_and_error_are_recorded(db_file):
    db = store.open_db(db_file)
    run_id = store.runs.start_run(db, {}, {})
    doc = make_doc()
    store.documents.save_document(db, doc, run_id, "new", 0.1, minhash=b"")
    store.runs.save_error(db, run_id, LoadError(source="missing.txt", message="file not found"))
    assert store.documents.find_by_hash(db, doc.content_hash)["id"] == doc.id
    assert [r["status"] for r in db["run_sources"].rows_where(order_by="source")] == ["new", "failed"]
    assert db["errors"].count == 1
    assert list(db.query("SELECT rowid FROM documents_fts WHERE documents_fts MATCH 'OpenAI'"))


def test_audit_log_is_append_only(db_file):
    db = store.open_db(db_file)
    with pytest.raises(sqlite3.IntegrityError):
        db["reviews"].insert({"claim_id": 999, "action": "accept"})  # foreign key: no such claim
    db.execute("PRAGMA foreign_keys = OFF")
    db["reviews"].insert({"claim_id": 1, "action": "accept", "reviewer": "a"})
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE reviews SET action = 'reject'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM reviews")


def test_stored_signatures_are_made_again_when_their_hashing_changes(db_file):
    """A database from before m012 holds signatures of SHA-1 gram hashes: opening it makes each again from its
    document's text, so that its documents and new ones still compare."""
    import sqlite_utils

    old = sqlite_utils.Database(db_file)
    old["_migrations"].create({"name": str, "applied_at": float}, pk="name")
    for fn in migrations.MIGRATIONS[: migrations.MIGRATIONS.index(migrations.m012_word_hashed_signatures)]:
        fn(old)
        old["_migrations"].insert({"name": fn.__name__, "applied_at": 0.0})
    doc = make_doc("Initech agreed to buy Vandelay for $2 billion, the companies said on Monday.")
    run_id = old["runs"].insert({"status": "done", "args": "{}"}).last_pk
    store.documents.save_document(old, doc, run_id, "new", 0.1, minhash=b"\x01" * 8 * duplicates.NUM_PERM)
    old.close()
    (blob,) = store.open_db(db_file).execute("SELECT minhash FROM documents").fetchone()
    assert blob == duplicates.to_bytes(duplicates.signature(doc.text))


def test_a_document_read_for_extraction_leaves_its_raw_input_in_the_database(db_file):
    """Extraction reads the cleaned text: the page's HTML (often ten times longer) is neither read nor sent on."""
    db = store.open_db(db_file)
    doc = make_doc().model_copy(update={"raw": "<html>" + "<div>menu</div>" * 1000 + "</html>", "title": "Deal"})
    store.documents.save_document(db, doc, store.runs.start_run(db, {}, {}), "new", 0.1, minhash=b"")
    read = store.documents.get_document(db, doc.id)
    assert read.raw == "" and read.model_copy(update={"raw": doc.raw}) == doc
    assert db.execute("SELECT length(raw) FROM documents").fetchone()[0] == len(doc.raw)
