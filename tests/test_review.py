"""Review decisions: claim rows and audit log written together, validation, undo, bulk and conflict decisions."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from ingest import review, store
from ingest.cli import cli
from ingest.figures import parse_figures
from reviewdata import add_claim, add_document, populate


@pytest.fixture
def db(tmp_path):
    db = store.open_db(tmp_path / "t.db")
    populate(db)
    return db


def grounded_ids(db, n=2, **where):
    return [r["id"] for r in review.claims(db, ungrounded=False, status="pending", limit=n, **where)]


def audit(db):
    return [dict(r) for r in db.query("SELECT * FROM reviews ORDER BY id")]


def test_accept_writes_claims_and_audit_rows_as_one_decision(db):
    ids = grounded_ids(db)
    decision = review.accept(db, ids, "ann", note="checked against the source")
    for claim_id, log in zip(ids, audit(db), strict=True):
        row = db["claims"].get(claim_id)
        assert (row["review_status"], row["reviewer"]) == ("accepted", "ann")
        assert row["reviewed_at"] == log["at"]
        assert (log["claim_id"], log["action"], log["decision"]) == (claim_id, "accept", decision)
        assert log["note"] == "checked against the source"
        assert json.loads(log["before"])["review_status"] == "pending"
        assert json.loads(log["after"])["review_status"] == "accepted"


def test_a_failing_decision_writes_nothing(db):
    good = grounded_ids(db, 1)[0]
    with pytest.raises(review.NotFound, match="no claim with id 999999"):
        review.reject(db, [good, 999999], "ann")
    with pytest.raises(review.ReviewError, match="'x' is not a number"):
        review.reject(db, [good, "x"], "ann")
    assert db["claims"].get(good)["review_status"] == "pending"
    assert audit(db) == []


def test_ungrounded_claims_cannot_be_accepted(db):
    ungrounded = review.claims(db, ungrounded=True, limit=1)[0]["id"]
    with pytest.raises(review.ReviewError, match=f"claim {ungrounded} is not grounded"):
        review.accept(db, [ungrounded], "ann")
    assert audit(db) == []


def test_reviewer_defaults_to_the_os_user(db, monkeypatch):
    monkeypatch.setenv("LOGNAME", "carol")
    review.reject(db, grounded_ids(db, 1))
    assert audit(db)[0]["reviewer"] == "carol"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"value": "thirteen"}, "value: Input should be a valid number"),
        ({"kind": "merger"}, "kind: Input should be"),
        ({"qualifier": "roughly"}, "qualifier: Input should be"),
        ({"char_start": "20", "char_end": "10"}, "char_end must not be before char_start"),
        ({"value_low": "5", "value_high": "1"}, "value_low must not exceed value_high"),
        ({"confidence": "1"}, "cannot edit confidence"),
        ({"quote": "words that are in no article"}, "quote is not in the document text"),
        ({}, "changes nothing"),
        ({"value": "1e308"}, r"value: Input should be less than 1000000000000000"),
        ({"value": "1e15"}, r"value: Input should be less than 1000000000000000"),
        ({"value_low": "1", "value_high": "2e15"}, r"value_high: Input should be less than 1000000000000000"),
        ({"unit": "percent", "value": "101"}, "a value in percent must be between 0 and 100"),
        ({"subject": ""}, "subject: a claim needs a party; give the company's name"),
        ({"subject": "  "}, "subject: a claim needs a party"),
    ],
)
def test_invalid_corrections_are_refused_with_a_clear_message(db, changes, message):
    claim_id = grounded_ids(db, 1)[0]
    before = db["claims"].get(claim_id)
    with pytest.raises(review.InvalidCorrection, match=message):
        review.correct(db, claim_id, changes, "ann")
    assert db["claims"].get(claim_id) == before
    assert audit(db) == []


def test_correct_edits_fields_and_grounds_a_quote_found_in_the_text(db):
    claim = review.claims(db, ungrounded=True, limit=1)[0]
    text = db["documents"].get(claim["doc_id"])["text"]
    figure = next(f for f in parse_figures(text) if f.unit == "USD")
    sentence = text[max(0, figure.start - 30) : figure.end]
    changes = {"quote": sentence, "value": str(figure.value), "unit": "USD", "subject": "Microsoft"}
    review.correct(db, claim["id"], changes, "ann", note="fix")
    row = db["claims"].get(claim["id"])
    assert (row["value"], row["subject"], row["review_status"]) == (figure.value, "Microsoft", "corrected")
    assert text[row["char_start"] : row["char_end"]] == sentence
    assert (row["grounded"], row["alignment"]) == (1, "exact")
    log = audit(db)[-1]
    assert (log["action"], log["note"]) == ("correct", "fix")
    assert json.loads(log["before"])["subject"] == claim["subject"]
    assert json.loads(log["after"])["value"] == figure.value
    review.accept(db, [claim["id"]], "ann")  # grounded by the correction, so it can be verified now


def test_a_corrected_value_the_quote_does_not_state_is_ungrounded(db):
    claim_id = grounded_ids(db, 1)[0]
    review.correct(db, claim_id, {"value": "123456789", "unit": "USD"}, "ann")
    assert db["claims"].get(claim_id)["grounded"] == 0
    with pytest.raises(review.ReviewError, match="not grounded"):
        review.accept(db, [claim_id], "ann")


def test_moving_the_offsets_takes_the_quote_from_the_text(db):
    claim = review.claims(db, ungrounded=False, limit=1)[0]
    start, end = claim["char_start"], claim["char_end"] + 5
    review.correct(db, claim["id"], {"char_end": str(end)}, "ann")
    text = db["documents"].get(claim["doc_id"])["text"]
    assert db["claims"].get(claim["id"])["quote"] == text[start:end]


def test_undo_reverses_decisions_one_at_a_time(db):
    a, b = grounded_ids(db)
    review.accept(db, [a], "ann")
    original = db["claims"].get(b)
    review.correct(db, b, {"subject": "Contoso"}, "ann")
    assert review.undo(db, "ann") == [b]
    assert db["claims"].get(b) == original
    assert review.undo(db, "ann") == [a]
    assert db["claims"].get(a)["review_status"] == "pending"
    with pytest.raises(review.ReviewError, match="no decision left to undo"):
        review.undo(db, "ann")
    undos = [r for r in audit(db) if r["action"] == "undo"]
    assert [r["undoes"] for r in undos] == [2, 1]


def test_undo_is_per_reviewer_and_refuses_to_clobber_a_later_decision(db):
    a, b = grounded_ids(db)
    review.accept(db, [a], "ann")
    review.accept(db, [b], "bob")
    review.reject(db, [a], "bob")
    with pytest.raises(review.ReviewError, match=f"claim {a} has changed since decision 1"):
        review.undo(db, "ann")
    assert review.undo(db, "bob") == [a]
    assert review.undo(db, "ann") == [a]
    assert db["claims"].get(b)["review_status"] == "accepted"


def test_the_audit_log_is_append_only(db):
    review.accept(db, grounded_ids(db, 1), "ann")
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE reviews SET reviewer = 'mallory'")


def test_bulk_accept_needs_enough_independent_sources_that_agree(tmp_path):
    db = store.open_db(tmp_path / "b.db")
    texts = [
        "Amazon invested $4 billion in Anthropic in 2024, the company said.",
        "In 2024 Amazon invested $4 billion in Anthropic, according to filings.",
        "Reports say Amazon invested $9 billion in Anthropic in 2024.",
    ]
    docs = [add_document(db, t, f"https://news{i}.test/a", url=f"https://news{i}.test/a") for i, t in enumerate(texts)]
    fields = {"kind": "investment", "subject": "Amazon", "counterparty": "Anthropic", "unit": "USD", "as_of": "2024"}
    agree = [add_claim(db, d, value=4e9, quote="Amazon invested $4 billion in Anthropic", **fields) for d in docs[:2]]
    review.recompute_conflicts(db)
    key = db["claims"].get(agree[0])["fact_key"]
    assert db["facts"].get(key)["support"] == 2
    with pytest.raises(review.ReviewError, match="2 independent source"):
        review.bulk_accept(db, key, 3, "ann")
    review.bulk_accept(db, key, 2, "ann")
    assert {db["claims"].get(i)["review_status"] for i in agree} == {"accepted"}
    other = add_claim(db, docs[2], value=9e9, quote="Amazon invested $9 billion in Anthropic", **fields)
    review.recompute_conflicts(db)
    key = db["claims"].get(other)["fact_key"]
    with pytest.raises(review.ReviewError, match="settle it in its conflict view"):
        review.bulk_accept(db, key, 1, "ann")
    with pytest.raises(review.NotFound):
        review.bulk_accept(db, "no|such|fact", 1, "ann")


def test_accepting_a_side_settles_a_conflict_in_one_decision(db):
    group_id = db.execute("SELECT MIN(id) FROM conflict_groups").fetchone()[0]
    group = review.conflict(db, group_id)
    chosen = {c["id"] for c in group["sides"][0]["claims"] if c["grounded"]}
    others = {c["id"] for s in group["sides"][1:] for c in s["claims"]}
    assert chosen and others
    review.accept_side(db, group_id, 0, "ann", note="primary source")
    assert {db["claims"].get(i)["review_status"] for i in chosen} == {"accepted"}
    assert {db["claims"].get(i)["review_status"] for i in others} == {"rejected"}
    assert len({r["decision"] for r in audit(db)}) == 1
    assert sorted(review.undo(db, "ann")) == sorted(chosen | others)
    with pytest.raises(review.ReviewError, match="has no side 10"):
        review.accept_side(db, group_id, 9, "ann")
    with pytest.raises(review.NotFound, match="no conflict group"):
        review.accept_side(db, 99999, 0, "ann")


def test_a_rejected_claim_leaves_its_conflict_group(db):
    claim = review.claims(db, conflict=True, limit=1)[0]
    review.reject(db, [claim["id"]], "ann")
    assert db["claims"].get(claim["id"])["conflict_group"] is None


def test_claim_filters_and_keyset_pages(db):
    every = review.claims(db, limit=1000)
    assert len(every) == db["claims"].count == review.count(db)

    def expect(pred):
        return [c["id"] for c in every if pred(c)]

    def got(**filters):
        assert review.count(db, **filters) == len(review.claims(db, limit=1000, **filters))
        return [c["id"] for c in review.claims(db, limit=1000, **filters)]

    assert got(kind="investment") == expect(lambda c: c["kind"] == "investment") != []
    assert got(party="microsoft") == expect(lambda c: "Microsoft" in (c["subject"], c["counterparty"])) != []
    doc = every[0]["doc_id"]
    assert got(doc=doc[:6]) == got(doc=every[0]["source"]) == expect(lambda c: c["doc_id"] == doc)
    assert got(conflict=True) == expect(lambda c: c["conflict_group"] is not None) != []
    assert got(ungrounded=True) == expect(lambda c: not c["grounded"]) != []
    assert got(search="Azure exclusivity") == expect(
        lambda c: {"azure", "exclusivity"} <= set(c["quote"].lower().split())
    )
    assert got(search='"quoted') == []  # a stray quote mark is searched for, not a syntax error
    pages, after = [], None
    while page := review.claims(db, after=after, limit=7):
        pages.append([c["id"] for c in page])
        after = page[-1]["id"]
    assert sum(pages, []) == [c["id"] for c in every]
    assert [c["id"] for c in review.claims(db, before=pages[2][0], limit=7)] == pages[1]
    with pytest.raises(review.ReviewError, match="unknown review status"):
        review.claims(db, status="maybe")


def test_cli_commands_share_the_audit_log(db, tmp_path):
    path = str(tmp_path / "t.db")
    a, b = grounded_ids(db)
    run = CliRunner().invoke
    assert run(cli, ["accept", str(a), "--db", path, "--reviewer", "ann"]).exit_code == 0
    result = run(
        cli, ["correct", str(b), "--db", path, "--value", "13e9", "--subject", "Microsoft", "--reviewer", "ann"]
    )
    assert result.exit_code == 0, result.output
    assert (db["claims"].get(b)["value"], db["claims"].get(b)["subject"]) == (13e9, "Microsoft")
    bad = run(cli, ["correct", str(b), "--db", path, "--value", "lots"])
    assert bad.exit_code == 2 and "value: Input should be a valid number" in bad.output
    assert "Traceback" not in bad.output
    listed = run(cli, ["claims", "--db", path, "--status", "accepted"])
    assert f"#{a}  accepted" in listed.output and db["claims"].get(a)["quote"] in listed.output
    as_json = json.loads(run(cli, ["claims", "--db", path, "--party", "Microsoft", "--json"]).output)
    assert as_json and all("Microsoft" in (c["subject"], c["counterparty"]) for c in as_json)
    assert run(cli, ["undo", "--db", path, "--reviewer", "ann"]).exit_code == 0
    assert db["claims"].get(b)["review_status"] == "pending"
    assert run(cli, ["reject", "999999", "--db", path]).output.strip() == (
        "Error: no claim with id 999999; list claims with `ingest claims`"
    )
    assert [r["action"] for r in audit(db)] == ["accept", "correct", "undo"]


def test_a_decision_that_changes_nothing_is_refused_and_not_logged(db):
    claim_id = grounded_ids(db, 1)[0]
    review.accept(db, [claim_id, claim_id], "ann")
    assert len(audit(db)) == 1
    with pytest.raises(review.ReviewError, match="already accepted"):
        review.accept(db, [claim_id], "ann")
    assert len(audit(db)) == 1
    review.undo(db, "ann")
    assert db["claims"].get(claim_id)["review_status"] == "pending"


def test_party_filter_goes_through_the_alias_table(db):
    microsoft = {c["id"] for c in review.claims(db, party="Microsoft", limit=500)}
    assert microsoft and {c["id"] for c in review.claims(db, party="Azure", limit=500)} == microsoft


def test_an_unknown_fact_status_is_refused(db):
    with pytest.raises(review.ReviewError, match="unknown fact status 'bogus'"):
        review.ledger(db, "bogus")


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["accept", str(2**63)], "IDS..."),
        (["reject", "1", str(2**64)], "IDS..."),
        (["correct", str(2**63), "--value", "1"], "CLAIM_ID"),
        (["settle", str(2**63), "1"], "GROUP"),
        (["claims", "--after", str(2**63)], "--after"),
        (["accept", "--", "-1"], "IDS..."),
        (["correct", "0", "--value", "1"], "CLAIM_ID"),
    ],
)
def test_ids_sqlite_cannot_hold_are_a_usage_error(db, tmp_path, args, name):
    result = CliRunner().invoke(cli, [args[0], "--db", str(tmp_path / "t.db"), *args[1:]])
    assert result.exit_code == 2, result.output
    low = 0 if name == "--after" else 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for '{name}': ")
    assert last.endswith(f"is not in the range {low}<=x<=9223372036854775807.") and "Traceback" not in result.output
    assert db["reviews"].count == 0


def test_a_page_size_past_sqlite_integers_means_all(db, tmp_path):
    result = CliRunner().invoke(cli, ["claims", "--db", str(tmp_path / "t.db"), "--limit", str(2**70), "--json"])
    assert result.exit_code == 0 and len(json.loads(result.output)) == db["claims"].count
    docs = CliRunner().invoke(cli, ["docs", "--db", str(tmp_path / "t.db"), "--limit", str(2**63)])
    assert docs.exit_code == 0 and len(docs.output.splitlines()) == db["documents"].count


def test_correct_refuses_an_absurd_value_in_one_line(db, tmp_path):
    claim_id = grounded_ids(db, 1)[0]
    result = CliRunner().invoke(cli, ["correct", str(claim_id), "--db", str(tmp_path / "t.db"), "--value", "1e308"])
    assert (result.exit_code, result.output) == (
        2,
        f"Error: claim {claim_id}: invalid correction: value: Input should be less than 1000000000000000\n",
    )
    assert audit(db) == []
    unstated = CliRunner().invoke(cli, ["correct", str(claim_id), "--db", str(tmp_path / "t.db"), "--value", "123456"])
    assert unstated.output.endswith(
        f"corrected claim {claim_id} (value); now UNGROUNDED (its quote does not state it all)\n"
    )


def test_the_ledger_and_the_facts_export_hold_only_grounded_claims_not_rejected(db, tmp_path):
    def in_ledger() -> set[int]:
        return {i for f in store.ledger.facts(db) for i in f["claim_ids"]}

    ungrounded = {c["id"] for c in review.claims(db, ungrounded=True, limit=1000)}
    assert ungrounded and in_ledger() and not ungrounded & in_ledger()
    usd = next(c for c in review.claims(db, ungrounded=False, limit=1000) if c["unit"] == "USD" and c["fact_key"])
    review.correct(db, usd["id"], {"value": "123456"}, "ann")  # a figure its quote does not state
    assert db["claims"].get(usd["id"])["grounded"] == 0 and usd["id"] not in in_ledger()
    rejected = sorted(in_ledger())[0]
    review.reject(db, [rejected], "ann")
    assert rejected not in in_ledger()
    out = tmp_path / "facts.jsonl"
    assert CliRunner().invoke(cli, ["export", "--facts", "--db", str(tmp_path / "t.db"), "-o", str(out)]).exit_code == 0
    exported = {i for line in out.read_text().splitlines() for i in json.loads(line)["claim_ids"]}
    assert exported == in_ledger() and not exported & (ungrounded | {usd["id"], rejected})


def test_typed_bytes_that_are_not_utf8_are_stored_escaped(db, tmp_path):
    a, b = grounded_ids(db)
    path = str(tmp_path / "t.db")
    typed = os.fsdecode(b"ann\xff")  # what a shell passes for the byte 0xff in an argument
    run = CliRunner().invoke
    assert run(cli, ["accept", str(a), "--db", path, "--reviewer", typed, "--note", typed]).exit_code == 0
    assert run(cli, ["correct", str(b), "--db", path, "--subject", typed, "--reviewer", typed]).exit_code == 0
    assert run(cli, ["claims", "--db", path, "--party", typed, "--search", typed]).exit_code == 0
    assert run(cli, ["undo", "--db", path, "--reviewer", typed]).output == f"restored claim(s) {b}\n"
    assert {(r["reviewer"], r["note"]) for r in audit(db)} == {("ann\\xff", "ann\\xff"), ("ann\\xff", None)}
