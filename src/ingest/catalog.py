"""Descriptions written beside an export: a Datasette ``metadata.json`` for the database and a Frictionless
``datapackage.json`` for the exported files.

Both are built from data (``data/datasette.yaml`` and the row models' JSON Schemas) and contain no timestamps,
so the same database and files always give the same bytes. The data package lists every exported file in its
folder whose manifest still matches it, so exporting claims and then facts into one folder describes both.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import store
from .store import Database

METADATA = "metadata.json"
DATAPACKAGE = "datapackage.json"
MEDIATYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "parquet": "application/vnd.apache.parquet"}
PRIMARY_KEYS = {"claim.schema.json": ["id"], "fact.schema.json": ["key"]}
RESOURCE_TABLES = {"claim.schema.json": "claim_rows", "fact.schema.json": "facts"}


@cache
def config() -> dict:
    """The Datasette descriptions, facets and canned queries (``data/datasette.yaml``)."""
    return yaml.safe_load(resources.files("ingest").joinpath("data/datasette.yaml").read_text("utf-8"))


def column_descriptions(table: str) -> dict[str, str]:
    """The description of each column of a table or view, following ``columns_from``."""
    spec = config()["tables"].get(table, {})
    inherited = column_descriptions(spec["columns_from"]) if "columns_from" in spec else {}
    return {**inherited, **spec.get("columns", {})}


def database_name(db: Database) -> str:
    """The name Datasette gives the database: its file name without the suffix."""
    file = store.main_file(db)
    return Path(file).stem if file else "ingest"


def datasette_metadata(db: Database) -> dict:
    """Datasette metadata for this database: title, table and column descriptions, facets, hidden tables and
    canned queries (only for the tables and views the database has)."""
    cfg = config()
    present = store.tables(db)
    tables: dict[str, dict] = {}
    for name, spec in cfg["tables"].items():
        if name not in present:
            continue
        have = present[name]
        entry: dict[str, Any] = {"description": spec["description"]}
        columns = {k: v for k, v in column_descriptions(name).items() if k in have}
        if columns:
            entry["columns"] = columns
        if spec.get("facets"):
            entry["facets"] = [f for f in spec["facets"] if f in have]
        tables[name] = entry
    for name in cfg["hidden"]:
        if name in present:
            tables[name] = {"hidden": True}
    database = {"tables": tables, "queries": cfg["queries"]}
    return {"title": cfg["title"], "description": cfg["description"], "databases": {database_name(db): database}}


def _field(name: str, prop: dict, defs: dict, described: dict[str, str]) -> dict:
    """A Table Schema field from a JSON Schema property (a nullable type is its inner type, not required)."""
    options = prop.get("anyOf", [prop])
    nullable = any(o.get("type") == "null" for o in options)
    inner = next(o for o in options if o.get("type") != "null")
    if "$ref" in inner:
        inner = defs[inner["$ref"].rsplit("/", 1)[1]]
    field: dict[str, Any] = {"name": name, "type": inner.get("type", "string")}
    description = prop.get("description") or described.get(name)
    if description:
        field["description"] = description
    constraints: dict[str, Any] = {}
    if not nullable:
        constraints["required"] = True
    if "enum" in inner:
        constraints["enum"] = inner["enum"]
    if constraints:
        field["constraints"] = constraints
    return field


def table_schema(model: type[BaseModel], row_schema: str, fmt: str = "csv") -> dict:
    """The Table Schema of an export row, from the same JSON Schema as ``schemas/<row_schema>``; fields in the
    order of the CSV and Parquet columns, or of the keys of a JSONL row (sorted)."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    described = column_descriptions(RESOURCE_TABLES[row_schema])
    names = sorted(model.model_fields) if fmt == "jsonl" else list(model.model_fields)
    fields = [_field(name, schema["properties"][name], defs, described) for name in names]
    return {"fields": fields, "primaryKey": PRIMARY_KEYS[row_schema], "missingValues": [""]}


def _resource(path: Path, manifest: Any, models: dict[str, type[BaseModel]]) -> dict:
    name = re.sub(r"[^a-z0-9._-]+", "-", path.name.lower()).strip("-") or "export"
    what = {"accepted": "verified claims", "all": "all claims", "facts": "the fact ledger"}[manifest.status]
    resource: dict[str, Any] = {
        "name": name,
        "path": path.name,
        "description": f"{what} exported by ingest; one row is described by schemas/{manifest.row_schema}",
        "format": manifest.format,
        "mediatype": MEDIATYPES[manifest.format],
    }
    if manifest.format != "parquet":
        resource["encoding"] = "utf-8"
    resource |= {
        "bytes": path.stat().st_size,
        "hash": f"sha256:{manifest.sha256}",
        "rows": manifest.rows,
        "schema": table_schema(models[manifest.row_schema], manifest.row_schema, manifest.format),
    }
    return resource


def datapackage(directory: str | os.PathLike) -> dict:
    """A Frictionless data package describing every export in ``directory``: each file that has a manifest
    (``FILE.manifest.json``) whose SHA-256 still matches it, with its format, schema, hash, size and rows."""
    from .exports import FORMATS, SCHEMAS, Manifest

    folder = Path(directory)
    resources_ = []
    for manifest_file in sorted(folder.glob("*.manifest.json")):
        try:
            manifest = Manifest.model_validate_json(manifest_file.read_text("utf-8"))
        except (ValidationError, OSError, UnicodeDecodeError):
            continue
        path = folder / manifest.file
        if manifest.format not in FORMATS or manifest.row_schema not in PRIMARY_KEYS or path.name != manifest.file:
            continue
        if not path.is_file() or path.is_symlink():
            continue
        if hashlib.sha256(path.read_bytes()).hexdigest() != manifest.sha256:
            continue  # the file changed since it was exported: its manifest no longer describes it
        resources_.append(_resource(path, manifest, SCHEMAS))
    return {
        "name": "ingest-export",
        "title": "AI partnership claims exported by ingest",
        "description": config()["description"],
        "resources": resources_,
    }


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write(db: Database, directory: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``metadata.json`` (Datasette) and ``datapackage.json`` (Frictionless) into ``directory``."""
    folder = Path(directory)
    metadata, package = folder / METADATA, folder / DATAPACKAGE
    _write_json(metadata, datasette_metadata(db))
    _write_json(package, datapackage(folder))
    return metadata, package
