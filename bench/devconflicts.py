"""Measure the ledger on the dev sets: their gold claims imported (perfect extraction), conflicts scored; or,
with --end-to-end, the set's articles run through `ingest run` (the default extractor) and its conflicts scored.

    .venv/bin/python bench/devconflicts.py                       # every set under ../shared/devsets
    .venv/bin/python bench/devconflicts.py --details             # also each missed conflict and flagged near-miss
    .venv/bin/python bench/devconflicts.py --end-to-end          # extraction and ledger together
    INGEST_DEVSETS=/path/to/devsets .venv/bin/python bench/devconflicts.py

For each set (a folder with gold.json, conflicts.json and docs/): a fresh database, `ingest import-claims
gold.json --docs docs`, the ledger, `ingest conflicts --json` and `ingest export --status all`, scored by the
sets' own score.py (`claims ... --conflicts ...`). Target: conflicts found >= 0.80 and near-misses flagged
<= 10% on every set. Without the dev sets (CI has none) it prints one line and exits 0.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import ingest
from ingest import exports, imports
from ingest.store import open_db

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "devsets"  # ../shared/devsets from the repository root
RECALL, END_TO_END_RECALL, NEAR_MISSES = 0.80, 0.50, 0.10


def run_set(folder: Path, tmp: Path, end_to_end: bool = False) -> tuple[dict, list[dict], dict]:
    """Import one set's gold claims (or extract its articles) into a fresh database; the score, the conflict
    groups, the claims stored and skipped."""
    db = open_db(tmp / f"{folder.name}.db")
    if end_to_end:
        docs = tmp / f"{folder.name}-docs"
        docs.mkdir()
        for doc in sorted((folder / "docs").glob("*.json")):
            (docs / f"{doc.stem}.txt").write_text(json.loads(doc.read_text())["text"])
        ingest.run([str(docs)], db)
        summary = {"imported": db["claims"].count, "skipped": 0}
    else:
        result = imports.import_claims(db, folder / "gold.json", folder / "docs")
        summary = {"imported": result.new, "skipped": len(result.errors)}
    claims, groups = tmp / f"{folder.name}-claims.jsonl", tmp / f"{folder.name}-conflicts.json"
    claims.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in exports.claim_rows(db)))
    rows = exports.conflict_rows(db)
    groups.write_text(json.dumps(rows, ensure_ascii=False))
    score = folder.parent / "score.py"
    cmd = [sys.executable, str(score), "--set", str(folder), "claims", str(claims), "--conflicts", str(groups)]
    cmd.append("--json")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out), rows, summary


def details(folder: Path, groups: list[dict]) -> list[str]:
    """Each gold conflict missed and each near-miss flagged, scored one at a time by score.py's own rules."""
    spec = importlib.util.spec_from_file_location("devset_score", folder.parent / "score.py")
    scorer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scorer)
    labels = json.loads((folder / "conflicts.json").read_text())
    lines = []
    for c in labels["conflicts"]:
        if not scorer.score_conflicts(groups, {"conflicts": [c], "near_misses": []})["conflicts_found"]:
            lines.append(f"  missed ({c.get('on', 'value')}): {c['topic']}")
    for n in labels["near_misses"]:
        one = {"conflicts": labels["conflicts"][:1], "near_misses": [n]}  # the scorer divides by the conflicts
        if scorer.score_conflicts(groups, one)["near_misses_flagged"]:
            lines.append(f"  flagged near-miss ({n.get('on', 'value')}): {n['topic']}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "devsets", nargs="?", default=os.environ.get("INGEST_DEVSETS", str(DEFAULT)), help="Folder of the dev sets."
    )
    parser.add_argument("--details", action="store_true", help="List missed conflicts and flagged near-misses.")
    parser.add_argument("--end-to-end", action="store_true", help="Extract the articles instead of importing gold.")
    args = parser.parse_args()
    root = Path(args.devsets)
    sets = sorted(p for p in root.glob("*") if (p / "gold.json").is_file() and (p / "conflicts.json").is_file())
    if not (root / "score.py").is_file() or not sets:
        print(f"bench devconflicts: skipped, no dev sets at {root} (set INGEST_DEVSETS or pass the folder)")
        return 0
    print(f"{'set':<4} {'claims':>8} {'skipped':>7} {'groups':>6} {'conflicts found':>16} "
          f"{'near-misses flagged':>20}")  # fmt: skip
    ok = True
    recall = END_TO_END_RECALL if args.end_to_end else RECALL
    what = "articles extracted" if args.end_to_end else "gold claims"
    with tempfile.TemporaryDirectory() as tmp:
        for folder in sets:
            score, groups, summary = run_set(folder, Path(tmp), args.end_to_end)
            found, total = score["conflicts_found"], score["gold_conflicts"]
            flagged, near = score["near_misses_flagged"], score["near_misses"]
            ok &= found >= recall * total and flagged <= NEAR_MISSES * near
            print(
                f"{folder.name:<4} {summary['imported']:>8} {summary['skipped']:>7} {score['conflict_groups']:>6} "
                f"{f'{found} / {total} ({found / total:.2f})':>16} {f'{flagged} / {near} ({flagged / near:.2f})':>20}"
            )
            if args.details:
                print("\n".join(details(folder, groups)))
    print(
        f"bench devconflicts: {what} of {len(sets)} dev sets through the ledger (target: found >= "
        f"{recall:.2f}, near-misses flagged <= {NEAR_MISSES:.0%} per set) {'ok' if ok else 'short'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
