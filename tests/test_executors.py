"""Executors: one process, the local pool and Ray store the same database; failures stay per document."""

import gc
import operator
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT, SEEDS
from ingest import executors, pipeline, store
from ingest.cli import cli
from ingest.extract import classify, rules
from ingest.models import Document, RawDocument
from test_pipeline import stored

TIMING = {"created_at", "seconds", "at", "started_at", "finished_at", "timings", "checked_at", "pid", "applied_at"}
TABLES = ["documents", "run_sources", "errors", "claims", "evidence", "signals", "extractions", "facts"]
TABLES += ["conflict_groups", "partnerships", "partnership_edges"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The seeds and the test articles, each also as two syndicated copies (near-duplicates): 39 documents."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in [*sorted(SEEDS.glob("*.txt")), *sorted((ROOT / "tests" / "data" / "articles").glob("*.txt"))]:
        text = path.read_text()
        (folder / path.name).write_text(text)
        for n in range(2):
            (folder / f"copy{n}_{path.name}").write_text(f"Syndicated by Example Wire {n}.\n" + text)
    return folder


def dump(db_file, skip: set[str] = TIMING) -> dict[str, list[tuple]]:
    """Every stored row of the result tables, timing columns (and ``skip``) left out."""
    conn = sqlite3.connect(db_file)
    out = {}
    for table in TABLES:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]
        out[table] = conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid").fetchall()
    return out


def run_with(executor, corpus, db_file) -> pipeline.RunSummary:
    return pipeline.run([str(corpus)], store.open_db(db_file), extract=pipeline.ExtractOptions(), executor=executor)


@pytest.fixture(scope="module")
def one_process(corpus, tmp_path_factory):
    db_file = tmp_path_factory.mktemp("one") / "one.db"
    summary = run_with(executors.Local(jobs=1), corpus, db_file)
    assert summary.executor == "local, 1 process"
    return dump(db_file)


def test_the_pools_workers_start_with_the_stages_frozen_out_of_the_garbage_collector():
    pool = executors.Local(jobs=2, min_pool=1)
    try:
        counts = list(pool.map(operator.methodcaller("__call__"), [gc.get_freeze_count] * 2))
    finally:
        pool.close()
    assert min(counts) > 10_000  # the imported stages' objects: a worker shares their pages with its forkserver


def test_the_pools_workers_start_with_the_extraction_tables_loaded():
    # loaded once in the forkserver: every worker shares its pages instead of loading a copy of its own
    pool = executors.Local(jobs=2, min_pool=1)
    try:
        loaded = list(pool.map(operator.methodcaller("__call__"), [classifier_loaded] * 2))
    finally:
        pool.close()
    assert loaded == [True, True]


def classifier_loaded() -> bool:
    return classify.model.cache_info().currsize == 1


def test_a_long_text_starts_the_pool_while_it_is_cleaned(monkeypatch):
    monkeypatch.setattr(rules, "SECTION_CHARS", 5_000)
    short = RawDocument(source="s.txt", path="s.txt", content_type="text", text="Initech bought Vandelay.")
    long = short.model_copy(update={"source": "l.txt", "text": "Initech bought Vandelay. " * 300})
    pool = executors.Local(jobs=2)
    try:
        items = pipeline.warming([short, long, short], pool)
        assert next(items) is short and pool._pool is None
        assert next(items) is long and pool._pool is not None  # its processes start in the background
        assert list(items) == [short]
    finally:
        pool.close()


@pytest.mark.skipif(not hasattr(executors._LIBC, "malloc_trim"), reason="the C library has no malloc_trim (not glibc)")
def test_trim_heap_gives_the_memory_freed_inside_the_heap_back():
    def rss_mb() -> int:
        return int(re.search(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text()).group(1)) >> 10

    large = bytearray(16 << 20)
    del large  # a large block freed raises the C library's mmap threshold: the blocks that follow are heap
    blocks = [bytearray(1 << 20) for _ in range(64)]
    del blocks[:-1]  # freed, but the last block keeps them inside the heap, held by this process
    held = rss_mb()
    executors.trim_heap()
    assert held - rss_mb() > 32


def test_the_pools_workers_clean_without_loading_datasketch_and_scipy():
    # a worker sends back a text's gram hashes; the MinHash is made where the index is (about 58 MB a process)
    code = (
        "import sys; from ingest import executors; from ingest.models import RawDocument; "
        "c = executors.clean_one(RawDocument(source='t.txt', path='t.txt', content_type='text', "
        "text='Initech agreed to buy Vandelay for two billion dollars.')); "
        "assert c.grams, c; print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_pool_stores_what_one_process_stores(corpus, one_process, tmp_path):
    summary = run_with(executors.Local(jobs=2), corpus, tmp_path / "pool.db")
    assert summary.executor == "local, 2 processes" and summary.counts["near_duplicate"] == 24
    assert dump(tmp_path / "pool.db") == one_process
    assert len(one_process["claims"]) > 50 and one_process["conflict_groups"]


def test_a_document_whose_extraction_raises_in_a_worker_is_returned_as_its_error():
    text = "Microsoft invested $1 billion in OpenAI."
    good = Document(id="a", source="a.txt", content_type="text", raw=text, text=text, content_hash="a")
    broken = Document.model_construct(**{**good.model_dump(), "id": "b", "text": None})  # rules cannot read it
    pool = executors.Local(jobs=2, min_pool=1)
    try:
        outcomes = list(pool.map(partial(executors.extract_one, extractor="rules"), [good, broken, good]))
    finally:
        pool.close()
    assert [o.doc.id for o in outcomes] == ["a", "b", "a"]
    assert outcomes[0].result.claims and outcomes[2].result.claims
    assert outcomes[1].result is None and outcomes[1].error.message.startswith("could not extract: ")


def test_a_stage_with_few_items_stays_in_this_process():
    local = executors.Local(jobs=2)
    assert list(local.map(str.upper, ["a", "b"])) == ["A", "B"] and local.describe() == "local, 1 process"


def test_executor_ray_without_ray_says_how_to_install_it(db_file, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray fails as when the extra is missing
    result = CliRunner().invoke(cli, ["run", str(SEEDS), "--executor", "ray", "--db", str(db_file)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output == f"Error: {executors.RAY_MISSING}\n"
    assert not db_file.exists()


def test_a_pool_run_killed_mid_extraction_then_rerun_equals_one_clean_run(corpus, one_process, tmp_path):
    clean_db = tmp_path / "clean.db"
    run_with(executors.Local(jobs=1), corpus, clean_db)
    db_file = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "ingest", "run", str(corpus), "--db", str(db_file), "--jobs", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and stored(db_file, "extractions") < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= stored(db_file, "extractions") < 39, "the kill should land mid-extraction"
    subprocess.run(cmd, check=True, capture_output=True)
    results = {t: rows for t, rows in dump(db_file, TIMING | {"run_id"}).items() if t != "run_sources"}
    assert results == {t: rows for t, rows in dump(clean_db, TIMING | {"run_id"}).items() if t != "run_sources"}


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_ray_stores_what_one_process_stores(ray_cluster, corpus, one_process, tmp_path):
    summary = run_with(executors.Ray(batch_size=4), corpus, tmp_path / "ray.db")
    assert summary.executor == "ray, local cluster" and not summary.failed
    assert dump(tmp_path / "ray.db") == one_process


def test_a_long_text_is_read_in_sections_over_the_pool(tmp_path, monkeypatch):
    monkeypatch.setattr(rules, "SECTION_CHARS", 5_000)  # sections are cut here; workers read what they are sent
    (tmp_path / "in").mkdir()
    long = "\n\n".join(p.read_text() for p in sorted(SEEDS.glob("*.txt")))
    (tmp_path / "in" / "long.txt").write_text(long)
    one = run_with(executors.Local(jobs=1), tmp_path / "in", tmp_path / "one.db")
    pool = run_with(executors.Local(jobs=2), tmp_path / "in", tmp_path / "pool.db")
    assert len(rules.sections(long)) > 5 and (one.executor, pool.executor) == ("local, 1 process", "local, 2 processes")
    assert dump(tmp_path / "pool.db") == dump(tmp_path / "one.db")
    assert len(dump(tmp_path / "one.db")["claims"]) > 10


def test_the_pool_is_gone_before_the_ledger_runs(tmp_path, monkeypatch):
    """The ledger runs in the main process alone: the workers' memory is given back before it starts."""
    pool, seen = executors.Local(jobs=2, min_pool=1), []
    recompute = store.ledger.recompute
    monkeypatch.setattr(store.ledger, "recompute", lambda db: seen.append(pool._pool) or recompute(db))
    (tmp_path / "in").mkdir()
    for path in sorted(SEEDS.glob("*.txt"))[:2]:
        (tmp_path / "in" / path.name).write_text(path.read_text())
    summary = run_with(pool, tmp_path / "in", tmp_path / "pool.db")
    assert summary.executor == "local, 2 processes" and summary.facts and seen == [None]
