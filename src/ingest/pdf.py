"""PDFs: the text layer of each page (pypdf), and page text reflowed into paragraphs.

Loading keeps the pages apart (joined by form feeds, as pdftotext does), so that cleaning can record where
each page starts in the cleaned text and a claim's provenance can name its page.
"""

from __future__ import annotations

import io
import logging
import re

from .errors import PdfError

PAGE_BREAK = "\f"
_TERMINAL = re.compile(r"[.!?:;\"”’)]$")
_STARTS_LOWER = re.compile(r"^[a-z0-9(“\"'$€£¥%]")


def read_pdf(data: bytes) -> tuple[str, dict]:
    """The text of every page, joined by form feeds, and the document's title.

    Raises PdfError for a file that is not a readable PDF, an encrypted one, or one with no text layer.
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # warnings about sloppy but readable files
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PdfError("encrypted PDF; decrypt it first (e.g. qpdf --decrypt IN OUT) and ingest the result")
        pages = [_page_text(page) for page in reader.pages]
    except PdfError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise PdfError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # pypdf raises several kinds on damaged files; all mean the same to a user
        raise PdfError(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise PdfError("PDF has no pages")
    if not any(p.strip() for p in pages):
        raise PdfError(
            f"PDF has no text layer ({len(pages)} page{'s' if len(pages) > 1 else ''}, a scan?); "
            "run OCR on it first (e.g. ocrmypdf IN OUT) and ingest the result"
        )
    return PAGE_BREAK.join(pages), _metadata(reader)


def _page_text(page) -> str:
    return (page.extract_text() or "").replace(PAGE_BREAK, "\n")


def _metadata(reader) -> dict:
    """The title from the document information (its creation date is when the file was made, often not when
    the text was published: the dateline says that)."""
    try:
        info = reader.metadata
    except Exception:  # a damaged info dictionary: no metadata, the text is still good
        return {}
    title = info.get("/Title") if info else None
    return {"title": title.strip()} if isinstance(title, str) and title.strip() else {}


def reflow(page: str) -> str:
    """Join the lines of a page's paragraphs: a line goes on the one before unless that one ends a sentence,
    or is short and the line starts with a capital; a blank line ends a paragraph; a word hyphenated across lines
    is joined with its hyphen (most line-end hyphens in born-digital PDFs are compounds: long-term)."""
    lines = [line.strip() for line in page.split("\n")]
    width = max((len(line) for line in lines), default=0)
    out: list[str] = []
    last = ""  # the last physical line added
    for line in lines:
        if not line:
            if out and out[-1]:
                out.append("")
            last = ""
            continue
        if last and _continues(last, line, width):
            if last.endswith("-") and last[-2:-1].isalpha():  # "long-|term": the hyphen kept, no space
                out[-1] += line
            else:
                out[-1] += " " + line
        else:
            out.append(line)
        last = line
    return "\n".join(out).strip()


def _continues(last: str, line: str, width: int) -> bool:
    """Whether ``line`` goes on the paragraph whose last physical line is ``last``."""
    if _TERMINAL.search(last):
        return False
    return bool(_STARTS_LOWER.match(line)) or len(last) >= 0.6 * width
