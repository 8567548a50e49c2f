"""Score an extractor against a hand-labelled gold set: precision, recall and F1 per kind, and grounding."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .aliases import canonical
from .clean import clean
from .models import Claim, ClaimKind, Document, PatternSignal, RawDocument

if TYPE_CHECKING:
    from .extract.llm import CallCache, LLMClient

Extractor = Callable[[Document], tuple[list[Claim], list[PatternSignal]]]
# Kinds whose two parties play the same role: matched as an unordered pair.
SYMMETRIC_KINDS = {"partnership_start"}


class GoldClaim(BaseModel):
    """One hand-labelled claim of the gold set."""

    model_config = ConfigDict(use_enum_values=True)

    kind: ClaimKind
    subject: str | None = None
    counterparty: str | None = None
    value: float | None = None
    unit: str | None = None
    value_low: float | None = None
    value_high: float | None = None
    qualifier: str | None = None
    deal_status: str | None = None
    as_of: str | None = None
    quote: str


class GoldDocument(BaseModel):
    """A gold article: its file (relative to the repository root) or its text, and its claims. ``lenient``
    documents (the dev sets) match a claim on one shared party word, as their own scorer does."""

    file: str
    claims: list[GoldClaim]
    text: str | None = None
    lenient: bool = False
    negative: bool = False


class GoldFile(BaseModel):
    """A gold set: ``{"version": 1, "documents": [...]}``."""

    version: int = 1
    documents: list[GoldDocument]


class Score(BaseModel):
    """Counts and precision/recall/F1 for one kind, or for all kinds together."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0

    @property
    def precision(self) -> float | None:
        return self.matched / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.gold if self.gold else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision or 0.0, self.recall or 0.0
        if not self.gold and not self.predicted:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: Score) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched

    def as_dict(self) -> dict:
        return {**self.model_dump(), "precision": self.precision, "recall": self.recall, "f1": self.f1}


class DocumentResult(BaseModel):
    """What one gold document got: the gold claims missed and the predictions that matched nothing."""

    file: str
    missed: list[GoldClaim] = Field(default_factory=list)
    spurious: list[Claim] = Field(default_factory=list)


class EvalReport(BaseModel):
    """The scores of one extractor on one gold set."""

    extractor: str
    split: str = Field("all", description="all, or a dev set's tune or check split.")
    documents: int
    claims: int
    negative_claims: int = Field(0, description="Claims on the documents that state no deal (dev sets).")
    seconds: float
    grounding_rate: float | None
    exact_quote_rate: float | None = Field(description="Share of predicted quotes equal to text[start:end].")
    per_kind: dict[str, Score]
    overall: Score
    details: list[DocumentResult]

    def as_dict(self, details: bool = False) -> dict:
        out = self.model_dump(exclude={"per_kind", "overall", "details"})
        out["overall"] = self.overall.as_dict()
        out["per_kind"] = {k: s.as_dict() for k, s in self.per_kind.items()}
        if details:
            out["details"] = [d.model_dump(mode="json") for d in self.details]
        return out


CHECK_DIGITS = "036"  # a dev set's check split: the docs whose number ends in one of these
PARTY_STOP = {"inc", "corp", "ltd", "the", "and", "ai", "group", "co"}


def in_split(doc: GoldDocument, split: str | None) -> bool:
    """True when a dev-set document belongs to the split (``check``, ``tune``, or None for all)."""
    stem = Path(doc.file).stem
    return split is None or (stem[-1:] in CHECK_DIGITS) == (split == "check")


def load_devset(folder: Path) -> list[GoldDocument]:
    """A dev set (``docs/NNN.json``, ``gold.json``, ``notes.json``) as gold documents with their text."""
    gold = json.loads((folder / "gold.json").read_text("utf-8"))
    notes = json.loads((folder / "notes.json").read_text("utf-8")) if (folder / "notes.json").exists() else {}
    notes = notes.get("docs", notes)
    out = []
    for path in sorted((folder / "docs").glob("*.json")):
        claims = [
            GoldClaim(**{k: g.get(k) for k in ("kind", "subject", "counterparty", "value", "unit", "quote")})
            for g in gold
            if g["doc"] == path.stem
        ]
        negative = "negative" in str(notes.get(path.stem, {}).get("role", ""))
        text = json.loads(path.read_text("utf-8"))["text"]
        out.append(GoldDocument(file=f"{path.stem}.txt", claims=claims, text=text, lenient=True, negative=negative))
    return out


def load_gold(gold_path: str | Path) -> list[GoldDocument]:
    """The documents of a gold file (``{"version": 1, "documents": [...]}``) or of a dev-set folder."""
    if Path(gold_path).is_dir():
        if not (Path(gold_path) / "gold.json").exists():
            raise ValueError("not a dev set: a folder needs gold.json and docs/NNN.json")
        return load_devset(Path(gold_path))
    try:
        return GoldFile.model_validate_json(Path(gold_path).read_text("utf-8")).documents
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(part) for part in err["loc"]) or "the file"
        raise ValueError(f"not a gold set: {where}: {err['msg']}") from None


def resolve_file(gold_path: str | Path, file: str) -> Path:
    """A gold file path: relative to the working directory, else to an ancestor of the gold file."""
    if Path(file).exists():
        return Path(file)
    for parent in Path(gold_path).resolve().parents:
        if (parent / file).exists():
            return parent / file
    raise FileNotFoundError(f"gold document {file} not found from {Path.cwd()} or above {gold_path}")


def gold_document(gold_path: str | Path, gdoc: GoldDocument) -> Document:
    """A gold article cleaned as the pipeline cleans a text file: from its file, or its inline text."""
    if gdoc.text is None:
        return load_document(resolve_file(gold_path, gdoc.file))
    return clean(RawDocument(source=gdoc.file, path=gdoc.file, content_type="text", text=gdoc.text))


def load_document(path: Path) -> Document:
    """A gold article cleaned exactly as the pipeline cleans a loaded text file."""
    raw = RawDocument(source=str(path), path=str(path), content_type="text", text=path.read_text("utf-8"))
    return clean(raw)


def canon(name: str | None) -> str | None:
    """The canonical form of a company name; an unknown name stays as written."""
    return (canonical(name) or name) if name else None


def same_parties(gold: GoldClaim, pred: Claim) -> bool:
    """Parties agree after aliasing; a party the gold leaves empty matches any."""
    g = (canon(gold.subject), canon(gold.counterparty))
    p = (canon(pred.subject), canon(pred.counterparty))
    if gold.kind in SYMMETRIC_KINDS:
        return all(x is None or x in p for x in g)
    return all(x is None or x == y for x, y in zip(g, p, strict=True))


def same_value(gold: GoldClaim, pred: Claim, tolerance: float) -> bool:
    """Values agree within a relative tolerance; a gold claim with no value matches any."""
    if gold.value is None:
        return True
    if pred.value is None:
        return False
    return abs(pred.value - gold.value) <= tolerance * abs(gold.value)


def party_words(*names: str | None) -> set[str]:
    """Canonical names and significant words of party names (the dev sets' lenient view)."""
    out = set()
    for name in filter(None, names):
        out |= {w for w in re.findall(r"\w+", name.casefold()) if w not in PARTY_STOP}
        out |= {canon(name).casefold()}
    return out


def quote_words(quote: str | None) -> set[str]:
    return set(re.findall(r"[^\W\d_\u3000-\u9fff]+|\d+|[\u3400-\u9fff]", (quote or "").lower()))


def matches_leniently(gold: GoldClaim, pred: Claim, tolerance: float) -> bool:
    """The dev sets' rule: kind, value and unit (or, with no value, the quote's words), and a shared party."""
    if gold.kind != pred.kind:
        return False
    if gold.value is not None:
        if not same_value(gold, pred, tolerance) or (gold.unit and pred.unit != gold.unit):
            return False
    elif len(quote_words(pred.quote) & quote_words(gold.quote)) < max(2, 0.3 * len(quote_words(gold.quote))):
        return False
    gold_parties = party_words(gold.subject, gold.counterparty)
    return not gold_parties or bool(gold_parties & party_words(pred.subject, pred.counterparty))


def matches(gold: GoldClaim, pred: Claim, tolerance: float = 0.02, lenient: bool = False) -> bool:
    """A prediction matches a gold claim on kind, parties after aliasing, and value."""
    if lenient:
        return matches_leniently(gold, pred, tolerance)
    return gold.kind == pred.kind and same_parties(gold, pred) and same_value(gold, pred, tolerance)


def match_claims(
    gold: list[GoldClaim], pred: list[Claim], tolerance: float = 0.02, lenient: bool = False
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Greedy one-to-one matching: pairs (gold, pred), then unmatched gold and unmatched pred indexes."""
    used: set[int] = set()
    pairs = []
    for gi, g in enumerate(gold):
        candidates = [pi for pi, p in enumerate(pred) if pi not in used and matches(g, p, tolerance, lenient)]
        if candidates:
            best = min(candidates, key=lambda pi: abs((pred[pi].value or 0) - (g.value or 0)))
            used.add(best)
            pairs.append((gi, best))
    matched_gold = {gi for gi, _ in pairs}
    return pairs, [i for i in range(len(gold)) if i not in matched_gold], [i for i in range(len(pred)) if i not in used]


def score_by_kind(
    gold: list[GoldClaim], pred: list[Claim], tolerance: float = 0.02, lenient: bool = False
) -> dict[str, Score]:
    """Gold, predicted and matched counts per kind for one document."""
    pairs, _, _ = match_claims(gold, pred, tolerance, lenient)
    scores: dict[str, Score] = {}
    for g in gold:
        scores.setdefault(g.kind, Score()).gold += 1
    for p in pred:
        scores.setdefault(p.kind, Score()).predicted += 1
    for gi, _ in pairs:
        scores[gold[gi].kind].matched += 1
    return scores


def evaluate(
    gold_path: str | Path,
    extractor_name: str | Extractor = "rules",
    cache: CallCache | None = None,
    tolerance: float = 0.02,
    client: LLMClient | None = None,
    split: str | None = None,
) -> EvalReport:
    """Run an extractor over every gold document and score its claims against the gold labels.

    Model strategies need ``client``; their calls are looked up in and recorded to ``cache``. ``split`` scores one split
    of a dev set: ``check`` (docs whose number ends in 0, 3 or 6) or ``tune`` (the rest)."""
    extractor = get_extractor(extractor_name, cache, client)
    name = extractor_name if isinstance(extractor_name, str) else getattr(extractor, "__name__", "custom")
    per_kind: dict[str, Score] = {}
    details, predictions, seconds, exact = [], [], 0.0, 0
    gold_docs = [d for d in load_gold(gold_path) if in_split(d, split)]
    negatives = 0
    for gdoc in gold_docs:
        doc = gold_document(gold_path, gdoc)
        t0 = time.perf_counter()
        claims, _signals = extractor(doc)
        seconds += time.perf_counter() - t0
        predictions += claims
        negatives += len(claims) if gdoc.negative else 0
        exact += sum(c.char_start is not None and doc.text[c.char_start : c.char_end] == c.quote for c in claims)
        for kind, s in score_by_kind(gdoc.claims, claims, tolerance, gdoc.lenient).items():
            per_kind.setdefault(kind, Score()).add(s)
        _, missed, spurious = match_claims(gdoc.claims, claims, tolerance, gdoc.lenient)
        details.append(
            DocumentResult(
                file=gdoc.file, missed=[gdoc.claims[i] for i in missed], spurious=[claims[i] for i in spurious]
            )
        )
    overall = Score()
    for s in per_kind.values():
        overall.add(s)
    n = len(predictions)
    return EvalReport(
        extractor=name,
        split=split or "all",
        documents=len(gold_docs),
        claims=n,
        negative_claims=negatives,
        seconds=round(seconds, 3),
        grounding_rate=sum(c.grounded for c in predictions) / n if n else None,
        exact_quote_rate=exact / n if n else None,
        per_kind=dict(sorted(per_kind.items())),
        overall=overall,
        details=details,
    )


def format_report(report: EvalReport, details: bool = False) -> str:
    """The per-kind table, the overall line and the grounding rate of an eval report."""

    def pct(x: float | None) -> str:
        return "    -" if x is None else f"{x:5.2f}"

    lines = [f"{'kind':<20} {'gold':>5} {'pred':>5} {'match':>5}  {'P':>5} {'R':>5} {'F1':>5}"]
    rows = [*report.per_kind.items(), ("overall", report.overall)]
    for kind, s in rows:
        lines.append(
            f"{kind:<20} {s.gold:>5} {s.predicted:>5} {s.matched:>5}  {pct(s.precision)} {pct(s.recall)} {pct(s.f1)}"
        )
    lines.append(
        f"extractor {report.extractor}: {report.documents} documents, {report.claims} claims, "
        f"{report.seconds:.2f} s; grounding rate {pct(report.grounding_rate).strip()}, "
        f"exact quotes {pct(report.exact_quote_rate).strip()}"
    )
    if details:
        for d in report.details:
            lines += [f"{d.file}: missed {g.kind} {g.subject}->{g.counterparty} {g.value}" for g in d.missed]
            lines += [
                f"{d.file}: spurious {p.kind} {p.subject}->{p.counterparty} {p.value} {p.quote!r}" for p in d.spurious
            ]
    return "\n".join(lines)


def format_comparison(reports: list[EvalReport]) -> str:
    """One line per extractor and split: overall P/R/F1, grounding, claims (on negative docs) and seconds."""
    lines = [
        f"{'extractor':<10} {'split':<6} {'gold':>5} {'P':>5} {'R':>5} {'F1':>5} {'grounded':>8} {'claims':>6} "
        f"{'on neg.':>7} {'seconds':>8}"
    ]
    for r in reports:
        o = r.overall
        lines.append(
            f"{r.extractor:<10} {r.split:<6} {o.gold:>5} {o.precision or 0:5.2f} {o.recall or 0:5.2f} {o.f1 or 0:5.2f} "
            f"{r.grounding_rate or 0:8.2f} {r.claims:>6} {r.negative_claims:>7} {r.seconds:>8.1f}"
        )
    return "\n".join(lines)


def get_extractor(name: str | Extractor, cache: CallCache | None = None, client: LLMClient | None = None) -> Extractor:
    """An extractor callable by name (the strategies of extract.py), or the callable itself."""
    if callable(name):
        return name
    from . import extract

    if name not in extract.EXTRACTORS:
        raise ValueError(f"unknown extractor {name!r}: choose one of {', '.join(extract.EXTRACTORS)}")

    def run(doc: Document) -> tuple[list[Claim], list[PatternSignal]]:
        result = extract.extract(doc, name, client, cache)
        return result.claims, result.signals

    return run
