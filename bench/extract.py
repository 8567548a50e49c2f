"""Extraction bench: `ingest run seeds/` with the offline default, then with the embedded model's strategy.

For each extractor it runs the real command twice on a fresh database (the second run finds everything
stored, extracted and cached) and prints: wall time of the first run (model load included), time inside the
model vs total extraction time, generated tokens per claim, and the second run's time.
Usage: python bench/extract.py [--model-extractor hybrid] [--model qwen2.5-coder-1.5b]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest.cli import DEFAULT_EXTRACTOR

ROOT = Path(__file__).resolve().parent.parent


def ingest_run(db: Path, extractor: str, model: str | None) -> tuple[float, dict]:
    """Wall seconds and JSON summary of one `ingest run seeds/`."""
    cmd = [sys.executable, "-m", "ingest", "run", str(ROOT / "seeds"), "--db", str(db), "--json"]
    cmd += ["--extractor", extractor] + (["--model", model] if model else [])
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - t0, json.loads(out)


def measure(extractor: str, model: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        wall1, first = ingest_run(Path(tmp) / "bench.db", extractor, model)
        wall2, second = ingest_run(Path(tmp) / "bench.db", extractor, model)
    m = first.get("model") or {}
    extract_s = first["timings"].get("extract", 0.0)
    claims = first["claims"]["new"]
    row = {
        "extractor": extractor,
        "first_wall_s": wall1,
        "first_pipeline_s": first["timings"]["total"],
        "extract_s": extract_s,
        "model_s": m.get("seconds", 0.0) + m.get("load_seconds", 0.0),
        "calls": m.get("calls", 0),
        "tokens_out": m.get("completion_tokens", 0),
        "claims": claims,
        "second_wall_s": wall2,
        "second_pipeline_s": second["timings"]["total"],
        "second_calls": (second.get("model") or {}).get("calls", 0),
    }
    print(
        f"{extractor:<8} first run {wall1:6.1f} s wall ({row['first_pipeline_s']:.1f} s pipeline, extraction "
        f"{extract_s:.1f} s of which model {row['model_s']:.1f} s, {row['calls']:.0f} calls); {claims} claims, "
        f"{row['tokens_out'] / max(claims, 1):.1f} generated tokens/claim; second run {wall2:.1f} s wall "
        f"({row['second_pipeline_s']:.2f} s pipeline, {row['second_calls']:.0f} model calls)"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-extractor", default="hybrid", help="the embedded model's strategy to measure")
    parser.add_argument("--model", help="embedded model (default: the registry's default)")
    args = parser.parse_args()
    default = measure(DEFAULT_EXTRACTOR, None)
    model = measure(args.model_extractor, args.model) if args.model_extractor != DEFAULT_EXTRACTOR else default
    overhead = 1 - model["model_s"] / model["extract_s"] if model["model_s"] else None
    speedup = model["first_pipeline_s"] / model["second_pipeline_s"]
    print(f"default extractor: {DEFAULT_EXTRACTOR}; first run {default['first_wall_s']:.1f} s (target 300 s)")
    if overhead is not None:
        print(f"{args.model_extractor}: pipeline overhead in extraction {overhead:.1%} (target < 5%)")
    print(
        f"{args.model_extractor}: cached second run {speedup:.0f}x faster in the pipeline "
        f"({model['first_wall_s'] / model['second_wall_s']:.1f}x in wall time, interpreter start included)"
    )
    ok = default["first_wall_s"] < 300 and (overhead is None or overhead < 0.05) and speedup >= 50
    print(
        f"bench extract: {default['first_wall_s']:.1f} s for ingest run seeds/ with the default, "
        f"{speedup:.0f}x cached (target 300 s, 50x) {'ok' if ok else 'short'}"
    )


if __name__ == "__main__":
    main()
