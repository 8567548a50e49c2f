"""The whole batch job: load -> clean -> store, timing each stage and recording every source."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable

import sqlite_utils
from pydantic import BaseModel, Field
from tqdm import tqdm

from . import clean as clean_stage
from . import conflicts, duplicates, embedded, store
from . import extract as extraction
from .llm import LLMClient, estimate_cost
from .llm import config as llm_config
from .load import FetchSettings, load
from .models import LoadError, RawDocument

STATUSES = ("new", "unchanged", "near_duplicate", "failed")


class ExtractOptions(BaseModel):
    """Which extractor runs, and on which model endpoint (None: the embedded offline model)."""

    extractor: str = "rules"
    model: str | None = None
    base_url: str | None = None
    workers: int = 1


class RunSummary(BaseModel):
    """What a run did: counts per status, the failed sources, claims, model use, seconds per stage."""

    run_id: int
    db: str
    status: str = "running"
    sources: int = 0
    counts: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    failed: list[LoadError] = Field(default_factory=list)
    extractor: str | None = None
    claims: dict[str, int] = Field(default_factory=lambda: {"documents": 0, "new": 0, "grounded": 0, "ungrounded": 0})
    model: dict[str, float] = Field(default_factory=dict)
    facts: dict[str, int] = Field(default_factory=dict)
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
    extract: ExtractOptions | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] | None = None,
) -> RunSummary:
    """Load, clean, store, extract and consolidate; a bad source is recorded and the batch goes on."""
    sources = list(sources)
    config = {"fetch": (settings or FetchSettings()).model_dump(), "extract": extract and extract.model_dump()}
    run_id = store.start_run(db, {"sources": sources}, config)
    summary = RunSummary(run_id=run_id, db=str(db.conn.execute("PRAGMA database_list").fetchone()[2]))
    show_bar = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(desc="ingest", unit="doc", disable=not show_bar)
    t_start = time.perf_counter()
    try:
        index = duplicates.NearDuplicates(db)  # reads every stored signature: a damaged database fails the run here
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
        bar.close()
        if extract is not None:
            extract_stage(db, run_id, extract, summary, show_bar, echo)
            with Stopwatch(summary, "conflicts"):
                ledger = conflicts.recompute(db)
            summary.facts = {**ledger.by_status, "conflict_groups": ledger.groups}
        summary.status = "completed"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except BaseException:
        summary.status = "failed"
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


def extract_stage(
    db: sqlite_utils.Database,
    run_id: int,
    options: ExtractOptions,
    summary: RunSummary,
    show_bar: bool,
    echo: Callable[[str], None] | None,
) -> None:
    """Extract claims from every document of this run not yet extracted (or with failed chunks)."""
    summary.extractor = options.extractor
    pending = store.pending_extraction(db, run_id, options.extractor)
    client = model_client(options) if pending and options.extractor != "rules" else None
    chunk_bar = tqdm(desc="model calls", unit="chunk", disable=not show_bar or client is None)
    if client is not None:
        client.progress = chunk_bar.update
    stats = extraction.ExtractStats()
    for doc_id in tqdm(pending, desc="extract", unit="doc", disable=not show_bar):
        with Stopwatch(summary, "extract"):
            doc = store.get_document(db, doc_id)
            try:
                result = extraction.extract(doc, options.extractor, client, db, run_id)
            except store.DatabaseError:  # the database's failure, not this document's: the run stops
                raise
            except Exception as exc:  # one document's failure; the next run retries it
                error = LoadError(source=doc.source, stage="extract", message=f"could not extract: {exc}")
                store.save_extract_error(db, run_id, doc_id, options.extractor, error)
                summary.failed.append(error)
                continue
        with Stopwatch(summary, "store"):
            summary.claims["new"] += store.save_extraction(
                db,
                doc_id,
                run_id,
                options.extractor,
                result.claims,
                result.signals,
                result.evidence,
                failed_chunks=result.stats.failed_chunks,
                model=client.model if client else None,
                prompt_version=llm_config()["prompt_version"] if client else None,
                copy_of=doc.duplicate_of,
            )
        stats += result.stats
        summary.claims["documents"] += 1
        summary.claims["grounded"] += sum(c.grounded for c in result.claims)
        summary.claims["ungrounded"] += sum(not c.grounded for c in result.claims)
        if echo and not show_bar:
            echo(f"extracted       {doc_id}: {len(result.claims)} claims, {len(result.signals)} signals")
    chunk_bar.close()
    if client is not None:
        summary.model = {**vars(stats), "cost_usd": estimate_cost(client.model, stats) or 0.0}


def model_client(options: ExtractOptions) -> LLMClient:
    """The model client: an OpenAI-compatible endpoint when a base URL is set, else the embedded model."""
    base_url = options.base_url or os.environ.get("OPENAI_BASE_URL")
    if base_url:
        return LLMClient(model=options.model or "gpt-4o-mini", base_url=base_url, workers=options.workers)
    return embedded.client(options.model, workers=options.workers)


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
