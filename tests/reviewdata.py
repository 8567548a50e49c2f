"""Test data for the review, export and web tests: real articles and their hand-labelled claims as rows.

The documents are the seed articles and tests/data/articles; the claims are the gold claims of
tests/data/gold.json, located in the text (a quote that is not found is stored ungrounded). When the
conflicts module is installed it computes the facts and conflict groups; otherwise the groups are made
here from the claims whose values differ under one fact key.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections import defaultdict
from pathlib import Path

import sqlite_utils

from ingest import review, store

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "tests" / "data" / "gold.json"


def add_document(
    db: sqlite_utils.Database,
    text: str,
    source: str,
    title: str | None = None,
    url: str | None = None,
    run_id: int | None = None,
    duplicate_of: str | None = None,
    published: str | None = None,
) -> str:
    """Store a document row and return its id."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    db["documents"].insert(
        {
            "id": digest[:16],
            "source": source,
            "url": url,
            "title": title or text.splitlines()[0][:80],
            "published": published,
            "content_type": "text",
            "raw": text,
            "text": text,
            "content_hash": digest,
            "duplicate_of": duplicate_of,
            "run_id": run_id,
            "created_at": time.time(),
        }
    )
    return digest[:16]


def fact_key(claim: dict) -> str:
    return "|".join(str(claim.get(k) or "").lower() for k in ("kind", "subject", "counterparty", "unit"))


def add_claim(db: sqlite_utils.Database, doc_id: str, run_id: int | None = None, **fields) -> int:
    """Store a claim row, its offsets found in the document text; returns its id."""
    text = db["documents"].get(doc_id)["text"]
    start = text.find(fields["quote"])
    found = start >= 0
    row = {
        "doc_id": doc_id,
        "run_id": run_id,
        "qualifier": "exact",
        "confidence": 0.9,
        "extractor": "rules",
        **fields,
        "char_start": start if found else None,
        "char_end": start + len(fields["quote"]) if found else None,
        "alignment": "exact" if found else "none",
        "grounded": int(found),
        "fact_key": fact_key(fields),
        "created_at": time.time(),
    }
    row["claim_key"] = hashlib.sha256(json.dumps([doc_id, sorted(fields.items())], default=str).encode()).hexdigest()
    return db["claims"].insert(row).last_pk


def make_groups(db: sqlite_utils.Database) -> None:
    """Conflict groups for fact keys whose grounded claims state different values (when no conflicts module)."""
    by_key: dict[str, dict[float, list[int]]] = defaultdict(lambda: defaultdict(list))
    for r in db.query("SELECT id, fact_key, value FROM claims WHERE grounded = 1 AND value IS NOT NULL"):
        by_key[r["fact_key"]][r["value"]].append(r["id"])
    for key in sorted(by_key):
        values = by_key[key]
        if len(values) < 2:
            continue
        sides = [{"value": v, "claim_ids": ids, "support": len(ids)} for v, ids in sorted(values.items())]
        gid = (
            db["conflict_groups"]
            .insert({"fact_key": key, "disagreement": "value", "reason": "values differ", "sides": json.dumps(sides)})
            .last_pk
        )
        for ids in values.values():
            db.execute(f"UPDATE claims SET conflict_group = ? WHERE id IN ({', '.join('?' * len(ids))})", [gid, *ids])
    db.conn.commit()


def populate(db: sqlite_utils.Database) -> dict[str, str]:
    """Store every gold document and its claims; returns {file name: doc id}."""
    run_id = store.runs.start_run(db, {"sources": ["seeds/", "tests/data/articles/"]}, {})
    docs = {}
    for entry in json.loads(GOLD.read_text())["documents"]:
        path = ROOT / entry["file"]
        host = re.sub(r"[^a-z0-9]+", "-", path.stem.lower())  # each document its own publisher
        doc_id = add_document(
            db, path.read_text(), entry["file"], url=f"https://{host}.example/{path.name}", run_id=run_id
        )
        docs[path.name] = doc_id
        for claim in entry["claims"]:
            add_claim(db, doc_id, run_id=run_id, **claim)
    db.conn.commit()
    try:
        import ingest.store.ledger  # noqa: F401
    except ModuleNotFoundError:
        make_groups(db)
    review.recompute_conflicts(db)
    return docs
