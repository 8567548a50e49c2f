"""The review web app: a claim queue, claim and source view, fact ledger and conflict view (Starlette).

Binds 127.0.0.1 by default. Every POST carries the server's CSRF token (cookie plus form field or
``X-CSRF-Token`` header); all article text is escaped by Jinja2 and a strict Content-Security-Policy
allows only the app's own script. Unknown ids and bad input answer 4xx with a message page.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import aliases, dealmap, review, store
from .. import partnerships as pt
from ..conflicts import format_value, topic
from ..models import ClaimKind, DealStatus, Qualifier

PAGE = 50
MAP_LIMIT = 500  # partnerships listed on one page
QUOTES = 5  # quotes shown per fact of a dossier; the rest are a link to the queue
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
TOKEN_COOKIE = "ingest_token"
QUEUE_FILTERS = ("kind", "status", "party", "doc", "conflict", "grounded", "q")


def http_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None (a javascript: link from an article is never rendered)."""
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.PackageLoader("ingest.review", "templates"), autoescape=True)
    env.filters["http_url"] = http_url
    env.filters["show_value"] = review.show_value
    env.filters["format_value"] = format_value
    return Jinja2Templates(env=env)


def _int(value: Any, name: str, default: int | None = None) -> int | None:
    """A whole number from a query or form, 0 to SQLite's largest integer."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= store.MAX_INT:
        raise review.ReviewError(f"{name} must be a whole number from 0 to {store.MAX_INT}, not {value!r}")
    return number


def _tri(value: str | None, name: str) -> bool | None:
    """'yes'/'no'/'' query values as True/False/None."""
    if value in (None, "", "any"):
        return None
    if value in ("yes", "no"):
        return value == "yes"
    raise review.ReviewError(f"{name} must be yes, no or any, not {value!r}")


def _period(value: str | None, name: str) -> str | None:
    """A period bound from the map's filter: YYYY, YYYY-MM or YYYY-MM-DD."""
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?", value):
        raise review.ReviewError(f"{name} must be a year or date (YYYY, YYYY-MM or YYYY-MM-DD), not {value!r}")
    return value


def _next_url(value: str | None, default: str) -> str:
    """A local redirect target only (never another host)."""
    return value if value and value.startswith("/") and not value.startswith("//") else default


class TokenGate(BaseHTTPMiddleware):
    """Serves only requests that carry the secret, as notebook servers do: ``?token=`` in the URL (then kept in
    a cookie, so links within the page work) or that cookie."""

    def __init__(self, app, secret: str) -> None:
        super().__init__(app)
        self.secret = secret.encode()

    async def dispatch(self, request: Request, call_next) -> Response:
        sent = request.query_params.get("token")
        given = sent if sent is not None else request.cookies.get(TOKEN_COOKIE, "")
        if not hmac.compare_digest(given.encode(), self.secret):
            message = "403: missing or wrong token; open the URL with ?token= that `ingest review` printed\n"
            return Response(message, 403, headers=HEADERS, media_type="text/plain")
        response = await call_next(request)
        if sent is not None:
            response.set_cookie(TOKEN_COOKIE, sent, httponly=True, samesite="strict")
        return response


def is_loopback(host: str) -> bool:
    """Whether an address to bind is reachable from this machine only."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


def create_app(
    db_path: str | Path,
    reviewer: str | None = None,
    allowed_hosts: list[str] | None = None,
    secret: str | None = None,
) -> Starlette:
    """The review app for one database, deciding as ``reviewer`` (default: the OS user); with ``secret``, every
    request must carry it (see TokenGate)."""
    db = store.open_db(db_path, any_thread=True)
    reviewer = review.reviewer_name(reviewer)
    token = secrets.token_urlsafe(32)
    templates = _templates()

    def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        last = review.last_decision(db, reviewer)
        context |= {"csrf": token, "reviewer": reviewer, "last": last, "here": str(request.url.path)}
        response = templates.TemplateResponse(request, name, context, status_code=status_code, headers=HEADERS)
        response.set_cookie("csrf", token, httponly=True, samesite="strict")
        return response

    def wants_json(request: Request) -> bool:
        return request.headers.get("x-requested-with") == "fetch"

    async def form(request: Request) -> dict:
        """The POST form, after checking its CSRF token."""
        data = await request.form()
        sent = data.get("csrf") or request.headers.get("x-csrf-token") or ""
        cookie = request.cookies.get("csrf") or ""
        expected = token.encode()  # bytes: compare_digest refuses str with characters past ASCII
        if not (hmac.compare_digest(str(sent).encode(), expected) and hmac.compare_digest(cookie.encode(), expected)):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")
        return {k: data.getlist(k) if k == "ids" else data[k] for k in data}

    def done(request: Request, data: dict, default: str, **payload: Any) -> Response:
        if wants_json(request):
            return JSONResponse({"ok": True, **payload}, headers=HEADERS)
        return RedirectResponse(_next_url(data.get("next"), default), status_code=303, headers=HEADERS)

    async def queue(request: Request) -> Response:
        p = request.query_params
        grounded = _tri(p.get("grounded"), "grounded")
        filters = {
            "kind": p.get("kind") or None,
            "status": p.get("status", "pending") or None,
            "party": p.get("party") or None,
            "doc": p.get("doc") or None,
            "conflict": _tri(p.get("conflict"), "conflict"),
            "ungrounded": None if grounded is None else not grounded,
            "search": p.get("q") or None,
        }
        after, before = _int(p.get("after"), "after"), _int(p.get("before"), "before")
        rows = review.claims(db, after=after, before=before, limit=PAGE, **filters)
        keep = {k: p[k] for k in QUEUE_FILTERS if k in p}
        return render(
            request,
            "queue.html",
            rows=rows,
            total=review.count(db, **filters),
            params=keep,
            status=filters["status"] or "",
            kinds=[k.value for k in ClaimKind],
            statuses=review.STATUSES,
            next_qs=urlencode({**keep, "after": rows[-1]["id"]}) if len(rows) == PAGE else None,
            prev_qs=urlencode({**keep, "before": rows[0]["id"]}) if rows and (after or before) else None,
            here_qs=urlencode({**keep, **({"after": after} if after else {})}),
        )

    async def claim_view(request: Request) -> Response:
        claim_id = request.path_params["claim_id"]
        claim = review.get(db, claim_id)
        text, start, end = claim["doc_text"] or "", claim["char_start"], claim["char_end"]
        located = start is not None and end is not None and end <= len(text)
        parts = (text[:start], text[start:end], text[end:]) if located else (text, "", "")
        return render(
            request,
            "claim.html",
            claim=claim,
            parts=parts,
            located=located,
            history=review.history(db, claim_id),
            prev=review.claims(db, before=claim_id, limit=1),
            next=review.claims(db, after=claim_id, limit=1),
            editable=review.EDITABLE,
            choices={
                "kind": [k.value for k in ClaimKind],
                "qualifier": [q.value for q in Qualifier],
                "deal_status": ["", *(d.value for d in DealStatus)],
            },
        )

    async def versions_view(request: Request) -> Response:
        from .. import versions

        try:
            chain = versions.history(db, request.path_params["doc_id"])
        except versions.VersionsError as e:
            raise HTTPException(404, str(e)) from None
        return render(request, "versions.html", chain=chain, changes=versions.changes(db, chain), when=versions.when)

    async def decide(request: Request) -> Response:
        claim_id, action = request.path_params["claim_id"], request.path_params["action"]
        data = await form(request)
        note = data.get("note")
        if action == "accept":
            review.accept(db, [claim_id], reviewer, note)
        elif action == "reject":
            review.reject(db, [claim_id], reviewer, note)
        elif action == "correct":
            changes = {k: data[k].replace("\r\n", "\n") for k in review.EDITABLE if k in data}  # form newlines
            review.correct(db, claim_id, changes, reviewer, note)
        else:
            raise HTTPException(404, f"no action {action!r}; use accept, reject or correct")
        claim = review.get(db, claim_id)
        return done(request, data, f"/claims/{claim_id}", status=claim["review_status"])

    async def undo(request: Request) -> Response:
        data = await form(request)
        ids = review.undo(db, reviewer)
        return done(request, data, f"/claims/{ids[0]}", claims=ids)

    async def facts(request: Request) -> Response:
        p = request.query_params
        rows = review.ledger(db, p.get("status") or None, p.get("after") or None, PAGE)
        params = {"status": p["status"]} if p.get("status") else {}
        more = urlencode({**params, "after": rows[-1].key}) if len(rows) == PAGE else None
        return render(request, "facts.html", rows=rows, status=p.get("status", ""), next_qs=more)

    async def bulk_accept(request: Request) -> Response:
        data = await form(request)
        min_sources = _int(data.get("min_sources"), "min_sources", 2)
        if min_sources < 1:
            raise review.ReviewError("min_sources must be at least 1")
        review.bulk_accept(db, data.get("key") or "", min_sources, reviewer, data.get("note"))
        return done(request, data, "/facts")

    async def conflicts(request: Request) -> Response:
        p = request.query_params
        open_only = p.get("all") != "1"
        rows = review.groups(db, open_only, _int(p.get("after"), "after", 0), PAGE)
        more = urlencode({"all": "0" if open_only else "1", "after": rows[-1].id}) if len(rows) == PAGE else None
        return render(request, "conflicts.html", rows=rows, open_only=open_only, next_qs=more)

    async def conflict_view(request: Request) -> Response:
        group = review.conflict(db, request.path_params["group_id"])
        return render(request, "conflict.html", group=group, topic=topic(group))

    async def accept_side(request: Request) -> Response:
        group_id = request.path_params["group_id"]
        data = await form(request)
        side = _int(data.get("side"), "side")
        if side is None:
            raise review.ReviewError("say which side to accept")
        review.accept_side(db, group_id, side, reviewer, data.get("note"))
        settled = store.ledger.settled(db, group_id)
        return done(request, data, "/conflicts" if settled else f"/conflicts/{group_id}")

    async def dismiss(request: Request) -> Response:
        group_id = request.path_params["group_id"]
        data = await form(request)
        review.dismiss(db, group_id, data.get("note"), reviewer)
        return done(request, data, "/conflicts")

    def pair_qs(a: str, b: str) -> str:
        return urlencode({"a": a, "b": b})

    async def partnerships(request: Request) -> Response:
        company = (request.query_params.get("company") or "").strip()
        name = (aliases.canonical(company) or company) if company else None
        pt.refresh_stale(db)
        rows = store.partnerships.partnership_list(db, name, MAP_LIMIT + 1)
        for r in rows:
            r["qs"] = pair_qs(r["a"], r["b"])
        return render(request, "partnerships.html", rows=rows[:MAP_LIMIT], more=len(rows) > MAP_LIMIT, company=company)

    async def dossier(request: Request) -> Response:
        p = request.query_params
        a, b = (p.get("a") or "").strip(), (p.get("b") or "").strip()
        if not a or not b:
            raise review.ReviewError("give both parties: /partnerships/dossier?a=NAME&b=NAME")
        try:
            found = pt.dossier(db, a, b)
        except pt.PartnershipError as e:
            raise review.NotFound(str(e)) from None
        ids = [i for e in found.timeline for i in e.claim_ids[:QUOTES]]
        docs = store.partnerships.documents_by_id(db, [s.doc_id for u in found.patterns for s in u.passages])
        return render(
            request,
            "dossier.html",
            p=found,
            claims=store.partnerships.claims_by_id(db, ids),
            docs=docs,
            groups=store.partnerships.open_groups(db, found.conflicts),
            labels={k: v[0] for k, v in pt.TOTALS.items()},
            right_names=pt.RIGHT_NAMES,
            quotes=QUOTES,
            queue_qs=lambda e: urlencode({"party": e.subject, "kind": e.kind, "status": ""}),
            figure=lambda e: review.show_value({"value_low": None, "value_high": None, **e.model_dump()}),
        )

    async def deal_map(request: Request) -> Response:
        p = request.query_params
        kind = p.get("kind") or ""
        kinds = [k.value for k in ClaimKind]
        if kind and kind not in kinds:
            raise review.ReviewError(f"unknown kind {kind!r}; use one of {', '.join(kinds)}")
        since, until = (_period(p.get(k), k) for k in ("since", "until"))
        pt.refresh_stale(db)
        rows = store.partnerships.deal_edges(db, [kind] if kind else None, since, until)
        return render(
            request,
            "map.html",
            m=dealmap.layout(rows),
            kinds=kinds,
            kind=kind,
            since=since or "",
            until=until or "",
            qs=lambda e: pair_qs(e.a, e.b),
        )

    def error(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"ok": False, "error": message}, status_code=status, headers=HEADERS)
        try:
            return render(request, "error.html", status_code=status, status=status, message=message)
        except Exception:  # the message must reach the user even when the page cannot be rendered
            return Response(f"{status}: {message}\n", status, headers=HEADERS, media_type="text/plain")

    async def on_http(request: Request, exc: HTTPException) -> Response:
        message = exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else "no such page"
        return error(request, exc.status_code, message)

    async def on_review(request: Request, exc: review.ReviewError) -> Response:
        status = 404 if isinstance(exc, review.NotFound) else 422 if isinstance(exc, review.InvalidCorrection) else 400
        return error(request, status, str(exc))

    async def on_database(request: Request, exc: store.DatabaseError) -> Response:
        return error(request, 500, store.database_error(db_path, exc))

    async def on_crash(request: Request, exc: Exception) -> Response:
        traceback.print_exception(exc, file=sys.stderr)
        return error(request, 500, "internal error; the server log has the details")

    routes = [
        Route("/", queue),
        Route("/claims/{claim_id:int}", claim_view),
        Route("/claims/{claim_id:int}/{action}", decide, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/documents/{doc_id}/versions", versions_view),
        Route("/facts", facts),
        Route("/facts/accept", bulk_accept, methods=["POST"]),
        Route("/partnerships", partnerships),
        Route("/partnerships/dossier", dossier),
        Route("/map", deal_map),
        Route("/conflicts", conflicts),
        Route("/conflicts/{group_id:int}", conflict_view),
        Route("/conflicts/{group_id:int}/accept", accept_side, methods=["POST"]),
        Route("/conflicts/{group_id:int}/dismiss", dismiss, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("ingest.review", "static")]), name="static"),
    ]
    hosts = allowed_hosts or ["127.0.0.1", "localhost", "::1"]
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
            *([Middleware(TokenGate, secret=secret)] if secret else []),
        ],
        exception_handlers={
            HTTPException: on_http,
            review.ReviewError: on_review,
            store.DatabaseError: on_database,
            Exception: on_crash,
        },
    )


def url(host: str, port: int, token: str | None = None) -> str:
    """The address to open in a browser (with the token the page asks for, if any)."""
    query = f"?{urlencode({'token': token})}" if token else ""
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/{query}"


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket bound to host:port (0: any free port); raises OSError when the address is taken.

    proto IPPROTO_TCP so that asyncio sets TCP_NODELAY on each connection (else 40 ms keep-alive stalls).
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def serve(db_path: str | Path, sock: socket.socket, reviewer: str | None = None, secret: str | None = None) -> None:
    """Run the review app on a bound socket until interrupted; with ``secret``, requests must carry it."""
    host = sock.getsockname()[0]
    hosts = ["*"] if host in ("0.0.0.0", "::") else ["127.0.0.1", "localhost", "::1", host]
    config = uvicorn.Config(create_app(db_path, reviewer, hosts, secret), log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


class BackgroundServer:
    """The review app served by uvicorn in a thread on an ephemeral 127.0.0.1 port (tests and bench)."""

    def __init__(self, db_path: str | Path, reviewer: str | None = None) -> None:
        self.sock = bind()
        self.url = url("127.0.0.1", self.sock.getsockname()[1])
        config = uvicorn.Config(create_app(db_path, reviewer), log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the review server did not start at {self.url}")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()
