"""Scale bench: documents/s of the whole run (load, clean, store, rules extraction, ledger) in one process, in
the local process pool over all cores, and on a local Ray cluster, each with its ratio to one process.

The documents (default 5,000) are generated from the paragraphs of the seeds and the test articles: each takes
three paragraphs drawn at random, a figure or two changed, and a quarter are written as HTML pages, so they are
neither duplicates nor near-duplicates of each other and every one goes through cleaning, the near-duplicate
index, storing and extraction as a new article would. Each executor runs `pipeline.run` on a fresh database;
the pool's time includes starting its workers, Ray's fixed start-up (starting the local cluster) is printed
apart and left out of its rate. Needs the ray extra for the Ray row (skipped without it).
Usage: python bench/scale.py [--docs N] [--jobs N] [--no-ray]
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import os
import random
import re
import tempfile
import time
from pathlib import Path

from ingest import executors, pipeline, store

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.6


def paragraphs() -> list[str]:
    """Every paragraph of the seeds and the test articles with at least a few words."""
    files = [*sorted((ROOT / "seeds").glob("*.txt")), *sorted((ROOT / "tests" / "data" / "articles").glob("*.txt"))]
    paras = [p.strip() for f in files for p in re.split(r"\n\s*\n", f.read_text("utf-8"))]
    return [p for p in paras if len(p.split()) >= 8]


def write_corpus(folder: Path, n: int, seed: int = 14) -> None:
    """``n`` generated articles: three random paragraphs each, figures varied, one in four as HTML."""
    rng = random.Random(seed)
    pool = paragraphs()
    for i in range(n):
        paras = [re.sub(r"\d+", lambda m: str(int(m[0]) + rng.randint(0, 9)), p) for p in rng.sample(pool, 3)]
        title = f"Article {i}: {paras[0].split('.')[0][:60]}"
        if i % 4 == 0:
            body = "".join(f"<p>{html.escape(p)}</p>" for p in paras)
            page = f"<html><head><title>{html.escape(title)}</title></head><body><article><h1>"
            (folder / f"{i:05d}.html").write_text(f"{page}{html.escape(title)}</h1>{body}</article></body></html>")
        else:
            (folder / f"{i:05d}.txt").write_text(title + "\n\n" + "\n\n".join(paras))


def timed_run(folder: Path, executor) -> tuple[float, pipeline.RunSummary]:
    """Wall seconds and summary of one run over the folder on a fresh database."""
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(Path(tmp) / "scale.db")
        t0 = time.perf_counter()
        summary = pipeline.run([str(folder)], db, extract=pipeline.ExtractOptions(), executor=executor)
        return time.perf_counter() - t0, summary


def ray_executor(jobs: int) -> tuple[executors.Ray, float]:
    """A Ray executor on a local cluster of ``jobs`` CPUs, started now; the seconds it took."""
    ray = executors.Ray(num_cpus=jobs)
    ray.start()
    return ray, ray.start_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=5000, help="Documents to generate (default 5000).")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="Pool and Ray workers (default: all cores).")
    parser.add_argument("--no-ray", action="store_true", help="Leave out the Ray row.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_corpus(folder, args.docs)
        rows = [("one process", *timed_run(folder, executors.Local(jobs=1)))]
        rows.append((f"local pool ({args.jobs} processes)", *timed_run(folder, executors.Local(jobs=args.jobs))))
        if not args.no_ray and importlib.util.find_spec("ray"):
            ray, start = ray_executor(args.jobs)
            rows.append((f"ray ({args.jobs} CPUs, start-up {start:.1f} s apart)", *timed_run(folder, ray)))
            ray.close()
    base = rows[0][1]
    for name, seconds, summary in rows:
        c = summary.counts
        print(
            f"{name:<42} {args.docs / seconds:6.1f} documents/s  {base / seconds:.2f}x one process  "
            f"({seconds:.1f} s; {c['new']} new, {c['near_duplicate']} near-duplicates, "
            f"{summary.claims['new']} claims)"
        )
    ratio = base / rows[1][1]
    print(f"bench scale: pool {ratio:.2f}x one process (target {TARGET}x) {'ok' if ratio >= TARGET else 'short'}")


if __name__ == "__main__":
    main()
