"""Speed of an embedded model: load time, then seconds and tokens for one cue-sentence resolve call and one
~1,500-character passage call (fresh database, so nothing is cached). Targets: a first resolve call under
20 s and a passage call under 60 s on two cores (what keeps `--extractor hybrid` on the seeds under 300 s).

    .venv/bin/python bench/llm_speed.py [qwen2.5-coder-0.5b|qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from ingest import extract, store
from ingest.extract import embedded, llm

SENTENCE = "Amazon said on Friday it will invest a further $4 billion in Anthropic, taking its total to $8 billion."
SEED = Path(__file__).resolve().parent.parent / "seeds" / "004_0001dc4371515a91.txt"


def passage() -> str:
    text = SEED.read_text(encoding="utf-8")
    return extract.chunks(text[text.index("OpenAI's collaboration") :], 1500)[0]


TARGETS = {"resolve": 20.0, "passage": 60.0}


def timed(client: llm.LLMClient, db, messages: list[dict], model, cap: int) -> float:
    """Seconds of one call (infinite when it failed), its line printed."""
    t0 = time.perf_counter()
    result = client.complete_many([llm.Request(messages, model, cap)], store.calls.CallLog(db))[0]
    seconds, u = time.perf_counter() - t0, result.usage
    status = "ok" if result.error is None else f"failed ({result.error[:60]})"
    print(f"{seconds:6.1f} s  prompt {u.prompt_tokens:4d} tok  completion {u.completion_tokens:4d} tok  {status}")
    return seconds if result.error is None else float("inf")


def main(name: str) -> None:
    t0 = time.perf_counter()
    client = embedded.client(name)
    print(f"{name}: weight check {time.perf_counter() - t0:.1f} s (the model loads on the first call)")
    db = store.open_db(Path(tempfile.mkdtemp()) / "bench.db")
    resolve = extract.resolve_model(("investment", "valuation", "other"), ("Amazon", "Anthropic"))
    cap = llm.config()["max_tokens"]
    seconds = {}
    for label in ("cue sentence (first)", "cue sentence (again)"):
        note = f"Figure: $4 billion ({label})"
        print(f"  {label:22s}", end=" ")
        seconds.setdefault("resolve", timed(client, db, llm.messages("resolve", resolve, SENTENCE, note), resolve,
                                            cap["resolve"]))  # fmt: skip
    text = passage()
    print(f"  passage {len(text)} chars    ", end=" ")
    msgs = llm.messages("passage", extract.PassageClaims, text)
    seconds["passage"] = timed(client, db, msgs, extract.PassageClaims, cap["passage"])
    print(f"  model load (within the first call) {embedded.load_seconds() or 0:.1f} s")
    verdict = "ok" if all(seconds[k] < t for k, t in TARGETS.items()) else "short"
    figures = ", ".join(f"{k} {seconds[k]:.1f} s" for k in TARGETS)
    targets = ", ".join(f"{k} < {t:.0f} s" for k, t in TARGETS.items())
    print(f"bench llm_speed: {name}: {figures} (target {targets}) {verdict}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else llm.config()["default_model"])
