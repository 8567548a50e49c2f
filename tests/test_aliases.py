"""Tests for aliases.py: canonical names and company mentions in running text."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.aliases import AliasTable, PartyMention, canonical, companies_in, default_table, find_parties

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@pytest.mark.parametrize(
    "name,expected",
    [
        ("Azure", "Microsoft"),
        ("Microsoft Azure", "Microsoft"),
        ("MSFT", "Microsoft"),
        ("微软", "Microsoft"),
        ("microsoft", "Microsoft"),
        ("  MICROSOFT   azure ", "Microsoft"),
        ("Microsoft Corp.", "Microsoft"),
        ("Microsoft Corporation", "Microsoft"),
        ("AWS", "Amazon"),
        ("Amazon Web Services", "Amazon"),
        ("亚马逊", "Amazon"),
        ("Alphabet", "Google"),
        ("Google Cloud", "Google"),
        ("Google DeepMind", "Google"),
        ("谷歌", "Google"),
        ("Oracle Cloud", "Oracle"),
        ("OCI", "Oracle"),
        ("oracle", "Oracle"),
        ("Nvidia", "NVIDIA"),
        ("NVIDIA Corporation", "NVIDIA"),
        ("英伟达", "NVIDIA"),
        ("OpenAI", "OpenAI"),
        ("开放人工智能", "OpenAI"),
        ("Anthropic", "Anthropic"),
        ("Anthropic PBC", "Anthropic"),
        ("xAI", "xAI"),
        ("Facebook", "Meta"),
        ("Meta Platforms, Inc.", "Meta"),
        ("AMD", "AMD"),
        ("TSMC", "TSMC"),
        ("台积电", "TSMC"),
        ("CoreWeave", "CoreWeave"),
        ("Mistral AI", "Mistral"),
        ("SoftBank", "SoftBank"),
        ("软银", "SoftBank"),
        ("SoftBank Group Corp.", "SoftBank"),
        ("Apple, Inc.", "Apple"),
        ("Intel", "Intel"),
        ("Broadcom", "Broadcom"),
        ("Crusoe Energy", "Crusoe"),
        ("Tesla", "Tesla"),
        ("Inflection AI", "Inflection"),
        ("ＭＳＦＴ", "Microsoft"),  # full-width letters (NFKC)
        ("Lambda", "Lambda"),  # canonical names are always accepted
        ("Contoso", None),
        ("", None),
        ("Micro soft", None),
    ],
)
def test_canonical(name: str, expected: str | None) -> None:
    assert canonical(name) == expected


def _found(text: str) -> list[tuple[str, str]]:
    mentions = find_parties(text)
    for m in mentions:
        assert text[m.start : m.end] == m.surface
    return [(m.surface, m.canonical) for m in mentions]


def test_longest_form_wins() -> None:
    assert _found("Microsoft Azure and Google Cloud and Oracle Cloud Infrastructure") == [
        ("Microsoft Azure", "Microsoft"),
        ("Google Cloud", "Google"),
        ("Oracle Cloud Infrastructure", "Oracle"),
    ]


def test_mentions_carry_offsets() -> None:
    text = "Deal: OpenAI-Oracle 4.5 GW; Anthropic-AWS $8B."
    assert find_parties(text) == [
        PartyMention(6, 12, "OpenAI", "OpenAI"),
        PartyMention(13, 19, "Oracle", "Oracle"),
        PartyMention(28, 37, "Anthropic", "Anthropic"),
        PartyMention(38, 41, "AWS", "Amazon"),
    ]


def test_latin_forms_need_word_boundaries() -> None:
    assert _found("AMDs AWSome Metadata OpenAIX xAIs Intelligence") == []
    assert _found("OpenAI’s (AWS) Microsoft/OpenAI xAI's") == [
        ("OpenAI", "OpenAI"),
        ("AWS", "Amazon"),
        ("Microsoft", "Microsoft"),
        ("OpenAI", "OpenAI"),
        ("xAI", "xAI"),
    ]


def test_cjk_forms_need_no_boundaries() -> None:
    assert _found("微软和OpenAI合作，谷歌投资了Anthropic，英伟达供货") == [
        ("微软", "Microsoft"),
        ("OpenAI", "OpenAI"),
        ("谷歌", "Google"),
        ("Anthropic", "Anthropic"),
        ("英伟达", "NVIDIA"),
    ]


def test_common_words_match_only_with_their_capitalisation() -> None:
    text = "At an inflection point, the oracle ate an apple under an azure sky; meta-analysis by intel."
    assert _found(text) == []
    assert _found("Inflection AI, Oracle, Apple Inc. and Meta") == [
        ("Inflection AI", "Inflection"),
        ("Oracle", "Oracle"),
        ("Apple Inc.", "Apple"),
        ("Meta", "Meta"),
    ]


def test_case_insensitive_forms_match_any_case() -> None:
    assert _found("WHAT THE OPENAI/MICROSOFT AND ANTHROPIC/AMAZON DEALS REVEAL") == [
        ("OPENAI", "OpenAI"),
        ("MICROSOFT", "Microsoft"),
        ("ANTHROPIC", "Anthropic"),
        ("AMAZON", "Amazon"),
    ]


def test_forms_span_line_breaks_and_take_suffixes() -> None:
    assert _found("Microsoft\nAzure; NVIDIA Corp. said") == [
        ("Microsoft\nAzure", "Microsoft"),
        ("NVIDIA Corp.", "NVIDIA"),
    ]


def test_seed_parties() -> None:
    text = (SEEDS / "000_ac4361137734338a.txt").read_text("utf-8")
    names = {m.canonical for m in find_parties(text)}
    assert {"Amazon", "Microsoft", "Google", "Oracle", "Anthropic", "OpenAI"} <= names
    assert "Apple" not in names


def test_companies_in() -> None:
    assert companies_in("AWS and Amazon Web Services back Anthropic; 微软 too") == {"Amazon", "Anthropic", "Microsoft"}
    assert companies_in("no companies here") == set()


def test_users_can_add_entries(tmp_path: Path) -> None:
    path = tmp_path / "aliases.yaml"
    path.write_text(
        "case_sensitive: [Contoso]\n"
        "suffixes: [Ltd.]\n"
        "companies:\n"
        "  Contoso: [Contoso, Contoso Cloud, 康托索]\n"
        "  Microsoft: [Microsoft]\n",
        encoding="utf-8",
    )
    table = AliasTable.from_yaml(path)
    assert table.canonical("contoso cloud") == "Contoso"
    assert table.canonical("Contoso Ltd.") == "Contoso"
    assert table.canonical("Azure") is None
    found = table.find_parties("Contoso Cloud, contoso and 康托索 with Microsoft")
    assert [(m.surface, m.canonical) for m in found] == [
        ("Contoso Cloud", "Contoso"),
        ("康托索", "Contoso"),
        ("Microsoft", "Microsoft"),
    ]


def test_conflicting_alias_is_rejected() -> None:
    with pytest.raises(ValueError, match="AZURE.*Microsoft and Contoso"):
        AliasTable({"Microsoft": ["Azure"], "Contoso": ["AZURE"]})


def test_unknown_case_sensitive_form_is_rejected() -> None:
    with pytest.raises(ValueError, match="Contoso"):
        AliasTable({"Microsoft": ["Microsoft"]}, case_sensitive=["Contoso"])


def test_empty_table_finds_nothing() -> None:
    table = AliasTable({})
    assert table.find_parties("Microsoft") == [] and table.canonical("Microsoft") is None


def test_packaged_table_is_built_once() -> None:
    assert default_table() is default_table()


def test_find_parties_is_fast_on_two_megabytes() -> None:
    text = "".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    big = text * (2_000_000 // len(text) + 1)
    t = time.perf_counter()
    mentions = find_parties(big)
    assert time.perf_counter() - t < 5
    assert len(mentions) > 5000


def test_a_table_without_companies_knows_none() -> None:
    unlisted = default_table().without_companies()
    assert unlisted.canonical("Microsoft") is None and unlisted.find_parties("Microsoft invested $1B.") == []
    assert default_table().canonical("Microsoft") == "Microsoft", "the default table is untouched"


_FORMS = sorted({*default_table()._forms, "Inc.", "Corp", "Holdings"})
_PIECES = [
    *_FORMS,
    *(f.lower() for f in _FORMS),
    *(f.upper() for f in _FORMS),
    " ",
    ", ",
    "-",
    "\n",
    "x",
    "é",
    "'s",
    "  ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=12))
def test_the_trie_of_forms_finds_what_the_alternation_of_all_forms_finds(pieces):
    """The trie only says where to try the alternation: the mentions are the alternation's own matches."""
    text = "".join(pieces)
    table = default_table()
    assert [(p.start, p.end) for p in table.find_parties(text)] == [m.span() for m in table._pattern.finditer(text)]


def test_a_company_named_by_what_it_makes() -> None:
    # dev set b: "the ChatGPT maker"; the product alone names no company
    assert companies_in("CoreWeave expanded its contracts with the ChatGPT maker.") == {"CoreWeave", "OpenAI"}
    assert canonical("ChatGPT") is None
