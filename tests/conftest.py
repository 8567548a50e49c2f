import pathlib

import pytest

from ingest import store

pytest_plugins = ["openai_server"]  # the misbehaving OpenAI-compatible server fixture

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture
def db_file(tmp_path):
    """Path of a fresh SQLite file in a tmp dir."""
    return tmp_path / "ingest.db"


@pytest.fixture
def db(db_file):
    """A fresh database with the whole schema."""
    return store.open_db(db_file)
