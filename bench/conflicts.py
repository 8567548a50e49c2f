"""Benchmark conflict detection on generated claims with planted conflicts whose answers are known.

    .venv/bin/python bench/conflicts.py                 # 100k and 1M claims, plus the SQLite round trip at 100k
    .venv/bin/python bench/conflicts.py --sizes 100000  # a quick run

Every generated fact has ten claims on average, with rounding noise, approximate figures, near-duplicate copies,
amounts in euros converted at the rate of their date (a tenth of the facts), and look-alike traps that must NOT
be flagged (tranche vs total, LOI vs signed, "up to" vs exact, a stake that changes between rounds). About 8% of
facts get one planted conflict (value, date, attribution, qualifier, or a magnitude slip inside one document).
A detected group is correct when all its claims belong to one planted conflict and its kind of disagreement is
the planted one.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import tempfile
import time
from pathlib import Path

from ingest import conflicts, currency, store
from ingest.store import open_db

SIZES = (1, 2, 4, 6, 10, 12, 14, 16, 17, 18)  # claims per fact, mean 10
KINDS = (
    ("investment", "USD"),
    ("investment", "USD"),
    ("investment", "USD"),
    ("investment", "USD"),
    ("equity_stake", "percent"),
    ("valuation", "USD"),
    ("compute_commitment", "GW"),
    ("partnership_start", "year"),
    ("revenue", "percent"),
    ("compute_commitment", "USD"),
)
TRAPS = ("plain", "tranche", "up_to", "planned", "over_time")
DATES = [f"20{y:02d}-{m:02d}-15" for y in range(18, 26) for m in range(1, 13)]


class Generator:
    """Claim dicts (as `detect` reads them) and the planted conflicts: claim id -> planted id, and kinds."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        self.claims: list[dict] = []
        self.truth: dict[int, int] = {}  # claim id -> planted conflict id
        self.planted: dict[int, str] = {}  # planted id -> disagreement

    def run(self, n_facts: int) -> Generator:
        for i in range(n_facts):
            self.fact(i)
        return self

    def claim(self, fact: dict, value: float, doc: str | None = None, **extra) -> dict:
        cid = len(self.claims) + 1
        doc = doc or f"doc{cid}"
        row = {
            "id": cid,
            "kind": fact["kind"],
            "subject": fact["subject"],
            "counterparty": fact["counterparty"],
            "value": value,
            "unit": fact["unit"],
            "qualifier": "exact",
            "deal_status": "completed",
            "as_of": fact["as_of"],
            "quote": f"{fact['subject']} and {fact['counterparty']}: {fact['kind']} of {value:,.0f}",
            "doc_id": doc,
            "source_id": doc,
            "published": self.rng.choice(DATES),
            **extra,
        }
        self.claims.append(row)
        return row

    def fact(self, i: int) -> None:
        rng = self.rng
        kind, unit = KINDS[i % 10]
        n = SIZES[(i * 7) % 10]
        block = i // 10  # facts of a block share a counterparty; their values stay 1.5x apart
        if unit == "year":
            value = float(rng.randint(2010, 2024))
        elif unit == "percent":
            value = round(rng.uniform(2, 60), 1)
        else:
            value = round(10 ** random.Random(block).uniform(8, 9.5) * 1.5 ** (i % 10), -5)
        year = rng.randint(2015, 2023)
        fact = {
            "kind": kind,
            "unit": unit,
            "subject": f"Investor{i}",
            "counterparty": f"Lab{block}",
            "as_of": None if kind == "partnership_start" else str(year),
        }
        planted = n >= 4 and i % 25 in (3, 17) and kind in ("investment", "revenue", "partnership_start")
        trap = "plain" if planted or n < 4 else TRAPS[(i // 10) % 5]
        extras = self.planted_claims(i, fact, value) if planted else self.trap_claims(trap, fact, value, year)
        base = []
        for _ in range(n - len(extras)):
            reported, qualifier = self.noisy(value, unit)
            undated = rng.random() < 0.2 and trap != "over_time"
            row = self.claim(fact, reported, qualifier=qualifier, as_of=None if undated else fact["as_of"])
            if i % 10 == 1 and not undated and rng.random() < 0.3:  # the same amount in euros, at the day's rate
                row["unit"], row["value"] = "EUR", reported / currency.rate("EUR", "USD", row["as_of"])
            if base and rng.random() < 0.15:  # a near-duplicate copy of an earlier source
                row["source_id"] = rng.choice(base)["source_id"]
            base.append(row)
        for extra in extras:
            extra()
        if planted:
            self.planted[i] = self.kind_of_plant(i, kind)
            for row in self.claims[-n:]:
                self.truth[row["id"]] = i

    def noisy(self, value: float, unit: str) -> tuple[float, str]:
        """The value as a source reports it: exact, rounded (within 1%), or approximate (within 4%)."""
        r = self.rng.random()
        if unit == "year" or r < 0.7:
            return value, "exact"
        if r < 0.9:
            return value * (1 + self.rng.uniform(-0.008, 0.008)), "exact"
        return value * (1 + self.rng.uniform(-0.04, 0.04)), "approx"

    @staticmethod
    def kind_of_plant(i: int, kind: str) -> str:
        if kind == "partnership_start":
            return "date"
        options = ("attribution", "value", "qualifier", "magnitude") if kind == "investment" else ("value", "qualifier")
        return options[(i // 25) % len(options)]

    def planted_claims(self, i: int, fact: dict, value: float) -> list:
        what = self.kind_of_plant(i, fact["kind"])
        c = self.claim
        if what == "date":
            return [lambda: c(fact, value + 2)] * 2
        if what == "attribution":
            other = {**fact, "subject": f"Investor{i}b"}
            return [lambda: c(other, value)] * 3
        if what == "qualifier":
            return [lambda: c(fact, value * 0.6, qualifier="up_to")] * 2
        if what == "magnitude":  # millions in the headline, billions in the body of one document
            doc = f"doc{len(self.claims) + 1}x"
            return [lambda: c(fact, value, doc=doc), lambda: c(fact, value / 1000, doc=doc)]
        return [lambda: c(fact, value * 1.3)] * 2

    def trap_claims(self, trap: str, fact: dict, value: float, year: int) -> list:
        c, kind = self.claim, fact["kind"]
        if trap == "tranche" and fact["unit"] == "USD":
            return [lambda: c(fact, value / 4, quote=f"a ${value / 4e9:.2f} billion tranche")] * 2
        if trap == "up_to":
            return [lambda: c(fact, value, qualifier="up_to")] * 2
        if trap == "planned" and kind != "partnership_start":
            loi = f"a letter of intent for {value * 2:,.0f}"  # a plan that is not the signed deal
            return [lambda: c(fact, value * 2, deal_status="planned", quote=loi)] * 2
        if trap == "over_time" and kind in ("equity_stake", "valuation", "revenue"):
            return [lambda: c(fact, value * 1.5, as_of=str(year + 2))] * 3
        return []


def score(ledger: conflicts.Ledger, gen: Generator) -> tuple[float, float]:
    """Precision and recall of the detected groups on the planted conflicts."""
    found, correct = set(), 0
    for g in ledger.groups:
        ids = {gen.truth.get(cid) for s in g.sides for cid in s.claim_ids}
        planted = next(iter(ids)) if len(ids) == 1 else None
        if planted is not None and gen.planted[planted] == g.disagreement:
            correct += 1
            found.add(planted)
    precision = correct / len(ledger.groups) if ledger.groups else 1.0
    return precision, len(found) / len(gen.planted) if gen.planted else 1.0


def run_size(n_claims: int) -> dict:
    gen = Generator().run(n_claims // 10)
    gc.collect()
    t0 = time.perf_counter()
    found = conflicts.detect(gen.claims)
    seconds = time.perf_counter() - t0
    precision, recall = score(found, gen)
    return {
        "claims": len(gen.claims),
        "facts_generated": n_claims // 10,
        "seconds": seconds,
        "facts": len(found.facts),
        "groups": len(found.groups),
        "planted": len(gen.planted),
        "precision": precision,
        "recall": recall,
    }


def sqlite_round_trip(n_claims: int) -> tuple[float, store.ledger.Summary]:
    """Seconds of `recompute` (read, detect, write facts, groups and claim keys) on a real database."""
    gen = Generator().run(n_claims // 10)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        docs = {r["doc_id"]: r for r in gen.claims}
        with db.conn:
            db.conn.executemany(
                "INSERT INTO documents (id, source, published, content_type, raw, text, content_hash, duplicate_of) "
                "VALUES (?, ?, ?, 'text', '', '', ?, ?)",
                ((d, d, r["published"], d, None if r["source_id"] == d else r["source_id"]) for d, r in docs.items()),
            )
            cols = ("id", "doc_id", "kind", "subject", "counterparty", "value", "unit", "qualifier", "deal_status")
            cols += ("as_of", "quote")
            db.conn.executemany(
                f"INSERT INTO claims ({', '.join(cols)}, claim_key) VALUES ({', '.join('?' * (len(cols) + 1))})",
                ([*(r[c] for c in cols), str(r["id"])] for r in gen.claims),
            )
        t0 = time.perf_counter()
        summary = store.ledger.recompute(db)
        return time.perf_counter() - t0, summary


def human(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="Claim counts to run, comma-separated.")
    parser.add_argument("--sqlite", type=int, default=100_000, help="Claims for the SQLite round trip (0: skip).")
    parser.add_argument("--target", type=float, default=60.0, help="Target seconds for the largest size.")
    args = parser.parse_args()
    results = [run_size(int(s)) for s in args.sizes.split(",")]
    print(f"{'claims':>10} {'facts':>8} {'seconds':>8} {'claims/s':>10} {'facts out':>9} {'groups':>7} "
          f"{'planted':>7} {'P':>6} {'R':>6}")  # fmt: skip
    for r in results:
        print(
            f"{r['claims']:>10,} {r['facts_generated']:>8,} {r['seconds']:>8.2f} {r['claims'] / r['seconds']:>10,.0f} "
            f"{r['facts']:>9,} {r['groups']:>7,} {r['planted']:>7,} {r['precision']:>6.3f} {r['recall']:>6.3f}"
        )
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(
            f"growth: x{last['claims'] / first['claims']:.1f} claims -> x{last['seconds'] / first['seconds']:.1f} "
            f"time (linear is x{last['claims'] / first['claims']:.1f})"
        )
    if args.sqlite:
        seconds, summary = sqlite_round_trip(args.sqlite)
        print(
            f"sqlite recompute at {human(args.sqlite)} claims: {seconds:.2f} s "
            f"({summary.facts:,} facts, {summary.groups:,} groups written)"
        )
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    last = results[-1]
    exact = all(r["precision"] == 1.0 and r["recall"] == 1.0 for r in results)
    verdict = "ok" if last["seconds"] < args.target and exact else "short"
    size = human(last["claims"])
    print(f"bench conflicts: {last['seconds']:.1f} s for {size} claims (target {args.target:g} s) {verdict}")


if __name__ == "__main__":
    main()
