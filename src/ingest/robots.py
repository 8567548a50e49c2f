"""robots.txt: each host's rules fetched once per run and obeyed (urllib.robotparser), with its Crawl-delay.

As RFC 9309 says: a robots.txt that is missing (any 4xx) allows everything, and one the server fails to give
(5xx) disallows everything for the run. One that cannot be reached at all (connection refused, timeout) is
treated as missing, so the page's own fetch reports what is wrong with the host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

MAX_ROBOTS_BYTES = 512_000  # RFC 9309: parse at least 500 KiB


class Robots:
    """The robots.txt rules of every host met, for one user agent token."""

    def __init__(self, client: httpx.Client, agent: str, timeout: httpx.Timeout, max_delay_s: float):
        self.client, self.agent, self.timeout, self.max_delay_s = client, agent, timeout, max_delay_s
        self.rules: dict[str, RobotFileParser | str] = {}  # origin -> parser, or why everything is disallowed
        self.next_at: dict[str, float] = {}  # origin -> earliest time of its next request (Crawl-delay)
        self.locks: dict[str, threading.Lock] = {}
        self.lock = threading.Lock()

    def refusal(self, url: str) -> str | None:
        """Why robots.txt forbids fetching ``url``, or None when it may be fetched."""
        origin = _origin(url)
        rules = self._rules(origin)
        if isinstance(rules, str):
            return rules
        if not rules.can_fetch(self.agent, url):
            return f"robots.txt of {urlsplit(url).netloc} disallows it for {self.agent}; not fetched"
        return None

    def wait_turn(self, url: str, sleep: Callable[[float], object]) -> None:
        """Wait as long as the host's Crawl-delay asks since the last request to it (capped)."""
        origin = _origin(url)
        rules = self.rules.get(origin)
        delay = rules.crawl_delay(self.agent) if isinstance(rules, RobotFileParser) else None
        if not delay:
            return
        delay = min(float(delay), self.max_delay_s)
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at.get(origin, now))
            self.next_at[origin] = start + delay
        if start > now:
            sleep(start - now)

    def _rules(self, origin: str) -> RobotFileParser | str:
        with self.lock:
            lock = self.locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch of robots.txt per host, however many pages wait for it
            if origin not in self.rules:
                self.rules[origin] = self._fetch(origin)
        return self.rules[origin]

    def _fetch(self, origin: str) -> RobotFileParser | str:
        parser = RobotFileParser(origin + "/robots.txt")
        try:
            with self.client.stream("GET", origin + "/robots.txt", timeout=self.timeout) as response:
                code = response.status_code
                body = b""
                if response.is_success:
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > MAX_ROBOTS_BYTES:
                            break
        except httpx.HTTPError:
            parser.parse([])  # unreachable: the page's own fetch says why
            return parser
        if code >= 500:
            return f"robots.txt of {urlsplit(origin).netloc} answered HTTP {code}, so the site is off limits this run"
        lines = body[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").splitlines() if 200 <= code < 300 else []
        parser.parse(lines)
        return parser


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"
