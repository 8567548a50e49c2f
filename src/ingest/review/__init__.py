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

from pydantic import ValidationError

from .. import aliases, ground, store
from ..conflicts import STATUSES as FACT_STATUSES
from ..conflicts import Fact
from ..errors import InvalidCorrection, NotFound, ReviewError
from ..models import Alignment, Claim, ClaimKind, QueueFilters, printable
from ..store import MAX_INT, Database, writing

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


def reviewer_name(reviewer: str | None) -> str:
    """The name recorded for a decision: the one given (bytes that are not UTF-8 escaped), else the OS user."""
    return printable(reviewer or default_reviewer())


def default_reviewer() -> str:
    """The OS user name, used when no reviewer is given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _checked(**filters: Any) -> QueueFilters:
    """The queue filters, checked: an unknown kind or status is refused; typed text that is not UTF-8 is escaped
    as stored; a party is found by its aliases too."""
    f = QueueFilters(**filters)
    if f.kind and f.kind not in {k.value for k in ClaimKind}:
        raise ReviewError(f"unknown kind {f.kind!r}; use one of {', '.join(k.value for k in ClaimKind)}")
    if f.status and f.status not in STATUSES:
        raise ReviewError(f"unknown review status {f.status!r}; use one of {', '.join(STATUSES)}")
    party, doc, search = (printable(x) if x else x for x in (f.party, f.doc, f.search))  # bytes not UTF-8
    if party:
        party = aliases.canonical(party) or party  # Azure finds Microsoft's claims
    return f.model_copy(update={"party": party, "doc": doc, "search": search})


def claims(
    db: Database,
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
    return store.reviews.queue(db, after, before, limit, _checked(**filters))


def count(db: Database, **filters: Any) -> int:
    """Number of claims matching the filters."""
    return store.reviews.count(db, _checked(**filters))


def _in_range(value: int, what: str = "claim") -> int:
    """An id that SQLite can hold; a larger (or not positive) one names nothing."""
    if not 1 <= value <= MAX_INT:
        raise NotFound(f"no {what} with id {value}: ids run from 1 to {MAX_INT}")
    return value


def get(db: Database, claim_id: int) -> dict:
    """One claim with its document's metadata and text; NotFound if there is none."""
    _in_range(claim_id)
    row = store.reviews.claim(db, claim_id)
    if row is None:
        raise NotFound(f"no claim with id {claim_id}; list claims with `ingest claims`")
    return row


def _snapshot(db: Database, claim_id: int) -> dict:
    row = store.reviews.snapshot(db, claim_id, REVIEWED)
    if row is None:
        raise NotFound(f"no claim with id {claim_id}; list claims with `ingest claims`")
    return row


def _log(db: Database, decision: int, claim_id: int, action: str, before: dict, **extra) -> dict:
    """Append the audit row of one claim's change; returns the claim's reviewed fields after it."""
    after = _snapshot(db, claim_id)
    before, after_json = json.dumps(before, sort_keys=True), json.dumps(after, sort_keys=True)
    row = {"claim_id": claim_id, "action": action, "before": before, "after": after_json, "decision": decision}
    store.reviews.log(db, {**row, **extra})
    return after


ACTIONS = {"accepted": "accept", "rejected": "reject", "corrected": "correct"}


def _decide(db: Database, updates: dict[int, dict], reviewer: str | None, note: str | None) -> int:
    """Apply ``updates`` (claim id -> new values incl. review_status) and log them as one decision, the fact
    ledger refreshed in the same transaction."""
    if not updates:
        raise ReviewError("no claim ids given")
    reviewer, note = reviewer_name(reviewer), note and printable(note)
    with writing(db):
        decision = store.reviews.next_decision(db)
        now = time.time()
        changes = []
        for claim_id, values in updates.items():
            before = _snapshot(db, claim_id)
            store.reviews.update_claim(db, claim_id, {**values, "reviewer": reviewer, "reviewed_at": now})
            action = ACTIONS[values["review_status"]]
            after = _log(db, decision, claim_id, action, before, reviewer=reviewer, at=now, note=note or None)
            changes.append((claim_id, before, after))
        recompute_conflicts(db, changes)
    return decision


def recompute_conflicts(db: Database, changes: list[tuple[int, dict, dict]] | None = None) -> None:
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


def _changing(db: Database, ids: list[int], status: str) -> dict[int, dict]:
    """The claims a decision changes, with their reviewed fields (unknown ids refused): one already in
    ``status`` is left out of it."""
    todo = {i: row for i in ids if (row := _snapshot(db, i))["review_status"] != status}
    if ids and not todo:
        raise ReviewError(f"claim(s) {', '.join(map(str, ids))} already {status}: nothing to change")
    return todo


def accept(db: Database, ids: Any, reviewer: str | None = None, note: str | None = None) -> int:
    """Accept grounded claims; an ungrounded claim must be corrected first."""
    rows = _changing(db, _ids(ids), "accepted")
    for claim_id, row in rows.items():
        if not row["grounded"]:
            raise ReviewError(
                f"claim {claim_id} is not grounded in its source text; correct its quote or offsets first"
            )
    return _decide(db, {i: {"review_status": "accepted"} for i in rows}, reviewer, note)


def reject(db: Database, ids: Any, reviewer: str | None = None, note: str | None = None) -> int:
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


def correct(db: Database, claim_id: int, changes: dict, reviewer: str | None = None, note: str | None = None) -> int:
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


def last_decision(db: Database, reviewer: str | None = None) -> list[dict]:
    """The audit rows of the reviewer's last decision not yet undone (empty when there is none)."""
    return store.reviews.last_decision(db, reviewer_name(reviewer))


def undo(db: Database, reviewer: str | None = None) -> list[int]:
    """Reverse this reviewer's last decision not yet undone; returns the ids of the claims restored."""
    reviewer = reviewer_name(reviewer)
    rows = last_decision(db, reviewer)
    if not rows:
        raise ReviewError(f"reviewer {reviewer!r} has no decision left to undo")
    decision = rows[0]["decision"]
    with writing(db):
        new_decision = store.reviews.next_decision(db)
        now = time.time()
        changes = []
        for r in rows:
            current = _snapshot(db, r["claim_id"])
            if current != json.loads(r["after"]):
                raise ReviewError(
                    f"claim {r['claim_id']} has changed since decision {decision}; undo the later decision first"
                )
            store.reviews.update_claim(db, r["claim_id"], json.loads(r["before"]))
            after = _log(db, new_decision, r["claim_id"], "undo", current, reviewer=reviewer, at=now, undoes=decision)
            changes.append((r["claim_id"], current, after))
        lifted = sorted({r["dismissal"] for r in rows if r.get("dismissal")})
        if lifted:  # a dismissal: the group comes back
            store.reviews.lift_dismissals(db, lifted)
            store.ledger.recompute(db, claim_ids=[r["claim_id"] for r in rows])
        else:
            recompute_conflicts(db, changes)
    return [r["claim_id"] for r in rows]


def bulk_accept(
    db: Database,
    fact_key: str,
    min_sources: int,
    reviewer: str | None = None,
    note: str | None = None,
) -> int:
    """Accept the pending grounded claims of a ledger fact that at least ``min_sources`` independent
    sources support; a fact in conflict must be settled in its conflict view instead."""
    fact = store.ledger.fact(db, fact_key)
    if fact is None:
        raise NotFound(f"no fact with key {fact_key!r} in the ledger; run the conflict check first")
    if fact.conflict_group is not None:
        raise ReviewError(f"fact {fact_key!r} is in conflict {fact.conflict_group}; settle it in its conflict view")
    if fact.support < min_sources:
        raise ReviewError(f"fact {fact_key!r} has {fact.support} independent source(s), fewer than {min_sources}")
    pending = store.reviews.pending_grounded(db, fact.claim_ids)
    if not pending:
        raise ReviewError(f"fact {fact_key!r} has no pending grounded claims left to accept")
    return _decide(db, {i: {"review_status": "accepted"} for i in pending}, reviewer, note)


def conflict(db: Database, group_id: int) -> dict:
    """A conflict group as its view shows it: the stored group, each side with its claims (with sources)."""
    _in_range(group_id, "conflict group")
    try:
        group = store.ledger.group(db, group_id)
    except ValueError:
        raise ReviewError(f"conflict group {group_id} has unreadable sides; re-run the conflict check") from None
    if group is None:
        raise NotFound(f"no conflict group with id {group_id}")
    sides = [{**s.model_dump(), "claims": store.reviews.claims_with_documents(db, s.claim_ids)} for s in group.sides]
    return {**group.model_dump(), "sides": sides}


def accept_side(db: Database, group_id: int, side: int, reviewer: str | None = None, note: str | None = None) -> int:
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


def dismiss(db: Database, group_id: int, note: str | None, reviewer: str | None = None) -> int:
    """Mark a conflict group "not a conflict" with a note: logged as one decision (an audit row per claim),
    undone with `undo`; recomputes leave the group out while its claims stay those the reviewer saw."""
    group = conflict(db, group_id)
    note = note and printable(note).strip()
    if not note:
        raise ReviewError(f"say why conflict {group_id} is not a conflict: give a note")
    reviewer = reviewer_name(reviewer)
    ids = sorted({c["id"] for side in group["sides"] for c in side["claims"]})
    with writing(db):
        decision = store.reviews.next_decision(db)
        now = time.time()
        row = {"fact_key": group["fact_key"], "claim_ids": json.dumps(ids), "reason": group["reason"], "note": note,
               "reviewer": reviewer, "at": now, "active": 1}  # fmt: skip
        dismissal = store.reviews.add_dismissal(db, row)
        for claim_id in ids:
            before = _snapshot(db, claim_id)
            _log(db, decision, claim_id, "dismiss", before, reviewer=reviewer, at=now, note=note, dismissal=dismissal)
        store.ledger.recompute(db, claim_ids=ids)
    return decision


def history(db: Database, claim_id: int) -> list[dict]:
    """The audit log of one claim, oldest first."""
    return store.reviews.history(db, claim_id)


def ledger(db: Database, status: str | None = None, after: str | None = None, limit: int = 50) -> list[Fact]:
    """One keyset page of the fact ledger, by key."""
    if status and status not in FACT_STATUSES:
        raise ReviewError(f"unknown fact status {status!r}; use one of {', '.join(FACT_STATUSES)}")
    return store.ledger.facts_page(db, status, after, limit)


def groups(db: Database, open_only: bool = True, after: int = 0, limit: int = 50) -> list[store.ledger.ConflictRow]:
    """One keyset page of conflict groups with their claim and pending counts, largest disagreement first,
    after the group with id ``after`` (0: from the start)."""
    return store.ledger.groups_page(db, open_only, after, limit)


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
