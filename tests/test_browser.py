"""The review page in headless Chromium (Debian's package, driven by playwright): keyboard and form review,
and an article whose markup must not run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ingest import review, store, web
from reviewdata import ROOT, add_claim, add_document, populate

CHROMIUM = Path("/usr/bin/chromium")
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
        not CHROMIUM.exists() and not os.environ.get("CI"),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); CI installs it",
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
