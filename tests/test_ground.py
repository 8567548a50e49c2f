"""Tests for ground.py: locating quotes in texts (exact, normalised, fuzzy) and grounding claims."""

from __future__ import annotations

import random
import string
import time

import pytest

from ingest import ground
from ingest.ground import align, ground_claim
from ingest.models import Claim

ARTICLE = (
    "Microsoft’s $13 billion investment in OpenAI from 2023-2025 accelerated this partnership.\n"
    "Anthropic, despite receiving $5 billion from Google Cloud in 2024, pursued a multi-provider strategy.\n"
    "La inversión de Microsoft alcanzó 1,2 mil millones de dólares según el acuerdo.\n"
    "微软向OpenAI投资了135亿美元，双方的合作从2019年开始。\n"
    "Google’s $5 billion commitment includes equity ownership (approximately 10% stake).\n"
)


def _span(quote: str, text: str, hint: int = 0) -> tuple[str, str]:
    found = align(quote, text, hint)
    assert found is not None, quote
    start, end, how = found
    return text[start:end], how


@pytest.mark.parametrize(
    "quote",
    [
        "Microsoft’s $13 billion investment in OpenAI",
        "La inversión de Microsoft alcanzó 1,2 mil millones de dólares",
        "微软向OpenAI投资了135亿美元",
        "approximately 10% stake",
    ],
)
def test_exact_quotes(quote: str) -> None:
    start, end, how = align(quote, ARTICLE)
    assert (ARTICLE[start:end], how) == (quote, "exact")
    assert start == ARTICLE.index(quote)


def test_surrounding_whitespace_is_ignored() -> None:
    assert _span("  approximately 10% stake \n", ARTICLE) == ("approximately 10% stake", "exact")


def test_start_hint_picks_the_occurrence() -> None:
    text = "A: OpenAI got $1 billion. B: OpenAI got $1 billion. C: OpenAI got $1 billion."
    quote = "OpenAI got $1 billion"
    firsts = [i for i in range(len(text)) if text.startswith(quote, i)]
    assert align(quote, text)[0] == firsts[0]
    assert align(quote, text, firsts[0] + 1)[0] == firsts[1]
    assert align(quote, text, firsts[2])[0] == firsts[2]
    assert align(quote, text, len(text) - 3)[0] == firsts[0]  # none after the hint: the first


def test_start_hint_applies_to_normalised_matches() -> None:
    text = "OpenAI’s deal. Then OpenAI’s deal again."
    start, _, how = align("openai's deal", text, 5)
    assert (start, how) == (text.index("OpenAI’s deal again"), "fuzzy")


@pytest.mark.parametrize(
    "quote,expected",
    [
        # curly vs straight apostrophe
        ("Microsoft's $13 billion investment", "Microsoft’s $13 billion investment"),
        # case
        ("MICROSOFT’S $13 BILLION investment", "Microsoft’s $13 billion investment"),
        # a quote crossing a line break, written with a space
        ("this partnership. Anthropic, despite", "this partnership.\nAnthropic, despite"),
        # repeated whitespace in the quote
        ("from  Google   Cloud", "from Google Cloud"),
        # dash variants
        ("OpenAI from 2023–2025 accelerated", "OpenAI from 2023-2025 accelerated"),
        # Spanish accents and case
        ("la inversión de microsoft ALCANZÓ", "La inversión de Microsoft alcanzó"),
        # full-width digits (NFKC)
        ("投资了１３５亿美元", "投资了135亿美元"),
    ],
)
def test_normalised_quotes(quote: str, expected: str) -> None:
    assert _span(quote, ARTICLE) == (expected, "fuzzy")


def test_offsets_survive_characters_that_expand() -> None:
    text = "The ﬁrst ﬂoor — “quoted” — then Microsoft’s $13 billion investment in OpenAI."
    assert _span("Microsoft's $13 billion investment", text) == ("Microsoft’s $13 billion investment", "fuzzy")
    assert _span('the first floor - "quoted"', text) == ("The ﬁrst ﬂoor — “quoted”", "fuzzy")


def test_fuzzy_near_miss_passes_and_snaps_to_words() -> None:
    quote = "Anthropic, despite recieving $5 billion from Google Cloud in 2024"  # typo
    span, how = _span(quote, ARTICLE)
    assert how == "fuzzy"
    assert span == "Anthropic, despite receiving $5 billion from Google Cloud in 2024"


def test_fuzzy_near_miss_with_a_dropped_word() -> None:
    span, how = _span("Google’s $5 billion commitment includes ownership (approximately 10% stake)", ARTICLE)
    assert (span, how) == (
        "Google’s $5 billion commitment includes equity ownership (approximately 10% stake)",
        "fuzzy",
    )


def test_far_miss_fails() -> None:
    assert align("Amazon invested $8 billion in Anthropic over two years", ARTICLE) is None
    assert align("Microsoft’s thirteen billion dollar investment into OpenAI", ARTICLE) is None


def test_short_quotes_are_never_fuzzy() -> None:
    assert align("$13 billon", ARTICLE) is None
    assert align("$13 billion", ARTICLE) is not None


@pytest.mark.parametrize("quote,text", [("", ARTICLE), ("   ", ARTICLE), ("Microsoft", "")])
def test_nothing_to_align(quote: str, text: str) -> None:
    assert align(quote, text) is None


def _big_text(size: int, planted: str, at: int) -> str:
    rng = random.Random(7)
    words = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(3000)]
    filler = []
    n = 0
    while n < size:
        w = rng.choice(words) + (".\n" if rng.random() < 0.05 else " ")
        filler.append(w)
        n += len(w)
    text = "".join(filler)
    at = text.index(" ", at) + 1
    return text[:at] + planted + " " + text[at:]


def test_fuzzy_alignment_in_two_megabytes_is_fast() -> None:
    planted = "Microsoft’s $13 billion investment in OpenAI accelerated the partnership"
    text = _big_text(2_000_000, planted, 1_500_000)
    assert len(text) > 2_000_000
    typo = "Microsoft’s $13 billion investmnet in OpenAI accelerated the partnership"
    t = time.perf_counter()
    found = align(typo, text, 1_499_000)
    assert time.perf_counter() - t < 1.0
    assert found is not None and text[found[0] : found[1]] == planted
    for hint in (0, 1_499_000):  # absent quote: the scan is bounded whatever the hint
        t = time.perf_counter()
        assert align("Amazon invested $8 billion in Anthropic over two years", text, hint) is None
        assert time.perf_counter() - t < 1.0


def test_normalised_matches_search_the_whole_text() -> None:
    planted = "Microsoft’s $13 billion investment in OpenAI accelerated the partnership"
    text = _big_text(2_000_000, planted, 1_500_000)
    found = align("microsoft's $13 billion investment in openai", text, 0)
    assert found is not None and text[found[0] : found[1]] == planted[:44]


def test_normalised_text_is_built_once_per_text() -> None:
    text = ARTICLE * 3
    assert ground._normalised_text(text) is ground._normalised_text(text)


def _claim(quote: str, **kw) -> Claim:
    return Claim(kind=kw.pop("kind", "investment"), subject="Microsoft", counterparty="OpenAI", quote=quote, **kw)


def test_ground_claim_with_stated_value() -> None:
    claim = _claim("Microsoft’s $13 billion investment in OpenAI", value=13e9, unit="USD")
    grounded = ground_claim(claim, ARTICLE)
    assert grounded.grounded is True
    assert grounded.alignment == "exact"
    assert ARTICLE[grounded.char_start : grounded.char_end] == grounded.quote == claim.quote
    assert (grounded.kind, grounded.subject, grounded.value) == ("investment", "Microsoft", 13e9)
    assert claim.char_start is None and claim.grounded is False  # the input is not changed


def test_ground_claim_with_unstated_value() -> None:
    claim = _claim("Microsoft’s $13 billion investment in OpenAI", value=1e12, unit="USD")
    grounded = ground_claim(claim, ARTICLE)
    assert grounded.alignment == "exact" and grounded.char_start is not None
    assert grounded.grounded is False


def test_ground_claim_wrong_unit_is_not_grounded() -> None:
    assert ground_claim(_claim("approximately 10% stake", value=10, unit="USD"), ARTICLE).grounded is False
    assert ground_claim(_claim("approximately 10% stake", value=10, unit="percent"), ARTICLE).grounded is True


def test_ground_claim_fuzzy_replaces_quote_with_source_words() -> None:
    claim = _claim("Anthropic, despite recieving $5 billion from Google Cloud", value=5e9, unit="USD")
    grounded = ground_claim(claim, ARTICLE, 90)
    assert grounded.alignment == "fuzzy" and grounded.grounded is True
    assert grounded.quote == "Anthropic, despite receiving $5 billion from Google Cloud"
    assert ARTICLE[grounded.char_start : grounded.char_end] == grounded.quote


def test_ground_claim_range_ends_must_be_stated() -> None:
    text = "A company could capture $2-4 billion in additional margin."
    quote = "capture $2-4 billion in additional margin"
    ok = _claim(quote, value=2e9, value_low=2e9, value_high=4e9, unit="USD", qualifier="range")
    bad = _claim(quote, value=2e9, value_low=2e9, value_high=5e9, unit="USD", qualifier="range")
    assert ground_claim(ok, text).grounded is True
    assert ground_claim(bad, text).grounded is False


def test_ground_claim_without_value_needs_only_alignment() -> None:
    claim = _claim("双方的合作从2019年开始", kind="exclusivity")
    assert ground_claim(claim, ARTICLE).grounded is True


def test_ground_claim_year_value() -> None:
    claim = _claim("pursued a multi-provider strategy", kind="partnership_start", value=2024, unit="year")
    assert ground_claim(claim, ARTICLE).grounded is False  # the year is not in the quote
    claim = _claim("from Google Cloud in 2024", kind="partnership_start", value=2024, unit="year")
    assert ground_claim(claim, ARTICLE).grounded is True


def test_ground_claim_unaligned() -> None:
    claim = _claim("Amazon invested $8 billion in Anthropic over two years", value=8e9, unit="USD")
    claim = claim.model_copy(update={"char_start": 3, "char_end": 9, "grounded": True})
    grounded = ground_claim(claim, ARTICLE)
    assert (grounded.char_start, grounded.char_end, grounded.alignment, grounded.grounded) == (
        None,
        None,
        "none",
        False,
    )
    assert grounded.quote == claim.quote
