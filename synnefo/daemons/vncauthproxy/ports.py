"""Which port a new forwarding listens on."""
from __future__ import annotations

from typing import Callable, Iterator

from synnefo.protocols.vncauthproxy import ControlError


class PortPool:
    """Hands out candidate ports of a range, round robin, skipping the ones in use.

    Round robin keeps a just-released port (maybe still in a client's cache) idle the
    longest. A candidate may still be taken by another process: the caller tries to bind
    and moves on to the next one.
    """

    def __init__(self, low: int, high: int):
        self.low, self.high = low, high
        self._next = 0

    def candidates(self, requested: int, busy: Callable[[int], bool]) -> Iterator[int]:
        """``requested`` alone if non-zero, else the free ports from where the last one left
        off; ``busy(port)`` tells a port this process already uses."""
        if requested:
            yield self._check_requested(requested, busy)
            return
        span = self.high - self.low + 1
        for step in range(span):
            port = self.low + (self._next + step) % span
            if not busy(port):
                self._next = (port - self.low + 1) % span
                yield port

    def _check_requested(self, port: int, busy: Callable[[int], bool]) -> int:
        if not self.low <= port <= self.high:
            raise ControlError(f"source_port {port} is outside the range {self.low}-{self.high}")
        if busy(port):
            raise ControlError(f"source_port {port} is already forwarding")
        return port
