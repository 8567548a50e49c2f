"""Where the CPU stages (clean, rules extraction) run: this process, a process pool over all cores, or Ray.

An executor maps a stage function over items and hands the results back in input order; the main process
stays the only database writer, so every executor stores exactly what the single-process run stores.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from pydantic import BaseModel, ConfigDict

from . import clean as clean_stage
from . import extract as extraction
from . import shingles, store
from .errors import RayMissingError
from .extract.llm import CallCache, LLMClient
from .models import Document, LoadError, RawDocument

EXECUTORS = ("local", "ray")
RAY_MISSING = "--executor ray: Ray is not installed; install the extra with pip install 'ingest[ray]'."
AHEAD = 4  # items in flight per worker: enough to keep each busy, few enough to bound memory
MIN_POOL = 16  # a run with fewer items to clean or extract stays in this process (a pool takes seconds to start)
_LIBC = ctypes.CDLL(None) if os.name == "posix" else None  # this process's C library, for ``trim_heap``


class Cleaned(BaseModel):
    """A loaded document after the clean stage: its Document, or the error that stopped it."""

    source: str
    doc: Document | None = None
    error: LoadError | None = None
    validators: tuple[str | None, str | None] | None = None  # a fetched URL's ETag and Last-Modified
    grams: bytes | None = None  # the text's gram hashes (shingles.text_grams), made beside the cleaning
    seconds: float = 0.0


class Extracted(BaseModel):
    """One document's extraction: its result, or the error that stopped it (the next run retries it)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    doc: Document
    result: extraction.ExtractResult | None = None
    error: LoadError | None = None
    seconds: float = 0.0


def clean_one(item: Any) -> Any:
    """A RawDocument cleaned (or its error); any other loaded item (feed, error, 304) as it is."""
    if not isinstance(item, RawDocument):
        return item
    t0 = time.perf_counter()
    validators = (item.etag, item.last_modified) if item.url is not None else None
    try:
        doc = clean_stage.clean(item)
        if not doc.text:
            raise ValueError("no article text found after cleaning")
    except Exception as exc:  # a page that breaks the cleaner is that source's failure only
        error = LoadError(source=item.source, stage="clean", message=f"could not clean: {exc}")
        return Cleaned(source=item.source, error=error, seconds=time.perf_counter() - t0)
    grams = shingles.text_grams(doc.text)
    return Cleaned(source=item.source, doc=doc, validators=validators, grams=grams, seconds=time.perf_counter() - t0)


def extract_one(
    doc: Document,
    extractor: str,
    client: LLMClient | None = None,
    cache: CallCache | None = None,
    mapper: Callable = map,
) -> Extracted:
    """Extract one document's claims (a long text's sections through ``mapper``); an error of this document is
    returned, the database's is raised."""
    t0 = time.perf_counter()
    try:
        result = extraction.extract(doc, extractor, client, cache, mapper)
    except store.DatabaseError:  # the database's failure, not this document's: the run stops
        raise
    except Exception as exc:  # one document's failure; the next run retries it
        error = LoadError(source=doc.source, stage="extract", message=f"could not extract: {exc}")
        return Extracted(doc=doc, error=error, seconds=time.perf_counter() - t0)
    return Extracted(doc=doc, result=result, seconds=time.perf_counter() - t0)


class Local:
    """The CPU stages in this process (``jobs`` 1) or in a pool of ``jobs`` worker processes.

    The pool's workers start from a forkserver (safe with the threads a run has: fetches, progress bars) with
    the stages imported once and frozen out of the garbage collector (``_forkserver``); a stage with fewer than
    ``min_pool`` items runs in this process instead.
    """

    name = "local"

    def __init__(self, jobs: int | None = None, min_pool: int = MIN_POOL):
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.min_pool = min_pool
        self.pooled = False  # whether any stage ran in the pool
        self._pool: ProcessPoolExecutor | None = None

    def map(
        self, fn: Callable[[Any], Any], items: Iterable, in_process: bool = False, min_pool: int | None = None
    ) -> Iterator:
        """``fn`` over ``items``, results in input order; ``in_process`` keeps it here (a model client);
        ``min_pool`` overrides the executor's (the sections of one long text are worth a pool from two)."""
        least = self.min_pool if min_pool is None else min_pool
        items = iter(items)
        head = list(islice(items, least))
        if in_process or self.jobs == 1 or len(head) < least:
            yield from map(fn, chain(head, items))
            return
        pool = self.pool()
        ahead: deque = deque(pool.submit(fn, item) for item in head)
        for item in items:
            ahead.append(pool.submit(fn, item))
            if len(ahead) >= self.jobs * AHEAD:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__, "ingest._forkserver"])
            self._pool = ProcessPoolExecutor(
                self.jobs, mp_context=context, initializer=exit_with, initargs=(os.getpid(),)
            )
            self.pooled = True
        return self._pool

    def warm(self) -> None:
        """Start the pool in the background (a long text is coming, whose sections will use it), so that its
        processes start while this one cleans and stores; nothing with one job."""
        if self.jobs > 1:
            threading.Thread(target=_start, args=(self.pool(),), daemon=True).start()

    def describe(self) -> str:
        return f"local, {self.jobs if self.pooled else 1} process{'es' if self.pooled else ''}"

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _start(pool: ProcessPoolExecutor) -> None:
    """Start a pool's processes: a first task makes them. Nothing is raised here: a run that ended meanwhile has
    shut the pool, and a pool that cannot start fails again where a stage uses it, which reports it."""
    with contextlib.suppress(Exception):
        pool.submit(int)


def trim_heap() -> None:
    """Give the heap's free pages back to the OS (glibc's ``malloc_trim``; nothing where the C library has none).
    Cleaning a long text frees tens of MB that the C library otherwise keeps for this process."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def exit_with(parent: int) -> None:
    """A pool worker's start: it ends when the main process is gone (killed with SIGKILL, it cannot say so)."""

    def watch() -> None:
        while store.runs.process_alive(parent):
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


@dataclass
class _Apply:
    """A stage function over a Ray Data batch of pickled items (column ``item``) into column ``out``."""

    fn: Callable[[Any], Any]

    def __call__(self, batch: dict) -> dict:
        return {"out": [self.fn(item) for item in batch["item"]]}


class Ray:
    """The CPU stages on a Ray cluster (``address``; None starts a local one) through Ray Data.

    The driver hands Ray a window of items at a time (``batch_size`` items per task) and gets the results
    back in order; workers never open the database."""

    name = "ray"

    def __init__(self, address: str | None = None, batch_size: int = 64, num_cpus: int | None = None):
        try:
            import ray

            ray.init  # noqa: B018 - a folder named ray (Ray's own /tmp/ray) imports as an empty namespace package
        except (ImportError, AttributeError):
            raise RayMissingError(RAY_MISSING) from None
        self.ray = ray
        self.address, self.batch_size, self.num_cpus = address, batch_size, num_cpus
        self.start_seconds = 0.0
        self.started = False  # whether this executor started the (local) cluster

    def start(self) -> None:
        """Connect to the cluster (or start a local one) unless connected; the seconds it took are kept."""
        if not self.ray.is_initialized():
            t0 = time.perf_counter()
            local = {"num_cpus": self.num_cpus, "include_dashboard": False} if self.address is None else {}
            self.ray.init(address=self.address, log_to_driver=False, configure_logging=False, **local)
            self.started = True
            self.start_seconds = time.perf_counter() - t0
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # not a line per dataset on the run's output
        context = self.ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # results in input order: the database as one process
        context.enable_progress_bars = False

    def map(
        self, fn: Callable[[Any], Any], items: Iterable, in_process: bool = False, min_pool: int | None = None
    ) -> Iterator:
        """``fn`` over ``items`` on the cluster, results in input order; ``in_process`` keeps it here
        (``min_pool`` is the local executor's)."""
        if in_process:
            yield from map(fn, items)
            return
        items = iter(items)
        window = self.batch_size * max(2, int(self._cpus()) * AHEAD)
        while block := list(islice(items, window)):
            self.start()
            data = self.ray.data.from_items([{"item": item} for item in block])
            out = data.map_batches(_Apply(fn), batch_size=self.batch_size, batch_format="default")
            for batch in out.iter_batches(batch_size=None, batch_format="default"):
                yield from batch["out"]

    def warm(self) -> None:
        """Nothing: the cluster starts when a stage first uses it (``ray.init`` holds this process meanwhile)."""

    def _cpus(self) -> float:
        self.start()
        return self.ray.cluster_resources().get("CPU", 1)

    def describe(self) -> str:
        return f"ray, {self.address or 'local cluster'}"

    def close(self) -> None:
        """Shut down the cluster this executor started (one it found running is left as it is)."""
        if self.started:
            self.ray.shutdown()
            self.started = False
