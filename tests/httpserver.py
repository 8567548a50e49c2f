"""A real HTTP server on 127.0.0.1 (ephemeral port) for tests; routes are functions of the request handler."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Route = Callable[[BaseHTTPRequestHandler], None]


def reply(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    length: bool = True,
) -> None:
    """Send a whole response; ``length=False`` omits Content-Length (the body then ends when the socket closes)."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    if length:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


class LocalServer:
    """Serves ``routes`` (path -> function; unknown paths get 404) and records what it saw.

    ``hits`` counts requests per path, ``times`` their arrival (monotonic), ``headers`` the last request
    headers per path; ``max_active`` is the most requests waiting at once in routes made by ``hold``.
    """

    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        self.hits: Counter[str] = Counter()
        self.times: defaultdict[str, list[float]] = defaultdict(list)
        self.headers: dict[str, dict[str, str]] = {}
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.app = self  # type: ignore[attr-defined]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_port}{path}"

    def __enter__(self) -> LocalServer:
        threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def hold(self, seconds: float, route: Route) -> Route:
        """A route that waits ``seconds`` (counted in ``active``) and then answers with ``route``.

        The count drops before the answer is sent, so a client cannot start its next request while it still
        counts: ``max_active`` is exactly the number of requests the client had open at once.
        """

        def held(handler: BaseHTTPRequestHandler) -> None:
            with self._lock:
                self.active += 1
                self.max_active = max(self.max_active, self.active)
            time.sleep(seconds)
            with self._lock:
                self.active -= 1
            route(handler)

        return held

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        path = urlsplit(handler.path).path
        with self._lock:
            self.hits[path] += 1
            self.times[path].append(time.monotonic())
            self.headers[path] = dict(handler.headers)
        route = self.routes.get(path)
        try:
            if route:
                route(handler)
            else:
                handler.send_error(404)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up, as it should on trickles, bombs and oversized bodies


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.app._handle(self)  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: object) -> None:
        pass
