"""The trained step of the default extractor on sentence shapes of the dev sets, with companies that are in
no list: kinds, parties, and what is never a claim. The shapes are the dev sets'; the names are made up,
so these test what generalises, not what the model memorised."""

import hashlib
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from ingest.clean import clean
from ingest.extract import classify, extract
from ingest.extract.parties import receiving
from ingest.extract.rules import analyse, cued_claims, extract_rules, figure_candidates
from ingest.models import Document, RawDocument


def facts(text: str) -> set[tuple]:
    doc = clean(RawDocument(source="t.txt", path="t.txt", content_type="text", text=text))
    claims, _ = extract_rules(doc)
    for c in claims:
        assert doc.text[c.char_start : c.char_end] == c.quote
    return {(c.kind, c.subject, c.counterparty, c.value, c.unit) for c in claims}


def parties(found: set[tuple]) -> set[str]:
    return {p for f in found for p in f[1:3] if p}


@pytest.mark.parametrize(
    "text",
    [
        "Amazon said it would invest up to $4 billion in Anthropic.",
        "Microsoft would invest $10 billion in OpenAI, the companies said.",
    ],
)
def test_investment_said_or_would_invest(text):
    got = facts(text)
    assert {f[0] for f in got} == {"investment"}
    assert len(parties(got)) == 2


def test_acquisition_of_companies_no_list_names():
    got = facts("Initech announced a $4.1 billion all-cash deal to acquire data security firm Globex.")
    assert [f[0] for f in got] == ["acquisition"]
    assert {"Initech", "Globex"} & parties(got)


def test_a_partnership_start_year_is_decided_by_the_rules_unless_a_company_is_left_out():
    # Dev set b: "Deloitte and Anthropic first announced a partnership in July 2024": a start year names its pair.
    got = facts("The collaboration between Hooli and Quillon dates back to 2019.")
    assert {(f[0], f[3]) for f in got} == {("partnership_start", 2019)} and parties(got) == {"Hooli", "Quillon"}
    # The team's HUMAIN release with its unlisted announcer: no start year pairs two of its partners.
    got = facts(
        "RIYADH, May 13, 2025 — Vandelay, the AI company of the Public Investment Fund, today announced "
        "strategic partnerships with NVIDIA, AMD and Amazon Web Services to build AI infrastructure."
    )
    assert not {f for f in got if f[0] == "partnership_start" and "Vandelay" not in f[1:3]}


def test_a_licence_fee_is_an_ip_rights_claim():
    # Dev set b's licensing fees ("Google's $60M Deal with Reddit and the Evolution of AI Content Licensing"): a fee
    # with a licence cue in its own clause is ip_rights, whatever the classifier's kind.
    got = facts("Tessera Labs will license its models to Zorvex for $200 million a year through 2030.")
    assert {f[0] for f in got if f[4] == "USD"} == {"ip_rights"}


def test_a_lease_in_megawatts_is_a_compute_commitment_in_gigawatts():
    got = facts("Fabrikam signed a 15-year lease with Contoso for 200 MW of critical IT capacity.")
    assert {(f[0], f[3], f[4]) for f in got} == {("compute_commitment", 0.2, "GW")}


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("Globex will invest £2 billion ($2.5 billion) in Initech, the companies said.", "GBP"),
        ("Globex has closed its deal for Initech, valued at nearly $6.5 billion (approx Rs 55814 crore).", "USD"),
    ],
)
def test_an_amount_converted_in_brackets_is_one_claim(text, unit, monkeypatch):
    def keep_all(c):
        return ("acquisition", 0.9, c.parties[0], c.parties[-1]) if c.parties else (classify.NONE, 0.0, None, None)

    monkeypatch.setattr(classify, "decide", keep_all)
    assert [f[4] for f in facts(text)] == [unit]


@pytest.mark.parametrize(
    "text",
    [
        "Shares of Initech rose 12% to $45.20 on Tuesday.",
        "Analysts expect the market for AI chips to reach $400 billion by 2030.",
    ],
)
def test_share_moves_and_forecasts_are_no_claims(text):
    assert facts(text) == set()


@pytest.mark.parametrize(
    ("text", "never"),
    [  # dev set shapes: a market move, taxes, a rate per unit or a price beside a deal
        (
            "Initech will exchange 0.1235 of its shares for each Hooli share in a $9 billion transaction, driving "
            "Initech’s stock down about 4 percent and Hooli’s shares tumbling around 20 percent after the news.",
            {4, 20},
        ),
        (
            "The scrutiny follows Initech's success in becoming the world's most valuable company with a market "
            "capitalization of $3.56 trillion; it bought Hooli for $7 billion.",
            {3.56e12},
        ),
        ("Initech will buy the Hooli plant, which is expected to contribute $3 billion in state taxes.", {3e9}),
        (
            "Hooli’s engineering team, valued at $1.6 billion or roughly $1.33 million per engineer, joins Initech.",
            {1.33e6},
        ),
        ("Initech Targets Hooli Over $49 Weight-Loss Pill", {49}),
        ("Initech agreed to buy Hooli for $32 billion; it is paying 40% more than it initially offered Hooli.", {40}),
        ("Initech, racing to expand data centers with Hooli, spent $34.9 billion in capital expenditures.", {34.9e9}),
        ("Combined with $24 billion in Q1, Initech's total capex with Hooli could reach $118 billion.", {24e9, 118e9}),
    ],
)
def test_no_claim_outside_a_deal_whatever_the_model_says(text, never, monkeypatch):
    def keep_all(c):
        return ("investment", 0.9, c.parties[0], c.parties[-1]) if c.parties else (classify.NONE, 0.0, None, None)

    monkeypatch.setattr(classify, "decide", keep_all)
    assert not {f[3] for f in facts(text)} & never


def test_every_head_of_the_shipped_model_is_present():
    m = classify.model()
    assert {"claim", "kind", "subject", "counterparty"} <= set(m)
    assert "acquisition" in m["kind"]["classes"]


@pytest.mark.slow
def test_training_is_deterministic(tmp_path):
    """The training script reproduces the shipped weights byte for byte (needs the dev sets beside the repo)."""
    devsets = ROOT.parent / "shared" / "devsets"
    if not devsets.exists():
        pytest.skip("the dev sets are not beside this checkout")
    out = tmp_path / "classifier.json"
    shipped = (ROOT / "src/ingest/data/classifier.json").read_bytes()
    cmd = [sys.executable, str(ROOT / "scripts/train_classifier.py"), "--devsets", str(devsets), "-o", str(out)]
    cmd += ["--claim-threshold", str(json.loads(shipped)["claim_threshold"])]
    subprocess.run(cmd, check=True, capture_output=True)
    digest = hashlib.sha256  # a digest, not the 1 MB diff pytest would spend minutes on
    assert digest(out.read_bytes()).hexdigest() == digest(shipped).hexdigest(), "retrain: scripts/train_classifier.py"


def test_the_topic_is_read_from_the_head_of_a_long_document():
    head = "Quarry Labs raised $40 million in a funding round led by Tallow Ventures. " * 700
    tail = "The acquisition of a rival followed the takeover talks. " * 4000
    assert len(head) >= classify.vocabulary()["topic_chars"]
    assert classify.document_kind(head + tail) == "investment"
    assert classify.document_kind(tail) == "acquisition"


def test_the_words_of_a_name_are_no_kind_cues():
    # dev set a: "which values Plano-based Aligned Data Centers at $40 billion" (a company named for data
    # centres, as "STACK Infrastructure" or "Talen Energy" are named for what they do)
    text = "Tallow Capital values Plano-based Quarry Data Centers at $40 billion."
    sents = analyse(text)
    (c,) = figure_candidates(text, sents, cued_claims(text, sents))
    assert "cue=valuation" in c.features and not any("compute_commitment" in x for x in c.features if "cue=" in x)


def test_warrants_for_shares_are_an_other_claim_and_an_exchange_ratio_is_none():
    found = facts("Hooli will receive warrants to acquire 32.5 million shares of Pied Piper common stock.")
    assert {(k, v, u) for k, _, _, v, u in found} == {("other", 32.5e6, "shares")}
    assert parties(found) <= {"Hooli", "Pied Piper"}
    ratio = "Holders will receive 0.1235 shares of Hooli common stock for each Pied Piper share."
    assert not [f for f in facts(ratio) if f[4] == "shares"]


@pytest.mark.parametrize(
    "text",
    [
        "La società Quarry Labs ha una valutazione di 2 miliardi di dollari.",  # Italian, as in the dev sets
        "Quarry Labs, valutata 2 miliardi di dollari, ha raccolto fondi.",
    ],
)
def test_a_valuation_in_italian(text):
    assert facts(text) == {("valuation", "Quarry Labs", None, 2e9, "USD")}


def test_cjk_text_is_read_one_character_at_a_time():
    # "2024年にNVIDIAが数十億円を出資しサカナAIの大株主となっている" (dev set b): the particle after a name (が, に,
    # 는) is what says its role, so it must be a token of its own, not buried in a run of kana or hangul.
    assert classify.tokens("ゾルベックスはクアンティクスに5億ドルを出資")[5:8] == ["ス", "は", "ク"]
    assert classify.tokens("카카오는 Zorvex와 협력") == ["카", "카", "오", "는", "zorvex", "와", "협", "력"]


def test_a_one_word_name_written_once_carries_no_claim_alone(monkeypatch):
    # Dev set b: the headline "From Startup to $2.3B Valuation in 18 Months" gave a valuation of "Months", and a
    # byline's "TheVerge" a valuation of its own. A name the alias table lacks, of one word and written once, is
    # too weak to be a claim's only party; written twice, or beside a stronger name, it counts.
    def keep_all(c):
        return ("valuation", 0.9, c.parties[0], None) if c.parties else (classify.NONE, 0.0, None, None)

    monkeypatch.setattr(classify, "decide", keep_all)
    assert not facts("Report by TheVerge\n\nThe company has closed a deal valued at nearly $6.5 billion.")
    twice = "Report on Quillon\n\nQuillon has closed a deal valued at nearly $6.5 billion."
    assert parties(facts(twice)) == {"Quillon"}
    # nor where a noun before it calls it a company ("Cursor maker Anysphere has surpassed $500 million in ARR")
    described = "Report\n\nCodeline maker Quillon has closed a deal valued at nearly $6.5 billion."
    assert parties(facts(described)) == {"Quillon"}


def test_words_that_lead_straight_into_a_figure_are_a_feature_of_it():
    # dev b 049: "The Series B values the startup at $2.6 billion post-money" (the round's cue is nearer the head)
    text = "Quillon raised a Series B round. The Series B values the startup at $2.6 billion post-money."
    sents = analyse(text)
    s = next(s for s in sents if s.figures)
    assert "lead=valuation" in classify.figure_features(text, s, s.figures[0], None, None)
    text = "Quillon raised a Series B round. The Series B brings the startup $2.6 billion."
    s = next(s for s in analyse(text) if s.figures)
    assert not [f for f in classify.figure_features(text, s, s.figures[0], None, None) if f.startswith("lead=")]


def test_a_figures_unit_is_crossed_with_its_cue_words_rules_kind_and_head_noun():
    # dev a 011/012: leases priced in dollars and sized in megawatts; a linear model needs the pair to tell a
    # contract's value from a site's capacity under the same cue words
    text = "Applied Digital signed 15-year leases with CoreWeave worth about $5 billion for 250 MW of capacity."
    s = next(s for s in analyse(text) if s.figures)
    money, power = (set(classify.figure_features(text, s, f, None, None)) for f in s.figures)
    assert {"cueunit=compute_commitment|money", "rkunit=None|money", "headunit=None|money"} <= money
    assert {"cueunit=compute_commitment|GW", "rkunit=None|GW", "headunit=None|GW"} <= power


@pytest.mark.parametrize(
    "text, receives",
    [
        # dev b 058's shape ("ElevenLabs just closed a $500 million Series D") with a name the alias table lacks
        ("Kramerica Industries raised $120 million in new funding.", True),
        ("Kramerica Industries invested $120 million in new data centres.", False),
    ],
)
def test_a_lone_company_that_raises_money_is_its_receiver_whoever_decides_the_claim(text, receives):
    s = analyse(text)[0]
    f, p = s.figures[0], s.parties[0]
    assert receiving(text, s, (f.start, f.end), "investment", p) is receives
    assert not receiving(text, s, (f.start, f.end), "compute_commitment", p)  # its buyer is always named
    d = Document(id="x", source="x.txt", content_type="text", raw=text, text=text, content_hash="x")
    (claim,) = extract(d, "rules").claims
    assert (claim.subject, claim.counterparty) == ((None, p.canonical) if receives else (p.canonical, None))


def features_of(text: str, value: float) -> list[str]:
    sents = analyse(text)
    (found,) = [c for c in figure_candidates(text, sents, cued_claims(text, sents)) if c.figure.value == value]
    return found.features


def test_a_bullet_without_a_full_stop_is_no_headline():
    # Dev set a's "TLDR" bullets ("• The Hyperion facility will deliver over 2 gigawatts of compute capacity"): a
    # list item is body text, whether or not it ends with a full stop; a line of its own without one is a headline.
    bullet = "Key terms of the deal:\n- Investment: $5 billion from Quillon in Vandelay common stock\n- Closing: 2026\n"
    assert "headline" not in features_of(bullet, 5e9)
    assert "headline" in features_of("Quillon invests $5 billion in Vandelay\nThe deal closes in 2026.\n", 5e9)


def test_a_company_bought_in_the_passive_is_the_target():
    # "Splunk agreed to be acquired by Cisco for $28 billion": the company after "acquired by" buys, whichever
    # the classifier reads first
    got = facts("Quantix agreed to be acquired by Zorvex for $28 billion in cash.")
    assert {(f[0], f[1], f[2]) for f in got} == {("acquisition", "Zorvex", "Quantix")}


def test_the_company_that_leads_a_round_invests():
    # "SoftBank led the $6.6 billion round, with participation from Microsoft, Nvidia and Thrive Capital": the
    # lead is the investor, the others fund it too, and no investee is named; "with participation from" is no
    # stake (French "participation" is)
    got = facts("Tallow Capital led the $6.6 billion round, with participation from Quillon Labs and Hooli Ventures.")
    assert {(f[0], f[1], f[2]) for f in got} == {("investment", "Tallow Capital", None)}
    got = facts("Tallow Capital led the $6.6 billion round in Quantix Robotics.")
    assert {(f[0], f[1], f[2]) for f in got} == {("investment", "Tallow Capital", "Quantix Robotics")}


def test_an_acquisition_in_the_spanish_future():
    # dev set b's Spanish verbs of a company ("adquirió", "invertirá"), in the future too ("adquirirá")
    got = facts("Zorvex adquirirá la empresa de ciberseguridad Quantix por 500 millones de euros.")
    assert {(f[0], f[1], f[2], f[3]) for f in got} == {("acquisition", "Zorvex", "Quantix", 5e8)}


def test_a_company_whose_funding_a_figure_totals_receives_it():
    # a press release's "The round brings Vantara's total funding to $720 million": the possessor of the funding
    # is its receiver, whoever funded it
    got = facts("Quillon Labs closed a round. The round brings Quillon Labs's total funding to $720 million.")
    assert {(f[0], f[1], f[2]) for f in got} == {("investment", None, "Quillon Labs")}
