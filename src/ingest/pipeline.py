"""The whole batch job: load -> clean -> store, timing each stage and recording every source."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import partial
from itertools import groupby

from pydantic import BaseModel, Field
from tqdm import tqdm

from . import duplicates, executors, store
from . import extract as extraction
from .extract import embedded
from .extract.budget import Budget
from .extract.llm import LLMClient, estimate_cost
from .extract.llm import config as llm_config
from .load import FetchSettings, load
from .models import Document, Feed, LoadError, NotModified, RawDocument
from .store import Database

STATUSES = ("new", "new_version", "unchanged", "not_modified", "near_duplicate", "skipped", "failed")


class ExtractOptions(BaseModel):
    """Which extractor runs, and on which model endpoint (None: the embedded offline model)."""

    extractor: str = "rules"
    model: str | None = None
    base_url: str | list[str] | None = Field(None, description="An endpoint, or several that share the calls.")
    workers: int = 1
    max_calls: int | None = None
    max_cost: float | None = None


class RunSummary(BaseModel):
    """What a run did: counts per status, the failed sources, claims, model use, seconds per stage."""

    run_id: int
    db: str
    status: str = "running"
    sources: int = 0
    counts: dict[str, int] = Field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    failed: list[LoadError] = Field(default_factory=list)
    skipped: list[LoadError] = Field(default_factory=list, description="URLs robots.txt keeps us from.")
    feeds: dict[str, int] = Field(
        default_factory=lambda: {"feeds": 0, "entries": 0, "older": 0, "stored": 0},
        description="Feeds and sitemaps read; their entries queued, older than --since, and already stored.",
    )
    executor: str | None = None
    extractor: str | None = None
    claims: dict[str, int] = Field(default_factory=lambda: {"documents": 0, "new": 0, "grounded": 0, "ungrounded": 0})
    model: dict[str, float] = Field(default_factory=dict)
    budget: dict = Field(default_factory=dict, description="Model calls and USD spent against --max-calls/--max-cost.")
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
    db: Database,
    settings: FetchSettings | None = None,
    extract: ExtractOptions | None = None,
    progress: bool | None = None,
    echo: Callable[[str], None] | None = None,
    since: date | None = None,
    executor: executors.Local | executors.Ray | None = None,
) -> RunSummary:
    """Load, clean, store, extract and consolidate; a bad source is recorded and the batch goes on.

    Feeds and sitemaps expand into their entries (``since``: only those dated that day or later); entries
    already stored are not fetched again unless the feed says they were updated, and URLs stored before are
    fetched with a conditional request (a 304 leaves them as they are). ``executor`` runs cleaning and rules
    extraction (default: this process); this process stores everything, in the same order whatever runs them."""
    executor = executor or executors.Local(jobs=1)
    sources = list(sources)
    config = {"fetch": (settings or FetchSettings()).model_dump(), "extract": extract and extract.model_dump()}
    args = {"sources": sources, **({"since": since.isoformat()} if since else {})}
    run_id = store.runs.start_run(db, args, config)
    summary = RunSummary(run_id=run_id, db=store.file_name(db))
    show_bar = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(desc="ingest", unit="doc", disable=not show_bar)
    t_start = time.perf_counter()
    try:
        # every stored signature is read here: a damaged database fails the run at once
        index = duplicates.NearDuplicates(store.documents.signatures(db))
        stored = partial(store.documents.stored_at, db)
        items = load(sources, settings, since=since, stored=stored, validators=partial(store.documents.validators, db))
        if extract is not None and extract.extractor == "rules":
            items = warming(items, executor)
        cleaned = executor.map(executors.clean_one, timed(items, summary, "load"))
        ingest_all(cleaned, db, run_id, index, summary, bar, echo)
        executors.trim_heap()  # what cleaning freed goes back before the pool's workers take their share
        if extract is not None or summary.counts["new_version"]:  # superseded claims leave the ledger
            if extract is not None:
                extract_stage(db, run_id, extract, summary, show_bar, echo, executor)
            executor.close()  # the ledger runs here alone: the pool's memory goes back first
            with Stopwatch(summary, "conflicts"):
                ledger = store.ledger.recompute(db)
            summary.facts = {**ledger.by_status, "conflict_groups": ledger.groups}
        summary.status = "budget" if summary.budget.get("reached") else "completed"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    except BaseException:
        summary.status = "failed"
        raise
    finally:
        bar.close()
        summary.executor = executor.describe()
        executor.close()
        summary.add_time("total", time.perf_counter() - t_start)
        store.runs.finish_run(db, run_id, summary.status, summary.counts, summary.timings)
    return summary


def ingest_all(
    items: Iterable, db: Database, run_id: int, index: duplicates.NearDuplicates, summary: RunSummary, bar: tqdm, echo
) -> None:
    """Store every cleaned source, one line each where no progress bar shows (a function of its own, so that no
    source's texts outlive it)."""
    for item in items:
        status = ingest_one(item, db, run_id, index, summary)
        bar.update(1)
        if echo and bar.disable:
            echo(f"{status:<15} {item.source}")
    bar.close()


def warming(items: Iterable, executor: executors.Local | executors.Ray) -> Iterator:
    """The loaded items; the first text long enough to be extracted in sections starts the executor's workers
    while it is cleaned and stored."""
    items = iter(items)
    for item in items:
        if isinstance(item, RawDocument) and extraction.rules.sectioned(item.text):
            executor.warm()
            yield item
            yield from items
            return
        yield item


def timed(items: Iterable, summary: RunSummary, stage: str) -> Iterator:
    """The items, the time taken to produce each added to a stage of the summary."""
    items = iter(items)
    while True:
        with Stopwatch(summary, stage):
            item = next(items, None)
        if item is None:
            return
        yield item


def ingest_one(
    item: executors.Cleaned | LoadError | Feed | NotModified,
    db: Database,
    run_id: int,
    index: duplicates.NearDuplicates,
    summary: RunSummary,
) -> str:
    """Store one cleaned item (or record its error); returns its status."""
    summary.sources += 1
    if isinstance(item, Feed):
        with Stopwatch(summary, "store"):
            store.runs.record_source(db, run_id, item.source, "feed", None, 0.0)
        f = summary.feeds
        f["feeds"] += 1
        f["entries"] += len(item.entries)
        f["older"] += item.skipped_old
        f["stored"] += item.skipped_stored
        return f"feed ({len(item.entries)} new, {item.skipped_stored} stored, {item.skipped_old} older)"
    if isinstance(item, NotModified):
        with Stopwatch(summary, "store"):
            store.runs.record_not_modified(db, run_id, item.source)
        summary.counts["not_modified"] += 1
        return "not_modified"
    if isinstance(item, LoadError) and item.stage == "robots":
        with Stopwatch(summary, "store"):
            store.runs.save_error(db, run_id, item, status="skipped")
        summary.skipped.append(item)
        summary.counts["skipped"] += 1
        return "skipped"
    if isinstance(item, executors.Cleaned):
        summary.add_time("clean", item.seconds)
        item = item.error or item
    if isinstance(item, LoadError):
        with Stopwatch(summary, "store"):
            store.runs.save_error(db, run_id, item)
        summary.failed.append(item)
        summary.counts["failed"] += 1
        return "failed"
    with Stopwatch(summary, "store"):
        status = store_document(db, item.doc, run_id, index, item.seconds, item.validators, item.grams)
    summary.counts[status] += 1
    return status


def extract_stage(
    db: Database,
    run_id: int,
    options: ExtractOptions,
    summary: RunSummary,
    show_bar: bool,
    echo: Callable[[str], None] | None,
    executor: executors.Local | executors.Ray,
) -> None:
    """Extract claims from every document of this run not yet extracted (or with failed chunks).

    The rules extractor runs on the executor; a model extractor runs here, its calls in bounded threads."""
    summary.extractor = options.extractor
    pending = store.documents.pending_extraction(db, run_id, options.extractor)
    client = model_client(options) if pending and options.extractor != "rules" else None
    chunk_bar = tqdm(desc="model calls", unit="chunk", disable=not show_bar or client is None)
    if client is not None:
        client.progress = chunk_bar.update
    stats = extraction.ExtractStats()
    here = {"client": client, "cache": store.calls.CallLog(db, run_id)} if client is not None else {}
    work = partial(executors.extract_one, extractor=options.extractor, **here)
    docs = (store.documents.get_document(db, doc_id) for doc_id in pending)
    outcomes = extract_in_order(docs, work, executor, in_process=client is not None)
    for outcome in tqdm(outcomes, total=len(pending), desc="extract", unit="doc", disable=not show_bar):
        summary.add_time("extract", outcome.seconds)
        doc, result = outcome.doc, outcome.result
        if outcome.error is not None:
            store.runs.save_extract_error(db, run_id, doc.id, options.extractor, outcome.error)
            summary.failed.append(outcome.error)
            continue
        with Stopwatch(summary, "store"):
            summary.claims["new"] += store.claims.save_extraction(
                db,
                doc.id,
                run_id,
                options.extractor,
                result.claims,
                result.signals,
                result.evidence,
                failed_chunks=result.stats.failed_chunks,
                model=client.model if client else None,
                prompt_version=llm_config()["prompt_version"] if client else None,
                copy_of=doc.duplicate_of,
                pages=doc.pages,
            )
        stats += result.stats
        summary.claims["documents"] += 1
        summary.claims["grounded"] += sum(c.grounded for c in result.claims)
        summary.claims["ungrounded"] += sum(not c.grounded for c in result.claims)
        if echo and not show_bar:
            echo(f"extracted       {doc.id}: {len(result.claims)} claims, {len(result.signals)} signals")
        if client is not None and client.budget is not None and client.budget.reached:
            break  # the documents left wait for the next run
    chunk_bar.close()
    if client is not None:
        summary.model = {**vars(stats), "cost_usd": estimate_cost(client.model, stats) or 0.0}
        summary.budget = client.budget.report() if client.budget is not None else {}


def extract_in_order(
    docs: Iterable[Document], work: Callable, executor: executors.Local | executors.Ray, in_process: bool
) -> Iterator[executors.Extracted]:
    """``work`` over the documents in their order, over the executor; a long text by the rules alone, its
    sections over the executor (a pool for one long text)."""
    for is_long, group in groupby(docs, key=lambda doc: not in_process and extraction.rules.sectioned(doc.text or "")):
        if is_long:
            yield from (work(doc, mapper=partial(executor.map, min_pool=2)) for doc in group)
        else:
            yield from executor.map(work, group, in_process=in_process)


def model_client(options: ExtractOptions) -> LLMClient:
    """The model client: an OpenAI-compatible endpoint when a base URL is set, else the embedded model."""
    base_url = options.base_url or os.environ.get("OPENAI_BASE_URL")
    if base_url:
        client = LLMClient(model=options.model or "gpt-4o-mini", base_url=base_url, workers=options.workers)
    else:
        client = embedded.client(options.model, workers=options.workers)
    if options.max_calls is not None or options.max_cost is not None:
        client.budget = Budget(client.model, options.max_calls, options.max_cost)
    return client


def store_document(
    db,
    doc,
    run_id: int,
    index: duplicates.NearDuplicates,
    seconds: float,
    validators: tuple[str | None, str | None] | None = None,
    grams: bytes | None = None,
) -> str:
    """Store a cleaned document unless its text is already stored; link near-copies to the first one.

    A source (a path, or a URL fetched) whose stored text differs becomes a new version of that article, which
    supersedes the previous one; ``validators`` are the fetched URL's ETag and Last-Modified, kept for next time;
    ``grams``, the text's gram hashes if the clean stage made them (else they are made here).
    """
    existing = store.documents.find_by_hash(db, doc.content_hash)
    if existing:
        with store.writing(db):
            store.runs.record_source(db, run_id, doc.source, "unchanged", existing["id"], seconds)
            if validators is not None:
                store.documents.save_fetch_state(db, doc.source, validators, existing["id"])
        return "unchanged"
    sig = duplicates.from_grams(grams) if grams is not None else duplicates.signature(doc.text)
    previous = store.documents.latest_version(db, doc.source, doc.url if validators is not None else None)
    if previous:
        doc.previous_version, doc.version = previous["id"], (previous["version"] or 1) + 1
        chain = {v["id"] for v in store.documents.versions(db, previous["id"])}
        doc.duplicate_of = index.first_copy(sig, exclude=chain)  # not a copy of its own earlier text
        status = "new_version"
    else:
        doc.duplicate_of = index.first_copy(sig)
        status = "near_duplicate" if doc.duplicate_of else "new"
    created = store.documents.save_document(db, doc, run_id, status, seconds, duplicates.to_bytes(sig), validators)
    index.add(doc.id, sig, created)
    return status
