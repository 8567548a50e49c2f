"""Load stage: read local files and fetch URLs into RawDocuments; a bad source becomes a LoadError, never a crash.

Sources are files (.txt, .md, .html, .htm, .html.gz, .pdf), folders (searched recursively for those files, hidden
names skipped, in sorted path order), feeds and sitemaps (URLs, or .xml/.rss/.atom files named directly), and
http(s) URLs. URLs are fetched on a thread pool, bounded overall and per host, after robots.txt allows them, but
results are always yielded in the order of the sources, a feed's entries in its place, so a run is reproducible.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from email.utils import parsedate_to_datetime
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import charset_normalizer
import httpx
import tenacity
import yaml
from pydantic import BaseModel, ConfigDict, Field

from . import feeds
from .models import Feed, FeedEntry, LoadError, NotModified, RawDocument
from .pdf import PdfError, read_pdf
from .robots import Robots

_DEFAULTS = yaml.safe_load(resources.files("ingest").joinpath("data/fetch.yaml").read_text("utf-8"))
_CHUNK = 1 << 16
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels that browsers decode as windows-1252 (WHATWG Encoding): pages that say latin-1 often use its quotes.
_AS_CP1252 = {"iso8859-1", "ascii"}
_GZIP_ENCODINGS = {"gzip", "x-gzip", "deflate"}

_SNIFFED = {"application/octet-stream", "binary/octet-stream"}  # servers that do not say: look at the bytes

Kind = Literal["html", "text", "pdf", "feed"]
Loaded = RawDocument | LoadError | Feed | NotModified
Validators = Callable[[str], "tuple[str | None, str | None] | None"]


class FetchSettings(BaseModel):
    """How sources are read and fetched; defaults come from data/fetch.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    connect_timeout_s: float = Field(_DEFAULTS["connect_timeout_s"], gt=0)
    read_timeout_s: float = Field(_DEFAULTS["read_timeout_s"], gt=0)
    deadline_s: float = Field(_DEFAULTS["deadline_s"], gt=0, description="Total time per source.")
    max_redirects: int = Field(_DEFAULTS["max_redirects"], ge=0)
    retries: int = Field(_DEFAULTS["retries"], ge=0, description="Extra attempts after the first.")
    backoff_base_s: float = Field(_DEFAULTS["backoff_base_s"], ge=0)
    backoff_max_s: float = Field(_DEFAULTS["backoff_max_s"], ge=0)
    backoff_jitter_s: float = Field(_DEFAULTS["backoff_jitter_s"], ge=0)
    honour_retry_after: bool = _DEFAULTS["honour_retry_after"]
    retry_after_max_s: float = Field(_DEFAULTS["retry_after_max_s"], ge=0)
    max_body_bytes: int = Field(_DEFAULTS["max_body_bytes"], gt=0, description="Cap on decoded size.")
    max_pdf_bytes: int = Field(_DEFAULTS["max_pdf_bytes"], gt=0, description="Cap on a PDF's size.")
    respect_robots: bool = _DEFAULTS["respect_robots"]
    robots_agent: str = Field(_DEFAULTS["robots_agent"], description="The token robots.txt rules are read for.")
    crawl_delay_max_s: float = Field(_DEFAULTS["crawl_delay_max_s"], ge=0, description="Cap on Crawl-delay.")
    concurrency: int = Field(_DEFAULTS["concurrency"], ge=1)
    per_host_concurrency: int = Field(_DEFAULTS["per_host_concurrency"], ge=1)
    preferred_charset: str = Field(_DEFAULTS["preferred_charset"], description="Breaks ties in detection.")
    user_agent: str = _DEFAULTS["user_agent"].format(version=version("ingest"))
    content_types: dict[str, Kind] = Field(default_factory=lambda: dict(_DEFAULTS["content_types"]))
    file_types: dict[str, Kind] = Field(default_factory=lambda: dict(_DEFAULTS["file_types"]))
    feed_files: list[str] = Field(default_factory=lambda: list(_DEFAULTS["feed_files"]))


class _Failure(Exception):
    """Why loading one source failed; ``retry`` marks failures worth another attempt."""

    def __init__(self, message: str, retry: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.retry = retry
        self.retry_after = retry_after


def load(
    sources: Iterable[str],
    settings: FetchSettings | None = None,
    *,
    since: date | None = None,
    stored: Callable[[str], float | None] | None = None,
    validators: Validators | None = None,
) -> Iterator[Loaded]:
    """Yield one item per article, in source order (a folder yields one per file): a RawDocument, a LoadError,
    or a NotModified (a URL answering 304 to a conditional request, sent with ``validators(url)``: its stored
    ETag and Last-Modified). A feed or sitemap yields a Feed, then its entries' items, selected by
    ``feeds.select`` (``since``, ``stored``); an entry met twice in one run is fetched once.

    URLs are fetched concurrently up to ``2 * concurrency`` sources ahead of the one being yielded.
    """
    settings = settings or FetchSettings()
    fetcher = _Fetcher(settings)
    window = 2 * settings.concurrency
    todo = iter(sources)
    pending: deque[Future | _Todo] = deque()
    seen: set[str] = set()
    try:
        while True:
            while len(pending) < window and (source := next(todo, None)) is not None:
                pending.append(_Todo(source))
            if not pending:
                break
            for i in range(min(window, len(pending))):  # fetch ahead, within the window
                item = pending[i]
                if isinstance(item, _Todo) and "://" in item.source:
                    known = validators(item.source) if validators else None  # read here: one thread uses the db
                    pending[i] = fetcher.submit(item.source, item.entry, known)
            for result in _resolve(pending.popleft(), settings):
                if isinstance(result, Feed):
                    result = feeds.select(result, since, stored, seen)
                    pending.extendleft(reversed([_Todo(e.url, e) for e in result.entries]))
                yield result
    finally:
        fetcher.close()


class _Todo:
    """A source not loaded yet; ``entry`` is the feed entry that named it."""

    __slots__ = ("source", "entry")

    def __init__(self, source: str, entry: FeedEntry | None = None):
        self.source, self.entry = source, entry


def read_url_list(path: str) -> list[str]:
    """Sources listed one per line in a text file (``-`` reads stdin); blank lines and ``#`` comments skipped.

    Bytes that are not UTF-8 (a file name in another encoding) are kept as surrogate escapes, as ``os.fsdecode``
    keeps them, so the file can still be opened."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig", errors="surrogateescape")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _resolve(item: Future | _Todo, settings: FetchSettings) -> Iterator[Loaded]:
    if isinstance(item, Future):  # every URL at the head of the queue has been submitted
        yield item.result()
    else:
        yield from _load_path(item.source, settings)


# --- local files ---------------------------------------------------------------------------------------------


def _load_path(source: str, settings: FetchSettings) -> Iterator[Loaded]:
    path = Path(source)
    if path.is_dir():
        files = _folder_files(path, settings)
        if not files:
            yield LoadError(source=source, message=f"no {', '.join(settings.file_types)} files in folder")
        for file in files:
            yield _isolated(str(file), _load_file, str(file), file, settings)
    elif path.exists():
        yield _isolated(source, _load_file, source, path, settings)
    else:
        yield LoadError(source=source, message="file not found")


def _isolated(source: str, load_one: Callable[..., Loaded], *args) -> Loaded:
    """Load one source; an error nobody foresaw becomes that source's LoadError, so the batch goes on."""
    try:
        return load_one(*args)
    except Exception as exc:
        return LoadError(source=source, message=f"unexpected error ({type(exc).__name__}: {exc}); please report it")


def _folder_files(folder: Path, settings: FetchSettings) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found += [Path(root, n) for n in names if not n.startswith(".") and _file_kind(n, settings)]
    return sorted(found)


def _file_kind(name: str, settings: FetchSettings) -> Kind | None:
    name = name.lower()
    return next((kind for suffix, kind in settings.file_types.items() if name.endswith(suffix)), None)


def _load_file(source: str, path: Path, settings: FetchSettings) -> Loaded:
    kind = _file_kind(path.name, settings) or _feed_file(path.name, settings)
    if kind is None:
        wanted = ", ".join([*settings.file_types, *settings.feed_files])
        return LoadError(source=source, message=f"unsupported file type (only {wanted} files are read)")
    cap = settings.max_pdf_bytes if kind == "pdf" else settings.max_body_bytes
    try:
        with path.open("rb") as f:
            chunks: Iterator[bytes] = iter(lambda: f.read(_CHUNK), b"")
            if path.name.lower().endswith(".gz"):
                chunks = _inflate(chunks)
            data = _collect(chunks, cap, "file")
        if kind == "pdf":
            return _pdf_document(data, source=source, path=str(path))
        text, encoding = _decode(data, ["utf-8", _meta_charset(data, kind)], settings.preferred_charset)
        _check_not_empty(text, "empty file")
        if kind == "feed":
            return _parse_feed(source, text, None)
    except _Failure as exc:
        return LoadError(source=source, message=str(exc))
    except OSError as exc:
        return LoadError(source=source, message=f"cannot read file: {exc.strerror or exc}")
    return RawDocument(source=source, path=str(path), content_type=kind, text=text, encoding=encoding)


def _feed_file(name: str, settings: FetchSettings) -> Kind | None:
    """'feed' for a file named directly with a feed suffix (folders are not searched for them)."""
    return "feed" if name.lower().endswith(tuple(settings.feed_files)) else None


def _pdf_document(data: bytes, **fields) -> RawDocument:
    """A PDF's text layer, page by page; a PDF without one is that source's failure."""
    try:
        text, meta = read_pdf(data)
    except PdfError as exc:
        raise _Failure(str(exc)) from exc
    return RawDocument(content_type="pdf", text=text, **meta, **fields)


def _parse_feed(source: str, text: str, base_url: str | None) -> Feed:
    try:
        return feeds.parse(source, text, base_url)
    except feeds.FeedError as exc:
        raise _Failure(str(exc)) from exc


# --- shared by files and URLs -----------------------------------------------------------------------------------


def _inflate(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Decompress gzip or zlib data at most one chunk at a time, so a gzip bomb cannot balloon in memory."""
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    for data in chunks:
        while True:
            try:
                out = inflater.decompress(data, _CHUNK)
            except zlib.error as exc:
                raise _Failure(f"corrupt compressed data ({exc})") from exc
            data = inflater.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _CHUNK:
                break


def _collect(chunks: Iterable[bytes], cap: int, what: str) -> bytes:
    """Join chunks, failing as soon as they pass ``cap`` bytes."""
    body = bytearray()
    for chunk in chunks:
        body += chunk
        if len(body) > cap:
            raise _Failure(f"{what} exceeds {_mb(cap)} limit")
    return bytes(body)


def _mb(n: float) -> str:
    return f"{n / 1e6:g} MB"


def _meta_charset(data: bytes, kind: str) -> str | None:
    match = _META_CHARSET.search(data, 0, 4096) if kind == "html" else None
    return match.group(1).decode("ascii") if match else None


def _codec(label: str | None) -> str | None:
    try:
        name = codecs.lookup(label).name if label else None
    except LookupError:
        return None
    return "cp1252" if name in _AS_CP1252 else name


def _decode(data: bytes, labels: list[str | None], prefer: str) -> tuple[str, str]:
    """Decode with the first declared charset that fits (a BOM overrides), else charset-normalizer's guess.

    Among equally good guesses, ``prefer`` wins (cp1252 tells French from Romanian cp1250, which scores the same).
    """
    bom = next((codec for mark, codec in _BOMS if data.startswith(mark)), None)
    if bom:
        labels = [bom]
    elif b"\x00" in data:
        raise _Failure("not text: binary content")
    for codec in dict.fromkeys(filter(None, map(_codec, labels))):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    guesses = charset_normalizer.from_bytes(data)
    best = guesses.best()
    if best is None:
        raise _Failure("not text: binary content")
    tied = (g for g in guesses if (g.chaos, g.coherence) == (best.chaos, best.coherence))
    best = next((g for g in tied if prefer in g.could_be_from_charset), best)
    return str(best), best.encoding


def _check_not_empty(text: str, message: str) -> None:
    if not text.strip():
        raise _Failure(message)


# --- URLs ------------------------------------------------------------------------------------------------------


class _Fetcher:
    """Fetches URLs on a thread pool: ``concurrency`` at once, at most ``per_host_concurrency`` per host."""

    def __init__(self, settings: FetchSettings):
        self.settings = settings
        self.client = httpx.Client(
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            limits=httpx.Limits(max_connections=settings.concurrency),
            headers={
                "User-Agent": settings.user_agent,
                "Accept": ", ".join([*settings.content_types, "*/*;q=0.1"]),
                "Accept-Encoding": "gzip",
            },
        )
        self.pool = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="ingest-fetch")
        self.hosts: dict[str, threading.BoundedSemaphore] = {}
        self.lock = threading.Lock()
        self.closing = threading.Event()  # wakes fetches sleeping between retries, so Ctrl-C is not held up
        timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
        self.robots = Robots(self.client, settings.robots_agent, timeout, settings.crawl_delay_max_s)

    def submit(self, url: str, entry: FeedEntry | None = None, known: tuple | None = None) -> Future:
        """Fetch ``url`` (named by a feed ``entry``, if any; with ``known`` validators, conditionally)."""
        return self.pool.submit(_isolated, url, self._fetch_politely, url, entry, known)

    def close(self) -> None:
        """Stop fetching: queued URLs are dropped and running ones end at their next retry or read."""
        self.closing.set()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.client.close()

    def _fetch_politely(self, url: str, entry: FeedEntry | None = None, known: tuple | None = None) -> Loaded:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018  (a port that is not a number raises here)
        except ValueError as exc:
            return LoadError(source=url, message=f"invalid URL: {exc}; check the brackets, host and port")
        if parts.scheme.lower() not in ("http", "https"):
            return LoadError(source=url, message=f"unsupported URL scheme {parts.scheme} (only http and https)")
        if not parts.hostname:
            return LoadError(source=url, message="invalid URL: no host name")
        with self.lock:
            slot = self.hosts.setdefault(parts.hostname, threading.BoundedSemaphore(self.settings.per_host_concurrency))
        with slot:  # held through retries and their waits: a host that said "slow down" gets no other request
            if self.settings.respect_robots:
                refusal = self.robots.refusal(url)
                if refusal:
                    return LoadError(source=url, stage="robots", message=refusal)
                self.robots.wait_turn(url, self.closing.wait)
            result = _fetch(self.client, url, self.settings, self.closing.wait, known)
        if isinstance(result, RawDocument) and entry is not None:  # what the feed says, where the page says nothing
            result = result.model_copy(
                update={"title": result.title or entry.title, "published": result.published or entry.published}
            )
        return result


def _fetch(
    client: httpx.Client,
    url: str,
    settings: FetchSettings,
    sleep: Callable[[float], object] = time.sleep,
    known: tuple[str | None, str | None] | None = None,
) -> Loaded:
    """Fetch one URL with retries (tenacity) within ``deadline_s`` overall; ``sleep`` waits between tries.

    The deadline is checked as each body chunk arrives; before the body (connect, headers, each redirect hop)
    every single wait is capped by the time left when the attempt began.
    """
    deadline = time.monotonic() + settings.deadline_s
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, _Failure) and exc.retry),
        wait=_wait(settings),
        stop=tenacity.stop_any(
            tenacity.stop_after_attempt(settings.retries + 1),
            tenacity.stop_before_delay(settings.deadline_s),
            lambda state: _retry_after_too_long(state.outcome.exception(), settings),
        ),
        retry_error_callback=lambda state: _gave_up(url, state, settings),
        sleep=sleep,
    )
    try:
        return retrying(_attempt, client, url, settings, deadline, known)
    except _Failure as exc:
        return LoadError(source=url, message=str(exc))


def _wait(settings: FetchSettings):
    """Wait as long as Retry-After asks (when honoured), else exponential backoff with jitter."""
    backoff = tenacity.wait_exponential_jitter(
        multiplier=settings.backoff_base_s, max=settings.backoff_max_s, jitter=settings.backoff_jitter_s
    )

    def wait(state: tenacity.RetryCallState) -> float:
        retry_after = state.outcome.exception().retry_after
        return retry_after if settings.honour_retry_after and retry_after is not None else backoff(state)

    return wait


def _retry_after_too_long(exc: _Failure, settings: FetchSettings) -> bool:
    return settings.honour_retry_after and (exc.retry_after or 0) > settings.retry_after_max_s


def _gave_up(url: str, state: tenacity.RetryCallState, settings: FetchSettings) -> LoadError:
    exc, n = state.outcome.exception(), state.attempt_number
    note = ""
    if _retry_after_too_long(exc, settings):
        note = f" (server asks to wait {exc.retry_after:g} s, over the {settings.retry_after_max_s:g} s cap)"
    elif n <= settings.retries:
        note = f" (another try would pass the {settings.deadline_s:g} s deadline)"
    return LoadError(source=url, message=f"gave up after {n} attempt{'s' if n > 1 else ''}: {exc}{note}")


def _attempt(
    client: httpx.Client,
    url: str,
    settings: FetchSettings,
    deadline: float,
    known: tuple[str | None, str | None] | None = None,
) -> RawDocument | Feed | NotModified:
    remaining = max(deadline - time.monotonic(), 0.001)
    timeout = httpx.Timeout(min(settings.read_timeout_s, remaining), connect=min(settings.connect_timeout_s, remaining))
    etag, modified = known or (None, None)
    headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", modified)) if v}
    try:
        with client.stream("GET", url, timeout=timeout, headers=headers) as response:
            if response.status_code == 304 and headers:
                return NotModified(source=url, url=str(response.url))
            _check_status(response)
            kind = _response_kind(response, settings)
            body = _read_body(response, settings, deadline, kind)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _transport_failure(exc, timeout, settings) from exc
    validators = {"etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified")}
    fetched = {"source": url, "url": str(response.url), "http_status": response.status_code, **validators}
    if kind is None and body.startswith(b"%PDF-"):
        kind = "pdf"
    if kind == "pdf":
        return _pdf_document(body, **fetched)
    if kind is None and feeds.looks_like_feed(body):
        kind = "feed"
    text, encoding = _decode(
        body, [response.charset_encoding, _meta_charset(body, kind or "html"), "utf-8"], settings.preferred_charset
    )
    _check_not_empty(text, "empty page")
    if kind == "feed":
        return _parse_feed(url, text, str(response.url))
    kind = kind or ("html" if text.lstrip().startswith("<") else "text")
    return RawDocument(content_type=kind, text=text, encoding=encoding, **fetched)


def _check_status(response: httpx.Response) -> None:
    code = response.status_code
    if response.is_success:
        return
    message = f"HTTP {code} {response.reason_phrase}".rstrip()
    if code == 429 or code >= 500:
        raise _Failure(message, retry=True, retry_after=_retry_after(response.headers.get("Retry-After")))
    raise _Failure(message)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


def _response_kind(response: httpx.Response, settings: FetchSettings) -> Kind | None:
    """'html', 'text', 'pdf' or 'feed' from the Content-Type header; None when the server sent none."""
    media = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if not media or media in _SNIFFED:
        return None
    if media not in settings.content_types:
        raise _Failure(f"unsupported content type {media} (only HTML, text, PDF, feeds and sitemaps are ingested)")
    return settings.content_types[media]


def _read_body(response: httpx.Response, settings: FetchSettings, deadline: float, kind: Kind | None = None) -> bytes:
    """The decoded body, streamed so that the size cap and the deadline stop it early."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    length = response.headers.get("Content-Length", "")
    cap = settings.max_pdf_bytes if kind == "pdf" else settings.max_body_bytes
    if encoding == "identity" and length.isdigit() and int(length) > cap:
        raise _Failure(f"body exceeds {_mb(cap)} limit")
    chunks = _until(deadline, settings.deadline_s, response.iter_raw())
    if encoding in _GZIP_ENCODINGS:
        chunks = _inflate(chunks)
    elif encoding not in ("identity", ""):
        raise _Failure(f"unsupported content encoding {encoding} (only gzip is accepted)")
    return _collect(chunks, cap, "body")


def _until(deadline: float, seconds: float, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Pass chunks through until the monotonic ``deadline``: a server trickling bytes cannot hold us longer."""
    for chunk in chunks:
        if time.monotonic() > deadline:
            raise _Failure(f"timed out after {seconds:g} s (deadline per source)")
        yield chunk


def _transport_failure(exc: Exception, timeout: httpx.Timeout, settings: FetchSettings) -> _Failure:
    """A one-line failure for an httpx error; connection problems are worth a retry, slow servers are not."""
    if isinstance(exc, httpx.ConnectTimeout):
        return _Failure(f"connection timed out after {timeout.connect:g} s", retry=True)
    if isinstance(exc, httpx.TimeoutException):
        return _Failure(f"timed out after {timeout.read:g} s waiting for the server")
    if isinstance(exc, httpx.TooManyRedirects):
        return _Failure(f"redirect loop or too many redirects (max {settings.max_redirects})")
    if isinstance(exc, (httpx.NetworkError, httpx.RemoteProtocolError)):
        return _Failure(f"connection failed: {exc}", retry=True)
    return _Failure(f"request failed: {exc}")
