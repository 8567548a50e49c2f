import hashlib
import warnings

import pytest
from datasketch import MinHash

from conftest import SEEDS
from ingest import duplicates, shingles
from ingest.clean import clean, dateline_date, normalize, parse_date
from ingest.models import RawDocument


def clean_seed(name: str):
    path = next(SEEDS.glob(f"{name}_*.txt"))
    return clean(RawDocument(source=str(path), path=str(path), content_type="text", text=path.read_text()))


@pytest.fixture(scope="module")
def seeds():
    return {n: clean_seed(n) for n in ("000", "001", "002", "003", "004")}


def test_capture_artifacts_are_gone(seeds):
    text = "\n".join(d.text for d in seeds.values())
    assert "''" not in text
    assert "\\$" not in text
    assert "vv0.1.0" not in text
    assert "1. 1." not in text
    assert "investmentVerified" not in text
    assert "investment5" not in text and "anchorsCompute" not in text
    assert "  " not in text
    assert "AI lab's compute demand" in seeds["001"].text


def test_sentences_with_figures_survive(seeds):
    assert "OpenAI's collaboration with Microsoft began in 2019 as an investment with a $1 billion headline value." in (
        seeds["004"].text
    )
    assert "Microsoft has access to OpenAI's IP until 2032" in seeds["004"].text
    assert "The partnership began in 2021 with Microsoft contributing $1 billion in Azure credits" in seeds["003"].text
    assert "revaluation of Microsoft's position to ~$135B / 27% on as-converted diluted basis" in seeds["001"].text
    assert "Anthropic-AWS $8B, Microsoft-OpenAI $250B Azure commitment" in seeds["000"].text


def test_page_chrome_is_dropped(seeds):
    text = seeds["004"].text
    assert "richard.werner@bclplaw.com" not in text
    assert "3400 2329" not in text
    assert "not legal advice" not in text
    assert "RELATED CAPABILITIES" not in text and "Digital Transformation" not in text
    assert "That is Where Dependence Sits, and why it matters." in text


def test_chrome_after_a_blank_line_is_dropped_and_the_paragraphs_stay_apart():
    text = normalize(
        "Initech leased 200 MW from Vandelay.\n\nAdvertisement\n\nThe lease runs to 2040.\n\n"
        "jane.roe@initech-law.com\n\nShare this article"
    )
    assert text == "Initech leased 200 MW from Vandelay.\n\nThe lease runs to 2040."


def test_seed_metadata(seeds):
    assert seeds["004"].published == "2026-04-23"
    assert seeds["004"].author == "Richard Werner"
    assert seeds["003"].title == "What Is The Partner-to-Competitor Pattern?"


def test_real_names_are_not_split():
    assert normalize("OpenAI and DeepMind signed with CoreWeave and LinkedIn.") == (
        "OpenAI and DeepMind signed with CoreWeave and LinkedIn."
    )


def test_a_figure_line_is_never_chrome():
    text = normalize("Subscribe\nShare this: Microsoft invested $10 billion in OpenAI.\n")
    assert text == "Share this: Microsoft invested $10 billion in OpenAI."


def test_nfc_and_whitespace():
    assert normalize("Cafe\u0301  deal\u00a0 of\t$5B \n\n\n\nNext") == "Café deal of $5B\n\nNext"


def test_html_goes_through_trafilatura_with_metadata():
    html = """<html lang="en"><head><title>Amazon doubles down | Example News</title>
    <meta name="author" content="Jane Doe"><meta property="article:published_time" content="2024-11-22">
    </head><body><nav>Home | World | Tech</nav><article><h1>Amazon doubles down on Anthropic</h1>
    <p>Amazon will invest another $4 billion in Anthropic, bringing its total investment to $8 billion,
    the companies said on Friday. Anthropic named AWS its primary training partner.</p>
    <p>The deal deepens a partnership that began in 2023 and keeps Anthropic's models on Bedrock.</p>
    </article><footer>Cookie settings. We use cookies to improve your experience.</footer></body></html>"""
    doc = clean(RawDocument(source="x.html", content_type="html", text=html))
    assert "bringing its total investment to $8 billion" in doc.text
    assert "Home | World" not in doc.text and "cookies" not in doc.text
    assert doc.author == "Jane Doe"
    assert doc.published == "2024-11-22"
    assert doc.language == "en"
    assert doc.raw == html


def test_beautifulsoup_fallback_when_trafilatura_finds_nothing():
    html = "<html><head><title>Short</title></head><body><div>Oracle signs 4.5 GW deal.</div></body></html>"
    doc = clean(RawDocument(source="x.html", content_type="html", text=html))
    assert "Oracle signs 4.5 GW deal." in doc.text


def test_same_text_same_id():
    a = clean(RawDocument(source="a.txt", content_type="text", text="Microsoft invested $1 billion.\n"))
    b = clean(RawDocument(source="b.txt", content_type="text", text="Microsoft  invested $1 billion."))
    assert a.id == b.id and a.content_hash == b.content_hash


def test_parse_date():
    assert parse_date("Apr 23, 2026") == "2026-04-23"
    assert parse_date("April 23, 2026 was a day") is None
    assert parse_date("1er janvier 2025") == "2025-01-01"
    assert parse_date("6 de febrero de 2025") == "2025-02-06"
    assert parse_date("31.02.2025") is None  # no such day


@pytest.mark.parametrize(
    "head, expected",
    [
        ("SAN FRANCISCO, March 3, 2025 /PRNewswire/ -- Microsoft today announced", "2025-03-03"),
        ("Deal news\nREDMOND, Wash. — Jan. 23, 2023 — Microsoft and OpenAI", "2023-01-23"),
        ("LONDON, 12 May 2024 (Reuters) - Arm said", "2024-05-12"),
        ("A title\nPublished: 2025-03-04\n\nBody text.", "2025-03-04"),
        ("Sept. 3, 2025 — Apple said", "2025-09-03"),
        ("date 2025-12-25 輝達（Nvidia）同意以現金200億美元", "2025-12-25"),
        ("The Wire Transfer\nMarch 11, 2026.\nSomewhere, $32 billion moved.", "2026-03-11"),
        ("Microsoft said it would invest by March 3, 2025 in the venture.", None),  # a date in a sentence
        # dev-set heads: "Redmond, Washington, November 3, 2025- Microsoft has struck", "Friday, February 6, 2026",
        # "07.10.2025 13:42"; and the date lines of German, French, Chinese, Japanese and Korean articles
        ("Redmond, Washington, November 3, 2025- Microsoft has struck a deal", "2025-11-03"),
        ("Friday, February 6, 2026\nspot_img", "2026-02-06"),
        ("07.10.2025 13:42\n\nPerfect Storm: Deloitte Expands Anthropic Partnership", "2025-10-07"),
        ("SAP beteiligt sich an Aleph Alpha\n6. November 2023\n\nDer Softwarekonzern", "2023-11-06"),
        ("Nvidia investit dans Mistral\nPublié le 11 juin 2025\n\nNvidia va investir", "2025-06-11"),
        ("阿里巴巴投资月之暗面\n2024年2月20日\n\n阿里巴巴向月之暗面投资", "2024-02-20"),
        ("삼성전자, 테슬라와 파운드리 계약\n2025년 7월 28일\n\n삼성전자가", "2025-07-28"),
        # dev set b: "Update vom 26. Juli 2024:" heads an article about a round of November 2023: an update's
        # date is not when the article was published
        ("Inhalt\nUpdate vom 26. Juli 2024:\n\nAleph Alpha hat im November 2023", None),
        ("On December 30, 2025, Meta confirmed it will acquire Manus.", None),  # a sentence's date
        ("NEW YORK (Reuters) - no date here", None),
        # a date alone on the first line is no phone number to drop as page chrome
        ("2025-09-18\n\nHalvorsen Digital secures $2.5bn debt facility", "2025-09-18"),
        ("18.09.2025\n\nHalvorsen Digital sichert sich Kredit", "2025-09-18"),
    ],
)
def test_dateline_dates(head, expected):
    assert dateline_date(head) == expected
    doc = clean(RawDocument(source="x.txt", content_type="text", text=head + "\n\nMore text follows here."))
    assert doc.published == expected


def test_glued_labels_are_split_but_names_that_start_with_a_capital_are_kept():
    from ingest.clean import split_glued_labels

    assert split_glued_labels("investmentVerified") == "investment Verified"
    assert split_glued_labels("ElevenLabs and DigitalBridge") == "ElevenLabs and DigitalBridge"


def test_a_page_that_looks_like_xml_is_read_without_a_warning():
    """Found by the fuzz suite: such a page printed bs4's ten-line XMLParsedAsHTMLWarning to the user's terminal."""
    page = '<?xml version="1.0"?><rss><channel><item><title>OpenAI raises $6.6 billion</title>'
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        doc = clean(RawDocument(source="feed.html", content_type="html", text=page))
    assert [str(w.message) for w in seen] == []
    assert "OpenAI raises $6.6 billion" in doc.text


def test_a_long_texts_signature_hashed_in_batches_is_the_whole_texts():
    words = [f"w{i % 997}x{i % 13}" for i in range(3 * duplicates.BATCH)]
    whole = MinHash(num_perm=duplicates.NUM_PERM, hashfunc=int)
    whole.update_batch(shingles.gram_hashes(words).tolist())
    assert (duplicates.signature(" ".join(words)).hashvalues == whole.hashvalues).all()


def test_a_grams_hash_mixes_its_words_hashes_in_order_the_same_on_every_machine():
    """numpy's wrapping arithmetic gives what Python's integers cut to 64 bits give."""
    mask, mix = 2**64 - 1, 0x9E3779B97F4A7C15
    words = "Initech agreed to buy Vandelay for two billion dollars".lower().split()
    expected = []
    for i in range(len(words) - shingles.SHINGLE + 1):
        g = 0
        for w in words[i : i + shingles.SHINGLE]:
            g = (g * mix + int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")) & mask
        g ^= g >> 31
        expected.append(((g * mix) & mask) >> 32)
    assert shingles.gram_hashes(words).tolist() == expected
    assert (
        shingles.gram_hashes(["vandelay", "initech"]).tolist() != shingles.gram_hashes(["initech", "vandelay"]).tolist()
    )
