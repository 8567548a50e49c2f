"""The learned step of the rules extractor: which figures are deal facts, of which kind, between whom.

Every figure of a sentence is a candidate. Over sparse features (the words around the figure by distance,
its head noun, the rules' cue kinds, hedges and off-topic words, its unit and size) one logistic regression
says whether it states a deal fact and a multinomial one of which kind; two more, over each organisation
named in its sentence or the two before (side and distance, the words between, the slot words around it,
what the name looks like, whether the alias table knows it), pick the subject and the counterparty. The
weights are ``data/classifier.json``, trained by ``scripts/train_classifier.py`` on labelled articles;
nothing here is tuned by hand.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ..aliases import PartyMention, canonical
from ..figures import Figure, unit_class
from ..models import Claim
from .parties import Sentence
from .rulebook import vocabulary

NONE = "none"
TOKEN = re.compile(
    r"[^\W\d_\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]+|\d+|[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]", re.UNICODE
)
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
WINDOW = 8
CONTEXT_SENTENCES = 2
DOCUMENT_PARTIES = 3  # the organisations a document names most are candidates for every figure


@dataclass
class Candidate:
    """A figure of a sentence, its features, and the organisations that may be its parties."""

    sentence: int
    figure: Figure
    features: list[str]
    parties: list[PartyMention]
    party_features: list[list[str]]


def tokens(text: str) -> list[str]:
    return [t.casefold() for t in TOKEN.findall(text)]


def _bucket(n: int) -> str:
    return str(n) if n < 4 else "4-7" if n < 8 else "8+"


def figure_features(text: str, s: Sentence, f: Figure, rules_kind: str | None, cued: Claim | None) -> list[str]:
    """Sparse features of one figure in its sentence."""
    from . import rules

    v = vocabulary()
    left, right = tokens(text[s.start : f.start]), tokens(text[f.end : s.end])
    c_start, c_end = rules.clause_of(s, f.start)
    unit = unit_class(f.unit)
    feats = [f"unit={unit}", f"qual={f.qualifier}", f"rk={rules_kind}", f"rc={cued and cued.kind}"]
    if lead := rules.lead_in(text, f, (c_start, c_end), v["unit_kinds"].get(unit, [])):
        feats.append(f"lead={lead[0]}")
    if f.unit and unit == "money":
        feats.append(f"cur={f.unit}")
    if f.value:
        feats.append(f"mag={unit}{int(math.log10(max(f.value, 1)))}")
    for d, t in enumerate(reversed(left[-WINDOW:])):
        feats += [f"L{_bucket(d)}={t}", f"L={t}"]
    for d, t in enumerate(right[:WINDOW]):
        feats += [f"R{_bucket(d)}={t}", f"R={t}"]
    feats += [f"S={t}" for t in set(left[:-WINDOW] + right[WINDOW:])]
    head = rules.head_noun(text, s, f)
    feats.append(f"head={head}")
    in_sentence, in_clause = cue_kinds(text, s, s.start, s.end), cue_kinds(text, s, c_start, c_end)
    for kind in v["kind_cues"]:
        if kind in in_clause:
            feats.append(f"cue={kind}")
        elif kind in in_sentence:
            feats.append(f"scue={kind}")
    flags = {
        "hedge": v["hedges"].search(text, c_start, c_end),
        "offtopic": v["off_topic"].search(text, c_start, c_end),
        "ownuse": v["own_use"].search(text, c_start, c_end),
        "price": rules.is_rate(text, s, f),
        "conversion": rules.is_conversion(text, s, f),
        "question": text[s.start : s.end].rstrip().endswith("?"),
        "bracket": text[max(s.start, f.start - 2) : f.start].strip() in ("(", "（"),
        "headline": "\n" in text[s.end : s.end + 1]
        and not re.search(r"[.!?。]$", text[s.start : s.end])
        and not v["list_item"].match(text, s.start),
    }
    feats += [k for k, hit in flags.items() if hit]
    feats.append(f"nparties={_bucket(len(s.parties))}")
    feats += [f"rkunit={rules_kind}|{unit}", f"headunit={head}|{unit}", *(f"cueunit={k}|{unit}" for k in in_clause)]
    if CJK_RUN.search(text[s.start : s.end]):
        feats.append("cjk")
    return feats


def cue_kinds(text: str, s: Sentence, start: int, end: int) -> tuple[str, ...]:
    """The kinds whose cue words ``text[start:end]`` (the sentence ``s`` or one of its clauses) has, in rules.yaml
    order (``rules.kind_cue_spans``: none inside a party's name)."""
    from . import rules

    return tuple(dict.fromkeys(k for k, a, _ in rules.kind_cue_spans(text, s) if start <= a < end))


def party_features(
    text: str,
    s: Sentence,
    f: Figure,
    p: PartyMention,
    rank: int,
    where: str,
    cued: Claim | None,
    freq: int,
    names: dict,
) -> list[str]:
    """Sparse features of one organisation as a party of one figure (kind-independent; the model crosses
    them with the kind): ``where`` it is named (its sentence, the two before, or only elsewhere in the
    document), how often the document names it, ``cued``: the rules' claim of the figure, if any, and its
    ``name_features`` (kept in ``names`` for the next figure that asks)."""
    key = (p, where == "sentence")
    if key not in names:
        names[key] = name_features(text, s, p, where == "sentence")
    feats = [f"where={where}", f"rank={_bucket(rank)}", f"freq={_bucket(freq)}", *names[key]]
    if cued:
        feats += [
            f"cued_subject={p.canonical == cued.subject}",
            f"cued_counterparty={p.canonical == cued.counterparty}",
        ]
    if where != "sentence":
        return feats
    side = "before" if p.end <= f.start else "after"
    between = text[p.end : f.start] if side == "before" else text[f.end : p.start]
    gap = tokens(between)
    feats += [f"side={side}", f"gap={side}{_bucket(len(gap))}"]
    if len(gap) <= WINDOW:
        feats += [f"btw={side}:{t}" for t in gap]
    if side == "before" and vocabulary()["slots"]["passive"].search(between):
        feats.append("passive")
    return feats


def name_features(text: str, s: Sentence, p: PartyMention, in_sentence: bool) -> tuple[str, ...]:
    """The features of an organisation's mention that no figure changes: whether the alias table knows it, the
    two words on each side, a possessive, its shape, and for a mention in the figure's own sentence the slot
    words before it."""
    before = tokens(text[max(0, p.start - 30) : p.start])[-2:]
    after = tokens(text[p.end : p.end + 30])[:2]
    feats = [f"known={canonical(p.surface) is not None}"]
    feats += [f"pb{i}={t}" for i, t in enumerate(reversed(before))]
    feats += [f"pa{i}={t}" for i, t in enumerate(after)]
    if re.match(r"['’]s\b|的", text[p.end : p.end + 2]):
        feats.append("possessive")
    feats += shape(p)
    if in_sentence:
        slots = vocabulary()["slots"]
        window = text[max(s.start, p.start - 25) : p.start]
        feats += [
            f"slot={name}" for name in ("source", "target", "recipient", "customer") if slots[name].search(window)
        ]
    return tuple(feats)


def shape(p: PartyMention) -> list[str]:
    """What a name looks like: words, capitals inside ("CoreWeave"), all capitals, ending, repetition."""
    name = p.canonical
    last = name.split()[-1] if name.split() else name
    return [
        f"words={min(len(name.split()), 3)}",
        f"camel={bool(re.search(r'[a-z][A-Z]', name))}",
        f"caps={name.isupper()}",
        f"end={last[-3:].casefold()}",
    ]


def crossed(kind: str, feats: list[str]) -> list[str]:
    return feats + [f"{kind}|{x}" for x in feats]


@cache
def model() -> dict:
    """The trained weights: per head, classes (or one), feature index and weight rows."""
    return json.loads(resources.files("ingest").joinpath("data/classifier.json").read_text("utf-8"))


def scores(head: dict, feats: list[str]) -> list[float]:
    """Class probabilities of a linear softmax (or sigmoid, for a binary head) over sparse features."""
    index, weights = head["index"], head["weights"]
    z = list(head["bias"])
    for feat in set(feats):
        i = index.get(feat)
        if i is not None:
            for c, w in enumerate(weights[i]):
                z[c] += w
    if len(z) == 1:
        return [1 / (1 + math.exp(-z[0]))]
    top = max(z)
    e = [math.exp(x - top) for x in z]
    return [x / sum(e) for x in e]


def candidates(
    text: str, sents: list[Sentence], rules_kinds: dict[int, str | None], cued: dict[int, Claim]
) -> Iterator[Candidate]:
    """Every figure of every sentence with its features and its possible parties, one at a time (a long
    document's features are never all held); ``rules_kinds`` and ``cued`` are the rules' cue kind and claim
    of each figure (by its start offset)."""
    freq = Counter(p.canonical for s in sents for p in s.parties)
    first = {}
    for p in (p for s in sents for p in s.parties):
        first.setdefault(p.canonical, p)
    leading = [first[name] for name, _ in freq.most_common(DOCUMENT_PARTIES)]
    topic = document_kind(text)
    names: dict = {}  # a mention's name features, found once for all the figures it may be a party of
    for i, s in enumerate(sents):
        if not s.figures:
            continue
        context = []
        for j in range(i - 1, max(-1, i - 1 - CONTEXT_SENTENCES), -1):
            context += sents[j].parties
            if sents[j].blank_before:
                break
        for f in s.figures:
            rc = cued.get(f.start)
            feats = [*figure_features(text, s, f, rules_kinds.get(f.start), rc), f"topic={topic}"]
            own = sorted(s.parties, key=lambda p: abs(p.start - f.start))
            seen = {p.canonical for p in own}
            lent = [p for p in context if p.canonical not in seen and not seen.add(p.canonical)]
            named = [p for p in leading if p.canonical not in seen]
            groups = (("sentence", own), ("context", lent), ("document", named))
            parties = own + lent + named
            pf = [
                party_features(text, s, f, p, r, where, rc, freq[p.canonical], names)
                for where, group in groups
                for r, p in enumerate(group)
            ]
            yield Candidate(i, f, feats, parties, pf)


def document_kind(text: str) -> str | None:
    """The kind whose cue words the document's head uses most (what the article is about), if any."""
    v = vocabulary()
    counts = {kind: len(cue.findall(text, 0, v["topic_chars"])) for kind, cue in v["kind_cues"].items()}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def decide(c: Candidate) -> tuple[str, float, PartyMention | None, PartyMention | None]:
    """Kind, the probability that the figure is a deal fact, subject and counterparty of a candidate. Where the
    rules claim the figure as a kind of ``rules_decide`` with a cue in its own clause, that kind."""
    m = model()
    p = scores(m["claim"], c.features)[0]
    if p < m["claim_threshold"] or not c.parties:
        return NONE, p, None, None
    probs = scores(m["kind"], c.features)
    kind = m["kind"]["classes"][max(range(len(probs)), key=probs.__getitem__)]
    kind = next((k for k in vocabulary()["rules_decide"] if {f"rc={k}", f"cue={k}"} <= set(c.features)), kind)
    feats = [crossed(kind, pf) for pf in c.party_features]  # the same for both heads
    subj = [scores(m["subject"], f)[0] for f in feats]
    cp = [scores(m["counterparty"], f)[0] for f in feats]
    subject = c.parties[max(range(len(subj)), key=subj.__getitem__)]
    others = [k for k in range(len(cp)) if c.parties[k].canonical != subject.canonical]
    ci = max(others, key=cp.__getitem__, default=None)
    counterparty = c.parties[ci] if ci is not None and cp[ci] >= m["party_threshold"] else None
    return kind, p, subject, counterparty


def learned_claims(sents: list[Sentence], found: Iterable[Candidate]):
    """(sentence, figure, kind, probability, subject, counterparty) for every candidate the model keeps."""
    for c in found:
        kind, p, subject, counterparty = decide(c)
        if kind != NONE and (subject or counterparty):
            yield sents[c.sentence], c.figure, kind, p, subject, counterparty


def confidence(claim: Claim, p: float) -> Claim:
    return claim.model_copy(update={"confidence": round(min(0.9, p), 3)})
