"""Who is who in a deal sentence: company mentions, party types, direction slots, subject and counterparty.

A company is a lab (its revenue, valuation and compute purchases are deal facts), a compute provider (a
cloud or chip maker: the seller in a compute commitment) or a backer (everyone else); ``roles`` in
``data/rules.yaml`` say which types each kind's subject and counterparty take. The words around a mention
put it in a slot ("from X": source, "in X": target, "X raised": receiver, "X stock": issuer, "supply X":
customer, ...), and ``slot_roles`` map slots to each kind's roles. Slots decide first, then types, nearest
first; a party in a counterparty slot is the subject's last choice of its sentence. A subject that neither
a slot nor a type names needs a counterparty in its own sentence.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass

from ..aliases import PartyMention, canonical
from ..figures import Figure
from . import orgs
from .rulebook import vocabulary
from .tables import Cell


@dataclass
class Sentence:
    """A sentence with its figures and parties (offsets into the document text); a table's row is one."""

    start: int
    end: int
    figures: list[Figure]
    parties: list[PartyMention]
    clauses: list[tuple[int, int]]
    blank_before: bool
    cells: list[Cell] | None = None  # a table's body row: its cells under their headers


def mentions(text: str) -> list[PartyMention]:
    """The organisations a document names (listed or not) but news outlets named as a report's source, plus the
    short form of a listed name that ends in a generic word ("Scale" after "Scale AI") wherever it stands after
    the full name, plus the words that stand for a company."""
    found = [p for p in orgs.mentions(text) if not reporter(text, p)]
    shorts: dict[str, tuple[str, int]] = {}
    for p in (p for p in found if orgs.listed(p)):
        tail = vocabulary()["short_form_tail"].search(p.surface)
        if tail and canonical(p.surface[: tail.start()]) is None:
            shorts.setdefault(p.surface[: tail.start()], (p.canonical, p.end))
    for short, (name, after) in shorts.items():
        for m in re.finditer(rf"(?<![\w.]){re.escape(short)}(?!\w)", text[after:]):
            start, end = m.start() + after, m.end() + after
            if not any(p.start < end and start < p.end and orgs.listed(p) for p in found):
                found = [p for p in found if not (p.start < end and start < p.end)]
                found.append(PartyMention(start, end, short, name))
    found += stand_ins(text, sorted(found, key=lambda p: p.start))
    return sorted(found, key=lambda p: p.start)


def reporter(text: str, p: PartyMention) -> bool:
    """True for an outlet named as the source of a report ("according to The Information", ", Reuters reported")."""
    v = vocabulary()
    return bool(
        v["reporter_before"].search(text, max(0, p.start - 30), p.start) or v["reporter_after"].match(text, p.end)
    )


def stand_ins(text: str, named: list[PartyMention]) -> list[PartyMention]:
    """Words that stand for a company: "the startup" for a lab named before it, "the company" for any
    company, and "we" / "our" for the publisher of a company's own blog, release or call. As a subject the
    stand-in is the first company named earlier in its sentence; as an object ("in the startup") or with
    none earlier in its sentence, the last one named before its sentence. A company named as a modifier
    ("Amazon-backed Anthropic") is never the one meant."""
    v = vocabulary()
    out = []
    starts = [p.start for p in named]
    heads = [p for p in named if not re.match(r"-[a-z]", text[p.end : p.end + 2])]  # not "Amazon" of "Amazon-backed"
    head_starts = [p.start for p in heads]
    for kind, rx in v["stand_ins"].items():
        for m in rx.finditer(text):
            sentence = max(text.rfind(end, 0, m.start()) for end in (". ", "\n", "。"))
            lead = text[max(0, m.start() - 25) : m.start()]
            obj = v["slots"]["target"].search(lead) or v["slots"]["source"].search(lead)
            chosen = _stand_in_for(text, heads, head_starts, m.start(), sentence, kind, bool(obj))
            if chosen:
                out.append(PartyMention(m.start(), m.end(), m.group(), chosen.canonical))
    me = publisher(text, named)
    if me:
        out += [PartyMention(m.start(), m.end(), m.group(), me) for m in v["first_person"].finditer(text)]
    return [p for p in out if not orgs.overlapping(named, starts, p.start, p.end)]


def _stand_in_for(
    text: str, named: list[PartyMention], starts: list[int], pos: int, sentence: int, kind: str, obj: bool
) -> PartyMention | None:
    """The company a stand-in at ``pos`` means: as a subject, or as an object where that company speaks ("X
    announced that Y will take a stake in the company"), the first fitting one named earlier in its sentence;
    else the last fitting one named before its sentence (else the last fitting one at all)."""

    def ok(p: PartyMention) -> bool:
        return p.end <= pos and (kind == "any" or party_type(p.canonical) == kind)

    first, last = bisect_left(starts, sentence + 1), bisect_left(starts, pos)
    own = [p for p in named[first:last] if ok(p)]
    if own and (not obj or vocabulary()["speaker"].match(text, own[0].end)):
        return own[0]
    earlier = next((named[i] for i in range(first - 1, -1, -1) if ok(named[i])), None)
    return earlier or (own[-1] if own else None)


def publisher(text: str, named: list[PartyMention]) -> str | None:
    """The company whose own blog, release or call the text is: named in its first lines before a
    publisher word ("Databricks Blog")."""
    v = vocabulary()
    head = len("\n".join(text.split("\n")[: v["publisher_lines"]]))
    return next((p.canonical for p in named if p.end <= head and v["publisher"].match(text, p.end)), None)


def context_parties(sents: list[Sentence], i: int, text: str) -> list[PartyMention]:
    """Parties the sentences before lend: to a sentence that refers back to a company, or that names one
    and is not the first of its paragraph."""
    v = vocabulary()
    s = sents[i]
    refers = v["references"].search(text[s.start : s.end])
    if not refers and (s.blank_before or not s.parties):
        return []  # a paragraph's first sentence borrows only when it refers back
    lent: list[PartyMention] = []
    for j in range(i - 1, max(-1, i - 1 - v["context_sentences"]), -1):
        lent += sents[j].parties
        if sents[j].blank_before:
            break
    return lent


def party_type(name: str) -> str:
    """lab, provider or backer for a company of the alias table; ``unknown`` for any other name."""
    return vocabulary()["types"].get(name, "backer" if canonical(name) else "unknown")


def fits(p: PartyMention | None, types: list[str]) -> bool:
    """True when the party may take a role of these types; a name the alias table lacks may take any."""
    return p is not None and party_type(p.canonical) in (*types, "unknown")


def slot_of(text: str, s: Sentence, f_pos: tuple[int, int], p: PartyMention) -> str | None:
    """The slot a party fills for the figure at ``f_pos`` by the words around it."""
    slots = vocabulary()["slots"]
    if slots["issuer"].match(text, p.end, s.end):
        return "issuer"
    if slots["lessee"].search(text, s.start, p.start) or slots["supplied"].search(text, s.start, p.start):
        return "customer"
    if slots["sold_to"].search(text, s.start, p.start):
        return "buyer"
    before = text[max(s.start, p.start - 25) : p.start]
    for slot in ("source", "recipient", "customer", "target"):
        if slots[slot].search(before):
            return slot
    if slots["buyer"].match(text, p.end, s.end):
        return "customer"
    if slots["lead"].match(text, p.end, s.end):
        return "source"
    if slots["funded"].match(text, p.end, s.end):
        return "receiver"
    for slot in ("target", "source"):
        if slots[f"particle_{slot}"].match(text, p.end, s.end):
            return slot
    if p.end > f_pos[0]:
        return None
    if slots["passive"].search(text[p.end : f_pos[0]]) or slots["passive_after"].match(text, f_pos[1], s.end):
        return "receiver"
    return "holder" if slots["holder"].match(text, p.end, s.end) else "agent"


def place(
    text: str,
    s: Sentence,
    pos: tuple[int, int],
    kind: str,
    clause: tuple[int, int],
    context: list[PartyMention],
) -> tuple[PartyMention | None, PartyMention | None]:
    """Subject and counterparty of the claim at ``pos``: slots first, then the party types the kind wants,
    nearest first: the clause, the sentence, then the sentences before."""
    v = vocabulary()
    role, wanted = v["roles"][kind], v["slot_roles"].get(kind, {})

    def dist(p: PartyMention) -> tuple[int, int]:
        inside = clause[0] <= p.start < clause[1]
        gap = pos[0] - p.end if p.end <= pos[0] else p.start - pos[1]
        return (0 if inside else 1, abs(gap))

    local = [p for p in s.parties if clause[0] <= p.start < clause[1]]
    if len({p.canonical for p in local}) >= 2 and local[0].end <= pos[0]:
        # a clause that names two companies, one of them before the figure, is a deal of its own
        own, context = sorted(local, key=dist), []
    else:
        own = sorted(s.parties, key=dist)
    ranked = own + list(reversed(context))
    slots = {id(p): slot_of(text, s, pos, p) for p in s.parties if clause[0] <= p.start < clause[1]}
    cp_slots = wanted.get("counterparty", [])
    pool = sorted(own, key=lambda p: slots.get(id(p)) in cp_slots) + list(reversed(context))
    by_slot = _by_slot(ranked, slots, wanted.get("subject", []))
    subject = by_slot or _by_type([p for p in pool if slots.get(id(p)) not in cp_slots], role["subject"], None)
    guessed = subject is None
    subject = subject or next(iter(pool), None)
    cue = role.get("counterparty_cue")
    if subject is None or not role["counterparty"] or (cue and not re.search(cue, text[s.start : s.end], re.I)):
        return subject, None
    counterparty = _by_slot(ranked, slots, cp_slots, exclude=subject.canonical)
    if not fits(counterparty, role["counterparty"]):
        counterparty = _by_type(ranked, role["counterparty"], subject.canonical) or counterparty
    if counterparty is None:
        counterparty = next((p for p in ranked if p.canonical != subject.canonical), None)
    if by_slot is None and _swap(subject, counterparty, role):
        subject, counterparty = counterparty, subject
    elif guessed and counterparty not in s.parties:
        counterparty = None  # neither a slot nor a type names the subject, and no party here answers it
    receiver = next((p for p in own if slots.get(id(p)) in cp_slots), None)
    if counterparty is None and guessed and role.get("unnamed_subject") and receiver:
        return None, receiver  # "xAI raised $10 billion": the receiver is named, the investor is not
    return subject, counterparty


def receiving(text: str, s: Sentence, pos: tuple[int, int], kind: str, subject: PartyMention | None) -> bool:
    """True when a lone party of a kind whose investor may go unnamed (``unnamed_subject``) fills one of its
    counterparty slots for the figure at ``pos``: "Kramerica Industries raised $120 million" names the receiver,
    not an investor."""
    v = vocabulary()
    if subject is None or subject not in s.parties or not v["roles"][kind].get("unnamed_subject"):
        return False
    return slot_of(text, s, pos, subject) in v["slot_roles"].get(kind, {}).get("counterparty", [])


def listed_pairs(
    text: str, s: Sentence, a: PartyMention, b: PartyMention, context: list[PartyMention]
) -> list[tuple[PartyMention, PartyMention]]:
    """(a, b), or one pair per company listed with either ("partnerships with NVIDIA, AMD and AWS"); two
    companies listed together ("Oracle and Cohere announced") are one pair; three or more, with no other company
    in their sentence, each pair with the company the sentences before name ("Several other publishers
    including AP, Axel Springer and Reuters have also signed similar licensing deals")."""
    ra, rb = listed_with(text, s, a), listed_with(text, s, b)
    if b in ra:
        lent = next((p for p in context if p.canonical not in {q.canonical for q in ra}), None)
        if len(ra) > 2 and len(ra) == len(s.parties) and lent:
            return [(lent, x) for x in ra]
        return [(a, b)]
    return [(x, y) for x in ra for y in rb]


def listed_with(text: str, s: Sentence, p: PartyMention) -> list[PartyMention]:
    """The run of companies that a list joins ``p`` to in its sentence, ``p`` included."""
    if p not in s.parties:
        return [p]
    joiner, run = vocabulary()["list_joiner"], list(s.parties)
    lo = hi = run.index(p)
    while lo > 0 and joiner.fullmatch(text, run[lo - 1].end, run[lo].start):
        lo -= 1
    while hi + 1 < len(run) and joiner.fullmatch(text, run[hi].end, run[hi + 1].start):
        hi += 1
    return run[lo : hi + 1]


def _by_slot(
    ranked: list[PartyMention], slots: dict[int, str | None], wanted: list[str], exclude: str | None = None
) -> PartyMention | None:
    for slot in wanted:
        for p in ranked:
            if slots.get(id(p)) == slot and p.canonical != exclude:
                return p
    return None


def _by_type(ranked: list[PartyMention], types: list[str], exclude: str | None) -> PartyMention | None:
    return next((p for p in ranked if p.canonical != exclude and fits(p, types)), None)


def _swap(subject: PartyMention, counterparty: PartyMention | None, role: dict) -> bool:
    """True when the types say the two are the wrong way round (a lab as investor of a backer)."""
    sub, cp = role["subject"], role["counterparty"]
    return (
        counterparty is not None
        and not fits(subject, sub)
        and fits(subject, cp)
        and fits(counterparty, sub)
        and not fits(counterparty, cp)
    )
