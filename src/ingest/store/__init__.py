"""The one place that speaks SQL: SQLite through sqlite-utils, one module per table family (runs, documents,
claims, the fact ledger, partnerships, reviews, model calls) and the migrations. Every function takes the open
database first; every other module reaches the database through these."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

from ..errors import NotIngestDatabase
from ..models import printable
from . import calls, claims, documents, ledger, partnerships, reviews, runs
from .migrations import migrate, writing

__all__ = [
    "DEFAULT_DB",
    "MAX_INT",
    "Database",
    "DatabaseError",
    "calls",
    "claims",
    "database_error",
    "db_path",
    "documents",
    "file_name",
    "ledger",
    "open_db",
    "partnerships",
    "reviews",
    "runs",
    "writing",
]

Database = sqlite_utils.Database
DEFAULT_DB = "outputs/ingest.db"
DatabaseError = sqlite3.DatabaseError  # what a damaged or unusable database raises, for modules that use no SQL
MAX_INT = 2**63 - 1  # SQLite's largest integer: no id is larger, and no larger number can be a parameter


def db_path(path: str | os.PathLike | None = None) -> Path:
    """The database path: the argument, else $INGEST_DB, else outputs/ingest.db."""
    return Path(path or os.environ.get("INGEST_DB") or DEFAULT_DB)


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


def tables(db: sqlite_utils.Database) -> dict[str, set[str]]:
    """The database's tables and views, with their columns."""
    return {name: {c.name for c in db[name].columns} for name in [*db.table_names(), *db.view_names()]}


def main_file(db: sqlite_utils.Database) -> str | None:
    """The path of the open database's main file (None in memory)."""
    files = [row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"]
    return files[0] if files else None
