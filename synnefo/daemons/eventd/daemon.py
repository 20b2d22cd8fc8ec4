"""The eventd main loop: watch, catch up after start or takeover, publish only while master."""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from synnefo.daemons.eventd.config import EventdConfig
from synnefo.daemons.eventd.master import MasterCheck
from synnefo.daemons.eventd.processor import JobFileProcessor
from synnefo.daemons.eventd.state import EventdState
from synnefo.daemons.eventd.watcher import RESCAN, QueueWatcher, scan
from synnefo.messaging.spool import SpoolingPublisher

log = logging.getLogger(__name__)

# Job files are written by two processes (luxid and the job process), so a file renamed later
# may carry an older mtime than one renamed before it; rescanning this far behind the checkpoint
# covers that, and dedupe makes the overlap free.
CHECKPOINT_SLACK = 10.0
TICK = 0.5
PRUNE_EVERY = 3600.0


class Eventd:
    """Wires the watcher, the master check, the processor, the state and the spool together."""

    def __init__(self, config: EventdConfig, publisher: SpoolingPublisher, state: EventdState,
                 master: MasterCheck, *, instance_filter: Callable[[str], bool] = lambda name: True,
                 clock: Callable[[], float] = time.time):
        self.config = config
        self.publisher = publisher
        self.state = state
        self.master = master
        self.processor = JobFileProcessor(publisher, state, lambda: master.cluster_name,
                                          instance_filter)
        self._clock = clock
        self._active = False
        self._pruned_at = 0.0

    def run(self, stop: threading.Event, ready: Callable[[], None] = lambda: None) -> None:
        """Loop until ``stop`` is set. The watch starts before the first scan, so a job written
        in between is seen by one or the other (dedupe removes the overlap)."""
        watcher = QueueWatcher(self.config.queue_dir)
        log.info("watching %s as node %s", self.config.queue_dir, self.master.node_name)
        ready()
        try:
            while not stop.is_set():
                self.step(watcher)
        finally:
            watcher.close()
            log.info("stopped")

    def step(self, watcher: QueueWatcher) -> None:
        """One turn: follow mastership, handle what inotify reported, retry the spool."""
        self._follow_master()
        paths = watcher.read(timeout=TICK)
        if self._active:
            if RESCAN in paths:
                self.catch_up()
            else:
                self.handle(paths)
            self._maybe_prune()
        # Spooled messages are valid whoever is master now (the hook spools here too).
        self.publisher.flush()

    def _follow_master(self) -> None:
        is_master = self.master.is_master()
        if is_master and not self._active:
            log.info("node %s is the master of %s: publishing", self.master.node_name,
                     self.master.cluster_name)
            self._active = True
            self.catch_up()
        elif not is_master and self._active:
            log.info("node %s is no longer the master: standing by", self.master.node_name)
            self._active = False

    def catch_up(self) -> int:
        """Handle every job file changed since the checkpoint (bounded by ``max_backlog``)."""
        since = self._scan_start()
        found = scan(self.config.queue_dir, since)
        log.info("catching up: %d job file(s) changed since %s", len(found),
                 time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(since)))
        published = self.handle(path for _, path in found)
        self.publisher.flush()
        return published

    def _scan_start(self) -> float:
        oldest = self._clock() - self.config.max_backlog
        checkpoint = self.state.checkpoint
        return oldest if checkpoint is None else max(oldest, checkpoint - CHECKPOINT_SLACK)

    def handle(self, paths) -> int:
        """Publish what is new in ``paths``, then move the checkpoint past them."""
        published, newest = 0, None
        for path in paths:
            handled = self.processor.handle(path)
            published += handled.published
            if handled.mtime is not None:
                newest = handled.mtime if newest is None else max(newest, handled.mtime)
        if newest is not None:
            self.state.advance_checkpoint(newest)
        return published

    def _maybe_prune(self) -> None:
        now = self._clock()
        if now - self._pruned_at >= PRUNE_EVERY:
            self._pruned_at = now
            self.state.forget_older_than(max(self.config.state_retention,
                                             self.config.max_backlog + 3600))

    def close(self) -> None:
        self.publisher.close()
        self.state.close()
