"""Descriptor budget of the proxy: raise RLIMIT_NOFILE, cap unauthenticated connections,
and keep asyncio's accept errors (EMFILE) from flooding the log.

Every forwarded connection that has not authenticated yet costs a descriptor for up to
``handshake_timeout``; without a cap, idle connections to forwarded ports can use up all
descriptors and starve the control endpoint. The caps below keep ``RESERVE`` descriptors for
the control endpoint, listening sockets and relays.
"""
from __future__ import annotations

import errno
import logging
import resource
import time
from typing import Callable

log = logging.getLogger("synnefo.daemons.vncauthproxy")

RESERVE = 64  # descriptors kept out of reach of unauthenticated connections
ACCEPT_ERRNOS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def raise_nofile_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:  # e.g. above fs.nr_open: keep what we have
            log.warning("cannot raise RLIMIT_NOFILE from %d to %d: %s", soft, target, exc)
    return soft


def unauthenticated_budget(configured: int, nofile: int | None = None) -> int:
    """The total cap on unauthenticated connections: ``configured``, but never so many that
    fewer than RESERVE descriptors (half the limit on small limits) are left."""
    if nofile is None:
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    reserve = min(RESERVE, nofile // 2)
    return max(1, min(configured, nofile - reserve))


class Admission:
    """Counts connections that have not authenticated yet, per forwarding and in total."""

    def __init__(self, per_forwarding: int, total: int):
        self.per_forwarding, self.total = per_forwarding, total
        self.pending = 0

    def admit(self, pending_here: int) -> bool:
        """True (and counted) if one more connection may start its handshake."""
        if pending_here >= self.per_forwarding or self.pending >= self.total:
            return False
        self.pending += 1
        return True

    def release(self) -> None:
        self.pending -= 1


class Throttle:
    """Lets a message through at most once per ``interval`` seconds per key; counts the rest."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.interval, self.clock = interval, clock
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def allow(self, key: str) -> int | None:
        """None to stay quiet; else how many were suppressed since the last one let through."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return None
        self._last[key] = now
        return self._suppressed.pop(key, 0)


def accept_error_handler(throttle: Throttle | None = None):
    """A loop exception handler: accept errors (EMFILE...) in one line at most once a second;
    everything else goes to asyncio's default handler."""
    throttle = throttle or Throttle()

    def handle(loop, context) -> None:
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in ACCEPT_ERRNOS):
            loop.default_exception_handler(context)
            return
        suppressed = throttle.allow("accept")
        if suppressed is not None:
            log.error("cannot accept connections: %s (%d more since the last report)",
                      exc.strerror or exc, suppressed)
    return handle
