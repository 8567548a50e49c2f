import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.cli import cli
from ingest.evaluate import GoldClaim, evaluate, load_document, load_gold, match_claims, matches, score_by_kind
from ingest.models import Claim

GOLD = Path(__file__).parent / "data" / "gold.json"


def gold(kind="investment", subject="Microsoft", counterparty="OpenAI", value=13e9, **kw) -> GoldClaim:
    return GoldClaim(kind=kind, subject=subject, counterparty=counterparty, value=value, quote="q", **kw)


def pred(kind="investment", subject="Microsoft", counterparty="OpenAI", value=13e9, **kw) -> Claim:
    return Claim(kind=kind, subject=subject, counterparty=counterparty, value=value, quote="q", **kw)


def test_match_on_kind_parties_and_value_within_two_percent():
    assert matches(gold(), pred(value=13.2e9))
    assert not matches(gold(), pred(value=13.4e9))
    assert not matches(gold(), pred(kind="valuation"))
    assert not matches(gold(), pred(subject="OpenAI", counterparty="Microsoft"))
    assert not matches(gold(), pred(value=None))


def test_parties_compare_after_aliasing():
    assert matches(gold(subject="Amazon", counterparty="Anthropic"), pred(subject="AWS", counterparty="Anthropic"))
    assert not matches(
        gold(subject="Amazon", counterparty="Anthropic"), pred(subject="Google", counterparty="Anthropic")
    )


def test_empty_gold_counterparty_and_value_match_any():
    assert matches(
        gold(kind="revenue", subject="OpenAI", counterparty=None, value=1.6e9), pred("revenue", "OpenAI", "X", 1.6e9)
    )
    assert matches(gold(kind="rofr", value=None), pred(kind="rofr", value=None))
    assert matches(gold(kind="rofr", value=None), pred(kind="rofr", value=2025))


def test_partnership_start_parties_are_an_unordered_pair():
    g = gold(kind="partnership_start", value=2019, unit="year")
    assert matches(g, pred(kind="partnership_start", subject="OpenAI", counterparty="Microsoft", value=2019))
    assert not matches(g, pred(kind="partnership_start", subject="OpenAI", counterparty="Amazon", value=2019))


def test_matching_is_one_to_one():
    g = [gold(), gold(value=1e9)]
    p = [pred(), pred(), pred(value=1e9)]
    pairs, missed, spurious = match_claims(g, p)
    assert sorted(pairs) == [(0, 0), (1, 2)]
    assert missed == [] and spurious == [1]
    pairs, missed, spurious = match_claims([gold(), gold()], [pred()])
    assert len(pairs) == 1 and missed == [1] and spurious == []


def test_scores_per_kind():
    scores = score_by_kind([gold(), gold(kind="rofr", value=None)], [pred(), pred(value=5e9), pred(kind="valuation")])
    inv = scores["investment"]
    assert (inv.gold, inv.predicted, inv.matched) == (1, 2, 1)
    assert inv.precision == 0.5 and inv.recall == 1.0 and inv.f1 == pytest.approx(2 / 3)
    assert scores["rofr"].recall == 0.0 and scores["rofr"].precision is None
    assert scores["valuation"].precision == 0.0 and scores["valuation"].recall is None


def test_evaluate_with_a_callable_on_a_tiny_gold_set(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Microsoft invested \\$13 billion in OpenAI. It was a good year.\n")
    gold_file = tmp_path / "gold.json"
    claims = [{"kind": "investment", "subject": "Microsoft", "counterparty": "OpenAI", "value": 13e9, "quote": "x"}]
    gold_file.write_text(json.dumps({"version": 1, "documents": [{"file": str(article), "claims": claims}]}))

    def extractor(doc):
        quote = "Microsoft invested $13 billion in OpenAI."
        start = doc.text.index(quote)
        good = Claim(
            kind="investment",
            subject="Microsoft",
            counterparty="OpenAI",
            value=13e9,
            quote=quote,
            char_start=start,
            char_end=start + len(quote),
            grounded=True,
        )
        bad = Claim(kind="valuation", subject="OpenAI", value=13e9, quote="wrong", char_start=0, char_end=5)
        return [good, bad], []

    report = evaluate(gold_file, extractor)
    assert report.documents == 1 and report.claims == 2
    assert report.overall.matched == 1 and report.overall.precision == 0.5 and report.overall.recall == 1.0
    assert report.grounding_rate == 0.5 and report.exact_quote_rate == 0.5
    assert [p.kind for p in report.details[0].spurious] == ["valuation"]


def test_gold_quotes_are_in_the_cleaned_text():
    for gdoc in load_gold(GOLD):
        text = load_document(Path(__file__).parents[1] / gdoc.file).text
        for c in gdoc.claims:
            assert c.quote in text, (gdoc.file, c.quote)


def test_eval_cli_prints_f1_on_the_gold_set(db_file):
    result = CliRunner().invoke(cli, ["eval", str(GOLD), "--extractor", "rules", "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    overall = next(line for line in result.output.splitlines() if line.startswith("overall"))
    f1 = float(overall.split()[-1])
    assert 0.0 < f1 <= 1.0
    assert "grounding rate" in result.output
    data = json.loads(CliRunner().invoke(cli, ["eval", str(GOLD), "--json", "--db", str(db_file)]).output)
    assert data[0]["overall"]["f1"] == pytest.approx(f1, abs=0.01)


def test_a_gold_document_that_is_a_folder_is_one_line(db_file, tmp_path):
    """Found by the fuzz suite: a gold file naming a folder ("file": ".") ended in an IsADirectoryError traceback."""
    gold = tmp_path / "gold.json"
    gold.write_text(json.dumps({"version": 1, "documents": [{"file": ".", "claims": []}]}))
    result = CliRunner().invoke(cli, ["eval", str(gold), "--db", str(db_file)])
    assert result.exit_code == 2 and result.exception.__class__ is SystemExit
    assert result.output == f"Error: {gold}: cannot read . (Is a directory)\n"


def test_eval_cli_rejects_an_unknown_extractor_in_one_line(db_file):
    result = CliRunner().invoke(cli, ["eval", str(GOLD), "--extractor", "nope", "--db", str(db_file)])
    assert result.exit_code != 0
    assert "'nope' is not one of 'rules', 'hybrid', 'passage'" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "content, message",
    [
        ("[]", "the file: Input should be an object"),
        ('{"documents": [{"file": "x", "claims": [{"kind": "bogus", "quote": "q"}]}]}', "claims.0.kind"),
        ('{"documents": [{"file": "x", "claims": [{"kind": "investment"}]}]}', "claims.0.quote: Field required"),
        ("{bad", "Invalid JSON"),
    ],
)
def test_a_malformed_gold_file_is_one_line(tmp_path, db_file, content, message):
    gold = tmp_path / "gold.json"
    gold.write_text(content)
    result = CliRunner().invoke(cli, ["eval", str(gold), "--db", str(db_file)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def devset(tmp_path: Path) -> Path:
    """A dev set in the shared layout: docs/NNN.json, gold.json, notes.json (one check-split doc: 003)."""
    docs = {
        "001": "Initech agreed to acquire Globex for $4.1 billion in cash.",
        "003": "Umbrella invested $300 million in Hooli, the companies said.",
        "004": "Shares of Initech rose 12% on Tuesday.",
    }
    (tmp_path / "docs").mkdir()
    for stem, text in docs.items():
        (tmp_path / "docs" / f"{stem}.json").write_text(json.dumps({"id": stem, "url": "u", "text": text}))
    gold = [
        {
            "doc": "001",
            "subject": "Initech Inc.",
            "counterparty": "Globex",
            "kind": "acquisition",
            "value": 4.1e9,
            "unit": "USD",
            "date_or_year": "",
            "quote": "acquire Globex for $4.1 billion",
        },
        {
            "doc": "003",
            "subject": "Umbrella",
            "counterparty": "Hooli",
            "kind": "investment",
            "value": 3e8,
            "unit": "USD",
            "date_or_year": "",
            "quote": "invested $300 million in Hooli",
        },
    ]
    (tmp_path / "gold.json").write_text(json.dumps(gold))
    notes = {"docs": {"004": {"role": "negative"}, "001": {"role": "deal"}, "003": {"role": "deal"}}}
    (tmp_path / "notes.json").write_text(json.dumps(notes))
    return tmp_path


def test_a_dev_set_folder_is_scored_whole_and_by_split(tmp_path):
    folder = devset(tmp_path)
    assert [d.file for d in load_gold(folder)] == ["001.txt", "003.txt", "004.txt"]
    check = evaluate(folder, split="check")
    assert (check.split, check.documents, check.overall.gold) == ("check", 1, 1)
    result = CliRunner().invoke(cli, ["eval", str(folder), "--db", str(tmp_path / "e.db")])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.startswith("rules ")]
    assert [r[1] for r in rows] == ["all", "tune", "check"]
    assert [int(r[2]) for r in rows] == [2, 1, 1]


def test_dev_sets_match_on_one_shared_party_word():
    g = GoldClaim(
        kind="acquisition", subject="Initech Inc.", counterparty="Globex unit", value=4e9, unit="USD", quote="q"
    )
    assert matches(g, pred("acquisition", "Initech", None, 4e9, unit="USD"), lenient=True)
    assert not matches(g, pred("acquisition", "Hooli", None, 4e9, unit="USD"), lenient=True)
    assert not matches(g, pred("acquisition", "Initech", None, 4e9, unit="EUR"), lenient=True)
    assert not matches(g, pred("acquisition", "Initech", None, 4e9, unit="USD"))
