"""eventd's persisted memory: which (job, opcode index, status) it already published, and its
checkpoint (the newest job-file mtime fully handled), so a restart neither republishes nor
misses anything. One SQLite file, private to eventd."""
from __future__ import annotations

import os
import sqlite3
import time
from typing import Iterable

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS published (job_id INTEGER NOT NULL, op_index INTEGER NOT NULL,"
    " status TEXT NOT NULL, seen_at REAL NOT NULL, PRIMARY KEY (job_id, op_index, status))",
    "CREATE INDEX IF NOT EXISTS published_seen_at ON published (seen_at)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL)",
)


class EventdState:
    """Dedupe keys and the checkpoint; every write is committed before it returns."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        os.makedirs(os.path.dirname(self.path), mode=0o750, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None,
                                   check_same_thread=False)  # one user at a time
        self._db.execute("PRAGMA journal_mode=WAL")
        # Losing the last marks in a power cut only means publishing them again (consumers
        # are idempotent); the spool, which must not lose anything, keeps synchronous=FULL.
        self._db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            self._db.execute(statement)

    def is_published(self, key: tuple[int, int, str]) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM published WHERE job_id = ? AND op_index = ? AND status = ?",
            key).fetchone()
        return row is not None

    def mark_published(self, keys: Iterable[tuple[int, int, str]]) -> None:
        now = time.time()
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR IGNORE INTO published (job_id, op_index, status, seen_at)"
                " VALUES (?, ?, ?, ?)", [(*key, now) for key in keys])

    @property
    def checkpoint(self) -> float | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()
        return row[0] if row else None

    def advance_checkpoint(self, mtime: float) -> None:
        """Every job file changed up to ``mtime`` has been handled (never moves back)."""
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('checkpoint', ?) ON CONFLICT (key)"
            " DO UPDATE SET value = max(value, excluded.value)", (mtime,))

    def forget_older_than(self, seconds: float) -> int:
        """Drop dedupe keys older than ``seconds`` (jobs that old are never rescanned)."""
        cursor = self._db.execute("DELETE FROM published WHERE seen_at < ?",
                                  (time.time() - seconds,))
        return cursor.rowcount

    def close(self) -> None:
        self._db.close()
