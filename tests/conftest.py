import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def db_file(tmp_path):
    """Path of a fresh SQLite file in a tmp dir."""
    return tmp_path / "ingest.db"
