"""Extraction strategies: rules alone, rules with the model filling open slots (hybrid), or the model
reading passages (passage). Values always come from the rules' parse of a quoted figure, never from a
model; every model claim is grounded in the text, and a quote that is an instruction is dropped."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field, create_model

from .. import figures, ground
from ..models import Claim, ClaimKind, Document, PatternSignal
from . import orgs, rules
from .llm import CallCache, LLMClient, Request, Result, Usage, config, messages

EXTRACTORS = ("rules", "hybrid", "passage")
KINDS = tuple(k.value for k in ClaimKind)


@dataclass
class ExtractStats(Usage):
    """Model use of one extraction (calls, cache hits, tokens, model seconds) and its chunks."""

    chunks: int = 0
    failed_chunks: int = 0
    dropped: int = 0  # model answers dropped: no deal fact, instruction quotes, no deal cue, no party
    recall_gaps: int = 0  # figures the rules claim in a deal sentence that no model claim covers


@dataclass
class ExtractResult:
    """Claims (duplicates merged), pattern signals, stats; ``evidence`` holds the merged duplicates' spans
    as (claim index, quote, char_start, char_end)."""

    claims: list[Claim]
    signals: list[PatternSignal]
    stats: ExtractStats
    evidence: list[tuple[int, str, int | None, int | None]] = field(default_factory=list)


def extract(
    doc: Document,
    extractor: str,
    client: LLMClient | None = None,
    cache: CallCache | None = None,
    mapper: Callable = map,
) -> ExtractResult:
    """Extract the claims and pattern signals of one document with the named strategy, dated by their sentence,
    else by the document (``rules.dated``); the model's calls are looked up in and recorded to ``cache``; a long
    text's sections go through ``mapper`` (``rules.extract_rules``)."""
    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown extractor {extractor!r}; choose one of {', '.join(EXTRACTORS)}")
    if extractor != "rules" and client is None:
        raise ValueError(f"the {extractor} extractor needs a model client")
    claims, signals = rules.extract_rules(doc, mapper)
    stats = ExtractStats()
    if extractor == "hybrid":
        claims = resolve_open(doc, claims, client, cache, stats)
    elif extractor == "passage":
        found = read_passages(doc, client, cache, stats)
        stats.recall_gaps = len(recall_gaps(claims, found))
        claims = found
    merged, evidence = merge([rules.dated(c, doc.published) for c in claims])
    return ExtractResult(merged, signals, stats, evidence)


# --- hybrid: the model fills only what the rules leave open ---------------------------------------


@dataclass
class Candidate:
    """A figure in a deal sentence that the rules left unclaimed (no kind cue or an unresolved party)."""

    sentence: rules.Sentence
    figure: figures.Figure
    parties: list  # PartyMention: the sentence's companies, then those its paragraph lends
    kinds: tuple[str, ...]


def open_candidates(text: str, claims: list[Claim]) -> list[Candidate]:
    """Figures of deal sentences with a company and a unit that no rules claim covers."""
    v = rules.vocabulary()
    sents = rules.analyse(text)
    out = []
    for i, s in enumerate(sents):
        sentence = text[s.start : s.end]
        if not rules.has_deal_cue(sentence) or rules.is_instruction(sentence) or sentence.endswith("?"):
            continue
        parties = s.parties + rules.context_parties(sents, i, text)
        for f in s.figures:
            if f.unit in (None, "year") or not parties:
                continue
            c_start, c_end = rules.clause_of(s, f.start)
            if (
                rules.covered(f, claims)
                or v["hedges"].search(text, c_start, min(c_end, f.end + 30))
                or v["off_topic"].search(text, c_start, c_end)
            ):
                continue
            out.append(Candidate(s, f, parties, tuple(v["unit_kinds"][rules.unit_class(f.unit)])))
    return out


def resolve_model(kinds: tuple[str, ...], companies: tuple[str, ...]) -> type[BaseModel]:
    """The tiny answer of one resolve call: kind (or none) and parties from the allowed companies."""
    names = Literal[companies]  # type: ignore[valid-type]
    desc = Claim.model_fields
    none = config()["extract"]["no_fact"]
    return create_model(
        "Resolve",
        kind=(Literal[(*kinds, none)], Field(description=desc["kind"].description + f" {none}: no deal fact.")),  # type: ignore[valid-type]
        subject=(names | None, Field(description=desc["subject"].description)),
        counterparty=(names | None, Field(description=desc["counterparty"].description)),
    )


def resolve_open(
    doc: Document, claims: list[Claim], client: LLMClient, cache: CallCache | None, stats: ExtractStats
) -> list[Claim]:
    """Rules claims as they are, plus the open candidates the model completes (one short call each)."""
    text = doc.text
    todo = open_candidates(text, claims)
    requests = []
    for c in todo:
        model = resolve_model(c.kinds, tuple(sorted({p.canonical for p in c.parties})))
        note = f"Figure: {c.figure.text}"
        requests.append(
            Request(
                messages("resolve", model, text[c.sentence.start : c.sentence.end], note),
                model,
                config()["max_tokens"]["resolve"],
            )
        )
    out = [c.model_copy(update={"extractor": "hybrid"}) for c in claims]
    for cand, result in zip(todo, client.complete_many(requests, cache), strict=True):
        stats.chunks += 1
        stats += result.usage
        stats.failed_chunks += result.obj is None
        claim = result.obj and resolved_claim(text, cand, result.obj)
        if claim:
            out.append(claim)
        elif result.obj:
            stats.dropped += 1
    return out


def resolved_claim(text: str, cand: Candidate, answer: BaseModel) -> Claim | None:
    """The rules' claim for a candidate with the model's kind and parties; value, unit, qualifier, quote,
    status and date are the rules' own."""
    role = rules.vocabulary()["roles"].get(answer.kind)
    subject = next((p for p in cand.parties if p.canonical == answer.subject), None)
    counterparty = next(
        (p for p in cand.parties if p.canonical == answer.counterparty and p.canonical != answer.subject), None
    )
    if role is None or subject is None or (role["needs_counterparty"] and counterparty is None):
        return None
    s, f = cand.sentence, cand.figure
    clause = rules.clause_of(s, f.start)
    status = rules.value_status(text, s, clause)
    claim = rules.make_claim(text, s, answer.kind, clause, f, subject, counterparty, status, (f.start, f.end))
    cap = config()["extract"]["model_confidence"]
    return claim.model_copy(update={"extractor": "hybrid", "confidence": min(claim.confidence, cap)})


# --- passage: the model reads short passages, claims are grounded and re-valued -------------------


class PassageClaim(BaseModel):
    """One fact as the model reports it; its value is re-parsed from ``figure`` within ``quote``."""

    quote: str = Field(description=Claim.model_fields["quote"].description)
    figure: str | None = Field(description="The figure exactly as written in the quote, or null.")
    kind: ClaimKind = Field(description=Claim.model_fields["kind"].description)
    subject: str | None = Field(description=Claim.model_fields["subject"].description)
    counterparty: str | None = Field(description=Claim.model_fields["counterparty"].description)


class PassageClaims(BaseModel):
    claims: list[PassageClaim] = Field(max_length=6, description="Every deal fact the passage states.")


def chunks(text: str, size: int) -> list[str]:
    """Split text on paragraph boundaries into chunks of at most ``size`` characters where possible."""
    out: list[str] = []
    for para in (p.strip() for p in re.split(r"\n\s*\n|\n", text)):
        if not para:
            continue
        if out and len(out[-1]) + 2 + len(para) <= size:
            out[-1] += "\n\n" + para
        else:
            out.append(para)
    return out


def halves(chunk: str) -> list[str]:
    """A chunk cut in two at the sentence boundary nearest its middle (the shorter retry input)."""
    cuts = [end for _, end in rules.sentences(chunk)][:-1]
    if not cuts:
        return [chunk[: len(chunk) // 2], chunk[len(chunk) // 2 :]]
    cut = min(cuts, key=lambda e: abs(e - len(chunk) // 2))
    return [chunk[:cut].strip(), chunk[cut:].strip()]


def read_passages(doc: Document, client: LLMClient, cache: CallCache | None, stats: ExtractStats) -> list[Claim]:
    """One call per passage; a truncated answer is retried once on the two halves of its passage."""
    cap = config()["max_tokens"]["passage"]
    parts = chunks(doc.text, config()["extract"]["chunk_chars"])
    results = client.complete_many([_passage_request(p, cap) for p in parts], cache)
    retry = [h for p, r in zip(parts, results, strict=True) if r.truncated for h in halves(p)]
    answers = [r for r in results if not r.truncated] + client.complete_many(
        [_passage_request(h, cap) for h in retry], cache
    )
    claims = []
    for result in answers:
        _count(result, stats)
        for item in result.obj.claims if result.obj else []:
            claim = to_claim(item, doc.text)
            if claim is None:
                stats.dropped += 1
            else:
                claims.append(claim)
    return claims


def _passage_request(passage: str, cap: int) -> Request:
    return Request(messages("passage", PassageClaims, passage), PassageClaims, cap)


def _count(result: Result, stats: ExtractStats) -> None:
    stats.chunks += 1
    stats += result.usage
    stats.failed_chunks += result.obj is None


def to_claim(item: PassageClaim, text: str) -> Claim | None:
    """A grounded Claim from a model item, or None when its quote is no deal statement of the article:
    every sentence the quote touches must be no instruction, and one must carry a deal cue; a kind that
    needs a value needs a figure in the quote."""
    quote = item.quote.strip()
    subject, counterparty = _canonical(item.subject), _canonical(item.counterparty)
    if not quote or (subject is None and counterparty is None):
        return None
    figure = pick_figure(quote, item.figure)
    if figure is None and item.kind in config()["extract"]["value_kinds"]:
        return None
    values = figures.claim_fields(figure)
    claim = Claim(
        kind=item.kind,
        subject=subject,
        counterparty=counterparty,
        quote=quote,
        extractor="passage",
        confidence=config()["extract"]["model_confidence"],
        **values,
    )
    claim = ground.ground_claim(claim, text)
    if claim.char_start is None:
        touched = [quote]
    else:
        touched = [text[a:b] for a, b in rules.sentences(text) if a < claim.char_end and b > claim.char_start]
    if any(rules.is_instruction(t) for t in touched) or not any(rules.has_deal_cue(t) for t in touched):
        return None
    return claim


def _canonical(name: str | None) -> str | None:
    """The model's party name in canonical form; a name the alias table lacks is kept, not dropped."""
    return orgs.canonical_name(name) or None if name and name.strip() else None


def pick_figure(quote: str, figure: str | None) -> figures.Figure | None:
    """The figure of the quote the model pointed at (else the quote's only figure), parsed by the rules."""
    found = [f for f in figures.parse_figures(quote) if f.unit != "year"] or figures.parse_figures(quote)
    if figure:
        named = figures.parse_figures(figure)
        for f in found:
            if f.text in figure or figure in f.text or (named and named[0].value == f.value):
                return f
    return found[0] if len(found) == 1 else None


def recall_gaps(rules_claims: list[Claim], model_claims: list[Claim]) -> list[Claim]:
    """The rules' claims whose figure (unit and value within 2%) no model claim states: the model's misses."""

    def covered(c: Claim) -> bool:
        return any(
            m.unit == c.unit and m.value is not None and abs(m.value - c.value) <= 0.02 * abs(c.value)
            for m in model_claims
        )

    return [c for c in rules_claims if c.value is not None and not covered(c)]


# --- merging --------------------------------------------------------------------------------------


def claim_identity(claim: Claim) -> tuple:
    """What two claims of one document share when they may state the same fact: kind and figure, and for a
    right its parties and state ("had ROFR" and "lost ROFR" are two facts)."""
    if claim.value is None:
        return (claim.kind, claim.subject, claim.counterparty, None, claim.unit, None, claim.deal_status)
    return (claim.kind, round(claim.value, 6), claim.unit, claim.value_high)


def same_fact(kept: Claim, claim: Claim) -> bool:
    """True when ``claim`` restates ``kept`` (same identity): a right always; a figure with the same parties, or
    in another sentence of the same date with no party in conflict, with the same counterparty (an amount paid
    to one party; its subject misread in a headline), or with the roles read the other way round (a headline, a
    summary bullet and the body repeat one deal). One sentence naming several parties for a figure states
    several facts; so does one year (partnerships of one hub started in one year)."""
    if claim.value is None or (claim.subject, claim.counterparty) == (kept.subject, kept.counterparty):
        return True
    if (claim.quote, claim.char_start) == (kept.quote, kept.char_start) or claim.as_of != kept.as_of:
        return False
    agree = all(
        a == b or None in (a, b) for a, b in ((claim.subject, kept.subject), (claim.counterparty, kept.counterparty))
    )
    same_target = claim.unit != "year" and claim.counterparty is not None and claim.counterparty == kept.counterparty
    return agree or same_target or (claim.subject, claim.counterparty) == (kept.counterparty, kept.subject)


def lent_fields(kept: Claim, claim: Claim) -> dict:
    """What a restatement of a kept claim tells that the kept one leaves open, its evidence stating it: a party
    ("Vantara in talks to raise $600 million" kept, "... in a round led by Lightspeed" its restatement) where
    the other party agrees, and a conversion in brackets."""
    parties = (kept.subject, kept.counterparty)
    lent = {}
    if parties != (claim.counterparty, claim.subject):  # not read the other way round
        lent = {
            k: v
            for k in ("subject", "counterparty")
            if getattr(kept, k) is None and (v := getattr(claim, k)) not in parties
        }
    if kept.conversion_value is None:
        lent |= {"conversion_value": claim.conversion_value, "conversion_unit": claim.conversion_unit}
    return {k: v for k, v in lent.items() if v is not None}


def merge(claims: list[Claim]) -> tuple[list[Claim], list[tuple[int, str, int | None, int | None]]]:
    """Keep one claim per fact (grounded and most confident first); the others' spans become evidence."""
    ranked = sorted(claims, key=lambda c: (not c.grounded, -c.confidence, c.char_start or 0))
    kept: dict[tuple, list[int]] = {}
    out: list[Claim] = []
    evidence = []
    for claim in ranked:
        bucket = kept.setdefault(claim_identity(claim), [])
        first = next((i for i in bucket if same_fact(out[i], claim)), None)
        if first is not None:
            if (claim.quote, claim.char_start) != (out[first].quote, out[first].char_start):
                evidence.append((first, claim.quote, claim.char_start, claim.char_end))
            if lent := lent_fields(out[first], claim):
                out[first] = out[first].model_copy(update=lent)
            continue
        bucket.append(len(out))
        out.append(claim)
    order = sorted(range(len(out)), key=lambda i: (out[i].char_start is None, out[i].char_start or 0))
    position = {old: new for new, old in enumerate(order)}
    return [out[i] for i in order], [(position[i], *rest) for i, *rest in evidence]
