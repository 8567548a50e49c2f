"""A database with a damaged page: every command says so in one line, naming the file and the way out."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from conftest import SEEDS
from ingest.cli import cli
from ingest.review import web


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    path = tmp_path_factory.mktemp("seeded") / "ingest.db"
    assert CliRunner().invoke(cli, ["run", str(SEEDS), "--db", str(path)]).exit_code == 0
    return path


def damage(seeded, tmp_path, table: str):
    """A copy of the seeded database whose page holding the root of ``table`` is overwritten with garbage."""
    path = tmp_path / "damaged.db"
    with sqlite3.connect(seeded) as conn:
        conn.execute("VACUUM INTO ?", [str(path)])  # one file, no WAL beside it
    with sqlite3.connect(path) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    assert root > 2  # a page in the middle of the file, not its header
    with open(path, "r+b") as f:
        f.seek((root - 1) * page_size)
        f.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    return path


@pytest.mark.parametrize(
    ("table", "args"),
    [("claims", ["claims"]), ("claims", ["accept", "3"]), ("facts", ["facts"]), ("documents", ["run", str(SEEDS)])],
)
def test_a_damaged_page_is_one_line_naming_the_file_and_the_way_out(seeded, tmp_path, table, args):
    path = damage(seeded, tmp_path, table)
    result = CliRunner().invoke(cli, [*args, "--db", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output == (
        f"Error: --db {path}: SQLite error: database disk image is malformed; recover what it holds with "
        f'`sqlite3 {path} ".recover" | sqlite3 recovered.db` and use --db recovered.db\n'
    )
    with sqlite3.connect(path) as conn:
        runs = conn.execute("SELECT status FROM runs ORDER BY id").fetchall()
    assert runs == ([("completed",), ("failed",)] if args[0] == "run" else [("completed",)])


def test_the_review_page_names_the_damaged_file(seeded, tmp_path):
    path = damage(seeded, tmp_path, "claims")
    response = TestClient(web.create_app(path), base_url="http://127.0.0.1").get("/")
    assert response.status_code == 500
    assert f"--db {path}: SQLite error: database disk image is malformed" in response.text
