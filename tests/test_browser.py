"""The review page in headless Chromium (Debian's package, driven by playwright): keyboard and form review,
an article whose markup must not run, and the deal map clicked through to a dossier on the seeds and on the
dev sets' real articles (when ``../shared/devsets`` is beside the checkout)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEEDS
from ingest import review, store
from ingest.cli import cli
from ingest.review import web
from reviewdata import ROOT, add_claim, add_document, populate

CHROMIUM = Path("/usr/bin/chromium")
DEVSETS = ROOT.parent / "shared" / "devsets"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists() and os.environ.get("INGEST_REQUIRE_BROWSER") != "1",
        reason="no browser at /usr/bin/chromium: `apt-get install chromium` runs these (.ci/run installs it and "
        "sets INGEST_REQUIRE_BROWSER=1, which makes a missing browser a failure)",
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_review_with_the_keyboard_and_the_correction_form(tmp_path, page):
    db = store.open_db(tmp_path / "t.db")
    populate(db)
    first, second = review.claims(db, status="pending", limit=2)
    assert second["grounded"], "the second queued claim must be acceptable"
    target = review.claims(db, status="pending", ungrounded=False, after=second["id"], limit=1)[0]
    (ROOT / "outputs").mkdir(exist_ok=True)
    with web.BackgroundServer(tmp_path / "t.db", reviewer="ann") as server:
        page.goto(server.url)
        assert "a</kbd> accept" in page.content()
        page.keyboard.press("j")
        page.keyboard.press("a")
        page.locator(f"#claim-{second['id']} .status").filter(has_text="accepted").wait_for()
        page.screenshot(path=str(ROOT / "outputs" / "review-queue.png"))

        page.goto(f"{server.url}claims/{target['id']}")
        page.keyboard.press("e")
        assert page.evaluate("document.activeElement.name") == "kind"
        page.fill("#correct-form input[name=subject]", "Contoso")
        page.fill("#correct-form input[name=note]", "the article names Contoso")
        page.click("#correct-form button[type=submit]")
        page.locator("#claim-status").filter(has_text="corrected").wait_for()
        assert page.locator("mark#quote").inner_text() == target["quote"]
        page.screenshot(path=str(ROOT / "outputs" / "review.png"), full_page=False)

    assert db["claims"].get(first["id"])["review_status"] == "pending"
    accepted = db["claims"].get(second["id"])
    assert (accepted["review_status"], accepted["reviewer"]) == ("accepted", "ann")
    corrected = db["claims"].get(target["id"])
    assert (corrected["subject"], corrected["review_status"], corrected["grounded"]) == ("Contoso", "corrected", 1)
    log = [dict(r) for r in db.query("SELECT * FROM reviews ORDER BY id")]
    assert [(r["claim_id"], r["action"], r["reviewer"]) for r in log] == [
        (second["id"], "accept", "ann"),
        (target["id"], "correct", "ann"),
    ]
    assert json.loads(log[1]["before"])["subject"] == target["subject"]
    assert json.loads(log[1]["after"])["subject"] == "Contoso"
    assert log[1]["note"] == "the article names Contoso"
    assert (ROOT / "outputs" / "review.png").stat().st_size > 10_000


def test_markup_in_an_article_does_not_run(tmp_path, page):
    quote = "Microsoft invested $13 billion in OpenAI. <img src=x onerror=\"window.pwned = 'img'\">"
    text = (
        "OpenAI and Microsoft: a primer.\n"
        "<script>window.pwned = 'script'; document.title = 'pwned'</script>\n"
        f"{quote}\nThat is all."
    )
    db = store.open_db(tmp_path / "t.db")
    doc = add_document(db, text, "tests/primer.html", title="<script>window.pwned = 'title'</script>Primer")
    claim = add_claim(db, doc, kind="investment", subject="Microsoft", counterparty="OpenAI", value=13e9, quote=quote)
    db.conn.commit()
    dialogs, console = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    with web.BackgroundServer(tmp_path / "t.db", reviewer="ann") as server:
        for url in (server.url, f"{server.url}claims/{claim}", f"{server.url}?q=onerror"):
            page.goto(url)
            page.wait_for_load_state("load")
            assert page.evaluate("typeof window.pwned") == "undefined"
            assert page.title() != "pwned"
            assert page.locator("img").count() == 0
        assert "<script>window.pwned" not in page.goto(f"{server.url}claims/{claim}").text()
        assert "<script>window.pwned = 'script';" in page.locator("#doc-text").inner_text()
        assert "<img src=x onerror=" in page.locator("mark#quote").inner_text()
    assert dialogs == []
    assert not [m for m in console if "Content Security Policy" in m], "markup reached the DOM; only CSP stopped it"


# A point on the edge's line where the edge itself is the element under the mouse (lines cross, nodes cover
# their ends), in page coordinates; null when every sampled point is covered.
POINT_ON_EDGE = """key => {
  for (const line of document.querySelectorAll(`a.edge[data-key="${key}"] line`)) {
    const m = line.getScreenCTM();
    const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map(a => line[a].baseVal.value);
    for (let t = 0.5, i = 0; i < 19; i++, t = 0.5 + (i % 2 ? 1 : -1) * Math.ceil(i / 2) * 0.025) {
      const x = m.a * (x1 + t * (x2 - x1)) + m.c * (y1 + t * (y2 - y1)) + m.e;
      const y = m.b * (x1 + t * (x2 - x1)) + m.d * (y1 + t * (y2 - y1)) + m.f;
      const hit = document.elementFromPoint(x, y);
      if (hit && hit.closest("a.edge") && hit.closest("a.edge").dataset.key === key) return [x, y];
    }
  }
  return null;
}"""


def test_deal_map_edge_clicks_through_to_the_dossier(tmp_path, page):
    path = tmp_path / "seeds.db"
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(path)])
    assert result.exit_code == 0, result.output
    edges = store.open_db(path)["partnership_edges"].count
    (ROOT / "outputs").mkdir(exist_ok=True)
    with web.BackgroundServer(path, reviewer="ann") as server:
        page.goto(f"{server.url}map")
        assert page.locator("a.edge").count() == edges > 0
        assert page.evaluate("window.scrollY") == 0
        point = page.evaluate(POINT_ON_EDGE, "Microsoft|OpenAI")
        assert point, "no visible point on a Microsoft-OpenAI line"
        page.mouse.move(*point)
        page.screenshot(path=str(ROOT / "outputs" / "dealmap.png"), full_page=True)
        page.mouse.click(*point)
        page.wait_for_url("**/partnerships/dossier?*")
        assert page.locator("h1").inner_text().startswith("Microsoft – OpenAI")
        assert page.locator("#pstatus").inner_text() == "restructured"
        assert "to 2032" in page.locator("section.summary").inner_text()
        first = page.locator("tr.quotes details").first
        first.locator("summary").click()
        assert first.evaluate("d => d.open")
        assert first.locator("a[href^='/claims/']").count() > 0
        page.screenshot(path=str(ROOT / "outputs" / "dossier.png"), full_page=False)
        first.locator("a[href^='/claims/']").first.click()
        page.wait_for_url("**/claims/*")
        assert page.locator("mark#quote").count() == 1
    for name in ("dealmap.png", "dossier.png"):
        assert (ROOT / "outputs" / name).stat().st_size > 10_000


@pytest.mark.parametrize("name", ["a", "b"])
def test_deal_map_and_dossier_on_a_dev_set(tmp_path, page, name):
    """The busiest pair of a dev set's real articles whose line can be clicked opens its dossier."""
    if not (DEVSETS / name).exists():
        pytest.skip("the dev sets are not beside this checkout")
    for doc in sorted((DEVSETS / name / "docs").glob("*.json")):  # the articles' text only, not their labels
        (tmp_path / f"{doc.stem}.txt").write_text(json.loads(doc.read_text("utf-8"))["text"], "utf-8")
    path = tmp_path / "dev.db"
    result = CliRunner().invoke(cli, ["run", str(tmp_path), "--db", str(path)])
    assert result.exit_code == 0, result.output
    db = store.open_db(path)
    keys = [r[0] for r in db.execute("SELECT key FROM partnerships ORDER BY claims DESC, key")]
    with web.BackgroundServer(path, reviewer="ann") as server:
        page.goto(f"{server.url}map")
        assert page.locator("a.edge").count() == db["partnership_edges"].count > 0
        key, point = next((k, p) for k in keys if (p := page.evaluate(POINT_ON_EDGE, k)))
        page.mouse.move(*point)
        page.screenshot(path=str(ROOT / "outputs" / f"dealmap-devset-{name}.png"), full_page=True)
        page.mouse.click(*point)
        page.wait_for_url("**/partnerships/dossier?*")
        assert page.locator("h1").inner_text().startswith(" – ".join(key.split("|")))
        stored = db["partnerships"].get(key)
        assert page.locator("tr.event").count() == len(json.loads(stored["detail"])["timeline"]) > 0
        first = page.locator("tr.quotes details").first
        first.locator("summary").click()
        assert first.locator("blockquote").first.inner_text().strip()
        page.screenshot(path=str(ROOT / "outputs" / f"dossier-devset-{name}.png"), full_page=False)
