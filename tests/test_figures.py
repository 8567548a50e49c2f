"""Tests for figures.py: money, percent, GW, chip counts and years in four languages, and mentions_value."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import figures
from ingest.figures import Figure, mentions_value, parse_figures

SEEDS = Path(__file__).resolve().parents[1] / "seeds"

# (text, [(surface, value, unit, qualifier, low, high), ...])
CASES = [
    # seed sentences
    ("ROFR on compute, $13B+ investment; restructured", [("$13B+", 13e9, "USD", "more_than", None, None)]),
    (
        "position to ~$135B / 27% on as-converted",
        [("~$135B", 135e9, "USD", "approx", None, None), ("27%", 27, "percent", "exact", None, None)],
    ),
    ("Microsoft-OpenAI $250B Azure commitment", [("$250B", 250e9, "USD", "exact", None, None)]),
    ("OpenAI-Oracle 4.5 GW Stargate", [("4.5 GW", 4.5, "GW", "exact", None, None)]),
    ("Anthropic-Google up-to-1M TPUs).", [("up-to-1M TPUs", 1e6, "chips", "up_to", None, None)]),
    ("contributing $1 billion in Azure credits", [("$1 billion", 1e9, "USD", "exact", None, None)]),
    ("revenue approached $1.6 billion annually", [("$1.6 billion", 1.6e9, "USD", "exact", None, None)]),
    ("could capture $2-4 billion in margin", [("$2-4 billion", 4e9, "USD", "range", 2e9, 4e9)]),
    ("revenue of $150-200 million supports", [("$150-200 million", 200e6, "USD", "range", 150e6, 200e6)]),
    ("the company’s $5+ billion annual investment", [("$5+ billion", 5e9, "USD", "more_than", None, None)]),
    ("valued at approximately $28 billion in", [("approximately $28 billion", 28e9, "USD", "approx", None, None)]),
    ("Azure revenue reached $88.2 billion", [("$88.2 billion", 88.2e9, "USD", "exact", None, None)]),
    ("costs by an estimated 12-18%.", [("an estimated 12-18%", 18, "percent", "estimate", 12, 18)]),
    ("Microsoft maintained 50-60% of spending", [("50-60%", 60, "percent", "range", 50, 60)]),
    ("improving 15%+ operating margins", [("15%+", 15, "percent", "more_than", None, None)]),
    ("chips (>95% market share", [(">95%", 95, "percent", "more_than", None, None)]),
    ("compared to <5% today", [("<5%", 5, "percent", "up_to", None, None)]),
    ("equity ownership (approximately 10% stake)", [("approximately 10%", 10, "percent", "approx", None, None)]),
    ("supporting 130 trillion parameter models", [("130 trillion", 130e12, None, "exact", None, None)]),
    ("Microsoft-OpenAI 2019-2025 is the case", [("2019-2025", 2019, "year", "range", 2019, 2025)]),
    ("access to OpenAI's IP until 2032, including", [("2032", 2032, "year", "exact", None, None)]),
    # English money forms
    ("raised $13 billion", [("$13 billion", 13e9, "USD", "exact", None, None)]),
    ("raised $13bn", [("$13bn", 13e9, "USD", "exact", None, None)]),
    ("a US$135bn stake", [("US$135bn", 135e9, "USD", "exact", None, None)]),
    ("a $1,000 million facility", [("$1,000 million", 1e9, "USD", "exact", None, None)]),
    ("a billion dollars", [("a billion dollars", 1e9, "USD", "exact", None, None)]),
    ("13 billion US dollars", [("13 billion US dollars", 13e9, "USD", "exact", None, None)]),
    ("more than $13 billion", [("more than $13 billion", 13e9, "USD", "more_than", None, None)]),
    ("up to $10 billion", [("up to $10 billion", 10e9, "USD", "up_to", None, None)]),
    ("at least £2bn", [("at least £2bn", 2e9, "GBP", "at_least", None, None)]),
    ("in excess of €500m", [("in excess of €500m", 500e6, "EUR", "more_than", None, None)]),
    ("est. $5bn deal", [("est. $5bn", 5e9, "USD", "estimate", None, None)]),
    ("a ¥500 billion loan", [("¥500 billion", 500e9, "JPY", "exact", None, None)]),
    ("$2B-$4B in credits", [("$2B-$4B", 4e9, "USD", "range", 2e9, 4e9)]),
    ("from 2 to 4 billion dollars", [("2 to 4 billion dollars", 4e9, "USD", "range", 2e9, 4e9)]),
    ("spend $10k", [("$10k", 10e3, "USD", "exact", None, None)]),
    # Spanish
    ("invertirá €5 mil millones", [("€5 mil millones", 5e9, "EUR", "exact", None, None)]),
    ("1,2 mil millones de dólares", [("1,2 mil millones de dólares", 1.2e9, "USD", "exact", None, None)]),
    ("más de 5 mil millones de euros", [("más de 5 mil millones de euros", 5e9, "EUR", "more_than", None, None)]),
    ("hasta 1.600 millones de dólares", [("hasta 1.600 millones de dólares", 1.6e9, "USD", "up_to", None, None)]),
    ("unos 300 millones de euros", [("unos 300 millones de euros", 300e6, "EUR", "approx", None, None)]),
    ("el 27 por ciento", [("27 por ciento", 27, "percent", "exact", None, None)]),
    # German
    ("5 Milliarden Dollar", [("5 Milliarden Dollar", 5e9, "USD", "exact", None, None)]),
    ("rund 5 Mrd. US-Dollar", [("rund 5 Mrd. US-Dollar", 5e9, "USD", "approx", None, None)]),
    ("nearly $6.5 billion", [("nearly $6.5 billion", 6.5e9, "USD", "nearly", None, None)]),
    ("close to $5 billion", [("close to $5 billion", 5e9, "USD", "approx", None, None)]),
    ("bis zu 2,5 Mrd. €", [("bis zu 2,5 Mrd. €", 2.5e9, "EUR", "up_to", None, None)]),
    ("mehr als 10 Milliarden Euro", [("mehr als 10 Milliarden Euro", 10e9, "EUR", "more_than", None, None)]),
    ("27 Prozent der Anteile", [("27 Prozent", 27, "percent", "exact", None, None)]),
    ("über 100.000 GPUs", [("über 100.000 GPUs", 100e3, "chips", "more_than", None, None)]),
    (
        "auf mehr als 10.000 Hochleistungsprozessoren",
        [("mehr als 10.000 Hochleistungsprozessoren", 1e4, "chips", "more_than", None, None)],
    ),
    (
        "to procure 10,000 graphics processing units",
        [("10,000 graphics processing units", 1e4, "chips", "exact", None, None)],
    ),
    # hedges in German and French as the dev sets write them
    ("fast 30 Milliarden US-Dollar", [("fast 30 Milliarden US-Dollar", 30e9, "USD", "nearly", None, None)]),
    (
        "un peu plus de 166 millions de dollars",
        [("un peu plus de 166 millions de dollars", 166e6, "USD", "more_than", None, None)],
    ),
    # counts of shares (warrants, issues) and people (acqui-hires)
    ("warrants to acquire 32.5 million shares of", [("32.5 million shares", 32.5e6, "shares", "exact", None, None)]),
    (
        "approximately 39,685,636 shares",
        [("approximately 39,685,636 shares", 39685636, "shares", "approx", None, None)],
    ),
    ("ZT’s 1,200-person engineering team", [("1,200-person", 1200, "people", "exact", None, None)]),
    ("approximately 55 engineers, designers", [("approximately 55 engineers", 55, "people", "approx", None, None)]),
    # a trillion and the hundred millions after it, in Korean, Japanese and Chinese
    ("약 22조7648억원 규모", [("약 22조7648억원", 22.7648e12, "KRW", "approx", None, None)]),
    ("1兆5000億円の", [("1兆5000億円", 1.5e12, "JPY", "exact", None, None)]),
    ("2万亿元", [("2万亿元", 2e12, "CNY", "exact", None, None)]),
    # Chinese
    ("投资135亿美元", [("135亿美元", 13.5e9, "USD", "exact", None, None)]),
    ("约100亿美元", [("约100亿美元", 10e9, "USD", "approx", None, None)]),
    ("超过100亿美元的投资", [("超过100亿美元", 10e9, "USD", "more_than", None, None)]),
    ("高达1.35万亿元", [("高达1.35万亿元", 1.35e12, "CNY", "up_to", None, None)]),
    ("500亿人民币", [("500亿人民币", 50e9, "CNY", "exact", None, None)]),
    ("100亿美元以上", [("100亿美元以上", 10e9, "USD", "more_than", None, None)]),
    ("持股百分之二十七", [("百分之二十七", 27, "percent", "exact", None, None)]),
    ("持股27%", [("27%", 27, "percent", "exact", None, None)]),
    ("4.5吉瓦", [("4.5吉瓦", 4.5, "GW", "exact", None, None)]),
    ("10万块GPU", [("10万块GPU", 1e5, "chips", "exact", None, None)]),
    # percent, power, chips
    ("27 per cent", [("27 per cent", 27, "percent", "exact", None, None)]),
    ("27 percent", [("27 percent", 27, "percent", "exact", None, None)]),
    ("1 gigawatt of capacity", [("1 gigawatt", 1, "GW", "exact", None, None)]),
    ("a 500 MW campus", [("500 MW", 0.5, "GW", "exact", None, None)]),
    ("a 500MW campus", [("500MW", 0.5, "GW", "exact", None, None)]),
    ("up to one million TPUs", [("up to one million TPUs", 1e6, "chips", "up_to", None, None)]),
    ("100,000 GPUs", [("100,000 GPUs", 1e5, "chips", "exact", None, None)]),
    ("50 000 GPUs", [("50 000 GPUs", 5e4, "chips", "exact", None, None)]),
    ("1\u202f500 MW", [("1\u202f500 MW", 1.5, "GW", "exact", None, None)]),
    ("5 000 000 dollars", [("5 000 000 dollars", 5e6, "USD", "exact", None, None)]),
    (
        "in 2024 200 million users",
        [("2024", 2024, "year", "exact", None, None), ("200 million", 2e8, None, "exact", None, None)],
    ),
    ("400,000 Nvidia GB200 chips", [("400,000 Nvidia GB200 chips", 4e5, "chips", "exact", None, None)]),
    # years
    ("began in 2019 as", [("2019", 2019, "year", "exact", None, None)]),
    ("Apr 23, 2026", [("2026", 2026, "year", "exact", None, None)]),
    ("from 2023-2025 accelerated", [("2023-2025", 2023, "year", "range", 2023, 2025)]),
    ("fiscal 2024-25 results", [("2024-25", 2024, "year", "range", 2024, 2025)]),
    ("from 2019 to 2025", [("2019 to 2025", 2019, "year", "range", 2019, 2025)]),
    ("In 2024 Nvidia chips were scarce", [("2024", 2024, "year", "exact", None, None)]),
    (
        "$13 billion - 2025",
        [("$13 billion", 13e9, "USD", "exact", None, None), ("2025", 2025, "year", "exact", None, None)],
    ),
    # "between ... and ..." ranges, number words before a unit, codes touching their digits
    ("between $2 billion and $3 billion", [("between $2 billion and $3 billion", 3e9, "USD", "range", 2e9, 3e9)]),
    ("entre 5 y 7 gigavatios", [("entre 5 y 7 gigavatios", 7, "GW", "range", 5, 7)]),
    ("zwischen 2 und 4 Milliarden Euro", [("zwischen 2 und 4 Milliarden Euro", 4e9, "EUR", "range", 2e9, 4e9)]),
    ("a pact between Intel and Arm in 2021", [("2021", 2021, "year", "exact", None, None)]),
    (
        "$2 billion and $3 billion",
        [("$2 billion", 2e9, "USD", "exact", None, None), ("$3 billion", 3e9, "USD", "exact", None, None)],
    ),
    ("well over a gigawatt of power", [("well over a gigawatt", 1, "GW", "more_than", None, None)]),
    ("hasta un gigavatio adicional", [("hasta un gigavatio", 1, "GW", "up_to", None, None)]),
    ("three gigawatts", [("three gigawatts", 3, "GW", "exact", None, None)]),
    ("half a billion dollars", [("half a billion dollars", 0.5e9, "USD", "exact", None, None)]),
    ("a RMB5bn fund", [("RMB5bn", 5e9, "CNY", "exact", None, None)]),
    ("USD12m in fees", [("USD12m", 12e6, "USD", "exact", None, None)]),
    # French and Japanese, "mil millones" with no digit, hyphenated units, long chip model names
    ("13 milliards de dollars", [("13 milliards de dollars", 13e9, "USD", "exact", None, None)]),
    ("jusqu'à 1,3 milliard d'euros", [("jusqu'à 1,3 milliard d'euros", 1.3e9, "EUR", "up_to", None, None)]),
    ("plus de 5 Md$", [("plus de 5 Md$", 5e9, "USD", "more_than", None, None)]),
    ("de 2 à 4 milliards de dollars", [("2 à 4 milliards de dollars", 4e9, "USD", "range", 2e9, 4e9)]),
    ("entre 2 et 3 milliards d'euros", [("entre 2 et 3 milliards d'euros", 3e9, "EUR", "range", 2e9, 3e9)]),
    ("4,5 GW avec Oracle", [("4,5 GW", 4.5, "GW", "exact", None, None)]),
    ("une participation de 2,9 %", [("2,9 %", 2.9, "percent", "exact", None, None)]),
    (
        "年間30億ドル（約4500億円）",
        [("30億ドル", 3e9, "USD", "exact", None, None), ("約4500億円", 4.5e11, "JPY", "approx", None, None)],
    ),
    ("最大250億ドル", [("最大250億ドル", 25e9, "USD", "up_to", None, None)]),
    ("invertirá mil millones de dólares", [("mil millones de dólares", 1e9, "USD", "exact", None, None)]),
    ("a 750-megawatt campus", [("750-megawatt", 0.75, "GW", "exact", None, None)]),
    (
        "at least 18,000 NVIDIA GB300 Grace Blackwell chips",
        [("at least 18,000 NVIDIA GB300 Grace Blackwell chips", 18e3, "chips", "at_least", None, None)],
    ),
    # dev set a: "433.3 million primary Intel shares", "un peu plus de 166 millions d'actions nouvelles"
    (
        "433.3 million primary Vandelay shares",
        [("433.3 million primary Vandelay shares", 433.3e6, "shares", "exact", None, None)],
    ),
    ("166 millions d'actions nouvelles", [("166 millions d'actions", 166e6, "shares", "exact", None, None)]),
    ("2 million new users", [("2 million", 2e6, None, "exact", None, None)]),
    # dev set b: "will provide 1,200 low-end GPUs" (a hyphenated adjective between count and word)
    ("will provide 1,200 low-end GPUs", [("1,200 low-end GPUs", 1200.0, "chips", "exact", None, None)]),
    # dev set b: a year then a dollar figure is no range ("from $3 billion in February 2025 to $5 billion in June")
    (
        "from $3 billion in May 2025 to $5 billion in June",
        [
            ("$3 billion", 3e9, "USD", "exact", None, None),
            ("2025", 2025.0, "year", "exact", None, None),
            ("$5 billion", 5e9, "USD", "exact", None, None),
        ],
    ),
    ("$3 to $5 billion", [("$3 to $5 billion", 5e9, "USD", "range", 3e9, 5e9)]),
    # dev set a: "1-4 GWe of new US nuclear generation capacity" (electrical gigawatts)
    ("1-4 GWe of new nuclear capacity", [("1-4 GWe", 4.0, "GW", "range", 1.0, 4.0)]),
    # dev set a: "deliveries are slated to reach between 840 MW and 1,200 MW by 2029": both ends carry the unit
    ("reach between 840 MW and 1,200 MW by", [("between 840 MW and 1,200 MW", 1.2, "GW", "range", 0.84, 1.2)]),
    ("a 10%-15% share", [("10%-15%", 15, "percent", "range", 10, 15)]),
    (
        "rose from 300 MW to 960 MW",
        [("300 MW", 0.3, "GW", "exact", None, None), ("960 MW", 0.96, "GW", "exact", None, None)],
    ),
    ("a 1,000 MWe reactor", [("1,000 MWe", 1.0, "GW", "exact", None, None)]),
    # negatives: nothing is a figure
    ("a chip and a GPU", []),
    ("ABC5bn", []),
    ("[+44 \\(0\\) 20 3400 2329](tel:+442034002329)", []),
    ("+44 (0) 20 3400 2329", []),
    ("GPT-4 and Llama 3", []),
    ("typically 18-36 months at frontier scale", []),
    ("Dependent Partner Phase (Year 0-2):", []),
    ("performance-per-dollar by 2-3x", []),
    ("a 70B parameter model", []),
    ("the 1990s and the 2020s", []),
    ("1850 and 2150", []),
    ("12345 and 20251", []),
    ("2019-20,25 and 2019-1.5", []),
    ("5 GWh of storage", []),
    ("5 percentage points", []),
    ("Nvidia H100 and GB200", []),
    ("overall, some say", []),
]


def _row(f: Figure) -> tuple:
    return (f.text, f.value, f.unit, f.qualifier, f.value_low, f.value_high)


@pytest.mark.parametrize("text,expected", CASES, ids=[c[0][:40] for c in CASES])
def test_parse_figures_table(text: str, expected: list[tuple]) -> None:
    figures = parse_figures(text)
    assert [_row(f) for f in figures] == [pytest.approx(row) for row in expected]
    for f in figures:
        assert text[f.start : f.end] == f.text


def test_table_is_large() -> None:
    assert len(CASES) >= 40


def test_offsets_are_into_the_given_text() -> None:
    text = "Intro.\nMicrosoft invested $13 billion; AWS put in ~$8B in 2023."
    figures = parse_figures(text)
    assert [text[f.start : f.end] for f in figures] == ["$13 billion", "~$8B", "2023"]
    assert figures[0].start == text.index("$13")


def test_figures_are_ordered_and_disjoint_on_seeds() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        figures = parse_figures(text)
        for a, b in zip(figures, figures[1:], strict=False):
            assert a.end <= b.start
        for f in figures:
            assert text[f.start : f.end] == f.text
            assert f.unit != "year" or 1990 <= f.value <= 2100


def test_phone_numbers_in_seed_yield_no_money() -> None:
    text = (SEEDS / "004_0001dc4371515a91.txt").read_text("utf-8")
    tail = text[text.index("Richard Werner\n\nPartner") :]
    assert "2329" in tail and parse_figures(tail) == []


def test_range_value_is_its_high_end() -> None:
    """A range is stated at its high end, as the dev sets label it ("1-4 GWe" is 4 GW, "de l'ordre de 30
    milliards à 50 milliards" EUR 50bn); both ends are kept."""
    (f,) = parse_figures("$2-4 billion")
    assert f.value == f.value_high == 4e9 and f.value_low == 2e9


def test_descending_range_is_not_a_figure() -> None:
    assert parse_figures("$4-2 billion") == []


def test_parse_is_fast_on_two_megabytes() -> None:
    text = "".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    big = text * (2_000_000 // len(text) + 1)
    t = time.perf_counter()
    figures = parse_figures(big)
    assert time.perf_counter() - t < 10
    assert len(figures) > 1000


@pytest.mark.parametrize(
    "quote,value,unit,expected",
    [
        ("Microsoft’s $13 billion investment in OpenAI", 13e9, "USD", True),
        ("Microsoft’s $13 billion investment in OpenAI", 1e12, "USD", False),
        ("Microsoft’s $13 billion investment in OpenAI", 13e9, "EUR", False),
        ("Microsoft’s $13 billion investment in OpenAI", 13.05e9, "USD", True),  # within 0.5%
        ("Microsoft’s $13 billion investment in OpenAI", 13.1e9, "USD", False),
        ("could capture $2-4 billion", 4e9, "USD", True),
        ("could capture $2-4 billion", 3e9, "USD", False),  # midpoints are not stated
        ("~$135B / 27%", 27, "percent", True),
        ("~$135B / 27%", 27.1, "percent", True),
        ("~$135B / 27%", 28, "percent", False),
        ("Microsoft-OpenAI 2019-2025", 2025, "year", True),
        ("Microsoft-OpenAI 2019-2025", 2024, "year", False),
        ("in 2019", 2019.4, "year", False),  # years compare exactly
        ("4,500 MW", 4.5, "GW", True),
        ("up-to-1M TPUs", 1e6, "chips", True),
        ("135亿美元", 13.5e9, "USD", True),
        ("reaching 200 million users", 200e6, None, True),
        ("reaching 200 million users", 200e6, "USD", False),
        ("no figures here", 1.0, None, False),
    ],
)
def test_mentions_value(quote: str, value: float, unit: str | None, expected: bool) -> None:
    assert mentions_value(quote, value, unit) is expected


def test_a_capital_scale_letter_one_space_after_the_digits_and_chips_after_a_brand_hyphen():
    assert [(f.value, f.unit) for f in parse_figures("Manus’ $80 M 2025 pipeline")][0] == (80e6, "USD")
    assert [(f.value, f.unit) for f in parse_figures("10.000 Nvidia-Chips")] == [(10000, "chips")]
    assert parse_figures("5 M&A deals") == []


def test_values_carry_no_float_noise_from_scaling():
    # "valuing it at $4.1 billion" must export 4100000000, not 4099999999.9999995; "835 megawatts" is 0.835 GW.
    assert [f.value for f in parse_figures("valued at $4.1 billion, 835 MW and 1,920 MW")] == [4.1e9, 0.835, 1.92]


_PIECES = ["5", "1,200", "3.5", "2024", "12", "$", "US$", "€", "RMB", "¥", "billion", "bn", " M", "million", "%",
           "GW", "MW", "chips", "shares", "about ", "up to ", "an estimated ", "between ", " and ", "-", " to ",
           "two ", "a ", "百分之", "二十", "亿", "元", "x", "Q", ".", ",", " ", "\n", "é"]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_figures_are_the_full_patterns_matches_wherever_one_may_start(pieces):
    """The start pattern only says where to try the full pattern: the figures are the full pattern's own."""
    text = "".join(pieces)
    v = figures._vocab()
    scanned = [f for m in v.pattern.finditer(text) if (f := figures._figure(m, v)) is not None]
    assert parse_figures(text) == (scanned if v.may_hold.search(text) else [])
