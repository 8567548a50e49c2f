"""The rules extractor: every figure in a deal sentence and every rights sentence becomes a grounded claim.

Figure first. The text is split into sentences and clauses (offsets kept). Each figure that figures.py
finds is a candidate: its value, unit and qualifier are the parse of the figure and nothing else; its kind
is the cue nearest to it (a head noun right after it first, then clause overrides, then the clause, then
the sentence); its parties are the companies aliases.py finds, placed by direction slots ("from X", "in X",
"X's") and by the role each kind gives labs and backers, falling back on the two sentences before when
the sentence refers back ("It agreed ..."). Rights (exclusivity, ROFR, IP rights until a year,
partnership start year) come from their own cues. The quote is the clause with the figure, widened to
the parties it names, exactly as in the text. The vocabulary is ``data/rules.yaml``; pattern signals
come from ``data/patterns.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from .aliases import PartyMention, find_parties
from .figures import Figure, mentions_value, parse_figures
from .models import Claim, Document, PatternSignal

VALUE_KINDS = ("investment", "compute_commitment", "equity_stake", "valuation", "revenue", "other")
RIGHT_KINDS = ("exclusivity", "rofr")


def _regex(pattern: str) -> re.Pattern[str]:
    """Compile a YAML pattern; a line break folded after ``|`` is not part of the pattern."""
    return re.compile(re.sub(r"\|\s+", "|", pattern.strip()), re.I)


def _load(name: str) -> dict:
    return yaml.safe_load(resources.files("ingest").joinpath(f"data/{name}").read_text("utf-8"))


@cache
def vocabulary() -> dict:
    """data/rules.yaml with its patterns compiled."""
    data = _load("rules.yaml")
    compiled = {key: _regex(data[key]) for key in ("off_topic", "hedges", "instruction", "references", "negation")}
    compiled["instruction"] = re.compile(compiled["instruction"].pattern, re.I | re.M)
    return {
        **data,
        **compiled,
        "kind_cues": {k: _regex(p) for k, p in data["kind_cues"].items()},
        "overrides": [(o["kind"], _regex(o["cue"])) for o in data["clause_overrides"]],
        "holding": _regex(data["stake_value"]["holding"]),
        "head_gap": _regex(data["head_gap"]),
        "rights_generic": _regex(data["rights_generic"]),
        "slots": {k: _regex(p) for k, p in data["slots"].items()},
        "rights": {k: _regex(p) for k, p in data["rights"].items()},
        "status": [(k, _regex(p)) for k, p in data["status"].items()],
        "clause": re.compile(data["clause_delimiters"]),
        "labs": set(data["ai_labs"]),
        "deal": _regex("|".join(list(data["kind_cues"].values()) + list(data["rights"].values()))),
    }


@cache
def taxonomy() -> list[dict]:
    """The partnership patterns of data/patterns.yaml, each phase's cues compiled."""
    out = []
    for p in _load("patterns.yaml")["patterns"]:
        phases = p.get("phases") or {None: {"cues": p["cues"]}}
        for phase, spec in phases.items():
            out.append({"id": p["id"], "phase": phase, "cues": [_regex(c) for c in spec["cues"]]})
    return out


# --- sentences and clauses ---------------------------------------------------------------------------

_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|[。！？]+|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: ends at . ! ? before a space (not after an abbreviation), 。, or a line."""
    abbrev = set(vocabulary()["abbreviations"])
    spans, start = [], 0
    for m in _END.finditer(text):
        if m.group().startswith(".") and "\n" not in m.group():
            word = re.search(r"([\w.]+)$", text[start : m.start()])
            if word and (word.group(1).lower() in abbrev or re.fullmatch(r"[A-Z]", word.group(1))):
                continue
        end = m.end() if not m.group().startswith("\n") else m.start()
        spans.append(_strip(text, start, end))
        start = m.end()
    spans.append(_strip(text, start, len(text)))
    return [s for s in spans if s[1] > s[0]]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def clauses(text: str, start: int, end: int, protect: list[Figure]) -> list[tuple[int, int]]:
    """(start, end) of the clauses of a sentence; delimiters inside a figure ("1,000") do not split."""
    cuts = [start]
    for m in vocabulary()["clause"].finditer(text, start, end):
        if not any(f.start <= m.start() - start < f.end for f in protect):
            cuts += [m.start(), m.end()]
    cuts.append(end)
    return [_strip(text, a, b) for a, b in zip(cuts[::2], cuts[1::2], strict=True) if b > a]


def has_deal_cue(text: str) -> bool:
    """True when a passage has a kind or rights cue (a candidate deal sentence)."""
    return bool(vocabulary()["deal"].search(text))


def is_instruction(sentence: str) -> bool:
    """True for a sentence that instructs (a prompt injection) rather than reports."""
    return bool(vocabulary()["instruction"].search(sentence))


# --- the extractor -------------------------------------------------------------------------------------


@dataclass
class Sentence:
    """A sentence with its figures and parties (offsets into the document text)."""

    start: int
    end: int
    figures: list[Figure]
    parties: list[PartyMention]
    clauses: list[tuple[int, int]]
    blank_before: bool


def extract_rules(doc: Document) -> tuple[list[Claim], list[PatternSignal]]:
    """Claims and pattern signals of a document, by the rules alone."""
    text = doc.text
    sents = analyse(text)
    claims: list[Claim] = []
    for i, s in enumerate(sents):
        if is_instruction(text[s.start : s.end]) or text[s.start : s.end].rstrip().endswith("?"):
            continue
        context = context_parties(sents, i, text)
        claims += [c for f in s.figures if (c := figure_claim(text, s, f, context))]
        claims += rights_claims(text, s, context)
    return claims, pattern_signals(text, sents)


def analyse(text: str) -> list[Sentence]:
    """Sentences with their figures, parties and clauses."""
    out = []
    prev_end = 0
    for start, end in sentences(text):
        chunk = text[start:end]
        figs = [_shift(f, start) for f in parse_figures(chunk)]
        parties = [
            PartyMention(p.start + start, p.end + start, p.surface, p.canonical)
            for p in find_parties(chunk)
            if p.canonical
        ]
        local = [_shift(f, -start) for f in figs]
        out.append(
            Sentence(start, end, figs, parties, clauses(text, start, end, local), "\n\n" in text[prev_end:start])
        )
        prev_end = end
    return out


def _shift(f: Figure, by: int) -> Figure:
    return Figure(f.start + by, f.end + by, f.text, f.value, f.unit, f.qualifier, f.value_low, f.value_high)


def context_parties(sents: list[Sentence], i: int, text: str) -> list[PartyMention]:
    """Parties an earlier sentence of the paragraph lends: only to a sentence that names a company or
    refers back to one."""
    v = vocabulary()
    s = sents[i]
    if not s.parties and not v["references"].search(text[s.start : s.end]):
        return []
    lent: list[PartyMention] = []
    for j in range(i - 1, max(-1, i - 1 - v["context_sentences"]), -1):
        lent += sents[j].parties
        if sents[j].blank_before:
            break
    return lent


# --- value claims ----------------------------------------------------------------------------------------


def unit_class(unit: str | None) -> str:
    if unit is None:
        return "none"
    if unit in ("percent", "GW", "chips", "year"):
        return unit
    return "money"


def clause_of(s: Sentence, pos: int) -> tuple[int, int]:
    return next((c for c in s.clauses if c[0] <= pos < c[1]), (s.start, s.end))


def figure_claim(text: str, s: Sentence, f: Figure, context: list[PartyMention]) -> Claim | None:
    """The claim a figure states, or None when it is not a deal fact about named companies."""
    v = vocabulary()
    ucls = unit_class(f.unit)
    if ucls == "year":
        return None
    c_start, c_end = clause_of(s, f.start)
    if v["hedges"].search(text, c_start, min(c_end, f.end + 30)) or v["off_topic"].search(text, c_start, c_end):
        return None
    kind = figure_kind(text, s, f, (c_start, c_end))
    if kind in v["strict_subject"] and not owner_fits(s, kind, (c_start, c_end)):
        kind = figure_kind(text, s, f, (c_start, c_end), exclude=kind)
    if kind is None:
        return None
    subject, counterparty = place(text, s, (f.start, f.end), kind, (c_start, c_end), context)
    role = v["roles"][kind]
    if subject is None or (role["needs_counterparty"] and counterparty is None):
        return None
    status = value_status(text, s, (c_start, c_end))
    return make_claim(text, s, kind, (c_start, c_end), f, subject, counterparty, status, (f.start, f.end))


def owner_fits(s: Sentence, kind: str, clause: tuple[int, int]) -> bool:
    """For a lab's own figure (revenue, valuation): the first company of the clause (else of the sentence)
    is of the right type."""
    owner = next((p for p in s.parties if clause[0] <= p.start < clause[1]), s.parties[0] if s.parties else None)
    return owner is not None and party_type(owner.canonical) == vocabulary()["roles"][kind]["subject"]


def figure_kind(text: str, s: Sentence, f: Figure, clause: tuple[int, int], exclude: str | None = None) -> str | None:
    """The kind a figure's cues give it, within what its unit allows; with ``exclude``, the next kind its
    clause allows."""
    v = vocabulary()
    allowed = [k for k in v["unit_kinds"][unit_class(f.unit)] if k != exclude]
    c_start, c_end = clause
    for kind, cue in v["overrides"]:
        if kind in allowed and cue.search(text, c_start, c_end):
            return kind
    head = head_noun(text, s, f)
    if head in allowed:
        return head
    others = [g for g in s.figures if g is not f and g.unit != "year"]
    claimed = [(a, b) for g in others for a, b in [head_span(text, s, g)] if a is not None]
    cues = [
        (kind, m.start(), m.end())
        for kind, cue in v["kind_cues"].items()
        if kind in allowed
        for m in cue.finditer(text, s.start, s.end)
        if not any(a <= m.start() < b for a, b in claimed) and not (f.start <= m.start() < f.end)
    ]
    in_clause = [c for c in cues if c_start <= c[1] < c_end]
    pool = in_clause if exclude else in_clause or cues
    if not pool:
        return v["unit_default_kind"].get(f.unit)
    kind, cue_start, _ = min(pool, key=lambda c: _distance(f, c[1], c[2]))
    if kind == "valuation" and v["holding"].search(
        text, max(s.start, cue_start - v["stake_value"]["within_chars"]), cue_start
    ):
        return v["stake_value"]["kind"]
    return kind


def _distance(f: Figure, start: int, end: int) -> int:
    return start - f.end if start >= f.end else max(0, f.start - end)


def head_span(text: str, s: Sentence, f: Figure) -> tuple[int | None, int | None]:
    """Span of the cue right after a figure, if any ("$13B investment", "27%的股份")."""
    v = vocabulary()
    window_end = min(s.end, f.end + v["head_noun_chars"])
    nxt = next((g.start for g in s.figures if g.start >= f.end), window_end)
    window_end = min(window_end, nxt, clause_of(s, f.start)[1])
    best = None
    for kind, cue in v["kind_cues"].items():
        m = cue.search(text, f.end, window_end)
        if m and (best is None or m.start() < best[1]):
            best = (kind, m.start(), m.end())
    if best is None or not v["head_gap"].fullmatch(text[f.end : best[1]]):
        return None, None
    return best[1], best[2]


def head_noun(text: str, s: Sentence, f: Figure) -> str | None:
    """The kind of the cue right after a figure, if any."""
    start, end = head_span(text, s, f)
    if start is None:
        return None
    found = text[start:end]
    return next(k for k, cue in vocabulary()["kind_cues"].items() if cue.fullmatch(found) or cue.match(found))


# --- parties -----------------------------------------------------------------------------------------------


def party_type(name: str) -> str:
    return "lab" if name in vocabulary()["labs"] else "backer"


def slot_of(text: str, s: Sentence, f_pos: tuple[int, int], p: PartyMention) -> str | None:
    """The role a party plays for a figure by the words around it: source, target, recipient, agent, receiver."""
    slots = vocabulary()["slots"]
    before = text[max(s.start, p.start - 25) : p.start]
    for slot in ("source", "recipient", "target"):
        if slots[slot].search(before):
            return slot
    if p.end <= f_pos[0]:
        between = text[p.end : f_pos[0]]
        if slots["passive"].search(between):
            return "receiver"
        return "agent"
    return None


def place(
    text: str,
    s: Sentence,
    pos: tuple[int, int],
    kind: str,
    clause: tuple[int, int],
    context: list[PartyMention],
) -> tuple[PartyMention | None, PartyMention | None]:
    """Subject and counterparty of the claim at ``pos``: direction slots first, then the party types the
    kind wants, nearest first: the clause, the sentence, then the sentences before."""
    role = vocabulary()["roles"][kind]

    def dist(p: PartyMention) -> tuple[int, int]:
        inside = clause[0] <= p.start < clause[1]
        gap = pos[0] - p.end if p.end <= pos[0] else p.start - pos[1]
        return (0 if inside else 1, abs(gap))

    ranked = sorted(s.parties, key=dist) + list(reversed(context))
    slots = {id(p): slot_of(text, s, pos, p) for p in s.parties if clause[0] <= p.start < clause[1]}
    by_slot = _by_slot(ranked, slots, _subject_slots(kind))
    subject = by_slot or _by_type(ranked, role["subject"], None)
    if subject is None and ranked:
        subject = ranked[0]
    if subject is None or role["counterparty"] is None:
        return subject, None
    counterparty = _by_slot(ranked, slots, _counterparty_slots(kind), exclude=subject.canonical)
    if counterparty is None or party_type(counterparty.canonical) == party_type(subject.canonical) != "lab":
        counterparty = _by_type(ranked, role["counterparty"], subject.canonical) or counterparty
    if counterparty is None:
        counterparty = next((p for p in ranked if p.canonical != subject.canonical), None)
    if by_slot is None and _swap(subject, counterparty, role):
        subject, counterparty = counterparty, subject
    return subject, counterparty


def _subject_slots(kind: str) -> tuple[str, ...]:
    return {"investment": ("source",), "other": ("recipient",)}.get(kind, ())


def _counterparty_slots(kind: str) -> tuple[str, ...]:
    return {"investment": ("target", "receiver"), "compute_commitment": ("source", "target")}.get(kind, ())


def _by_slot(ranked, slots, wanted, exclude=None):
    for slot in wanted:
        for p in ranked:
            if slots.get(id(p)) == slot and p.canonical != exclude:
                return p
    return None


def _by_type(ranked: list[PartyMention], wanted: str | None, exclude: str | None) -> PartyMention | None:
    return next((p for p in ranked if p.canonical != exclude and party_type(p.canonical) == wanted), None)


def _swap(subject: PartyMention | None, counterparty: PartyMention | None, role: dict) -> bool:
    """True when the types say the two are the wrong way round (a lab as investor of a backer)."""
    if subject is None or counterparty is None:
        return False
    return (
        party_type(subject.canonical) == role["counterparty"]
        and party_type(counterparty.canonical) == role["subject"] != role["counterparty"]
    )


# --- rights ------------------------------------------------------------------------------------------------


def rights_claims(text: str, s: Sentence, context: list[PartyMention]) -> list[Claim]:
    """Exclusivity and ROFR mentions, IP rights until a year, and partnership start years of a sentence."""
    v = vocabulary()
    out = []
    for kind in RIGHT_KINDS:
        for m in v["rights"][kind].finditer(text, s.start, s.end):
            claim = right_claim(text, s, kind, (m.start(), m.end()), None, context)
            if claim:
                out.append(claim)
    for f in s.figures:
        if f.unit != "year" or f.value_low is not None:
            continue
        kind = year_kind(text, s, f)
        if kind:
            claim = right_claim(text, s, kind, (f.start, f.end), f, context)
            if claim:
                out.append(claim)
    return out


def year_kind(text: str, s: Sentence, f: Figure) -> str | None:
    """ip_rights for a year after an "until" word in a rights clause; partnership_start for a year in a
    clause with a partnership and a start word."""
    v = vocabulary()["rights"]
    before = text[max(s.start, f.start - 40) : f.start]
    if v["ip_until"].search(text[max(s.start, f.start - 12) : f.start]) and v["ip_rights"].search(
        text, s.start, f.start
    ):
        return "ip_rights"
    near = text[max(s.start, f.start - 90) : min(s.end, f.end + 40)]
    if v["start"].search(before + text[f.end : min(s.end, f.end + 8)]) and v["partnership"].search(near):
        return "partnership_start"
    return None


def right_claim(
    text: str, s: Sentence, kind: str, span: tuple[int, int], f: Figure | None, context: list[PartyMention]
) -> Claim | None:
    v = vocabulary()
    clause = clause_of(s, span[0])
    ctext = text[clause[0] : clause[1]]
    status = deal_status(text[clause[0] : span[1] + 20]) if kind in RIGHT_KINDS else value_status(text, s, clause)
    if kind in RIGHT_KINDS and status not in ("ended", "retained"):
        status = None
    negated = v["negation"].search(text, s.start, span[1])
    if v["hedges"].search(ctext) or (status != "ended" and negated) or v["rights_generic"].search(ctext):
        return None
    subject, counterparty = place(text, s, span, kind, clause, context)
    if subject is None or counterparty is None:
        return None
    return make_claim(text, s, kind, clause, f, subject, counterparty, status, span)


# --- claim building ------------------------------------------------------------------------------------------


def deal_status(passage: str, skip: tuple[str, ...] = ()) -> str | None:
    """The first status whose cue the passage has."""
    return next((k for k, cue in vocabulary()["status"] if k not in skip and cue.search(passage)), None)


def value_status(text: str, s: Sentence, clause: tuple[int, int]) -> str | None:
    """Status of a value: rumored if its sentence says so, else a cue in its clause, else one in its sentence
    (ended or retained only in the clause)."""
    sentence = text[s.start : s.end]
    if deal_status(sentence) == "rumored":
        return "rumored"
    return deal_status(text[clause[0] : clause[1]]) or deal_status(sentence, ("ended", "retained"))


_DATE = re.compile(
    r"(?P<ymd>(?P<y1>\d{4})年(?P<m1>\d{1,2})月(?:(?P<d1>\d{1,2})日)?)"
    r"|(?:(?P<d2>\d{1,2})\.?\s+(?:de\s+)?)?(?P<mon>[A-Za-zäé]{3,10})\.?\s+(?:(?P<d3>\d{1,2}),?\s+)?(?:de\s+)?(?P<y2>(?:19|20)\d{2})"
    r"|(?P<y3>(?:19|20)\d{2})"
)


def as_of(text: str, s: Sentence, clause: tuple[int, int], near: int, exclude: tuple[int, int] | None) -> str | None:
    """The date a fact refers to: the nearest in its clause, else the sentence's only date."""
    own = dates(text, clause[0], clause[1], near, exclude)
    if own:
        return min(own)[1]
    values = {v for _, v in dates(text, s.start, s.end, near, exclude)}
    return values.pop() if len(values) == 1 else None


def dates(text: str, start: int, end: int, near: int, exclude: tuple[int, int] | None) -> list[tuple[int, str]]:
    """(distance to ``near``, date) of each date in text[start:end], as YYYY, YYYY-MM or YYYY-MM-DD."""
    months = vocabulary()["months"]
    found = []
    for m in _DATE.finditer(text, start, end):
        if exclude and exclude[0] <= m.start() < exclude[1]:
            continue
        if m.group("ymd"):
            y, mo, d = m.group("y1"), int(m.group("m1")), m.group("d1")
        elif m.group("y2"):
            mo = months.get(m.group("mon").lower())
            if mo is None:
                y, mo, d = m.group("y2"), None, None
            else:
                y, d = m.group("y2"), m.group("d2") or m.group("d3")
        else:
            y, mo, d = m.group("y3"), None, None
        found.append((abs(m.start() - near), y + (f"-{mo:02d}" if mo else "") + (f"-{int(d):02d}" if mo and d else "")))
    return found


def make_claim(
    text: str,
    s: Sentence,
    kind: str,
    clause: tuple[int, int],
    f: Figure | None,
    subject: PartyMention,
    counterparty: PartyMention | None,
    status: str | None,
    span: tuple[int, int],
) -> Claim:
    """A claim whose quote is the clause widened to the parties named in its sentence."""
    start, end = clause
    in_sentence = [p for p in (subject, counterparty) if p is not None and s.start <= p.start < s.end]
    for p in in_sentence:
        start, end = min(start, p.start), max(end, p.end)
    quote = text[start:end]
    # A year that is the value (IP rights end, partnership start) is also its date; other values are not dates.
    excluded = (f.start, f.end) if f and kind != "partnership_start" else None
    grounded = mentions_value(quote, f.value, f.unit) if f else True
    confidence = 0.8 if len(in_sentence) == 2 else 0.6 if in_sentence else 0.4
    return Claim(
        kind=kind,
        subject=subject.canonical,
        counterparty=counterparty.canonical if counterparty else None,
        value=f.value if f else None,
        unit=f.unit if f else None,
        value_low=f.value_low if f else None,
        value_high=f.value_high if f else None,
        qualifier=f.qualifier if f else "exact",
        deal_status=status,
        as_of=as_of(text, s, clause, span[0], excluded),
        quote=quote,
        char_start=start,
        char_end=end,
        alignment="exact",
        grounded=grounded,
        confidence=confidence,
        extractor="rules",
    )


# --- pattern signals ---------------------------------------------------------------------------------------


def pattern_signals(text: str, sents: list[Sentence]) -> list[PatternSignal]:
    """One signal per sentence and pattern phase whose cues the sentence has."""
    out = []
    for s in sents:
        for p in taxonomy():
            hits = sum(bool(c.search(text, s.start, s.end)) for c in p["cues"])
            if hits:
                out.append(
                    PatternSignal(
                        pattern=p["id"],
                        phase=p["phase"],
                        quote=text[s.start : s.end],
                        char_start=s.start,
                        char_end=s.end,
                        confidence=min(0.9, 0.5 + 0.15 * (hits - 1)),
                        extractor="rules",
                    )
                )
    return out
