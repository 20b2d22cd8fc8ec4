"""The spool's storage: a FIFO of messages in one SQLite file (see ``synnefo.daemons.spool``).

Kept apart from the publisher, and importing only the standard library, so that the Ganeti
hook can append to the spool without loading the core or kombu (its start-up time is added
to every Ganeti job).
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from synnefo.core.contracts.bus import Message

_SCHEMA = """CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    exchange TEXT NOT NULL,
    routing_key TEXT NOT NULL,
    body TEXT NOT NULL,
    headers TEXT NOT NULL,
    spooled_at REAL NOT NULL)"""


class Spool:
    """A FIFO of ``Message``s in a SQLite file; ids grow strictly, so order is insertion order."""

    def __init__(self, path: str, *, busy_timeout: float = 5.0):
        self.path = os.path.abspath(path)
        os.makedirs(os.path.dirname(self.path), mode=0o750, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None,
                                   check_same_thread=False)  # one user at a time
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def append(self, message) -> int:
        """Add a ``Message`` (or anything with its four attributes); returns its spool id."""
        cursor = self._db.execute(
            "INSERT INTO messages (exchange, routing_key, body, headers, spooled_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (message.exchange, message.routing_key, json.dumps(message.body),
             json.dumps(dict(message.headers)), time.time()))
        return cursor.lastrowid

    def peek(self, limit: int = 100) -> list[tuple[int, Message]]:
        """The oldest ``limit`` messages with their spool ids, oldest first."""
        from synnefo.core.contracts.bus import Message  # the hook only appends
        rows = self._db.execute(
            "SELECT id, exchange, routing_key, body, headers FROM messages ORDER BY id LIMIT ?",
            (limit,)).fetchall()
        return [(row[0], Message(routing_key=row[2], body=json.loads(row[3]), exchange=row[1],
                                 headers=json.loads(row[4]))) for row in rows]

    def remove(self, spool_id: int) -> None:
        self._db.execute("DELETE FROM messages WHERE id = ?", (spool_id,))

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM messages").fetchone()[0]

    def is_empty(self) -> bool:
        return self._db.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is None

    @contextlib.contextmanager
    def replay_lock(self) -> Iterator[bool]:
        """Yields True if this process may replay now (no other process is replaying)."""
        with open(self.path + ".lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def close(self) -> None:
        self._db.close()
