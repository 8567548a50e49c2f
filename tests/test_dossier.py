"""The partnership pages of the review app (Starlette TestClient): the list, a dossier with its timeline,
patterns and conflicts, the deal map with its filters and links, escaping of article text, clear 4xx."""

from __future__ import annotations

import re
import shutil
from urllib.parse import parse_qs, unquote

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from conftest import SEEDS
from ingest import store
from ingest.cli import cli
from ingest.review import web

HOSTILE = (
    "REDMOND, Wash., March 3, 2024 -- Microsoft invested $2 billion in OpenAI <script>window.pwned=1</script> "
    "the companies said.\n"
)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dossier")
    shutil.copytree(SEEDS, folder / "seeds")
    (folder / "seeds" / "hostile.txt").write_text(HOSTILE)
    path = folder / "t.db"
    result = CliRunner().invoke(cli, ["run", str(folder / "seeds"), "--db", str(path)])
    assert result.exit_code == 0, result.output
    return TestClient(web.create_app(path, reviewer="ann"), base_url="http://127.0.0.1"), store.open_db(path)


def test_partnership_list_links_every_stored_partnership(client):
    c, db = client
    page = c.get("/partnerships")
    assert page.status_code == 200
    links = re.findall(r'href="/partnerships/dossier\?([^"]+)"', page.text)
    assert len(links) == db["partnerships"].count > 1
    only = c.get("/partnerships", params={"company": "Azure"})  # an alias
    assert re.findall(r'<tr class="partnership">', only.text) and "Amazon" not in only.text


def test_dossier_shows_status_terms_timeline_patterns_conflicts_and_escapes_text(client):
    c, db = client
    page = c.get("/partnerships/dossier", params={"a": "OpenAI", "b": "Microsoft"})  # either order
    assert page.status_code == 200
    text = page.text
    assert re.search(r'id="pstatus">restructured<', text)
    assert "more than $13.0B" in text and "$250.0B" in text and "to 2032" in text
    assert re.search(r"ROFR \(Microsoft\)</dt><dd class=\"right right-ended\">ended", text)
    assert "Hyperscaler-Exclusive-Then-Multi-Home" in text
    dates = re.findall(r'<tr class="event" id="fact-\d+">\s*<td>([^<]+)</td>', text)
    assert dates[0] == "2019" and dates == sorted(d for d in dates if d != "undated") + ["undated"] * dates.count(
        "undated"
    )
    stored = db["partnerships"].get("Microsoft|OpenAI")
    for claim_id in re.findall(r"\d+", stored["claim_ids"]):
        assert f'href="/claims/{claim_id}"' in text  # every claim can be reviewed from here
    groups = [r[0] for r in db.execute("SELECT DISTINCT conflict_group FROM claims WHERE conflict_group IS NOT NULL "
                                        "AND subject = 'Microsoft' AND counterparty = 'OpenAI'")]  # fmt: skip
    assert groups and all(f'href="/conflicts/{g}"' in text for g in groups)
    assert "<script>window.pwned" not in text and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in text
    assert "Content-Security-Policy" in page.headers


def test_dossier_errors_are_one_line_4xx(client):
    c, _ = client
    missing = c.get("/partnerships/dossier", params={"a": "Nobody", "b": "OpenAI"})
    assert missing.status_code == 404 and "no partnership of Nobody and OpenAI" in missing.text
    assert c.get("/partnerships/dossier", params={"a": "OpenAI"}).status_code == 400


def test_deal_map_draws_every_deal_filters_and_links_to_dossiers(client):
    c, db = client
    page = c.get("/map")
    assert page.status_code == 200
    edge = r'<a href="/partnerships/dossier\?([^"]+)" class="edge" data-key="([^"]+)"><line class="kind-(\w+)"'
    edges = re.findall(edge, page.text)
    assert len(edges) == db["partnership_edges"].count
    for qs, key, _ in edges:
        pair = parse_qs(unquote(qs.replace("&amp;", "&")))
        assert "|".join(sorted([pair["a"][0], pair["b"][0]], key=str.casefold)) == key
    qs = edges[0][0].replace("&amp;", "&")
    assert c.get(f"/partnerships/dossier?{qs}").status_code == 200
    only = c.get("/map", params={"kind": "compute_commitment"})
    kinds = set(re.findall(r'class="edge" data-key="[^"]+"><line class="kind-(\w+)"', only.text))
    assert kinds == {"compute_commitment"}
    dated = list(
        db.query("SELECT key FROM partnership_edges WHERE latest_date >= '2025' AND first_date <= '2025\uffff'")
    )
    period = c.get("/map", params={"since": "2025", "until": "2025"})
    assert len(re.findall(r'class="edge"', period.text)) == len(dated) > 0
    assert "<title>OpenAI → Microsoft · compute commitment · $250.0B · 2025</title>" in page.text
    bad = c.get("/map", params={"since": "last year"})
    assert bad.status_code == 400 and "since must be a year or date" in bad.text
    assert c.get("/map", params={"kind": "bogus"}).status_code == 400


def test_dossier_shows_a_few_quotes_per_fact_and_links_the_rest(tmp_path):
    folder = tmp_path / "copies"
    folder.mkdir()
    for i in range(web.QUOTES + 2):  # one fact, stated by more sources than the dossier quotes
        (folder / f"site{i}.txt").write_text(f"Report {i} from desk {i * 7919}.\n\n{HOSTILE}")
    path = tmp_path / "t.db"
    assert CliRunner().invoke(cli, ["run", str(folder), "--db", str(path)]).exit_code == 0
    page = TestClient(web.create_app(path, reviewer="ann"), base_url="http://127.0.0.1").get(
        "/partnerships/dossier", params={"a": "Microsoft", "b": "OpenAI"}
    )
    assert page.status_code == 200
    assert page.text.count('<article class="dossier-claim">') == web.QUOTES
    more = re.search(r"… and (\d+) more: <a href=\"/\?([^\"]+)\">", page.text)
    assert more and int(more.group(1)) == 2
    assert parse_qs(unquote(more.group(2).replace("&amp;", "&"))) == {"party": ["Microsoft"], "kind": ["investment"]}
