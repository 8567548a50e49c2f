"""Export: verified rows only, byte-identical files in three formats, manifest, JSON Schema, SQL views."""

from __future__ import annotations

import csv
import hashlib
import json
import os

import duckdb
import jsonschema
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from ingest import exports, review, store
from ingest.cli import cli
from ingest.store import migrations
from reviewdata import ROOT, populate

CLAIM_SCHEMA = json.loads((ROOT / "schemas" / "claim.schema.json").read_text())


@pytest.fixture
def db(tmp_path):
    db = store.open_db(tmp_path / "t.db")
    populate(db)
    grounded = [c["id"] for c in review.claims(db, ungrounded=False, limit=6)]
    review.accept(db, grounded[:3], "ann")
    review.reject(db, grounded[3:4], "ann")
    review.correct(db, grounded[4], {"deal_status": "completed"}, "bob", note="the filing says it closed")
    return db


def verified_ids(db):
    sql = "SELECT id FROM claims WHERE review_status IN ('accepted', 'corrected') AND grounded = 1 ORDER BY id"
    return [r["id"] for r in db.query(sql)]


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_accepted_export_has_only_verified_grounded_claims(db, tmp_path):
    out = tmp_path / "claims.jsonl"
    manifest = exports.export(db, out)
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == verified_ids(db) and len(rows) == 4
    assert {r["review_status"] for r in rows} == {"accepted", "corrected"}
    assert list(rows[0]) == sorted(exports.ExportRow.model_fields)
    doc = db["documents"].get(rows[0]["doc_id"])
    assert (rows[0]["source"], rows[0]["url"], rows[0]["title"]) == (doc["source"], doc["url"], doc["title"])
    assert doc["text"][rows[0]["char_start"] : rows[0]["char_end"]] == rows[0]["quote"]
    assert rows[0]["reviewed_at"].endswith("Z")
    assert manifest.rows == 4 and manifest.status == "accepted"
    assert manifest.runs == sorted({r["run_id"] for r in rows}) == [1]
    assert manifest.schema_version == migrations.schema_version(db)
    assert manifest.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert json.loads(exports.manifest_path(out).read_text()) == manifest.model_dump()


def test_a_corrected_claim_that_lost_its_grounding_is_not_verified(db, tmp_path):
    claim = review.claims(db, ungrounded=True, limit=1)[0]
    review.correct(db, claim["id"], {"subject": "Contoso"}, "ann")
    exports.export(db, tmp_path / "v.jsonl")
    assert claim["id"] not in [r["id"] for r in read_jsonl(tmp_path / "v.jsonl")]
    exports.export(db, tmp_path / "all.jsonl", status="all")
    assert claim["id"] in [r["id"] for r in read_jsonl(tmp_path / "all.jsonl")]


@pytest.mark.parametrize("fmt", exports.FORMATS)
@pytest.mark.parametrize("facts", [False, True])
def test_the_same_database_exports_byte_identical_files(db, tmp_path, fmt, facts):
    first, second = tmp_path / "one" / f"x.{fmt}", tmp_path / "two" / f"x.{fmt}"
    exports.export(db, first, status="all", fmt=fmt, facts=facts)
    exports.export(db, second, status="all", fmt=fmt, facts=facts)
    assert first.stat().st_size > 200
    names = sorted(p.name for p in first.parent.iterdir())
    assert names == sorted([first.name, f"{first.name}.manifest.json", "metadata.json", "datapackage.json"])
    assert names == sorted(p.name for p in second.parent.iterdir())
    for name in names:
        assert (first.parent / name).read_bytes() == (second.parent / name).read_bytes(), name


def test_parquet_and_csv_read_back_with_the_same_rows(db, tmp_path):
    exports.export(db, tmp_path / "c.jsonl", status="all")
    exports.export(db, tmp_path / "c.parquet", status="all")
    exports.export(db, tmp_path / "c.csv", status="all")
    rows = read_jsonl(tmp_path / "c.jsonl")
    con = duckdb.connect()
    result = con.execute(f"SELECT * FROM read_parquet('{tmp_path / 'c.parquet'}') ORDER BY id")
    names = [d[0] for d in result.description]
    from_parquet = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
    assert names == list(exports.ExportRow.model_fields)
    assert from_parquet == rows
    with (tmp_path / "c.csv").open(newline="") as f:
        from_csv = list(csv.DictReader(f))
    assert [int(r["id"]) for r in from_csv] == [r["id"] for r in rows]
    assert [r["quote"] for r in from_csv] == [r["quote"] for r in rows]
    assert [float(r["value"]) if r["value"] else None for r in from_csv] == [r["value"] for r in rows]


@pytest.mark.parametrize("name", [b"claims\xff.parquet", b"rel:x.parquet", b"s3:bucket.parquet"])
def test_parquet_goes_to_any_file_name(db, tmp_path, monkeypatch, name):
    """Found by the fuzz suite: pyarrow took a name with bytes that are not UTF-8, or with a colon, for a URI
    (UnicodeEncodeError, ArrowInvalid tracebacks); the CLI's message shows the name escaped."""
    monkeypatch.chdir(tmp_path)
    db_file = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = CliRunner().invoke(cli, ["export", "-o", os.fsdecode(name), "--status", "all", "--db", db_file])
    assert result.exit_code == 0, result.output
    shown = name.decode("utf-8", "backslashreplace")
    assert (
        result.output.splitlines()[0] == f"wrote {db['claims'].count} rows to {shown} (manifest: {shown}.manifest.json)"
    )
    with open(tmp_path / os.fsdecode(name), "rb") as f:
        assert pq.read_table(f).num_rows == db["claims"].count


def test_every_exported_row_matches_the_committed_schema(db, tmp_path):
    exports.export(db, tmp_path / "all.jsonl", status="all")
    validator = jsonschema.Draft202012Validator(CLAIM_SCHEMA)
    rows = read_jsonl(tmp_path / "all.jsonl")
    assert len(rows) == db["claims"].count
    for row in rows:
        validator.validate(row)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**rows[0], "kind": "merger"})
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({k: v for k, v in rows[0].items() if k != "quote"})


def test_committed_schema_files_are_up_to_date(tmp_path):
    for path in exports.write_schemas(tmp_path):
        committed = ROOT / "schemas" / path.name
        assert committed.exists(), f"{committed} is missing; run exports.write_schemas('schemas')"
        assert committed.read_text() == path.read_text(), f"{committed} is stale; run exports.write_schemas('schemas')"


def test_fact_ledger_export(db, tmp_path):
    manifest = exports.export(db, tmp_path / "facts.jsonl", facts=True)
    rows = read_jsonl(tmp_path / "facts.jsonl")
    facts = {f["key"]: f for f in db["facts"].rows}
    assert [r["key"] for r in rows] == sorted(facts) and len(rows) == manifest.rows > 0
    for row in rows:
        assert row["claim_ids"] == sorted(json.loads(facts[row["key"]]["claim_ids"]))
        assert (row["status"], row["support"]) == (facts[row["key"]]["status"], facts[row["key"]]["support"])
    assert manifest.row_schema == "fact.schema.json"


def test_views_for_browsing(db):
    assert [r["id"] for r in db.query("SELECT id FROM verified_claims ORDER BY id")] == verified_ids(db)
    open_groups = {r["id"]: r for r in db.query("SELECT * FROM open_conflicts")}
    pending = {
        r["conflict_group"]
        for r in db.query("SELECT conflict_group FROM claims WHERE review_status = 'pending'")
        if r["conflict_group"]
    }
    assert set(open_groups) == pending != set()
    assert all(g["pending"] > 0 and g["claims"] >= g["pending"] for g in open_groups.values())


def test_export_command_and_its_errors(db, tmp_path):
    out = tmp_path / "cli.parquet"
    result = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "t.db"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("wrote 4 rows to")
    assert json.loads(exports.manifest_path(out).read_text())["format"] == "parquet"
    bad = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "t.db"), "-o", str(tmp_path)])
    assert bad.exit_code != 0 and "Traceback" not in bad.output
    with pytest.raises(exports.ExportError, match="unknown format 'xml'"):
        exports.export(db, tmp_path / "x.xml", fmt="xml")


def test_conflicts_json_lists_each_sides_claims_as_export_rows(db, tmp_path):
    out = tmp_path / "conflicts.json"
    result = CliRunner().invoke(cli, ["conflicts", "--db", str(tmp_path / "t.db"), "--json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    groups = json.loads(out.read_text())
    assert groups, "the gold articles disagree on at least one fact"
    validator = jsonschema.Draft202012Validator(CLAIM_SCHEMA)
    for group in groups:
        for side in group["sides"]:
            assert [c["id"] for c in side["claims"]] == side["claim_ids"]
            for claim in side["claims"]:
                validator.validate(claim)
                assert claim["conflict_group"] == group["id"]


def test_export_refuses_a_path_that_is_not_a_regular_file(db, tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    (tmp_path / "link.jsonl").symlink_to(target)
    os.mkfifo(tmp_path / "pipe.jsonl")
    for name in ("link.jsonl", "pipe.jsonl"):
        with pytest.raises(exports.ExportError, match="not a regular file"):
            exports.export(db, tmp_path / name, status="all")
    assert target.read_text() == "keep me" and (tmp_path / "pipe.jsonl").is_fifo()
