"""Store the fact ledger and conflict groups, refresh them after review decisions, and show them.

Claims are grouped by fact key (kind, parties, unit family, facet), split into time windows, and the values
of each window are clustered in one pass over their sorted order; two or more clusters are a conflict.

Detection compares claims only within a fact base (kind, parties, unit family, facet), and for attribution
the facts not in conflict of every subject with the same counterparty, family and facet (a scope). Each fact
stores its base and scope, so that a review decision rebuilds only the bases its claims left and joined, with
the facts attribution compares with theirs; the result does not depend on the order facts are read in.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter

import sqlite_utils
from pydantic import BaseModel, Field

from .. import partnerships
from ..conflicts import STATUSES, Config, ConflictGroup, Fact, Ledger, detect, fact_base, fact_scope, load_config
from .migrations import writing
from .sql import IN_JSON

_CLAIM_SQL = (
    "SELECT c.id, c.kind, c.subject, c.counterparty, c.value, c.unit, c.value_low, c.value_high, c.qualifier, "
    "c.conversion_value, c.conversion_unit, c.deal_status, c.as_of, c.quote, c.doc_id, "
    "COALESCE(d.duplicate_of, d.id) AS source_id, d.published, "
    "c.review_status, c.grounded, c.fact_key, c.conflict_group, c.fact_scope, c.superseded_by, "
    "o.url AS source_url, o.site AS source_site FROM claims c {index} LEFT JOIN documents d ON d.id = c.doc_id "
    "LEFT JOIN documents o ON o.id = COALESCE(d.duplicate_of, d.id)"
)
LEDGER_INPUTS = (
    "kind", "subject", "counterparty", "value", "unit", "value_low", "value_high", "qualifier", "conversion_value",
    "conversion_unit", "deal_status", "as_of", "quote", "doc_id",
)  # fmt: skip  # the claim columns detection reads (besides whether the claim is in the ledger at all)


# ---------------------------------------------------------------- storage


@dataclass
class Summary:
    """What a recompute did: counts of the claims read and the facts and groups written."""

    claims: int
    facts: int
    by_status: dict[str, int]
    groups: int
    seconds: float
    bases: int | None = None  # fact bases rebuilt by a refresh; None when everything was rebuilt


def recompute(
    db: sqlite_utils.Database, config: Config | None = None, claim_ids: Iterable[int] | None = None
) -> Summary:
    """Rebuild the fact ledger and conflict groups from the claims, in one transaction.

    With ``claim_ids`` (the claims a review decision changed), rebuild only the fact bases those claims left
    and joined, and the attribution groups of their scopes, with the same result as a full rebuild as long as
    the ledger was up to date before the change; when it was not (a claim stored since the last rebuild has no
    scope yet), everything is rebuilt. Group ids are stable: a conflict keeps its id across rebuilds,
    refreshes, and being settled and undone.
    """
    t0 = time.perf_counter()
    cfg = config or load_config()
    with writing(db):
        part = None
        if claim_ids is not None:
            rows, part = _refresh_rows(db, sorted(set(claim_ids)), cfg)
            ledger = detect((r for r in rows if not _left_out(r)), cfg)
            if part is not None and not all(f.base in part.bases or f.key in part.rivals for f in ledger.facts):
                part = None  # a stored fact is out of date
        if part is None:
            rows = list(db.query(_CLAIM_SQL.format(index="") + " ORDER BY c.id"))
            ledger = detect((r for r in rows if not _left_out(r)), cfg)
        _leave_out_dismissed(db, ledger)
        _store(db, ledger, rows, part, cfg)
        if part is None:
            partnerships.refresh(db)
        else:  # a review decision: its pairs are rebuilt when partnerships are next read
            partnerships.touch(db, claim_ids)
    by_status = dict.fromkeys(STATUSES, 0)
    for f in ledger.facts:
        by_status[f.status] += 1
    claims, seconds = sum(not _left_out(r) for r in rows), time.perf_counter() - t0
    return Summary(claims, len(ledger.facts), by_status, len(ledger.groups), seconds, part and len(part.bases))


def _leave_out_dismissed(db: sqlite_utils.Database, ledger: Ledger) -> None:
    """Drop the groups a reviewer marked not a conflict: a group of a dismissed fact key whose claims the
    dismissal covered (a group with a claim the reviewer never saw comes back). Their facts lose the conflict."""
    dismissed: dict[str, list[set]] = defaultdict(list)
    for key, ids in db.execute("SELECT fact_key, claim_ids FROM dismissals WHERE active = 1"):
        dismissed[key].append(set(json.loads(ids)))
    if not dismissed:
        return
    drop = set()
    for g in ledger.groups:
        ids = {i for side in g.sides for i in side.claim_ids}
        if any(ids <= seen for seen in dismissed.get(g.fact_key, ())):
            drop.add(g.id)
    if not drop:
        return
    ledger.groups[:] = [g for g in ledger.groups if g.id not in drop]
    for f in ledger.facts:
        if f.conflict_group in drop:
            f.conflict_group = None
            f.status = "agreed" if f.support >= 2 else "single_source"
            f.note = "not a conflict (a reviewer dismissed it)"


def changes_ledger(before: dict, after: dict) -> bool:
    """Whether a change of a claim (its column values before and after) can change the ledger."""
    return _left_out(before) != _left_out(after) or any(before.get(k) != after.get(k) for k in LEDGER_INPUTS)


def _left_out(row: dict) -> bool:
    """Whether a claim stays out of the ledger: rejected, not grounded in its source text, or superseded (its
    article has a newer version)."""
    return (row.get("review_status") or "") == "rejected" or not row.get("grounded") or bool(row.get("superseded_by"))


@dataclass
class _Part:
    """What a refresh rebuilds: every fact of ``bases``; ``rivals``, the facts of other bases that attribution
    compares with theirs (not in conflict of their own), rebuilt from their own claims; and the attribution
    groups of ``scopes``."""

    bases: set[str]
    scopes: set[str]
    rivals: set[str]


def _refresh_rows(db: sqlite_utils.Database, ids: list[int], cfg: Config) -> tuple[list[dict], _Part | None]:
    """The claims a refresh reads, in id order (as a full rebuild reads them: order matters), and what it
    rebuilds; None when some claim has no scope yet (the ledger is not up to date)."""
    if db.execute("SELECT 1 FROM claims WHERE fact_scope IS NULL LIMIT 1").fetchone():
        return [], None
    changed = list(db.query(_CLAIM_SQL.format(index="") + f" WHERE c.id IN {IN_JSON}", [json.dumps(ids)]))
    keys = json.dumps([r["fact_key"] for r in changed if r["fact_key"]])
    was = db.execute(f"SELECT kind, base, scope FROM facts WHERE key IN {IN_JSON}", [keys]).fetchall()
    now = [(b[0], "|".join(b), fact_scope(b, cfg)) for b in (fact_base(r, cfg) for r in changed if not _left_out(r))]
    part = _Part({b for _, b, _ in was + now}, {s for k, _, s in was + now if k in cfg.attribution_kinds}, set())
    bases, scopes = json.dumps(sorted(part.bases)), json.dumps(sorted(part.scopes))
    sql = (
        f"SELECT key FROM facts WHERE scope IN {IN_JSON} AND base NOT IN {IN_JSON} AND value IS NOT NULL "
        "AND (status IN ('agreed', 'single_source') OR conflict_group IN (SELECT id FROM conflict_groups "
        f"WHERE disagreement = 'attribution' AND scope IN {IN_JSON}))"
    )
    part.rivals = {r[0] for r in db.execute(sql, [scopes, bases, scopes])}
    facts = [r[0] for r in db.execute(f"SELECT key FROM facts WHERE base IN {IN_JSON}", [bases])] + sorted(part.rivals)
    # the index by name: statistics gathered before the ledger was built would have the planner scan the table
    sql = _CLAIM_SQL.format(index="INDEXED BY idx_claims_fact_key")
    sql += f" WHERE c.fact_key IN {IN_JSON} AND COALESCE(c.review_status, '') != 'rejected' AND c.grounded = 1"
    sql += " AND c.superseded_by IS NULL"
    sql += f" AND c.id NOT IN {IN_JSON}"
    rows = [*changed, *db.query(sql, [json.dumps(facts), json.dumps(ids)])]
    return sorted(rows, key=itemgetter("id")), part


def _store(db: sqlite_utils.Database, ledger: Ledger, rows: list[dict], part: _Part | None, cfg: Config) -> None:
    """Replace the facts and groups rebuilt (all when ``part`` is None); update the claims read where they moved."""
    conn = db.conn
    if part is None:
        conn.execute("DELETE FROM conflict_groups")
        conn.execute("DELETE FROM facts")
    else:
        bases, scopes = json.dumps(sorted(part.bases)), json.dumps(sorted(part.scopes))
        conn.execute(
            f"DELETE FROM conflict_groups WHERE id IN (SELECT conflict_group FROM facts WHERE base IN {IN_JSON}) "
            f"OR (disagreement = 'attribution' AND scope IN {IN_JSON})",
            [bases, scopes],
        )
        rivals = json.dumps(sorted(part.rivals))
        conn.execute(f"DELETE FROM facts WHERE base IN {IN_JSON} OR key IN {IN_JSON}", [bases, rivals])
    ids = _group_ids(conn, ledger.groups)
    facts = [{**f.model_dump(), "conflict_group": ids.get(f.conflict_group)} for f in ledger.facts]
    _insert(conn, "facts", Fact, facts, "claim_ids")
    groups = [{**g.model_dump(), "id": ids[g.id]} for g in ledger.groups]
    _insert(conn, "conflict_groups", ConflictGroup, groups, "sides")
    now = {cid: (f["key"], f["conflict_group"], f["scope"]) for f in facts for cid in f["claim_ids"]}
    moved = []
    for r in rows:
        key, group, scope = now.get(r["id"]) or (None, None, fact_scope(fact_base(r, cfg), cfg))
        if (key, group, scope) != (r["fact_key"], r["conflict_group"], r["fact_scope"]):
            moved.append((key, group, scope, r["id"]))
    conn.executemany("UPDATE claims SET fact_key = ?, conflict_group = ?, fact_scope = ? WHERE id = ?", moved)


def _group_ids(conn: sqlite3.Connection, groups: list[ConflictGroup]) -> dict[int, int]:
    """Stored ids of detected groups (given in rank order): the n-th group of a fact key gets the id it had
    before (kept in conflict_group_ids), else the next new one. The id depends on the fact key alone, so a
    full rebuild and a refresh give the same ids, and a conflict that is settled and undone gets its id back."""
    keys = json.dumps(sorted({g.fact_key for g in groups}))
    sql = f"SELECT fact_key, n, id FROM conflict_group_ids WHERE fact_key IN {IN_JSON}"
    known = {(key, n): gid for key, n, gid in conn.execute(sql, [keys])}
    next_id = (conn.execute("SELECT MAX(id) FROM conflict_group_ids").fetchone()[0] or 0) + 1
    seen: dict[str, int] = defaultdict(int)
    ids, new = {}, []
    for g in groups:
        key = g.fact_key
        n, seen[key] = seen[key], seen[key] + 1
        if (key, n) not in known:
            known[key, n], next_id = next_id, next_id + 1
            new.append((key, n, known[key, n]))
        ids[g.id] = known[key, n]
    conn.executemany("INSERT INTO conflict_group_ids (fact_key, n, id) VALUES (?, ?, ?)", new)
    return ids


def _insert(conn: sqlite3.Connection, table: str, model: type[BaseModel], rows: list[dict], json_column: str) -> None:
    """Insert dumps of ``model`` (a column per field), ``json_column`` as JSON."""
    columns = tuple(model.model_fields)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn.executemany(sql, ([json.dumps(r[c]) if c == json_column else r[c] for c in columns] for r in rows))


def _parsed(row: dict, column: str) -> dict:
    """A stored row with its JSON list column read."""
    return {**row, column: json.loads(row[column] or "[]")}


def facts(db: sqlite_utils.Database, status: str | None = None) -> list[dict]:
    """The fact ledger, optionally one status only, ordered by kind and parties."""
    where, params = ("WHERE status = ?", [status]) if status else ("", [])
    sql = f"SELECT * FROM facts {where} ORDER BY kind, subject COLLATE NOCASE, counterparty COLLATE NOCASE, key"
    return [_parsed(r, "claim_ids") for r in db.query(sql, params)]


def conflicts(db: sqlite_utils.Database, reason: str | None = None) -> list[dict]:
    """Conflict groups, largest disagreement first (only one class of disagreement with ``reason``); each side
    carries its claims with their documents."""
    where, params = ("WHERE disagreement = ?", [reason]) if reason else ("", [])
    sql = f"SELECT * FROM conflict_groups {where} ORDER BY rank DESC, support DESC, fact_key, id"
    groups = [_parsed(g, "sides") for g in db.query(sql, params)]
    ids = [i for g in groups for s in g["sides"] for i in s["claim_ids"]]
    claims = {}
    for n in range(0, len(ids), 500):
        chunk = ids[n : n + 500]
        sql = (
            "SELECT c.id, c.doc_id, COALESCE(d.duplicate_of, d.id) AS source_id, d.source, d.url, d.title, "
            "d.published, c.subject, c.counterparty, c.value, c.unit, c.qualifier, c.conversion_value, "
            "c.conversion_unit, c.as_of, c.quote, "
            f"c.char_start, c.char_end, c.review_status FROM claims c JOIN documents d ON d.id = c.doc_id "
            f"WHERE c.id IN ({', '.join('?' * len(chunk))})"
        )
        claims.update((r["id"], r) for r in db.query(sql, chunk))
    for g in groups:
        for s in g["sides"]:
            s["claims"] = side_claims(s, claims)
    return groups


def side_claims(side: dict, claims: dict[int, dict]) -> list[dict]:
    """The claims of a stored side (from ``claims``, by id) as the side compares them: a claim read by its
    conversion in brackets shows the converted amount as its value and unit, the stated ones in
    ``converted_from``."""
    read = set(side.get("conversions", ()))
    out = []
    for i in side["claim_ids"]:
        c = claims.get(i)
        if c is None:
            continue
        if i in read:
            stated = {"value": c["value"], "unit": c["unit"]}
            c = {**c, "value": c["conversion_value"], "unit": c["conversion_unit"], "converted_from": stated}
        out.append(c)
    return out


def fact(db: sqlite_utils.Database, key: str) -> Fact | None:
    """One fact of the ledger."""
    row = next(iter(db.query("SELECT * FROM facts WHERE key = ?", [key])), None)
    return None if row is None else Fact.model_validate(_parsed(row, "claim_ids"))


def group(db: sqlite_utils.Database, group_id: int) -> ConflictGroup | None:
    """One conflict group; a ValueError when its stored sides are unreadable."""
    row = next(iter(db.query("SELECT * FROM conflict_groups WHERE id = ?", [group_id])), None)
    return None if row is None else ConflictGroup.model_validate(_parsed(row, "sides"))


def facts_page(db: sqlite_utils.Database, status: str | None, after: str | None, limit: int) -> list[Fact]:
    """One keyset page of the fact ledger, by key."""
    where, params = ["key > ?"], [after or ""]
    if status:
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT * FROM facts WHERE {' AND '.join(where)} ORDER BY key LIMIT ?"
    return [Fact.model_validate(_parsed(r, "claim_ids")) for r in db.query(sql, [*params, int(limit)])]


class ConflictRow(BaseModel):
    """A conflict group as the review list shows it, with its claim counts."""

    id: int
    fact_key: str
    disagreement: str
    reason: str
    majority_value: float | None
    spread: float
    pending: int = Field(description="Its claims pending review.")
    claims: int = Field(description="Its claims.")


def groups_page(db: sqlite_utils.Database, open_only: bool, after: int, limit: int) -> list[ConflictRow]:
    """One keyset page of conflict groups with their claim and pending counts, largest disagreement first,
    after the group with id ``after`` (0: from the start)."""
    pending = "(SELECT COUNT(*) FROM claims c WHERE c.conflict_group = g.id AND c.review_status = 'pending')"
    last = next(iter(db.query("SELECT rank, support, fact_key, id FROM conflict_groups WHERE id = ?", [after])), None)
    where, params = ["1"], []
    if last:  # after `last` in the order rank DESC, support DESC, fact_key, id
        where.append(
            "(g.rank < :rank OR (g.rank = :rank AND (g.support < :support OR (g.support = :support AND "
            "(g.fact_key > :fact_key OR (g.fact_key = :fact_key AND g.id > :id))))))"
        )
        params = last
    if open_only:
        where.append(f"{pending} > 0")
    sql = (
        f"SELECT g.id, g.fact_key, g.disagreement, g.reason, g.majority_value, g.spread, {pending} AS pending, "
        "(SELECT COUNT(*) FROM claims c WHERE c.conflict_group = g.id) AS claims FROM conflict_groups g "
        f"WHERE {' AND '.join(where)} ORDER BY g.rank DESC, g.support DESC, g.fact_key, g.id LIMIT {int(limit)}"
    )
    return [ConflictRow.model_validate(r) for r in db.query(sql, params)]


def settled(db: sqlite_utils.Database, group_id: int) -> bool:
    """Whether a conflict group is gone from the ledger (its conflict settled)."""
    return db.execute("SELECT 1 FROM conflict_groups WHERE id = ?", [group_id]).fetchone() is None


def facts_by_key(db: sqlite_utils.Database) -> list[dict]:
    """The fact ledger as stored, by key."""
    return [dict(r) for r in db.query("SELECT * FROM facts ORDER BY key")]


def fact_runs(db: sqlite_utils.Database) -> list[int]:
    """The runs whose claims the ledger's facts hold."""
    return [r[0] for r in db.execute("SELECT DISTINCT run_id FROM claims WHERE fact_key IN (SELECT key FROM facts)")]
