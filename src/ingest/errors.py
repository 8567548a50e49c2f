"""The errors ingest reports to its user. Each derives from ``IngestError``, so a caller catches one class; the
CLI prints any of them as one line, and any other exception is a bug that keeps its traceback.

Some also derive from ``ValueError`` or ``RuntimeError``, as they did before there was a base class."""

from __future__ import annotations

__all__ = [
    "ExportError",
    "FeedError",
    "ImportFileError",
    "IngestError",
    "InvalidCorrection",
    "LLMError",
    "ModelMissingError",
    "NotFound",
    "NotIngestDatabase",
    "PartnershipError",
    "PdfError",
    "RayMissingError",
    "ReviewError",
    "VersionsError",
]


class IngestError(Exception):
    """A failure the user can act on; the message says what is wrong and what to do."""


class NotIngestDatabase(IngestError, ValueError):
    """A SQLite file that some other program made."""


class FeedError(IngestError, ValueError):
    """Content that was expected to be a feed or a sitemap and is neither."""


class PdfError(IngestError, ValueError):
    """A PDF whose text cannot be read; the message says why and what to do."""


class LLMError(IngestError, RuntimeError):
    """A model call that failed after all retries."""

    def __init__(self, message: str, truncated: bool = False):
        super().__init__(message)
        self.truncated = truncated


class RayMissingError(IngestError, RuntimeError):
    """``--executor ray`` without the ray extra installed."""


class ModelMissingError(IngestError, RuntimeError):
    """The weights of an embedded model are not installed or do not verify."""


class ReviewError(IngestError, ValueError):
    """A decision that cannot be made; the message says which input is wrong and what to do."""


class NotFound(ReviewError):
    """An id that names nothing in the database."""


class InvalidCorrection(ReviewError):
    """A correction the Claim model refuses."""


class VersionsError(IngestError, ValueError):
    """A reference that names no document, or several."""


class PartnershipError(IngestError, ValueError):
    """A partnership that is not there, or a bad filter; the message says what to do."""


class ImportFileError(IngestError, ValueError):
    """A file that cannot be imported at all (unreadable, or not JSON); the message says why."""


class ExportError(IngestError, ValueError):
    """An export that cannot be written; the message says why."""
