"""Benchmark the deal map page: a render with ~3,000 deals between ~1,000 organisations.

    .venv/bin/python bench/dealmap.py                  # 3,000 edges in a temporary database
    .venv/bin/python bench/dealmap.py --edges 6000

The partnerships and their edges are generated (a fixed seed; a few hub companies with many partners, as in
the real market) and stored as the ledger refresh stores them; the page is fetched with starlette's
TestClient (no network), and the time is the median of 7 renders after one warm-up: the SQL read, the layout
and the SVG template. Target: under 300 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

from ingest import partnerships as pt
from ingest import store
from ingest.review import web

TARGET_MS = 300
KINDS = ["investment", "compute_commitment", "equity_stake", "exclusivity", "rofr", "ip_rights", "valuation"]


def generate(n_edges: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """Partnership rows and edge rows: pairs drawn with a preference for hubs, 1-3 kinds per pair."""
    rng = random.Random(seed)
    orgs = [f"Org {i:04d}" for i in range(max(50, n_edges // 3))]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(orgs))]
    pairs: dict[str, tuple[str, str]] = {}
    edges: list[dict] = []
    while len(edges) < n_edges:
        x, y = rng.choices(orgs, weights, k=2)
        if x == y:
            continue
        a, b = pt.pair_key(x, y)
        key = f"{a}|{b}"
        pairs[key] = (a, b)
        for kind in rng.sample(KINDS, rng.randint(1, 3)):
            year = rng.randint(2015, 2026)
            edges.append({"key": key, "a": a, "b": b, "kind": kind, "subject": x, "counterparty": y,
                          "value": rng.choice([None, rng.uniform(1e8, 5e10)]), "unit": "USD", "qualifier": "exact",
                          "first_date": str(year), "latest_date": str(year + rng.randint(0, 3)), "facts": 1,
                          "support": rng.randint(1, 4)})  # fmt: skip
    empty = {"status": "active", "sources": 1, "claims": 1, "conflicts": 0, "patterns": "[]", "kill_list": "[]",
             "claim_ids": "[]", "detail": "{}"}  # fmt: skip
    rows = [{"key": k, "a": a, "b": b, **empty} for k, (a, b) in pairs.items()]
    return rows, edges[:n_edges]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edges", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "map.db"
        db = store.open_db(path)
        rows, edges = generate(args.edges)
        store.partnerships.save_partnerships(db, rows, edges)
        client = TestClient(web.create_app(path, reviewer="bench"), base_url="http://127.0.0.1")
        page = client.get("/map")
        assert page.status_code == 200 and page.text.count('class="edge"') == len(edges), page.status_code
        times = []
        for _ in range(7):
            t0 = time.perf_counter()
            page = client.get("/map")
            times.append((time.perf_counter() - t0) * 1000)
        filtered = []
        for _ in range(7):
            t0 = time.perf_counter()
            client.get("/map", params={"kind": "investment", "since": "2020", "until": "2023"})
            filtered.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(times)
        nodes = len({e["a"] for e in edges} | {e["b"] for e in edges})
        print(f"{len(edges)} edges, {nodes} organisations, page {len(page.content) / 1e6:.2f} MB")
        print(f"map render: median {ms:.1f} ms, max {max(times):.1f} ms; filtered (one kind, 2020-2023) "
              f"median {statistics.median(filtered):.1f} ms")  # fmt: skip
        verdict = "ok" if ms < TARGET_MS else "short"
        print(f"bench dealmap: {ms:.0f} ms for {len(edges)} edges (target {TARGET_MS} ms) {verdict}")


if __name__ == "__main__":
    main()
