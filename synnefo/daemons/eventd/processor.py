"""One job file in, its new op-status messages out (through any ``Publisher``)."""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Callable

from synnefo.core.contracts.bus import Publisher
from synnefo.daemons.eventd.jobs import BadJobFile, OpEvent, job_id_of, op_events, parse_job
from synnefo.daemons.eventd.state import EventdState
from synnefo.daemons.eventd.watcher import archive_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handled:
    """What handling one file did: messages published and the file's mtime (None if skipped)."""
    published: int
    mtime: float | None


class JobFileProcessor:
    """Reads a job file and publishes each op status not published before."""

    def __init__(self, publisher: Publisher, state: EventdState,
                 cluster_name: Callable[[], str | None],
                 instance_filter: Callable[[str], bool] = lambda name: True):
        self.publisher = publisher
        self.state = state
        self._cluster_name = cluster_name
        self._is_ours = instance_filter

    def handle(self, path: str) -> Handled:
        read = _read_job_file(path)
        if read is None:
            return Handled(0, None)
        data, mtime = read
        events = self._events(path, data)
        if events is None:
            return Handled(0, mtime)
        fresh = [event for event in events
                 if self._is_ours(event.instance) and not self.state.is_published(event.key)]
        for event in fresh:
            self._publish(event)
        self.state.mark_published(event.key for event in fresh)
        return Handled(len(fresh), mtime)

    def _events(self, path: str, data: bytes) -> list[OpEvent] | None:
        try:
            return op_events(parse_job(data))
        except (BadJobFile, ValueError, TypeError, KeyError, AttributeError, IndexError) as exc:
            log.error("skipping job file %s: %s", path, exc)
            return None

    def _publish(self, event: OpEvent) -> None:
        self.publisher.publish(event.to_message(self._cluster_name()))
        log.info("job %d op %d %s %s: %s", event.job_id, event.index, event.opcode,
                 event.instance, event.status)


def _read_job_file(path: str) -> tuple[bytes, float] | None:
    """The bytes and mtime of a job file; a job archived meanwhile is read from the archive."""
    job_id = job_id_of(os.path.basename(path))
    candidates = [path]
    in_archive = os.path.basename(os.path.dirname(os.path.dirname(path))) == "archive"
    if job_id is not None and not in_archive:
        candidates.append(archive_path(os.path.dirname(path), job_id))
    for candidate in candidates:
        try:
            with open(candidate, "rb") as fh:
                return fh.read(), os.fstat(fh.fileno()).st_mtime
        except FileNotFoundError:
            continue
    log.info("job file %s vanished before it could be read; skipped", path)
    return None
