"""The spool's storage: a FIFO of messages in one SQLite file (see ``synnefo.messaging.spool``).

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
from collections.abc import Iterator

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing (the hook's start-up)
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

    def __init__(self, path: str, *, busy_timeout: float = 5.0, lazy: bool = False):
        """``lazy``: create the file only when the first message is spooled (a process that
        never needs it leaves nothing behind); until then an absent file reads as empty."""
        self.path = os.path.abspath(path)
        self._busy_timeout = busy_timeout
        self._db: sqlite3.Connection | None = None
        if not lazy:
            self._open()

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            os.makedirs(os.path.dirname(self.path), mode=0o750, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None,
                                 check_same_thread=False)  # callers serialise their use
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute(_SCHEMA)
            self._db = db
        return self._db

    def _reader(self) -> sqlite3.Connection | None:
        """The open database, or None while a lazy spool has no file (nothing spooled yet)."""
        if self._db is None and not os.path.exists(self.path):
            return None
        return self._open()

    def append(self, message: Message) -> int:
        cursor = self._open().execute(
            "INSERT INTO messages (exchange, routing_key, body, headers, spooled_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (message.exchange, message.routing_key, json.dumps(message.body),
             json.dumps(dict(message.headers)), time.time()))
        return cursor.lastrowid

    def peek(self, limit: int = 100) -> list[tuple[int, Message]]:
        """The oldest ``limit`` messages with their spool ids, oldest first."""
        db = self._reader()
        if db is None:
            return []
        rows = db.execute(
            "SELECT id, exchange, routing_key, body, headers FROM messages ORDER BY id LIMIT ?",
            (limit,)).fetchall()
        from synnefo.core.contracts.bus import Message  # lazily: the hook only appends
        return [(row[0], Message(routing_key=row[2], body=json.loads(row[3]), exchange=row[1],
                                 headers=json.loads(row[4]))) for row in rows]

    def remove(self, spool_id: int) -> None:
        self._open().execute("DELETE FROM messages WHERE id = ?", (spool_id,))

    def __len__(self) -> int:
        db = self._reader()
        return 0 if db is None else db.execute("SELECT count(*) FROM messages").fetchone()[0]

    def is_empty(self) -> bool:
        db = self._reader()
        return db is None or db.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is None

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
        if self._db is not None:
            self._db.close()
            self._db = None
