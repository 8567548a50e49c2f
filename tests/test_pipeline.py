import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from conftest import ROOT, SEEDS
from ingest import pipeline, store
from ingest.cli import cli

PAGES = ROOT / "tests" / "data" / "pages"


def documents(db_file) -> set[tuple[str, str]]:
    db = store.open_db(db_file)
    return {(r["id"], r["source"]) for r in db.query("SELECT id, source FROM documents")}


def stored(db_file, table: str = "documents") -> int:
    """Rows of a table (documents) in a database another process is writing (0 while it is being created)."""
    try:
        with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_run_seeds_then_rerun_is_a_no_op(db_file):
    db = store.open_db(db_file)
    first = pipeline.run([str(SEEDS)], db, progress=False)
    assert first.counts["new"] == 5 and first.counts["failed"] == 0
    second = pipeline.run([str(SEEDS)], db, progress=False)
    assert second.counts == {
        "new": 0, "new_version": 0, "unchanged": 5, "not_modified": 0, "near_duplicate": 0, "skipped": 0, "failed": 0
    }  # fmt: skip
    assert db["documents"].count == 5
    assert db["runs"].count == 2


def test_near_duplicate_is_linked_to_first_copy(db_file, tmp_path):
    original = (SEEDS / "003_d7fefb84050091a1.txt").read_text()
    copy = tmp_path / "syndicated.txt"
    copy.write_text("Syndicated by Example Wire.\n" + original.replace("Microsoft", "Microsoft Corp.", 2))
    db = store.open_db(db_file)
    pipeline.run([str(SEEDS / "003_d7fefb84050091a1.txt")], db, progress=False)
    summary = pipeline.run([str(copy)], db, progress=False)
    assert summary.counts["near_duplicate"] == 1
    row = next(db.query("SELECT duplicate_of FROM documents WHERE source = ?", [str(copy)]))
    assert row["duplicate_of"] == next(db.query("SELECT id FROM documents WHERE duplicate_of IS NULL"))["id"]


def test_bad_sources_do_not_stop_the_batch(db_file, tmp_path):
    binary = tmp_path / "junk.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    empty = tmp_path / "empty.md"
    empty.write_text("  \n")
    result = CliRunner().invoke(
        cli, ["run", str(SEEDS), str(tmp_path / "missing.txt"), str(binary), str(empty), "--db", str(db_file), "--json"]
    )
    assert result.exit_code == 1
    summary = json.loads(result.output)
    assert summary["counts"]["new"] == 5 and summary["counts"]["failed"] == 3
    db = store.open_db(db_file)
    assert db["errors"].count == 3
    assert db["runs"].get(summary["run_id"])["status"] == "completed"


def test_cli_run_prints_summary_and_database(db_file):
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    assert "new                    5" in result.output
    assert f"database: {db_file}" in result.output
    docs = CliRunner().invoke(cli, ["docs", "--db", str(db_file), "--json"])
    doc_id = json.loads(docs.output)[0]["id"]
    shown = CliRunner().invoke(cli, ["show", doc_id[:8], "--db", str(db_file)])
    assert shown.exit_code == 0 and f"id: {doc_id}" in shown.output
    missing = CliRunner().invoke(cli, ["show", "zzzz", "--db", str(db_file)])
    assert missing.exit_code == 2 and "no document 'zzzz'" in missing.output


def test_cli_without_sources_is_a_usage_error(db_file):
    result = CliRunner().invoke(cli, ["run", "--db", str(db_file)])
    assert result.exit_code == 2 and "no sources" in result.output


def test_kill_9_mid_run_then_rerun_equals_one_clean_run(tmp_path):
    """A run killed with SIGKILL leaves a consistent database; running again finishes the job."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(8):  # enough documents that the kill lands mid-run
        for page in sorted(PAGES.glob("*.html.gz")):
            shutil.copyfile(page, corpus / f"{i}_{page.name}")
        (corpus / f"{i}_seed.txt").write_text(f"Copy {i}.\n" + (SEEDS / "004_0001dc4371515a91.txt").read_text())
    killed_db, clean_db = tmp_path / "killed.db", tmp_path / "clean.db"
    cmd = [sys.executable, "-m", "ingest", "run", str(corpus), "--db", str(killed_db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and stored(killed_db) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = store.open_db(killed_db)["documents"].count
    assert 3 <= partial < len(list(corpus.iterdir())), "the kill should land mid-run"
    subprocess.run(cmd, check=True, capture_output=True)
    subprocess.run([*cmd[:-1], str(clean_db)], check=True, capture_output=True)
    assert documents(killed_db) == documents(clean_db)
    statuses = [r["status"] for r in store.open_db(killed_db).query("SELECT status FROM runs ORDER BY id")]
    assert statuses == ["interrupted", "completed"]
    assert store.open_db(killed_db).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_review_decision_during_a_run_waits_for_the_lock_instead_of_failing(tmp_path):
    """Two writers on one database: the run and the reviewer each wait their turn (BEGIN IMMEDIATE)."""
    from ingest import review

    db_file = tmp_path / "shared.db"
    pipeline.run([str(SEEDS)], store.open_db(db_file), extract=pipeline.ExtractOptions(), progress=False)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(6):
        (corpus / f"{i}.txt").write_text(f"Copy {i}.\n" + (SEEDS / "003_d7fefb84050091a1.txt").read_text())
    cmd = [sys.executable, "-m", "ingest", "run", str(corpus), "--db", str(db_file)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    db = store.open_db(db_file)
    ids = [r["id"] for r in db.query("SELECT id FROM claims WHERE grounded = 1 ORDER BY id LIMIT 6")]
    decisions = 0
    while proc.poll() is None and decisions < 30:
        review.reject(db, ids[decisions % len(ids) : decisions % len(ids) + 1], "ann")
        review.undo(db, "ann")
        decisions += 2
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert decisions > 0
    assert [r["status"] for r in db.query("SELECT status FROM runs ORDER BY id")] == ["completed", "completed"]


def test_a_document_whose_extraction_fails_is_recorded_and_retried_next_run(db, monkeypatch):
    from ingest import extract

    real = extract.extract

    def failing(doc, *args, **kwargs):
        if "003_" in doc.source:
            raise ValueError("the model returned an impossible figure")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(extract, "extract", failing)
    first = pipeline.run([str(SEEDS)], db, extract=pipeline.ExtractOptions(), progress=False)
    assert first.status == "completed" and first.claims["documents"] == 4
    assert [(e.stage, e.source.endswith("003_d7fefb84050091a1.txt")) for e in first.failed] == [("extract", True)]
    assert db["errors"].count == 1
    monkeypatch.setattr(extract, "extract", real)
    second = pipeline.run([str(SEEDS)], db, extract=pipeline.ExtractOptions(), progress=False)
    assert second.claims["documents"] == 1 and not second.failed


def test_show_names_a_document_by_source_and_refuses_an_ambiguous_prefix(db_file):
    CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(db_file), "--extractor", "none"])
    source = str(SEEDS / "004_0001dc4371515a91.txt")
    assert "title: WHERE DEPENDENCE SITS" in CliRunner().invoke(cli, ["show", source, "--db", str(db_file)]).output
    ambiguous = CliRunner().invoke(cli, ["show", "", "--db", str(db_file)])
    assert ambiguous.exit_code == 2 and "names several documents" in ambiguous.output


def test_settle_a_seed_conflict_from_the_terminal_then_undo(db_file):
    CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(db_file)])
    db = store.open_db(db_file)
    [group] = list(db.query("SELECT id FROM conflict_groups WHERE reason LIKE 'date: 2019%'"))
    result = CliRunner().invoke(cli, ["settle", str(group["id"]), "2", "--db", str(db_file), "--reviewer", "ann"])
    assert result.exit_code == 0, result.output
    statuses = {
        r["as_of"]: r["review_status"]
        for r in db.query(
            "SELECT as_of, review_status FROM claims WHERE kind = 'partnership_start' AND subject = 'Microsoft'"
        )
    }
    assert statuses == {"2019": "rejected", "2021": "accepted"}
    assert db["conflict_groups"].count == 0
    CliRunner().invoke(cli, ["undo", "--db", str(db_file), "--reviewer", "ann"])
    assert db["conflict_groups"].count == 1
    missing = CliRunner().invoke(cli, ["settle", str(group["id"]), "9", "--db", str(db_file)])
    assert missing.exit_code == 2 and "has no side" in missing.output


def test_a_file_name_not_utf8_and_a_malformed_url_do_not_stop_the_batch(db_file, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS / "003_d7fefb84050091a1.txt", folder / "good.txt")
    with open(os.fsencode(folder) + b"/bad\xffname.txt", "wb") as f:  # a Latin-1 name on a UTF-8 system
        f.write((SEEDS / "004_0001dc4371515a91.txt").read_bytes())
    result = CliRunner().invoke(cli, ["run", str(folder), "http://[::1", "--db", str(db_file)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "  failed: http://[::1: invalid URL: Invalid IPv6 URL; check the brackets, host and port\n" in result.output
    escaped = f"{folder}/bad\\xffname.txt"  # the byte shown, and stored, as \xff
    assert f"new             {escaped}\n" in result.output
    assert {source for _, source in documents(db_file)} == {escaped, str(folder / "good.txt")}
    for typed in (escaped, os.fsdecode(os.fsencode(folder) + b"/bad\xffname.txt")):
        shown = CliRunner().invoke(cli, ["show", typed, "--db", str(db_file)])
        assert shown.exit_code == 0 and f"source: {escaped}\n" in shown.output


@pytest.mark.parametrize("error", [ValueError, ZeroDivisionError])
def test_any_error_extracting_one_document_is_recorded_against_it(db, monkeypatch, error):
    from ingest import extract

    real = extract.extract

    def failing(doc, *args, **kwargs):
        if "003_" in doc.source:
            raise error("a bug in one document's extraction")
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(extract, "extract", failing)
    summary = pipeline.run([str(SEEDS)], db, extract=pipeline.ExtractOptions(), progress=False)
    assert summary.status == "completed" and summary.claims["documents"] == 4
    assert [e.message for e in summary.failed] == ["could not extract: a bug in one document's extraction"]


def test_near_duplicates_add_evidence_not_claims_to_the_review_queue(db_file, tmp_path):
    original = (SEEDS / "003_d7fefb84050091a1.txt").read_text()
    folder = tmp_path / "copies"
    folder.mkdir()
    for n in range(6):  # syndicated copies: a line of their own on top, a name spelled out
        text = f"Syndicated by Example Wire {n}.\n" + original.replace("Microsoft", "Microsoft Corp.", n % 3)
        (folder / f"near{n}.txt").write_text(text)
        (folder / f"same{n}.txt").write_text(original)
    db = store.open_db(db_file)
    alone = pipeline.run(
        [str(SEEDS / "003_d7fefb84050091a1.txt")], db, extract=pipeline.ExtractOptions(), progress=False
    )
    claims = db["claims"].count
    summary = pipeline.run([str(folder)], db, extract=pipeline.ExtractOptions(), progress=False)
    assert summary.counts["near_duplicate"] == 6 and summary.claims["new"] == 0
    assert db["claims"].count == claims == alone.claims["new"]
    copies = {r["id"] for r in db.query("SELECT id FROM documents WHERE duplicate_of IS NOT NULL")}
    attached = {r["doc_id"] for r in db.query("SELECT DISTINCT doc_id FROM evidence")}
    assert copies and copies <= attached
    assert {f["support"] for f in db.query("SELECT support FROM facts")} == {1}
    spans = db["evidence"].count
    db["extractions"].delete_where()  # extract everything again: nothing is added twice
    pipeline.run(
        [str(SEEDS / "003_d7fefb84050091a1.txt"), str(folder)], db, extract=pipeline.ExtractOptions(), progress=False
    )
    assert (db["claims"].count, db["evidence"].count) == (claims, spans)


def test_parties_lists_claim_counts_and_marks_names_missing_from_the_alias_table(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Initech agreed to acquire Globex for $4.1 billion. Amazon invested $4 billion in Anthropic."
    )
    db_file = tmp_path / "p.db"
    assert CliRunner().invoke(cli, ["run", str(folder), "--db", str(db_file)]).exit_code == 0
    rows = json.loads(CliRunner().invoke(cli, ["parties", "--db", str(db_file), "--json"]).output)
    listed = {r["name"]: r["listed"] for r in rows}
    assert listed["Amazon"] is True and listed["Anthropic"] is True
    assert {"Initech", "Globex"} & {n for n, ok in listed.items() if not ok}
    out = CliRunner().invoke(cli, ["parties", "--db", str(db_file), "--unlisted"]).output
    assert "*" in out and "Amazon" not in out
