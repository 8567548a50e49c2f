"""Sources analysts follow, against a real HTTP server on 127.0.0.1: feeds and sitemaps, --since, robots.txt,
conditional re-fetches, and articles that change between runs."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from httpserver import LocalServer, reply
from ingest import feeds, pipeline, review, store
from ingest.cli import cli
from ingest.models import Feed
from ingest.review import web

FILLER = (
    "The agreement was described by people familiar with the talks as one of the largest in the industry, and it "
    "follows months of negotiations between the two companies over access to computing capacity and models."
)


def article(title: str, *paragraphs: str, meta_date: str | None = None) -> bytes:
    head = f'<meta property="article:published_time" content="{meta_date}">' if meta_date else ""
    body = "".join(f"<p>{p}</p>" for p in (*paragraphs, FILLER))
    return (
        f"<html><head><title>{title}</title>{head}</head><body><nav>Home | News</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Contact us</footer></body></html>"
    ).encode()


ARTICLES = {
    "/news/msft-openai": article(
        "Microsoft invests in OpenAI", "Microsoft said on Monday it will invest $10 billion in OpenAI."
    ),
    "/news/amzn-anthropic": article(
        "Amazon backs Anthropic", "Amazon will invest up to $4 billion in Anthropic, the companies said."
    ),
    "/news/old": article("Old news", "Google invested $300 million in Anthropic, the startup said."),
    "/private/memo": article("Private", "Nvidia will invest $100 billion in OpenAI, a memo said."),
}

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>AI deals</title><link>{base}/</link><description>d</description>
<item><title>Microsoft invests in OpenAI</title><link>{base}/news/msft-openai</link>
  <pubDate>Mon, 23 Jan 2023 14:00:00 GMT</pubDate></item>
<item><title>Amazon backs Anthropic</title><link>/news/amzn-anthropic</link>
  <pubDate>Mon, 25 Sep 2023 12:00:00 GMT</pubDate></item>
<item><title>Old news</title><link>{base}/news/old</link><pubDate>Fri, 03 Feb 2023 09:00:00 GMT</pubDate></item>
<item><title>Private</title><link>{base}/private/memo</link><pubDate>Tue, 26 Sep 2023 09:00:00 GMT</pubDate></item>
</channel></rss>"""

SITEMAP_INDEX = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/sitemap-news.xml</loc><lastmod>2023-09-25</lastmod></sitemap>
  <sitemap><loc>{base}/sitemap-index.xml</loc></sitemap>
</sitemapindex>"""

SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{base}/news/msft-openai</loc><lastmod>2023-01-23T14:00:00+00:00</lastmod></url>
  <url><loc>{base}/news/amzn-anthropic</loc><lastmod>2023-09-25T12:00:00Z</lastmod></url>
  <url><loc>{base}/news/old</loc><lastmod>2023-02-03</lastmod></url>
</urlset>"""

ROBOTS = "User-agent: *\nDisallow: /private/\n"


@pytest.fixture
def server():
    with LocalServer({}) as s:
        base = s.url("")
        page = lambda body: lambda h: reply(h, 200, body)  # noqa: E731
        xml = lambda text, kind: lambda h: reply(h, 200, text.format(base=base).encode(), kind)  # noqa: E731
        s.routes.update({path: page(body) for path, body in ARTICLES.items()})
        s.routes["/feed.rss"] = xml(RSS, "application/rss+xml")
        s.routes["/sitemap-index.xml"] = xml(SITEMAP_INDEX, "application/xml")
        s.routes["/sitemap-news.xml"] = xml(SITEMAP, "text/xml; charset=utf-8")
        s.routes["/robots.txt"] = lambda h: reply(h, 200, ROBOTS.encode(), "text/plain")
        yield s


def run(sources, db_file, **kw):
    return pipeline.run(sources, store.open_db(db_file), progress=False, extract=pipeline.ExtractOptions(), **kw)


def sources_of(db_file, run_id: int) -> dict[str, str]:
    db = store.open_db(db_file)
    return {r["source"]: r["status"] for r in db.query("SELECT * FROM run_sources WHERE run_id = ?", [run_id])}


def test_a_feed_expands_into_its_articles_and_robots_txt_is_obeyed(server, db_file):
    summary = run([server.url("/feed.rss")], db_file)
    assert summary.feeds == {"feeds": 1, "entries": 4, "older": 0, "stored": 0}
    assert summary.counts["new"] == 3 and summary.counts["skipped"] == 1 and not summary.failed
    (skipped,) = summary.skipped
    assert skipped.source == server.url("/private/memo")
    assert skipped.message == f"robots.txt of {server.url('')[7:]} disallows it for ingest; not fetched"
    assert server.hits["/private/memo"] == 0 and server.hits["/robots.txt"] == 1
    statuses = sources_of(db_file, summary.run_id)
    assert statuses[server.url("/feed.rss")] == "feed"
    assert statuses[server.url("/news/amzn-anthropic")] == "new"  # a relative link, resolved against the feed
    db = store.open_db(db_file)
    published = {r["url"]: r["published"] for r in db.query("SELECT url, published FROM documents")}
    assert published[server.url("/news/msft-openai")] == "2023-01-23"  # the page says nothing: the feed's date
    assert db.execute("SELECT count(*) FROM claims").fetchone()[0] >= 2


def test_items_already_stored_are_not_fetched_again(server, db_file):
    run([server.url("/feed.rss")], db_file)
    hits = dict(server.hits)
    again = run([server.url("/feed.rss")], db_file)
    assert again.feeds == {"feeds": 1, "entries": 1, "older": 0, "stored": 3}  # the disallowed one is tried again
    assert {p: server.hits[p] - hits.get(p, 0) for p in ARTICLES} == dict.fromkeys(ARTICLES, 0)
    assert again.counts["skipped"] == 1 and again.counts["new"] == 0


def test_since_keeps_recent_entries_from_the_cli(server, db_file):
    result = CliRunner().invoke(
        cli, ["run", server.url("/feed.rss"), "--since", "2023-09-01", "--db", str(db_file), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["feeds"] == {"feeds": 1, "entries": 2, "older": 2, "stored": 0}
    assert server.hits["/news/msft-openai"] == server.hits["/news/old"] == 0
    assert server.hits["/news/amzn-anthropic"] == 1
    bad = CliRunner().invoke(cli, ["run", server.url("/feed.rss"), "--since", "last week", "--db", str(db_file)])
    assert bad.exit_code == 2 and "--since" in bad.output and "YYYY-MM-DD" in bad.output


def test_a_sitemap_index_expands_into_sitemaps_then_articles_once(server, db_file):
    summary = run([server.url("/sitemap-index.xml")], db_file, since=date(2023, 2, 1))
    # the index names itself too: read once; its news sitemap's old entry (January) is left out
    assert summary.feeds == {"feeds": 2, "entries": 3, "older": 1, "stored": 0}
    assert server.hits["/sitemap-index.xml"] == 1 and server.hits["/sitemap-news.xml"] == 1
    assert summary.counts["new"] == 2 and server.hits["/news/msft-openai"] == 0


def test_a_local_feed_file_and_the_parsers(tmp_path, server):
    atom = tmp_path / "deals.atom"
    atom.write_text(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f'<entry><title>A</title><link href="{server.url("/news/old")}"/><updated>2023-02-03T09:00:00+01:00</updated>'
        '</entry><entry><title>local</title><link href="file:///etc/passwd"/></entry></feed>'
    )
    from ingest.load import load

    items = list(load([str(atom)]))
    assert isinstance(items[0], Feed) and items[0].kind == "atom"
    assert [e.updated for e in items[0].entries] == ["2023-02-03T08:00:00Z"]  # a feed never names a local file
    assert len(items) == 2 and items[1].source == server.url("/news/old")
    with pytest.raises(feeds.FeedError):
        feeds.parse("x", "<html><body>not a feed</body></html>")
    assert feeds.parse_since("yesterday", today=date(2024, 3, 1)) == date(2024, 2, 29)
    assert feeds.parse_since("7d", today=date(2024, 3, 1)) == date(2024, 2, 23)


def test_robots_txt_that_fails_with_5xx_puts_the_site_off_limits():
    with LocalServer({"/robots.txt": lambda h: reply(h, 503, b""), "/a": lambda h: reply(h, 200, b"x")}) as s:
        from ingest.load import load

        (item,) = load([s.url("/a")])
    assert item.stage == "robots" and "answered HTTP 503" in item.message and s.hits["/a"] == 0


def conditional(body: bytes, etag: str):
    """A page that answers 304 to a request that names its ETag, as a well-behaved server does."""

    def route(h):
        if h.headers.get("If-None-Match") == etag:
            reply(h, 304, b"", None, headers={"ETag": etag}, length=False)
        else:
            reply(h, 200, body, headers={"ETag": etag, "Last-Modified": "Mon, 23 Jan 2023 14:00:00 GMT"})

    return route


def test_a_conditional_refetch_that_gets_304_re_extracts_nothing(db_file):
    body = ARTICLES["/news/msft-openai"]
    with LocalServer({"/a": conditional(body, '"v1"')}) as s:
        first = run([s.url("/a")], db_file)
        db = store.open_db(db_file)
        state = db["fetch_state"].get(s.url("/a"))
        assert state["etag"] == '"v1"' and state["last_modified"] == "Mon, 23 Jan 2023 14:00:00 GMT"
        claims = db.execute("SELECT count(*) FROM claims").fetchone()[0]
        second = run([s.url("/a")], db_file)
        assert s.headers["/a"]["If-None-Match"] == '"v1"'
        assert s.headers["/a"]["If-Modified-Since"] == "Mon, 23 Jan 2023 14:00:00 GMT"
    assert first.counts["new"] == 1 and second.counts["not_modified"] == 1 and second.counts["new"] == 0
    assert second.claims["documents"] == 0 and second.timings.get("clean", 0) == 0
    assert db.execute("SELECT count(*) FROM claims").fetchone()[0] == claims
    assert sources_of(db_file, second.run_id)[s.url("/a")] == "not_modified"


def test_a_page_that_changes_becomes_a_new_version_and_its_old_claims_are_superseded(db_file, tmp_path):
    v1 = article(
        "Microsoft invests in OpenAI",
        "Microsoft invested $10 billion in OpenAI, the companies said.",
        "Analysts said the deal values OpenAI at $29 billion.",
    )
    v2 = article(
        "Microsoft invests in OpenAI",
        "Microsoft invested $13 billion in OpenAI, the companies said.",  # corrected
        "Analysts said the deal values OpenAI at $29 billion.",
    )
    other = article("OpenAI funding", "Microsoft invested $13 billion in OpenAI, according to the filing.")
    page = {"body": v1}
    routes = {"/a": lambda h: reply(h, 200, page["body"]), "/b": lambda h: reply(h, 200, other)}
    with LocalServer(routes) as s:
        first = run([s.url("/a"), s.url("/b")], db_file)
        db = store.open_db(db_file)
        (old_id,) = [r["id"] for r in db.query("SELECT id FROM documents WHERE url = ?", [s.url("/a")])]
        assert store.ledger.facts(db, status="conflicting")  # $10B against $13B
        page["body"] = v2
        second = run([s.url("/a"), s.url("/b")], db_file)
    assert first.counts["new"] == 2 and second.counts["new_version"] == 1 and second.counts["unchanged"] == 1
    db = store.open_db(db_file)
    new = db.execute("SELECT id, previous_version, version FROM documents WHERE superseded_by IS NULL AND url = ?",
                     [s.url("/a")]).fetchone()  # fmt: skip
    assert new[1] == old_id and new[2] == 2 and new[0] != old_id
    old_claims = list(db.query("SELECT id, value, superseded_by FROM claims WHERE doc_id = ?", [old_id]))
    assert old_claims and all(c["superseded_by"] == new[0] for c in old_claims)  # kept, marked
    queue = review.claims(db, limit=100)
    assert not {c["id"] for c in old_claims} & {c["id"] for c in queue}
    assert {c["id"] for c in review.claims(db, superseded=True)} == {c["id"] for c in old_claims}
    assert not store.ledger.facts(db, status="conflicting")  # recomputed: the $10B claim left the ledger
    ledger_claims = {i for f in store.ledger.facts(db) for i in f["claim_ids"]}
    assert not ledger_claims & {c["id"] for c in old_claims}
    created = [r[0] for r in db.execute("SELECT created_at FROM documents WHERE url = ? ORDER BY version",
                                        [s.url("/a")])]  # fmt: skip
    assert len(created) == 2 and created[0] < created[1]  # both fetch times kept

    shown = CliRunner().invoke(cli, ["show", "--versions", s.url("/a"), "--db", str(db_file)])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert out.startswith(f"2 versions of {s.url('/a')}")
    assert "-Microsoft invested $10 billion in OpenAI, the companies said." in out
    assert "+Microsoft invested $13 billion in OpenAI, the companies said." in out
    appeared = out[out.index("claims that appeared in version 2: 1") : out.index("claims that disappeared")]
    assert "investment  Microsoft -> OpenAI  $13.0B" in appeared
    disappeared = out[out.index("claims that disappeared from version 1: 1") :]
    assert "investment  Microsoft -> OpenAI  $10.0B" in disappeared and "$29" not in out.split("claims that")[1]
    plain = CliRunner().invoke(cli, ["show", s.url("/a"), "--db", str(db_file)])
    assert "version: 2 (current; see --versions)" in plain.output and "$13 billion" in plain.output

    client = TestClient(web.create_app(db_file, reviewer="ann"), base_url="http://127.0.0.1")
    page = client.get(f"/documents/{new[0]}/versions")
    assert page.status_code == 200
    assert "<del>-Microsoft invested $10 billion in OpenAI, the companies said.</del>" in page.text
    assert "<ins>+Microsoft invested $13 billion in OpenAI, the companies said.</ins>" in page.text
    gone = page.text[page.text.index('<ul class="disappeared">') :]
    assert f'href="/claims/{next(c["id"] for c in old_claims if c["value"] == 10e9)}"' in gone
    old_page = client.get(f"/claims/{old_claims[0]['id']}")
    assert 'id="superseded"' in old_page.text and f'href="/documents/{old_id}/versions"' in old_page.text
    assert client.get("/documents/nothing/versions").status_code == 404


def test_a_local_file_that_changes_is_versioned_too(db_file, tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Deal note\n\nMicrosoft will invest $10 billion in OpenAI, the companies said.\n")
    run([str(path)], db_file)
    path.write_text("Deal note\n\nMicrosoft will invest $13 billion in OpenAI, the companies said.\n")
    second = run([str(path)], db_file)
    assert second.counts["new_version"] == 1
    db = store.open_db(db_file)
    assert [r["version"] for r in db.query("SELECT version FROM documents ORDER BY version")] == [1, 2]
    verified = db.execute("SELECT count(*) FROM verified_claims").fetchone()[0]
    assert verified == 0


def test_versions_of_an_unknown_source_is_one_line(db_file):
    store.open_db(db_file)
    result = CliRunner().invoke(cli, ["show", "--versions", "nowhere", "--db", str(db_file)])
    assert result.exit_code == 2 and result.output == "Error: no document 'nowhere': list ids with `ingest docs`\n"


def test_crawl_delay_spaces_requests_to_a_host():
    routes = {
        "/robots.txt": lambda h: reply(h, 200, b"User-agent: ingest\nCrawl-delay: 1\n", "text/plain"),
        "/a": lambda h: reply(h, 200, ARTICLES["/news/old"]),
        "/b": lambda h: reply(h, 200, ARTICLES["/news/msft-openai"]),
    }
    from ingest.load import load

    with LocalServer(routes) as s:
        items = list(load([s.url("/a"), s.url("/b")]))  # two slots per host: without the delay, both at once
    assert [type(i).__name__ for i in items] == ["RawDocument", "RawDocument"]
    first, second = sorted(s.times["/a"] + s.times["/b"])
    assert second - first >= 0.95


def test_the_pages_own_date_wins_over_the_feeds(db_file):
    rss = (
        '<rss version="2.0"><channel><title>t</title><item><title>x</title><link>{}</link>'
        "<pubDate>Mon, 25 Sep 2023 12:00:00 GMT</pubDate></item></channel></rss>"
    )
    page = article("Amazon backs Anthropic", "Amazon will invest up to $4 billion.", meta_date="2023-09-24")
    with LocalServer({"/p": lambda h: reply(h, 200, page)}) as s:
        s.routes["/f"] = lambda h: reply(h, 200, rss.format(s.url("/p")).encode(), "application/rss+xml")
        run([s.url("/f")], db_file)
    db = store.open_db(db_file)
    assert [r[0] for r in db.execute("SELECT published FROM documents")] == ["2023-09-24"]
