"""A JSON state file shared by processes: atomic writes, an advisory lock, change detection."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile


class StateFile:
    """``with state.locked(): data = state.load_if_changed(); ...; state.save(data)``."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
        self._seen: tuple[int, int] | None = None

    @contextlib.contextmanager
    def locked(self):
        """Hold an exclusive lock (``<path>.lock``) across processes."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path + ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def load_if_changed(self) -> dict | None:
        """The file's content if another writer changed it since we last read or wrote it."""
        stamp = self._stamp()
        if stamp is None or stamp == self._seen:
            return None
        with open(self.path, encoding="utf-8") as f:
            data = json.load(f)
        self._seen = stamp
        return data

    def save(self, data: dict) -> None:
        """Write to a temporary file in the same directory, then rename over the old one."""
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(self.path) + ".",
                                   suffix=".tmp", dir=os.path.dirname(self.path))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, separators=(",", ":"))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._seen = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)
