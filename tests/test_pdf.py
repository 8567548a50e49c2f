"""PDFs made by a real PDF writer (reportlab): text with pages kept, a scan without text, one served over HTTP."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from httpserver import LocalServer, reply
from ingest import pipeline, store
from ingest.clean import clean, pdf_text
from ingest.cli import cli
from ingest.load import load
from ingest.models import LoadError, RawDocument
from ingest.pdf import reflow

PAGE_1 = [
    "Microsoft and OpenAI extend partnership",
    "REDMOND, Wash., Jan. 23, 2023 -- Microsoft and OpenAI today announced the third phase of their long-",
    "term partnership, with a multiyear, multibillion dollar investment to accelerate AI breakthroughs.",
]
PAGE_2 = [
    "Microsoft said on Monday it will invest $10 billion in OpenAI, the maker of",
    "ChatGPT. Analysts said the deal values OpenAI at $29 billion.",
]


def text_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """A PDF with a text layer: one page per list of lines, as a word processor would write it."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    if title:
        c.setTitle(title)
    for lines in pages:
        text = c.beginText(50, 780)
        text.setFont("Helvetica", 11)
        for line in lines:
            text.textLine(line)
        c.drawText(text)
        c.showPage()
    c.save()
    return out.getvalue()


def scanned_pdf() -> bytes:
    """A PDF whose pages are only images of text, as a scanner writes them."""
    image = Image.new("L", (800, 300), 255)
    ImageDraw.Draw(image).text((20, 20), "Microsoft will invest $10 billion in OpenAI", fill=0)
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    for _ in range(2):
        c.drawImage(ImageReader(image), 50, 500, width=500, height=190)
        c.showPage()
    c.save()
    return out.getvalue()


def test_text_pdf_is_read_page_by_page_with_page_starts(tmp_path):
    path = tmp_path / "release.pdf"
    path.write_bytes(text_pdf([PAGE_1, PAGE_2], title="Press release"))
    (raw,) = load([str(path)])
    assert isinstance(raw, RawDocument) and raw.content_type == "pdf" and raw.title == "Press release"
    assert raw.text.count("\f") == 1
    doc = clean(raw)
    assert doc.pages is not None and len(doc.pages) == 2 and doc.pages[0] == 0
    second = doc.text.index("Microsoft said on Monday")
    assert doc.pages[1] <= second and doc.page_of(second) == 2 and doc.page_of(5) == 1
    assert "long-term partnership" in doc.text  # a compound broken after its hyphen, joined
    assert "the maker of ChatGPT." in doc.text  # one sentence across two lines, reflowed
    assert doc.published == "2023-01-23"  # from the dateline


def test_a_claims_page_is_stored_shown_and_exported(tmp_path, db_file):
    path = tmp_path / "release.pdf"
    path.write_bytes(text_pdf([PAGE_1, PAGE_2]))
    runner = CliRunner()
    result = runner.invoke(cli, ["run", str(path), "--db", str(db_file)])
    assert result.exit_code == 0, result.output
    db = store.open_db(db_file)
    rows = list(db.query("SELECT kind, value, page, char_start FROM claims ORDER BY id"))
    investment = next(r for r in rows if r["kind"] == "investment" and r["value"] == 10e9)
    assert investment["page"] == 2
    listed = runner.invoke(cli, ["claims", "--kind", "investment", "--db", str(db_file)])
    assert "p. 2" in listed.output
    shown = runner.invoke(cli, ["show", str(path), "--db", str(db_file)])
    assert "pages: 2 (starting at characters 0, " in shown.output
    out = tmp_path / "claims.jsonl"
    assert runner.invoke(cli, ["export", "--status", "all", "-o", str(out), "--db", str(db_file)]).exit_code == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert {r["page"] for r in exported if r["kind"] == "investment"} == {2}


def test_a_scanned_pdf_is_one_line_naming_the_file(tmp_path, db_file):
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned_pdf())
    result = CliRunner().invoke(cli, ["run", str(path), "--db", str(db_file)])
    assert result.exit_code == 1
    (line,) = [line for line in result.output.splitlines() if "failed: " in line]
    assert line.strip() == (
        f"failed: {path}: PDF has no text layer (2 pages, a scan?); run OCR on it first (e.g. ocrmypdf IN OUT) "
        "and ingest the result"
    )
    assert store.open_db(db_file)["documents"].count == 0


def test_a_damaged_pdf_is_that_sources_failure(tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(text_pdf([PAGE_1])[:400])
    (item,) = load([str(path)])
    assert isinstance(item, LoadError) and item.message.startswith("not a readable PDF (") and "\n" not in item.message


def test_pdfs_served_over_http(db_file):
    pdf = text_pdf([PAGE_1, PAGE_2])
    routes = {
        "/release.pdf": lambda h: reply(h, 200, pdf, "application/pdf"),
        "/download": lambda h: reply(h, 200, pdf, "application/octet-stream"),  # a server that does not say
        "/scan.pdf": lambda h: reply(h, 200, scanned_pdf(), "application/pdf"),
    }
    with LocalServer(routes) as server:
        urls = [server.url(p) for p in ("/release.pdf", "/download", "/scan.pdf")]
        summary = pipeline.run(urls, store.open_db(db_file), progress=False)
    assert summary.counts["new"] == 1 and summary.counts["unchanged"] == 1
    (failure,) = summary.failed
    assert failure.source == urls[2] and failure.message.startswith("PDF has no text layer (2 pages, a scan?)")
    db = store.open_db(db_file)
    doc = store.documents.get_document(db, next(db.query("SELECT id FROM documents"))["id"])
    assert doc.content_type == "pdf" and len(doc.pages) == 2 and doc.url == urls[0]


def test_reflow_keeps_paragraphs_and_headings_apart():
    page = "Heading\n\nA sentence that runs over the end of\nthe line goes on.\nShort.\nNext paragraph starts here."
    assert reflow(page) == (
        "Heading\n\nA sentence that runs over the end of the line goes on.\nShort.\nNext paragraph starts here."
    )
    text, starts = pdf_text("one\fTwo\f\fthree")
    assert text == "one\n\nTwo\n\nthree" and starts == [0, 5, 10, 10]  # an empty page starts where the next does
