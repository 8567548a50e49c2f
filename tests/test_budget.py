"""--max-calls and --max-cost against a real OpenAI-compatible server: the run stops issuing calls, ends as
`budget` with what it did stored, and the next run goes on without repeating a call."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing

from click.testing import CliRunner

from conftest import SEEDS
from ingest import pipeline, store
from ingest.cli import cli

NOTHING = json.dumps({"claims": []})  # a valid passage answer


def options(server, **caps) -> pipeline.ExtractOptions:
    return pipeline.ExtractOptions(extractor="passage", model="gpt-4o-mini", base_url=server.url, **caps)


def test_max_calls_stops_the_run_and_the_next_run_goes_on_without_repeating_a_call(server, db):
    server.script = [{"content": NOTHING}] * 500
    first = pipeline.run([str(SEEDS)], db, extract=options(server, max_calls=3), progress=False)
    assert first.status == "budget" and len(server.requests) == 3
    assert first.budget == {"calls": 3, "max_calls": 3, "cost_usd": 4e-05, "max_cost_usd": None, "reached": True}
    assert db["llm_calls"].count == 3 and first.claims["documents"] >= 1
    second = pipeline.run([str(SEEDS)], db, extract=options(server), progress=False)
    assert second.status == "completed" and not second.budget
    keys = [r["cache_key"] for r in db.query("SELECT cache_key FROM llm_calls")]
    assert len(keys) == len(set(keys)) == len(server.requests) > 3  # no call was made twice
    assert {r["status"] for r in db.query("SELECT status FROM extractions")} == {"done"}


def test_max_cost_stops_once_the_estimated_spend_reaches_it_and_the_summary_shows_it(server, db_file):
    server.script = [{"content": NOTHING}] * 500  # each call: 50 + 10 tokens, $0.000225 at gpt-4o prices
    args = ["run", str(SEEDS), "--db", str(db_file), "--extractor", "passage", "--model", "gpt-4o"]
    result = CliRunner().invoke(cli, [*args, "--base-url", server.url, "--max-cost", "0.001"])
    assert result.exit_code == 0, result.output
    assert len(server.requests) == 5
    assert "run 1: budget\n" in result.output
    assert "  model budget           5 calls, $0.0011 of $0.0010 (reached: run again to continue)\n" in result.output
    assert store.open_db(db_file)["runs"].get(1)["status"] == "budget"


def test_a_run_killed_mid_extraction_repeats_no_recorded_model_call(server, tmp_path):
    """SIGKILL while model calls are under way: the re-run makes exactly the calls the killed run had not
    recorded, so the two together cost what one clean run costs (plus the call in flight at the kill)."""
    server.script = [{"content": NOTHING, "delay": 0.05}] * 500
    killed = tmp_path / "killed.db"
    cmd = [sys.executable, "-m", "ingest", "run", str(SEEDS), "--extractor", "passage", "--model", "gpt-4o-mini"]
    cmd += ["--base-url", server.url, "--db"]
    proc = subprocess.Popen([*cmd, str(killed)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None and recorded(killed) < 3:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done, before = recorded(killed), len(server.requests)
    subprocess.run([*cmd, str(killed)], check=True, capture_output=True)
    rerun = len(server.requests) - before
    subprocess.run([*cmd, str(tmp_path / "clean.db")], check=True, capture_output=True)
    clean = len(server.requests) - before - rerun
    assert 3 <= done < clean, "the kill should land mid-extraction"
    assert rerun == clean - done  # not one recorded call was made again
    assert recorded(killed) == recorded(tmp_path / "clean.db") == clean


def recorded(path) -> int:
    """Model calls a database has recorded, read without writing to it (0 before its tables exist)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            return conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0]
    except sqlite3.Error:
        return 0
