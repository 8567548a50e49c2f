"""Fact ledger and conflict detection: one hand-made case per conflict and non-conflict category."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest import conflicts, exports, review, store
from ingest.cli import cli

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


def add_doc(db, doc_id: str, published: str | None = "2025-01-01", duplicate_of: str | None = None) -> str:
    db["documents"].insert(
        {
            "id": doc_id,
            "source": f"https://{doc_id}.example/{doc_id}",
            "url": f"https://{doc_id}.example/{doc_id}",
            "title": f"Article {doc_id}",
            "published": published,
            "content_type": "text",
            "raw": doc_id,
            "text": doc_id,
            "content_hash": hashlib.sha256(doc_id.encode()).hexdigest(),
            "duplicate_of": duplicate_of,
        }
    )
    return doc_id


def add_claim(db, doc_id: str, kind: str = "investment", value: float | None = 10e9, **fields) -> int:
    row = {
        "doc_id": doc_id,
        "kind": kind,
        "subject": "Microsoft",
        "counterparty": "OpenAI",
        "value": value,
        "unit": "USD",
        "qualifier": "exact",
        "quote": f"{kind} of {value}",
        "grounded": 1,
        **fields,
    }
    row["claim_key"] = hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()
    return db["claims"].insert(row).last_pk


def docs(db, n: int) -> list[str]:
    return [add_doc(db, f"d{i}") for i in range(n)]


def only_group(db) -> dict:
    groups = store.ledger.conflicts(db)
    assert len(groups) == 1, [g["reason"] for g in groups]
    return groups[0]


# ---------------------------------------------------------------- conflicts


def test_value_conflict_reports_majority_and_sources_side_by_side(db):
    a, b, c = docs(db, 3)
    ids = [add_claim(db, a, value=13e9), add_claim(db, b, value=13e9), add_claim(db, c, value=10e9)]
    summary = store.ledger.recompute(db)
    assert summary.groups == 1 and summary.by_status["conflicting"] == 1
    g = only_group(db)
    assert g["disagreement"] == "value"
    assert g["reason"] == "value: $13.0B (2 sources) vs $10.0B (1 source), 23% apart"
    assert g["majority_value"] == 13e9
    assert [s["support"] for s in g["sides"]] == [2, 1]
    assert {c["doc_id"] for c in g["sides"][0]["claims"]} == {a, b}
    assert g["sides"][1]["claims"][0]["quote"] and g["sides"][1]["claims"][0]["url"].endswith(c)
    assert {r["conflict_group"] for r in db["claims"].rows_where("id in (?, ?, ?)", ids)} == {g["id"]}


def test_detection_returns_typed_facts_and_groups():
    rows = [
        {"id": i, "kind": "investment", "subject": "Microsoft", "counterparty": "OpenAI", "value": v, "unit": "USD",
         "doc_id": f"d{i}", "published": "2025-01-01"}
        for i, v in enumerate((13e9, 13e9, 10e9), start=1)
    ]  # fmt: skip
    ledger = conflicts.detect(rows)
    (fact,), (group,) = ledger.facts, ledger.groups
    assert isinstance(fact, conflicts.Fact) and isinstance(group, conflicts.ConflictGroup)
    assert (fact.status, fact.value, fact.support, fact.claim_ids, fact.conflict_group) == (
        "conflicting", 13e9, 3, [1, 2, 3], 1,
    )  # fmt: skip
    assert (group.id, group.fact_key, group.disagreement, group.majority_value, group.support) == (
        1, fact.key, "value", 13e9, 3,
    )  # fmt: skip
    assert all(isinstance(s, conflicts.Side) for s in group.sides)
    assert [(s.label, s.support, s.claim_ids, s.doc_ids) for s in group.sides] == [
        ("$13.0B", 2, [1, 2], ["d1", "d2"]),
        ("$10.0B", 1, [3], ["d3"]),
    ]


def test_date_conflict_for_the_same_event_whatever_the_party_order(db):
    a, b = docs(db, 2)
    add_claim(db, a, "partnership_start", 2019, unit="year", as_of="2019")
    add_claim(db, b, "partnership_start", 2021, unit="year", as_of="2021", subject="OpenAI", counterparty="Microsoft")
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "date"
    assert g["reason"] == "date: 2019 (1 source) vs 2021 (1 source), 2 years apart"
    assert g["majority_value"] is None


def test_parties_are_compared_after_alias_resolution(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=13e9, subject="MSFT")
    add_claim(db, b, value=10e9, subject="Microsoft Corp.")
    store.ledger.recompute(db)
    assert only_group(db)["fact_key"] == "investment|microsoft|openai|money||"


def test_attribution_conflict_same_figure_different_investor(db):
    a, b, c = docs(db, 3)
    add_claim(db, a, value=5e9, subject="Google", counterparty="Anthropic", as_of="2024")
    add_claim(db, b, value=5e9, subject="Amazon", counterparty="Anthropic", as_of="2024")
    add_claim(db, c, value=5e9, subject="Amazon", counterparty="Anthropic", as_of="2024")
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "attribution"
    assert g["reason"] == "attribution: $5.0B investment in Anthropic by Amazon (2 sources) vs Google (1 source)"
    assert [s["subject"] for s in g["sides"]] == ["Amazon", "Google"]
    assert {f["status"] for f in store.ledger.facts(db)} == {"conflicting"}


def test_a_counterparty_that_describes_where_money_goes_is_the_name_in_it(db):
    # dev b 063/064: the GBP1.5bn London Tech Week pledge credited to Nvidia's forum by one page, Liquidity by another
    a, b, c = docs(db, 3)
    kw = {"value": 1.5e9, "unit": "GBP"}
    add_claim(db, a, subject="UK Sovereign AI Industry Forum", counterparty="UK AI startup ecosystem", **kw)
    add_claim(db, b, subject="Liquidity", counterparty="UK (AI)", **kw)
    store.ledger.recompute(db)
    assert only_group(db)["disagreement"] == "attribution"
    add_claim(db, c, subject="Liquidity", counterparty="UK Sovereign AI Industry Forum", **kw)  # a party, not a place
    assert store.ledger.recompute(db).groups == 1


def test_one_source_naming_two_investors_of_the_same_figure_is_not_an_attribution_conflict(db):
    (a,) = docs(db, 1)
    add_claim(db, a, value=5e9, subject="Google", counterparty="Anthropic")
    add_claim(db, a, value=5e9, subject="Amazon", counterparty="Anthropic")
    assert store.ledger.recompute(db).groups == 0


def test_qualifier_conflict_at_most_vs_more_than(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=10e9, qualifier="up_to")
    add_claim(db, b, value=10e9, qualifier="more_than")
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "qualifier"
    assert "up to $10.0B (1 source)" in g["reason"] and "more than $10.0B (1 source)" in g["reason"]
    assert g["reason"].endswith("; the same figure, bounded differently")  # not "0% apart"


def test_nearly_is_just_under_its_figure(db):
    """Dev set a, Hyperion: a Bloomberg report's "fast 30 Milliarden" (nearly $30B) vs the announced $27B."""
    a, b = docs(db, 2)
    add_claim(db, a, value=30e9, qualifier="nearly")
    add_claim(db, b, value=28.5e9)
    assert store.ledger.recompute(db).groups == 0  # just under: agrees
    db["claims"].update(2, {"value": 27e9, "quote": "a $27 billion joint venture"})
    store.ledger.recompute(db)
    assert only_group(db)["reason"] == "value: $27.0B (1 source) vs nearly $30.0B (1 source), 10% apart"


def test_disagreement_inside_one_document(db):
    (a,) = docs(db, 1)
    add_claim(db, a, value=13e6, quote="Microsoft invests $13 million in OpenAI")
    add_claim(db, a, value=13e9, quote="the $13 billion investment")
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "magnitude"  # millions in the headline, billions in the body
    assert g["reason"].startswith("magnitude: x1000: ") and g["reason"].endswith("within one document")
    assert g["majority_value"] is None


def test_figures_one_article_gives_side_by_side_are_different_facts(db):
    # Sanmina-ZT: "$3 billion" headline, "$2.55 billion in cash and equity", "up to $450 million" earnout
    (a,) = docs(db, 1)
    kw = {"kind": "acquisition", "subject": "Sanmina", "counterparty": "ZT Systems"}
    add_claim(db, a, value=3e9, quote="Sanmina to buy ZT Systems' manufacturing business for $3 billion", **kw)
    add_claim(db, a, value=2.55e9, quote="$2.55 billion in cash and equity", **kw)
    assert store.ledger.recompute(db).groups == 0
    assert sorted(f["value"] for f in store.ledger.facts(db)) == [2.55e9, 3e9]
    b = add_doc(db, "other")
    add_claim(db, b, value=2.8e9, quote="a $2.8 billion deal", **kw)  # another source: a disagreement again
    assert store.ledger.recompute(db).groups == 1


def test_state_conflict_exclusivity_ended_vs_in_force_in_the_same_window(db):
    a, b = docs(db, 2)
    add_claim(db, a, "exclusivity", None, unit=None, deal_status="ended", as_of="2025")
    add_claim(db, b, "exclusivity", None, unit=None, deal_status="retained", as_of="2025")
    store.ledger.recompute(db)
    assert only_group(db)["reason"] == "value: ended (1 source) vs in force (1 source)"


# ---------------------------------------------------------------- not conflicts


def test_rounding_agrees(db):
    a, b, c, d = docs(db, 4)
    add_claim(db, a, value=8e9, quote="$8B")
    add_claim(db, b, value=8.0e9, quote="$8.0 billion")
    add_claim(db, c, value=8e9, qualifier="approx", quote="about $8 billion")
    add_claim(db, d, value=8.08e9, quote="$8.08 billion")
    summary = store.ledger.recompute(db)
    assert summary.groups == 0
    (fact,) = store.ledger.facts(db)
    assert (fact["status"], fact["support"], fact["value"]) == ("agreed", 4, 8e9)


def test_an_approximate_figure_does_not_bridge_two_exact_figures_that_disagree(db):
    a, b, c = docs(db, 3)
    add_claim(db, a, value=10e9)
    add_claim(db, b, value=11.5e9)
    add_claim(db, c, value=10.8e9, qualifier="approx")
    store.ledger.recompute(db)
    assert only_group(db)["reason"] == "value: $10.0B (2 sources) vs $11.5B (1 source), 13% apart"


def test_tolerance_is_configuration(db, tmp_path):
    a, b = docs(db, 2)
    add_claim(db, a, value=8e9)
    add_claim(db, b, value=8.08e9)
    text = (Path(conflicts.__file__).parent / "data" / "conflicts.yaml").read_text()
    strict = tmp_path / "strict.yaml"
    strict.write_text(text.replace("tolerance: 0.02", "tolerance: 0.001"))
    assert store.ledger.recompute(db, conflicts.load_config(str(strict))).groups == 1


def test_tranche_vs_cumulative_total(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=2.75e9, counterparty="Anthropic", subject="Amazon", quote="a $2.75 billion tranche")
    add_claim(db, b, value=8e9, counterparty="Anthropic", subject="Amazon", quote="$8 billion in total")
    assert store.ledger.recompute(db).groups == 0
    assert len(store.ledger.facts(db, "single_source")) == 2


def test_committed_vs_funded_so_far(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=8e9, quote="Amazon committed $8 billion to Anthropic")
    add_claim(db, b, value=4e9, quote="Amazon has invested $4 billion so far")
    assert store.ledger.recompute(db).groups == 0


def test_letter_of_intent_vs_signed_deal(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=100e9, deal_status="planned", quote="a letter of intent for $100 billion")
    add_claim(db, b, value=40e9, deal_status="completed", quote="signed a $40 billion deal")
    assert store.ledger.recompute(db).groups == 0


def test_stake_that_grew_between_rounds_supersedes(db):
    a, b = docs(db, 2)
    add_claim(db, a, "equity_stake", 12, unit="percent", as_of="2023")
    add_claim(db, b, "equity_stake", 27, unit="percent", as_of="2025-10")
    assert store.ledger.recompute(db).groups == 0
    assert [(f["value"], f["status"]) for f in store.ledger.facts(db)] == [(12, "superseded"), (27, "single_source")]


def test_a_running_total_lower_at_a_later_date_is_a_decline(db):
    """Dev set b, docs 058 and 059: over $330M of annual recurring revenue at the end of 2025, then $200M ARR by
    Q1 2026. ARR only grows, so the two cannot both be right."""
    a, b = docs(db, 2)
    ending_2025 = "ElevenLabs closed 2025 with over $330 million in annual recurring revenue"
    add_claim(db, a, "revenue", 330e6, subject="ElevenLabs", counterparty=None, qualifier="more_than", as_of="2025",
              quote=ending_2025)  # fmt: skip
    add_claim(db, b, "revenue", 200e6, subject="ElevenLabs", counterparty=None, as_of="2026",
              quote="ElevenLabs led the synthesis market with $200M ARR by Q1 2026")  # fmt: skip
    assert store.ledger.recompute(db).groups == 1
    g = only_group(db)
    assert g["disagreement"] == "decline"
    assert g["reason"] == (
        "decline: $200.0M (2026) (1 source) vs more than $330.0M (2025) (1 source); a running total cannot fall, "
        "yet the later figure is lower"
    )
    assert [f["status"] for f in store.ledger.facts(db)] == ["conflicting", "conflicting"]
    assert [g["id"] for g in store.ledger.conflicts(db, "decline")] == [g["id"]]


def test_a_fact_of_a_running_total_is_in_one_decline_group_at_most(db):
    a, b, c = docs(db, 3)
    for doc, value, year in ((a, 500e6, "2024"), (b, 300e6, "2025"), (c, 200e6, "2026")):
        add_claim(db, doc, "revenue", value, subject="ElevenLabs", counterparty=None, as_of=year, quote="ARR")
    store.ledger.recompute(db)
    groups = store.ledger.conflicts(db)
    members = [c["doc_id"] for g in groups for side in g["sides"] for c in side["claims"]]
    assert [g["disagreement"] for g in groups] == ["decline"] and len(members) == len(set(members)) == 2


def test_a_running_total_that_grows_or_a_revenue_that_falls_is_change_over_time(db):
    a, b, c, d = docs(db, 4)
    add_claim(db, a, "revenue", 200e6, subject="ElevenLabs", counterparty=None, as_of="2025", quote="$200M ARR")
    add_claim(db, b, "revenue", 330e6, subject="ElevenLabs", counterparty=None, as_of="2026", quote="$330M ARR")
    add_claim(db, c, "revenue", 64e6, subject="Applied Digital", counterparty=None, as_of="2025",
              quote="first-quarter revenue of $64 million")  # fmt: skip
    add_claim(db, d, "revenue", 38e6, subject="Applied Digital", counterparty=None, as_of="2026",
              quote="first-quarter revenue of $38 million")  # fmt: skip
    assert store.ledger.recompute(db).groups == 0


def test_exclusivity_before_and_after_a_restructure(db):
    a, b = docs(db, 2)
    add_claim(db, a, "exclusivity", None, unit=None, deal_status="completed", as_of="2019")
    add_claim(db, b, "exclusivity", None, unit=None, deal_status="ended", as_of="2025")
    assert store.ledger.recompute(db).groups == 0
    statuses = {f["as_of"]: (f["status"], f["note"]) for f in store.ledger.facts(db)}
    assert statuses == {"2019": ("superseded", "state: in force"), "2025": ("single_source", "state: ended")}


def test_undated_state_describes_no_moment_and_is_not_set_against_a_dated_end(db):
    a, b = docs(db, 2)
    add_claim(db, a, "rofr", None, unit=None, deal_status="completed")
    add_claim(db, b, "rofr", None, unit=None, deal_status="ended", as_of="2025")
    assert store.ledger.recompute(db).groups == 0
    facts = {f["as_of"]: f["status"] for f in store.ledger.facts(db)}
    assert facts == {None: "superseded", "2025": "single_source"}


def test_undated_in_force_and_ended_are_before_and_after_not_a_conflict(db):
    a, b = docs(db, 2)
    add_claim(db, a, "exclusivity", None, unit=None, deal_status="ended")
    add_claim(db, b, "exclusivity", None, unit=None)
    assert store.ledger.recompute(db).groups == 0
    assert sorted((f["note"], f["status"]) for f in store.ledger.facts(db)) == [
        ("state: ended", "single_source"),
        ("state: in force", "superseded"),
    ]


def test_investments_years_apart_are_different_facts_neither_superseded(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=1e9, as_of="2019")
    add_claim(db, b, value=10e9, as_of="2023-01")
    assert store.ledger.recompute(db).groups == 0
    assert {f["status"] for f in store.ledger.facts(db)} == {"single_source"}


def test_undated_claim_joins_the_window_it_matches(db):
    a, b, c = docs(db, 3)
    add_claim(db, a, "equity_stake", 49, unit="percent", as_of="2019")
    add_claim(db, b, "equity_stake", 27, unit="percent", as_of="2025")
    add_claim(db, c, "equity_stake", 49, unit="percent")
    assert store.ledger.recompute(db).groups == 0
    assert [(f["value"], f["support"]) for f in store.ledger.facts(db, "superseded")] == [(49, 2)]


def test_up_to_vs_exact_is_noted_not_flagged(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=10e9, qualifier="up_to")
    add_claim(db, b, value=10e9)
    assert store.ledger.recompute(db).groups == 0
    (fact,) = store.ledger.facts(db)
    assert fact["status"] == "agreed"
    assert fact["note"] == "qualifiers differ: $10.0B vs up to $10.0B"


def test_same_value_different_counterparty(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=1e9, counterparty="OpenAI")
    add_claim(db, b, value=1e9, counterparty="Inflection")
    assert store.ledger.recompute(db).groups == 0
    assert len(store.ledger.facts(db)) == 2


def test_direction_matters(db):
    a, b = docs(db, 2)
    add_claim(db, a, "revenue", 20, unit="percent", subject="OpenAI", counterparty="Microsoft")
    add_claim(db, b, "revenue", 8, unit="percent", subject="Microsoft", counterparty="OpenAI")
    assert store.ledger.recompute(db).groups == 0


def test_different_unit_families_are_different_facts(db):
    a, b = docs(db, 2)
    add_claim(db, a, "compute_commitment", 4.5, unit="GW", subject="OpenAI", counterparty="Oracle")
    add_claim(db, b, "compute_commitment", 300e9, unit="USD", subject="OpenAI", counterparty="Oracle")
    assert store.ledger.recompute(db).groups == 0


# ---------------------------------------------------------------- sources, reviews, recompute


def test_near_duplicate_copies_count_once(db):
    a = add_doc(db, "orig")
    add_doc(db, "copy", duplicate_of=a)
    c = add_doc(db, "other")
    add_claim(db, a, value=10e9)
    add_claim(db, "copy", value=10e9)
    add_claim(db, c, value=13e9)
    store.ledger.recompute(db)
    g = only_group(db)
    assert [s["support"] for s in g["sides"]] == [1, 1]
    assert g["majority_value"] is None


def test_rejected_claim_leaves_and_corrected_claim_moves(db):
    a, b, c = docs(db, 3)
    add_claim(db, a, value=13e9)
    add_claim(db, b, value=13e9)
    wrong = add_claim(db, c, value=10e9)
    assert store.ledger.recompute(db).groups == 1
    db["claims"].update(wrong, {"review_status": "rejected"})
    summary = store.ledger.recompute(db)
    assert (summary.groups, summary.by_status["agreed"], summary.claims) == (0, 1, 2)
    assert db["claims"].get(wrong)["fact_key"] is None and db["claims"].get(wrong)["conflict_group"] is None
    db["claims"].update(wrong, {"review_status": "corrected", "value": 13e9})
    store.ledger.recompute(db)
    (fact,) = store.ledger.facts(db)
    assert (fact["status"], fact["support"]) == ("agreed", 3)
    assert db["claims"].get(wrong)["fact_key"] == fact["key"]


def test_recompute_is_whole_and_ranks_largest_disagreement_first(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=10e9)
    add_claim(db, b, value=11e9)
    add_claim(db, a, value=1e9, counterparty="Mistral")
    add_claim(db, b, value=2e9, counterparty="Mistral")
    first = store.ledger.recompute(db)
    second = store.ledger.recompute(db)
    assert (first.facts, first.groups) == (second.facts, second.groups) == (2, 2)
    assert db["facts"].count == 2 and db["conflict_groups"].count == 2
    assert [g["spread"] for g in store.ledger.conflicts(db)] == pytest.approx([0.5, 1 / 11])


# ---------------------------------------------------------------- refresh after review decisions

QUOTES = [
    "Microsoft invested $10 billion in OpenAI.",
    "Amazon invested $4 billion in Anthropic.",
    "Amazon added a $2.75 billion tranche.",
    "Amazon has invested $8 billion in total.",
    "Microsoft holds a 49% stake.",
    "The partnership began in 2019.",
    "Exclusivity ended.",
    "OpenAI committed up to $300 billion to Oracle.",
    "A letter of intent for $100 billion.",
]
TEXT = " ".join(QUOTES)
CLAIMS = [  # doc, kind, value, fields: value, date, attribution, qualifier and state conflicts, and agreements
    (0, "investment", 10e9, {"as_of": "2023"}),
    (1, "investment", 10e9, {"as_of": "2023"}),
    (2, "investment", 13e9, {"as_of": "2023"}),
    (4, "investment", 13e9, {"as_of": "2023"}),  # near-duplicate of doc 0
    (3, "investment", 10e9, {"as_of": "2023", "subject": "Amazon"}),
    (0, "investment", 4e9, {"as_of": "2024", "subject": "Amazon", "counterparty": "Anthropic"}),
    (2, "investment", 4e9, {"as_of": "2024", "subject": "Amazon", "counterparty": "Anthropic"}),
    (1, "investment", 4e9, {"as_of": "2024", "subject": "Google", "counterparty": "Anthropic"}),
    (1, "investment", 2.75e9, {"subject": "Amazon", "counterparty": "Anthropic", "quote": QUOTES[2]}),
    (3, "investment", 8e9, {"subject": "Amazon", "counterparty": "Anthropic", "quote": QUOTES[3]}),
    (0, "equity_stake", 49, {"unit": "percent", "as_of": "2019"}),
    (1, "equity_stake", 27, {"unit": "percent", "as_of": "2025"}),
    (2, "equity_stake", 49, {"unit": "percent"}),
    (0, "partnership_start", 2019, {"unit": "year", "as_of": "2019"}),
    (1, "partnership_start", 2021, {"unit": "year", "subject": "OpenAI", "counterparty": "Microsoft"}),
    (2, "exclusivity", None, {"unit": None, "deal_status": "ended", "as_of": "2025"}),
    (3, "exclusivity", None, {"unit": None, "deal_status": "retained", "as_of": "2025"}),
    (0, "compute_commitment", 300e9, {"subject": "OpenAI", "counterparty": "Oracle", "qualifier": "up_to"}),
    (1, "compute_commitment", 300e9, {"subject": "OpenAI", "counterparty": "Oracle", "qualifier": "more_than"}),
    (2, "compute_commitment", 30e9, {"subject": "OpenAI", "counterparty": "Oracle", "qualifier": "approx"}),
]
CORRECTIONS = {  # field -> values a correction may set ("" clears): each may move a claim to another scope
    "value": [4e9, 10e9, 10.1e9, 13e9, 300e9, 49, 2021],
    "subject": ["Microsoft", "MSFT", "Amazon", "Google", "OpenAI"],
    "counterparty": ["OpenAI", "Anthropic", "Oracle", ""],
    "kind": ["investment", "compute_commitment", "equity_stake"],
    "unit": ["USD", "percent", "year"],
    "as_of": ["2019", "2023", "2024", "2025-06", ""],
    "qualifier": ["exact", "approx", "up_to", "more_than"],
    "deal_status": ["", "ended", "planned", "completed"],
    "quote": QUOTES,
}


def review_db(db) -> list[int]:
    """Documents with every quote of TEXT (doc 4 a near-duplicate of doc 0) and the CLAIMS, ledger built."""
    ids = [add_doc(db, f"d{i}", f"2025-0{i + 1}-01", "d0" if i == 4 else None) for i in range(5)]
    for i in ids:
        text = f"{TEXT} Copy {i}."
        db["documents"].update(i, {"text": text, "raw": text})
    claims = []
    for doc, kind, value, fields in CLAIMS:
        fields = {"quote": QUOTES[0], **fields}
        start = TEXT.index(fields["quote"])
        span = {"char_start": start, "char_end": start + len(fields["quote"]), "alignment": "exact"}
        claims.append(add_claim(db, ids[doc], kind, value, **span, **fields))
    store.ledger.recompute(db)
    return claims


def ledger_state(db, canonical_ids: bool = False) -> dict:
    """Facts, groups and the claims' ledger columns; with ``canonical_ids`` group ids as (fact key, n)."""
    names = {r["id"]: (r["fact_key"], r["n"]) for r in db["conflict_group_ids"].rows} if canonical_ids else {}

    def group(gid):
        return names.get(gid, gid)

    return {
        "facts": [
            {**r, "conflict_group": group(r["conflict_group"])} for r in db.query("SELECT * FROM facts ORDER BY key")
        ],
        "groups": [
            {**r, "id": group(r["id"])} for r in db.query("SELECT * FROM conflict_groups ORDER BY fact_key, id")
        ],
        "claims": [
            {**r, "conflict_group": group(r["conflict_group"])}
            for r in db.query("SELECT id, fact_key, conflict_group, fact_scope FROM claims ORDER BY id")
        ],
    }


def rebuilt(db, tmp_path, from_scratch: bool) -> dict:
    """The ledger a full recompute gives on a copy of the database (from empty ledger tables if asked)."""
    path = tmp_path / f"copy{int(from_scratch)}.db"
    path.unlink(missing_ok=True)
    copy = sqlite3.connect(path)
    db.conn.backup(copy)
    copy.close()
    other = store.open_db(path)
    if from_scratch:
        for table in ("facts", "conflict_groups", "conflict_group_ids"):
            other.execute(f"DELETE FROM {table}")
        other.execute("UPDATE claims SET fact_key = NULL, conflict_group = NULL, fact_scope = NULL")
    store.ledger.recompute(other)
    state = ledger_state(other, from_scratch)
    other.close()
    return state


def random_decision(db, rng: random.Random, claims: list[int]) -> str:
    """One review decision picked at random (accept, reject, correct, undo, settle a conflict, bulk accept)."""
    reviewer = rng.choice(["ann", "bob"])
    action = rng.choice(["accept", "reject", "correct", "correct", "correct", "undo", "side", "bulk"])
    if action == "accept":
        review.accept(db, rng.sample(claims, rng.randint(1, 2)), reviewer)
    elif action == "reject":
        review.reject(db, rng.sample(claims, rng.randint(1, 3)), reviewer)
    elif action == "correct":
        field = rng.choice(list(CORRECTIONS))
        review.correct(db, rng.choice(claims), {field: rng.choice(CORRECTIONS[field])}, reviewer)
    elif action == "undo":
        review.undo(db, reviewer)
    elif action == "side":
        groups = [r["id"] for r in db.query("SELECT id FROM conflict_groups")]
        review.accept_side(db, rng.choice(groups or [0]), rng.randint(0, 1), reviewer)
    else:
        keys = [r["key"] for r in db.query("SELECT key FROM facts WHERE conflict_group IS NULL")]
        review.bulk_accept(db, rng.choice(keys or [""]), 1, reviewer)
    return action


@pytest.mark.parametrize("seed", range(6))
def test_ledger_refreshed_after_each_decision_equals_a_full_recompute(db, tmp_path, seed, monkeypatch):
    rng = random.Random(seed)
    claims = review_db(db)
    done, refreshes, recompute = [], [], store.ledger.recompute

    def spy(db, config=None, claim_ids=None):  # the real recompute, noting what each refresh rebuilt
        summary = recompute(db, config, claim_ids)
        if claim_ids is not None:
            refreshes.append(summary.bases)
        return summary

    monkeypatch.setattr(store.ledger, "recompute", spy)
    for _ in range(60):
        try:
            done.append(random_decision(db, rng, claims))
        except review.ReviewError:
            continue
        state = ledger_state(db)
        assert state == rebuilt(db, tmp_path, from_scratch=False), done
        assert ledger_state(db, canonical_ids=True) == rebuilt(db, tmp_path, from_scratch=True), done
    assert {"accept", "reject", "correct", "undo"} <= set(done)
    assert refreshes and None not in refreshes  # every refresh rebuilt its bases only, none fell back to all


def test_a_refresh_rebuilds_only_the_bases_of_the_changed_claims_and_their_attribution_rivals(db):
    claims = review_db(db)
    moved = claims[4]  # Amazon's $10B in OpenAI, moved to Anthropic
    db["claims"].update(moved, {"counterparty": "Anthropic"})
    summary = store.ledger.recompute(db, claim_ids=[moved])
    assert summary.bases == 2  # Amazon in OpenAI, Amazon in Anthropic
    # read: the moved claim, Amazon's $4B in Anthropic (2 claims), Google's $4B in Anthropic (its attribution
    # rival); not Microsoft's investments in OpenAI (in a conflict of their own), nor the tranche or the total
    assert summary.claims == len([moved, claims[5], claims[6], claims[7]])
    assert db["claims"].get(moved)["fact_scope"] == "investment|*|anthropic|money|"
    assert store.ledger.recompute(db, claim_ids=[]).claims == 0


def test_attribution_is_the_same_whichever_base_a_refresh_reads(db, tmp_path):
    a, b, c, d, e = docs(db, 5)
    anthropic = {"counterparty": "Anthropic"}
    add_claim(db, a, value=10e9, subject="Google", as_of="2019", **anthropic)  # Google's base is read first...
    add_claim(db, d, value=13e9, subject="Google", as_of="2019", **anthropic)  # (a conflict of its own)
    span = {"quote": QUOTES[1], "char_start": 0, "char_end": len(QUOTES[1])}  # a correction keeps it grounded
    db["documents"].update(b, {"text": QUOTES[1]})
    amazon = add_claim(db, b, value=4e9, subject="Amazon", as_of="2024", **anthropic, **span)
    add_claim(db, c, value=4e9, subject="Google", as_of="2024", **anthropic)  # ...but not by a refresh of Amazon's
    meta = add_claim(db, e, value=7e9, subject="Meta", as_of="2024", **anthropic)
    store.ledger.recompute(db)
    (group,) = [g for g in store.ledger.conflicts(db) if g["disagreement"] == "attribution"]
    for claim_id, change in ((amazon, {"qualifier": "approx"}), (meta, {"value": 6e9})):  # Meta: not in the group
        review.correct(db, claim_id, change, "ann")
        assert ledger_state(db) == rebuilt(db, tmp_path, from_scratch=False)
        assert ledger_state(db, canonical_ids=True) == rebuilt(db, tmp_path, from_scratch=True)
    assert [g["id"] for g in store.ledger.conflicts(db) if g["disagreement"] == "attribution"] == [group["id"]]


def test_a_claim_stored_since_the_last_recompute_makes_a_refresh_rebuild_everything(db):
    claims = review_db(db)
    new = add_claim(db, "d3", "investment", 13e9, as_of="2023", quote=QUOTES[0])
    summary = store.ledger.recompute(db, claim_ids=[claims[0]])
    assert summary.bases is None
    assert db["claims"].get(new)["fact_key"] == db["claims"].get(claims[0])["fact_key"]


def test_accepting_claims_leaves_the_ledger_alone_and_group_ids_stay(db):
    claims = review_db(db)
    before = ledger_state(db)
    review.accept(db, claims, "ann")
    assert ledger_state(db) == before
    review.reject(db, [claims[0]], "ann")
    kept = {g["fact_key"]: g["id"] for g in store.ledger.conflicts(db)}
    assert all(kept[k] == g["id"] for g in before["groups"] if (k := g["fact_key"]) in kept)


def test_groups_are_listed_largest_disagreement_first_whatever_their_ids(db):
    claims = review_db(db)
    assert [g["id"] for g in store.ledger.conflicts(db)] == list(range(1, db["conflict_groups"].count + 1))
    stated = "Microsoft invested $100 billion in OpenAI."  # the quote of a grounded correction
    doc = db["claims"].get(claims[2])["doc_id"]
    db["documents"].update(doc, {"text": db["documents"].get(doc)["text"] + " " + stated})
    review.correct(
        db, claims[2], {"value": 100e9, "quote": stated}, "ann"
    )  # the value conflict grows past the date one
    groups = store.ledger.conflicts(db)
    order = [(-g["rank"], -g["support"], g["fact_key"]) for g in groups]
    assert order == sorted(order) and [g["id"] for g in groups] != sorted(g["id"] for g in groups)
    assert [g.id for g in review.groups(db, open_only=False)] == [g["id"] for g in groups]
    assert [g.id for g in review.groups(db, open_only=False, after=groups[0]["id"])] == [g["id"] for g in groups[1:]]


# ---------------------------------------------------------------- command line


def test_cli_facts_and_conflicts(db, tmp_path):
    a, b = docs(db, 2)
    add_claim(db, a, value=13e9, quote="Microsoft invested $13 billion in OpenAI")
    add_claim(db, b, value=10e9, quote="Microsoft's $10 billion investment")
    add_claim(db, a, "equity_stake", 49, unit="percent")
    store.ledger.recompute(db)
    path = str(tmp_path / "ingest.db")
    runner = CliRunner()
    res = runner.invoke(cli, ["facts", "--db", path, "--status", "conflicting", "--json"])
    assert res.exit_code == 0, res.output
    assert [f["kind"] for f in json.loads(res.output)] == ["investment"]
    res = runner.invoke(cli, ["facts", "--db", path])
    assert "single_source" in res.output and "49%" in res.output
    res = runner.invoke(cli, ["conflicts", "--db", path])
    assert res.exit_code == 0
    assert "value: $10.0B (1 source) vs $13.0B (1 source), 23% apart" in res.output
    assert "Microsoft invested $13 billion in OpenAI" in res.output
    out = tmp_path / "conflicts.json"
    res = runner.invoke(cli, ["conflicts", "--db", path, "--json", "-o", str(out)])
    assert res.exit_code == 0
    assert json.loads(out.read_text())[0]["sides"][0]["claims"][0]["doc_id"] in {a, b}
    res = runner.invoke(cli, ["conflicts", "--db", path, "-o", str(tmp_path / "missing" / "x.txt")])
    assert res.exit_code == 2 and "cannot write" in res.output and "Traceback" not in res.output


# ---------------------------------------------------------------- seeds


@pytest.mark.skipif(
    importlib.util.find_spec("ingest.extract.rules") is None,
    reason="the rules extractor (src/ingest/rules.py) is not written yet",
)
def test_seeds_flag_the_microsoft_openai_start_year(db):
    from ingest.extract.rules import extract_rules
    from ingest.models import Document

    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        digest = hashlib.sha256(text.encode()).hexdigest()
        doc = Document(id=digest[:16], source=str(path), content_type="text", raw=text, text=text, content_hash=digest)
        db["documents"].insert(doc.model_dump())
        claims, _ = extract_rules(doc)
        for n, claim in enumerate(claims):
            db["claims"].insert({**claim.model_dump(), "doc_id": doc.id, "claim_key": f"{doc.id}:{n}"})
    store.ledger.recompute(db)
    dates = [g for g in store.ledger.conflicts(db) if g["disagreement"] == "date"]
    starts = [
        {s["value"] for s in g["sides"]}
        for g in dates
        if g["fact_key"].startswith("partnership_start|microsoft|openai|")
    ]
    assert {2019, 2021} in starts, [g["reason"] for g in dates]


# ---------------------------------------------------------------- currencies and magnitude slips


def test_an_amount_and_its_conversion_are_one_fact_not_a_conflict(db):
    a, b = docs(db, 2)  # "$500m investment in X-energy" ... "€460m" in the same article, October 2024
    add_claim(db, a, value=500e6, subject="Amazon", counterparty="X-energy", as_of="2024-10")
    add_claim(db, a, value=460e6, unit="EUR", subject="Amazon", counterparty="X-energy", as_of="2024-10")
    add_claim(db, b, value=16.5e9, subject="Tesla", counterparty="Samsung", kind="compute_commitment", as_of="2025-07")
    add_claim(db, b, value=22764.8e9, unit="KRW", qualifier="approx", subject="Tesla", counterparty="Samsung",
              kind="compute_commitment", as_of="2025-07")  # fmt: skip
    store.ledger.recompute(db)
    assert store.ledger.conflicts(db) == []
    assert {(f["unit"], f["support"]) for f in store.ledger.facts(db)} == {("USD", 1)}


def test_two_conversions_of_one_round_that_disagree_are_a_conflict(db):
    a, b = docs(db, 2)  # "€385m" (Euronews) vs "€460m" and "$500m" (NucNet) for the same round
    add_claim(db, a, value=385e6, unit="EUR", subject="Amazon (lead) with Ken Griffin, Ares", counterparty="X-energy")
    add_claim(db, b, value=500e6, subject="Amazon (anchor)", counterparty="X-energy", as_of="2024-10")
    add_claim(db, b, value=460e6, unit="EUR", subject="Amazon (anchor)", counterparty="X-energy", as_of="2024-10")
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "value"
    low, high = g["sides"]  # one source each: the lower value first
    assert low["label"].endswith("(385.0M EUR)") and len(low["claim_ids"]) == 1
    assert high["label"].endswith("(460.0M EUR)") and len(high["claim_ids"]) == 2  # $500m and its conversion


def test_conversions_in_brackets_that_disagree_across_sources_are_a_conflict(db):
    # Dev set a: "a $500m (€385m) funding round" (Euronews via News.az) vs "a $500m (€460m) fundraising" (NucNet)
    a, b = docs(db, 2)
    kw = {"value": 500e6, "subject": "Amazon", "counterparty": "X-energy", "as_of": "2024-10"}
    low = add_claim(db, a, conversion_value=385e6, conversion_unit="EUR", **kw)
    add_claim(db, b, conversion_value=460e6, conversion_unit="EUR", **kw)
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "value" and "(385.0M EUR in brackets) (1 source)" in g["reason"]
    side = next(s for s in g["sides"] if s["conversions"] == [low])
    assert side["claim_ids"] == [low]  # the claim's own $500m agrees with the other source
    (read,) = exports.conflict_rows(db)[0]["sides"][g["sides"].index(side)]["claims"]
    assert (read["value"], read["unit"], read["converted_from"]) == (385e6, "EUR", {"value": 500e6, "unit": "USD"})


def test_a_conversion_at_the_rate_of_its_date_agrees_and_one_sources_own_slip_is_no_conflict(db):
    a, b = docs(db, 2)
    kw = {"value": 500e6, "subject": "Amazon", "counterparty": "X-energy", "as_of": "2024-10"}
    add_claim(db, a, conversion_value=460e6, conversion_unit="EUR", **kw)
    add_claim(db, b, **kw)
    add_claim(db, a, kind="valuation", value=2e9, conversion_value=1.2e9, conversion_unit="EUR", as_of="2024-10")
    store.ledger.recompute(db)
    assert store.ledger.conflicts(db) == []
    assert sorted(f["support"] for f in store.ledger.facts(db)) == [1, 2]  # the claim's two readings: one fact


def test_the_same_figure_in_two_currencies_is_a_currency_conflict(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=5.8e9, unit="EUR", as_of="2025-03")
    add_claim(db, b, value=5.8e9, as_of="2025-03")
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "currency"
    assert g["reason"].endswith("the same figure in two currencies")
    assert "(5.8B EUR)" in g["reason"]


def test_a_magnitude_slip_names_the_side_that_slipped(db):
    a, b, c = docs(db, 3)  # "up to 1,920 MW" (two sources) vs "up to 1.92MW"
    for doc, gw in ((a, 1.92), (b, 1.92), (c, 0.00192)):
        add_claim(db, doc, "compute_commitment", gw, unit="GW", qualifier="up_to", subject="Amazon (AWS)",
                  counterparty="Talen Energy")  # fmt: skip
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "magnitude"
    assert g["reason"].startswith("magnitude: x1000: up to 1.92 GW (2 sources) vs up to 0.00192 GW (1 source)")
    assert g["reason"].endswith("up to 0.00192 GW is likely the slip")


def test_a_short_form_of_a_party_in_another_source_is_the_same_party(db):
    # dev set a end to end: one article names "Talen Energy", another only "Talen" (its 1.92MW slip must meet
    # the 1,920 MW); a generic company word at the end of a name the alias table does not know is cut
    a, b = docs(db, 2)
    add_claim(db, a, "compute_commitment", 1.92, unit="GW", subject="Amazon", counterparty="Vandelay Energy")
    add_claim(db, b, "compute_commitment", 0.00192, unit="GW", subject="Amazon", counterparty="Vandelay")
    store.ledger.recompute(db)
    assert only_group(db)["disagreement"] == "magnitude"


def test_a_tenfold_slip_between_sources(db):
    a, b = docs(db, 2)  # "$2.1 billion" vs "$21 billion"
    add_claim(db, a, value=2.1e9)
    add_claim(db, b, value=21e9)
    store.ledger.recompute(db)
    g = only_group(db)
    assert (g["disagreement"], g["reason"].split(": ")[1]) == ("magnitude", "x10")
    assert g["reason"].endswith("one of them is likely a decimal or unit slip")


def test_stakes_a_tenfold_apart_are_not_a_slip(db):
    a, b = docs(db, 2)
    add_claim(db, a, "equity_stake", 2.0, unit="percent")
    add_claim(db, b, "equity_stake", 20.0, unit="percent")
    store.ledger.recompute(db)
    assert only_group(db)["disagreement"] == "value"


def test_magnitude_filter_and_cli_reason(db, db_file):
    a, b = docs(db, 2)
    add_claim(db, a, value=2.1e9)
    add_claim(db, b, value=21e9)
    add_claim(db, a, value=4e9, counterparty="Anthropic")
    add_claim(db, b, value=5e9, counterparty="Anthropic")
    store.ledger.recompute(db)
    runner = CliRunner()
    out = runner.invoke(cli, ["conflicts", "--db", str(db_file), "--reason", "magnitude"])
    assert out.exit_code == 0, out.output
    assert "magnitude: x10" in out.output and "Anthropic" not in out.output
    everything = runner.invoke(cli, ["conflicts", "--db", str(db_file)]).output
    assert "investment by Microsoft in Anthropic" in everything and "|" not in everything.split("\n")[0]


# ---------------------------------------------------------------- issue 11: dates, periods, precision, change


def test_the_same_figure_dated_a_year_apart_is_a_date_conflict(db):
    # a foundry contract "from 24 July 2025" in one source, "2024-07-24" in another: one year is a slip
    a, b = docs(db, 2)
    kw = {"kind": "compute_commitment", "subject": "Tesla", "counterparty": "Samsung Electronics"}
    add_claim(db, a, value=16.5e9, as_of="2025-07", **kw)
    add_claim(db, b, value=16.5e9, as_of="2024-07", **kw)
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "date"
    assert g["reason"] == "date: $16.5B dated July 2024 (1 source) vs July 2025 (1 source), 1 year apart"


def test_a_valuation_dated_a_year_apart_flags_even_when_the_older_was_superseded(db):
    a, b = docs(db, 2)
    kw = {"kind": "valuation", "subject": "Groq", "counterparty": None}
    add_claim(db, a, value=6.9e9, as_of="2025-09", qualifier="approx", **kw)
    add_claim(db, b, value=6.9e9, as_of="2024-09", **kw)
    store.ledger.recompute(db)
    assert only_group(db)["disagreement"] == "date"


def test_the_same_figure_in_different_months_of_different_years_is_not_a_date_slip(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=1e9, as_of="2025-07")
    add_claim(db, b, value=1e9, as_of="2024-02")
    assert store.ledger.recompute(db).groups == 0


def test_a_yearly_figure_vs_the_same_figure_with_no_period(db):
    # "worth about $60 million annually" / "about $60 million per year" vs "signed a $60 million deal"
    a, b, c = docs(db, 3)
    kw = {"kind": "ip_rights", "subject": "Google", "counterparty": "Reddit"}
    quote = "this licensing deal is worth about $60 million annually"
    add_claim(db, a, value=60e6, qualifier="approx", quote=quote, **kw)
    add_claim(db, b, value=60e6, qualifier="approx", quote="estimated to be worth about $60 million per year", **kw)
    add_claim(db, c, value=60e6, quote="Google and Reddit have signed a $60 million deal", **kw)
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "period"
    assert g["reason"].startswith("period: about $60.0M per year (2 sources) vs $60.0M (1 source)")


def test_a_year_as_a_time_is_not_a_period(db):
    a, b = docs(db, 2)
    add_claim(db, a, value=60e6, quote="the $60 million deal signed a year ago")
    add_claim(db, b, value=60e6, quote="a $60 million deal")
    assert store.ledger.recompute(db).groups == 0


def test_the_same_figure_by_different_target_years(db):
    # "targeting 500MW of carbon-free energy by 2035" vs "500 megawatts ... by the end of the decade" (2024)
    a, b, c = docs(db, 3)
    kw = {"kind": "compute_commitment", "subject": "Google", "counterparty": "Kairos Power", "unit": "GW"}
    add_claim(db, a, value=0.5, qualifier="up_to", quote="targeting 500MW of carbon-free energy by 2035", **kw)
    quote = "introduce 500 megawatts of nuclear power by the end of the decade"
    add_claim(db, b, value=0.5, as_of="2024-10", quote=quote, **kw)
    add_claim(db, c, value=0.5, quote="a deal for 500 megawatts of nuclear power", **kw)
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["disagreement"] == "target"
    assert [s["label"] for s in g["sides"]] == ["up to 0.5 GW by 2035", "0.5 GW by 2030"]


def test_a_flat_figure_and_a_wide_range_of_one_fact_disagree(db):
    # dev b 051/052: a flat EUR 50bn from the UAE vs the Elysée's "30 milliards à 50 milliards d'euros"
    a, b, c = docs(db, 3)
    kw = {"subject": "Émirats arabes unis", "counterparty": "France", "unit": "EUR"}
    add_claim(db, a, value=50e9, quote="dont 50 milliards d'euros provenant des Émirats arabes unis", **kw)
    quote = "de l'ordre de 30 milliards à 50 milliards d'euros"
    add_claim(db, b, value=50e9, qualifier="range", value_low=30e9, value_high=50e9, quote=quote, **kw)
    store.ledger.recompute(db)
    g = only_group(db)
    assert g["reason"] == ("qualifier: 50.0B EUR (1 source) vs 30.0B EUR–50.0B EUR (1 source); a figure within a range")
    quote = "between EUR 49.5bn and EUR 50bn"  # a range within the tolerance is the figure
    db["claims"].update(2, {"value_low": 49.5e9, "quote": quote})
    add_claim(db, c, value=40e9, qualifier="range", value_low=30e9, value_high=50e9, quote="EUR 30-50bn", **kw)
    store.ledger.recompute(db)
    assert [s["label"] for s in only_group(db)["sides"]] == ["50.0B EUR", "30.0B EUR–50.0B EUR"]


def test_a_share_of_different_revenue_streams(db):
    # dev b 030/031: Google pays Samsung a share of Gemini revenue; which revenue, the two pages disagree
    a, b, c = docs(db, 3)
    kw = {"kind": "revenue", "subject": "Google", "counterparty": "Samsung", "value": None, "unit": None}
    quote = "a share of the subscription revenue generated by Gemini, rather than ad revenue as earlier reported"
    add_claim(db, a, quote=quote, **kw)
    add_claim(db, b, quote="plus a percentage of advertising revenue generated within the app", **kw)
    add_claim(db, c, quote="Google pays Samsung a share of Gemini revenue", **kw)  # names none: agrees with both
    store.ledger.recompute(db)
    g = only_group(db)
    assert (g["disagreement"], [s["label"] for s in g["sides"]]) == (
        "stream",
        ["a share of subscription revenue", "a share of advertising revenue"],
    )
    db["claims"].update(2, {"quote": "a share of subscription revenue, not advertising revenue"})
    assert store.ledger.recompute(db).groups == 0


def test_an_undated_end_of_the_decade_is_a_year_ending_in_0(db):
    # dev a 036/037: "targeting 500MW ... by 2035" vs an undated "500 megawatts ... by the end of the decade"
    a, b = docs(db, 2)
    add_claim(db, a, value=0.5, unit="GW", quote="500MW by 2035")
    add_doc(db, "undated", published=None)
    add_claim(db, "undated", value=0.5, unit="GW", quote="500 megawatts by the end of the decade")
    store.ledger.recompute(db)
    assert [s["label"] for s in only_group(db)["sides"]] == ["0.5 GW by the end of the decade", "0.5 GW by 2035"]
    db["claims"].update(1, {"quote": "500MW by 2030"})
    assert store.ledger.recompute(db).groups == 0


def test_a_planned_and_a_reported_figure_of_one_deal_are_compared(db):
    # "restart expected by 2028" made the 835 MW claim planned; "as reported by WSJ" made the $20B one rumored
    a, b, c, d = docs(db, 4)
    kw = {"kind": "compute_commitment", "subject": "Microsoft", "counterparty": "Constellation Energy", "unit": "GW"}
    add_claim(db, a, value=0.835, deal_status="planned", quote="produce 835 megawatts of carbon-free energy", **kw)
    add_claim(db, b, value=0.837, quote="in an 837MW, 20-year deal", **kw)
    kw = {"kind": "acquisition", "subject": "AI Infrastructure Partnership", "counterparty": "Aligned Data Centers"}
    add_claim(db, c, value=40e9, quote="values Plano-based Aligned Data Centers at $40 billion", **kw)
    quote = "reported the sale price as about $20 billion"
    add_claim(db, d, value=20e9, qualifier="approx", deal_status="rumored", quote=quote, **kw)
    store.ledger.recompute(db)
    assert sorted(g["fact_key"].split("|")[0] for g in store.ledger.conflicts(db)) == [
        "acquisition",
        "compute_commitment",
    ]


def test_a_value_if_options_are_exercised_is_its_own_fact(db):
    # Cipher-Fluidstack: "a $3 billion, 10-year agreement" vs "that figure would rise to about $7 billion"
    a, b = docs(db, 2)
    kw = {"kind": "compute_commitment", "subject": "Fluidstack", "counterparty": "Cipher Mining"}
    add_claim(db, a, value=3e9, quote="a $3 billion, 10-year agreement with crypto miner Cipher", **kw)
    add_claim(db, b, value=7e9, qualifier="approx", quote="that figure would rise to about $7 billion", **kw)
    assert store.ledger.recompute(db).groups == 0


def test_precise_figures_apart_beyond_their_last_digit_disagree(db):
    # "835 megawatts" vs "an 837MW, 20-year deal": within 2%, but two different ratings
    a, b = docs(db, 2)
    kw = {"kind": "compute_commitment", "subject": "Microsoft", "counterparty": "Constellation Energy", "unit": "GW"}
    add_claim(db, a, value=0.835, as_of="2024-09", **kw)
    add_claim(db, b, value=0.837, as_of="2024-09", **kw)
    store.ledger.recompute(db)
    assert only_group(db)["disagreement"] == "value"


@pytest.mark.parametrize("pair", [(10.0, 9.9), (13e9, 13.1e9), (1.92e9, 1.9e9), (13.75e9, 13.8e9)])
def test_rounded_figures_still_agree(db, pair):
    a, b = docs(db, 2)
    add_claim(db, a, value=pair[0], unit="percent" if pair[0] < 100 else "USD", kind="equity_stake")
    add_claim(db, b, value=pair[1], unit="percent" if pair[0] < 100 else "USD", kind="equity_stake")
    assert store.ledger.recompute(db).groups == 0


def test_unnamed_investors_and_a_company_suffix_are_the_same_parties(db):
    # "après avoir levé 350 millions de dollars" (no investor, "Adept AI") vs "raising over $400 million from
    # venture capital investors" ("Adept"): one cumulative total, and the two cannot both be right
    a, b = docs(db, 2)
    add_claim(db, a, value=350e6, subject=None, counterparty="Adept AI")
    add_claim(db, b, value=400e6, subject="venture capital investors", counterparty="Adept", qualifier="more_than")
    store.ledger.recompute(db)
    assert only_group(db)["disagreement"] == "qualifier"


def test_new_user_tranche_then_totals_over_a_year_are_not_a_conflict(db):
    # the case: a first $1.25B, the $4B total a few months later, an $8B total a year on
    a, b, c = docs(db, 3)
    kw = {"subject": "Amazon", "counterparty": "Anthropic"}
    add_claim(db, a, value=1.25e9, as_of="2023-09", quote="Amazon will invest $1.25 billion in Anthropic", **kw)
    add_claim(db, b, value=4e9, as_of="2024-03", quote="Amazon completes its $4 billion investment", **kw)
    add_claim(db, c, value=8e9, as_of="2024-11", quote="Amazon invests $4 billion more, for $8 billion in all", **kw)
    summary = store.ledger.recompute(db)
    assert summary.groups == 0, [g["reason"] for g in store.ledger.conflicts(db)]
    assert summary.facts == 3


def test_values_that_change_over_time_stay_one_conflict_when_dates_overlap(db):
    # sides not apart in time (a source in March for each value) are still a disagreement
    a, b, c = docs(db, 3)
    add_claim(db, a, value=1.25e9, as_of="2024-03")
    add_claim(db, b, value=4e9, as_of="2024-03")
    add_claim(db, c, value=4e9, as_of="2024-04")
    assert store.ledger.recompute(db).groups == 1


def test_successive_valuations_months_apart_supersede(db):
    # "from $3 billion in February 2025", "to $5 billion in June", "in late October, $8 billion"
    a = docs(db, 1)[0]
    for v, when in ((3e9, "2025-02"), (5e9, "2025-06"), (8e9, "2025-10")):
        add_claim(db, a, kind="valuation", subject="Harvey", counterparty=None, value=v, as_of=when)
    summary = store.ledger.recompute(db)
    assert summary.groups == 0 and summary.by_status["superseded"] == 2


def test_a_stake_raised_by_an_announced_change_is_not_a_conflict(db):
    # "an 8% ownership stake" (August) vs "boosts its pro forma ownership stake in TeraWulf to 14%"
    a, b = docs(db, 2)
    kw = {"kind": "equity_stake", "subject": "Google", "counterparty": "TeraWulf", "unit": "percent"}
    add_claim(db, a, value=8, as_of="2025-08", quote="which gave it an 8% ownership stake", **kw)
    add_claim(db, b, value=14, quote="boosts its pro forma ownership stake in TeraWulf to 14%", **kw)
    assert store.ledger.recompute(db).groups == 0


# ---------------------------------------------------------------- independence of sources (issue 12)


def _doc_at(db, doc_id: str, url: str | None, site: str | None = None) -> str:
    add_doc(db, doc_id)
    db["documents"].update(doc_id, {"url": url, "source": url or doc_id, "site": site})
    return doc_id


def test_two_pages_of_one_site_are_one_source(db):
    a = _doc_at(db, "a", "https://www.example.com/news/1")
    b = _doc_at(db, "b", "https://markets.example.com/deals/2")
    c = _doc_at(db, "c", "https://other.example.org/x")
    add_claim(db, a, value=13e9)
    add_claim(db, b, value=13e9)
    add_claim(db, c, value=10e9)
    store.ledger.recompute(db)
    g = only_group(db)
    assert [s["support"] for s in g["sides"]] == [1, 1] and g["majority_value"] is None


def test_a_country_domain_keeps_its_publisher_and_the_site_metadata_counts_without_a_url(db):
    a = _doc_at(db, "a", "https://www.bbc.co.uk/news/1")
    b = _doc_at(db, "b", "https://news.itv.co.uk/2")
    c = _doc_at(db, "c", None, site="Reuters")
    d = _doc_at(db, "d", None, site="reuters")
    for doc in (a, b, c, d):
        add_claim(db, doc, value=13e9)
    store.ledger.recompute(db)
    (fact,) = db.query("SELECT support FROM facts")
    assert fact["support"] == 3


def test_a_near_duplicate_on_another_site_counts_as_its_original(db):
    a = _doc_at(db, "a", "https://one.example/x")
    add_doc(db, "b", duplicate_of="a")
    db["documents"].update("b", {"url": "https://two.example/y"})
    add_claim(db, a, value=13e9)
    add_claim(db, "b", value=13e9)
    store.ledger.recompute(db)
    (fact,) = db.query("SELECT support FROM facts")
    assert fact["support"] == 1


# ---------------------------------------------------------------- not a conflict


def test_dismissed_group_stays_out_after_recompute_until_undone_or_a_new_claim_joins(db, tmp_path):
    path = tmp_path / "t.db"
    db = store.open_db(path)
    a, b, c = docs(db, 3)
    add_claim(db, a, value=13e9)
    add_claim(db, b, value=10e9)
    store.ledger.recompute(db)
    group_id = only_group(db)["id"]
    runner = CliRunner()
    refused = runner.invoke(cli, ["dismiss", str(group_id), "--db", str(path)])
    assert refused.exit_code == 2 and "--note" in refused.output
    args = ["dismiss", str(group_id), "--db", str(path), "--note", "two rounds", "--reviewer", "ann"]
    done = runner.invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert f"conflict {group_id} marked not a conflict" in done.output
    db = store.open_db(path)
    assert store.ledger.conflicts(db) == []
    store.ledger.recompute(db)
    assert store.ledger.conflicts(db) == []
    (fact,) = store.ledger.facts(db)
    assert fact["status"] != "conflicting" and fact["conflict_group"] is None and "dismissed" in fact["note"]
    log = list(db.query("SELECT action, note FROM reviews"))
    assert log == [{"action": "dismiss", "note": "two rounds"}] * 2
    undone = runner.invoke(cli, ["undo", "--db", str(path), "--reviewer", "ann"])
    assert undone.exit_code == 0, undone.output
    db = store.open_db(path)
    assert only_group(db)["id"] == group_id
    review.dismiss(db, group_id, "two rounds", "ann")
    add_claim(db, c, value=10e9)  # a claim the reviewer never saw: the group comes back
    store.ledger.recompute(db)
    assert only_group(db)["id"] == group_id


def test_dismissing_an_unknown_group_is_one_line(db, tmp_path):
    path = tmp_path / "t.db"
    store.open_db(path)
    out = CliRunner().invoke(cli, ["dismiss", "99", "--db", str(path), "--note", "x"])
    assert out.exit_code == 2 and out.output.strip().count("\n") == 0 and "no conflict group with id 99" in out.output
