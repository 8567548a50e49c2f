"""Detect facts and conflicts in claims: the pure core of the fact ledger (no database).

Claims are grouped by fact base (kind, parties, unit family, facet), split into time windows, and the values
of each window are clustered in one pass over their sorted order; two or more clusters are a conflict. For
attribution, the facts not in conflict of every subject with the same counterparty, family and facet (a scope)
are compared. The result does not depend on the order facts are read in.
"""

from __future__ import annotations

import gc
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, Field
from tabulate import tabulate

from . import currency
from .aliases import canonical

STATUSES = ("agreed", "single_source", "conflicting", "superseded")
_BOUNDS = ("soft", "upper", "lower", "range")  # claims placed on the sides the exact values form
_HEDGES = ("upper", "lower", "range")


@dataclass(frozen=True)
class Config:
    """The thresholds, vocabularies and windows of conflicts.yaml."""

    tolerance: float
    qualifiers: dict
    unit_families: dict
    absolute_tolerance: dict
    event_kinds: frozenset
    symmetric_kinds: frozenset
    time_windows: dict
    supersede_kinds: frozenset
    attribution_kinds: frozenset
    facets: tuple
    states: dict
    ranking: dict
    cue_words: tuple  # every cue, lower case: a cheap substring test before the word-boundary patterns
    facet_statuses: frozenset
    currencies: dict
    magnitude: dict
    party_remarks: re.Pattern
    party_suffixes: frozenset
    second_level: frozenset  # second-level labels of country domains (co.uk): a publisher keeps three labels
    unnamed_parties: frozenset
    descriptors: frozenset  # words of a counterparty that describes where money goes ("ecosystem", "campus")
    fillers: frozenset  # words cut with them ("AI", "en")
    min_digits: int  # exact figures of this many significant digits disagree beyond their last digit
    max_digits: int  # ... up to this many (longer values are conversions or means, not stated figures)
    change_months: int  # dated sides this many months apart are successive states
    slip_years: int  # the same figure dated to one month of years at most this far apart: a date conflict
    periods: tuple  # (period name, cue pattern)
    period_words: tuple  # every period cue, lower case: a cheap substring test
    streams: tuple  # (revenue stream, cue pattern): what a share is of
    stream_words: tuple  # every stream cue, lower case: a cheap substring test
    stream_denied: re.Pattern  # text before a cue that denies it ("rather than ad revenue")
    target_year: re.Pattern  # "by 2035": the year is group 1
    decade_end: re.Pattern  # "by the end of the decade"
    running_totals: re.Pattern  # a figure that only grows: ARR, funding to date
    running_words: tuple  # its cues, lower case: a cheap substring test


def _cue_pattern(cues: Iterable[str]) -> re.Pattern:
    words = sorted((re.escape(c) for c in cues), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.IGNORECASE)


@cache
def load_config(path: str | None = None) -> Config:
    """Read conflicts.yaml (the packaged one unless a path is given)."""
    text = Path(path).read_text() if path else resources.files("ingest.data").joinpath("conflicts.yaml").read_text()
    raw = yaml.safe_load(text)
    facets = tuple((f["name"], frozenset(f.get("deal_status", [])), _cue_pattern(f["cues"])) for f in raw["facets"])
    return Config(
        tolerance=float(raw["tolerance"]),
        qualifiers=raw["qualifiers"],
        unit_families=raw["unit_families"],
        absolute_tolerance=raw["absolute_tolerance"],
        event_kinds=frozenset(raw["event_kinds"]),
        symmetric_kinds=frozenset(raw["symmetric_kinds"]),
        time_windows=raw["time_windows"],
        supersede_kinds=frozenset(raw["supersede_kinds"]),
        attribution_kinds=frozenset(raw["attribution_kinds"]),
        facets=facets,
        states=raw["states"],
        ranking=raw["ranking"],
        cue_words=tuple({c.lower() for f in raw["facets"] for c in f["cues"]}),
        facet_statuses=frozenset(st for f in raw["facets"] for st in f.get("deal_status", [])),
        currencies=raw["currencies"],
        magnitude=raw["magnitude"],
        party_remarks=re.compile("|".join(raw["party_remarks"]), re.IGNORECASE),
        second_level=frozenset(raw["publishers"]["second_level"]),
        party_suffixes=frozenset(w.casefold() for w in raw["party_suffixes"]),
        unnamed_parties=frozenset(" ".join(w.casefold().split()) for w in raw["unnamed_parties"]),
        descriptors=frozenset(w.casefold() for w in raw["recipients"]["descriptors"]),
        fillers=frozenset(w.casefold() for w in raw["recipients"]["fillers"]),
        min_digits=int(raw["precision"]["min_digits"]),
        max_digits=int(raw["precision"]["max_digits"]),
        change_months=int(raw["change_over_time"]["min_months"]),
        slip_years=int(raw["date_slip"]["max_years"]),
        periods=tuple(
            (name, _period_pattern(cues, raw["periods"]["not_before"])) for name, cues in raw["periods"]["cues"].items()
        ),
        period_words=tuple({c.lower() for cues in raw["periods"]["cues"].values() for c in cues}),
        streams=tuple((name, _cue_pattern(cues)) for name, cues in raw["streams"]["cues"].items()),
        stream_words=tuple({c.lower() for cues in raw["streams"]["cues"].values() for c in cues}),
        stream_denied=re.compile(_cue_pattern(raw["streams"]["denied_after"]).pattern + r"\s+$", re.IGNORECASE),
        target_year=re.compile(raw["targets"]["year"], re.IGNORECASE),
        decade_end=re.compile(raw["targets"]["decade_end"], re.IGNORECASE),
        running_totals=_cue_pattern(raw["running_totals"]),
        running_words=tuple({c.lower() for c in raw["running_totals"]}),
    )


def _period_pattern(cues: list[str], not_before: list[str]) -> re.Pattern:
    after = "|".join(map(re.escape, not_before))
    return re.compile(_cue_pattern(cues).pattern + rf"(?!\s+(?:{after})\b)", re.IGNORECASE)


@dataclass(slots=True)
class _Claim:
    """A claim reduced to what comparison needs: its value as an interval, its source, its time."""

    id: int
    subject: str | None
    counterparty: str | None
    unit: str | None
    value: float | None
    lo: float
    hi: float
    bound: str  # point (exact), soft (approximate), upper, lower, range, state
    tol: float
    qualifier: str
    state: str | None
    source: str
    doc: str
    published: str | None
    as_of: str | None
    start: int | None  # as_of as months since year 0: first and last month it covers
    end: int | None
    rate: float = 1.0  # value of one unit in the base currency (money in another currency), else 1
    period: str = ""  # the period its quote names ("per year"), if any
    target: str = ""  # the target year its quote names ("by 2035"), if any
    running: bool = False  # its quote calls it a running total (ARR, funding to date)
    stream: str = ""  # the revenue stream its quote names ("subscription revenue"), if any
    conversion: bool = False  # the claim read by the conversion its source gives in brackets ("$500m (€385m)")


@dataclass(slots=True)
class _Side:
    """Claims whose values agree; its interval is the values all of them allow."""

    claims: list
    lo: float
    hi: float
    top: float  # largest point value, for single-linkage clustering
    tol: float
    sources: set = field(default_factory=set)
    points: int = 0
    stated: str = ""  # a side of several currencies: the amounts as stated, beside its value in the base currency

    def add(self, c: _Claim, intersect: bool) -> None:
        self.claims.append(c)
        self.sources.add(c.source)
        if c.bound == "point":
            self.points += 1
            self.top, self.tol, self.hi = c.value, max(self.tol, c.tol), max(self.hi, c.hi)
        elif intersect:
            self.lo, self.hi = max(self.lo, c.lo), min(self.hi, c.hi)

    @property
    def value(self) -> float | None:
        """The consensus: the most stated value of the exact claims (else of the points, else of all)."""
        vals = (
            [c.value for c in self.claims if c.bound == "point" and c.qualifier == "exact"]
            or [c.value for c in self.claims if c.bound in ("point", "soft")]
            or [c.value for c in self.claims if c.value is not None]
        )
        modes = statistics.multimode(vals)
        return modes[0] if len(modes) == 1 else _median(vals)


@dataclass(slots=True)
class _Fact:
    key: str
    kind: str
    base: tuple  # (kind, subject, counterparty, family, facet), normalised
    claims: list
    sides: list
    states: list
    label: str
    status: str = ""
    value: float | None = None
    group: int | None = None  # index into the groups list while detecting
    start: int | None = None
    end: int | None = None
    sources: set = field(default_factory=set)
    tol: float = 0.0
    state: str | None = None
    unit: str | None = None  # the unit of value and sides: the claims' unit, or the base currency when they mix
    slip: str = ""  # currency: the same figure stated in two currencies


class Side(BaseModel):
    """One side of a conflict: claims whose values agree."""

    value: float | None = Field(description="The side's consensus value.")
    label: str = Field(description="The side in words ('$13.0B', 'up to 2 GW', a state, a subject).")
    qualifiers: list[str] = Field(description="The qualifiers its claims state the value with.")
    subject: str | None = Field(description="The subject as its first claim names it.")
    counterparty: str | None = Field(description="The counterparty as its first claim names it.")
    support: int = Field(description="Independent sources stating it.")
    claim_ids: list[int] = Field(description="Its claims, by id.")
    doc_ids: list[str] = Field(description="The documents of its claims.")
    conversions: list[int] = Field(
        default_factory=list, description="Its claims read by the conversion their source gives in brackets."
    )


class Fact(BaseModel):
    """One fact of the ledger: the claims of a fact base in one time window, and what they agree on."""

    key: str = Field(description="The fact base and its window, joined by '|'.")
    kind: str = Field(description="The claim kind (investment, valuation, ...).")
    subject: str | None = Field(description="As its first claim names it.")
    counterparty: str | None = Field(description="As its first claim names it.")
    unit: str | None = Field(description="The unit of the value (the base currency when its claims mix).")
    as_of: str | None = Field(description="The latest date its dated claims state.")
    value: float | None = Field(description="The consensus value (the majority's, in conflict).")
    status: str = Field(description="One of STATUSES.")
    support: int = Field(description="Independent sources stating it.")
    first_seen: str | None = Field(description="The earliest publication date of its claims.")
    last_seen: str | None = Field(description="The latest publication date of its claims.")
    claim_ids: list[int] = Field(description="Its claims, by id.")
    conflict_group: int | None = Field(description="The id of its conflict group, if any.")
    note: str | None = Field(description="Why sources that agree still differ (qualifiers, states), if they do.")
    scope: str | None = Field(description="The facts detection compares it with (fact_scope); None until rebuilt.")
    base: str | None = Field(description="Its fact base, joined by '|'; None until rebuilt.")


class ConflictGroup(BaseModel):
    """Facts that disagree, as sides, with the disagreement in words and its rank."""

    id: int = Field(description="Its rank from 1 as detected; a stable id once stored.")
    fact_key: str = Field(description="The key of the fact (or the scope) in conflict.")
    disagreement: str = Field(
        description="value, date, qualifier, magnitude, period, target, stream, currency, attribution or decline."
    )
    reason: str = Field(description="The disagreement in one line.")
    majority_value: float | None = Field(description="The value of the best supported side, if one leads.")
    spread: float = Field(description="How far apart the sides are (relative, or years).")
    sides: list[Side] = Field(description="Best supported first.")
    scope: str | None = Field(description="The scope detection compared in; None until rebuilt.")
    rank: float | None = Field(description="How large the disagreement is (groups come largest first).")
    support: int | None = Field(description="Independent sources over all sides.")


class Ledger(BaseModel):
    """What detection produces: the facts and the conflict groups, in rank order."""

    facts: list[Fact]
    groups: list[ConflictGroup]


# ---------------------------------------------------------------- reading claims


@cache
def _months(as_of: str | None) -> tuple[int, int] | tuple[None, None]:
    """First and last month an as_of (YYYY, YYYY-MM or YYYY-MM-DD) covers; (None, None) when unreadable."""
    m = re.match(r"^\s*(\d{4})(?:-(\d{1,2}))?", as_of or "")
    if not m:
        return None, None
    year = int(m.group(1)) * 12
    if m.group(2) and 1 <= int(m.group(2)) <= 12:
        return year + int(m.group(2)) - 1, year + int(m.group(2)) - 1
    return year, year + 11


def _facet(row: dict, cfg: Config) -> str:
    status, quote = row.get("deal_status"), row.get("quote") or ""
    lower = quote.lower()
    if status not in cfg.facet_statuses and not any(map(lower.__contains__, cfg.cue_words)):
        return ""
    for name, statuses, cues in cfg.facets:
        if status in statuses or cues.search(quote):
            return name
    return ""


def _source(r: dict) -> str:
    """The independent source of a claim: the publisher of its document (of the original, for a near-duplicate
    copy), read from the domain of its URL, else from its site; else the document itself."""
    url, site = r.get("source_url"), r.get("source_site")
    publisher = (url and _domain(url)) or (site and " ".join(site.casefold().split()))
    return publisher or r.get("source_id") or r["doc_id"]


@cache
def _domain(url: str) -> str:
    """The registrable domain of a URL: news.example.com and www.example.com are example.com; a country's
    second level (bbc.co.uk, abc.net.au) keeps three labels."""
    host = (urlsplit(url).hostname or "") if "//" in url else ""
    labels = [part for part in host.casefold().split(".") if part]
    if len(labels) < 2:
        return host.casefold()
    second = load_config().second_level
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in second else 2
    return ".".join(labels[-keep:])


def _period(quote: str | None, cfg: Config) -> str:
    lower = (quote or "").lower()
    if not any(map(lower.__contains__, cfg.period_words)):
        return ""
    return next((name for name, cues in cfg.periods if cues.search(quote)), "")


def _running(quote: str | None, cfg: Config) -> bool:
    lower = (quote or "").lower()
    return any(map(lower.__contains__, cfg.running_words)) and bool(cfg.running_totals.search(quote))


def _stream(quote: str | None, cfg: Config) -> str:
    """The revenue stream the quote says a figure or share is of, skipping one it denies ("rather than ad
    revenue")."""
    lower = (quote or "").lower()
    if not any(map(lower.__contains__, cfg.stream_words)):
        return ""
    for name, cues in cfg.streams:
        if any(not cfg.stream_denied.search(quote[: m.start()]) for m in cues.finditer(quote or "")):
            return name
    return ""


DECADE_END = "the end of the decade"  # an undated "by the end of the decade": some year ending in 0, not 2035


def _target(quote: str | None, when: str | None, cfg: Config) -> str:
    """The year by which the quote says its figure is reached: "by 2035", or the end of the decade of ``when``
    (``DECADE_END`` when undated)."""
    if not quote or "by " not in quote.lower():
        return ""
    if m := cfg.target_year.search(quote):
        return m.group(1)
    if not cfg.decade_end.search(quote):
        return ""
    year = _months(when)[0]
    return DECADE_END if year is None else str(year // 120 * 10 + 10)


def _family(unit: str | None, cfg: Config) -> str:
    if unit in cfg.unit_families:
        return cfg.unit_families[unit]
    return cfg.currencies["family"] if currency.known(unit) else unit or ""


def _interval(row: dict, v: float, family: str, cfg: Config) -> tuple[str, float, float, float]:
    """(bound, lo, hi, tolerance) of a claim's value ``v`` under its qualifier."""
    q = cfg.qualifiers.get(row.get("qualifier") or "exact", cfg.qualifiers["exact"])
    bound = q["bound"]
    absolute = cfg.absolute_tolerance.get(family)
    tol = absolute if absolute is not None else float(q.get("tolerance", cfg.tolerance))
    if bound == "range":
        lo, hi = row.get("value_low"), row.get("value_high")
        lo, hi = (v if lo is None else lo), (v if hi is None else hi)
        return ("range", lo, hi, tol) if lo is not None and hi is not None else ("point", v, v, tol)
    if bound == "upper":
        return "upper", -math.inf, v, tol
    if bound == "lower":
        return "lower", (math.nextafter(v, math.inf) if q.get("strict") else v), math.inf, tol
    pad = tol if absolute is not None else tol * abs(v)
    if bound == "below":
        return "soft", v - pad, v, tol
    return ("soft" if "tolerance" in q else "point"), v - pad, v + pad, tol


@cache
def _party(name: str | None, recipient: bool = False) -> str:
    """A party as the key spells it: its canonical name (alias table) once remarks are cut ("Amazon (AWS)",
    "Amazon (lead) with Ken Griffin": Amazon), case and spacing folded. A ``recipient`` (counterparty) that
    describes where money goes is the name in it ("UK AI startup ecosystem": UK)."""
    if not name:
        return ""
    cfg = load_config()
    bare = cfg.party_remarks.sub("", name).strip() or name
    if " ".join(bare.casefold().split()) in cfg.unnamed_parties:
        return ""
    known = canonical(bare) or canonical(name)
    if not known:
        words = bare.split()
        if recipient and any(w.casefold() in cfg.descriptors for w in words):
            words = [w for w in words if w.casefold() not in cfg.descriptors | cfg.fillers] or words
        while len(words) > 1 and words[-1].casefold().rstrip(",") in cfg.party_suffixes:
            words.pop()
        known = " ".join(words).rstrip(",")
    return " ".join(known.split()).casefold()


def fact_base(r: dict, cfg: Config) -> tuple[str, str, str, str, str]:
    """What a claim speaks of: (kind, subject, counterparty, unit family, facet), the parties canonical (the two
    parties of a symmetric kind in name order)."""
    kind = r["kind"]
    subject, counterparty = _party(r.get("subject")), _party(r.get("counterparty"), recipient=True)
    if kind in cfg.symmetric_kinds and counterparty < subject:
        subject, counterparty = counterparty, subject
    return kind, subject, counterparty, _family(r.get("unit"), cfg), _facet(r, cfg)


def fact_scope(base: tuple, cfg: Config) -> str:
    """The facts detection compares with those of a base: the base itself, and for attribution kinds the bases
    of every subject (the same figure for the same counterparty is compared across subjects)."""
    kind, subject, counterparty, family, facet = base
    return "|".join((kind, "*" if kind in cfg.attribution_kinds else subject, counterparty, family, facet))


def _read(rows: Iterable[dict], cfg: Config) -> dict[tuple, list[_Claim]]:
    """Claims grouped by (kind, subject, counterparty, unit family, facet); a claim with a conversion in
    brackets is read twice, as stated and as converted."""
    groups: dict[tuple, list[_Claim]] = defaultdict(list)
    for r in rows:
        base = fact_base(r, cfg)
        claim = _reading(r, base, cfg)
        groups[base].append(claim)
        unit, value = r.get("conversion_unit"), r.get("conversion_value")
        if value is not None and unit != claim.unit and claim.value is not None and _family(unit, cfg) == base[3]:
            converted = {**r, "unit": unit, "value": value, "value_low": None, "value_high": None}
            groups[base].append(_reading(converted, base, cfg, conversion=True))
    return groups


def _reading(r: dict, base: tuple, cfg: Config, conversion: bool = False) -> _Claim:
    """One reading of a claim row: its value as an interval, its rate to the base currency, its time."""
    kind, family = base[0], base[3]
    value = r.get("value")
    if value is None and r.get("value_low") is not None and r.get("value_high") is not None:
        value = (r["value_low"] + r["value_high"]) / 2
    if value is None:
        bound, lo, hi, tol = "state", 0.0, 0.0, 0.0
        state = cfg.states.get(r.get("deal_status"), cfg.states["default"])
    else:
        bound, lo, hi, tol = _interval(r, value, family, cfg)
        state = None
    start, end = (None, None) if kind in cfg.event_kinds else _months(r.get("as_of"))
    unit, base_currency = r.get("unit"), cfg.currencies["base"]
    rate = 1.0
    if family == cfg.currencies["family"] and unit != base_currency and value is not None:
        rate = currency.rate(unit, base_currency, r.get("as_of") or r.get("published")) or 1.0
    return _Claim(
        r["id"], r.get("subject"), r.get("counterparty"), r.get("unit"), value, lo, hi, bound, tol,
        r.get("qualifier") or "exact", state, _source(r), r["doc_id"],
        r.get("published"), r.get("as_of"), start, end, rate, _period(r.get("quote"), cfg),
        _target(r.get("quote"), r.get("as_of") or r.get("published"), cfg),
        _running(r.get("quote"), cfg), _stream(r.get("quote"), cfg), conversion,
    )  # fmt: skip


# ---------------------------------------------------------------- clustering


def _close(a: float, b: float, tol: float, absolute: bool) -> bool:
    gap = abs(b - a)
    return gap <= tol if absolute else gap <= tol * max(abs(a), abs(b))


@cache
def _precision(value: float) -> tuple[int, float]:
    """Significant digits of a stated value and the unit of its last one: 835 -> (3, 1), 1.25e9 -> (3, 1e7)."""
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    return len(digits), 10.0**exponent


def _distinct(a: float, b: float, digits: tuple[int, int]) -> bool:
    """Whether two exact figures stated precisely (between ``digits`` significant digits) are more than one
    unit of the coarser one's last digit apart: 835 vs 837 MW are two figures, not a rounding."""
    if not digits[0] or a == b:
        return False
    (na, ua), (nb, ub) = _precision(a), _precision(b)
    fewest, most = min(na, nb), max(na, nb)
    return digits[0] <= fewest and most <= digits[1] and abs(a - b) > max(ua, ub) * (1 + 1e-9)


def _wide(c: _Claim) -> bool:
    """Whether ``c`` is a range wider than its tolerance: "EUR 30-50bn" is not the EUR 50bn another source
    states flatly, nor the "1.4 GW" a page printed for "1-4 GW"; one source gives a figure, the other a range."""
    return c.bound == "range" and c.lo < c.hi * (1 - c.tol)


def _value_sides(claims: list[_Claim], absolute: bool, digits: tuple[int, int] = (0, 0)) -> list[_Side]:
    """Cluster exact values in one pass over their sorted order, then place each approximate or bounded claim
    on the side it is compatible with (the best supported), or on a side of its own when it fits none; so an
    approximate figure cannot bridge two exact figures that disagree. Two exact figures stated to ``digits``
    significant digits are apart when they differ beyond their last digit, however close."""
    sides: list[_Side] = []
    for c in sorted((c for c in claims if c.bound == "point"), key=lambda c: c.value):
        near = sides and _close(sides[-1].top, c.value, max(sides[-1].tol, c.tol), absolute)
        if not (near and (absolute or not _distinct(sides[-1].top, c.value, digits))):
            sides.append(_Side([], c.lo, c.hi, c.value, c.tol))
        sides[-1].add(c, intersect=False)
    for c in sorted((c for c in claims if c.bound in _BOUNDS), key=lambda c: (c.lo, c.hi)):
        fits = [s for s in sides if s.lo <= c.hi and c.lo <= s.hi and not (s.points and _wide(c))]
        if fits:
            best = max(fits, key=lambda s: (len(s.sources), s.points))
            best.add(c, intersect=not best.points)
        else:
            sides.append(_Side([], c.lo, c.hi, c.value, c.tol))
            sides[-1].add(c, intersect=True)
    return sides


def _state_sides(claims: list[_Claim]) -> list[_Side]:
    by_state: dict[str, _Side] = {}
    for c in claims:
        if c.bound == "state":
            by_state.setdefault(c.state, _Side([], 0.0, 0.0, 0.0, 0.0)).add(c, intersect=False)
    return list(by_state.values())


def _windows(items: list, window: int | None, absolute: bool, first_state: str | None = None) -> list[list]:
    """Split items (with start, end, value, state) into time windows of ``window`` months, anchored on the
    first item of each. An undated item joins the latest window it agrees with (value or state); else a value
    joins the latest window, and a state, which describes no moment, a window of its own: ``first_state`` (in
    force) before the dated windows, any other state (ended) after them."""
    if window is None:
        return [items]
    windows: list[list] = []
    for i in sorted((i for i in items if i.start is not None), key=lambda i: (i.start, i.end)):
        if windows and (i.start <= windows[-1][0].end or i.start - windows[-1][0].start < window):
            windows[-1].append(i)
        else:
            windows.append([i])
    reps = [(_median([i.value for i in w]), {i.state for i in w}) for w in windows]
    before: list = []
    after: list = []
    for i in items:
        if i.start is None:
            match = [n for n, (rep, states) in enumerate(reps) if _agrees(i, rep, states, absolute)]
            if match:
                windows[match[-1]].append(i)
            elif i.value is not None:
                (windows[-1] if windows else before).append(i)
            else:
                (before if i.state == first_state else after).append(i)
    return [w for w in (before, *windows, after) if w]


def _agrees(item, value: float | None, states: set, absolute: bool) -> bool:
    if item.value is None:
        return item.state in states
    return value is not None and _close(value, item.value, item.tol, absolute)


def _median(values: list) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------- facts and groups


def _facts(groups: dict[tuple, list[_Claim]], cfg: Config) -> list[_Fact]:
    facts = []
    for base, claims in groups.items():
        kind, family = base[0], base[3]
        absolute = family in cfg.absolute_tolerance
        window = None if kind in cfg.event_kinds else cfg.time_windows.get(kind)
        windows = _windows(claims, window, absolute, cfg.states["default"])
        if window is not None:
            windows = [part for w in windows for part in _successive(w, absolute, cfg)]
        for n, w in enumerate(windows):
            fact = _fact(base, w, absolute, cfg)
            status = "superseded" if kind in cfg.supersede_kinds and n < len(windows) - 1 else ""
            for part in _distinguished(fact, cfg):
                part.status = status
                facts.append(part)
    return facts


def _fact(base: tuple, claims: list[_Claim], absolute: bool, cfg: Config, suffix: str = "") -> _Fact:
    """The fact of one window's claims, its sides clustered (in the base currency when currencies mix)."""
    anchor = min((c for c in claims if c.start is not None), key=lambda c: c.start, default=None)
    label = anchor.as_of if anchor else (claims[0].state or "")  # undated states: "in force", "ended"
    key = "|".join((*base, label)) + suffix
    fact = _Fact(key, base[0], base, claims, [], _state_sides(claims), label, unit=claims[0].unit)
    if base[3] == cfg.currencies["family"] and any(c.unit != claims[0].unit for c in claims):
        fact.sides, fact.slip = _currency_sides(claims, cfg)
        fact.unit = cfg.currencies["base"]
    else:
        fact.sides = _value_sides(claims, absolute, (cfg.min_digits, cfg.max_digits))
    fact.start, fact.end = (anchor.start, anchor.end) if anchor else (None, None)
    fact.sources, fact.tol = {c.source for c in claims}, cfg.tolerance
    return fact


def _distinguished(fact: _Fact, cfg: Config) -> list[_Fact]:
    """A fact of one document whose claims disagree is as many facts as sides: figures an article gives side by
    side, and no other source gives, are facts it tells apart (a component and its total, the stages of a ramp,
    successive rounds). A decimal or unit slip between them stays one fact, to be flagged."""
    if len({c.doc for c in fact.claims}) > 1:
        return [fact]
    absolute = fact.base[3] in cfg.absolute_tolerance
    if any(c.conversion for c in fact.claims):  # a source's conversion is compared with other sources only
        fact = _fact(fact.base, [c for c in fact.claims if not c.conversion], absolute, cfg)
    sides = fact.sides
    if len(sides) < 2:
        return [fact]
    values = [s.value for s in sides if s.value]
    if fact.base[3] not in cfg.magnitude["never"] and any(
        _magnitude([a, b], cfg) for i, a in enumerate(values) for b in values[i + 1 :]
    ):
        return [fact]
    return [_fact(fact.base, s.claims, absolute, cfg, f"|={s.value:g}") for s in sides]


def _successive(claims: list[_Claim], absolute: bool, cfg: Config) -> list[list[_Claim]]:
    """A window's claims, split into successive states when its sides follow each other in time: every claim
    dated to the month, every claim of one side at least ``change_months`` before every claim of the next (a
    first tranche in September, the total in March). Else the window as it is."""
    if len(claims) < 2 or any(c.start is None or c.start != c.end or c.value is None for c in claims):
        return [claims]
    if len({c.unit for c in claims}) > 1:
        return [claims]
    sides = _value_sides(claims, absolute, (cfg.min_digits, cfg.max_digits))
    if len(sides) < 2:
        return [claims]
    sides.sort(key=lambda s: min(c.start for c in s.claims))
    for before, after in zip(sides, sides[1:], strict=False):
        if max(c.end for c in before.claims) + cfg.change_months > min(c.start for c in after.claims):
            return [claims]
    return [s.claims for s in sides]


def _currency_sides(claims: list[_Claim], cfg: Config) -> tuple[list[_Side], str]:
    """Sides of claims in several currencies: each currency's amounts clustered as stated, then sides of
    different currencies joined when their values in the base currency agree within the rate tolerance. The same
    figure in two currencies is never joined (unless their rate is about 1): the second value of the result is
    "currency" when that kept two sides apart."""
    cur = cfg.currencies
    by_unit: dict[str, list[_Claim]] = defaultdict(list)
    for c in claims:
        by_unit[c.unit].append(c)
    parts = [
        (unit, side)
        for unit, cs in sorted(by_unit.items())
        for side in _value_sides(cs, False, (cfg.min_digits, cfg.max_digits))
    ]
    parts.sort(key=lambda p: (-len(p[1].sources), -p[1].points, p[0], p[1].value or 0.0))
    merged: list[list[tuple[str, _Side]]] = []
    slip = ""
    for unit, side in parts:
        for m in merged:
            if all(u != unit for u, _ in m):
                verdicts = [_converts(side, other, cfg) for _, other in m]
                slip = slip or ("currency" if "same figure" in verdicts else "")
                if all(v == "agree" for v in verdicts):
                    m.append((unit, side))
                    break
        else:
            merged.append([(unit, side)])
    return [_rebased(m, cur["base"], cfg) for m in merged], slip


def _side_rate(side: _Side) -> tuple[float, bool]:
    """A side's rate to the base currency (the mean of its claims'), and whether every claim is dated."""
    rates = [c.rate for c in side.claims]
    return sum(rates) / len(rates), all(c.as_of or c.published for c in side.claims)


def _converts(a: _Side, b: _Side, cfg: Config) -> str:
    """Whether two sides in different currencies state one amount: agree, differ, or the same figure."""
    (ra, dated_a), (rb, dated_b) = _side_rate(a), _side_rate(b)
    va, vb = (a.value or 0.0), (b.value or 0.0)
    exact = a.points and b.points  # "about €1.34B" may be near "$1.36B" by chance when the rate is near 1
    if exact and _close(va, vb, cfg.tolerance, False) and not _close(ra, rb, 2 * cfg.tolerance, False):
        return "same figure"
    noise = cfg.currencies["tolerance" if dated_a and dated_b else "undated_tolerance"]
    return "agree" if _close(va * ra, vb * rb, max(a.tol, b.tol) + noise, False) else "differ"


def _rebased(parts: list[tuple[str, _Side]], base: str, cfg: Config) -> _Side:
    """One side from sides of several currencies, its claims' values in the base currency."""
    claims = [
        replace(c, value=c.value * c.rate, lo=c.lo * c.rate, hi=c.hi * c.rate, unit=base)
        for _, side in parts
        for c in side.claims
    ]
    side = _Side(claims, min(c.lo for c in claims), max(c.hi for c in claims), 0.0, max(s.tol for _, s in parts))
    side.sources = set().union(*(s.sources for _, s in parts))
    side.points = sum(s.points for _, s in parts)
    side.top = max((c.value for c in claims if c.bound == "point"), default=0.0)
    side.stated = ", ".join(_label(s, unit, cfg) for unit, s in parts if unit != base)
    return side


def _magnitude(values: list[float], cfg: Config) -> int | None:
    """The power of ten (10, 100, 1000, ...) between the largest and smallest of ``values`` when they are a
    decimal or unit slip apart, else None."""
    lo, hi = min(values), max(values)
    if lo <= 0:
        return None
    for factor in cfg.magnitude["factors"]:
        if _close(lo * factor, hi, cfg.magnitude["tolerance"], False):
            return factor
    return None


def _magnitude_split(side: _Side, cfg: Config) -> list[_Side] | None:
    """Two sides from one whose bounded claims ("up to 1.92 GW", "up to 0.00192 GW") are a slip apart."""
    values = sorted({c.value for c in side.claims if c.value})
    if len(values) < 2 or len({c.bound for c in side.claims}) > 1 or _magnitude([values[0], values[-1]], cfg) is None:
        return None
    cut = math.sqrt(values[0] * values[-1])
    halves = ([c for c in side.claims if c.value < cut], [c for c in side.claims if c.value >= cut])
    return [_side_of(claims, side.tol) for claims in halves]


def _side_of(claims: list[_Claim], tol: float) -> _Side:
    """A side of the given claims (part of a side that agreed on its value)."""
    side = _Side([], min(c.lo for c in claims), max(c.hi for c in claims), 0.0, tol)
    for c in claims:
        side.add(c, intersect=False)
    return side


def _quote_sides(side: _Side, attr: str, bare: bool) -> list[_Side] | None:
    """Sides from one whose claims agree on the figure but whose quotes differ on ``attr`` (the period, the target
    year), when the parts come from different sources; claims that name none are a part of their own if ``bare``."""
    parts: dict[str, list[_Claim]] = defaultdict(list)
    decade_ends = sorted(k for c in side.claims if (k := getattr(c, attr)).isdigit() and k.endswith("0"))
    for c in side.claims:
        key = getattr(c, attr)
        if bare or key:
            parts[decade_ends[-1] if key == DECADE_END and decade_ends else key].append(c)
    sources = [frozenset(c.source for c in claims) for claims in parts.values()]
    if len(parts) < 2 or len(set(sources)) < 2:
        return None
    return [_side_of(claims, side.tol) for _, claims in sorted(parts.items(), reverse=True)]


def _disagreement(fact: _Fact, sides: list[_Side], cfg: Config) -> str:
    if fact.base[3] == "year":
        return "date"
    if fact.slip:
        return fact.slip
    if len(sides) == 2 and fact.base[3] not in cfg.magnitude["never"]:
        pairs = {(a.value, b.value) for a in sides[0].claims for b in sides[1].claims if a.value and b.value}
        if any(_magnitude(list(pair), cfg) for pair in pairs):  # "up to 1.92 GW" vs "up to 0.00192 GW"
            return "magnitude"
    one_sided = any(all(c.bound in ("upper", "lower", "range") for c in s.claims) for s in sides)
    return "qualifier" if one_sided else "value"


def _label(side: _Side, unit: str | None, cfg: Config) -> str:
    if side.claims[0].bound == "state":
        return side.claims[0].state
    c = side.claims[0]
    bracketed = " in brackets" if all(c.conversion for c in side.claims) else ""  # only sources' conversions
    stated = f" ({side.stated}{bracketed})" if side.stated else ""
    if side.points or all(c.bound == "soft" for c in side.claims):
        word = "" if side.points else cfg.qualifiers[c.qualifier]["word"]
        return f"{word} {format_value(side.value, unit)}".strip() + stated
    if c.bound == "range":
        return f"{format_value(c.lo, unit)}–{format_value(c.hi, unit)}{stated}"
    return f"{cfg.qualifiers[c.qualifier]['word']} {format_value(c.value, unit)}".strip() + stated


def _within_range(sides: list[_Side]) -> bool:
    """Whether one side is only a range and every other side's figure lies inside it ("1.4 GW" vs "1-4 GW")."""
    ranges = [s for s in sides if all(c.bound == "range" for c in s.claims)]
    return len(ranges) == 1 and all(
        ranges[0].lo <= s.value <= ranges[0].hi for s in sides if s is not ranges[0] and s.value is not None
    )


def _support(n: int) -> str:
    return f"{n} source" if n == 1 else f"{n} sources"


def _side_row(side: _Side, label: str) -> Side:
    return Side(
        value=side.value,
        label=label,
        qualifiers=sorted({c.qualifier for c in side.claims}),
        subject=side.claims[0].subject,
        counterparty=side.claims[0].counterparty,
        support=len(side.sources),
        claim_ids=sorted({c.id for c in side.claims}),
        doc_ids=sorted({c.doc for c in side.claims}),
        conversions=sorted({c.id for c in side.claims if c.conversion}),
    )


def _group(
    key: str, scope: str, disagreement: str, sides: list[_Side], labels: list[str], cfg: Config, lead: str = ""
) -> ConflictGroup:
    """A conflict group (numbered once ranked): sides ordered by support, majority, spread, one-line reason, rank."""
    order = sorted(range(len(sides)), key=lambda i: (-len(sides[i].sources), sides[i].value or 0))
    sides, labels = [sides[i] for i in order], [labels[i] for i in order]
    supports = [len(s.sources) for s in sides]
    majority = sides[0].value if supports[0] > supports[1] else None
    values = [s.value for s in sides if s.value is not None]
    hi, lo = (max(values), min(values)) if values else (0.0, 0.0)
    what = {"state": "value", "dated": "date"}.get(disagreement, disagreement)
    reason = f"{what}: {lead}" + " vs ".join(f"{lab} ({_support(n)})" for lab, n in zip(labels, supports, strict=True))
    if disagreement == "date":
        spread, rank = hi - lo, (hi - lo) * cfg.ranking["date_year"]
        reason += f", {spread:g} years apart" if spread != 1 else ", 1 year apart"
    elif disagreement == "magnitude":
        stated = {(a.value, b.value) for a in sides[0].claims for b in sides[1].claims if a.value and b.value}
        factor = _magnitude([lo, hi], cfg) or next(f for f in map(lambda p: _magnitude(list(p), cfg), stated) if f)
        spread, rank = (hi - lo) / hi if hi else 0.0, cfg.ranking["magnitude"]
        reason = f"magnitude: x{factor}: " + reason.split(": ", 1)[1]
        few = [lab for lab, n in zip(labels, supports, strict=True) if n == min(supports)]
        slipped = few[0] if len(few) == 1 else None
        reason += f"; {slipped} is likely the slip" if slipped else "; one of them is likely a decimal or unit slip"
    elif disagreement == "period":
        spread, rank = 0.0, cfg.ranking["period"]
        reason += "; a figure for a period vs the same figure with none"
    elif disagreement == "target":
        spread, rank = 0.0, cfg.ranking["target"]
        reason += "; the same figure by different target years"
    elif disagreement == "stream":
        spread, rank = 0.0, cfg.ranking["stream"]
        reason += "; the sources differ on what revenue it is of"
    elif disagreement == "dated":
        years = [min(c.start for c in s.claims) // 12 for s in sides]
        spread = float(max(years) - min(years))
        rank = spread * cfg.ranking["date_year"]
        reason += f", {spread:g} years apart" if spread != 1 else ", 1 year apart"
    elif disagreement == "decline":
        spread, rank = (hi - lo) / hi if hi else 0.0, cfg.ranking["decline"]
        reason += "; a running total cannot fall, yet the later figure is lower"
    elif disagreement == "currency":
        spread, rank = (hi - lo) / max(abs(hi), abs(lo)) if hi else 0.0, cfg.ranking["currency"]
        reason += "; the same figure in two currencies"
    elif disagreement in ("attribution", "state"):
        spread, rank = (hi - lo) / max(abs(hi), abs(lo)) if hi else 0.0, cfg.ranking[disagreement]
    else:
        spread = (hi - lo) / max(abs(hi), abs(lo)) if hi or lo else 0.0
        rank = spread
        if _within_range(sides):
            reason += "; a figure within a range"
        else:
            reason += f", {spread:.0%} apart" if spread else "; the same figure, bounded differently"
    if len({c.source for s in sides for c in s.claims}) == 1:
        reason += ", within one document"
    return ConflictGroup(
        id=0,
        fact_key=key,
        disagreement=what,
        reason=reason,
        majority_value=majority,
        spread=spread,
        sides=[_side_row(s, lab) for s, lab in zip(sides, labels, strict=True)],
        scope=scope,
        rank=rank,
        support=sum(supports),
    )


def _fact_groups(facts: list[_Fact], cfg: Config) -> list[ConflictGroup]:
    """Mark conflicting facts and build their groups; set each fact's value and note."""
    groups = []
    for f in facts:
        unit, scope = f.unit, fact_scope(f.base, cfg)
        never = f.base[3] in cfg.magnitude["never"]
        if len(f.sides) == 1 and not never and (split := _magnitude_split(f.sides[0], cfg)):
            f.sides = split
        if len(f.sides) == 1 and (periods := _quote_sides(f.sides[0], "period", bare=True)):
            labels = [f"{_label(s, unit, cfg)} {s.claims[0].period}".strip() for s in periods]
            f.sides = periods
            groups.append(_group(f.key, scope, "period", f.sides, labels, cfg))
        elif len(f.sides) == 1 and (targets := _quote_sides(f.sides[0], "target", bare=False)):
            f.sides = targets
            labels = [f"{_label(s, unit, cfg)} by {s.claims[0].target}" for s in targets]
            groups.append(_group(f.key, scope, "target", f.sides, labels, cfg))
        elif len(f.sides) + len(f.states) == 1 and (streams := _quote_sides([*f.sides, *f.states][0], "stream", False)):
            labels = [f"{_label(s, unit, cfg) if f.sides else 'a share'} of {s.claims[0].stream}" for s in streams]
            f.sides, f.states = (streams, []) if f.sides else ([], streams)
            groups.append(_group(f.key, scope, "stream", streams, labels, cfg))
        elif len(f.sides) >= 2:
            labels = [_label(s, unit, cfg) for s in f.sides]
            groups.append(_group(f.key, scope, _disagreement(f, f.sides, cfg), f.sides, labels, cfg))
        elif len(f.states) >= 2:
            groups.append(_group(f.key, scope, "state", f.states, [s.claims[0].state for s in f.states], cfg))
        else:
            f.value = f.sides[0].value if f.sides else None
            continue
        f.group, f.status = len(groups) - 1, "conflicting"
        f.value = groups[-1].majority_value
    return groups


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip


def _date_slip_groups(facts: list[_Fact], groups: list[ConflictGroup], cfg: Config) -> None:
    """Flag the same figure of one base dated to the same calendar month of different years by different
    sources (a contract from July 2025 vs from July 2024): one of the years is a slip, whatever the windows."""
    by_base: dict[tuple, list[_Claim]] = defaultdict(list)
    for f in facts:
        if f.status in ("", "superseded") and f.base[3] not in cfg.absolute_tolerance:
            by_base[f.base].extend(c for c in f.claims if c.value is not None and c.bound in ("point", "soft"))
    for base, claims in by_base.items():
        by_month: dict[int, list[tuple[int, _Claim]]] = defaultdict(list)
        for c in claims:
            start, end = _months(c.as_of)
            if start is not None and start == end:
                by_month[start % 12].append((start, c))
        for dated in by_month.values():
            if len({start for start, _ in dated}) < 2:
                continue
            dated.sort(key=lambda p: (p[1].value, p[0]))
            cluster: list[tuple[int, _Claim]] = []
            for item in [*dated, None]:
                if item and cluster and _close(cluster[-1][1].value, item[1].value, cfg.tolerance, False):
                    cluster.append(item)
                    continue
                _date_slip(base, cluster, facts, groups, cfg)
                cluster = [item] if item else []


def _date_slip(base: tuple, cluster: list[tuple[int, _Claim]], facts: list[_Fact], groups: list, cfg) -> None:
    by_year: dict[int, list[_Claim]] = defaultdict(list)
    for start, c in cluster:
        by_year[start // 12].append(replace(c, start=start, end=start))
    years = sorted(by_year)
    sources = [{c.source for c in by_year[y]} for y in years]
    if len(years) < 2 or years[-1] - years[0] > cfg.slip_years or len(set().union(*sources)) < 2:
        return
    ids = {c.id for _, c in cluster}
    involved = [f for f in facts if any(c.id in ids for c in f.claims)]
    if any(f.status == "conflicting" for f in involved):
        return
    sides = [_side_of(by_year[y], cfg.tolerance) for y in years]
    month = _MONTHS[cluster[0][0] % 12]
    labels = [f"{month} {y}" for y in years]
    value, unit = cluster[0][1].value, involved[0].unit
    key = "|".join((*base, "dated " + str(years[0])))
    lead = f"{format_value(value, unit)} dated "
    groups.append(_group(key, fact_scope(base, cfg), "dated", sides, labels, cfg, lead))
    for f in involved:
        f.group, f.status = len(groups) - 1, "conflicting"
        f.value = f.value if f.value is not None else value


def _attribution_groups(facts: list[_Fact], groups: list[ConflictGroup], cfg: Config) -> None:
    """Flag the same figure for the same counterparty and time given to different subjects by different
    sources. Compares facts (not claims): grouped by counterparty, clustered by value in one pass."""
    by_party: dict[tuple, list[_Fact]] = defaultdict(list)
    for f in facts:
        kind, _, counterparty, family, facet = f.base
        if kind in cfg.attribution_kinds and counterparty and f.value is not None and not f.status:
            by_party[(kind, counterparty, family, facet)].append(f)
    for (kind, counterparty, family, facet), same in by_party.items():
        if len({f.base[1] for f in same}) < 2:
            continue
        cluster: list[_Fact] = []
        amount = {f.key: _in_base(f, cfg) for f in same}  # money in the base currency
        for f in [*sorted(same, key=lambda f: (amount[f.key], f.key)), None]:  # whatever order the facts came in
            if f is not None and cluster and _close(amount[cluster[-1].key], amount[f.key], cfg.tolerance, False):
                cluster.append(f)
                continue
            for w in _windows(cluster, cfg.time_windows.get(kind), False) if len(cluster) > 1 else []:
                _attribution(w, f"{kind}|*|{counterparty}|{family}|{facet}|{w[0].label}", groups, cfg)
            cluster = [f]


def _in_base(f: _Fact, cfg: Config) -> float:
    """A fact's value, money in the base currency (at the mean rate of its claims)."""
    if f.unit == cfg.currencies["base"] or f.base[3] != cfg.currencies["family"]:
        return f.value
    return f.value * sum(c.rate for c in f.claims) / len(f.claims)


def _attribution(facts: list[_Fact], key: str, groups: list[ConflictGroup], cfg: Config) -> None:
    subjects = {f.base[1] for f in facts}
    if len(subjects) < 2 or sum(len(f.sources) for f in facts) != len(set().union(*(f.sources for f in facts))):
        return  # one subject, or a source that states several: different facts, not a disagreement
    sides = [_Side(f.claims, 0.0, 0.0, f.value, 0.0, f.sources, len(f.claims)) for f in facts]
    unit = facts[0].unit
    lead = f"{format_value(facts[0].value, unit)} {facts[0].kind} in {facts[0].claims[0].counterparty} by "
    labels = [f.claims[0].subject or "?" for f in facts]
    groups.append(_group(key, fact_scope(facts[0].base, cfg), "attribution", sides, labels, cfg, lead))
    for f in facts:
        f.group, f.status = len(groups) - 1, "conflicting"


def _decline_groups(facts: list[_Fact], groups: list[ConflictGroup], cfg: Config) -> None:
    """Flag a running total (ARR, funding to date) that a later source puts below what an earlier one does: it
    only grows, so one of them is wrong. Each later fact is compared with the earlier fact of its base that puts
    it highest; a fact is in one group at most."""
    by_base: dict[tuple, list[_Fact]] = defaultdict(list)
    for f in facts:
        if f.status != "conflicting" and f.start is not None and len(f.sides) == 1 and all(c.running for c in f.claims):
            by_base[f.base].append(f)
    for same in by_base.values():
        same.sort(key=lambda f: (f.start, f.key))
        for i, later in enumerate(same):
            earlier = [
                f
                for f in same[:i]
                if f.status != "conflicting"
                and f.end < later.start
                and later.sides[0].hi < f.sides[0].lo
                and f.sources.isdisjoint(later.sources)
            ]
            if earlier:
                _decline(max(earlier, key=lambda f: f.sides[0].lo), later, groups, cfg)


def _decline(before: _Fact, after: _Fact, groups: list[ConflictGroup], cfg: Config) -> None:
    sides, unit = [before.sides[0], after.sides[0]], after.unit
    labels = [f"{_label(f.sides[0], unit, cfg)} ({f.label})" for f in (before, after)]
    key = "|".join((*after.base, "decline " + after.label))
    groups.append(_group(key, fact_scope(after.base, cfg), "decline", sides, labels, cfg))
    for f in (before, after):
        f.group, f.status, f.value = len(groups) - 1, "conflicting", f.sides[0].value


def _note(f: _Fact, cfg: Config) -> str | None:
    if f.states and not f.sides:
        return "state: " + ", ".join(s.claims[0].state for s in f.states)
    side = f.sides[0] if len(f.sides) == 1 else None
    hedged = {(c.qualifier, c.value) for c in side.claims if c.bound in _HEDGES} if side else set()
    plain = side is not None and any(c.bound not in _HEDGES for c in side.claims)
    if len(hedged) + plain > 1:
        unit = f.unit
        words = {f"{cfg.qualifiers[q]['word']} {format_value(v, unit)}".strip() for q, v in hedged}
        return "qualifiers differ: " + " vs ".join(
            sorted(words | ({format_value(side.value, unit)} if plain else set()))
        )
    return None


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector while building many acyclic objects (it would rescan them again and again)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def detect(rows: Iterable[dict], config: Config | None = None) -> Ledger:
    """Facts and conflict groups from claim rows (dicts with the claims columns plus ``source_id``, the
    independent source, and ``published``). Groups come ranked, largest disagreement first."""
    cfg = config or load_config()
    with _no_gc():
        facts = _facts(_read(rows, cfg), cfg)
        groups = _fact_groups(facts, cfg)
        _date_slip_groups(facts, groups, cfg)
        _attribution_groups(facts, groups, cfg)
        _decline_groups(facts, groups, cfg)
    order = sorted(range(len(groups)), key=lambda i: (-groups[i].rank, -groups[i].support, groups[i].fact_key))
    ids = {old: new for new, old in enumerate(order, start=1)}
    for old, new in ids.items():
        groups[old].id = new
    return Ledger(facts=[_fact_row(f, ids, cfg) for f in facts], groups=[groups[i] for i in order])


def _fact_row(f: _Fact, ids: dict[int, int], cfg: Config) -> Fact:
    published = [c.published for c in f.claims if c.published]
    as_of = [c.as_of for c in f.claims if c.start is not None]
    support = len(f.sources)
    status = f.status or ("agreed" if support >= 2 else "single_source")
    first = f.claims[0]
    return Fact(
        key=f.key,
        kind=f.kind,
        subject=first.subject,
        counterparty=first.counterparty,
        unit=f.unit,
        as_of=max(as_of) if as_of else None,
        value=f.value,
        status=status,
        support=support,
        first_seen=min(published) if published else None,
        last_seen=max(published) if published else None,
        claim_ids=sorted({c.id for c in f.claims}),
        conflict_group=ids[f.group] if f.group is not None else None,
        note=_note(f, cfg) if status != "conflicting" else None,
        scope=fact_scope(f.base, cfg),
        base="|".join(f.base),
    )


HEDGE_WORDS = {
    "more_than": "more than ",
    "at_least": "at least ",
    "approx": "~",
    "nearly": "nearly ",
    "up_to": "up to ",
}


def format_hedged(value: float | None, unit: str | None, qualifier: str | None) -> str:
    """A stated figure with its hedge ("more than $13.0B", "~$7.0B"); empty without a value."""
    if value is None:
        return ""
    return HEDGE_WORDS.get(qualifier or "", "") + format_value(value, unit)


def format_value(value: float | None, unit: str | None) -> str:
    """A value as an analyst reads it: $13.0B, 49%, 4.5 GW, 1,000,000 chips, 1,200 people, 2019."""
    if value is None:
        return "n/a"
    if unit == "year":
        return f"{value:.0f}"
    if unit == "percent":
        return f"{value:g}%"
    if unit and unit.islower():  # a count (chips, shares, people): currencies are ISO codes, in capitals
        return f"{value:,.0f} {unit}"
    if unit == "GW":
        return f"{value:g} GW"
    scale, suffix = next((s for s in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")) if abs(value) >= s[0]), (1, ""))
    digits = f"{value / scale:.2f}".rstrip("0")
    digits += "0" if digits.endswith(".") else ""
    return f"${digits}{suffix}" if unit in ("USD", None) else f"{digits}{suffix} {unit}"


# ---------------------------------------------------------------- display


def format_facts(rows: list[dict]) -> str:
    """The ledger as a plain text table."""
    if not rows:
        return "no facts: run the pipeline, or check --status."
    table = [
        (
            f["status"],
            f["support"],
            f["kind"],
            f["subject"] or "",
            f["counterparty"] or "",
            format_value(f["value"], f["unit"]),
            f["as_of"] or "",
            f"#{f['conflict_group']}" if f["conflict_group"] else "",
            f["note"] or "",
        )
        for f in rows
    ]
    headers = ("status", "sources", "kind", "subject", "counterparty", "value", "as of", "conflict", "note")
    return tabulate(table, headers=headers, tablefmt="simple")


def topic(group: dict) -> str:
    """What a conflict group is about, in words: "investment by Amazon in Anthropic, 2023-09"."""
    kind, _, _, _, facet, window = ([*group["fact_key"].split("|"), "", "", "", "", "", ""])[:6]
    side = group["sides"][0]
    subjects = {s["subject"] for s in group["sides"]}
    words = kind.replace("_", " ")
    if len(subjects) == 1 and side["subject"]:
        words += f" by {side['subject']}"
    if side["counterparty"]:
        words += (
            f" in {side['counterparty']}" if kind in ("investment", "equity_stake") else f" with {side['counterparty']}"
        )
    return ", ".join(part for part in (words, facet, window) if part and part != "*")


def format_conflicts(groups: list[dict], quote_chars: int = 90) -> str:
    """Each group's reason, then its sides' claims in one table: value, support, date, source, quote."""
    if not groups:
        return "no conflicts."
    blocks = []
    for g in groups:
        rows = []
        for n, side in enumerate(g["sides"], start=1):
            for i, c in enumerate(side["claims"]):
                quote = " ".join((c["quote"] or "").split())
                quote = quote if len(quote) <= quote_chars else quote[: quote_chars - 1] + "…"
                first = i == 0
                label = f"{n}: {side['label']}" if first else ""
                rows.append(
                    (label, side["support"] if first else "", c["published"] or "", c["url"] or c["source"], quote)
                )
        table = tabulate(rows, headers=("side", "sources", "published", "source", "quote"), tablefmt="simple")
        blocks.append(f"#{g['id']} {topic(g)}\n{g['reason']}\n{table}")
    return "\n\n".join(blocks)
