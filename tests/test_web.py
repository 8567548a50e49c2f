"""The review app over HTTP (Starlette TestClient): pages, CSRF, escaping, decisions, clear 4xx errors."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from ingest import conflicts, review, store
from ingest.review import web
from reviewdata import add_claim, add_document, populate

HOSTILE = (
    "Partnership news.\n"
    "<script>window.pwned = 1; document.title = 'pwned'</script>\n"
    'Microsoft invested $13 billion in OpenAI. <img src=x onerror="window.pwned = 2">\n'
    "The end."
)


@pytest.fixture
def app(tmp_path):
    path = tmp_path / "t.db"
    db = store.open_db(path)
    populate(db)
    doc = add_document(
        db, HOSTILE, "hostile.html", title="<b onmouseover=alert(1)>Title</b>", url="javascript:alert(1)"
    )
    hostile = add_claim(
        db,
        doc,
        kind="investment",
        subject="Microsoft",
        counterparty="OpenAI",
        value=13e9,
        unit="USD",
        quote='Microsoft invested $13 billion in OpenAI. <img src=x onerror="window.pwned = 2">',
    )
    db.conn.commit()
    client = TestClient(web.create_app(path, reviewer="ann"), base_url="http://127.0.0.1")
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)
    return client, db, token, hostile


def message(response) -> str:
    return re.search(r'<p class="message">(.*?)</p>', response.text, re.S).group(1)


def test_queue_lists_pending_claims_with_filters_and_pages(app):
    client, db, _, _ = app
    page = client.get("/")
    assert page.status_code == 200
    pending = review.count(db, status="pending")
    assert f"{pending} claims match." in page.text
    assert len(re.findall(r'<tr class="claim"', page.text)) == min(pending, web.PAGE)
    filtered = client.get("/", params={"kind": "investment", "party": "amazon", "conflict": "any", "q": "invest"})
    ids = [int(i) for i in re.findall(r'<tr class="claim" data-id="(\d+)"', filtered.text)]
    expected = review.claims(db, kind="investment", party="amazon", search="invest", status="pending")
    assert ids == [c["id"] for c in expected] != []
    assert 'href="/?' in page.text and 'rel="next"' in page.text
    nxt = re.search(r'href="/\?([^"]+)" rel="next"', page.text).group(1).replace("&amp;", "&")
    second = client.get("/?" + nxt)
    first_ids = re.findall(r'data-id="(\d+)"', page.text)
    assert int(re.findall(r'data-id="(\d+)"', second.text)[0]) > int(first_ids[-1])


def test_keyboard_shortcuts_are_listed(app):
    text = app[0].get("/").text
    for key in ("j", "k", "a", "r", "e", "u"):
        assert f"<kbd>{key}</kbd>" in text


def test_claim_view_highlights_the_quote_in_place(app):
    client, db, _, _ = app
    claim = review.claims(db, ungrounded=False, limit=1)[0]
    text = db["documents"].get(claim["doc_id"])["text"]
    s, e = claim["char_start"], claim["char_end"]
    page = client.get(f"/claims/{claim['id']}").text
    expected = f'{escape(text[:s])}<mark id="quote">{escape(text[s:e])}</mark>{escape(text[e:])}</div>'
    assert expected in page
    assert f'href="{escape(claim["url"])}"' in page


def test_article_text_is_escaped_everywhere(app):
    client, db, _, hostile = app
    for url in (f"/claims/{hostile}", "/?q=onerror", f"/?status=&after={hostile - 1}"):
        page = client.get(url)
        assert page.status_code == 200
        assert "<script>window.pwned" not in page.text
        assert "<img src=x" not in page.text and "<b onmouseover" not in page.text
        assert "&lt;img src=x onerror=" in page.text
    view = client.get(f"/claims/{hostile}")
    assert "&lt;script&gt;window.pwned = 1;" in view.text
    assert 'href="javascript:' not in view.text  # a non-http link from an article is shown, not linked
    assert "script-src 'self'" in view.headers["content-security-policy"]
    assert view.headers["x-content-type-options"] == "nosniff"


def test_posts_need_the_csrf_token(app):
    client, db, token, _ = app
    claim_id = review.claims(db, ungrounded=False, limit=1)[0]["id"]
    for data, headers in [({}, {}), ({"csrf": "forged"}, {}), ({}, {"x-csrf-token": "forged"})]:
        response = client.post(f"/claims/{claim_id}/accept", data=data, headers=headers)
        assert response.status_code == 403
        assert "CSRF token" in message(response)
    cookieless = TestClient(client.app, base_url="http://127.0.0.1")
    assert cookieless.post(f"/claims/{claim_id}/accept", data={"csrf": token}).status_code == 403
    assert db["claims"].get(claim_id)["review_status"] == "pending"
    assert db["reviews"].count == 0
    ok = client.post(f"/claims/{claim_id}/accept", headers={"x-csrf-token": token, "x-requested-with": "fetch"})
    assert ok.json() == {"ok": True, "status": "accepted"}


def test_a_csrf_token_past_ascii_is_refused_not_a_crash(app):
    """Found by the fuzz suite: hmac.compare_digest raised TypeError on str with non-ASCII characters (a 500)."""
    client, db, token, _ = app
    claim_id = review.claims(db, ungrounded=False, limit=1)[0]["id"]
    for forged in ("é" + token[1:], "токен"):
        response = client.post(f"/claims/{claim_id}/accept", data={"csrf": forged})
        assert response.status_code == 403 and "CSRF token" in message(response)
        assert client.post("/undo", headers={"x-csrf-token": forged.encode()}).status_code == 403
    cookieless = TestClient(client.app, base_url="http://127.0.0.1")
    bad_cookie = {"cookie": "csrf=ü".encode()}
    assert cookieless.post(f"/claims/{claim_id}/accept", data={"csrf": token}, headers=bad_cookie).status_code == 403
    assert db["reviews"].count == 0


@pytest.mark.parametrize(
    ("method", "url", "status", "text"),
    [
        ("get", "/claims/999999", 404, "no claim with id 999999"),
        ("get", "/conflicts/999999", 404, "no conflict group with id 999999"),
        ("get", "/claims/abc", 404, "no such page"),
        ("get", "/?after=abc", 400, "after must be a whole number"),
        ("get", f"/claims/{2**63}", 404, f"no claim with id {2**63}: ids run from 1 to {2**63 - 1}"),
        ("get", f"/conflicts/{2**64}", 404, f"no conflict group with id {2**64}"),
        ("post", f"/claims/{2**63}/accept", 404, f"no claim with id {2**63}"),
        ("post", f"/claims/{2**63}/correct", 404, f"no claim with id {2**63}"),
        ("get", f"/?after={2**63}", 400, f"after must be a whole number from 0 to {2**63 - 1}"),
        ("get", "/?before=-1", 400, "before must be a whole number from 0"),
        ("get", f"/conflicts?after={2**63}", 400, "after must be a whole number"),
        ("get", "/?status=maybe", 400, "unknown review status"),
        ("get", "/?kind=merger", 400, "unknown kind"),
        ("get", "/?conflict=perhaps", 400, "conflict must be yes, no or any"),
        ("post", "/claims/999999/accept", 404, "no claim with id 999999"),
        ("post", "/claims/1/merge", 404, "no action"),
        ("post", "/conflicts/1/accept", 400, "say which side"),
        ("post", "/facts/accept", 404, "no fact with key"),
    ],
)
def test_unknown_ids_and_bad_input_get_a_clear_4xx(app, method, url, status, text):
    client, _, token, _ = app
    response = client.get(url) if method == "get" else client.post(url, data={"csrf": token})
    assert response.status_code == status
    assert text in message(response)
    assert "Traceback" not in response.text


def test_form_decisions_and_corrections(app):
    client, db, token, _ = app
    a, b = [c["id"] for c in review.claims(db, ungrounded=False, limit=2)]
    accepted = client.post(
        f"/claims/{a}/accept", data={"csrf": token, "note": "ok", "next": "/?status=pending"}, follow_redirects=False
    )
    assert (accepted.status_code, accepted.headers["location"]) == (303, "/?status=pending")
    row = db["claims"].get(a)
    assert (row["review_status"], row["reviewer"]) == ("accepted", "ann")
    assert db["reviews"].get(1)["note"] == "ok"
    evil = client.post(f"/claims/{a}/reject", data={"csrf": token, "next": "//evil.test/"}, follow_redirects=False)
    assert evil.headers["location"] == f"/claims/{a}"

    form = {f: "" if v is None else str(v) for f, v in db["claims"].get(b).items() if f in review.EDITABLE}
    bad = client.post(f"/claims/{b}/correct", data={**form, "csrf": token, "value": "a lot"})
    assert bad.status_code == 422 and "value: Input should be a valid number" in message(bad)
    assert db["claims"].get(b)["review_status"] == "pending"
    good = client.post(f"/claims/{b}/correct", data={**form, "csrf": token, "subject": "Contoso", "note": "typo"})
    assert good.status_code == 200
    row = db["claims"].get(b)
    assert (row["subject"], row["review_status"], row["grounded"]) == ("Contoso", "corrected", 1)
    assert "Contoso" in good.text and "typo" in good.text

    undone = client.post("/undo", data={"csrf": token}, headers={"x-requested-with": "fetch"})
    assert undone.json() == {"ok": True, "claims": [b]}
    assert db["claims"].get(b)["review_status"] == "pending"


def test_conflict_view_and_accepting_a_side(app):
    client, db, token, _ = app
    group_id = db.execute("SELECT MIN(id) FROM conflict_groups").fetchone()[0]
    group = review.conflict(db, group_id)
    page = client.get(f"/conflicts/{group_id}").text
    assert page.count("Accept this side") == len(group["sides"]) >= 2
    for side in group["sides"]:
        for c in side["claims"]:
            assert str(escape(c["quote"])) in page
    assert f'href="/conflicts/{group_id}"' in client.get("/conflicts").text
    settled = client.post(f"/conflicts/{group_id}/accept", data={"csrf": token, "side": "1"})
    statuses = [{db["claims"].get(c["id"])["review_status"] for c in s["claims"]} for s in group["sides"]]
    assert statuses[0] == {"rejected"} and statuses[1] <= {"accepted", "pending"} and "accepted" in statuses[1]
    gone = db.execute("SELECT 1 FROM conflict_groups WHERE id = ?", [group_id]).fetchone() is None
    assert settled.status_code == 200 and settled.url.path == ("/conflicts" if gone else f"/conflicts/{group_id}")


def test_fact_ledger_and_bulk_accept(app):
    client, db, token, _ = app
    page = client.get("/facts").text
    assert all(str(escape(f.key)) in page for f in review.ledger(db, limit=web.PAGE))
    sql = (
        "SELECT * FROM facts f WHERE conflict_group IS NULL AND support >= 2 AND EXISTS "
        "(SELECT 1 FROM claims c WHERE c.fact_key = f.key AND c.review_status = 'pending' AND c.grounded = 1)"
    )
    agreed = next(iter(db.query(sql + " ORDER BY key")))
    too_many = client.post("/facts/accept", data={"csrf": token, "key": agreed["key"], "min_sources": "9"})
    assert too_many.status_code == 400 and "fewer than 9" in message(too_many)
    client.post("/facts/accept", data={"csrf": token, "key": agreed["key"], "min_sources": "2"})
    grounded = [r["id"] for r in db.query("SELECT id FROM claims WHERE fact_key = ? AND grounded = 1", [agreed["key"]])]
    assert grounded and {db["claims"].get(i)["review_status"] for i in grounded} == {"accepted"}


def test_only_local_host_names_are_served(app):
    client = app[0]
    assert client.get("/", headers={"host": "attacker.test"}).status_code == 400
    assert client.get("/static/review.js").status_code == 200


def test_with_a_token_every_request_needs_it_in_the_url_or_its_cookie(tmp_path):
    path = tmp_path / "t.db"
    populate(store.open_db(path))
    app = web.create_app(path, reviewer="ann", secret="s3cret")
    stranger = TestClient(app, base_url="http://127.0.0.1")
    for url in ("/", "/claims/1", "/facts", "/static/review.js", "/?token=guess", "/?token="):
        denied = stranger.get(url)
        assert denied.status_code == 403 and "missing or wrong token" in denied.text
    assert stranger.post("/undo", data={"csrf": "x"}).status_code == 403
    assert "s3cret" not in stranger.get("/").text
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.get("/?token=s3cret").status_code == 200  # as printed by `ingest review`
    assert client.cookies.get(web.TOKEN_COOKIE) == "s3cret"
    assert client.get("/claims/1").status_code == 200 and client.get("/static/review.js").status_code == 200
    assert TestClient(web.create_app(path)).get("/", headers={"host": "127.0.0.1"}).status_code == 200  # none asked


def test_review_off_loopback_prints_a_url_with_a_random_token_and_asks_for_it(tmp_path):
    path = tmp_path / "t.db"
    populate(store.open_db(path))
    command = [sys.executable, "-m", "ingest", "review", "--db", str(path), "--host", "0.0.0.0", "--port", "0"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        printed = re.search(r"at http://0\.0\.0\.0:(\d+)/\?token=([\w-]{40,}) ", line)
        assert printed, line
        port, token = printed.groups()
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):  # the socket is bound before the URL is printed; the app may still be starting
            try:
                first = httpx.get(f"{base}/", timeout=5)
                break
            except httpx.ConnectError:
                time.sleep(0.05)
        assert first.status_code == 403
        assert httpx.get(f"{base}/?token=wrong", timeout=5).status_code == 403
        with httpx.Client(base_url=base, timeout=5) as browser:
            assert browser.get(f"/?token={token}").status_code == 200
            assert browser.get("/facts").status_code == 200  # the cookie carries it on
    finally:
        server.terminate()
        server.wait(10)
    assert "reachable from other machines" in server.stderr.read()


def test_conflict_view_puts_the_reason_in_words_first_and_marks_not_a_conflict(app):
    client, db, token, _ = app
    group_id = db.execute("SELECT MIN(id) FROM conflict_groups").fetchone()[0]
    group = review.conflict(db, group_id)
    page = client.get(f"/conflicts/{group_id}").text
    h1 = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "|" not in h1 and str(escape(conflicts.topic(group))) in h1
    assert page.index(str(escape(group["reason"]))) < page.index("Accept this side")
    refused = client.post(f"/conflicts/{group_id}/dismiss", data={"csrf": token, "note": " "})
    assert refused.status_code == 400 and "give a note" in refused.text
    client.post(f"/conflicts/{group_id}/dismiss", data={"csrf": token, "note": "tranche vs total"})
    assert db.execute("SELECT 1 FROM conflict_groups WHERE id = ?", [group_id]).fetchone() is None
    (row,) = db.query("SELECT note, reviewer FROM reviews WHERE action = 'dismiss' LIMIT 1")
    assert row == {"note": "tranche vs total", "reviewer": "ann"}
