"""Partnerships: the pure computation on typed rows, the stored table on the seeds, its refresh after review
decisions, and `ingest partnerships`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import SEEDS
from ingest import partnerships as pt
from ingest import review, store
from ingest.cli import cli


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeds") / "seeds.db"
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return path


def claim(i: int, kind: str, subject: str, counterparty: str, **kw) -> pt.ClaimIn:
    doc = kw.pop("doc", f"d{i}")
    return pt.ClaimIn(
        id=i, kind=kind, subject=subject, counterparty=counterparty, doc_id=doc, source_id=kw.pop("source", doc),
        fact_key=kw.pop("fact_key", f"f{i}"), **kw,
    )  # fmt: skip


def fact(c: pt.ClaimIn, status: str = "single_source", support: int = 1) -> pt.FactIn:
    return pt.FactIn(key=c.fact_key, kind=c.kind, subject=c.subject, counterparty=c.counterparty, unit=c.unit,
                     as_of=c.as_of, value=c.value, status=status, support=support, claim_ids=[c.id])  # fmt: skip


def built(claims, signals=(), groups=()):
    return {p.key: p for p in pt.build(claims, [fact(c) for c in claims], signals, groups)}


def test_microsoft_openai_on_the_seeds_is_restructured_with_its_terms(seeded):
    db = store.open_db(seeded)
    (p,) = pt.partnerships(db, "Microsoft")
    assert (p.a, p.b, p.status) == ("Microsoft", "OpenAI", "restructured")
    assert p.first.as_of == "2019" and p.first.kind in ("investment", "partnership_start")
    invested = p.total("investment")
    assert [(f.subject, f.counterparty, f.value, f.qualifier) for f in invested] == [
        ("Microsoft", "OpenAI", 13e9, "more_than")
    ]
    assert invested[0].text == "more than $13.0B"
    compute = p.total("compute_commitment")
    assert [(f.subject, f.counterparty, f.value, f.unit) for f in compute] == [("OpenAI", "Microsoft", 250e9, "USD")]
    rights = {r.kind: r for r in p.rights}
    assert rights["rofr"].state == "ended" and rights["rofr"].holder == "Microsoft"
    assert (rights["ip_rights"].state, rights["ip_rights"].end_year) == ("granted", 2032)
    assert rights["exclusivity"].state == "ended"
    uses = {u.id: u for u in p.patterns}
    multi_home = uses["hyperscaler-exclusive-then-multi-home"]
    assert {"formation", "restructure"} <= set(multi_home.phases)
    assert any("Microsoft" in s.quote and "OpenAI" in s.quote for s in multi_home.passages)
    assert (
        p.sources == len({c["doc_id"] for c in store.partnerships.ledger_pair_claims(db, ["Microsoft", "OpenAI"])}) >= 3
    )
    assert p.conflicts and all(isinstance(i, int) for i in p.conflicts)  # 2019 vs 2021 start
    assert p.directions["OpenAI -> Microsoft"] >= 1 and p.directions["Microsoft -> OpenAI"] > 1
    # the stored row Datasette shows
    row = db["partnerships"].get("Microsoft|OpenAI")
    assert row["status"] == "restructured" and row["first_date"] == "2019" and row["invested_usd"] == 13e9
    assert "ROFR (Microsoft) ended" in row["rights"] and "to 2032" in row["rights"]
    assert "hyperscaler-exclusive-then-multi-home" in json.loads(row["patterns"])
    view = list(db.query("SELECT status FROM partnership_overview WHERE key = 'Microsoft|OpenAI'"))
    assert view == [{"status": "restructured"}]


def test_rights_take_the_latest_claims_and_an_undated_end_outranks_a_grant():
    grant = claim(1, "rofr", "M", "O", as_of="2019")
    end = claim(2, "rofr", "M", "O", deal_status="ended")
    assert built([grant, end])["M|O"].rights[0].state == "ended"
    regrant = claim(3, "rofr", "M", "O", as_of="2026")
    dated_end = claim(4, "rofr", "M", "O", deal_status="ended", as_of="2025")
    (right,) = built([grant, dated_end, regrant])["M|O"].rights
    assert (right.state, right.claim_ids) == ("granted", [1, 3, 4])
    kept = claim(5, "ip_rights", "M", "O", value=2032, unit="year", deal_status="retained")
    assert built([kept])["M|O"].rights[0].text == "IP rights (M) to 2032 retained"


def test_status_active_restructured_ended():
    money = claim(1, "investment", "A", "B", value=1e9, unit="USD", as_of="2020")
    assert built([money])["A|B"].status == "active"
    excl = claim(2, "exclusivity", "A", "B", as_of="2020")
    lost = claim(3, "exclusivity", "A", "B", as_of="2023", deal_status="ended")
    ip = claim(4, "ip_rights", "A", "B", value=2030, unit="year")
    assert built([money, excl, lost, ip])["A|B"].status == "restructured"  # a right ended, another in force
    assert built([money, excl, lost])["A|B"].status == "ended"  # nothing in force after the end
    later = claim(5, "investment", "A", "B", value=2e9, unit="USD", as_of="2024", deal_status="completed")
    assert built([money, excl, lost, later])["A|B"].status == "restructured"  # a deal after the end
    renegotiated = claim(6, "compute_commitment", "B", "A", value=5e9, unit="USD", quote="the terms were renegotiated")
    assert built([money, renegotiated])["A|B"].status == "restructured"


def test_pairs_keep_direction_count_sources_once_and_skip_self_pairs():
    a = claim(1, "investment", "Amazon", "Anthropic", value=4e9, unit="USD", doc="d1", source="d1", as_of="2023")
    copy = claim(2, "investment", "Amazon", "Anthropic", value=8e9, unit="USD", doc="d2", source="d1", as_of="2024")
    back = claim(3, "compute_commitment", "Anthropic", "Amazon", value=1e6, unit="chips", doc="d3")
    self_pair = claim(4, "investment", "Amazon", "amazon", value=1e9, unit="USD")
    found = built([a, copy, back, self_pair])
    assert list(found) == ["Amazon|Anthropic"]
    p = found["Amazon|Anthropic"]
    assert p.sources == 2 and p.claims == 3
    assert p.directions == {"Amazon -> Anthropic": 2, "Anthropic -> Amazon": 1}
    assert [(f.kind, f.value) for f in p.totals] == [("investment", 8e9), ("compute_commitment", 1e6)]
    assert (p.first.as_of, p.latest.as_of) == ("2023", "2024")
    (edge,) = [e for e in pt.edges(p) if e.kind == "investment"]
    assert (edge.value, edge.first_date, edge.latest_date, edge.facts) == (8e9, "2023", "2024", 2)


def test_patterns_come_from_passages_naming_both_or_from_single_pair_documents():
    x = claim(1, "investment", "A", "B", doc="d1")
    y = claim(2, "investment", "C", "D", doc="d1")
    z = claim(3, "investment", "A", "B", doc="d2")
    both = pt.SignalIn(id=1, doc_id="d1", pattern="partner-to-competitor", quote="A and B compete", names=["A", "B"])
    other = pt.SignalIn(id=2, doc_id="d1", pattern="oem-third-party-model", quote="C embeds D", names=["C", "D"])
    alone = pt.SignalIn(id=3, doc_id="d2", pattern="kill-rofr-as-anchor", quote="an effective veto", names=[])
    found = built([x, y, z], [both, other, alone])
    assert {u.id for u in found["A|B"].patterns} == {"partner-to-competitor", "kill-rofr-as-anchor"}
    assert [u.kind for u in found["A|B"].patterns] == ["pattern", "kill_list"]
    assert {u.id for u in found["C|D"].patterns} == {"oem-third-party-model"}


def stored(db) -> dict:
    return {r["key"]: {k: v for k, v in r.items()} for r in db["partnerships"].rows}


def test_review_decisions_refresh_the_stored_partnerships_as_a_full_rebuild_does(seeded, tmp_path):
    path = tmp_path / "copy.db"
    with sqlite3.connect(seeded) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    db = store.open_db(path)
    ended = [r["id"] for r in db.query("SELECT id FROM claims WHERE kind = 'rofr' AND deal_status = 'ended'")]
    review.reject(db, ended, "ann")
    assert "Microsoft|OpenAI" in [r["key"] for r in db["partnership_stale"].rows]  # rebuilt when next read
    assert "ROFR (Microsoft) ended" in db["partnerships"].get("Microsoft|OpenAI")["rights"]
    assert "Microsoft|OpenAI" in [p.key for p in pt.partnerships(db, "OpenAI ")]
    assert not db["partnership_stale"].count
    assert "ROFR (Microsoft) granted" in db["partnerships"].get("Microsoft|OpenAI")["rights"]
    oracle = [r["id"] for r in db.query("SELECT id FROM claims WHERE subject = 'OpenAI' AND counterparty = 'Oracle'")]
    review.correct(db, oracle[0], {"counterparty": "Microsoft"}, "ann")  # the claim moves to another pair
    assert {r["key"] for r in db["partnership_stale"].rows} == {"Microsoft|OpenAI", "OpenAI|Oracle"}
    assert pt.refresh_stale(db) == 1  # the pair it left has no claim left
    after = stored(db)
    assert "OpenAI|Oracle" not in after
    assert oracle[0] in json.loads(after["Microsoft|OpenAI"]["claim_ids"])
    pt.refresh(db)
    assert stored(db) == after
    review.undo(db, "ann")
    assert "OpenAI|Oracle" in {p.key for p in pt.partnerships(db)}


def test_cli_lists_filters_and_prints_json(seeded):
    runner = CliRunner()
    out = runner.invoke(cli, ["partnerships", "--db", str(seeded)])
    assert out.exit_code == 0 and "Microsoft – OpenAI" in out.output and "restructured" in out.output
    data = json.loads(runner.invoke(cli, ["partnerships", "--db", str(seeded), "--company", "Azure", "--json"]).output)
    assert [p["key"] for p in data] == ["Microsoft|OpenAI"] and data[0]["timeline"]
    bad = runner.invoke(cli, ["partnerships", "--db", str(seeded), "--company", "Nobody Inc"])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "no partnership of 'Nobody Inc'" in bad.output
