"""Load stage: local files and folders, and fetching from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import io
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from email.utils import formatdate
from pathlib import Path

import pytest

from httpserver import LocalServer, reply
from ingest.load import FetchSettings, load, read_url_list
from ingest.models import LoadError, RawDocument

DATA = Path(__file__).parent / "data" / "load"
PAGES = sorted(DATA.glob("*.html.gz"))
PAGE1, PAGE2 = (gzip.decompress(p.read_bytes()) for p in PAGES)

FAST = FetchSettings(
    connect_timeout_s=1,
    read_timeout_s=0.5,
    deadline_s=3,
    retries=2,
    backoff_base_s=0.05,
    backoff_max_s=0.1,
    backoff_jitter_s=0.02,
    retry_after_max_s=5,
    max_body_bytes=200_000,
)
CAP = FAST.max_body_bytes

FRENCH = (
    "Le partenariat stratégique entre Microsoft et OpenAI a été renégocié : Microsoft détient désormais "
    "une participation d’environ 27 % dans la société à but lucratif, évaluée à 135 milliards de dollars. "
    "« C’est une étape décisive », a déclaré le président, à l’issue d’une réunion très médiatisée."
)
JAPANESE = "マイクロソフトはOpenAIに約130億ドルを投資した。"
QUOTES = "Amazon’s “up to $8 billion” stake – café, naïve, €"


def one(source: str, settings: FetchSettings = FAST) -> RawDocument | LoadError:
    (item,) = load([source], settings)
    return item


def error(source: str, settings: FetchSettings = FAST) -> str:
    item = one(source, settings)
    assert isinstance(item, LoadError), item
    assert item.source == source and item.stage == "load" and "\n" not in item.message
    return item.message


def page(html: bytes, content_type: str = "text/html; charset=utf-8", **kw):
    return lambda h: reply(h, 200, html, content_type, **kw)


def status(code: int, **kw):
    return lambda h: reply(h, code, b"<html><body>no</body></html>", **kw)


def first_then(first, then):
    """A route answering ``first`` to the first request to its path and ``then`` afterwards."""
    seen: list[int] = []

    def route(h):
        seen.append(1)
        (first if len(seen) == 1 else then)(h)

    return route


def sleep_then(seconds: float, route):
    def slow(h):
        time.sleep(seconds)
        route(h)

    return slow


def trickle(h):
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    for _ in range(100_000):
        h.wfile.write(b"a")
        time.sleep(0.05)


def gzip_bomb(size: int) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(z.compress(zeros) for _ in range(size >> 20)) + z.flush()


BOMB = gzip_bomb(100 << 20)  # 100 MB of zeros in ~100 KB


@pytest.fixture
def server():
    routes = {
        "/page1": page(PAGE1),
        "/page2": page(PAGE2),
        "/gzipped": page(gzip.compress(PAGE1), headers={"Content-Encoding": "gzip"}),
        "/old": status(301, headers={"Location": "/page1"}),
        "/loop-a": status(302, headers={"Location": "/loop-b"}),
        "/loop-b": status(302, headers={"Location": "/loop-a"}),
        "/flaky": first_then(status(500), page(PAGE1)),
        "/down": status(503),
        "/throttled": first_then(status(429, headers={"Retry-After": "1"}), page(PAGE1)),
        "/throttled-date": first_then(
            lambda h: reply(h, 503, b"", headers={"Retry-After": formatdate(time.time() + 2, usegmt=True)}),
            page(PAGE1),
        ),
        "/throttled-long": status(429, headers={"Retry-After": "120"}),
        "/throttled-3": status(429, headers={"Retry-After": "3"}),
        "/slow": sleep_then(1.5, page(PAGE1)),
        "/trickle": trickle,
        "/big": page(b"a" * (CAP + 1), "text/plain"),
        "/big-stream": page(b"a" * (CAP + 1), "text/plain", length=False),
        "/bomb": page(BOMB, headers={"Content-Encoding": "gzip"}),
        "/brotli": page(b"xx", headers={"Content-Encoding": "br"}),
        "/report.pdf": page(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        "/image": page(b"\x89PNG\r\n\x1a\n", "image/png"),
        "/cp1252": page(f"<p>{QUOTES}</p>".encode("cp1252"), "text/html; charset=windows-1252"),
        "/latin1-label": page(f"<p>{QUOTES}</p>".encode("cp1252"), "text/html; charset=ISO-8859-1"),
        "/sjis-meta": page(f'<html><head><meta charset="shift_jis"></head><p>{JAPANESE}</p>'.encode("shift_jis")),
        "/undeclared": page(FRENCH.encode("cp1252"), "text/plain"),
        "/no-type": page(b"<html><body><p>hello</p></body></html>", None),
        "/blank": page(b"  \n\t "),
        "/nul": page(b"abc\x00\x01\x02def", "text/plain"),
    }
    with LocalServer(routes) as s:
        s.routes["/hold"] = s.hold(0.3, page(PAGE1))
        yield s


def test_fetches_real_pages_with_an_honest_user_agent(server):
    doc = one(server.url("/page1"))
    assert isinstance(doc, RawDocument)
    assert doc.text == PAGE1.decode("utf-8")
    assert (doc.content_type, doc.encoding, doc.http_status) == ("html", "utf-8", 200)
    assert doc.source == doc.url == server.url("/page1") and doc.path is None
    sent = server.headers["/page1"]
    assert sent["User-Agent"] == FAST.user_agent and sent["User-Agent"].startswith("ingest/")
    assert "research" in sent["User-Agent"] and sent["Accept-Encoding"] == "gzip"


def test_gzip_content_encoding_is_decoded(server):
    assert one(server.url("/gzipped")).text == PAGE1.decode("utf-8")


def test_redirect_is_followed_and_final_url_kept(server):
    doc = one(server.url("/old"))
    assert doc.source == server.url("/old") and doc.url == server.url("/page1")
    assert doc.text == PAGE1.decode("utf-8")


def test_redirect_loop(server):
    settings = FAST.model_copy(update={"max_redirects": 3})
    assert error(server.url("/loop-a"), settings) == "redirect loop or too many redirects (max 3)"
    assert server.hits["/loop-a"] + server.hits["/loop-b"] == 4


def test_404_is_not_retried(server):
    assert error(server.url("/missing")) == "HTTP 404 Not Found"
    assert server.hits["/missing"] == 1


def test_500_then_200_succeeds_after_a_retry(server):
    doc = one(server.url("/flaky"))
    assert isinstance(doc, RawDocument) and doc.text == PAGE1.decode("utf-8")
    assert server.hits["/flaky"] == 2


def test_gives_up_after_all_attempts(server):
    assert error(server.url("/down")) == "gave up after 3 attempts: HTTP 503 Service Unavailable"
    assert server.hits["/down"] == 3


def test_connection_refused_is_retried_then_reported():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    message = error(f"http://127.0.0.1:{port}/x")
    assert message.startswith("gave up after 3 attempts: connection failed:") and "refused" in message


def test_429_retry_after_seconds_is_honoured(server):
    doc = one(server.url("/throttled"))
    assert isinstance(doc, RawDocument)
    first, second = server.times["/throttled"]
    assert second - first >= 1.0  # backoff alone would be about 0.05 s


def test_503_retry_after_http_date_is_honoured(server):
    assert isinstance(one(server.url("/throttled-date")), RawDocument)
    first, second = server.times["/throttled-date"]
    assert second - first >= 1.0  # the date is 1-2 s ahead (whole seconds)


def test_retry_after_over_the_cap_gives_up_at_once(server):
    start = time.monotonic()
    message = error(server.url("/throttled-long"))
    assert message == (
        "gave up after 1 attempt: HTTP 429 Too Many Requests (server asks to wait 120 s, over the 5 s cap)"
    )
    assert time.monotonic() - start < 1 and server.hits["/throttled-long"] == 1


def test_slow_response_times_out_without_retry(server):
    start = time.monotonic()
    assert error(server.url("/slow")) == "timed out after 0.5 s waiting for the server"
    assert time.monotonic() - start < 1.4 and server.hits["/slow"] == 1


def test_trickling_body_stops_at_the_deadline(server):
    settings = FAST.model_copy(update={"deadline_s": 1.0})
    start = time.monotonic()
    assert error(server.url("/trickle"), settings) == "timed out after 1 s (deadline per source)"
    elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 1.5, elapsed  # bytes arrive every 0.05 s, well inside the 0.5 s read timeout


@pytest.mark.parametrize("path", ["/big", "/big-stream"])
def test_oversized_body(server, path):
    assert error(server.url(path)) == "body exceeds 0.2 MB limit"


def test_gzip_bomb_fails_fast_in_little_memory(server):
    tracemalloc.start()
    start = time.monotonic()
    try:
        message = error(server.url("/bomb"))
        elapsed = time.monotonic() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert message == "body exceeds 0.2 MB limit"
    assert elapsed < 2.0, elapsed
    assert peak < 4_000_000, peak  # the bomb decodes to 100 MB; decoding a whole 64 KB read at once is ~64 MB


def test_unsupported_encodings_and_types(server):
    assert error(server.url("/brotli")) == "unsupported content encoding br (only gzip is accepted)"
    assert error(server.url("/report.pdf")).startswith("not a readable PDF (")  # a PDF header and nothing else
    assert error(server.url("/image")) == (
        "unsupported content type image/png (only HTML, text, PDF, feeds and sitemaps are ingested)"
    )


def test_header_charset(server):
    doc = one(server.url("/cp1252"))
    assert doc.text == f"<p>{QUOTES}</p>" and doc.encoding == "cp1252"


def test_latin1_label_is_read_as_windows_1252(server):
    assert one(server.url("/latin1-label")).text == f"<p>{QUOTES}</p>"


def test_meta_charset(server):
    doc = one(server.url("/sjis-meta"))
    assert JAPANESE in doc.text and doc.encoding == "shift_jis"


def test_undeclared_legacy_charset_is_detected(server):
    doc = one(server.url("/undeclared"))
    assert doc.text == FRENCH and doc.content_type == "text"


def test_missing_content_type_is_sniffed(server):
    assert one(server.url("/no-type")).content_type == "html"


def test_empty_and_binary_pages(server):
    assert error(server.url("/blank")) == "empty page"
    assert error(server.url("/nul")) == "not text: binary content"


def test_unsupported_or_invalid_urls():
    assert error("ftp://example.org/a.txt") == "unsupported URL scheme ftp (only http and https)"
    assert error("http:///a.txt") == "invalid URL: no host name"


def test_closing_the_generator_does_not_wait_out_a_retry(server):
    gen = load([server.url("/page1"), server.url("/throttled-3")], FAST.model_copy(update={"deadline_s": 10}))
    assert isinstance(next(gen), RawDocument)
    while server.hits["/throttled-3"] == 0:  # the second URL is fetched ahead and now waits 3 s to retry
        time.sleep(0.01)
    start = time.monotonic()
    gen.close()
    for thread in threading.enumerate():
        if thread.name.startswith("ingest-fetch"):
            thread.join(timeout=2)
    assert time.monotonic() - start < 0.5
    assert server.hits["/throttled-3"] == 1


def test_batch_keeps_order_and_bad_sources_do_not_stop_good_ones(server, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("Microsoft invested $13 billion in OpenAI.", encoding="utf-8")
    sources = [
        server.url("/page1"),
        server.url("/missing"),
        str(tmp_path / "absent.html"),
        server.url("/report.pdf"),
        server.url("/slow"),
        server.url("/page2"),
        str(note),
    ]
    items = list(load(sources, FAST))
    assert [i.source for i in items] == sources
    assert [type(i).__name__ for i in items] == ["RawDocument", "LoadError", "LoadError", "LoadError", "LoadError"] + [
        "RawDocument"
    ] * 2
    assert items[5].text == PAGE2.decode("utf-8") and items[6].text.startswith("Microsoft")


@pytest.mark.parametrize(("concurrency", "per_host", "expected"), [(6, 2, 2), (3, 6, 3)])
def test_concurrency_is_bounded(server, concurrency, per_host, expected):
    settings = FAST.model_copy(update={"concurrency": concurrency, "per_host_concurrency": per_host})
    start = time.monotonic()
    items = list(load([server.url(f"/hold?n={n}") for n in range(6)], settings))
    assert all(isinstance(i, RawDocument) for i in items)
    assert server.max_active == expected
    assert time.monotonic() - start < 6 * 0.3  # and they did overlap


# --- local files ---------------------------------------------------------------------------------------------


def write(path: Path, data: bytes | str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return str(path)


@pytest.mark.parametrize(("name", "kind"), [("a.txt", "text"), ("b.md", "text"), ("c.html", "html"), ("D.HTM", "html")])
def test_local_text_files(tmp_path, name, kind):
    source = write(tmp_path / name, f"# Deal\n\n{QUOTES}\n")
    doc = one(source)
    assert (doc.source, doc.path, doc.url) == (source, source, None)
    assert (doc.text, doc.content_type, doc.encoding) == (f"# Deal\n\n{QUOTES}\n", kind, "utf-8")


def test_local_html_gz_is_decompressed():
    doc = one(str(PAGES[0]))
    assert doc.content_type == "html" and doc.text == PAGE1.decode("utf-8")


def test_local_legacy_charsets(tmp_path):
    assert one(write(tmp_path / "fr.txt", FRENCH.encode("cp1252"))).text == FRENCH
    html = f'<meta charset="shift_jis"><p>{JAPANESE}</p>'
    doc = one(write(tmp_path / "ja.html", html.encode("shift_jis")))
    assert doc.text == html and doc.encoding == "shift_jis"
    for codec in ("utf-16", "utf-8-sig"):  # with a byte order mark, as Windows Notepad saves
        doc = one(write(tmp_path / f"{codec}.txt", QUOTES.encode(codec)))
        assert (doc.text, doc.encoding) == (QUOTES, codec)


def test_folder_is_read_recursively_in_path_order(tmp_path):
    expected = [
        write(tmp_path / "a" / "x.txt", "one"),
        write(tmp_path / "b" / "c" / "y.html", "<p>two</p>"),
        write(tmp_path / "b" / "z.html.gz", gzip.compress(b"<p>three</p>")),
        write(tmp_path / "m.md", "four"),
    ]
    write(tmp_path / "photo.png", b"\x89PNG")
    write(tmp_path / ".cache" / "hidden.txt", "hidden")
    write(tmp_path / ".hidden.md", "hidden")
    items = list(load([str(tmp_path)], FAST))
    assert [i.source for i in items] == expected
    assert [i.text for i in items] == ["one", "<p>two</p>", "<p>three</p>", "four"]


def test_empty_folder(tmp_path):
    write(tmp_path / "notes.docx", b"PK")
    assert error(str(tmp_path)) == "no .html, .htm, .html.gz, .txt, .md, .pdf files in folder"


def test_local_failures(tmp_path):
    assert error(str(tmp_path / "absent.txt")) == "file not found"
    assert error(write(tmp_path / "a.docx", b"PK")).startswith("unsupported file type (only .html")
    assert error(write(tmp_path / "a.pdf", b"%PDF")).startswith("not a readable PDF (")
    assert error(write(tmp_path / "bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")) == "not text: binary content"
    assert error(write(tmp_path / "blank.md", " \n\n\t")) == "empty file"
    assert error(write(tmp_path / "big.txt", b"a" * (CAP + 1))) == "file exceeds 0.2 MB limit"
    assert error(write(tmp_path / "bomb.html.gz", BOMB)) == "file exceeds 0.2 MB limit"
    assert error(write(tmp_path / "bad.html.gz", b"\x1f\x8b\x08\x00junkjunkjunk")).startswith("corrupt compressed data")


def test_read_url_list(tmp_path, monkeypatch):
    listing = "# partnerships\nhttps://example.org/a\n\n   seeds/  \n  # indented comment\nhttps://x.test/b#frag\n"
    expected = ["https://example.org/a", "seeds/", "https://x.test/b#frag"]
    assert read_url_list(write(tmp_path / "urls.txt", listing)) == expected
    monkeypatch.setattr(sys, "stdin", io.StringIO(listing))
    assert read_url_list("-") == expected


def test_an_unforeseen_error_in_one_file_is_that_files_failure(tmp_path, monkeypatch):
    import ingest.load

    real = ingest.load._decode

    def decode(data, *args):
        if data.startswith(b"crash"):
            raise RuntimeError("a bug the loader did not foresee")
        return real(data, *args)

    monkeypatch.setattr(ingest.load, "_decode", decode)
    write(tmp_path / "a.txt", "crash here")
    write(tmp_path / "b.txt", "Microsoft invested $13 billion in OpenAI.")
    items = list(load([str(tmp_path), "http://[::1"], FAST))
    assert [(type(i).__name__, i.source) for i in items] == [
        ("LoadError", str(tmp_path / "a.txt")),
        ("RawDocument", str(tmp_path / "b.txt")),
        ("LoadError", "http://[::1"),
    ]
    assert items[0].message == "unexpected error (RuntimeError: a bug the loader did not foresee); please report it"
    assert items[2].message == "invalid URL: Invalid IPv6 URL; check the brackets, host and port"
