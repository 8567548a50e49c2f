"""The model-call log (``llm_calls``): every attempt of every call, and the cache the model client reads."""

from __future__ import annotations

import sqlite_utils


class CallLog:
    """The log as the model client's cache (``extract.llm.CallCache``): the latest good answer by cache key;
    each call's attempts appended at once, with the run that made them."""

    def __init__(self, db: sqlite_utils.Database, run_id: int | None = None):
        self.db, self.run_id = db, run_id

    def answer(self, key: str) -> str | None:
        sql = "SELECT response FROM llm_calls WHERE cache_key = ? AND ok = 1 ORDER BY id DESC LIMIT 1"
        row = self.db.execute(sql, [key]).fetchone()
        return row[0] if row else None

    def record(self, rows: list[dict]) -> None:
        with self.db.conn:
            self.db["llm_calls"].insert_all({**r, "run_id": self.run_id} for r in rows)
