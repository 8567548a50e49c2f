"""Find the figures an article states: money, percentages, power (GW), counts (chips, shares, people), years.

The vocabulary (scales, currencies, units, hedge words in English, Spanish, German and Chinese) lives in
``data/figures.yaml``. Values are in base units: currency amounts in units of the currency (``unit`` is its
ISO code, e.g. ``USD``), percent 0-100, ``GW`` (megawatts are converted), counts of ``chips``, ``shares`` and
``people``, ``year``.

Decisions:

* A range ("$2-4 billion", "$2-$4 billion", "50-60%", "2019-2025"; a currency sign on the high end only with one
  on the low end, so "2025 to $5 billion" is a year and an amount) sets ``value_low``/``value_high``; ``value`` is
  the high end, as the dev sets label a range ("1-4 GWe" is 4 GW). ``qualifier`` is ``range`` unless a hedge word
  precedes it ("an estimated 12-18%" -> ``estimate``); a figure is a range exactly when ``value_low`` is set.
* Year ranges ("2019-2025", "2024-25") are one figure with unit ``year``, low and high years; its value is the
  first year (when the span starts).
* Years are bare four-digit numbers in the configured span; they carry no hedge words, and a bare year-like
  number before a chip word ("in 2024 Nvidia chips") is read as a year, not as a count.
* Scaled numbers without a unit ("200 million users") are figures with ``unit=None``; bare numbers
  ("GPT-4", "18-36 months") and single-letter scales without a unit ("70B parameters") are not figures.
* "¥" alone is JPY; Chinese amounts in 元/人民币/RMB are CNY. "billion"/"Billion" is 1e9; the German
  "Billionen" and Spanish "billón" are 1e12.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from . import prefilter

LATIN = "A-Za-z\u00c0-\u024f"
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


@dataclass(frozen=True)
class Figure:
    """One figure mention; ``start``/``end`` are offsets into the parsed string, ``text`` its surface."""

    start: int
    end: int
    text: str
    value: float | None
    unit: str | None
    qualifier: str
    value_low: float | None
    value_high: float | None


@dataclass(frozen=True)
class _Vocab:
    pattern: re.Pattern[str]
    may_hold: re.Pattern[str]  # a digit, 百分之 or a number word before a scale: what every figure has
    starts: re.Pattern[str]  # what a figure may start with: a hedge word, "between", 百分之, a currency, a number
    scales: dict[str, tuple[float, str]]  # key -> (factor, language)
    prefixes: dict[str, str]
    suffixes: dict[str, tuple[str, str]]  # key -> (ISO code, language)
    units: dict[str, tuple[str, float]]  # key -> (unit, factor)
    number_words: dict[str, float]
    qualifiers: dict[str, str]
    suffix_qualifiers: dict[str, str]
    decimal_comma: frozenset[str]
    years: tuple[int, int]
    tolerance: float
    counted: frozenset[str]  # units that count things (chips, shares, people)
    range_gap: re.Pattern[str]  # what stands between the ends of a range that both carry the unit ("2 GW-3 GW")
    between_gap: re.Pattern[str]  # ... after "between" ("between 840 MW and 1,200 MW")
    between_words: frozenset[str]


def _key(surface: str) -> str:
    """Lookup key of a surface form: case-folded, runs of spaces and hyphens as one space."""
    return re.sub(r"[\s\-]+", " ", surface.strip()).casefold()


def _alt(surfaces: Any) -> str:
    """Regex alternation of surfaces, longest first; Latin words get word boundaries."""
    latin, other = [], []
    for s in sorted(set(surfaces), key=len, reverse=True):
        p = r"[\s\-]+".join(re.escape(w) for w in s.split())
        if re.search(f"[{LATIN}]$", s):
            p += f"(?![{LATIN}])"
        (latin if re.match(f"[{LATIN}]", s) else other).append(p)
    # One left boundary for all Latin words: checking it once per position keeps the scan fast.
    branches = [f"(?<![{LATIN}])(?:{'|'.join(latin)})"] if latin else []
    return "(?:" + "|".join(branches + other) + ")"


@cache
def _vocab() -> _Vocab:
    data = yaml.safe_load(resources.files("ingest").joinpath("data/figures.yaml").read_text("utf-8"))
    scales = {_key(s): (float(f), lang) for lang, table in data["scales"].items() for s, f in table.items()}
    letters = [s for s in scales if len(s) == 1 and s.isascii()]
    words = [s for lang, t in data["scales"].items() for s in t if _key(s) not in letters]
    suffixes = {_key(s): (c, lang) for lang, t in data["currency_suffixes"].items() for s, c in t.items()}
    units = {_key(s): (u, float(f)) for u, t in data["units"].items() for s, f in t.items()}
    counted = set(data["counted_units"])
    count_words = [s for u in counted for s in data["units"][u]]
    other_units = [s for u, t in data["units"].items() if u not in counted for s in t]
    quals = {_key(w): q for q, ws in data["qualifiers"].items() for w in ws}
    sfx_quals = {_key(w): q for w, q in data["suffix_qualifiers"].items()}
    # a capital M, B or T one space after the digits is a scale too ("$80 M"), never before a word ("5 M&A")
    scale = rf"(?:\s*{_alt(words)}|{_alt(letters)}|(?<=\d)\s(?-i:[MBT])(?![{LATIN}&]))"
    num = r"(?:\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3}(?!\d))+|\d+)(?:[.,]\d+)*"
    # "and" joins the ends of a range only after "between" ("between $2 billion and $3 billion").
    between = rf"(?(between)\s+{_alt(data['between']['joiners'])}\s+|(?!))"
    spaced = [w for w in data["range_words"] if re.fullmatch(f"[{LATIN}]+", w)]
    touching = [w for w in data["range_words"] if w not in spaced]
    sep = rf"(?:\s*[-–—]\s*|\s+{_alt(spaced)}\s+|\s*{_alt(touching)}\s*|{between})"
    prefix = _alt(data["currency_prefixes"])
    # A currency code may touch its digits ("RMB5bn"); any other letter before a number rules it out.
    codes = "".join(f"|(?<={re.escape(c)})" for c in data["currency_prefixes"] if re.fullmatch(f"[{LATIN}]+", c))
    word_units = [s for u in data["number_word_units"] for s in data["units"][u] if re.fullmatch(r"[^\W\d]{3,}", s)]
    number_word = rf"{_alt(data['number_words'])}(?=\s+(?:{_alt(words)}|{_alt(word_units)}))"
    model = rf"(?:(?-i:[A-Z0-9])(?=[\w.\-]*[A-Za-z])[\w.\-]*|[^\W\d_]+(?:-[^\W\d_]+)+|{_alt(data['count_adjectives'])})"
    models = rf"(?P<models>(?:{model}\s+){{0,{int(data['count_model_words'])}}})"
    hedge, between_word = _alt(quals), _alt(data["between"]["words"])  # also two of what `starts` lists
    pattern = rf"""
        (?:(?P<qual>{hedge})[\s\-]*)?
        (?:(?P<between>{between_word})\s+)?
        (?:
            百分之(?P<cnpct>[零〇一二两三四五六七八九十百点.\d]+)
          | (?:(?P<cur>{prefix})\s?)?
            (?:(?P<lead>{num})\s?(?P<leadscale>{_alt(data["compound_leads"])})\s?(?=\d))?
            (?:(?<![0-9.,])(?:(?<![{LATIN}]){codes})(?P<num>{num})
              |(?P<word>{number_word}))
            (?P<plus>\+)?
            (?:(?P<scale1>{scale})(?={sep}(?:{prefix})?\s?{num}{scale}))?
            (?:(?P<sep>{sep})(?(cur)(?P<cur2>{prefix})?)\s?(?P<num2>{num}))?
            (?P<scale>{scale})?
            (?:\s*(?P<suffix>{_alt(suffixes)})|(?:\s*|-)(?P<unit>{_alt(other_units)})|(?:\s*|-|\s+d['’]){models}(?:(?-i:[A-Z])[\w.]*-)?(?P<count>{_alt(count_words)}))?
        )
        (?:\s*(?P<squal>{_alt(sfx_quals)}))?
    """
    return _Vocab(
        pattern=re.compile(pattern, re.IGNORECASE | re.VERBOSE),
        may_hold=re.compile(rf"\d|百分之|{number_word}", re.IGNORECASE | re.VERBOSE),
        starts=re.compile(rf"{hedge}|{between_word}|百分之|{prefix}|\d|{number_word}", re.IGNORECASE),
        scales=scales,
        prefixes={_key(s): c for s, c in data["currency_prefixes"].items()},
        suffixes=suffixes,
        units=units,
        number_words={_key(w): float(v) for w, v in data["number_words"].items()},
        qualifiers=quals,
        suffix_qualifiers=sfx_quals,
        decimal_comma=frozenset(data["decimal_comma_languages"]),
        years=tuple(data["years"]),
        tolerance=float(data["value_tolerance"]),
        counted=frozenset(counted),
        range_gap=re.compile(rf"(?:\s*[-–—]\s*|\s+{_alt(spaced)}\s+|\s*{_alt(touching)}\s*)", re.IGNORECASE),
        between_gap=re.compile(rf"\s+{_alt(data['between']['joiners'])}\s+", re.IGNORECASE),
        between_words=frozenset(_key(w) for w in data["between"]["words"]),
    )


def _number(s: str, dot_thousands: bool) -> float:
    """Parse digits with thousands and decimal separators (see figures.yaml for the rules)."""
    s = "".join(s.split())
    if "," in s and "." in s:
        cut = max(s.rfind(","), s.rfind("."))
        return float(re.sub(r"[.,]", "", s[:cut]) + "." + s[cut + 1 :])
    sep = "," if "," in s else "."
    parts = s.split(sep)
    if len(parts) > 2 or (len(parts) == 2 and len(parts[1]) == 3 and (sep == "," or dot_thousands)):
        return float("".join(parts))
    return float(s.replace(",", "."))


def _chinese_number(s: str) -> float | None:
    """Parse a Chinese numeral such as 二十七 or 三点五 (digits allowed); None if malformed."""
    whole, _, frac = s.replace("点", ".").partition(".")
    total, digit = 0, None
    for ch in whole:
        if ch.isdigit() or ch in _CN_DIGITS:
            digit = int(ch) if ch.isdigit() else _CN_DIGITS[ch]
        elif ch in "十百":
            total += (1 if digit is None else digit) * (10 if ch == "十" else 100)
            digit = None
        else:
            return None
    total += digit or 0
    decimals = "".join(str(_CN_DIGITS.get(c, c)) for c in frac)
    return float(f"{total}.{decimals}") if decimals.isdigit() else float(total)


def _year(m: re.Match[str], v: _Vocab) -> Figure | None:
    """A year or a year range ("2019-2025", "2024-25") from a bare number match, else None."""
    lo, hi = v.years
    a, b = m.group("num"), m.group("num2")
    if not a or not a.isdigit() or len(a) != 4 or not lo <= int(a) <= hi:
        return None
    end, low, high = m.end("num"), float(a), None
    if b is not None:
        high = float(b) if len(b) == 4 else float(a[:2] + b) if len(b) == 2 and b.isdigit() else -1.0
        if not b.isdigit() or not low < high <= hi:
            return None
        end = m.end("num2")
    if re.match(rf"[{LATIN}0-9%]", m.string[end : end + 1]):
        return None
    start = m.start("num")
    bounds = (low, high) if high is not None else (None, None)
    return Figure(start, end, m.string[start:end], low, "year", "range" if high is not None else "exact", *bounds)


def _figure(m: re.Match[str], v: _Vocab) -> Figure | None:
    """Turn one pattern match into a Figure, or None when it is not a figure."""
    g = m.groupdict()
    if g["cnpct"]:
        value = _chinese_number(g["cnpct"])
        if value is None:
            return None
        return _make(m, v, value, None, "percent")
    scale_key = _key(g["scale"] or "")
    factor, lang = v.scales.get(scale_key, (1.0, ""))
    unit, unit_factor = None, 1.0
    if g["cur"] or g["suffix"]:
        unit = v.prefixes[_key(g["cur"])] if g["cur"] else v.suffixes[_key(g["suffix"])][0]
        lang = lang or (v.suffixes[_key(g["suffix"])][1] if g["suffix"] else "")
    elif g["unit"]:
        unit, unit_factor = v.units[_key(g["unit"])]
    elif g["count"]:
        year = None if g["scale"] or g["num2"] else _year(m, v)
        if year:
            return year
        unit = v.units[_key(g["count"])][0]
    elif not g["scale"] or len(scale_key) == 1:
        return _year(m, v)
    dot_thousands = lang in v.decimal_comma or unit in v.counted
    low = v.number_words[_key(g["word"])] if g["word"] else _number(g["num"], dot_thousands)
    if g["lead"]:
        low += _number(g["lead"], dot_thousands) * v.scales[_key(g["leadscale"])][0] / factor
    if g["num2"] is None:
        return _make(m, v, low * factor * unit_factor, None, unit)
    factor1 = v.scales[_key(g["scale1"])][0] if g["scale1"] else factor
    high = _number(g["num2"], dot_thousands) * factor * unit_factor
    low *= factor1 * unit_factor
    return _make(m, v, low, high, unit) if low <= high else None


def _make(m: re.Match[str], v: _Vocab, value: float, high: float | None, unit: str | None) -> Figure:
    """Build the Figure for a match, with its hedge (prefix word, then suffix, then range)."""
    g = m.groupdict()
    qualifier = v.qualifiers.get(_key(g["qual"] or "")) or v.suffix_qualifiers.get(_key(g["squal"] or ""))
    if not qualifier and g["plus"]:
        qualifier = "more_than"
    qualifier = qualifier or ("range" if high is not None else "exact")
    if high is None:
        return Figure(m.start(), m.end(), m.group(), _digits(value), unit, qualifier, None, None)
    return Figure(m.start(), m.end(), m.group(), _digits(high), unit, qualifier, _digits(value), _digits(high))


def _digits(x: float) -> float:
    """``x`` to 12 significant digits: what a text can state, without the float noise of scaling ("$4.1 billion"
    is 4100000000, not 4099999999.9999995; "835 MW" is 0.835 GW)."""
    return float(f"{x:.12g}")


def parse_figures(text: str) -> list[Figure]:
    """Every figure mention in ``text``, in order and non-overlapping: the full pattern's matches, tried only
    where a figure may start (it is slow to try at every character) and never in a text without a digit or
    number word."""
    v = _vocab()
    if not v.may_hold.search(text):
        return []
    found = [f for m in prefilter.finditer(v.pattern, v.starts, text) if (f := _figure(m, v)) is not None]
    return _joined(found, text, v)


def _joined(found: list[Figure], text: str, v: _Vocab) -> list[Figure]:
    """Figures with two that are the ends of one range, each with its unit ("between 840 MW and 1,200 MW",
    "10%-15%"), joined into that range; the pattern reads a range whose unit is written once. "From 300 MW to 960
    MW" is a change, not a range."""
    out: list[Figure] = []
    for f in found:
        a = out[-1] if out else None
        if a is not None and _range_ends(a, f, text, v):
            qualifier = a.qualifier if a.qualifier != "exact" else "range"
            f = Figure(a.start, f.end, text[a.start : f.end], f.value, f.unit, qualifier, a.value, f.value)
            out.pop()
        out.append(f)
    return out


def _range_ends(a: Figure, b: Figure, text: str, v: _Vocab) -> bool:
    """True when ``a`` and ``b``, two plain figures of one unit, the lower first, are the ends of one range."""
    if a.unit != b.unit or a.unit in (None, "year") or a.value_low is not None or b.value_low is not None:
        return False
    if not (a.value is not None and b.value is not None and a.value < b.value):
        return False
    if text[max(0, a.start - 5) : a.start].casefold().rstrip().endswith("from"):
        return False
    gap = text[a.end : b.start]
    between = v.between_gap.fullmatch(gap) and _key(a.text.split()[0]) in v.between_words
    return bool(v.range_gap.fullmatch(gap) or between)


def mentions_value(quote: str, value: float, unit: str | None) -> bool:
    """True when ``quote`` states ``value`` in ``unit`` (as a figure or a range end; years exactly)."""
    tolerance = 0.0 if unit == "year" else _vocab().tolerance
    for f in parse_figures(quote):
        if f.unit != unit:
            continue
        for x in (f.value, f.value_low, f.value_high):
            if x is not None and abs(x - value) <= tolerance * max(abs(x), abs(value)):
                return True
    return False


@cache
def currency_codes() -> frozenset[str]:
    """The ISO codes of the currencies the vocabulary knows ("AUD" is a currency, not a company)."""
    return frozenset(_vocab().prefixes.values()) | frozenset(c for c, _ in _vocab().suffixes.values())


def unit_class(unit: str | None) -> str:
    """The class of a unit: ``percent``, ``GW``, ``year``, a counted unit (``chips``, ``shares``, ``people``),
    ``money`` (any currency) or ``none``."""
    if unit is None:
        return "none"
    return unit if unit in ("percent", "GW", "year") or is_count(unit) else "money"


def is_count(unit: str | None) -> bool:
    """True for a unit that counts things: ``chips``, ``shares``, ``people``."""
    return unit in _vocab().counted


def claim_fields(f: Figure | None) -> dict:
    """The claim fields a figure decides (value, unit, range ends, qualifier); none without a figure."""
    if f is None:
        return {}
    return {
        "value": f.value,
        "unit": f.unit,
        "value_low": f.value_low,
        "value_high": f.value_high,
        "qualifier": f.qualifier,
    }
