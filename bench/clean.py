"""Clean-stage bench: ingest's load+clean+store against bare trafilatura.extract on the same real pages.

Prints body F1 of each against the benchmark's ground truth (whitespace-token multiset F1, averaged over
pages) and documents per second of each over the pages repeated to at least 2,000 documents; then PDF pages per
second (load with pypdf, clean, store) over PDFs written with reportlab from the benchmark's article bodies, with
the body F1 of the text read back; then the time and peak memory of `ingest run` (load, clean, store, extract with
the rules; its process and its pool's workers together) on one text file just under the 5 MB cap on local files:
the seeds repeated (every sentence about a deal) and the benchmark's news bodies repeated, with the run's own
stage timings (where the time goes).
Usage: python bench/clean.py [--docs N] [--pdfs N] [--pdf-only] [--big-only]
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from pathlib import Path

import trafilatura

from ingest import pipeline, store

BENCH = Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks" / "article-extraction"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def token_f1(predicted: str | None, truth: str) -> float:
    """The benchmark's score: F1 over the multisets of whitespace tokens."""
    p, t = Counter((predicted or "").split()), Counter(truth.split())
    if not p or not t:
        return float(p == t)
    overlap = sum((p & t).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def page_id(path: str) -> str:
    return Path(path).name.split(".")[0]


def tree_pss_mb(pid: int) -> float:
    """Proportional set size (shared pages split between their processes) of a process and all its
    descendants (a pool's workers), in MB; processes gone meanwhile count nothing."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue
        total += int(next(line.split()[1] for line in rollup.splitlines() if line.startswith("Pss:")))
    return total / 1024


def big_text(tmp: Path, name: str, body: str, *options: str, size: int = 4_900_000) -> tuple[float, float, dict]:
    """Seconds, peak memory (MB, the proportional set size of `ingest run` and its pool's workers together,
    sampled once a second) and the run's own stage timings of `ingest run` with ``options`` on a new database and
    one text file of ``size`` bytes: ``body`` repeated."""
    text = (body + "\n\n") * (size // len(body.encode()) + 1)
    path = tmp / f"{name}.txt"
    path.write_bytes(text.encode()[:size].decode("utf-8", "ignore").encode())
    db = tmp / f"{name}{len(list(tmp.glob('*.db')))}.db"
    command = [sys.executable, "-m", "ingest", "run", str(path), "--db", str(db), "--json", *options]
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        run = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL)
        peak = tree_pss_mb(run.pid)
        while not _ended(run, 1.0):
            peak = max(peak, tree_pss_mb(run.pid))
        seconds = time.perf_counter() - t0
        if run.returncode:
            raise SystemExit(f"ingest run on {path} exited with {run.returncode}")
        out.seek(0)
        return seconds, peak, json.load(out)["timings"]


def _ended(process: subprocess.Popen, seconds: float) -> bool:
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def write_pdf(text: str, path: Path, lines_per_page: int = 55) -> int:
    """A PDF of ``text`` as a word processor lays it out (wrapped lines, A4 pages); returns its page count."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    lines = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, 95) + [""]
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    pages = 0
    for start in range(0, len(lines), lines_per_page):
        t = c.beginText(40, 800)
        t.setFont("Helvetica", 9)
        for line in lines[start : start + lines_per_page]:
            t.textLine(line)
        c.drawText(t)
        c.showPage()
        pages += 1
    c.save()
    return pages


def report_pdf(bench_dir: Path, tmp: Path, n_pdfs: int, html_docs_per_s: float | None) -> None:
    """PDF pages per second through load, clean and store, and the body F1 of the text read back."""
    truth = json.loads((bench_dir / "ground-truth.json").read_text())
    bodies = [(k, v["articleBody"]) for k, v in sorted(truth.items()) if v.get("articleBody", "").strip()]
    folder = tmp / "pdfs"
    folder.mkdir()
    pages = 0
    for i in range(n_pdfs):
        key, body = bodies[i % len(bodies)]
        pages += write_pdf(f"copy {i}\n{body}", folder / f"{i:05d}_{key}.pdf")
    db = store.open_db(tmp / "pdf.db")
    t0 = time.perf_counter()
    summary = pipeline.run([str(folder)], db, progress=False)
    seconds = time.perf_counter() - t0
    texts = {Path(r["source"]).stem.split("_", 1)[1]: r["text"] for r in db.query("SELECT source, text FROM documents")}
    f1 = sum(token_f1(t.split("\n", 1)[1] if "\n" in t else t, truth[k]["articleBody"]) for k, t in texts.items())
    f1 /= max(len(texts), 1)
    print(f"PDFs: {n_pdfs} files, {pages} pages ({summary.counts}); stage seconds {summary.timings}")
    html = f"; HTML {html_docs_per_s:.1f} documents/s" if html_docs_per_s else ""
    ok = pages / seconds >= 20 and f1 >= 0.95
    print(
        f"bench clean pdf: {pages / seconds:.1f} pages/s{html}, body F1 of the text read back {f1:.3f} "
        f"(target >= 20 pages/s, F1 >= 0.95) {'ok' if ok else 'short'}"
    )


def report_big(tmp: Path, bench_dir: Path) -> None:
    """The 5 MB figures on two texts: the seeds (every sentence about a deal) and the benchmark's news bodies."""
    seeds = "\n\n".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    truth = json.loads((bench_dir / "ground-truth.json").read_text())
    news = "\n\n".join(t["articleBody"] for _, t in sorted(truth.items()))
    ok = True
    for name, body in (("seeds", seeds), ("news", news)):
        seconds, peak_mb, stages = big_text(tmp, name, body)
        ok &= seconds < 10 and peak_mb < 300
        lean_seconds, lean_mb, _ = big_text(tmp, name, body, "--jobs", "1")
        print(
            f"5 MB of {name}: {seconds:.1f} s, {peak_mb:.0f} MB peak (its sections over a pool of every core; "
            f"with --jobs 1 {lean_seconds:.1f} s, {lean_mb:.0f} MB)"
        )
        print(f"  stage seconds of the pooled run: {stages}, the rest starting Python and ingest")
    print(f"bench clean 5MB: worst of the two above (target < 10 s, < 300 MB) {'ok' if ok else 'short'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000, help="documents for the throughput runs")
    parser.add_argument("--bench-dir", type=Path, default=BENCH)
    parser.add_argument("--big-only", action="store_true", help="only the 5 MB text file")
    parser.add_argument("--pdfs", type=int, default=200, help="PDF files for the PDF throughput run")
    parser.add_argument("--pdf-only", action="store_true", help="only the PDF pages per second")
    args = parser.parse_args()
    if args.big_only or args.pdf_only:
        with tempfile.TemporaryDirectory() as tmp:
            if args.big_only:
                report_big(Path(tmp), args.bench_dir)
            else:
                report_pdf(args.bench_dir, Path(tmp), args.pdfs, None)
        return
    truth = json.loads((args.bench_dir / "ground-truth.json").read_text())
    files = sorted((args.bench_dir / "html").glob("*.html.gz"))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # Quality: the 181 pages once each, through the real pipeline into a real SQLite file.
        db = store.open_db(tmp / "quality.db")
        pipeline.run([str(f) for f in files], db, progress=False)
        ours = {page_id(r["source"]): r["text"] for r in db.query("SELECT source, text FROM documents")}
        htmls = {page_id(str(f)): gzip.decompress(f.read_bytes()).decode("utf-8") for f in files}
        bare = {k: trafilatura.extract(h) for k, h in htmls.items()}
        f1_ours = sum(token_f1(ours.get(k), truth[k]["articleBody"]) for k in htmls) / len(htmls)
        f1_bare = sum(token_f1(bare[k], truth[k]["articleBody"]) for k in htmls) / len(htmls)

        # Throughput: the pages repeated (renamed copies) to at least --docs documents.
        copies = tmp / "copies"
        copies.mkdir()
        n = 0
        while n < args.docs:
            for f in files:
                shutil.copyfile(f, copies / f"{n:05d}_{f.name}")
                n += 1
        sources = sorted(str(p) for p in copies.iterdir())
        t0 = time.perf_counter()
        summary = pipeline.run([str(copies)], store.open_db(tmp / "throughput.db"), progress=False)
        t_ours = time.perf_counter() - t0
        repeated = [htmls[page_id(s).split("_", 1)[1]] for s in sources]
        t0 = time.perf_counter()
        for html in repeated:
            trafilatura.extract(html)
        t_bare = time.perf_counter() - t0

    ratio = t_ours / t_bare
    print(f"pages: {len(files)}; throughput documents: {n} ({summary.counts})")
    print(f"body F1        ingest {f1_ours:.4f}   bare trafilatura.extract {f1_bare:.4f}")
    print(f"docs/second    ingest {n / t_ours:.1f}   bare trafilatura.extract {n / t_bare:.1f}")
    print(f"stage seconds  {summary.timings}")
    ok = ratio <= 1.3 and f1_ours >= f1_bare
    print(
        f"bench clean: {ratio:.2f}x bare trafilatura time, F1 {f1_ours:.3f} vs {f1_bare:.3f} "
        f"(target <= 1.3x and F1 >= bare) {'ok' if ok else 'short'}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        report_pdf(args.bench_dir, Path(tmp), args.pdfs, n / t_ours)
    with tempfile.TemporaryDirectory() as tmp:
        report_big(Path(tmp), args.bench_dir)


if __name__ == "__main__":
    main()
