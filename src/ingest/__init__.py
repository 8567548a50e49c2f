"""Turn articles about AI strategic partnerships into a verified, source-grounded dataset.

The Python API: each function does what the CLI command of the same name does, and returns typed objects.
``db`` is an open database (``open_db``) or a path; None means ``$INGEST_DB``, else ``outputs/ingest.db``.
Every error a user can act on is an ``IngestError``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .errors import IngestError
from .models import Claim
from .store import Database, open_db

try:
    __version__ = version("ingest")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["Claim", "IngestError", "__version__", "claims", "export", "extract_text", "open_db", "run"]

Db = Database | str | os.PathLike | None


def _db(db: Db) -> Database:
    return db if isinstance(db, Database) else open_db(db)


def run(sources: Iterable[str], db: Db = None, extractor: str = "rules", since: date | None = None):
    """Load, clean and store the sources (files, folders, URLs, feeds), extract claims (``rules``, ``hybrid``,
    ``passage`` or ``none``) and flag conflicts; returns the run's summary (``ingest run``)."""
    from . import pipeline

    options = None if extractor == "none" else pipeline.ExtractOptions(extractor=extractor)
    return pipeline.run(sources, _db(db), extract=options, progress=False, since=since)


def extract_text(text: str, extractor: str = "rules", source: str = "text") -> list[Claim]:
    """The claims of a text, cleaned as a text file is, each with its quote and offsets into the cleaned text;
    nothing is stored."""
    from . import pipeline
    from .clean import clean
    from .extract import extract
    from .models import RawDocument

    doc = clean(RawDocument(source=source, content_type="text", text=text))
    client = None if extractor == "rules" else pipeline.model_client(pipeline.ExtractOptions(extractor=extractor))
    return extract(doc, extractor, client).claims


def claims(db: Db = None, **filters: Any) -> list[dict]:
    """Stored claims with their document, by id (``ingest claims``); filters: kind, status, party, doc,
    conflict, ungrounded, search, superseded, after, before, limit."""
    from . import review

    return review.claims(_db(db), **filters)


def export(path: str | os.PathLike, db: Db = None, status: str = "accepted", fmt: str | None = None, facts=False):
    """Write the verified claims (``status="all"``: every claim; ``facts``: the fact ledger) to ``path`` with
    a manifest beside it (``ingest export``); returns the manifest."""
    from . import exports

    return exports.export(_db(db), Path(path), status, fmt, facts)
