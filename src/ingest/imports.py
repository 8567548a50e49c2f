"""Import claims made elsewhere (a curated list, another extractor, a gold set) into the database.

Two formats, JSONL or a JSON list, told apart per record:

- the export row format (``schemas/claim.schema.json``; ``ingest export`` writes it): the claim fields, and
  the document as ``doc_id`` or ``source``/``url``;
- the dev sets' gold format ``{"doc", "subject", "counterparty", "kind", "value", "unit", "date_or_year",
  "quote"}``, whose free-text ``date_or_year`` gives the qualifier, deal status and as_of (cues in
  ``data/imports.yaml``), and whose ``doc`` names a file of a documents folder (``docs/017.json`` or
  ``017.txt``).

A claim's document is found in the database (by id, by source or URL, or by the file stem of its source), else
stored from the documents folder as ``ingest run`` stores a text file, else recorded by its source alone
(no text). Claims are validated like extracted ones, grounded against their document's text, stored with
extractor ``import`` and their origin (``file:line``), and the ledger is rebuilt. A bad record is reported on
one line (``file:line: what is wrong``) and skipped; the rest is stored, one document's claims per transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from . import clean as clean_stage
from . import dates, duplicates, figures, pipeline, store
from .errors import ImportFileError
from .ground import ground_claim
from .models import Claim, Document, RawDocument
from .store import Database

EXTRACTOR = "import"
_CLAIM_FIELDS = ("kind", "subject", "counterparty", "value", "unit", "value_low", "value_high", "qualifier",
                 "conversion_value", "conversion_unit", "deal_status", "as_of", "quote", "confidence")  # fmt: skip


@dataclass
class ImportSummary:
    """What an import did: records read, claims new and already stored, grounding, documents, bad records."""

    file: str
    run_id: int
    records: int = 0
    new: int = 0
    known: int = 0
    grounded: int = 0
    ungrounded: int = 0
    documents: int = 0  # documents stored from the documents folder or recorded by source
    errors: list[str] = field(default_factory=list)
    ledger: store.ledger.Summary | None = None


# ---------------------------------------------------------------- reading the file


def read_records(path: str | Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line, record, error) for each record of a JSONL file or a JSON list; line numbers start at 1."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ImportFileError(f"{path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    if text.lstrip().startswith("["):
        yield from _json_list(path, text)
        return
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as e:
            yield n, None, f"not valid JSON ({e.msg} at column {e.colno})"
            continue
        yield (n, record, None) if isinstance(record, dict) else (n, None, "not a JSON object")


def _json_list(path: str | Path, text: str) -> Iterator[tuple[int, dict | None, str | None]]:
    """The elements of a JSON list with the line each starts on."""
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise ImportFileError(f"{path}:{e.lineno}: not valid JSON ({e.msg}); nothing imported") from None
    decoder, ws = json.JSONDecoder(), re.compile(r"[\s,]*")
    i = text.index("[") + 1
    while True:
        i = ws.match(text, i).end()
        if text[i] == "]":
            return
        record, end = decoder.raw_decode(text, i)
        line = text.count("\n", 0, i) + 1
        yield (line, record, None) if isinstance(record, dict) else (line, None, "not a JSON object")
        i = end


# ---------------------------------------------------------------- the gold format


@cache
def _settings() -> dict:
    raw = yaml.safe_load(resources.files("ingest.data").joinpath("imports.yaml").read_text("utf-8"))
    year = r"(?P<year>(?:19|20)\d{2})"
    found = re.compile(
        rf"(?P<iso>(?:19|20)\d{{2}})-(?P<im>\d{{2}})(?:-\d{{2}})?"
        rf"|(?P<cy>(?:19|20)\d{{2}})年(?P<cm>\d{{1,2}})月"
        rf"|(?P<month>{dates.month_names()})(?:\s*\d{{1,2}}(?:st|nd|rd|th)?,?)?\s*\(?{year}\b"
        rf"|\b(?P<bare>(?:19|20)\d{{2}})\b",
        re.IGNORECASE,
    )
    targets = re.compile(r"\b(?:" + "|".join(map(re.escape, raw["target_words"])) + r")\W*$", re.IGNORECASE)
    return {"raw": raw, "dates": found, "targets": targets}


def _cue(words: list[str]) -> re.Pattern:
    return re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)", re.IGNORECASE)


def _segments(text: str) -> list[str]:
    """The segments of a date_or_year, each without a remark in brackets: "over (more than)" -> "over"."""
    return [re.sub(r"\s*\(.*?\)\s*", " ", s).strip().casefold() for s in re.split(r"[;,]", text)]


def gold_qualifier(text: str) -> str:
    """The qualifier a gold claim's date_or_year states (exact when none)."""
    segments = _segments(text)
    for name, cues in _settings()["raw"]["qualifiers"].items():
        if any(s in [c.casefold() for c in cues.get("segment", [])] for s in segments):
            return name
        if cues.get("anywhere") and _cue(cues["anywhere"]).search(text):
            return name
    return "exact"


def gold_status(text: str) -> str | None:
    """The deal status a gold claim's date_or_year states, if any."""
    for name, cues in _settings()["raw"]["deal_status"].items():
        if _cue(cues).search(text):
            return name
    return None


def gold_as_of(text: str) -> str | None:
    """The first date of a gold claim's date_or_year that is not a target ("by 2029"): YYYY-MM or YYYY."""
    cfg = _settings()
    for m in cfg["dates"].finditer(text):
        if cfg["targets"].search(text[: m.start()]):
            continue
        if m["iso"]:
            return f"{m['iso']}-{m['im']}" if 1 <= int(m["im"]) <= 12 else m["iso"]
        if m["cy"]:
            return f"{m['cy']}-{int(m['cm']):02d}" if 1 <= int(m["cm"]) <= 12 else m["cy"]
        if m["month"]:
            return f"{m['year']}-{dates.month(m['month']):02d}"
        return m["bare"]
    return None


def gold_range(value: float | None, unit: str | None, quote: str | None) -> dict:
    """The range a gold value is an end of, where its quote states one ("de l'ordre de 30 milliards à 50
    milliards d'euros" for EUR 50bn, the gold's upper-end convention): qualifier and both ends; else nothing."""
    for f in figures.parse_figures(quote or "") if value is not None else ():
        ends = (f.value_low, f.value_high)
        if f.unit == unit and f.value_low != f.value_high and value in ends:
            return {"qualifier": "range", "value_low": f.value_low, "value_high": f.value_high}
    return {}


def from_gold(record: dict) -> dict:
    """Claim fields of a gold record."""
    when = record.get("date_or_year") or ""
    fields = {k: record.get(k) for k in ("kind", "subject", "counterparty", "value", "unit", "quote")}
    stated = {"qualifier": gold_qualifier(when), "deal_status": gold_status(when), "as_of": gold_as_of(when)}
    return {**fields, **stated, **gold_range(fields["value"], fields["unit"], fields["quote"])}


def is_gold(record: dict) -> bool:
    return "doc" in record and not ({"doc_id", "source"} & record.keys())


# ---------------------------------------------------------------- documents


class _Documents:
    """Finds (or stores) the document each record names, once per reference."""

    def __init__(self, db: Database, docs_dir: Path | None, run_id: int, summary: ImportSummary):
        self.db, self.docs_dir, self.run_id, self.summary = db, docs_dir, run_id, summary
        self.found: dict[tuple, tuple[str, str] | str] = {}  # reference -> (doc id, text), or an error
        self._stems: dict[str, list[str]] | None = None
        self._index: duplicates.NearDuplicates | None = None

    def get(self, record: dict, gold: bool) -> tuple[str, str]:
        """(doc id, text) of the record's document; raises ValueError with what is wrong."""
        ref = ("doc", str(record["doc"])) if gold else (record.get("doc_id"), record.get("source"), record.get("url"))
        if ref not in self.found:
            try:
                self.found[ref] = self._gold(str(record["doc"])) if gold else self._export(record)
            except ValueError as e:
                self.found[ref] = str(e)
        got = self.found[ref]
        if isinstance(got, str):
            raise ValueError(got)
        return got

    def _export(self, record: dict) -> tuple[str, str]:
        doc_id, source, url = record.get("doc_id"), record.get("source"), record.get("url")
        if doc_id and (found := store.documents.text_of(self.db, doc_id)):
            return found
        for column, value in (("source", source), ("url", url)):
            if value and (found := store.documents.longest_from(self.db, column, value)):
                return found
        if source and self.docs_dir and (path := self._file(Path(source).stem)):
            return self._store_file(path)
        if not (source or url):
            raise ValueError("no document: give doc_id of a stored document, or source or url")
        return self._record_source(source or url, record)

    def _gold(self, doc: str) -> tuple[str, str]:
        if self.docs_dir is not None:
            path = self._file(doc)
            if path is None:
                raise ValueError(f"doc {doc!r}: no file {doc}.json or {doc}.txt in {self.docs_dir}")
            return self._store_file(path)
        ids = self._by_stem().get(doc, [])
        if len(ids) > 1:
            raise ValueError(f"doc {doc!r}: several stored documents have a source named {doc}.*; pass --docs DIR")
        if ids:
            return store.documents.text_of(self.db, ids[0])
        return self._record_source(doc, {})

    def _by_stem(self) -> dict[str, list[str]]:
        if self._stems is None:
            self._stems = {}
            for doc_id, source in store.documents.first_copies(self.db):
                self._stems.setdefault(Path(source or "").stem, []).append(doc_id)
        return self._stems

    def _file(self, stem: str) -> Path | None:
        if not re.fullmatch(r"[\w.-]+", stem):
            return None
        return next((p for p in (self.docs_dir / f"{stem}.json", self.docs_dir / f"{stem}.txt") if p.is_file()), None)

    def _store_file(self, path: Path) -> tuple[str, str]:
        """Store a document file as `ingest run` stores a text file (a copy of a stored text is not stored
        again): a ``.json`` file's ``text`` field, or a ``.txt`` file."""
        try:
            raw = path.read_text(encoding="utf-8")
            text = json.loads(raw)["text"] if path.suffix == ".json" else raw
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise ValueError(f"{path}: cannot read its text ({e})") from None
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{path}: no text")
        doc = clean_stage.clean(RawDocument(source=str(path), path=str(path), content_type="text", text=text))
        if existing := store.documents.find_by_hash(self.db, doc.content_hash):
            return existing["id"], existing["text"]
        if self._index is None:
            self._index = duplicates.NearDuplicates(store.documents.signatures(self.db))
        pipeline.store_document(self.db, doc, self.run_id, self._index, 0.0)
        self.summary.documents += 1
        return doc.id, doc.text

    def _record_source(self, source: str, record: dict) -> tuple[str, str]:
        """A document known by its source alone: its claims cannot be grounded."""
        digest = hashlib.sha256(f"import:{source}".encode()).hexdigest()
        if store.documents.text_of(self.db, digest[:16]):
            return digest[:16], ""
        doc = Document(
            id=digest[:16], source=source, url=record.get("url"), title=record.get("title"),
            published=record.get("published"), content_type="text", raw="", text="", content_hash=digest,
        )  # fmt: skip
        store.documents.save_document(self.db, doc, self.run_id, "imported", 0.0, None)
        self.summary.documents += 1
        return doc.id, ""


# ---------------------------------------------------------------- import


def _claim(record: dict, gold: bool, origin: str) -> Claim:
    fields = from_gold(record) if gold else {k: record[k] for k in _CLAIM_FIELDS if record.get(k) is not None}
    fields = {k: v for k, v in fields.items() if v is not None}
    return Claim(**fields, extractor=EXTRACTOR)


def _problem(e: ValidationError) -> str:
    err = e.errors()[0]
    where = ".".join(map(str, err["loc"])) or "claim"
    if where == "unit" and err["type"] == "string_pattern_mismatch":
        units = "USD, percent, GW, chips, shares, people, year or an ISO currency code"
        return f"unit {err['input']!r} is not a claim unit ({units})"
    value = f" (got {err['input']!r})" if where != "claim" and not isinstance(err["input"], dict) else ""
    return f"{where}: {err['msg']}{value}"


def import_claims(
    db: Database, path: str | Path, docs_dir: str | Path | None = None, recompute: bool = True
) -> ImportSummary:
    """Import the claims of ``path`` (export rows or gold records, JSONL or a JSON list); ``docs_dir``: where
    the documents the records name are (``NNN.json`` with a ``text`` field, or ``NNN.txt``). Returns what was
    done; bad records are listed in ``errors`` as ``file:line: what is wrong`` and nothing else is lost."""
    path = Path(path)
    docs = Path(docs_dir) if docs_dir is not None else None
    if docs is not None and not docs.is_dir():
        raise ImportFileError(f"--docs {docs}: no such folder")
    records = list(read_records(path))  # read the whole file before writing anything
    run_id = store.runs.start_run(db, {"import": str(path), "docs": docs and str(docs)}, {"extractor": EXTRACTOR})
    summary = ImportSummary(str(path), run_id)
    finder = _Documents(db, docs, run_id, summary)
    by_doc: dict[str, list[tuple[Claim, str]]] = {}
    status = "failed"
    try:
        for line, record, error in records:
            summary.records += 1
            origin = f"{path}:{line}"
            if error is None:
                try:
                    gold = is_gold(record)
                    claim = _claim(record, gold, origin)
                    doc_id, text = finder.get(record, gold)
                    grounded = ground_claim(claim, text) if text else claim
                    by_doc.setdefault(doc_id, []).append((grounded, origin))
                    continue
                except ValidationError as e:
                    error = _problem(e)
                except (ValueError, KeyError, TypeError) as e:
                    error = str(e)
            summary.errors.append(f"{origin}: {error}")
        for doc_id, claims in by_doc.items():
            _save(db, doc_id, run_id, claims, summary)
        if recompute:
            summary.ledger = store.ledger.recompute(db)
        status = "completed"
    finally:
        counts = {"records": summary.records, "new": summary.new, "errors": len(summary.errors)}
        store.runs.finish_run(db, run_id, status, counts, {})
    return summary


def _save(db: Database, doc_id: str, run_id: int, claims: list[tuple[Claim, str]], summary) -> None:
    """Store one document's imported claims in one transaction; a claim already stored is left as it is."""
    for (claim, _), new in zip(claims, store.claims.save_imported(db, doc_id, run_id, claims), strict=True):
        summary.known += not new
        summary.new += new
        summary.grounded += new and claim.grounded
        summary.ungrounded += new and not claim.grounded
