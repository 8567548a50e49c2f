"""Typed objects that flow through the pipeline: load -> clean -> extract -> ground -> store."""

from __future__ import annotations

from bisect import bisect_right
from enum import Enum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def printable(name: str) -> str:
    """A file name, URL or typed text as valid Unicode that SQLite can store and a terminal can show.

    Bytes that are not UTF-8 reach Python as surrogate escapes (``os.fsdecode``); they become ``\\xNN``, so a
    name with the byte 0xff reads ``bad\\xffname.txt``. Valid text is returned unchanged."""
    try:
        data = name.encode("utf-8", "surrogateescape")  # back to the bytes of the name
    except UnicodeEncodeError:  # a lone surrogate that did not come from a byte
        data = name.encode("utf-8", "backslashreplace")
    return data.decode("utf-8", "backslashreplace")


Printable = Annotated[str, AfterValidator(printable)]


class RawDocument(BaseModel):
    """An article as loaded from a file or fetched over HTTP, before cleaning."""

    source: Printable = Field(description="The source as the user gave it (path or URL; bytes not UTF-8 as \\xNN).")
    url: Printable | None = Field(None, description="Final URL after redirects, for fetched sources.")
    path: Printable | None = Field(None, description="File path, for local sources.")
    content_type: str = Field(description="'html', 'text' or 'pdf'.")
    text: str = Field(description="Decoded content (HTML markup, plain text, or a PDF's pages joined by form feeds).")
    encoding: str | None = None
    http_status: int | None = None
    title: str | None = Field(None, description="Title from outside the text (a feed entry, PDF metadata).")
    published: str | None = Field(None, description="Date from outside the text (a feed entry, PDF metadata).")
    etag: str | None = Field(None, description="The server's ETag, sent back when the URL is fetched again.")
    last_modified: str | None = Field(None, description="The server's Last-Modified, sent back likewise.")


class FeedEntry(BaseModel):
    """One item of a feed or sitemap: the article's URL and the dates the feed gives for it (ISO 8601)."""

    url: str
    title: str | None = None
    published: str | None = None
    updated: str | None = None

    @property
    def date(self) -> str | None:
        """The later of the published and updated dates: what ``--since`` compares."""
        return max(filter(None, (self.published, self.updated)), default=None)


class Feed(BaseModel):
    """An RSS/Atom feed or a sitemap, loaded: its entries are sources in their own right."""

    source: Printable
    url: Printable | None = None
    kind: str = Field(description="'rss', 'atom', 'sitemap' or 'sitemapindex'.")
    entries: list[FeedEntry] = Field(default_factory=list)
    skipped_old: int = Field(0, description="Entries older than --since.")
    skipped_stored: int = Field(0, description="Entries already stored and not updated since.")


class NotModified(BaseModel):
    """A URL the server says has not changed since it was stored (HTTP 304 to a conditional request)."""

    source: Printable
    url: Printable | None = None


class LoadError(BaseModel):
    """A source that could not be loaded; recorded in the run, never fatal to the batch."""

    source: Printable
    stage: str = "load"
    message: Printable


class Document(BaseModel):
    """A cleaned article. All character offsets in later stages refer to ``text``."""

    id: str = Field(description="First 16 hex digits of the SHA-256 of the cleaned text.")
    source: Printable
    url: Printable | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None
    site: str | None = None
    language: str | None = None
    content_type: str
    raw: str
    text: str
    content_hash: str
    duplicate_of: str | None = None
    pages: list[int] | None = Field(None, description="For PDFs: where each page starts in ``text``.")
    previous_version: str | None = Field(None, description="The earlier version of the same article, if any.")
    version: int = Field(1, description="1 for the first text of a source, 2 after its first change, ...")

    def page_of(self, offset: int | None) -> int | None:
        """The page (from 1) holding a character offset of ``text``; None for a document without pages."""
        return page_of(self.pages, offset)


def page_of(pages: list[int] | None, offset: int | None) -> int | None:
    """The page (from 1) whose start is the last one at or before ``offset``."""
    if not pages or offset is None:
        return None
    return bisect_right(pages, offset) or 1


MAX_AMOUNT = 1e15  # no deal states a figure this large in any unit (a quadrillion dollars); a typo or a misparse
Amount = Annotated[float, Field(ge=0, lt=MAX_AMOUNT, allow_inf_nan=False)]  # a stated figure: finite, not negative


class ClaimKind(str, Enum):
    investment = "investment"
    acquisition = "acquisition"
    equity_stake = "equity_stake"
    compute_commitment = "compute_commitment"
    valuation = "valuation"
    revenue = "revenue"
    exclusivity = "exclusivity"
    rofr = "rofr"
    ip_rights = "ip_rights"
    partnership_start = "partnership_start"
    other = "other"


class Qualifier(str, Enum):
    exact = "exact"
    approx = "approx"
    nearly = "nearly"
    up_to = "up_to"
    at_least = "at_least"
    more_than = "more_than"
    range = "range"
    estimate = "estimate"


class DealStatus(str, Enum):
    announced = "announced"
    completed = "completed"
    planned = "planned"
    rumored = "rumored"
    contingent = "contingent"
    ended = "ended"
    retained = "retained"


class Alignment(str, Enum):
    exact = "exact"
    fuzzy = "fuzzy"
    none = "none"


class Claim(BaseModel):
    """One deal fact stated by one document, with the exact words that state it."""

    model_config = ConfigDict(use_enum_values=True)

    kind: ClaimKind = Field(
        description="investment (subject=investor, counterparty=investee); acquisition (subject=acquirer, "
        "counterparty=target, value=price); equity_stake (subject=holder); "
        "compute_commitment (subject=buyer, counterparty=provider); valuation (subject=company valued); "
        "revenue (subject=payer for revenue shares); exclusivity / rofr (subject=holder of the right); "
        "ip_rights (value=end year); partnership_start (value=year); other."
    )
    subject: str | None = Field(None, description="Canonical company name (see the alias table).")
    counterparty: str | None = Field(None, description="Canonical name of the other party, if any.")
    value: Amount | None = Field(
        None, description="Number in base units: USD in dollars, percent 0-100, GW, a count, or a year."
    )
    unit: str | None = Field(
        None,
        pattern=r"^(USD|percent|GW|chips|shares|people|year|[A-Z]{3})$",
        description="USD, percent, GW, chips, shares, people, year, an ISO currency code, or null.",
    )
    value_low: Amount | None = Field(None, description="Low end of a stated range.")
    value_high: Amount | None = Field(None, description="High end of a stated range.")
    qualifier: Qualifier = Field(Qualifier.exact, description="How the figure is hedged.")
    conversion_value: Amount | None = Field(
        None, description="The amount in another currency that the source gives in brackets ('$500m (€460m)')."
    )
    conversion_unit: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="The ISO code of that currency.")
    deal_status: DealStatus | None = Field(None, description="State of the deal the fact belongs to.")
    as_of: str | None = Field(
        None,
        pattern=r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
        description="Date or year the fact refers to: YYYY, YYYY-MM or YYYY-MM-DD.",
    )
    quote: str = Field(description="The exact words of the source that state the fact.")
    char_start: int | None = Field(None, ge=0, description="Start offset of the quote in the cleaned text.")
    char_end: int | None = Field(None, ge=0, description="End offset (exclusive) of the quote.")
    alignment: Alignment = Field(Alignment.none, description="How the quote was found in the text.")
    grounded: bool = Field(False, description="Quote aligned and every figure of value stated in it.")
    confidence: float = Field(0.5, ge=0, le=1)
    extractor: str = Field("rules", description="Which extractor produced the claim.")

    @model_validator(mode="after")
    def _check_offsets(self) -> Claim:
        if (self.char_start is None) != (self.char_end is None):
            raise ValueError("char_start and char_end must be given together")
        if self.char_start is not None and self.char_end < self.char_start:
            raise ValueError("char_end must not be before char_start")
        if self.value_low is not None and self.value_high is not None and self.value_low > self.value_high:
            raise ValueError("value_low must not exceed value_high")
        if (self.conversion_value is None) != (self.conversion_unit is None):
            raise ValueError("conversion_value and conversion_unit must be given together")
        bounds = {"percent": (0, 100), "year": (1900, 2100)}.get(self.unit or "")
        for v in (self.value, self.value_low, self.value_high):
            if bounds and v is not None and not bounds[0] <= v <= bounds[1]:
                raise ValueError(f"a value in {self.unit} must be between {bounds[0]} and {bounds[1]}, not {v:g}")
        return self


class QueueFilters(BaseModel):
    """The review queue's filters (``ingest claims``, the review page), combined with AND; None filters nothing."""

    model_config = ConfigDict(extra="forbid")

    kind: str | None = None
    status: str | None = Field(None, description="Review status: pending, accepted, rejected or corrected.")
    party: str | None = Field(None, description="Subject or counterparty, canonical.")
    doc: str | None = Field(None, description="Document id prefix or source.")
    conflict: bool | None = Field(None, description="In a conflict group (True) or not (False).")
    ungrounded: bool | None = None
    search: str | None = Field(None, description="Words of the quote.")
    superseded: bool = Field(False, description="List only claims of earlier versions of changed articles.")


class PatternSignal(BaseModel):
    """A passage that shows a partnership pattern (or kill-list move) from the taxonomy file."""

    pattern: str = Field(description="Pattern id from patterns.yaml.")
    phase: str | None = Field(None, description="Phase of the pattern, e.g. formation or restructure.")
    quote: str
    char_start: int | None = None
    char_end: int | None = None
    confidence: float = Field(0.5, ge=0, le=1)
    extractor: str = "rules"
