"""Train the figure classifier of the rules extractor (src/ingest/data/classifier.json).

    python scripts/train_classifier.py [--devsets ../shared/devsets] [--cv 5] [-o src/ingest/data/classifier.json]

Training data: the team's gold sets (tests/data/gold.json, heldout.json, heldout2.json) and the tune split of
each dev set (docs whose number does not end in 0, 3 or 6; the check split is never read). A figure's label is
the kind of the gold claim whose quote holds it with the same unit and value (2%), else ``none``; an
organisation's labels say whether it is that claim's subject or counterparty. Three L2-regularised logistic
regressions are fitted with scipy's L-BFGS: deterministic, seconds on two cores.

With ``--cv K`` it first scores K-fold cross-validation on the dev sets' tune split (each fold predicted by a
model that never saw it) with the dev sets' own scorer, the honest figure for tuning; ``--repeats R`` folds the
docs R ways (the first in their order, the others shuffled) and prints the mean, as one way of folding moves
F1 by about 0.01 from a change that alters no prediction rule. ``--unlisted`` runs that
cross-validation as if the alias table knew no company (its corporate suffixes only): every party is read as a
name the project has never seen, the condition of a deal family outside the alias table. The model written is
always trained with the alias table.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from scipy import optimize, sparse

from ingest import aliases
from ingest.clean import clean
from ingest.evaluate import GoldClaim, Score, in_split, load_devset, load_gold, match_claims, party_words
from ingest.extract import classify, extract, rules
from ingest.models import RawDocument

ROOT = Path(__file__).resolve().parent.parent
TEAM_GOLD = ["tests/data/gold.json", "tests/data/heldout.json", "tests/data/heldout2.json"]
L2 = {"claim": 3.0, "kind": 3.0, "subject": 1.0, "counterparty": 1.0}


def devset_docs(root: Path) -> list[dict]:
    """The tune split of each dev set as {id, set, family, text, claims} (``family``: the deal the notes say the
    doc is about)."""
    out = []
    for name in ("a", "b"):
        notes = json.loads((root / name / "notes.json").read_text("utf-8"))["docs"]
        for d in load_devset(root / name):
            stem = Path(d.file).stem
            if in_split(d, "tune"):
                claims = [c.model_dump() for c in d.claims]
                family = notes[stem]["family"]
                out.append({"id": f"{name}/{stem}", "set": name, "family": family, "text": d.text, "claims": claims})
    return out


def team_docs() -> list[dict]:
    """The team's gold sets as {id, set, text, claims}."""
    return [
        {
            "id": d.file,
            "set": "team",
            "text": (ROOT / d.file).read_text("utf-8"),
            "claims": [c.model_dump() for c in d.claims],
        }
        for gold in TEAM_GOLD
        for d in load_gold(ROOT / gold)
    ]


def cleaned(doc: dict) -> str:
    raw = RawDocument(source=doc["id"] + ".txt", content_type="text", text=doc["text"])
    return clean(raw).text


def same_org(a: str | None, b: str | None) -> bool:
    """One shared party word (the dev sets' lenient view of names)."""
    return bool(a and b and party_words(a) & party_words(b))


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.02 * max(abs(a), abs(b), 1e-9)


def label(text: str, f, gold: list[dict]) -> dict | None:
    """The gold claim that states figure ``f``: same unit and value, its quote around the figure."""
    for g in gold:
        if g.get("value") is None or g.get("unit") != f.unit or f.value is None or not close(g["value"], f.value):
            continue
        quote = g.get("quote") or ""
        spans = [m.start() for m in re.finditer(re.escape(quote), text)] if quote else []
        if not spans or any(a <= f.start < a + len(quote) for a in spans):
            return g
    return None


def examples(doc: dict) -> dict[str, list]:
    """(features, label) rows of the three heads for one document."""
    text = cleaned(doc)
    sents = rules.analyse(text)
    rows: dict[str, list] = {"claim": [], "kind": [], "subject": [], "counterparty": []}
    for c in rules.figure_candidates(text, sents, rules.cued_claims(text, sents)):
        g = label(text, c.figure, doc["claims"])
        rows["claim"].append((c.features, g is not None))
        if g is None:
            continue
        kind = g["kind"]
        rows["kind"].append((c.features, kind))
        for p, pf in zip(c.parties, c.party_features, strict=True):
            rows["subject"].append((classify.crossed(kind, pf), same_org(p.canonical, g.get("subject"))))
            rows["counterparty"].append((classify.crossed(kind, pf), same_org(p.canonical, g.get("counterparty"))))
    return rows


def fit(rows: list, l2: float) -> dict:
    """A softmax regression (or a logistic one for booleans) as the JSON head classify.scores reads."""
    binary = all(isinstance(y, bool) for _, y in rows)
    classes = [False, True] if binary else sorted({y for _, y in rows})
    feats = sorted({x for xs, _ in rows for x in xs})
    index = {x: i for i, x in enumerate(feats)}
    data = [(r, index[x]) for r, (xs, _) in enumerate(rows) for x in set(xs)]
    X = sparse.csr_matrix(([1.0] * len(data), ([r for r, _ in data], [c for _, c in data])), (len(rows), len(feats)))
    Y = np.zeros((len(rows), len(classes)))
    Y[np.arange(len(rows)), [classes.index(y) for _, y in rows]] = 1.0
    k, d = len(classes), len(feats)
    # classes weighted by their inverse frequency (binary heads unweighted): rare kinds are not drowned
    weight = np.ones(len(rows)) if binary else np.sqrt(len(rows) / (k * Y.sum(axis=0)))[Y.argmax(axis=1)]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        W, b = theta[: d * k].reshape(d, k), theta[d * k :]
        Z = X @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
        P = np.exp(logp)
        value = -(weight * (Y * logp).sum(axis=1)).sum() + 0.5 * l2 * (W**2).sum()
        G = (P - Y) * weight[:, None]
        return value, np.concatenate([(X.T @ G + l2 * W).ravel(), G.sum(axis=0)])

    res = optimize.minimize(loss, np.zeros(d * k + k), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    W, b = res.x[: d * k].reshape(d, k), res.x[d * k :]
    if binary:
        W, b = W[:, 1:] - W[:, :1], b[1:] - b[:1]
    keep = np.abs(W).max(axis=1) > 0.01
    kept = [x for x, k_ in zip(feats, keep, strict=True) if k_]
    return {
        "classes": None if binary else classes,
        "bias": [round(float(x), 4) for x in b],
        "index": {x: i for i, x in enumerate(kept)},
        "weights": [[round(float(w), 3) for w in row] for row in W[keep]],
    }


def train(docs: list[dict], claim_threshold: float, party_threshold: float) -> dict:
    rows: dict[str, list] = {"claim": [], "kind": [], "subject": [], "counterparty": []}
    for doc in docs:
        for head, r in examples(doc).items():
            rows[head] += r
    model = {head: fit(r, L2[head]) for head, r in rows.items()}
    return {
        "claim_threshold": claim_threshold,
        "party_threshold": party_threshold,
        **model,
    }


def cross_validate(docs: list[dict], folds: int, args) -> None:
    """Predict each dev doc by a model trained without its fold, then score with the dev sets' scorer (with
    ``args.unlisted``, under an alias table that knows no company)."""
    listed = aliases.default_table
    if args.unlisted:
        unlisted = listed().without_companies()
        aliases.default_table = lambda: unlisted
    try:
        score_folds(docs, folds, args)
    finally:
        aliases.default_table = listed


def score_folds(docs: list[dict], folds: int, args) -> None:
    """Each repeat's scores, then their mean (``folding``), so a change is judged on more than one way of
    folding; by the dev sets' scorer and by the project's matcher (``ingest eval``'s, which also matches amounts
    in other currencies than US dollars)."""
    dev = [d for d in docs if d["set"] != "team"]
    f1: dict[str, list[float]] = {"a": [], "b": []}
    ours: dict[str, list[float]] = {"a": [], "b": []}
    for r in range(args.repeats):
        fold = folding(dev, folds, r, args.by_family)
        preds: dict[str, list] = {"a": [], "b": []}
        counts = {"a": Score(), "b": Score()}
        for k in range(folds):
            m = train([d for d in docs if fold.get(d["id"]) != k], args.claim_threshold, args.party_threshold)
            classify.model = lambda m=m: m
            for d in (d for d in dev if fold[d["id"]] == k):
                raw = RawDocument(source=d["id"] + ".txt", content_type="text", text=d["text"])
                claims = extract(clean(raw), "rules").claims
                preds[d["set"]] += [{**c.model_dump(mode="json"), "source": d["id"] + ".txt"} for c in claims]
                pairs, _, _ = match_claims([GoldClaim(**g) for g in d["claims"]], claims, lenient=True)
                counts[d["set"]].add(Score(gold=len(d["claims"]), predicted=len(claims), matched=len(pairs)))
        for name, rows in preds.items():
            f1[name].append(score(name, rows, args, r))
            ours[name].append(counts[name].f1 or 0.0)
            print(f"  by the project's matcher: {counts[name].model_dump()} F1 {ours[name][-1]:.3f}")
    if args.repeats > 1:
        for name, values in f1.items():
            mean, own = sum(values) / len(values), sum(ours[name]) / len(values)
            print(f"cv {name} tune, mean of {args.repeats} repeats: F1 {mean:.3f} (the project's matcher {own:.3f})")


def folding(dev: list[dict], folds: int, repeat: int, by_family: bool) -> dict[str, int]:
    """Each dev doc's fold: repeat 0 in the docs' order (the i-th in fold i % K), others after a shuffle seeded
    with the repeat; ``by_family`` folds deal families instead, so each doc is predicted by a model that never
    saw its deal (the condition of an unseen family)."""
    unit = (lambda d: d["family"]) if by_family else (lambda d: d["id"])
    keys = list(dict.fromkeys(unit(d) for d in dev))
    if repeat:
        random.Random(repeat).shuffle(keys)
    fold_of = {k: n % folds for n, k in enumerate(keys)}
    return {d["id"]: fold_of[unit(d)] for d in dev}


def score(name: str, rows: list[dict], args, repeat: int) -> float:
    """The dev set's scorer on one repeat's predictions (written to a temporary file, printed); its F1."""
    with tempfile.NamedTemporaryFile("w", suffix=f"-cv-{name}.jsonl", delete=False) as fh:
        fh.write("\n".join(json.dumps(r) for r in rows))
    print(f"cv predictions: {fh.name}")
    command = [sys.executable, str(args.devsets / "score.py"), "--set", str(args.devsets / name), "claims", fh.name]
    out = subprocess.run([*command, "--split", "tune", "--json"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    label = f"cv {name} tune" + (f" (repeat {repeat})" if args.repeats > 1 else "")
    print(
        f"{label}: predicted {r['predicted']} gold {r['gold']} R {r['recall_lenient']} "
        f"P {r['precision_lenient']} F1 {r['f1_lenient']} (strict R {r['recall_strict']} P {r['precision_strict']}) "
        f"grounded {r['grounded_quote_rate']} "
        f"negatives {r['claims_on_negative_docs']} by kind {r['recall_by_kind']}"
    )
    return r["f1_lenient"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--devsets", type=Path, default=ROOT.parent / "shared" / "devsets")
    ap.add_argument("--cv", type=int, default=0, help="score K-fold cross-validation on the tune split first")
    ap.add_argument("--unlisted", action="store_true", help="cross-validate with no company in the alias table")
    ap.add_argument("--by-family", action="store_true", help="cross-validate with each deal family in one fold")
    ap.add_argument("--repeats", type=int, default=1, help="cross-validate over this many ways of folding")
    ap.add_argument("--claim-threshold", type=float, default=0.4)
    ap.add_argument("--party-threshold", type=float, default=0.02)
    ap.add_argument("--l2", action="append", default=[], metavar="HEAD=X", help=f"a head's L2 penalty (default {L2})")
    ap.add_argument("-o", "--output", type=Path, default=ROOT / "src/ingest/data/classifier.json")
    args = ap.parse_args()
    L2.update({head: float(x) for head, x in (pair.split("=") for pair in args.l2)})
    docs = team_docs() + devset_docs(args.devsets)
    if args.cv:
        cross_validate(docs, args.cv, args)
    m = train(docs, args.claim_threshold, args.party_threshold)
    args.output.write_text(json.dumps(m, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {args.output}: {len(m['kind']['index'])} kind features, {len(docs)} documents")


if __name__ == "__main__":
    main()
