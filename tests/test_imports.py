"""`ingest import-claims`: export rows and gold records, grounded, with provenance, bad lines reported one each."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ingest import exports, imports, pipeline, store
from ingest.cli import cli

TEXT_17 = "date 2024-10-16\n\nAmazon anchors X-energy round\n\nAmazon led a $500m investment in X-energy (€460m).\n"
TEXT_18 = "X-energy raised €385m in a round led by Amazon, the company said.\n"


def gold(doc: str, value, unit="EUR", quote="€460m", when="same fundraising (EUR conversion)", **extra) -> dict:
    return {"doc": doc, "subject": "Amazon", "counterparty": "X-energy", "kind": "investment", "value": value,
            "unit": unit, "date_or_year": when, "quote": quote, **extra}  # fmt: skip


@pytest.fixture
def docs_dir(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "017.json").write_text(json.dumps({"id": "017", "url": "https://x.example/17", "text": TEXT_17}))
    (folder / "018.txt").write_text(TEXT_18)
    return folder


def write_jsonl(path, records) -> str:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records))
    return str(path)


def test_gold_records_are_stored_with_their_documents_grounded_and_with_provenance(db, tmp_path, docs_dir):
    path = write_jsonl(tmp_path / "gold.jsonl", [gold("017", 460e6), gold("018", 385e6, quote="€385m")])
    summary = imports.import_claims(db, path, docs_dir)
    assert (summary.new, summary.grounded, summary.documents, summary.errors) == (2, 2, 2, [])
    rows = exports.claim_rows(db)
    assert [r["origin"] for r in rows] == [f"{path}:1", f"{path}:2"]
    assert {r["extractor"] for r in rows} == {"import"}
    assert [r["source"].rsplit("/", 1)[1] for r in rows] == ["017.json", "018.txt"]  # the file stem is the doc id
    doc = store.documents.get_document(db, rows[0]["doc_id"])
    assert doc.text[rows[0]["char_start"] : rows[0]["char_end"]] == "€460m"
    assert summary.ledger is not None and summary.ledger.claims == 2


def test_reimporting_the_same_file_adds_nothing(db, tmp_path, docs_dir):
    path = write_jsonl(tmp_path / "gold.jsonl", [gold("017", 460e6)])
    imports.import_claims(db, path, docs_dir)
    again = imports.import_claims(db, path, docs_dir)
    assert (again.new, again.known, again.documents) == (0, 1, 0)
    assert db["claims"].count == 1 and db["documents"].count == 1


def test_a_document_stored_by_ingest_run_is_found_by_its_file_stem(db, tmp_path):
    folder = tmp_path / "prepared"
    folder.mkdir()
    (folder / "017.txt").write_text(TEXT_17)
    pipeline.run([str(folder)], db, progress=False)
    path = write_jsonl(tmp_path / "gold.jsonl", [gold("017", 460e6)])
    summary = imports.import_claims(db, path)  # no --docs: the stored document is used
    assert (summary.new, summary.grounded, summary.documents) == (1, 1, 0)
    assert exports.claim_rows(db)[0]["source"].endswith("017.txt")


def test_the_same_text_from_a_docs_folder_is_the_document_ingest_run_stored(db, tmp_path, docs_dir):
    folder = tmp_path / "prepared"
    folder.mkdir()
    (folder / "017.txt").write_text(TEXT_17)
    pipeline.run([str(folder)], db, progress=False)
    summary = imports.import_claims(db, write_jsonl(tmp_path / "g.jsonl", [gold("017", 460e6)]), docs_dir)
    assert summary.documents == 0 and db["documents"].count == 1


def test_date_or_year_gives_qualifier_status_and_as_of():
    assert imports.from_gold(gold("1", 30e9, when="rumoured (Bloomberg); nearly; project completion by 2029")) == {
        **{k: v for k, v in gold("1", 30e9).items() if k not in ("doc", "date_or_year")},
        "qualifier": "nearly", "deal_status": "rumored", "as_of": None,
    }  # fmt: skip
    assert imports.gold_as_of("initial lease, June 2025; around") == "2025-06"
    assert imports.gold_as_of("from 24th of this month (July 2025) to 2033-12-31, ~8y5m") == "2025-07"
    assert imports.gold_as_of("2024-07-24 to 2033-12-31 (as stated)") == "2024-07"
    assert imports.gold_as_of("2025年11月時点; Series B; 約 (about)") == "2025-11"
    assert imports.gold_as_of("late October (2025)") == "2025-10"
    assert imports.gold_as_of("up to; through 2042; full capacity by 2032 (stated as 1.92MW)") is None
    assert imports.gold_qualifier("more than (mehr als); start 2026") == "more_than"
    assert imports.gold_qualifier("over five years; reportedly; May 22 (2024)") == "exact"  # "over" only alone
    assert imports.gold_qualifier("cumulative; over") == "more_than"
    assert imports.gold_qualifier("ramp: 840–1,200 MW by 2029 (upper bound)") == "up_to"
    assert imports.gold_status("loan; in talks (FT report)") == "rumored"


def test_a_gold_value_at_the_end_of_a_range_its_quote_states_keeps_the_range():
    # dev b 052: EUR 50bn "encoded at its upper end"; dev a 032: 1.2 GW of "between 840 MW and 1,200 MW"
    quote = "Ces investissements devraient être de l'ordre de 30 milliards à 50 milliards d'euros"
    record = gold("1", 50e9, quote=quote, when="planned; range 30–50 milliards (upper end)")
    fields = imports.from_gold(record)
    assert (fields["qualifier"], fields["value_low"], fields["value_high"], fields["deal_status"]) == (
        "range",
        30e9,
        50e9,
        "planned",
    )
    quote = "between 840 MW and 1,200 MW by 2029"
    assert imports.gold_range(1.2, "GW", quote) == {"qualifier": "range", "value_low": 0.84, "value_high": 1.2}
    assert imports.gold_range(1.0, "GW", quote) == {}  # not an end of it
    assert imports.gold_range(50e9, "EUR", "dont 50 milliards d'euros provenant des Émirats arabes unis") == {}


def test_export_rows_round_trip_into_another_database(db, tmp_path, docs_dir):
    imports.import_claims(db, write_jsonl(tmp_path / "gold.jsonl", [gold("017", 460e6)]), docs_dir)
    rows = exports.claim_rows(db)
    other = store.open_db(tmp_path / "other.db")
    summary = imports.import_claims(other, write_jsonl(tmp_path / "rows.jsonl", rows))
    assert (summary.new, summary.ungrounded, summary.documents) == (1, 1, 1)  # known by its source alone
    row = exports.claim_rows(other)[0]
    assert (row["source"], row["value"], row["unit"], row["quote"]) == (rows[0]["source"], 460e6, "EUR", "€460m")
    same_db = imports.import_claims(db, write_jsonl(tmp_path / "rows2.jsonl", rows))
    assert (same_db.new, same_db.known, same_db.documents) == (0, 1, 0)  # the stored document, the same claim


def test_bad_lines_are_reported_one_each_and_lose_nothing(db, tmp_path, docs_dir):
    imports.import_claims(db, write_jsonl(tmp_path / "first.jsonl", [gold("017", 460e6)]), docs_dir)
    before = list(db.query("SELECT id, value, unit FROM claims"))
    records = [
        gold("018", 385e6, quote="€385m"),
        "{not json",
        gold("018", 20.4, unit="USD/share", quote="$20.40"),
        {**gold("018", 1.0), "kind": "merger"},
        gold("099", 1e9),
        "[1, 2]",
    ]
    path = write_jsonl(tmp_path / "mixed.jsonl", records)
    summary = imports.import_claims(db, path, docs_dir)
    assert summary.new == 1
    assert [e.split(": ", 1)[0] for e in summary.errors] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6)]
    assert "not valid JSON" in summary.errors[0]
    assert "unit 'USD/share' is not a claim unit" in summary.errors[1]
    assert "kind" in summary.errors[2] and "099" in summary.errors[3] and "not a JSON object" in summary.errors[4]
    assert all("\n" not in e for e in summary.errors)
    assert list(db.query("SELECT id, value, unit FROM claims WHERE id IN (1)")) == before


def test_a_json_list_reports_the_line_each_record_starts_on(db, tmp_path, docs_dir):
    path = tmp_path / "gold.json"
    path.write_text(json.dumps([gold("017", 460e6), gold("018", 1.0, unit="dollars")], indent=1))
    summary = imports.import_claims(db, path, docs_dir)
    second = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if line == " {"][1]
    assert summary.new == 1 and summary.errors[0].startswith(f"{path}:{second}: unit 'dollars'")


def test_a_broken_json_list_imports_nothing_and_says_where(db, tmp_path):
    path = tmp_path / "gold.json"
    path.write_text('[\n{"doc": "017"},\n{"doc": \n')
    with pytest.raises(imports.ImportFileError, match=r"gold.json:4: not valid JSON"):
        imports.import_claims(db, path)
    assert db["claims"].count == 0


def test_cli_imports_and_the_ledger_sees_the_claims(db_file, tmp_path, docs_dir):
    path = write_jsonl(tmp_path / "gold.jsonl", [gold("017", 460e6), gold("018", 385e6, quote="€385m"), "oops"])
    runner = CliRunner()
    result = runner.invoke(cli, ["import-claims", path, "--docs", str(docs_dir), "--db", str(db_file)])
    assert result.exit_code == 1
    assert f"skipped {path}:3: not valid JSON" in result.stderr
    assert "imported 2 claims from 3 records (2 grounded, 0 ungrounded; 1 skipped; 2 documents stored)" in result.stdout
    db = store.open_db(db_file)
    assert len(store.ledger.conflicts(db)) == 1  # EUR 460m vs EUR 385m for the same round
    out = runner.invoke(cli, ["import-claims", str(tmp_path / "missing.jsonl"), "--db", str(db_file)])
    assert out.exit_code == 2 and "does not exist" in out.output
