"""Clean-stage bench: ingest's load+clean+store against bare trafilatura.extract on the same real pages.

Prints body F1 of each against the benchmark's ground truth (whitespace-token multiset F1, averaged over
pages) and documents per second of each over the pages repeated to at least 2,000 documents; then the time and
peak memory of `ingest run` (load, clean, store, extract with the rules) on one text file just under the 5 MB cap
on local files, in a process of its own.
Usage: python bench/clean.py [--docs N] [--big-only]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import subprocess
import sys
import tempfile
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


def big_text(tmp: Path, size: int = 4_900_000) -> tuple[float, float]:
    """Seconds and peak resident MB of `ingest run` on one text file of ``size`` bytes (the seeds repeated)."""
    seeds = "\n\n".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    text = (seeds + "\n\n") * (size // len(seeds.encode()) + 1)
    path = tmp / "big.txt"
    path.write_bytes(text.encode()[:size].decode("utf-8", "ignore").encode())
    command = [sys.executable, "-m", "ingest", "run", str(path), "--db", str(tmp / "big.db")]
    t0 = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def report_big(tmp: Path) -> None:
    seconds, peak_mb = big_text(tmp)
    ok = seconds < 10 and peak_mb < 300
    print(
        f"bench clean 5MB: {seconds:.1f} s, {peak_mb:.0f} MB peak (target < 10 s, < 300 MB) {'ok' if ok else 'short'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=2000, help="documents for the throughput runs")
    parser.add_argument("--bench-dir", type=Path, default=BENCH)
    parser.add_argument("--big-only", action="store_true", help="only the 5 MB text file")
    args = parser.parse_args()
    if args.big_only:
        with tempfile.TemporaryDirectory() as tmp:
            report_big(Path(tmp))
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
        report_big(Path(tmp))


if __name__ == "__main__":
    main()
