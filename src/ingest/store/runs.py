"""Runs and what each source became in them, with the failures recorded."""

from __future__ import annotations

import json
import os
import time

import sqlite_utils

from ..models import LoadError
from .migrations import writing


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


def record_not_modified(db: sqlite_utils.Database, run_id: int, url: str) -> str | None:
    """A URL that answered 304: it is still its stored document; returns that document's id."""
    with writing(db):
        row = db.execute("SELECT doc_id FROM fetch_state WHERE url = ?", [url]).fetchone()
        doc_id = row[0] if row else None
        db.execute("UPDATE fetch_state SET checked_at = ? WHERE url = ?", [time.time(), url])
        record_source(db, run_id, url, "not_modified", doc_id, 0.0)
    return doc_id
