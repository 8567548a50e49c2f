"""The vocabulary of the rules extractor: ``data/rules.yaml`` with its patterns compiled, and the partnership
patterns of ``data/patterns.yaml``."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from itertools import groupby

import regex
import yaml

_PLAIN = (
    "off_topic",
    "not_deal",
    "hedges",
    "instruction",
    "references",
    "negation",
    "cue_blind",
    "announce_start",
    "first_person",
    "publisher",
    "own_use",
    "list_item",
    "list_joiner",
    "conversion_gap",
    "founding",
    "dateline",
    "price_clause",
    "bought_by",
    "company_noun",
    "pays",
    "reporter_before",
    "reporter_after",
    "speaker",
)


def _regex(pattern: str, flags: int = 0) -> regex.Pattern[str]:
    """Compile a YAML pattern, case-insensitive, with the ``regex`` module (twice as fast as ``re`` on these
    long alternations, same syntax and matches); a line break folded after ``|`` is not part of the pattern.
    Chinese words are written in simplified characters and also match their traditional forms."""
    pattern = _traditional(re.sub(r"\|\s+", "|", pattern.strip()))
    return regex.compile(_factored(pattern), regex.IGNORECASE | regex.VERSION0 | flags)


_KEPT = r"\\.|\[\^?\]?(?:\\.|[^\]])*\]"  # an escape or a character set: a pattern's atoms read whole
_HAN = re.compile(rf"{_KEPT}|(?P<han>[\u3400-\u9fff]+(?![?*+{{])|[\u3400-\u9fff])", re.DOTALL)


def _traditional(pattern: str) -> str:
    """A pattern whose Chinese words (outside character sets; a quantified character alone) also match their
    traditional forms, in Taiwan's usage too ("数据中心": "數據中心", "資料中心")."""

    def forms(m: re.Match[str]) -> str:
        word = m.group("han")
        if not word:
            return m.group()
        variants = list(dict.fromkeys([word, *(convert(word) for convert in _converters())]))
        return word if len(variants) == 1 else f"(?:{'|'.join(variants)})"

    return _HAN.sub(forms, pattern)


@cache
def _converters() -> tuple:
    from opencc import OpenCC

    return OpenCC("s2t").convert, OpenCC("s2twp").convert


_ATOM = re.compile(rf"{_KEPT}|[()|]|[^\\\[()|]+", re.DOTALL)


def _alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of a pattern (escapes, character sets and groups kept whole)."""
    out, depth, start = [], 0, 0
    for m in _ATOM.finditer(pattern):
        token = m.group()
        depth += (token == "(") - (token == ")")
        if token == "|" and depth == 0:
            out.append(pattern[start : m.start()])
            start = m.end()
    return out + [pattern[start:]]


def _factored(pattern: str) -> str:
    """The same pattern with each run of consecutive alternatives that start at a word boundary sharing one
    ``\\b`` (``\\ba|\\bb|c`` is ``\\b(?:a|b)|c``): same matches in the same order of preference, but the boundary
    is tested once per position instead of once per alternative (twice as fast on the cue lists)."""
    out = []
    for bounded, group in groupby(_alternatives(pattern), key=lambda a: a.startswith("\\b")):
        alts = list(group)
        out += [f"\\b(?:{'|'.join(a[2:] for a in alts)})"] if bounded else alts
    return "|".join(out)


def _load(name: str) -> dict:
    return yaml.safe_load(resources.files("ingest").joinpath(f"data/{name}").read_text("utf-8"))


def _fill(pattern: str, data: dict) -> str:
    """A pattern with the shared fragments of rules.yaml written in (``{compute_objects}``, ``{not_a_company}``,
    ``{valued}``, then the ``{sentence_char}`` they may hold)."""
    for name in ("compute_objects", "not_a_company", "valued", "sentence_char"):
        pattern = pattern.replace(f"{{{name}}}", data[name])
    return pattern


@cache
def vocabulary() -> dict:
    """data/rules.yaml with its patterns compiled."""
    data = _load("rules.yaml")
    cues = {k: _fill(p, data) for k, p in data["kind_cues"].items()}
    compiled = {key: _regex(_fill(data[key], data)) for key in _PLAIN}
    compiled["instruction"] = _regex(data["instruction"], regex.MULTILINE)
    return {
        **data,
        **compiled,
        "kind_cues": {k: _regex(p) for k, p in cues.items()},
        "overrides": [(o["kind"], _regex(_fill(o["cue"], data))) for o in data["clause_overrides"]],
        "holding": _regex(data["stake_value"]["holding"]),
        "head_gap": _regex(data["head_gap"]),
        "head_skip": _regex(data["head_skip"]),
        "rights_generic": _regex(data["rights_generic"]),
        "unit_price": {k: _regex(p) for k, p in data["unit_price"].items()},
        "change_percent": {k: _regex(p) for k, p in data["change_percent"].items()},
        "buy_company": {k: _regex(p) for k, p in data["buy_company"].items()},
        "stake_price": {k: _regex(p) for k, p in data["stake_price"].items()},
        "lead_in": {k: _regex(_fill(p, data)) for k, p in data["lead_in"].items()},
        "slots": {k: _regex(_fill(p, data)) for k, p in data["slots"].items()},
        "stand_ins": {k: _regex(p) for k, p in data["stand_ins"].items()},
        "rights": {k: _regex(p) for k, p in data["rights"].items()},
        "status": [(k, _regex(p)) for k, p in data["status"].items()],
        "clause": re.compile(data["clause_delimiters"]),
        "short_form_tail": re.compile(rf"\s+(?:{'|'.join(map(re.escape, data['short_form_tails']))})$"),
        "types": {name: t for t, names in data["party_types"].items() for name in names},
        "deal": _regex("|".join(list(cues.values()) + list(data["rights"].values()))),
    }


@cache
def any_pattern() -> regex.Pattern[str]:
    """Every partnership pattern's cues in one pattern: a sentence it does not match shows none of them."""
    return _regex("|".join(f"(?:{p['any'].pattern})" for p in taxonomy()))


@cache
def taxonomy() -> list[dict]:
    """The partnership patterns of data/patterns.yaml, each phase's cues compiled, and ``any``: all of them in
    one pattern (it matches where one of them does)."""
    out = []
    for p in _load("patterns.yaml")["patterns"]:
        phases = p.get("phases") or {None: {"cues": p["cues"]}}
        for phase, spec in phases.items():
            cues = [_regex(c) for c in spec["cues"]]
            out.append({"id": p["id"], "phase": phase, "cues": cues, "any": _regex("|".join(spec["cues"]))})
    return out
