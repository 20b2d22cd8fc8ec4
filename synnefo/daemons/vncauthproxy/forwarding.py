"""One forwarding: a port that lets one authenticated VNC client through to one VNC server."""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Callable

from synnefo.daemons.vncauthproxy import handshake, rfb
from synnefo.daemons.vncauthproxy.config import ProxyConfig
from synnefo.daemons.vncauthproxy.limits import Admission, Throttle
from synnefo.daemons.vncauthproxy.relay import CHUNK, relay

log = logging.getLogger("synnefo.daemons.vncauthproxy")

WAITING, RELAYING, CLOSED = "waiting", "relaying", "closed"
STREAM_LIMIT = 2 * CHUNK


@dataclass(frozen=True)
class Destination:
    host: str
    address: str
    port: int

    def __str__(self) -> str:
        shown = self.host if self.host == self.address else f"{self.host} ({self.address})"
        return f"{shown}:{self.port}"


class Forwarding:
    """Listens until one client authenticates with the one-time password, or until expiry.

    A wrong password closes only that client's connection; after ``max_auth_failures`` of
    them the forwarding closes (guessing an 8-character password takes more than that).
    ``on_closed`` is called once, when the forwarding stops listening for good. A connection
    over ``admission``'s caps on unauthenticated connections is closed at once.
    """

    def __init__(self, destination: Destination, password: str, config: ProxyConfig,
                 on_closed: Callable[["Forwarding"], None], admission: Admission | None = None):
        self.destination, self.password, self.config = destination, password, config
        self.port = 0
        self.state = WAITING
        self.failures = 0
        self._on_closed = on_closed
        self._server: asyncio.Server | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._admission = admission or Admission(config.max_unauthenticated_per_forwarding,
                                                 config.max_unauthenticated)
        self._pending = 0  # connections of this forwarding still in their handshake
        self._throttle = Throttle()

    async def listen(self, host: str, port: int) -> None:
        """Bind the port (OSError if taken) and start the expiry clock."""
        self._server = await asyncio.start_server(self._accept, host, port, limit=STREAM_LIMIT)
        self.port = self._server.sockets[0].getsockname()[1]
        self._timer = asyncio.get_running_loop().call_later(self.config.expiry_seconds,
                                                            self._expire)

    def _accept(self, reader, writer) -> None:
        if not self._admit(writer):
            writer.transport.abort()  # refuse at once: no handshake, no descriptor held
            return
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def serve_client(self, reader, writer) -> None:
        """Serve one client that came another way (a WebSocket), under the same rules."""
        if not self._admit(writer):
            return
        task = asyncio.current_task()
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._tasks.discard(task)

    def _admit(self, writer) -> bool:
        if not self._admission.admit(self._pending):
            self._log_refusal(_peer(writer))
            return False
        self._pending += 1
        return True

    def _log_refusal(self, peer: str) -> None:
        suppressed = self._throttle.allow("refused")
        if suppressed is not None:
            log.error("forwarding port %d to %s: client %s refused: too many unauthenticated "
                      "connections (%d more refused since the last report)", self.port,
                      self.destination, peer, suppressed)

    def _authenticated(self) -> None:
        """This connection's handshake is over: it no longer counts against the caps."""
        if self._pending:
            self._pending -= 1
            self._admission.release()

    async def _serve(self, reader, writer) -> None:
        peer = _peer(writer)
        version = upstream = None
        try:
            async with asyncio.timeout(self.config.handshake_timeout):
                try:
                    version = await self._authenticate(reader, writer, peer)
                finally:
                    self._authenticated()
                upstream = version and await self._open_destination(writer, version)
                if upstream:
                    await handshake.answer_client(writer, version, True)
            if upstream:
                await self._relay((reader, writer), upstream, peer)
        except (rfb.RFBError, OSError, TimeoutError) as exc:
            log.error("forwarding port %d to %s: client %s failed: %s", self.port,
                      self.destination, peer, reason(exc))
        finally:
            writer.close()
            if upstream:
                upstream[1].close()
            if version:  # this client consumed the forwarding: it ends with this connection
                self.close()

    async def _authenticate(self, reader, writer, peer):
        """The RFB version if this client gets the forwarding, else None (client answered)."""
        version = await handshake.greet_client(reader, writer)
        matched = await handshake.challenge_client(reader, writer, self.password)
        if matched and self.state == WAITING:
            self._consume()
            return version
        await self._refuse(writer, version, peer, matched)
        return None

    async def _refuse(self, writer, version, peer, matched: bool) -> None:
        """Log first, then tell the client: whoever reads its answer finds the log written."""
        reason = "console no longer available" if matched else "authentication failed"
        if matched:
            log.error("forwarding port %d to %s: client %s refused: %s", self.port,
                      self.destination, peer, reason)
        else:
            self.failures += 1
            log.error("forwarding port %d to %s: client %s gave a wrong password (%d/%d)",
                      self.port, self.destination, peer, self.failures,
                      self.config.max_auth_failures)
        await handshake.answer_client(writer, version, False, reason)
        if not matched and self.failures >= self.config.max_auth_failures \
                and self.state == WAITING:
            log.error("forwarding port %d to %s closed after %d wrong passwords", self.port,
                      self.destination, self.failures)
            self.close()

    async def _open_destination(self, writer, version):
        """Streams to the destination after its handshake; None (client told) if it fails."""
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                return await self._connect_destination()
        except (OSError, rfb.RFBError, TimeoutError) as exc:
            log.error("forwarding port %d: destination %s unavailable: %s", self.port,
                      self.destination, reason(exc))
            await handshake.answer_client(writer, version, False, "the VNC server is unavailable")
            return None

    async def _connect_destination(self):
        reader, writer = await asyncio.open_connection(self.destination.address,
                                                       self.destination.port, limit=STREAM_LIMIT)
        try:
            await handshake.open_destination(reader, writer, self.config.destination_password)
        except BaseException:
            writer.close()
            raise
        return reader, writer

    async def _relay(self, client, upstream, peer) -> None:
        log.info("forwarding port %d: client %s connected to %s", self.port, peer, self.destination)
        sent, received = await relay(client, upstream)
        log.info("forwarding port %d to %s finished: %d bytes to the server, %d to the client",
                 self.port, self.destination, sent, received)

    def _consume(self) -> None:
        """The one client got in: stop listening so nobody else can."""
        self.state = RELAYING
        self._stop_listening()

    def _expire(self) -> None:
        if self.state == WAITING:
            log.info("forwarding port %d to %s expired unused", self.port, self.destination)
            self.close()

    def _stop_listening(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if self._server is not None:
            self._server.close()

    def close(self) -> None:
        """Stop listening for good (a running relay goes on until ``shutdown``)."""
        if self.state == CLOSED:
            return
        self.state = CLOSED
        self._stop_listening()
        self._on_closed(self)

    async def shutdown(self) -> None:
        """Close and end every connection of this forwarding, relay included."""
        self.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def reason(exc: BaseException) -> str:
    """What went wrong, for the log: the message, else the exception's name (TimeoutError)."""
    return str(exc) or exc.__class__.__name__


def _peer(writer) -> str:
    peer = writer.get_extra_info("peername")
    return f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
