"""Versions of an article whose text changed: what changed between them (difflib) and which claims appeared
or disappeared (claims compared by what they state, not by id or offset)."""

from __future__ import annotations

import difflib
from datetime import datetime, timezone

from . import store
from .errors import VersionsError
from .review import show_value
from .store import Database

STATED = ("kind", "subject", "counterparty", "value", "unit", "value_low", "value_high", "qualifier", "as_of")


def history(db: Database, ref: str) -> list[dict]:
    """The versions (oldest first) of the article a reference names: a document id or prefix, or a source."""
    rows = store.documents.show(db, ref)
    if not rows:
        raise VersionsError(f"no document {ref!r}: list ids with `ingest docs`")
    chains = {tuple(v["id"] for v in store.documents.versions(db, r["id"])) for r in rows}
    if len(chains) > 1:
        ids = ", ".join(r["id"][:12] for r in rows)
        raise VersionsError(f"{ref!r} names several documents ({ids}); give more of the id")
    return store.documents.versions(db, rows[0]["id"])


def claims_of(db: Database, doc_id: str) -> list[dict]:
    """A version's claims, by id."""
    return store.claims.of_document(db, doc_id, ("id", "quote", "page", "review_status", *STATED))


def changed_claims(old: list[dict], new: list[dict]) -> tuple[list[dict], list[dict]]:
    """The claims of ``new`` that ``old`` does not state (appeared), and those of ``old`` that ``new`` does not
    (disappeared); a claim stated twice counts twice."""
    return _unmatched(new, old), _unmatched(old, new)


def _unmatched(claims: list[dict], others: list[dict]) -> list[dict]:
    """The claims whose statement (kind, parties, figure, ...) ``others`` lacks, counted as a multiset."""
    left = [tuple(c[k] for k in STATED) for c in others]
    out = []
    for c in claims:
        key = tuple(c[k] for k in STATED)
        if key in left:
            left.remove(key)
        else:
            out.append(c)
    return out


def text_diff(old: dict, new: dict, context: int = 1) -> list[str]:
    """A unified diff of two versions' cleaned text, line by line."""
    lines = difflib.unified_diff(
        old["text"].splitlines(),
        new["text"].splitlines(),
        f"version {old['version'] or 1} ({old['id'][:12]})",
        f"version {new['version'] or 1} ({new['id'][:12]})",
        n=context,
        lineterm="",
    )
    return list(lines)


def changes(db: Database, chain: list[dict]) -> list[dict]:
    """For each change between consecutive versions: both versions, the diff, and the claims that appeared and
    disappeared."""
    out = []
    for old, new in zip(chain, chain[1:], strict=False):
        appeared, disappeared = changed_claims(claims_of(db, old["id"]), claims_of(db, new["id"]))
        out.append({"old": old, "new": new, "diff": text_diff(old, new), "appeared": appeared, "gone": disappeared})
    return out


def report(db: Database, ref: str) -> str:
    """The versions of an article with the times they were stored, and for each change: the diff and the claims
    that appeared or disappeared."""
    chain = history(db, ref)
    out = [f"{len(chain)} version{'s' if len(chain) > 1 else ''} of {chain[-1]['source']}"]
    for v in chain:
        state = "current" if not v["superseded_by"] else f"superseded by {v['superseded_by'][:12]}"
        out.append(f"  version {v['version'] or 1}  {v['id']}  stored {when(v['created_at'])}  ({state})")
    for change in changes(db, chain):
        old, new = change["old"], change["new"]
        out += ["", *change["diff"], ""]
        out.append(f"claims that appeared in version {new['version'] or 1}: {len(change['appeared'])}")
        out += [_claim_line("+", c) for c in change["appeared"]]
        out.append(f"claims that disappeared from version {old['version'] or 1}: {len(change['gone'])}")
        out += [_claim_line("-", c) for c in change["gone"]]
    return "\n".join(out)


def _claim_line(sign: str, c: dict) -> str:
    parties = f"{c['subject'] or '-'} -> {c['counterparty'] or '-'}"
    head = "  ".join(x for x in (f"#{c['id']}", c["kind"], parties, show_value(c), c["as_of"] or "") if x)
    return f'{sign} {head}\n    "{c["quote"]}"'


def when(ts: float | None) -> str:
    if ts is None:
        return "?"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
