"""A durable local spool for messages the broker could not take, and a publisher that uses it.

Every publisher spools rather than drops: snf-ganeti-eventd and snf-ganeti-hook share one SQLite
file on the Ganeti master, and the web and dispatcher processes (``KombuPublisher``) share one of
their own (several processes may append at once; SQLite serialises them). Messages leave it strictly in the order they
entered, and only after the broker confirmed them, so nothing is lost across a broker outage or
a restart. A crash between the broker's confirm and the delete may send one message twice:
delivery is at least once, and the consumers are idempotent (they order by ``event_time``).
Only one process replays at a time (an ``flock`` on ``<spool>.lock``).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

from synnefo.core.contracts.bus import Message, Publisher
from synnefo.messaging.spool_store import Spool

__all__ = ["Spool", "SpoolingPublisher"]

log = logging.getLogger(__name__)

class SpoolingPublisher(Publisher):
    """Wraps any ``Publisher``: on failure the message is spooled, and later ones queue behind it.

    While the spool holds anything, new messages are appended (never sent ahead of older ones)
    and a replay is attempted; after a failure nothing touches the broker for
    ``retry_interval`` seconds, so an outage costs one timeout per interval, not one per message.
    Thread-safe: one lock serialises publishing, spooling and replaying in this process.
    """

    def __init__(self, inner: Publisher, spool: Spool, *, retry_interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic,
                 is_transient: Callable[[BaseException], bool] = lambda exc: True):
        """``is_transient(exc)`` tells broker trouble (spool) from a refusal of the message
        itself, which is raised to the caller (by default every failure is spooled)."""
        self.inner = inner
        self.spool = spool
        self._retry_interval = retry_interval
        self._clock = clock
        self._is_transient = is_transient
        self._next_try = 0.0
        self._lock = threading.RLock()

    def publish(self, message: Message) -> None:
        """Publish now if possible, else spool; never raises for a broker problem."""
        with self._lock:
            self._publish(message)

    def _publish(self, message: Message) -> None:
        if self.spool.is_empty() and self._may_try():
            try:
                self.inner.publish(message)
                return
            except Exception as exc:  # noqa: BLE001 - any broker failure means: spool it
                if not self._is_transient(exc):
                    raise
                self._failed(exc)
        self._spool(message)
        self.flush()

    def publish_durably(self, message: Message, deadline: float | None = None) -> None:
        """Spool first, then replay until ``deadline`` (for callers that may be killed anytime)."""
        with self._lock:
            self._spool(message)
            self._next_try = 0.0
            self.flush(deadline)

    def flush(self, deadline: float | None = None) -> int:
        """Replay in order until empty, a failure or ``deadline``; returns the count sent."""
        with self._lock:
            if not self._may_try() or self.spool.is_empty():
                return 0
            with self.spool.replay_lock() as mine:
                return self._replay(deadline) if mine else 0

    def _replay(self, deadline: float | None) -> int:
        sent = 0
        while deadline is None or self._clock() < deadline:
            batch = self.spool.peek()
            if not batch:
                break
            for spool_id, message in batch:
                if not self._send_spooled(spool_id, message):
                    return sent
                sent += 1
        if sent:
            log.info("replayed %d spooled message(s) from %s", sent, self.spool.path)
        return sent

    def _send_spooled(self, spool_id: int, message: Message) -> bool:
        try:
            self.inner.publish(message)
        except Exception as exc:  # noqa: BLE001 - stays in the spool for the next attempt
            self._failed(exc)
            return False
        self.spool.remove(spool_id)
        log.info("sent spooled %s %s (spool id %d)", message.routing_key,
                 message.body.get("instance"), spool_id)
        return True

    def _spool(self, message: Message) -> None:
        spool_id = self.spool.append(message)
        log.info("spooled %s %s (spool id %d) in %s", message.routing_key,
                 message.body.get("instance"), spool_id, self.spool.path)

    def _may_try(self) -> bool:
        return self._clock() >= self._next_try

    def _failed(self, exc: Exception) -> None:
        self._next_try = self._clock() + self._retry_interval
        log.error("broker unavailable (%s: %s); spooling to %s, retry in %.0fs",
                  type(exc).__name__, exc, self.spool.path, self._retry_interval)

    @property
    def pending(self) -> int:
        return len(self.spool)

    def close(self) -> None:
        with self._lock:
            self.inner.close()
            self.spool.close()
