"""Organisations named in a text, listed or not: the alias table's companies plus every other name.

A name is a run of capitalised words ("Blue Owl Capital", "Core Scientific, Inc.", "xAI", "Bank of
America"), a run of katakana, or a form of the alias table (which also canonicalises: "AWS" -> Amazon).
A capitalised word that the same text also writes in lower case, where a capital says nothing (a sentence's
start, "Lands" and "Data" in a title-case headline), a function word, a month or a generic word of
``data/orgs.yaml`` is not part of a name, and a one-word name must not be a figure, a German compound noun,
or seen only at the start of sentences without a company's verb after it ("Initech agreed to acquire ...",
"Initech and Hooli first announced ..."). A name the text writes only before a product noun is a product
("Instinct GPUs"); one it also writes elsewhere, or with a possessive ("Quill's platform"), is a company. A
one-word name the text writes only after a German article is a noun ("der Installation", "das Projekt"), and
one before a small number is a rank ("among the Big 4").
Canonical names drop corporate suffixes, possessives and an abbreviation's dots ("Core Scientific, Inc." = "Core
Scientific", "U.S." = "US"), and a name that the alias table knows is its canonical name ("Alphabet's Google"
names Alphabet and Google). A product named beside its maker ("Anysphere, the startup behind Cursor") stands for
the maker in the claims of its text (``makers``).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache, lru_cache
from importlib import resources
from itertools import pairwise

import yaml

from ..aliases import PartyMention, canonical, find_parties
from ..figures import currency_codes, parse_figures

UPPER = "A-Z\u00c0-\u00de\u0100-\u017f"
WORD = "0-9A-Za-z\u00c0-\u024f"
_INNER = rf"(?:[{WORD}&.'’\-]|:(?=[a-z]))"  # "Run:ai"
_TOKEN = rf"(?:[{UPPER}]{_INNER}*[{WORD}&]|[{UPPER}]|[a-z]{{1,3}}[{UPPER}][{WORD}\-]*)"
_POSSESSIVE_S = re.compile(r"['’]s$")
_DOTTED = re.compile(r"(?:[A-Z]\.){2,}")  # an abbreviation written with dots ("U.S.", "U.A.E.")
# a small number after a one-word name: a rank ("the Big 4"), but not an amount ("pay Vireo 120 billion yen")
_RANK = re.compile(r"[ \t]\d{1,3}\b(?![.,]\d)(?![ \t]*(?:%|percent|per cent|billion|million|trillion|bn\b|mn\b|m\b))")


@cache
def _vocab() -> dict:
    data = yaml.safe_load(resources.files("ingest").joinpath("data/orgs.yaml").read_text("utf-8"))
    joiners = "|".join(re.escape(j) for j in data["joiners"])
    name = rf"{_TOKEN}(?:(?:\s+(?:{joiners})\s+|[ \t]+|-){_TOKEN})*"
    suffix = "|".join(re.escape(s) for s in sorted(data["suffixes"], key=len, reverse=True))
    return {
        "name": re.compile(rf"(?<![{WORD}])(?P<name>{name})(?P<suffix>,?\s+(?:{suffix})(?![{WORD}]))?"),
        "katakana": re.compile(r"[\u30a0-\u30ff]{3,}(?:・[\u30a0-\u30ff]+)*(?:[A-Z]{1,3}(?![A-Za-z]))?"),  # "サカナAI"
        "stop": {w.casefold() for w in data["not_names"] + [v for v in data["subject_verbs"] if " " not in v]},
        "joiners": frozenset(data["joiners"]),
        "generic_tails": frozenset(data["generic_tails"]),
        "particle": re.compile("|".join(map(re.escape, data["particles"]))),
        "suffix_words": frozenset(data["suffixes"]),
        "suffix": re.compile(rf"(?:,?\s+(?:{suffix}))+$"),
        "possessive": re.compile(r"['’]s?$"),
        "place_tails": frozenset(w.casefold() for w in data["place_tails"]),
        "maker_of": re.compile(data["maker_of"]),
        "noun": re.compile(
            rf"(?:{'|'.join(map(re.escape, data['noun_endings']))})$"
            rf"|^(?-i:{'|'.join(map(re.escape, data['noun_prefixes']))})",
            re.I,
        ),
        "article": re.compile(rf"(?<![{WORD}])(?:{'|'.join(map(re.escape, data['articles']))})\s+$"),
        # the name's last word or the word after it ("Worldwide Developers Conference", "London Tech Week")
        "event": re.compile(rf"(?:\S+\s+)?(?:{'|'.join(map(re.escape, data['event_nouns']))})\b"),
        "product": re.compile(rf"\s+(?:{'|'.join(map(re.escape, data['product_nouns']))})\b"),
        "compound": re.compile(
            rf"(?<=[\w.]{{2}})-(?:[a-z]{{2,}}|(?i:{'|'.join(map(re.escape, data['product_nouns']))})$)"
        ),
        "subject_verb": re.compile(
            rf"(?:\s+(?:{'|'.join(map(re.escape, data['subject_joiners']))})\s+{_TOKEN}(?:[ \t]+{_TOKEN})*)?"
            rf"(?:\s+(?:{'|'.join(map(re.escape, data['subject_adverbs']))}))?"
            rf"\s+(?i:{'|'.join(map(re.escape, data['subject_verbs']))})\b"
        ),
    }


def mentions(text: str) -> list[PartyMention]:
    """Every organisation mention of ``text``, in order, non-overlapping; alias-table forms win overlaps."""
    known = [p for p in find_parties(text) if p.canonical]
    lower = {w.casefold() for w in re.findall(rf"(?<![{WORD}])[a-z][\w\-]*", text)}
    starts = [p.start for p in known]
    v = _vocab()
    named = [
        PartyMention(start, end, text[start:end], canonical_name(text[start:end]))
        for start, end in _name_spans(text, lower)
        if not overlapping(known, starts, start, end)
        and not v["event"].match(text, max(start, text.rfind(" ", start, end) + 1))
    ]
    companies = {p.canonical for p in named if possessive(p.surface) or not v["product"].match(text, p.end)}
    companies &= {p.canonical for p in named if " " in p.surface or not v["article"].search(text, p.start - 8, p.start)}
    return sorted(known + [p for p in named if p.canonical in companies], key=lambda p: p.start)


def long_forms(found: list[PartyMention]) -> dict[str, str]:
    """The one longer name of the text that each short form's words start ("Talen" is "Talen Energy", "ZT"
    is "ZT Systems" where the text names both), when the text names it before the short form (the full name
    comes first; a longer name only after the short one is something of that company's, "ElevenLabs
    Conversational AI"), or when what it adds is a company's generic tail (a headline's "Lumen", then "Lumen
    Technologies"); alias-table names stay as they are."""
    first: dict[str, int] = {}
    for p in found:
        if not listed(p):
            first[p.canonical] = min(p.start, first.get(p.canonical, p.start))
    names = sorted(first)
    out = {}
    for n in names:
        i = bisect_left(names, n + " ")  # sorted: the names that start with n's words follow here
        starts = [m for m in names[i : i + 2] if m.startswith(n + " ")]
        if len(starts) == 1 and (first[starts[0]] < first[n] or starts[0][len(n) + 1 :] in _vocab()["generic_tails"]):
            out[n] = starts[0]
    return out


def makers(text: str, found: list[PartyMention]) -> dict[str, str]:
    """The company each product the text names next to its maker stands for ("Anysphere, the startup behind
    the AI code editor Cursor": Cursor is Anysphere); ``found`` in text order, alias-table names kept."""
    maker_of = _vocab()["maker_of"]
    names = [p for p in found if not p.surface[:1].islower()]  # not the stand-ins ("the company")
    return {
        b.canonical: a.canonical
        for a, b in pairwise(names)
        if a.canonical != b.canonical and not listed(b) and maker_of.fullmatch(text, a.end, b.start)
    }


def overlapping(mentions: list[PartyMention], starts: list[int], start: int, end: int) -> bool:
    """True when a mention of ``mentions`` (sorted, non-overlapping; ``starts`` their starts) overlaps
    text[start:end]."""
    i = bisect_left(starts, end)  # the mentions that start before ``end``
    return i > 0 and mentions[i - 1].end > start


def _name_spans(text: str, lower: set[str]) -> list[tuple[int, int]]:
    """Spans of capitalised-word names (trimmed of words that are not names) and katakana runs. A word
    that the text also writes in lower case is no name where it may be capitalised for another reason: at the
    start of a sentence, a line or a table cell, or in a headline ("Financial Conduct Authority" inside a
    sentence is one name, "financial" elsewhere notwithstanding). A compound with a lower-case tail or a product
    noun ends a name at its hyphen ("Hooli-backed Pied Piper" names Hooli and Pied Piper, "Hooli-Chips" Hooli); a
    run before "-based" is a place; one word before a small number is a rank ("among the Big 4")."""
    v = _vocab()
    spans = []
    for m in v["name"].finditer(text):
        name = m.group("name")
        words = list(re.finditer(r"\S+", name))
        title = _title_line(text, text.rfind("\n", 0, m.start()) + 1)
        runs: list[list[tuple[int, int]]] = [[]]
        for i, w in enumerate(words):
            compound = v["compound"].search(w.group())  # "Hooli-backed", "Hooli-Chips", not "X-energy"
            end = w.start() + compound.start() if compound else w.end()
            if compound and compound.group()[1:].casefold() in v["place_tails"]:
                runs[-1] = []  # "San Francisco-based", "Plano-based": the words before it are a place
                continue
            word = name[w.start() : end]
            suffixed = i + 1 < len(words) and words[i + 1].group() in v["suffix_words"]  # "News Corp"
            initial = i == 0 and _starts_sentence(text, m.start())
            common = not suffixed and _common(word, lower if initial or title else set())
            if common or v["noun"].search(word):
                runs.append([])  # a common word ends a name ("Meta Lands Billion"), a German noun is in none
                continue
            runs[-1].append((w.start(), end))
            if compound:
                runs.append([])
        for run in runs:
            while run and name[run[0][0] : run[0][1]] in v["joiners"]:
                run = run[1:]  # a name neither starts nor ends with a joiner ("di" of "Milioni di Dollari")
            while run and name[run[-1][0] : run[-1][1]] in v["joiners"]:
                run = run[:-1]
            if not run or all(name[a:b] in v["suffix_words"] for a, b in run):
                continue  # nothing left, or a suffix alone ("Corp") that names no one
            end = m.start() + run[-1][1]
            if m.group("suffix") and run[-1][1] == words[-1].end():
                end = m.end()
            spans.append((m.start() + run[0][0], end))
    inside = _words_inside_sentences(text)
    spans = [
        (a, b) for a, b in spans if " " in text[a:b] or (_one_word_name(text[a:b], inside) and not _RANK.match(text, b))
    ]
    spans += [m.span() for m in v["katakana"].finditer(text)]
    return [(a, b) for a, b in spans if len(_POSSESSIVE_S.sub("", text[a:b])) >= 2]


def _starts_sentence(text: str, pos: int) -> bool:
    """True where a word at ``pos`` may be capitalised for its place: the text's, a line's or a sentence's start."""
    before = text[max(0, pos - 3) : pos].rstrip(" \t\"“‘'(")
    return not before or before[-1] in ".!?:\n•*-–—|"


def _one_word_name(word: str, inside: set[str]) -> bool:
    """A one-word name is no figure ("RMB50bn"), no German compound noun ("Finanzierungsrunde"), and stands
    somewhere other than at the start of a sentence or line, or takes a possessive (``inside``)."""
    if parse_figures(word) or _vocab()["noun"].search(word) or _bare(word) in currency_codes():
        return False
    return _bare(word) in inside


def _bare(word: str) -> str:
    return _POSSESSIVE_S.sub("", word.rstrip(".,;:"))


def _words_inside_sentences(text: str) -> set[str]:
    """The words of ``text`` that stand at least once after another word of their sentence, take a possessive
    ("Initech's"), a company's verb ("Initech agreed") or a Japanese or Korean particle ("NTTは"), in one pass."""
    inside = set()
    verb, compound_tail, particle = _vocab()["subject_verb"], _vocab()["compound"], _vocab()["particle"]
    # only words with a capital letter ("d’Hugging" too): a name has one
    for m in re.finditer(rf"(?<![{WORD}])(?=[{WORD}&.'’:\-]*[{UPPER}])[{WORD}]{_INNER}*", text):
        if (
            not _starts_sentence(text, m.start())
            or _POSSESSIVE_S.search(m.group())
            or verb.match(text, m.end())
            or particle.match(text, m.end())
        ):
            compound = compound_tail.search(m.group())  # "Hooli-Chips" stands for Hooli too
            inside.add(_bare(m.group()[: compound.start()] if compound else m.group()))
    return inside


@lru_cache(maxsize=1024)
def _title_line_at(line: str) -> bool:
    words = re.findall(rf"[{WORD}]+", line)
    return len(words) >= 3 and sum(w[:1].isupper() for w in words) >= 0.6 * len(words)


def _title_line(text: str, start: int) -> bool:
    """True inside a title-case line (a headline: most of its words capitalised); ``start`` is the line's."""
    end = text.find("\n", start)
    return _title_line_at(text[start : end if end >= 0 else len(text)])


def _common(word: str, lower: set[str]) -> bool:
    """A function or generic word, or a capitalised word that ``lower`` (the text's lower-case words) has."""
    stop = _vocab()["stop"]
    key = word.strip(".,'’").casefold()
    base = _POSSESSIVE_S.sub("", key)
    return base in stop or (word[:1].isupper() and not word.isupper() and base in lower and len(base) > 1)


def listed(p: PartyMention) -> bool:
    """True for a company of the alias table."""
    return canonical(p.surface) is not None


def possessive(name: str) -> bool:
    """True for a name written with a possessive ("Initech's", "Initech’")."""
    return bool(_vocab()["possessive"].search(name))


def canonical_name(surface: str) -> str:
    """One name per organisation: the alias table's canonical name, else the surface without corporate
    suffix, possessive or trailing punctuation."""
    name = " ".join(surface.split()).strip(" ,.;:")
    owned = re.match(r"^\S.*?['’]s\s+(\S.*)$", name)
    if owned:  # "Alphabet's Google": the name after the possessive
        return canonical_name(owned.group(1))
    name = _vocab()["possessive"].sub("", name)
    known = canonical(name)
    if known:
        return known
    bare = _vocab()["suffix"].sub("", name).strip(" ,.")
    if _DOTTED.fullmatch(bare + "."):  # "U.S." is "US"
        bare = bare.replace(".", "")
    return canonical(bare) or bare or name
