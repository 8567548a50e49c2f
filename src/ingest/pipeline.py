"""The whole batch job: load -> clean -> store, timing each stage and recording every source."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable

import sqlite_utils
from pydantic import BaseModel, Field
from tqdm import tqdm

from . import clean as clean_stage
from . import duplicates, store
from .load import FetchSettings, load
from .models import LoadError, RawDocument

STATUSES = ("new", "unchanged", "near_duplicate", "failed")


class RunSummary(BaseModel):
    """What a run did: counts per status, the failed sources, seconds per stage."""

    run_id: int
    db: str
    status: str = "completed"
    sources: int = 0
    counts: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    failed: list[LoadError] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)

    def add_time(self, stage: str, seconds: float) -> None:
        self.timings[stage] = round(self.timings.get(stage, 0.0) + seconds, 4)


class Stopwatch:
    """Adds the time spent in a ``with`` block to a stage of a summary."""

    def __init__(self, summary: RunSummary, stage: str):
        self.summary, self.stage = summary, stage

    def __enter__(self) -> Stopwatch:
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.summary.add_time(self.stage, time.perf_counter() - self.t0)


def run(
    sources: Iterable[str],
    db: sqlite_utils.Database,
    settings: FetchSettings | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] | None = None,
) -> RunSummary:
    """Load, clean and store every source; a bad source is recorded and the batch goes on."""
    sources = list(sources)
    run_id = store.start_run(db, {"sources": sources}, {"fetch": (settings or FetchSettings()).model_dump()})
    summary = RunSummary(run_id=run_id, db=str(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    index = duplicates.NearDuplicates(db)
    show_bar = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(desc="ingest", unit="doc", disable=not show_bar)
    t_start = time.perf_counter()
    try:
        items = iter(load(sources, settings))
        while True:
            with Stopwatch(summary, "load"):
                item = next(items, None)
            if item is None:
                break
            status = ingest_one(item, db, run_id, index, summary)
            bar.update(1)
            if echo and not show_bar:
                echo(f"{status:<15} {item.source}")
        summary.status = "completed"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    finally:
        bar.close()
        summary.add_time("total", time.perf_counter() - t_start)
        store.finish_run(db, run_id, summary.status, summary.counts, summary.timings)
    return summary


def ingest_one(
    item: RawDocument | LoadError,
    db: sqlite_utils.Database,
    run_id: int,
    index: duplicates.NearDuplicates,
    summary: RunSummary,
) -> str:
    """Clean and store one loaded item (or record its error); returns its status."""
    summary.sources += 1
    if isinstance(item, RawDocument):
        t0 = time.perf_counter()
        try:
            with Stopwatch(summary, "clean"):
                doc = clean_stage.clean(item)
                if not doc.text:
                    raise ValueError("no article text found after cleaning")
        except Exception as exc:  # a page that breaks the cleaner is that source's failure only
            item = LoadError(source=item.source, stage="clean", message=f"could not clean: {exc}")
    if isinstance(item, LoadError):
        with Stopwatch(summary, "store"):
            store.save_error(db, run_id, item)
        summary.failed.append(item)
        summary.counts["failed"] += 1
        return "failed"
    with Stopwatch(summary, "store"):
        status = store_document(db, doc, run_id, index, time.perf_counter() - t0)
    summary.counts[status] += 1
    return status


def store_document(db, doc, run_id: int, index: duplicates.NearDuplicates, seconds: float) -> str:
    """Store a cleaned document unless its text is already stored; link near-copies to the first one."""
    existing = store.find_by_hash(db, doc.content_hash)
    if existing:
        store.record_source(db, run_id, doc.source, "unchanged", existing["id"], seconds)
        return "unchanged"
    sig = duplicates.signature(doc.text)
    doc.duplicate_of = index.first_copy(sig)
    status = "near_duplicate" if doc.duplicate_of else "new"
    created = store.save_document(db, doc, run_id, status, seconds, minhash=duplicates.to_bytes(sig))
    index.add(doc.id, sig, created)
    return status
