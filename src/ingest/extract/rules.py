"""The rules extractor: every figure in a deal sentence and every rights sentence becomes a grounded claim.

Figure first. The text is split into sentences and clauses (offsets kept). Each figure that figures.py
finds is a candidate: its value, unit and qualifier are the parse of the figure and nothing else; its kind
is the cue nearest to it (a head noun right after it first, then clause overrides, then the clause, then
the sentence; with no cue at all in a sentence that refers back, the kind of its paragraph's first value
claim); a price per share is no claim. Its parties are the companies the document names, placed by
parties.py (direction slots, then the roles each kind gives labs, compute providers and backers), falling
back on the two sentences before when the sentence refers back ("It agreed ..."). Rights (exclusivity,
ROFR, IP rights until a year, partnership start year) come from their own cues. The quote is the clause
with the figure, widened to the parties it names, exactly as in the text. The vocabulary is
``data/rules.yaml`` (compiled by rulebook.py); pattern signals come from ``data/patterns.yaml``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import lru_cache

from ..aliases import PartyMention
from ..dates import month
from ..figures import Figure, claim_fields, is_count, mentions_value, parse_figures, unit_class
from ..models import Claim, Document, PatternSignal
from . import classify, tables
from .orgs import canonical_name, listed, long_forms, makers, possessive
from .parties import Sentence, context_parties, fits, listed_pairs, mentions, place, receiving, slot_of
from .rulebook import any_pattern, taxonomy, vocabulary

VALUE_KINDS = ("investment", "compute_commitment", "equity_stake", "valuation", "revenue", "other")
RIGHT_KINDS = ("exclusivity", "rofr")
SECTION_CHARS = 200_000  # a longer text is read in sections of about this size (see ``extract_rules``)


# --- sentences and clauses ---------------------------------------------------------------------------

# A sentence ends at . ! ? before a space, or before a capitalised word where a scraped page lost the space
# ("citing Euronews.The announcement"), at 。！？, or at a line break.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s)|(?<=[a-z]{2})[.!?](?=[A-Z][a-z]+\s)|[。！？]+|\n+")
_NEXT_WORD = re.compile(r"[ \t]+([^\W\d_]+)")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: ends at ``_END`` (a period not after an abbreviation, nor after the day of
    a German date: "am 26. Juli 2024")."""
    abbrev = set(vocabulary()["abbreviations"])
    spans, start = [], 0
    for m in _END.finditer(text):
        if m.group().startswith(".") and "\n" not in m.group():
            word = re.search(r"([\w.]+)$", text[start : m.start()])
            if word and (word.group(1).lower() in abbrev or re.fullmatch(r"[A-Z]", word.group(1))):
                continue
            after = _NEXT_WORD.match(text, m.end())
            if word and re.fullmatch(r"\d{1,2}", word.group(1)) and after and month(after.group(1)):
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


def extract_rules(doc: Document, mapper: Callable = map) -> tuple[list[Claim], list[PatternSignal]]:
    """Claims and pattern signals of a document: rights and partnership-start years the cue words state, and the
    figures the trained classifier keeps (with the cue words' kinds and parties among its features); dated by
    their sentence (``extract`` dates the others by the document, see ``dated``). A text longer than
    ``SECTION_CHARS`` is read in sections, each as a text of its own, which ``mapper`` may spread over
    processes: time and memory grow with the text, not faster."""
    if not sectioned(doc.text):
        return text_rules(doc.text)
    parts = ((doc.text[a:b], a) for a, b in sections(doc.text))  # sliced as the mapper takes them
    claims: list[Claim] = []
    signals: list[PatternSignal] = []
    for c, s in mapper(section_rules, parts):
        claims += c
        signals += s
    return claims, signals


def sectioned(text: str) -> bool:
    """True for a text read in sections: one longer than ``SECTION_CHARS``."""
    return len(text) > SECTION_CHARS


def sections(text: str) -> list[tuple[int, int]]:
    """(start, end) of the sections a text is read in: the whole text up to ``SECTION_CHARS``, else parts of
    about that size that end at a paragraph break (a line break, where a paragraph runs longer)."""
    out, start = [], 0
    while len(text) - start > SECTION_CHARS:
        low, high = start + SECTION_CHARS // 2, start + SECTION_CHARS
        cut = text.rfind("\n\n", low, high)
        if cut < 0:
            cut = text.rfind("\n", low, high)
        cut = cut + 1 if cut >= 0 else high
        out.append((start, cut))
        start = cut
    return out + [(start, len(text))]


def section_rules(part: tuple[str, int]) -> tuple[list[Claim], list[PatternSignal]]:
    """``text_rules`` of one section (text, its offset in the document), offsets in the document's text."""
    text, offset = part
    claims, signals = text_rules(text)
    return [_moved(c, offset) for c in claims], [_moved(s, offset) for s in signals]


def _moved(x: Claim | PatternSignal, by: int) -> Claim | PatternSignal:
    if x.char_start is None or x.char_end is None:
        return x
    return x.model_copy(update={"char_start": x.char_start + by, "char_end": x.char_end + by})


def text_rules(text: str) -> tuple[list[Claim], list[PatternSignal]]:
    """``extract_rules`` of one text, read whole."""
    sents = analyse(text)
    cued = cued_claims(text, sents)
    found = [p for s in sents for p in s.parties]
    decided = [c for c in cued if c.value is None or started(c, found)]
    longer = long_forms(found) | makers(text, found)
    rows = [c for s in sents if s.cells for c in table_claims(text, s)]
    claims = [named(c, longer) for c in decided + learned_claims(text, sents, cued) + rows]
    return claims + restated_conversions(text, sents, claims), pattern_signals(text, sents)


def restated_conversions(text: str, sents: list[Sentence], claims: list[Claim]) -> list[Claim]:
    """A claim again for each sentence that restates its amount with a conversion in brackets and makes no claim
    of it ("$500m investment in X-energy", then "Amazon had agreed to anchor a $500m (€460m) fundraising"):
    merging keeps one claim, the conversion on it and the sentence as its evidence."""
    out = []
    for s in sents:
        for f in s.figures:
            if (g := conversion_of(text, s, f)) is None:  # rare: looked for before the claims are
                continue
            same = [c for c in claims if (c.value, c.unit) == (f.value, f.unit)]
            if any(s.start <= c.char_start < s.end for c in same):
                continue
            span = {"quote": text[s.start : s.end], "char_start": s.start, "char_end": s.end}
            out += [c.model_copy(update=conversion_fields(g) | span) for c in same if c.conversion_value is None]
    return out


def started(claim: Claim, found: list[PartyMention]) -> bool:
    """True for a partnership-start year whose quote names no company but its parties and companies of the alias
    table: the rules decide it, as the classifier sees too few such years to learn them. An unlisted company left
    out ("Vandelay ... announced partnerships with NVIDIA, AMD and AWS") would leave two of its partners paired."""
    if claim.kind != "partnership_start" or claim.value is None:
        return False
    inside = [p for p in found if claim.char_start <= p.start < claim.char_end]
    return all(listed(p) or p.canonical in (claim.subject, claim.counterparty) for p in inside)


def named(claim: Claim, longer: dict[str, str]) -> Claim:
    """A claim whose parties are named by the longer name their short form stands for in the text; where both
    then name one company ("Blue Owl" and "Blue Owl Capital"), it has no counterparty."""
    names = {k: longer[v] for k in ("subject", "counterparty") if (v := getattr(claim, k)) in longer}
    if names.get("subject", claim.subject) == names.get("counterparty", claim.counterparty):
        names["counterparty"] = None
    return claim.model_copy(update=names) if names else claim


def dated(claim: Claim, published: str | None) -> Claim:
    """A claim whose sentence names no date refers to its document's date; a month named without its year
    ("in September", "9月") is the latest such month up to the document's date, or for a planned deal the next
    one from it (none without a document date)."""
    day = published[:10] if published and re.match(r"\d{4}-\d{2}-\d{2}", published) else None
    if claim.as_of and claim.as_of.startswith(NO_YEAR):
        if not day:
            return claim.model_copy(update={"as_of": None})
        month, now = int(claim.as_of[5:7]), int(day[5:7])
        shift = int(month < now) if claim.deal_status == "planned" else -int(month > now)
        return claim.model_copy(update={"as_of": f"{int(day[:4]) + shift}-{month:02d}"})
    return claim if claim.as_of or not day else claim.model_copy(update={"as_of": day})


def cued_claims(text: str, sents: list[Sentence]) -> list[Claim]:
    """The claims that cue words and slots alone decide."""
    claims: list[Claim] = []
    lead: dict[str, str] = {}  # unit class -> kind of the paragraph's first value claim
    for i, s in enumerate(sents):
        if s.blank_before:
            lead = {}
        if is_instruction(text[s.start : s.end]) or text[s.start : s.end].rstrip().endswith("?"):
            continue
        if s.cells:
            continue  # a table's row is read by its headers (``table_claims``)
        context = context_parties(sents, i, text)
        for f in s.figures:
            claim = figure_claim(text, s, f, context, lead)
            if claim:
                claims.append(claim)
                lead.setdefault(unit_class(f.unit), claim.kind)
        claims += rights_claims(text, s, context)
    return claims


def learned_claims(text: str, sents: list[Sentence], cued: list[Claim]) -> list[Claim]:
    """The claims of the figures that the trained classifier keeps. A figure out of bounds, a rate, a conversion
    in brackets, or one in a sentence about something other than a deal (``not_deal``) is never a claim."""
    out = []
    written = Counter(p.canonical for s in sents for p in s.parties if canonical_name(p.surface) == p.canonical)
    for s, f, kind, p, subject, counterparty in classify.learned_claims(sents, figure_candidates(text, sents, cued)):
        if s.cells or not in_bounds(f) or is_rate(text, s, f) or is_conversion(text, s, f):
            continue
        only = subject if counterparty is None else counterparty if subject is None else None
        if only and not (listed(only) or " " in only.canonical or written[only.canonical] > 1 or described(text, only)):
            continue  # a one-word name written once, not in the alias table, carries no claim alone
        clause = clause_of(s, f.start)
        if is_instruction(text[s.start : s.end]) or vocabulary()["not_deal"].search(text, s.start, s.end):
            continue
        subject, counterparty = reread_roles(text, s, f, kind, subject, counterparty)
        status = value_status(text, s, clause)
        claim = make_claim(text, s, kind, clause, f, subject, counterparty, status, (f.start, f.end))
        out.append(classify.confidence(claim, p))
    return out


def described(text: str, p: PartyMention) -> bool:
    """True for a name the words before it call a company ("Cursor maker Anysphere", "AI startup Cohere")."""
    return bool(vocabulary()["company_noun"].search(text, max(0, p.start - 30), p.start))


def reread_roles(
    text: str, s: Sentence, f: Figure, kind: str, subject: PartyMention | None, counterparty: PartyMention | None
) -> tuple[PartyMention | None, PartyMention | None]:
    """The classifier's parties, re-read where the sentence's grammar names a role: a lone receiver of an
    investment ("Kramerica raised $120 million"), a company bought in the passive, the lead of a round."""
    if counterparty is None and receiving(text, s, (f.start, f.end), kind, subject):
        return None, subject
    if kind == "acquisition" and bought_by(text, subject, counterparty):
        return counterparty, subject
    if kind == "investment" and (lead := round_lead(text, s)):
        funder = counterparty is None or slot_of(text, s, (f.start, f.end), counterparty) == "source"
        return lead, None if funder or counterparty.canonical == lead.canonical else counterparty
    return subject, counterparty


def bought_by(text: str, subject: PartyMention | None, counterparty: PartyMention | None) -> bool:
    """True where the subject of an acquisition is the company bought, in the passive ("Splunk agreed to be
    acquired by Cisco"): the classifier reads the first company as the acquirer."""
    if subject is None or counterparty is None or counterparty.start < subject.end:
        return False
    return bool(vocabulary()["bought_by"].fullmatch(text, subject.end, counterparty.start))


def round_lead(text: str, s: Sentence) -> PartyMention | None:
    """The company that leads the round of a figure's sentence ("SoftBank led the $6.6 billion round, with
    participation from Microsoft"): its investor, whoever else the classifier reads first."""
    lead = vocabulary()["slots"]["lead"]
    return next((p for p in s.parties if lead.match(text, p.end, s.end)), None)


def table_claims(text: str, s: Sentence) -> list[Claim]:
    """The claims of a table's body row: each figure takes the kind its column's header cues (else the whole
    header's first), within what its unit allows; its parties are the cells under a subject and a counterparty
    header (``table_roles``: "Investor", "Acquirer" ... "Company", "Target" ...), the company alone for a kind
    with no counterparty (a valuation). The quote is the row."""
    v = vocabulary()
    subject, counterparty = _row_party(s, "subject"), _row_party(s, "counterparty")
    if subject is None and counterparty is None:
        return []
    out = []
    for f in s.figures:
        kind = _column_kind(s, f)
        if kind is None:
            continue
        # a kind with no counterparty (a valuation) is the company's own, not its investor's
        pair = (subject, counterparty) if v["roles"][kind]["counterparty"] else (counterparty or subject, None)
        out.append(make_claim(text, s, kind, (s.start, s.end), f, *pair, None, (f.start, f.end)))
    return out


def _row_party(s: Sentence, role: str) -> PartyMention | None:
    """The first organisation in a cell whose header names ``role`` (``table_roles``)."""
    names = vocabulary()["table_roles"][role]
    cells = [c for c in s.cells if c.header.strip().casefold() in names]
    return next((p for c in cells for p in s.parties if c.start <= p.start < c.end), None)


def _column_kind(s: Sentence, f: Figure) -> str | None:
    """The kind the header of a figure's column cues, else the first the whole header cues, of those its unit
    allows (a year is a date, not a figure, in a table)."""
    v = vocabulary()
    allowed = [] if unit_class(f.unit) == "year" else v["unit_kinds"].get(unit_class(f.unit), [])
    column = next((c.header for c in s.cells if c.start <= f.start < c.end), "")
    header = " | ".join(c.header for c in s.cells)
    cued = (k for where in (column, header) for k, cue in v["kind_cues"].items() if k in allowed and cue.search(where))
    return next(cued, None)


def figure_candidates(text: str, sents: list[Sentence], cued: list[Claim]) -> Iterator[classify.Candidate]:
    """Every figure with the classifier's features, the cue words' kind and cued claim among them."""
    kinds = {f.start: cue_kind(text, s, f) for s in sents for f in s.figures}
    return classify.candidates(text, sents, kinds, cued_by_figure(sents, cued))


def cued_by_figure(sents: list[Sentence], cued: list[Claim]) -> dict[int, Claim]:
    """The cued claim that states each figure, by the figure's start offset."""
    by_value: dict[float, list[Claim]] = {}
    for c in cued:
        by_value.setdefault(c.value, []).append(c)
    out = {}
    for f in (f for s in sents for f in s.figures):
        claim = next((c for c in by_value.get(f.value, []) if covered(f, [c])), None)
        if claim:
            out[f.start] = claim
    return out


def covered(f: Figure, claims: list[Claim]) -> bool:
    """True when a claim states the figure: its quote holds it and its value is the figure's."""
    return any(c.char_start is not None and c.char_start <= f.start < c.char_end and c.value == f.value for c in claims)


def cue_kind(text: str, s: Sentence, f: Figure) -> str | None:
    """The kind the cue words give a figure, whoever its parties are."""
    if unit_class(f.unit) == "year":
        return year_kind(text, s, f)
    return figure_kind(text, s, f, clause_of(s, f.start))


def analyse(text: str) -> list[Sentence]:
    """Sentences with their figures, parties and clauses."""
    out = []
    prev_end = 0
    named = mentions(text)
    starts = [p.start for p in named]
    rows = tables.body_rows(text) if "|" in text else {}
    for start, end in sentences(text):
        figs = [_shift(f, start) for f in parse_figures(text[start:end])]
        parties = [
            p
            for p in named[bisect_left(starts, start) : bisect_left(starts, end)]
            if p.end <= end and (listed(p) or not any(f.start < p.end and p.start < f.end for f in figs))
        ]
        local = [_shift(f, -start) for f in figs]
        gap = text[prev_end:start]
        new_block = "\n\n" in gap or ("\n" in gap and bool(vocabulary()["list_item"].match(text, start)))
        out.append(Sentence(start, end, figs, parties, clauses(text, start, end, local), new_block, rows.get(start)))
        prev_end = end
    return out


def _shift(f: Figure, by: int) -> Figure:
    return Figure(f.start + by, f.end + by, f.text, f.value, f.unit, f.qualifier, f.value_low, f.value_high)


# --- value claims ----------------------------------------------------------------------------------------


def clause_of(s: Sentence, pos: int) -> tuple[int, int]:
    return next((c for c in s.clauses if c[0] <= pos < c[1]), (s.start, s.end))


def figure_claim(
    text: str, s: Sentence, f: Figure, context: list[PartyMention], lead: dict[str, str] | None = None
) -> Claim | None:
    """The claim a figure states, or None when it is not a deal fact about named companies. A figure with
    no kind cue in a sentence that refers back ("the companies expanded the agreement") takes the kind of
    its paragraph's first value claim of the same unit (``lead``)."""
    v = vocabulary()
    if unit_class(f.unit) == "year" or not in_bounds(f) or is_rate(text, s, f) or is_conversion(text, s, f):
        return None
    c_start, c_end = clause_of(s, f.start)
    if v["hedges"].search(text, c_start, min(c_end, f.end + 30)) or v["off_topic"].search(text, c_start, c_end):
        return None
    kind = figure_kind(text, s, f, (c_start, c_end))
    if kind is None and lead and v["references"].search(text, s.start, s.end):
        kind = lead.get(unit_class(f.unit))
    if kind in v["strict_subject"] and not owner_fits(s, kind, (c_start, c_end), f.start):
        kind = figure_kind(text, s, f, (c_start, c_end), exclude=kind)
    if kind is None:
        return None
    if v["own_use"].search(text, c_start, c_end):
        context = []
    subject, counterparty = place(text, s, (f.start, f.end), kind, (c_start, c_end), context)
    role = v["roles"][kind]
    if subject is counterparty is None or (role["needs_counterparty"] and counterparty is None):
        return None
    status = value_status(text, s, (c_start, c_end))
    return make_claim(text, s, kind, (c_start, c_end), f, subject, counterparty, status, (f.start, f.end))


def in_bounds(f: Figure) -> bool:
    """A share is at most 100 percent ("grew 280%" states no stake); a count is at least one ("0.1235 shares" for
    each share is an exchange ratio); an amount of money is at least ``min_amount``."""
    if f.unit == "percent":
        return (f.value_high or f.value or 0) <= 100
    if unit_class(f.unit) == "money":
        return (f.value_high or f.value or 0) >= vocabulary()["min_amount"]
    return not is_count(f.unit) or (f.value or 0) >= 1


def is_conversion(text: str, s: Sentence, f: Figure) -> bool:
    """True for an amount in brackets right after one in another currency ("30億ドル（約4500億円）")."""
    prev = [g for g in s.figures if g.end <= f.start][-1:]
    return bool(
        prev
        and unit_class(prev[0].unit) == unit_class(f.unit) == "money"
        and prev[0].unit != f.unit
        and vocabulary()["conversion_gap"].fullmatch(text, prev[0].end, f.start)
    )


def conversion_of(text: str, s: Sentence, f: Figure | None) -> Figure | None:
    """The conversion in brackets that follows an amount ("$500m (€460m)"), if any."""
    after = [g for g in s.figures if f is not None and g.start >= f.end][:1]
    return after[0] if after and after[0].value is not None and is_conversion(text, s, after[0]) else None


def conversion_fields(g: Figure | None) -> dict:
    """The claim fields of a conversion (none without one)."""
    return {"conversion_value": g.value, "conversion_unit": g.unit} if g else {}


def is_rate(text: str, s: Sentence, f: Figure) -> bool:
    """True for a price per share ("$23.28 a share", "每股23.28美元"): a term of a deal, not a deal fact; and for a
    percentage that states a change ("40% more than it offered", "up 8%")."""
    v = vocabulary()
    words = v["change_percent"] if f.unit == "percent" else v["unit_price"]
    return bool(words["after"].match(text, f.end, s.end) or words["before"].search(text, s.start, f.start))


def owner_fits(s: Sentence, kind: str, clause: tuple[int, int], pos: int) -> bool:
    """For a lab's own figure (revenue, valuation): its owner is of the right type. The owner is the first
    company named before the figure in its clause, else the first of the sentence."""
    owner = next((p for p in s.parties if clause[0] <= p.start < pos), next(iter(s.parties), None))
    return fits(owner, vocabulary()["roles"][kind]["subject"])


def figure_kind(text: str, s: Sentence, f: Figure, clause: tuple[int, int], exclude: str | None = None) -> str | None:
    """The kind a figure's cues give it, within what its unit allows; with ``exclude``, the next kind its
    clause allows."""
    v = vocabulary()
    allowed = [k for k in v["unit_kinds"][unit_class(f.unit)] if k != exclude]
    c_start, c_end = clause
    start = s.start if v["price_clause"].match(text, c_start) else c_start  # "to buy Windsurf, a tool, for $3B"
    if "acquisition" in allowed and buys_company(text, s, (start, c_end)):
        return "acquisition"
    if "investment" in allowed and buys_stake(text, s, f):
        return "investment"
    amounts = [g for g in s.figures if g.unit != "year"]  # an override decides the figures it stands between
    o_start = max([start] + [g.end for g in amounts if g.end <= f.start])
    o_end = min([c_end] + [g.start for g in amounts if g.start >= f.end])
    names = _names(s)  # an override that ends inside a party's name is part of the name
    for kind, cue in v["overrides"]:
        if kind in allowed and any(not _inside(names, m.end() - 1) for m in cue.finditer(text, o_start, o_end)):
            return kind
    head = head_noun(text, s, f)
    if head in allowed:
        return head
    if lead := lead_in(text, f, clause, allowed):
        return _held(text, s, *lead)
    others = [g for g in s.figures if g is not f and g.unit != "year" and not is_rate(text, s, g)]
    claimed = [(a, b) for g in others for a, b in [head_span(text, s, g)] if a is not None]
    claimed += [m.span() for m in v["cue_blind"].finditer(text, s.start, s.end)]
    cues = [
        (kind, a, b)
        for kind, a, b in kind_cue_spans(text, s)
        if kind in allowed and not _inside(claimed, a) and not (f.start <= a < f.end)
    ]
    in_clause = [c for c in cues if c_start <= c[1] < c_end]
    pool = in_clause if exclude else in_clause or cues
    if not pool:
        return v["unit_default_kind"].get(f.unit)
    kind, cue_start, _ = min(pool, key=lambda c: _distance(f, c[1], c[2]))
    return _held(text, s, kind, cue_start)


def lead_in(text: str, f: Figure, clause: tuple[int, int], allowed: list[str]) -> tuple[str, int] | None:
    """(kind, start) of the words that lead straight into a figure ("values the startup at $2.6 billion")."""
    for kind, rx in vocabulary()["lead_in"].items():
        m = rx.search(text, clause[0], f.start) if kind in allowed else None
        if m:
            return kind, m.start()
    return None


def _names(s: Sentence) -> tuple[tuple[int, int], ...]:
    """The spans of the sentence's party names."""
    return tuple((p.start, p.end) for p in s.parties)


def _inside(spans: Iterable[tuple[int, int]], pos: int) -> bool:
    """True when ``pos`` falls inside one of ``spans``."""
    return any(a <= pos < b for a, b in spans)


def kind_cue_spans(text: str, s: Sentence) -> tuple[tuple[str, int, int], ...]:
    """Every kind cue of a sentence as (kind, start, end), by kind in rules.yaml order; none inside a party's
    name ("Aligned Data Centers" is no data-centre cue, "STACK Infrastructure" no infrastructure one)."""
    return _cue_spans(text, s.start, s.end, _names(s))


@lru_cache(maxsize=4096)
def _cue_spans(text: str, start: int, end: int, names: tuple[tuple[int, int], ...]) -> tuple[tuple[str, int, int], ...]:
    """Found once per sentence, asked for each of its figures by the cue words, then by the classifier (a
    section of a long text has up to about 2,000 sentences)."""
    return tuple(
        (k, m.start(), m.end())
        for k, cue in vocabulary()["kind_cues"].items()
        for m in cue.finditer(text, start, end)
        if not _inside(names, m.start())
    )


def buys_company(text: str, s: Sentence, clause: tuple[int, int]) -> bool:
    """True when a clause buys a company ("to buy chip designer Initech") or a part of one run as a business ("to
    buy Initech's networking unit"), not its products ("to buy Initech chips", "buy the output of Initech"): a
    buy word, at most three lower-case words and no preposition, then a company; or a price paid for a company
    ("paying $2.25 billion in cash for Initech")."""
    v = vocabulary()["buy_company"]
    for m in v["verb"].finditer(text, *clause):
        for p in s.parties:
            gap = text[m.end() : p.start].split()
            near = 0 <= p.start - m.end() <= 30 and len(gap) <= 3 and all(w.islower() for w in gap)
            near = near and not v["gap"].search(" ".join(gap))
            if near and (not _owned(text, p) or v["business"].match(text, p.end)):
                return True
    return any(v["price"].search(text, clause[0], p.start) and not _owned(text, p) for p in s.parties)


def buys_stake(text: str, s: Sentence, f: Figure) -> bool:
    """True for the price of a share of a company ("Meta paid $14.3 billion for a 49% stake in Scale AI"): an
    amount, "for a", a percentage and a stake word; the percentage is the stake's own claim."""
    v = vocabulary()["stake_price"]
    share = next((g for g in s.figures if g.start >= f.end and unit_class(g.unit) == "percent"), None)
    return bool(share and v["between"].fullmatch(text, f.end, share.start) and v["after"].match(text, share.end))


def _owned(text: str, p: PartyMention) -> bool:
    """True where a company's name is followed by what it owns or makes ("Initech's archive", "Initech chips")."""
    return possessive(p.surface) or bool(vocabulary()["buy_company"]["product"].match(text, p.end))


def _held(text: str, s: Sentence, kind: str, cue_start: int) -> str:
    """A valuation cue shortly after a holding cue states the value of a stake."""
    v = vocabulary()
    if kind == "valuation" and v["holding"].search(
        text, max(s.start, cue_start - v["stake_value"]["within_chars"]), cue_start
    ):
        return v["stake_value"]["kind"]
    return kind


def _distance(f: Figure, start: int, end: int) -> int:
    return start - f.end if start >= f.end else max(0, f.start - end)


def head_span(text: str, s: Sentence, f: Figure) -> tuple[int | None, int | None]:
    """Span of the cue right after a figure, if any ("$13B investment", "27%的股份")."""
    head = _head(text, s, f)
    return (head[1], head[2]) if head else (None, None)


def head_noun(text: str, s: Sentence, f: Figure) -> str | None:
    """The kind of the cue right after a figure, if any."""
    head = _head(text, s, f)
    return head[0] if head else None


def _head(text: str, s: Sentence, f: Figure) -> tuple[str, int, int] | None:
    """(kind, start, end) of the cue right after a figure, read in its sentence (a cue may depend on it)."""
    v = vocabulary()
    skip = v["head_skip"].match(text, f.end, s.end)
    after = skip.end() if skip else f.end
    window_end = min(s.end, after + v["head_noun_chars"])
    nxt = next((g.start for g in s.figures if g.start >= f.end), window_end)
    window_end = min(window_end, nxt, clause_of(s, f.start)[1])
    best = None
    for kind, cue in v["kind_cues"].items():
        m = cue.search(text, after, window_end)
        if m and (best is None or m.start() < best[1]):
            best = (kind, m.start(), m.end())
    if best is None or not v["head_gap"].fullmatch(text[after : best[1]]):
        return None
    return best


# --- rights ------------------------------------------------------------------------------------------------


def rights_claims(text: str, s: Sentence, context: list[PartyMention]) -> list[Claim]:
    """Exclusivity and ROFR mentions, licence deals without a fee, IP rights until a year, and partnership start
    years of a sentence; a sentence that announces a partnership ("today announced a strategic partnership") with
    one year (its dateline) states that the partnership starts that year. Companies of the alias table come
    before other names here, if the sentence or its context names any: rights words sit among capitalised terms
    ("ROFR", "AGI", "CUDA") more than figures do. A licence deal or a year between a listed company and others
    the sentence itself names ("Deloitte and Anthropic first announced a partnership in July 2024") is the
    exception: then all its names but its dateline's places count."""
    v = vocabulary()
    rights = s
    if any(listed(p) for p in s.parties + context):
        context = [p for p in context if listed(p)]
        known, own = [p for p in s.parties if listed(p)], named_outside_dateline(text, s)
        rights = replace(s, parties=known)
        s = replace(s, parties=known if len(known) > 1 or len(own) < 2 else own)
    out = []
    for kind in RIGHT_KINDS:
        for m in v["rights"][kind].finditer(text, s.start, s.end):
            out += right_claims(text, rights, kind, (m.start(), m.end()), None, context)
    if not any(unit_class(f.unit) == "money" for f in s.figures):  # a licence deal with no fee named
        for m in v["rights"]["licensing"].finditer(text, s.start, s.end):
            out += right_claims(text, s, "ip_rights", (m.start(), m.end()), None, context)
    out += revenue_share(text, s)
    years = [f for f in s.figures if f.unit == "year" and f.value_low is None]
    for f in years:
        kind = year_kind(text, s, f)
        if kind:
            out += right_claims(text, s, kind, (f.start, f.end), f, context)
    started = any(c.kind == "partnership_start" for c in out)
    if not started and len(years) == 1 and v["announce_start"].search(text, s.start, s.end):
        out += right_claims(text, s, "partnership_start", (years[0].start, years[0].end), years[0], context)
    return out


def revenue_share(text: str, s: Sentence) -> list[Claim]:
    """A revenue share its sentence names without a figure, between the payer before a paying verb and the payee
    after it ("Google pays Samsung a fixed monthly fee plus a share of advertising revenue from the Gemini app")."""
    v = vocabulary()
    share = v["rights"]["revenue_share"].search(text, s.start, s.end)
    if not share or any(unit_class(f.unit) in ("money", "percent") for f in s.figures):
        return []
    pay = v["pays"].search(text, s.start, share.start())
    payer = pay and next((p for p in reversed(s.parties) if p.end <= pay.start()), None)
    payee = pay and next((p for p in s.parties if pay.end() <= p.start < share.start()), None)
    if not (payer and payee):
        return []
    clause = clause_of(s, share.start())
    return [make_claim(text, s, "revenue", clause, None, payer, payee, value_status(text, s, clause), share.span())]


def named_outside_dateline(text: str, s: Sentence) -> list[PartyMention]:
    """The sentence's organisations but the places of its dateline ("SEATTLE and SAN FRANCISCO, November 3,
    2025 —"): those before the date."""
    m = vocabulary()["dateline"].search(text, s.start, s.end)
    return [p for p in s.parties if not m or p.start >= m.start()]


def year_kind(text: str, s: Sentence, f: Figure) -> str | None:
    """ip_rights for a year after an "until" word in a rights clause; partnership_start for a year in a
    clause with a partnership and a start word."""
    v = vocabulary()["rights"]
    before = text[max(s.start, f.start - 40) : f.start]
    if v["ip_until"].search(text[max(s.start, f.start - 12) : f.start]) and ip_words(text, s.start, f.start):
        return "ip_rights"
    near = text[max(s.start, f.start - 90) : min(s.end, f.end + 40)]
    if v["start"].search(before + text[f.end : min(s.end, f.end + 8)]) and v["partnership"].search(near):
        return "partnership_start"
    return None


def ip_words(text: str, start: int, end: int) -> bool:
    """True where the text between names IP rights or a licence; "rights" of an exclusivity ("exclusive rights to
    supply inference chips to X until 2029") are that exclusivity's, whose year it is."""
    v = vocabulary()["rights"]
    exclusive = [m.span() for m in v["exclusivity"].finditer(text, start, end)]
    return any(
        not (m.group().lower().startswith("right") and any(a <= m.start() < b for a, b in exclusive))
        for m in v["ip_rights"].finditer(text, start, end)
    )


def right_claims(
    text: str, s: Sentence, kind: str, span: tuple[int, int], f: Figure | None, context: list[PartyMention]
) -> list[Claim]:
    """The claims of one rights mention: one, or one per listed partner ("partnerships with A, B and C")."""
    v = vocabulary()
    clause = clause_of(s, span[0])
    ctext = text[clause[0] : clause[1]]
    status = deal_status(text[clause[0] : span[1] + 20]) if kind in RIGHT_KINDS else value_status(text, s, clause)
    if kind in RIGHT_KINDS and status not in ("ended", "retained"):
        status = None
    negated = v["negation"].search(text, s.start, span[1])
    if v["hedges"].search(ctext) or (status != "ended" and negated) or v["rights_generic"].search(ctext):
        return []
    subject, counterparty = place(text, s, span, kind, clause, context)
    if subject is None or counterparty is None:
        return []
    pairs = (
        listed_pairs(text, s, subject, counterparty, context)
        if kind in v["listed_kinds"]
        else [(subject, counterparty)]
    )
    return [make_claim(text, s, kind, clause, f, a, b, status, span) for a, b in pairs]


# --- claim building ------------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
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
    r"(?P<ymd>(?P<y1>\d{4})\s*[年년]\s*(?P<m1>\d{1,2})\s*[月월](?:\s*(?P<d1>\d{1,2})\s*[日일])?)"
    r"|(?:(?P<d2>\d{1,2})\.?\s+(?:de\s+)?)?(?P<mon>[A-Za-zÀ-ÿ]{3,10})\.?\s+(?:(?P<d3>\d{1,2}),?\s+)?(?:de\s+)?(?P<y2>(?:19|20)\d{2})"
    r"|(?P<y3>(?:19|20)\d{2})"
    r"|(?<![\d年년])(?P<m4>\d{1,2})\s*[月월]"
    r"|\b(?i:in|on|since|until|by|from|through|last|early|late|mid-|en|im|seit|desde|nel|a partir de)\s+"
    r"(?P<mon5>[A-Za-zÀ-ÿ]{3,10})\b(?!\.?\s+(?:\d{1,2}(?:st|nd|rd|th)?,?\s+)?(?:de\s+)?(?:19|20)\d{2})"
)
NO_YEAR = "0000"  # the year of a month named without one ("in September", "9月"), until the document's date gives it


def as_of(text: str, s: Sentence, clause: tuple[int, int], near: int, exclude: tuple[int, int] | None) -> str | None:
    """The date a fact refers to: the nearest in its clause, else the sentence's only date that is not in
    another clause with a figure of its own ("$8B, $250B commitment in the 2025 restructure"); never a date that
    follows another figure in its clause ("will invest $750 million ... and commit to purchase $2 billion of
    equipment through 2030": 2030 is the purchase's), but in a table's row, whose date cell dates all of it."""
    figures = sorted({f.start for f in s.figures if f.unit != "year"} | {near})
    found = [
        d for d in dates(text, s.start, s.end, exclude) if s.cells or _date_owner(s, figures, d[0]) in (None, near)
    ]
    own = [d for d in found if clause[0] <= d[0] < clause[1]]
    if own:
        return min(own, key=lambda d: abs(d[0] - near))[1]
    values = {v for pos, v in found if not _dates_other_figure(s, pos, clause)}
    return values.pop() if len(values) == 1 else None


def _date_owner(s: Sentence, figures: list[int], pos: int) -> int | None:
    """The figure a date at ``pos`` follows in its clause (the last one before it), None for a date before
    every figure of its clause ("$13B+ investment; restructured 2025 with Microsoft losing ROFR")."""
    start = clause_of(s, pos)[0]
    before = [f for f in figures if start <= f < pos]
    return before[-1] if before else None


def _dates_other_figure(s: Sentence, pos: int, clause: tuple[int, int]) -> bool:
    other = clause_of(s, pos)
    return other != clause and any(f.unit != "year" and other[0] <= f.start < other[1] for f in s.figures)


def _founded(text: str, start: int, pos: int) -> bool:
    """True when the date at ``pos`` follows a founding word in its clause ("founded ... in 2022")."""
    clause = max(start, *(text.rfind(c, start, pos) + 1 for c in ",;:(—\n"))
    return bool(vocabulary()["founding"].search(text, clause, pos))


def dates(text: str, start: int, end: int, exclude: tuple[int, int] | None) -> list[tuple[int, str]]:
    """(offset, date) of each date in text[start:end], as YYYY, YYYY-MM or YYYY-MM-DD."""
    found = []
    for m in _DATE.finditer(text, start, end):
        if exclude and m.start() < exclude[1] and m.end() > exclude[0]:
            continue  # the date is the figure itself ("until 2032")
        if _founded(text, start, m.start()):
            continue
        if m.group("ymd"):
            y, mo, d = m.group("y1"), int(m.group("m1")), m.group("d1")
        elif m.group("y2"):
            mo = month(m.group("mon"))
            if mo is None:
                y, mo, d = m.group("y2"), None, None
            else:
                y, d = m.group("y2"), m.group("d2") or m.group("d3")
        elif m.group("y3"):
            y, mo, d = m.group("y3"), None, None
        else:
            mo = int(m.group("m4")) if m.group("m4") else month(m.group("mon5"))
            if not mo or not 1 <= mo <= 12 or m.group("mon5") == "may":
                continue  # not a month ("in Ohio"), or the verb "may"
            y, d = NO_YEAR, None
        found.append((m.start(), y + (f"-{mo:02d}" if mo else "") + (f"-{int(d):02d}" if mo and d else "")))
    return found


def make_claim(
    text: str,
    s: Sentence,
    kind: str,
    clause: tuple[int, int],
    f: Figure | None,
    subject: PartyMention | None,
    counterparty: PartyMention | None,
    status: str | None,
    span: tuple[int, int],
) -> Claim:
    """A claim whose quote is the clause widened to the parties named in its sentence."""
    conversion = conversion_of(text, s, f)
    start, end = clause
    if conversion:  # the quote states the conversion, to its closing bracket
        end = max(end, conversion.end + (text[conversion.end : conversion.end + 1] in ")）"))
    in_sentence = [p for p in (subject, counterparty) if p is not None and s.start <= p.start < s.end]
    for p in in_sentence:
        start, end = min(start, p.start), max(end, p.end)
    while start > s.start and not text[start - 1].isspace() and text[start - 1] not in "(\"'“‘":
        start -= 1  # whole words: "Microsoft-OpenAI", not "OpenAI" cut out of it
    quote = text[start:end]
    # A year that is the value (IP rights end, partnership start) is also its date; other values are not dates.
    excluded = (f.start, f.end) if f and kind != "partnership_start" else None
    grounded = mentions_value(quote, f.value, f.unit) if f else True
    confidence = 0.8 if len(in_sentence) == 2 else 0.6 if in_sentence else 0.4
    return Claim(
        kind=kind,
        subject=subject.canonical if subject else None,
        counterparty=counterparty.canonical if counterparty else None,
        **claim_fields(f),
        **conversion_fields(conversion),
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
        if not any_pattern().search(text, s.start, s.end):
            continue
        for p in taxonomy():
            if not p["any"].search(text, s.start, s.end):
                continue
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
