"""The files written beside an export: Datasette's metadata.json and a Frictionless datapackage.json, validated
with the frictionless library (the data itself for JSONL and CSV; Parquet's descriptor, and its data with pyarrow,
since frictionless reads Parquet only through pandas)."""

from __future__ import annotations

import hashlib
import json

import frictionless
import pyarrow.parquet as pq
import pytest
import sqlite_utils
from click.testing import CliRunner

from conftest import SEEDS
from ingest import catalog, exports, review, store
from ingest.cli import cli
from reviewdata import populate

ARROW_TYPES = {"int64": "integer", "double": "number", "string": "string", "large_string": "string"}


@pytest.fixture
def db(tmp_path):
    db = store.open_db(tmp_path / "t.db")
    populate(db)
    grounded = [c["id"] for c in review.claims(db, ungrounded=False, limit=4)]
    review.accept(db, grounded[:3], "ann")
    review.reject(db, grounded[3:], "ann")
    return db


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeds") / "ingest.db"
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return sqlite_utils.Database(path)


def read_json(path):
    return json.loads(path.read_text())


def test_the_data_package_describes_every_export_in_the_folder_and_validates(db, tmp_path):
    out = tmp_path / "out"
    exports.export(db, out / "claims.jsonl")
    exports.export(db, out / "all.csv", status="all")
    exports.export(db, out / "facts.jsonl", facts=True)
    exports.export(db, out / "all.parquet", status="all")
    package = read_json(out / "datapackage.json")
    assert [r["path"] for r in package["resources"]] == ["all.csv", "all.parquet", "claims.jsonl", "facts.jsonl"]
    report = frictionless.Package.validate_descriptor(package)
    assert report.valid, report.flatten(["type", "note"])
    for resource in package["resources"]:
        manifest = read_json(out / f"{resource['path']}.manifest.json")
        data = (out / resource["path"]).read_bytes()
        assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}" == f"sha256:{manifest['sha256']}"
        assert (resource["rows"], resource["format"]) == (manifest["rows"], manifest["format"])
        assert resource["bytes"] == len(data)
        model = exports.FactRow if resource["path"] == "facts.jsonl" else exports.ExportRow
        assert sorted(f["name"] for f in resource["schema"]["fields"]) == sorted(model.model_fields)
        if resource["format"] == "parquet":
            continue
        report = frictionless.Resource(resource, basepath=str(out)).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
        assert report.tasks[0].stats["rows"] == resource["rows"] > 0
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert (fields["id"]["type"], fields["id"]["constraints"]) == ("integer", {"required": True})
    assert fields["value"]["type"] == "number" and "constraints" not in fields["value"]
    assert fields["kind"]["constraints"]["enum"] == [k.value for k in exports.ClaimKind]
    assert fields["quote"]["description"] == exports.ExportRow.model_fields["quote"].description
    assert fields["title"]["description"] == "The document's title."
    facts = {f["name"]: f for f in package["resources"][3]["schema"]["fields"]}
    assert facts["claim_ids"]["type"] == "array" and package["resources"][3]["schema"]["primaryKey"] == ["key"]


def test_parquet_resources_match_their_descriptor(db, tmp_path):
    exports.export(db, tmp_path / "all.parquet", status="all")
    (resource,) = read_json(tmp_path / "datapackage.json")["resources"]
    table = pq.read_table(tmp_path / "all.parquet")
    assert table.num_rows == resource["rows"] == db["claims"].count
    described = [(f["name"], f["type"]) for f in resource["schema"]["fields"]]
    assert described == [(c.name, ARROW_TYPES[str(c.type)]) for c in table.schema]
    for field in resource["schema"]["fields"]:
        if field.get("constraints", {}).get("required"):
            assert table.column(field["name"]).null_count == 0, field["name"]


def test_a_file_changed_after_export_fails_validation_and_then_drops_out(db, tmp_path):
    exports.export(db, tmp_path / "claims.csv", status="all")
    path = tmp_path / "claims.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # a row lost
    package = read_json(tmp_path / "datapackage.json")
    report = frictionless.validate(package, basepath=str(tmp_path))
    assert not report.valid
    assert {"hash-count", "byte-count", "row-count"} <= {e[0] for e in report.flatten(["type"])}
    first_id = lines[1].split(",", 1)[0]
    path.write_text("".join([lines[0], "x" + lines[1][len(first_id) :], *lines[2:]]))  # an id that is no integer
    resource = {k: v for k, v in package["resources"][0].items() if k not in ("hash", "bytes", "rows")}
    report = frictionless.Resource(resource, basepath=str(tmp_path)).validate()
    assert ["type-error", "id"] in report.flatten(["type", "fieldName"]) and len(report.flatten()) == 2
    exports.export(db, tmp_path / "facts.csv", facts=True)  # the changed file no longer matches its manifest
    assert [r["path"] for r in read_json(tmp_path / "datapackage.json")["resources"]] == ["facts.csv"]


def test_metadata_describes_what_the_database_has(seeded, tmp_path):
    exports.export(seeded, tmp_path / "claims.jsonl", status="all")
    metadata = read_json(tmp_path / "metadata.json")
    assert metadata["title"] and metadata["description"]
    (name,) = metadata["databases"]
    assert name == "ingest"  # Datasette names a database by its file name without the suffix
    tables = metadata["databases"][name]["tables"]
    present = set(seeded.table_names()) | set(seeded.view_names())
    assert set(tables) <= present
    for table in catalog.config()["described"]:
        columns = [c.name for c in seeded[table].columns]
        assert list(tables[table]["columns"]) == sorted(columns), f"{table}: describe every column in datasette.yaml"
        assert all(tables[table]["columns"].values()), table
    for table, entry in tables.items():
        have = {c.name for c in seeded[table].columns}
        assert set(entry.get("columns", {})) <= have and set(entry.get("facets", [])) <= have, table
        assert entry.get("hidden") or entry["description"]
    assert tables["claims"]["facets"][:2] == ["kind", "review_status"]
    assert tables["partnership_overview"]["facets"] == ["status"]
    assert tables["partnership_stale"] == {"hidden": True}
    assert "verified_claims" in tables and "source" in tables["verified_claims"]["columns"]


def test_canned_queries_run_on_the_seeds(seeded):
    queries = catalog.config()["queries"]
    deals = list(seeded.query(queries["company_deals"]["sql"], {"company": "Microsoft"}))
    assert {(d["a"], d["b"]) for d in deals} >= {("Microsoft", "OpenAI")}
    assert all("Microsoft" in (d["a"], d["b"]) for d in deals)
    claims = list(seeded.query(queries["partnership_claims"]["sql"], {"key": "Microsoft|OpenAI"}))
    stored = json.loads(seeded["partnerships"].get("Microsoft|OpenAI")["claim_ids"])
    assert sorted(c["id"] for c in claims) == sorted(stored) and claims
    assert any("2032" in c["quote"] for c in claims)


def test_export_keeps_the_description_files_for_itself(db, tmp_path):
    for name in ("metadata.json", "datapackage.json"):
        with pytest.raises(exports.ExportError, match="written beside every export"):
            exports.export(db, tmp_path / name)
    target = tmp_path / "elsewhere.json"
    target.write_text("keep me")
    (tmp_path / "metadata.json").symlink_to(target)
    result = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "t.db"), "-o", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 2 and "metadata.json is not a regular file" in result.output
    assert len(result.output.strip().splitlines()) == 1 and target.read_text() == "keep me"
    ok = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "t.db"), "-o", str(tmp_path / "sub" / "c.csv")])
    assert ok.exit_code == 0, ok.output
    assert f"{tmp_path / 'sub' / 'datapackage.json'} (Frictionless)" in ok.output
