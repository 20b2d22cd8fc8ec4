"""File-system plumbing: the inotify watch on Ganeti's queue dir and the catch-up scan."""
from __future__ import annotations

import logging
import os

from inotify_simple import INotify, flags

from synnefo.daemons.eventd.jobs import job_id_of

log = logging.getLogger(__name__)

# Ganeti writes job files as temp file + rename (MOVED_TO); CLOSE_WRITE costs nothing extra and
# covers any writer that writes in place.
WATCH_FLAGS = flags.MOVED_TO | flags.CLOSE_WRITE
RESCAN = "rescan"


class QueueWatcher:
    """Reports paths of ``job-<id>`` files as they are (re)written in ``queue_dir``."""

    def __init__(self, queue_dir: str):
        self.queue_dir = queue_dir
        self._inotify = INotify()
        try:
            self._inotify.add_watch(queue_dir, WATCH_FLAGS)
        except OSError:
            self._inotify.close()
            raise

    def read(self, timeout: float) -> list[str]:
        """Job file paths changed since the last read (each once, first-seen order), waiting up
        to ``timeout`` seconds; ``[RESCAN]`` if the kernel dropped events (queue overflow)."""
        events = self._inotify.read(timeout=int(timeout * 1000))
        if any(event.mask & flags.IGNORED for event in events):
            # The directory itself went away: nothing more will ever be reported, so stop
            # (systemd restarts eventd, which waits for the directory and catches up).
            raise OSError(f"the watch on {self.queue_dir} was removed")
        if any(event.mask & flags.Q_OVERFLOW for event in events):
            log.error("inotify queue overflow on %s; rescanning", self.queue_dir)
            return [RESCAN]
        names = (event.name for event in events if job_id_of(event.name) is not None)
        return [os.path.join(self.queue_dir, name) for name in dict.fromkeys(names)]

    def fileno(self) -> int:
        return self._inotify.fileno()

    def close(self) -> None:
        self._inotify.close()


def archive_path(queue_dir: str, job_id: int) -> str:
    """Where ``gnt-job archive`` moves a job: ``archive/<id // 10000>/job-<id>``."""
    return os.path.join(queue_dir, "archive", str(job_id // 10000), f"job-{job_id}")


def scan(queue_dir: str, since: float) -> list[tuple[float, str]]:
    """``(mtime, path)`` of job files in the queue dir and its archive changed at or after
    ``since``, oldest first. Archive buckets not modified since then are skipped (a rename into
    a bucket updates its mtime; renames keep the file's own mtime)."""
    found = _job_files(queue_dir, since)
    archive = os.path.join(queue_dir, "archive")
    for bucket in _subdirs(archive):
        if _mtime(bucket, 0.0) >= since:
            found.extend(_job_files(bucket, since))
    return sorted(found)


def _job_files(directory: str, since: float) -> list[tuple[float, str]]:
    found = []
    for entry in _entries(directory):
        if job_id_of(entry.name) is None:
            continue
        mtime = _mtime(entry.path, None)
        if mtime is not None and mtime >= since:
            found.append((mtime, entry.path))
    return found


def _entries(directory: str) -> list[os.DirEntry]:
    try:
        with os.scandir(directory) as it:
            return list(it)
    except FileNotFoundError:
        return []


def _subdirs(directory: str) -> list[str]:
    return [entry.path for entry in _entries(directory) if entry.is_dir()]


def _mtime(path: str, default):
    try:
        return os.stat(path).st_mtime
    except FileNotFoundError:
        return default
