"""Export the verified claims (or all claims, or the fact ledger) as JSONL, CSV or Parquet.

The same database always gives byte-identical files: rows sorted by id (facts by key), keys sorted in
JSON, fixed Parquet settings, no timestamps. Beside each file, ``<file>.manifest.json`` records the row
count, the runs the rows come from, the schema version and the file's SHA-256; ``metadata.json`` (Datasette)
and ``datapackage.json`` (Frictionless, every export in the folder) are written in the same folder
(see ``catalog``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import types
import typing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import catalog, store
from .errors import ExportError
from .models import Claim, ClaimKind, DealStatus, PatternSignal, Qualifier
from .store import Database, migrations

FORMATS = ("jsonl", "csv", "parquet")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


class ExportRow(BaseModel):
    """One exported claim: the normalised fact, the exact words stating it, its source and its review."""

    model_config = ConfigDict(title="Claim", extra="forbid", use_enum_values=True)

    id: int
    kind: ClaimKind
    subject: str | None
    counterparty: str | None
    value: float | None = Field(
        description="Number in base units: USD in dollars, percent 0-100, GW, a count (chips, shares, people), year."
    )
    unit: str | None
    value_low: float | None
    value_high: float | None
    qualifier: Qualifier
    conversion_value: float | None = Field(None, description="The amount in another currency given in brackets.")
    conversion_unit: str | None = Field(None, description="Its ISO currency code.")
    deal_status: DealStatus | None
    as_of: str | None
    quote: str = Field(description="The exact words of the source that state the fact.")
    char_start: int | None = Field(description="Start offset of the quote in the cleaned document text.")
    char_end: int | None = Field(description="End offset (exclusive) of the quote.")
    page: int | None = Field(None, description="For a PDF: the page (from 1) the quote starts on.")
    doc_id: str
    source: str = Field(description="The path or URL as given to `ingest run`.")
    url: str | None
    title: str | None
    published: str | None
    review_status: Literal["pending", "accepted", "rejected", "corrected"]
    reviewer: str | None
    reviewed_at: str | None = Field(description="Time of the last review decision, ISO 8601 UTC.")
    confidence: float | None
    extractor: str | None
    origin: str | None = Field(None, description="For imported claims: the file and line they came from.")
    model: str | None
    prompt_version: str | None
    run_id: int | None
    conflict_group: int | None
    superseded_by: str | None = Field(
        None, description="The newer version of the article that replaced this claim's document, if its text changed."
    )


class FactRow(BaseModel):
    """One fact of the ledger: its consensus value, status, support and the claims stating it."""

    model_config = ConfigDict(title="Fact", extra="forbid")

    key: str
    kind: str | None
    subject: str | None
    counterparty: str | None
    unit: str | None
    as_of: str | None
    value: float | None = Field(description="Consensus value.")
    status: str | None
    support: int | None = Field(description="Number of independent sources.")
    claim_ids: list[int]
    conflict_group: int | None


class Manifest(BaseModel):
    """What an export file holds, written beside it as ``<file>.manifest.json``."""

    file: str
    format: str
    status: str = Field(description="accepted, all, or facts.")
    rows: int
    runs: list[int]
    schema_version: int = Field(description="Number of database migrations applied.")
    row_schema: str = Field(description="JSON Schema file describing one row.")
    sha256: str


SCHEMAS: dict[str, type[BaseModel]] = {
    "claim.schema.json": ExportRow,
    "fact.schema.json": FactRow,
    "extracted_claim.schema.json": Claim,
    "pattern_signal.schema.json": PatternSignal,
}


def write_schemas(directory: str | os.PathLike) -> list[Path]:
    """Write the JSON Schemas of export rows (claim, fact) and of extraction output into ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, model in SCHEMAS.items():
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **model.model_json_schema()}
        path = out / name
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        paths.append(path)
    return paths


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat().replace("+00:00", "Z")


def claim_rows(db: Database, verified: bool = False, ids: list[int] | None = None) -> list[dict]:
    """Claims as export rows (validated by ExportRow), sorted by id: the verified ones (accepted or
    corrected, and grounded) or all; with ``ids``, only those."""
    fields = list(ExportRow.model_fields)
    out = []
    for r in store.claims.export_rows(db, verified, ids):
        try:
            row = ExportRow.model_validate({**{k: r[k] for k in fields}, "reviewed_at": _iso(r["reviewed_at"])})
        except ValidationError as e:
            err = e.errors()[0]
            raise ExportError(f"claim {r['id']} cannot be exported: {err['loc'][0]}: {err['msg']}") from None
        out.append(row.model_dump())
    return out


def conflict_rows(db: Database, reason: str | None = None) -> list[dict]:
    """The conflict groups, largest disagreement first (one class with ``reason``), each side listing its
    claims as export rows."""
    groups = store.ledger.conflicts(db, reason)
    ids = sorted({i for g in groups for side in g["sides"] for i in side["claim_ids"]})
    found = claim_rows(db, ids=ids)
    rows = {r["id"]: r for r in found}
    for g in groups:
        for side in g["sides"]:
            side["claims"] = store.ledger.side_claims(side, rows)
    return groups


def fact_rows(db: Database) -> list[dict]:
    """The fact ledger as export rows, sorted by key."""
    fields = list(FactRow.model_fields)
    rows = []
    for r in store.ledger.facts_by_key(db):
        data = {**{k: r[k] for k in fields if k in r}, "claim_ids": sorted(json.loads(r["claim_ids"] or "[]"))}
        rows.append(FactRow.model_validate(data).model_dump())
    return rows


def _arrow_type(annotation: Any) -> pa.DataType:
    """The Arrow type of a row field (nullable types map to their inner type)."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return _arrow_type(args[0])
    if origin is list:
        return pa.list_(_arrow_type(args[0]))
    return {int: pa.int64(), float: pa.float64(), bool: pa.bool_()}.get(annotation, pa.string())


def _write(rows: list[dict], model: type[BaseModel], path: Path, fmt: str) -> None:
    fields = list(model.model_fields)
    if fmt == "jsonl":
        with path.open("w", encoding="utf-8", newline="\n") as f:
            for row in rows:
                f.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(fields)
        for row in rows:
            writer.writerow(
                ["" if row[k] is None else json.dumps(row[k]) if isinstance(row[k], list) else row[k] for k in fields]
            )
        path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    else:
        schema = pa.schema([(k, _arrow_type(f.annotation)) for k, f in model.model_fields.items()])
        table = pa.Table.from_pylist(rows, schema=schema)
        with path.open("wb") as f:  # a file, not a name: pyarrow reads a name as a URI and needs it in UTF-8
            pq.write_table(table, f, compression="zstd", version="2.6", use_dictionary=True, write_statistics=True)


def export(
    db: Database,
    path: str | os.PathLike,
    status: str = "accepted",
    fmt: str | None = None,
    facts: bool = False,
) -> Manifest:
    """Write claims (status 'accepted': the verified, grounded ones; 'all': every claim) or, with
    ``facts``, the fact ledger to ``path`` in ``fmt`` (default: from the suffix, else jsonl); then the manifest
    beside it and, in its folder, ``metadata.json`` and ``datapackage.json``."""
    path = Path(path)
    fmt = fmt or SUFFIXES.get(path.suffix.lower(), "jsonl")
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if status not in ("accepted", "all"):
        raise ExportError(f"unknown status {status!r}; use accepted or all")
    if facts:
        rows, model, name = fact_rows(db), FactRow, "facts"
        runs = store.ledger.fact_runs(db)
    else:
        rows, model, name = claim_rows(db, verified=status == "accepted"), ExportRow, status
        runs = [r["run_id"] for r in rows]
    if path.name in (catalog.METADATA, catalog.DATAPACKAGE):
        raise ExportError(f"{path.name} is written beside every export; choose another file name")
    for target in (path, path.with_name(catalog.METADATA), path.with_name(catalog.DATAPACKAGE)):
        if target.exists() and not target.is_file() or target.is_symlink():
            raise ExportError(f"{target} is not a regular file (a device, pipe, folder or link); choose another path")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    _write(rows, model, tmp, fmt)
    os.replace(tmp, path)
    manifest = Manifest(
        file=path.name,
        format=fmt,
        status=name,
        rows=len(rows),
        runs=sorted({r for r in runs if r is not None}),
        schema_version=migrations.schema_version(db),
        row_schema=next(k for k, v in SCHEMAS.items() if v is model),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
    )
    manifest_path(path).write_text(json.dumps(manifest.model_dump(), indent=2, sort_keys=True) + "\n")
    catalog.write(db, path.parent)
    return manifest


def manifest_path(path: str | os.PathLike) -> Path:
    """Where the manifest of an export file is written."""
    return Path(str(path) + ".manifest.json")
