"""Partnerships: one per pair of organisations, computed from the ledger's facts and claims (no database here).

``build`` is pure: it takes typed rows (the claims in the ledger, their facts, the conflict groups, the pattern
signals of their documents) and returns one ``Partnership`` per pair of parties, with its timeline, totals,
rights, status, sources, conflicts and patterns. The store reads the rows and writes the results; the CLI and
the review app show them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from .conflicts import format_hedged
from .errors import PartnershipError

RIGHT_KINDS = ("exclusivity", "rofr", "ip_rights")
RIGHT_NAMES = {"exclusivity": "exclusivity", "rofr": "ROFR", "ip_rights": "IP rights"}
# The totals of a partnership: what analysts compare across deals. Money and compute are the largest figure
# stated (sources state cumulative figures; adding tranches would count them twice); stake and valuation are
# the latest stated.
TOTALS = {
    "investment": ("invested", "largest"),
    "compute_commitment": ("committed compute", "largest"),
    "equity_stake": ("stake", "latest"),
    "valuation": ("valuation", "latest"),
}
STATUSES = ("active", "restructured", "ended")
_RENEGOTIATED = re.compile(r"\b(?:renegotiat\w*|restructur\w*|amended|revised terms|new agreement)\b", re.IGNORECASE)


# ---------------------------------------------------------------- input rows


class ClaimIn(BaseModel):
    """A claim in the ledger (grounded, not rejected, not superseded) with its document."""

    id: int
    kind: str
    subject: str
    counterparty: str
    value: float | None = None
    unit: str | None = None
    qualifier: str | None = "exact"
    deal_status: str | None = None
    as_of: str | None = None
    quote: str = ""
    doc_id: str
    source_id: str = Field(description="The first copy of the claim's document: independent sources are these.")
    fact_key: str | None = None
    conflict_group: int | None = None


class FactIn(BaseModel):
    """A fact of the ledger."""

    key: str
    kind: str
    subject: str | None = None
    counterparty: str | None = None
    unit: str | None = None
    as_of: str | None = None
    value: float | None = None
    status: str
    support: int = 0
    claim_ids: list[int] = Field(default_factory=list)
    conflict_group: int | None = None


class SignalIn(BaseModel):
    """A pattern signal of a document, with the companies its passage names."""

    id: int
    doc_id: str
    pattern: str
    phase: str | None = None
    quote: str
    char_start: int | None = None
    char_end: int | None = None
    names: list[str] = Field(default_factory=list, description="Canonical names of the companies in the passage.")


class GroupIn(BaseModel):
    """A conflict group of the ledger."""

    id: int
    fact_key: str
    disagreement: str | None = None
    reason: str | None = None


# ---------------------------------------------------------------- output


class Figure(BaseModel):
    """A figure of a partnership: one fact's consensus value with its direction and hedge."""

    kind: str
    subject: str
    counterparty: str
    value: float | None
    unit: str | None
    qualifier: str = "exact"
    as_of: str | None = None
    support: int = 0
    fact_key: str

    @property
    def text(self) -> str:
        return format_hedged(self.value, self.unit, self.qualifier)


class Right(BaseModel):
    """A right one party holds in the partnership, as its latest claims state it."""

    kind: Literal["exclusivity", "rofr", "ip_rights"]
    holder: str
    other: str
    state: Literal["granted", "ended", "retained"]
    end_year: int | None = Field(None, description="IP rights: the year they run to.")
    as_of: str | None = None
    claim_ids: list[int]

    @property
    def text(self) -> str:
        words = f"{RIGHT_NAMES[self.kind]} ({self.holder})"
        if self.end_year:
            words += f" to {self.end_year}"
        return f"{words} {self.state}"


class Passage(BaseModel):
    """A passage that signals a pattern."""

    signal_id: int
    doc_id: str
    phase: str | None = None
    quote: str
    char_start: int | None = None
    char_end: int | None = None


class PatternUse(BaseModel):
    """A pattern or kill-list move that the partnership's documents signal, with the passages."""

    id: str
    name: str
    kind: str = Field(description="pattern or kill_list")
    phases: list[str] = Field(default_factory=list)
    passages: list[Passage]


class Event(BaseModel):
    """One fact of the partnership's timeline."""

    fact_key: str
    kind: str
    subject: str
    counterparty: str
    as_of: str | None
    value: float | None
    unit: str | None
    qualifier: str = "exact"
    deal_status: str | None = None
    status: str
    support: int
    claim_ids: list[int]
    conflict_group: int | None = None


class Partnership(BaseModel):
    """One pair of organisations: what the ledger knows about their deals."""

    key: str = Field(description="'A|B', the two names in case-insensitive order.")
    a: str
    b: str
    status: Literal["active", "restructured", "ended"]
    first: Event | None = Field(None, description="The earliest dated fact.")
    latest: Event | None = Field(None, description="The latest dated fact.")
    totals: list[Figure] = Field(default_factory=list)
    rights: list[Right] = Field(default_factory=list)
    sources: int = Field(description="Independent sources (documents, a near-duplicate counted with its first copy).")
    claims: int
    conflicts: list[int] = Field(default_factory=list, description="Conflict groups among its facts.")
    patterns: list[PatternUse] = Field(default_factory=list)
    timeline: list[Event] = Field(default_factory=list)
    directions: dict[str, int] = Field(default_factory=dict, description="'A -> B': claims stated that way.")
    renegotiated: bool = Field(False, description="A claim or a restructure passage says the terms changed.")
    claim_ids: list[int] = Field(default_factory=list, description="Every claim of the pair in the ledger.")

    def total(self, kind: str) -> list[Figure]:
        return [f for f in self.totals if f.kind == kind]


# ---------------------------------------------------------------- the computation


def pair_key(x: str, y: str) -> tuple[str, str]:
    """The two names of a pair in a stable order (case-insensitive, then as written)."""
    a, b = sorted((x, y), key=lambda n: (n.casefold(), n))
    return a, b


def key_of(a: str, b: str) -> str:
    return "|".join(pair_key(a, b))


@cache
def pattern_names() -> dict[str, tuple[str, str]]:
    """Pattern id -> (name, kind) from the packaged patterns.yaml."""
    raw = yaml.safe_load(resources.files("ingest.data").joinpath("patterns.yaml").read_text())
    return {p["id"]: (p["name"], p.get("kind", "pattern")) for p in raw["patterns"]}


def _date_key(as_of: str | None) -> str:
    return as_of or ""


def _rights(claims: list[ClaimIn]) -> list[Right]:
    """Each right (kind, holder) in the state its latest claims give: among the claims of the latest date and
    the undated ones, an end outranks a retention, which outranks a grant (an end is told of a right granted
    before it)."""
    rank = {"ended": 2, "retained": 1}
    by_right: dict[tuple[str, str, str], list[ClaimIn]] = defaultdict(list)
    for c in claims:
        if c.kind in RIGHT_KINDS:
            by_right[c.kind, c.subject, c.counterparty].append(c)
    out = []
    for (kind, holder, other), cs in sorted(by_right.items()):
        latest = max((c.as_of for c in cs if c.as_of), default=None)
        now = [c for c in cs if c.as_of in (None, latest)]
        top = max(rank.get(c.deal_status or "", 0) for c in now)
        chosen = [c for c in now if rank.get(c.deal_status or "", 0) == top]
        state = {2: "ended", 1: "retained", 0: "granted"}[top]
        years = [int(c.value) for c in cs if kind == "ip_rights" and c.unit == "year" and c.value]
        out.append(
            Right(
                kind=kind,
                holder=holder,
                other=other,
                state=state,
                end_year=max(years) if years else None,
                as_of=max((c.as_of for c in chosen if c.as_of), default=None),
                claim_ids=sorted(c.id for c in cs),
            )
        )
    return out


def _event(fact: FactIn, claims: list[ClaimIn]) -> Event:
    """A fact as a timeline event: its direction, hedge and deal status from its claims (the most stated)."""

    def most(values: Iterable[str | None], default: str | None) -> str | None:
        counts: dict[str | None, int] = defaultdict(int)
        for v in values:
            counts[v] += 1
        return max(counts, key=lambda v: (counts[v], v or "")) if counts else default

    first = claims[0]
    return Event(
        fact_key=fact.key,
        kind=fact.kind,
        subject=first.subject,
        counterparty=first.counterparty,
        as_of=fact.as_of or most((c.as_of for c in claims), None),
        value=fact.value,
        unit=fact.unit,
        qualifier=most((c.qualifier or "exact" for c in claims), "exact") or "exact",
        deal_status=most((c.deal_status for c in claims if c.deal_status), None),
        status=fact.status,
        support=fact.support,
        claim_ids=sorted(c.id for c in claims),
        conflict_group=fact.conflict_group,
    )


def _totals(events: list[Event]) -> list[Figure]:
    """Per kind of TOTALS, direction and unit: the largest figure, or the latest (then largest) for stakes and
    valuations."""
    out = []
    groups: dict[tuple[str, str, str, str], list[Event]] = defaultdict(list)
    for e in events:
        if e.kind in TOTALS and e.value is not None:
            groups[e.kind, e.subject, e.counterparty, e.unit or ""].append(e)
    order = list(TOTALS)
    for (kind, *_), es in sorted(groups.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1:])):
        if TOTALS[kind][1] == "largest":
            best = max(es, key=lambda e: (e.value, _date_key(e.as_of)))
        else:
            best = max(es, key=lambda e: (_date_key(e.as_of), e.value))
        out.append(
            Figure(
                kind=kind,
                subject=best.subject,
                counterparty=best.counterparty,
                value=best.value,
                unit=best.unit,
                qualifier=best.qualifier,
                as_of=best.as_of,
                support=best.support,
                fact_key=best.fact_key,
            )
        )
    return out


def _patterns(signals: list[SignalIn], a: str, b: str, single_pair_docs: set[str]) -> list[PatternUse]:
    """The patterns signalled by passages that name both parties, or by any passage of a document whose claims
    are about this pair alone."""
    names = pattern_names()
    uses: dict[str, list[SignalIn]] = defaultdict(list)
    for s in signals:
        if (a in s.names and b in s.names) or s.doc_id in single_pair_docs:
            uses[s.pattern].append(s)
    out = []
    for pid, ss in uses.items():
        name, kind = names.get(pid, (pid, "pattern"))
        passages, seen = [], set()
        for s in sorted(ss, key=lambda s: (s.doc_id, s.char_start or 0, s.id)):
            if (s.doc_id, s.char_start, s.quote) in seen:
                continue
            seen.add((s.doc_id, s.char_start, s.quote))
            passages.append(Passage(signal_id=s.id, doc_id=s.doc_id, phase=s.phase, quote=s.quote,
                                    char_start=s.char_start, char_end=s.char_end))  # fmt: skip
        phases = sorted({s.phase for s in ss if s.phase})
        out.append(PatternUse(id=pid, name=name, kind=kind, phases=phases, passages=passages))
    return sorted(out, key=lambda p: (p.kind != "pattern", -len(p.passages), p.id))


def _status(claims: list[ClaimIn], rights: list[Right], renegotiated: bool) -> str:
    """ended: a claim says the deal ended, no right is in force and nothing is stated in force after the end;
    restructured: a right ended, or the terms were renegotiated; else active."""
    ends = [c for c in claims if c.deal_status == "ended"]
    in_force = any(r.state != "ended" for r in rights)
    if ends and not in_force:
        last_end = max((c.as_of for c in ends if c.as_of), default="")
        later = [
            c
            for c in claims
            if c.kind not in RIGHT_KINDS and c.deal_status != "ended" and c.as_of and c.as_of > last_end
        ]
        if not later:
            return "ended"
    if any(r.state == "ended" for r in rights) or renegotiated:
        return "restructured"
    return "active"


def build(
    claims: Iterable[ClaimIn],
    facts: Iterable[FactIn],
    signals: Iterable[SignalIn] = (),
    groups: Iterable[GroupIn] = (),
    pairs: set[tuple[str, str]] | None = None,
    single_docs: set[str] | None = None,
) -> list[Partnership]:
    """One Partnership per pair of parties of the claims (both named; a party paired with itself is no
    partnership), sorted by key; ``pairs`` limits it to those pairs (as ``pair_key`` gives them). Signals are
    those of the claims' documents; groups, the conflict groups of the ledger; ``single_docs``, the documents
    whose claims are about one pair alone (default: found among ``claims``)."""
    by_pair: dict[tuple[str, str], list[ClaimIn]] = defaultdict(list)
    doc_pairs: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c in claims:
        if not c.subject or not c.counterparty or c.subject.casefold() == c.counterparty.casefold():
            continue
        pk = pair_key(c.subject, c.counterparty)
        doc_pairs[c.doc_id].add(pk)
        if pairs is None or pk in pairs:
            by_pair[pk].append(c)
    fact_by_key = {f.key: f for f in facts}
    group_ids = {g.id for g in groups}
    signals_by_doc: dict[str, list[SignalIn]] = defaultdict(list)
    for s in signals:
        signals_by_doc[s.doc_id].append(s)
    out = []
    for (a, b), cs in sorted(by_pair.items(), key=lambda kv: kv[0]):
        cs.sort(key=lambda c: c.id)
        by_fact: dict[str, list[ClaimIn]] = defaultdict(list)
        for c in cs:
            if c.fact_key in fact_by_key:
                by_fact[c.fact_key].append(c)
        events = [_event(fact_by_key[k], v) for k, v in by_fact.items()]
        events.sort(key=lambda e: (e.as_of is None, _date_key(e.as_of), e.kind, e.fact_key))
        dated = [e for e in events if e.as_of]
        docs = {c.doc_id for c in cs}
        single = {d for d in docs if doc_pairs[d] == {(a, b)}} if single_docs is None else docs & single_docs
        doc_signals = [s for d in sorted(docs) for s in signals_by_doc.get(d, [])]
        patterns = _patterns(doc_signals, a, b, single)
        restructure = any(s.phase == "restructure" and a in s.names and b in s.names for s in doc_signals)
        renegotiated = restructure or any(_RENEGOTIATED.search(c.quote) for c in cs)
        rights = _rights(cs)
        directions: dict[str, int] = defaultdict(int)
        for c in cs:
            directions[f"{c.subject} -> {c.counterparty}"] += 1
        conflicts = sorted({c.conflict_group for c in cs if c.conflict_group is not None} & group_ids)
        out.append(
            Partnership(
                key=f"{a}|{b}",
                a=a,
                b=b,
                status=_status(cs, rights, renegotiated),
                first=dated[0] if dated else None,
                latest=max(dated, key=lambda e: (e.as_of, e.kind)) if dated else None,
                totals=_totals(events),
                rights=rights,
                sources=len({c.source_id for c in cs}),
                claims=len(cs),
                conflicts=conflicts,
                patterns=patterns,
                timeline=events,
                directions=dict(sorted(directions.items())),
                renegotiated=renegotiated,
                claim_ids=[c.id for c in cs],
            )
        )
    return out


def involves(p: Partnership, company: str) -> bool:
    """Whether a partnership has this company as a party (case-insensitive)."""
    return company.casefold() in (p.a.casefold(), p.b.casefold())


class Edge(BaseModel):
    """A deal on the map: one kind of fact between two parties, in one direction."""

    key: str
    a: str
    b: str
    kind: str
    subject: str
    counterparty: str
    value: float | None = Field(None, description="The largest figure of the kind (money and compute), else None.")
    unit: str | None = None
    qualifier: str = "exact"
    first_date: str | None = None
    latest_date: str | None = None
    facts: int
    support: int


def edges(p: Partnership) -> list[Edge]:
    """The partnership's deals for the map: per kind and direction, the largest figure (in the unit most
    stated), the first and latest dates, the facts and the most sources one of them has."""
    groups: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
    for e in p.timeline:
        groups[e.kind, e.subject, e.counterparty].append(e)
    out = []
    for (kind, subject, counterparty), es in sorted(groups.items()):
        valued = [e for e in es if e.value is not None and e.unit != "year"]
        units: dict[str | None, int] = defaultdict(int)
        for e in valued:
            units[e.unit] += 1
        unit = max(units, key=lambda u: (units[u], u or "")) if units else None
        best = max((e for e in valued if e.unit == unit), key=lambda e: e.value or 0, default=None)
        dates = sorted(e.as_of for e in es if e.as_of)
        out.append(
            Edge(
                key=p.key,
                a=p.a,
                b=p.b,
                kind=kind,
                subject=subject,
                counterparty=counterparty,
                value=best.value if best else None,
                unit=best.unit if best else None,
                qualifier=best.qualifier if best else "exact",
                first_date=dates[0] if dates else None,
                latest_date=dates[-1] if dates else None,
                facts=len(es),
                support=max(e.support for e in es),
            )
        )
    return out


# ---------------------------------------------------------------- reading and storing (through the store)


def _signal_names(quote: str, parties: set[str]) -> list[str]:
    """Canonical names of the companies a passage names: the alias table's, and any party of the document's
    claims written out in it."""
    from .aliases import companies_in

    folded = quote.casefold()
    return sorted(companies_in(quote) | {p for p in parties if p.casefold() in folded})


def compute(db, names: list[str] | None = None, pairs: set[tuple[str, str]] | None = None) -> list[Partnership]:
    """Partnerships from the stored ledger: all, or those of ``pairs`` (read through the claims of ``names``)."""
    from . import store

    claims = [ClaimIn.model_validate(r) for r in store.partnerships.ledger_pair_claims(db, names)]
    if pairs is not None:
        claims_of = {pair_key(c.subject, c.counterparty) for c in claims}
        pairs = pairs & claims_of
    keys = sorted({c.fact_key for c in claims if c.fact_key}) if names is not None else None
    facts = [FactIn.model_validate(r) for r in store.partnerships.ledger_facts(db, keys)]
    groups_ids = sorted({c.conflict_group for c in claims if c.conflict_group}) if names is not None else None
    groups = [GroupIn.model_validate(r) for r in store.partnerships.ledger_groups(db, groups_ids)]
    docs = sorted({c.doc_id for c in claims if pairs is None or pair_key(c.subject, c.counterparty) in pairs})
    parties: dict[str, set[str]] = defaultdict(set)
    for c in claims:
        parties[c.doc_id] |= {c.subject, c.counterparty}
    signals = [
        SignalIn.model_validate({**s, "names": _signal_names(s["quote"] or "", parties[s["doc_id"]])})
        for s in store.partnerships.document_signals(db, docs if names is not None else None)
        if s["doc_id"] in parties
    ]
    single = store.partnerships.single_pair_docs(db, docs if names is not None else None)
    return build(claims, facts, signals, groups, pairs, single)


def to_row(p: Partnership) -> dict:
    """The stored row of a partnership: summary columns for Datasette, the whole model in ``detail``."""

    def figure(kind: str) -> str | None:
        return "; ".join(f"{f.text} ({f.subject} -> {f.counterparty})" for f in p.total(kind)) or None

    usd = [f.value for f in p.total("investment") if f.unit == "USD" and f.value is not None]
    return {
        "key": p.key,
        "a": p.a,
        "b": p.b,
        "status": p.status,
        "first_date": p.first.as_of if p.first else None,
        "latest_date": p.latest.as_of if p.latest else None,
        "invested": figure("investment"),
        "invested_usd": max(usd) if usd else None,
        "committed_compute": figure("compute_commitment"),
        "stake": figure("equity_stake"),
        "valuation": figure("valuation"),
        "rights": "; ".join(r.text for r in p.rights) or None,
        "sources": p.sources,
        "claims": p.claims,
        "conflicts": len(p.conflicts),
        "patterns": json.dumps([u.id for u in p.patterns if u.kind == "pattern"]),
        "kill_list": json.dumps([u.id for u in p.patterns if u.kind != "pattern"]),
        "claim_ids": json.dumps(p.claim_ids),
        "detail": p.model_dump_json(),
    }


def _pairs_of(db, claim_ids: Iterable[int]) -> set[tuple[str, str]]:
    from . import store

    return {
        pair_key(x, y) for x, y in store.partnerships.claim_parties(db, list(claim_ids)) if x.casefold() != y.casefold()
    }


def refresh(db, claim_ids: Iterable[int] | None = None) -> int:
    """Rebuild the stored partnerships and map edges: all, or those of the pairs ``claim_ids`` belong to now
    or belonged to. Returns the number rebuilt."""
    return _rebuild(db, None if claim_ids is None else _pairs_of(db, claim_ids))


def touch(db, claim_ids: Iterable[int]) -> None:
    """After a review decision: mark the pairs these claims belong to now or belonged to, to be rebuilt when
    partnerships are next read (`refresh_stale`), so that a decision does not wait for a large pair."""
    from . import store

    pairs = _pairs_of(db, claim_ids)
    if pairs:
        store.partnerships.mark_stale(db, pairs)


def refresh_stale(db) -> int:
    """Rebuild the partnerships review decisions touched since they were last built (all of them when a
    database from before partnerships has a ledger but none stored); returns the number rebuilt."""
    from . import store

    if not store.partnerships.partnership_count(db) and store.partnerships.fact_count(db):
        return refresh(db)
    pairs = store.partnerships.stale_pairs(db)
    return _rebuild(db, pairs) if pairs else 0


def _rebuild(db, pairs: set[tuple[str, str]] | None) -> int:
    from . import store
    from .store.migrations import writing

    with writing(db):
        if pairs is None:
            found, keys = compute(db), None
        elif not pairs:
            return 0
        else:
            found = compute(db, sorted({n for pair in pairs for n in pair}), pairs)
            keys = sorted(f"{a}|{b}" for a, b in pairs)
        rows, edge_rows = [to_row(p) for p in found], [e.model_dump() for p in found for e in edges(p)]
        store.partnerships.save_partnerships(db, rows, edge_rows, keys)
    return len(found)


def partnerships(db, company: str | None = None) -> list[Partnership]:
    """The stored partnerships (those of ``company``, an alias such as Azure naming Microsoft), by key; those
    that review decisions touched are rebuilt first."""
    from . import store
    from .aliases import canonical

    refresh_stale(db)
    name = (canonical(company) or company.strip()) if company else None
    return [Partnership.model_validate_json(d) for d in store.partnerships.partnership_details(db, name)]


def dossier(db, a: str, b: str) -> Partnership:
    """One partnership as stored (rebuilt first if review decisions touched it since)."""
    from . import store

    refresh_stale(db)
    pair = pair_key(a.strip(), b.strip())
    found = store.partnerships.partnership_details(db, key="|".join(pair))
    if not found:
        raise PartnershipError(f"no partnership of {pair[0]} and {pair[1]}: list them with `ingest partnerships`")
    return Partnership.model_validate_json(found[0])


def format_table(rows: list[Partnership]) -> str:
    """Partnerships as a plain text table."""
    from tabulate import tabulate

    if not rows:
        return "no partnerships: run the pipeline (claims need both parties), or check --company."
    table = [
        (
            f"{p.a} – {p.b}",
            p.status,
            p.first.as_of if p.first else "",
            p.latest.as_of if p.latest else "",
            "; ".join(f.text for f in p.total("investment")),
            "; ".join(f.text for f in p.total("compute_commitment")),
            "; ".join(r.text for r in p.rights),
            p.sources,
            len(p.conflicts),
            ", ".join(u.id for u in p.patterns),
        )
        for p in rows
    ]
    headers = ("partnership", "status", "first", "latest", "invested", "compute", "rights", "sources", "conflicts",
               "patterns")  # fmt: skip
    return tabulate(table, headers=headers, tablefmt="simple")
