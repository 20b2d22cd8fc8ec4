"""One control connection: read one request (up to a newline, or EOF), answer it, close.

A callback protocol rather than asyncio streams: a request then costs one task (for the
answer) and a handful of event-loop iterations, which is what bounds forwardings set up per
second (docs/performance.md, "The vncauthproxy relay").
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from synnefo.daemons.vncauthproxy.forwarding import reason
from synnefo.protocols.vncauthproxy import MAX_REQUEST

log = logging.getLogger("synnefo.daemons.vncauthproxy")

Answer = Callable[[bytes | None], Awaitable[bytes]]


class ControlConnection(asyncio.Protocol):
    """Hands the request to ``answer`` (None: longer than MAX_REQUEST) and writes back what it
    returns. Gives up after ``timeout`` seconds, logging ``TimeoutError``."""

    def __init__(self, answer: Answer, timeout: float):
        self._answer, self._timeout = answer, timeout
        self._request = bytearray()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task | None = None

    def connection_made(self, transport) -> None:
        self._transport = transport
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._timed_out)

    def data_received(self, data: bytes) -> None:
        if self._task is not None:
            return  # one request per connection: the rest is ignored
        self._request += data
        end = self._request.find(b"\n")
        if end >= 0:
            self._start(bytes(self._request[:end + 1]) if end <= MAX_REQUEST else None)
        elif len(self._request) > MAX_REQUEST:
            self._start(None)

    def eof_received(self) -> bool:
        if self._task is None:
            self._start(bytes(self._request))
        return True  # keep the connection open to write the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self._timer.cancel()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        if exc is not None:
            log.error("control connection failed: %s", reason(exc))

    def _start(self, request: bytes | None) -> None:
        self._transport.pause_reading()
        self._task = asyncio.ensure_future(self._answer(request))
        self._task.add_done_callback(self._send)

    def _send(self, task: asyncio.Task) -> None:
        if task.cancelled() or self._transport.is_closing():
            return
        self._transport.write(task.result())
        self._transport.close()

    def _timed_out(self) -> None:
        log.error("control connection failed: TimeoutError")
        self._transport.abort()

