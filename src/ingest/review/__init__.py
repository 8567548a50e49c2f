"""Review decisions on claims: list, accept, reject, correct, undo, bulk-accept, settle a conflict.

Every decision updates the claim rows and appends one ``reviews`` row per claim (reviewer, time, the
reviewed fields before and after, note) in one transaction; the rows of one call share a decision id,
which is what ``undo`` reverses.
"""

from __future__ import annotations

import getpass
import json
import time
from typing import Any

import sqlite_utils
from pydantic import ValidationError

from .. import aliases, ground, store
from ..conflicts import STATUSES as FACT_STATUSES
from ..models import Alignment, Claim, ClaimKind, printable
from ..store import MAX_INT
from ..store.migrations import writing

STATUSES = ("pending", "accepted", "rejected", "corrected")
EDITABLE = (
    "kind",
    "subject",
    "counterparty",
    "value",
    "unit",
    "value_low",
    "value_high",
    "qualifier",
    "deal_status",
    "as_of",
    "quote",
    "char_start",
    "char_end",
)
PARTIES = ("subject", "counterparty")  # names: surrounding spaces dropped; the subject cannot be cleared
REVIEWED = (*EDITABLE, "alignment", "grounded", "review_status", "reviewer", "reviewed_at")
LIST_COLUMNS = (
    "c.id, c.kind, c.subject, c.counterparty, c.value, c.unit, c.value_low, c.value_high, c.qualifier, "
    "c.deal_status, c.as_of, c.quote, c.char_start, c.char_end, c.alignment, c.grounded, c.confidence, "
    "c.extractor, c.review_status, c.reviewer, c.reviewed_at, c.fact_key, c.conflict_group, c.doc_id, "
    "c.page, c.superseded_by, d.title, d.source, d.url, d.published"
)


class ReviewError(ValueError):
    """A decision that cannot be made; the message says which input is wrong and what to do."""


class NotFound(ReviewError):
    """An id that names nothing in the database."""


class InvalidCorrection(ReviewError):
    """A correction the Claim model refuses."""


def reviewer_name(reviewer: str | None) -> str:
    """The name recorded for a decision: the one given (bytes that are not UTF-8 escaped), else the OS user."""
    return printable(reviewer or default_reviewer())


def default_reviewer() -> str:
    """The OS user name, used when no reviewer is given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _filters(
    kind: str | None = None,
    status: str | None = None,
    party: str | None = None,
    doc: str | None = None,
    conflict: bool | None = None,
    ungrounded: bool | None = None,
    search: str | None = None,
    superseded: bool = False,
) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters for the queue filters (all indexed or FTS-backed). The claims of earlier
    versions of a changed article (superseded) are left out of the queue, or, with ``superseded``, listed alone."""
    where: list[str] = ["c.superseded_by IS NOT NULL" if superseded else "c.superseded_by IS NULL"]
    params: list[Any] = []
    party, doc, search = (printable(x) if x else x for x in (party, doc, search))  # typed bytes that are not UTF-8
    if kind:
        if kind not in {k.value for k in ClaimKind}:
            raise ReviewError(f"unknown kind {kind!r}; use one of {', '.join(k.value for k in ClaimKind)}")
        where.append("c.kind = ?")
        params.append(kind)
    if status:
        if status not in STATUSES:
            raise ReviewError(f"unknown review status {status!r}; use one of {', '.join(STATUSES)}")
        where.append("c.review_status = ?")
        params.append(status)
    if party:
        party = aliases.canonical(party) or party  # Azure finds Microsoft's claims
        where.append("(c.subject = ? COLLATE NOCASE OR c.counterparty = ? COLLATE NOCASE)")
        params += [party, party]
    if doc:
        where.append("((c.doc_id >= ? AND c.doc_id < ?) OR c.doc_id IN (SELECT id FROM documents WHERE source = ?))")
        params += [doc, doc + "\uffff", doc]
    if conflict is not None:
        where.append("c.conflict_group IS NOT NULL" if conflict else "c.conflict_group IS NULL")
    if ungrounded is not None:
        where.append("COALESCE(c.grounded, 0) = 0" if ungrounded else "c.grounded = 1")
    if search and search.strip():
        terms = " ".join('"' + t.replace('"', '""') + '"' for t in search.split())
        where.append("c.id IN (SELECT rowid FROM claims_fts WHERE claims_fts MATCH ?)")
        params.append(terms)
    return where, params


def claims(
    db: sqlite_utils.Database,
    *,
    after: int | None = None,
    before: int | None = None,
    limit: int = 50,
    **filters: Any,
) -> list[dict]:
    """Claims matching the filters with their document's title/source/url, by id, one keyset page.

    Filters: kind, status, party (subject or counterparty), doc (document id prefix or source),
    conflict (in a conflict group or not), ungrounded, search (words of the quote).
    """
    where, params = _filters(**filters)
    if after is not None:
        where.append("c.id > ?")
        params.append(after)
    if before is not None:
        where.append("c.id < ?")
        params.append(before)
    backwards = before is not None and after is None
    sql = f"SELECT {LIST_COLUMNS} FROM claims c JOIN documents d ON d.id = c.doc_id"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY c.id {'DESC' if backwards else 'ASC'} LIMIT ?"
    rows = [dict(r) for r in db.query(sql, [*params, int(limit)])]
    return rows[::-1] if backwards else rows


def count(db: sqlite_utils.Database, **filters: Any) -> int:
    """Number of claims matching the filters."""
    where, params = _filters(**filters)
    sql = "SELECT COUNT(*) FROM claims c" + (" WHERE " + " AND ".join(where) if where else "")
    return db.execute(sql, params).fetchone()[0]


def _in_range(value: int, what: str = "claim") -> int:
    """An id that SQLite can hold; a larger (or not positive) one names nothing."""
    if not 1 <= value <= MAX_INT:
        raise NotFound(f"no {what} with id {value}: ids run from 1 to {MAX_INT}")
    return value


def get(db: sqlite_utils.Database, claim_id: int) -> dict:
    """One claim with its document's metadata and text; NotFound if there is none."""
    _in_range(claim_id)
    sql = (
        "SELECT c.*, d.title, d.source, d.url, d.published, d.duplicate_of, d.text AS doc_text, "
        "d.version AS doc_version, d.superseded_by AS doc_superseded_by "
        "FROM claims c JOIN documents d ON d.id = c.doc_id WHERE c.id = ?"
    )
    rows = list(db.query(sql, [claim_id]))
    if not rows:
        raise NotFound(f"no claim with id {claim_id}; list claims with `ingest claims`")
    return rows[0]


def _snapshot(db: sqlite_utils.Database, claim_id: int) -> dict:
    rows = list(db.query(f"SELECT {', '.join(REVIEWED)} FROM claims WHERE id = ?", [claim_id]))
    if not rows:
        raise NotFound(f"no claim with id {claim_id}; list claims with `ingest claims`")
    return rows[0]


def _log(db: sqlite_utils.Database, decision: int, claim_id: int, action: str, before: dict, **extra) -> dict:
    """Append the audit row of one claim's change; returns the claim's reviewed fields after it."""
    after = _snapshot(db, claim_id)
    db["reviews"].insert(
        {
            "claim_id": claim_id,
            "action": action,
            "before": json.dumps(before, sort_keys=True),
            "after": json.dumps(after, sort_keys=True),
            "decision": decision,
            **extra,
        }
    )
    return after


ACTIONS = {"accepted": "accept", "rejected": "reject", "corrected": "correct"}


def _decide(db: sqlite_utils.Database, updates: dict[int, dict], reviewer: str | None, note: str | None) -> int:
    """Apply ``updates`` (claim id -> new values incl. review_status) and log them as one decision, the fact
    ledger refreshed in the same transaction."""
    if not updates:
        raise ReviewError("no claim ids given")
    reviewer, note = reviewer_name(reviewer), note and printable(note)
    with writing(db):
        decision = db.execute("SELECT COALESCE(MAX(decision), 0) + 1 FROM reviews").fetchone()[0]
        now = time.time()
        changes = []
        for claim_id, values in updates.items():
            before = _snapshot(db, claim_id)
            db["claims"].update(claim_id, {**values, "reviewer": reviewer, "reviewed_at": now})
            action = ACTIONS[values["review_status"]]
            after = _log(db, decision, claim_id, action, before, reviewer=reviewer, at=now, note=note or None)
            changes.append((claim_id, before, after))
        recompute_conflicts(db, changes)
    return decision


def recompute_conflicts(db: sqlite_utils.Database, changes: list[tuple[int, dict, dict]] | None = None) -> None:
    """Refresh the fact ledger and conflict groups: all of it, or, given ``changes`` (claim id, reviewed
    fields before, after), only the scopes of the claims whose change can alter it (accepting one does not)."""
    if changes is None:
        store.ledger.recompute(db)
        return
    ids = [claim_id for claim_id, before, after in changes if store.ledger.changes_ledger(before, after)]
    if ids:
        store.ledger.recompute(db, claim_ids=ids)


def _ids(ids: Any) -> list[int]:
    """Claim ids as ints, refusing anything else with a clear message."""
    out = []
    for i in [ids] if isinstance(ids, (int, str)) else ids:
        try:
            out.append(int(i))
        except (TypeError, ValueError):
            raise ReviewError(f"claim id {i!r} is not a number") from None
    return list(dict.fromkeys(map(_in_range, out)))


def _changing(db: sqlite_utils.Database, ids: list[int], status: str) -> dict[int, dict]:
    """The claims a decision changes, with their reviewed fields (unknown ids refused): one already in
    ``status`` is left out of it."""
    todo = {i: row for i in ids if (row := _snapshot(db, i))["review_status"] != status}
    if ids and not todo:
        raise ReviewError(f"claim(s) {', '.join(map(str, ids))} already {status}: nothing to change")
    return todo


def accept(db: sqlite_utils.Database, ids: Any, reviewer: str | None = None, note: str | None = None) -> int:
    """Accept grounded claims; an ungrounded claim must be corrected first."""
    rows = _changing(db, _ids(ids), "accepted")
    for claim_id, row in rows.items():
        if not row["grounded"]:
            raise ReviewError(
                f"claim {claim_id} is not grounded in its source text; correct its quote or offsets first"
            )
    return _decide(db, {i: {"review_status": "accepted"} for i in rows}, reviewer, note)


def reject(db: sqlite_utils.Database, ids: Any, reviewer: str | None = None, note: str | None = None) -> int:
    """Reject claims."""
    ids = _changing(db, _ids(ids), "rejected")
    return _decide(db, {i: {"review_status": "rejected"} for i in ids}, reviewer, note)


def _model_input(row: dict) -> dict:
    """A claims row as input to the Claim model (database nulls become model defaults)."""
    data = {k: row[k] for k in Claim.model_fields if k in row and row[k] is not None}
    if "grounded" in data:
        data["grounded"] = bool(data["grounded"])
    return data


def _validation_message(claim_id: int, err: ValidationError) -> str:
    parts = [f"{'.'.join(str(x) for x in e['loc']) or 'claim'}: {e['msg']}" for e in err.errors()]
    return f"claim {claim_id}: invalid correction: " + "; ".join(parts)


def _span(text: str, new: dict, moved: bool, quote_changed: bool) -> tuple[str, int, int]:
    """The quote and offsets after a correction, checked against the document text."""
    quote, start, end = new["quote"], new["char_start"], new["char_end"]
    if moved and start is not None:
        if end > len(text):
            raise InvalidCorrection(f"char_end {end} is past the end of the document ({len(text)} characters)")
        if quote_changed and text[start:end] != quote:
            raise InvalidCorrection(
                f"the quote does not match the text at {start}:{end}; give the quote or the offsets, not both"
            )
        return text[start:end], start, end
    found = text.find(quote)
    if found < 0:
        raise InvalidCorrection("the quote is not in the document text; copy the exact words of the source")
    return quote, found, found + len(quote)


def correct(
    db: sqlite_utils.Database, claim_id: int, changes: dict, reviewer: str | None = None, note: str | None = None
) -> int:
    """Edit fields of a claim, validated by the Claim model; the quote is re-checked against the text.

    Empty strings clear a field. Changing char_start/char_end alone takes the quote from the text at the
    new offsets; changing the quote alone finds it in the text. A corrected claim is grounded when its
    quote is exactly the document text at its offsets and states every figure of the claim, as at extraction.
    """
    claim_id = _ids(claim_id)[0]
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidCorrection(f"cannot edit {', '.join(unknown)}; editable fields: {', '.join(EDITABLE)}")
    row = get(db, claim_id)
    changes = {k: printable(v.strip() if k in PARTIES else v) if isinstance(v, str) else v for k, v in changes.items()}
    if changes.get("subject") == "":
        raise InvalidCorrection(f"claim {claim_id}: subject: a claim needs a party; give the company's name")
    changes = {k: (None if v == "" else v) for k, v in changes.items()}
    try:
        claim = Claim.model_validate({**_model_input(row), **changes})
    except ValidationError as e:
        raise InvalidCorrection(_validation_message(claim_id, e)) from None
    new = claim.model_dump(include=set(EDITABLE))
    moved = "char_start" in changes or "char_end" in changes
    quote_changed = "quote" in changes and new["quote"] != row["quote"]
    if moved or quote_changed:
        new["quote"], new["char_start"], new["char_end"] = _span(row["doc_text"], new, moved, quote_changed)
    start, end = new["char_start"], new["char_end"]
    grounded = (
        start is not None and row["doc_text"][start:end] == new["quote"] and ground.states_figures(claim, new["quote"])
    )
    diff = {k: v for k, v in new.items() if v != row[k]}
    if not diff:
        raise InvalidCorrection(f"claim {claim_id}: the correction changes nothing")
    values = {
        **diff,
        "alignment": Alignment.exact.value if grounded else row["alignment"],
        "grounded": int(grounded),
        "review_status": "corrected",
    }
    return _decide(db, {claim_id: values}, reviewer, note)


def last_decision(db: sqlite_utils.Database, reviewer: str | None = None) -> list[dict]:
    """The audit rows of the reviewer's last decision not yet undone (empty when there is none)."""
    decision = db.execute(
        "SELECT MAX(decision) FROM reviews WHERE reviewer = ? AND action != 'undo' "
        "AND decision NOT IN (SELECT undoes FROM reviews WHERE undoes IS NOT NULL)",
        [reviewer_name(reviewer)],
    ).fetchone()[0]
    return list(db.query("SELECT * FROM reviews WHERE decision = ? ORDER BY id", [decision])) if decision else []


def undo(db: sqlite_utils.Database, reviewer: str | None = None) -> list[int]:
    """Reverse this reviewer's last decision not yet undone; returns the ids of the claims restored."""
    reviewer = reviewer_name(reviewer)
    rows = last_decision(db, reviewer)
    if not rows:
        raise ReviewError(f"reviewer {reviewer!r} has no decision left to undo")
    decision = rows[0]["decision"]
    with writing(db):
        new_decision = db.execute("SELECT COALESCE(MAX(decision), 0) + 1 FROM reviews").fetchone()[0]
        now = time.time()
        changes = []
        for r in rows:
            current = _snapshot(db, r["claim_id"])
            if current != json.loads(r["after"]):
                raise ReviewError(
                    f"claim {r['claim_id']} has changed since decision {decision}; undo the later decision first"
                )
            db["claims"].update(r["claim_id"], json.loads(r["before"]))
            after = _log(db, new_decision, r["claim_id"], "undo", current, reviewer=reviewer, at=now, undoes=decision)
            changes.append((r["claim_id"], current, after))
        lifted = sorted({r["dismissal"] for r in rows if r.get("dismissal")})
        if lifted:  # a dismissal: the group comes back
            db.execute(f"UPDATE dismissals SET active = 0 WHERE id IN ({', '.join('?' * len(lifted))})", lifted)
            store.ledger.recompute(db, claim_ids=[r["claim_id"] for r in rows])
        else:
            recompute_conflicts(db, changes)
    return [r["claim_id"] for r in rows]


def bulk_accept(
    db: sqlite_utils.Database,
    fact_key: str,
    min_sources: int,
    reviewer: str | None = None,
    note: str | None = None,
) -> int:
    """Accept the pending grounded claims of a ledger fact that at least ``min_sources`` independent
    sources support; a fact in conflict must be settled in its conflict view instead."""
    fact = next(iter(db.query("SELECT * FROM facts WHERE key = ?", [fact_key])), None)
    if fact is None:
        raise NotFound(f"no fact with key {fact_key!r} in the ledger; run the conflict check first")
    if fact["conflict_group"] is not None:
        raise ReviewError(f"fact {fact_key!r} is in conflict {fact['conflict_group']}; settle it in its conflict view")
    if (fact["support"] or 0) < min_sources:
        raise ReviewError(f"fact {fact_key!r} has {fact['support']} independent source(s), fewer than {min_sources}")
    ids = _ids(json.loads(fact["claim_ids"] or "[]"))
    marks = ", ".join("?" * len(ids))
    sql = f"SELECT id FROM claims WHERE id IN ({marks}) AND review_status = 'pending' AND grounded = 1 ORDER BY id"
    pending = [r["id"] for r in db.query(sql, ids)]
    if not pending:
        raise ReviewError(f"fact {fact_key!r} has no pending grounded claims left to accept")
    return _decide(db, {i: {"review_status": "accepted"} for i in pending}, reviewer, note)


def conflict(db: sqlite_utils.Database, group_id: int) -> dict:
    """A conflict group with its sides; each side gets its claims (with sources) and support count."""
    _in_range(group_id, "conflict group")
    group = next(iter(db.query("SELECT * FROM conflict_groups WHERE id = ?", [group_id])), None)
    if group is None:
        raise NotFound(f"no conflict group with id {group_id}")
    try:
        sides = json.loads(group["sides"] or "[]")
    except json.JSONDecodeError:
        raise ReviewError(f"conflict group {group_id} has unreadable sides; re-run the conflict check") from None
    sql = (
        "SELECT c.*, d.title, d.source, d.url, d.published, d.duplicate_of FROM claims c "
        "JOIN documents d ON d.id = c.doc_id WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id"
    )
    for side in sides:
        ids = _ids(side.get("claim_ids") or [c.get("id", c.get("claim_id")) for c in side.get("claims", [])])
        side["claims"] = [dict(r) for r in db.query(sql, [json.dumps(ids)])]
        side["support"] = side.get("support") or len({c["duplicate_of"] or c["doc_id"] for c in side["claims"]})
    return {**group, "sides": sides}


def accept_side(
    db: sqlite_utils.Database, group_id: int, side: int, reviewer: str | None = None, note: str | None = None
) -> int:
    """Settle a conflict: accept the grounded claims of one side, reject the claims of the other sides."""
    group = conflict(db, group_id)
    if not 0 <= side < len(group["sides"]):
        raise ReviewError(f"conflict group {group_id} has no side {side + 1}; its sides are 1 to {len(group['sides'])}")
    updates: dict[int, dict] = {}
    for i, s in enumerate(group["sides"]):
        for c in s["claims"]:
            if i != side:
                updates[c["id"]] = {"review_status": "rejected"}
            elif c["grounded"]:
                updates[c["id"]] = {"review_status": "accepted"}
    return _decide(db, updates, reviewer, note)


def dismiss(db: sqlite_utils.Database, group_id: int, note: str | None, reviewer: str | None = None) -> int:
    """Mark a conflict group "not a conflict" with a note: logged as one decision (an audit row per claim),
    undone with `undo`; recomputes leave the group out while its claims stay those the reviewer saw."""
    group = conflict(db, group_id)
    note = note and printable(note).strip()
    if not note:
        raise ReviewError(f"say why conflict {group_id} is not a conflict: give a note")
    reviewer = reviewer_name(reviewer)
    ids = sorted({c["id"] for side in group["sides"] for c in side["claims"]})
    with writing(db):
        decision = db.execute("SELECT COALESCE(MAX(decision), 0) + 1 FROM reviews").fetchone()[0]
        now = time.time()
        row = {"fact_key": group["fact_key"], "claim_ids": json.dumps(ids), "reason": group["reason"], "note": note,
               "reviewer": reviewer, "at": now, "active": 1}  # fmt: skip
        dismissal = db["dismissals"].insert(row).last_pk
        for claim_id in ids:
            before = _snapshot(db, claim_id)
            _log(db, decision, claim_id, "dismiss", before, reviewer=reviewer, at=now, note=note, dismissal=dismissal)
        store.ledger.recompute(db, claim_ids=ids)
    return decision


def history(db: sqlite_utils.Database, claim_id: int) -> list[dict]:
    """The audit log of one claim, oldest first."""
    return [dict(r) for r in db.query("SELECT * FROM reviews WHERE claim_id = ? ORDER BY id", [claim_id])]


def ledger(
    db: sqlite_utils.Database, status: str | None = None, after: str | None = None, limit: int = 50
) -> list[dict]:
    """One keyset page of the fact ledger, by key."""
    where, params = ["key > ?"], [after or ""]
    if status:
        if status not in FACT_STATUSES:
            raise ReviewError(f"unknown fact status {status!r}; use one of {', '.join(FACT_STATUSES)}")
        where.append("status = ?")
        params.append(status)
    sql = f"SELECT * FROM facts WHERE {' AND '.join(where)} ORDER BY key LIMIT ?"
    return [{**r, "claim_ids": json.loads(r["claim_ids"] or "[]")} for r in db.query(sql, [*params, int(limit)])]


def groups(db: sqlite_utils.Database, open_only: bool = True, after: int = 0, limit: int = 50) -> list[dict]:
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
    return [dict(r) for r in db.query(sql, params)]


def show_value(c: dict) -> str:
    """A claim's figure as an analyst reads it, with its hedge: 'more than $13B', '$1B-$2B', ''."""
    from ..conflicts import format_value

    if c["value_low"] is not None and c["value_high"] is not None:
        return "-".join(format_value(v, c["unit"]) for v in (c["value_low"], c["value_high"]))
    if c["value"] is not None:
        hedge = "" if c["qualifier"] in (None, "exact") else c["qualifier"].replace("_", " ") + " "
        return hedge + format_value(c["value"], c["unit"])
    return ""


def format_claims(rows: list[dict]) -> str:
    """Claims as text: one line of fields per claim, its quote indented below."""
    lines = []
    for c in rows:
        value = show_value(c)
        flags = [
            f"conflict {c['conflict_group']}" if c["conflict_group"] else "",
            "" if c["grounded"] else "UNGROUNDED",
            f"superseded by {c['superseded_by'][:8]}" if c.get("superseded_by") else "",
        ]
        head = [f"#{c['id']}", c["review_status"], c["kind"], f"{c['subject'] or '-'} -> {c['counterparty'] or '-'}"]
        page = f"p. {c['page']}" if c.get("page") else ""
        head += [value, c["as_of"] or "", f"doc {c['doc_id'][:8]}", page, *flags]
        lines += ["  ".join(x for x in head if x), f'    "{c["quote"]}"']
    return "\n".join(lines)
