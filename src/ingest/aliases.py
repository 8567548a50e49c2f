"""Canonical company names: "Azure", "MSFT" and "微软" all mean Microsoft.

The vocabulary is ``data/aliases.yaml`` and nothing else. ``canonical`` looks a name up ignoring case,
spacing and corporate suffixes ("Microsoft Corp."); canonical names are always accepted. ``find_parties``
finds the listed forms in running text with one compiled regex (tried where a trie of the forms finds a
candidate): the longest form wins, Latin forms match whole words only, Chinese forms match anywhere, and forms
listed under ``case_sensitive`` (common words such as "Apple" or "Oracle") match only with their exact
capitalisation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from . import prefilter

WORD = "0-9A-Za-z\u00c0-\u024f"
CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass(frozen=True)
class PartyMention:
    """A company named in a text: ``text[start:end] == surface``."""

    start: int
    end: int
    surface: str
    canonical: str


def _key(name: str) -> str:
    """Lookup key: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _form(surface: str) -> str:
    """Regex for one surface form; internal spaces match any whitespace."""
    return r"\s+".join(re.escape(w) for w in surface.split())


def _trie(forms: Iterable[str]) -> str:
    """One regex for a set of forms that shares their common beginnings ("Micro(?:n|soft)"); internal spaces
    match any whitespace. It matches where one of the forms does, preferring no form over another."""
    root: dict = {}
    for form in forms:
        node = root
        for i, word in enumerate(form.split()):
            node = node.setdefault(r"\s+", {}) if i else node
            for c in word:
                node = node.setdefault(re.escape(c), {})
        node[""] = {}
    return _branches(root)


def _branches(node: dict) -> str:
    alternatives = [atom + _branches(child) for atom, child in node.items() if atom]
    if not alternatives:
        return ""
    return f"(?:{'|'.join(alternatives)})" + ("?" if "" in node else "")


class AliasTable:
    """Company forms -> canonical names, with a cached matcher for running text."""

    def __init__(
        self,
        companies: Mapping[str, Iterable[str]],
        case_sensitive: Iterable[str] = (),
        suffixes: Iterable[str] = (),
    ) -> None:
        self._names: dict[str, str] = {}
        self._forms: dict[str, str] = {}  # surface form as written -> canonical
        for name, forms in companies.items():
            self._add(name, name)
            for form in forms:
                self._add(form, name)
                self._forms[form] = name
        self._exact = set(case_sensitive)
        unknown = self._exact - set(self._forms)
        if unknown:
            raise ValueError(f"case_sensitive lists forms that no company has: {', '.join(sorted(unknown))}")
        self._suffixes = sorted(set(suffixes), key=len, reverse=True)
        self._strip = re.compile(
            r"(?:,?\s+(?:" + "|".join(_form(s.casefold()) for s in self._suffixes) + r"))+\s*$"
            if self._suffixes
            else r"(?!)"
        )
        self._pattern = self._compile()
        self._candidates = self._compile_candidates()
        self._seen: dict[str, str | None] = {}  # name -> canonical, for names asked before

    def _add(self, form: str, name: str) -> None:
        other = self._names.setdefault(_key(form), name)
        if other != name:
            raise ValueError(f"alias {form!r} is listed for both {other} and {name}; keep one")

    def _compile(self) -> re.Pattern[str]:
        """One alternation, longest form first; Latin forms inside word boundaries."""
        latin, cjk = [], []
        for form in sorted(self._forms, key=len, reverse=True):
            p = _form(form) if form in self._exact else f"(?i:{_form(form)})"
            (cjk if CJK.search(form) else latin).append(p)
        suffix = ""
        if self._suffixes:
            suffix = r"(?:,?\s+(?:" + "|".join(_form(s) for s in self._suffixes) + r"))?"
        branches = [f"(?<![{WORD}])(?:{'|'.join(latin)}){suffix}(?![{WORD}])"] if latin else []
        return re.compile("|".join(branches + cjk) or r"(?!)")

    def _compile_candidates(self) -> re.Pattern[str]:
        """Where a form may start: every form in any case, written as a trie (a word start, then one branch per
        first letter, and so on), so that each position costs one step per letter instead of one per form."""
        latin, cjk = _trie(f for f in self._forms if not CJK.search(f)), _trie(f for f in self._forms if CJK.search(f))
        branches = [f"(?<![{WORD}])(?i:{latin})"] if latin else []
        return re.compile("|".join(branches + ([f"(?i:{cjk})"] if cjk else [])) or r"(?!)")

    def without_companies(self) -> AliasTable:
        """A table with this one's corporate suffixes and no company: how a text about companies it has never
        listed reads (``scripts/train_classifier.py --unlisted``)."""
        return AliasTable({}, (), self._suffixes)

    @classmethod
    def from_yaml(cls, path: str | Path) -> AliasTable:
        """Build a table from an aliases YAML file (same layout as ``data/aliases.yaml``)."""
        data = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        return cls(data.get("companies") or {}, data.get("case_sensitive") or (), data.get("suffixes") or ())

    def canonical(self, name: str) -> str | None:
        """The canonical name for ``name`` (any case, spacing, corporate suffix), or None if unknown."""
        if name not in self._seen:
            key = _key(name)
            self._seen[name] = self._names.get(key) or self._names.get(self._strip.sub("", key))
        return self._seen[name]

    def find_parties(self, text: str) -> list[PartyMention]:
        """Every company mention in ``text``, in order, non-overlapping, longest form first: the matches of the
        one alternation of all forms, which is tried only where the trie of the forms finds a candidate (the
        same matches as scanning with it, two to three times faster)."""
        return [
            PartyMention(m.start(), m.end(), m.group(), self.canonical(m.group()) or "")
            for m in prefilter.finditer(self._pattern, self._candidates, text)
        ]


@cache
def default_table() -> AliasTable:
    """The table from the packaged ``data/aliases.yaml`` (built once)."""
    with resources.as_file(resources.files("ingest").joinpath("data/aliases.yaml")) as path:
        return AliasTable.from_yaml(path)


def canonical(name: str) -> str | None:
    """Canonical company name for ``name`` (case-insensitive), or None if it is not in the alias table."""
    return default_table().canonical(name)


def find_parties(text: str) -> list[PartyMention]:
    """Companies named in ``text`` with their offsets and canonical names."""
    return default_table().find_parties(text)


def companies_in(text: str) -> set[str]:
    """Canonical names of the companies ``text`` mentions."""
    return {m.canonical for m in find_parties(text)}
