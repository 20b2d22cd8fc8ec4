"""The proxy daemon: the control endpoint and the table of open forwardings."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from synnefo.daemons.vncauthproxy import limits, policy, websocket
from synnefo.daemons.vncauthproxy.endpoint import ControlConnection
from synnefo.protocols import vncauthproxy as control
from synnefo.daemons.vncauthproxy.config import ProxyConfig
from synnefo.protocols.vncauthproxy import ControlError
from synnefo.daemons.vncauthproxy.forwarding import WAITING, Destination, Forwarding
from synnefo.daemons.vncauthproxy.ports import PortPool

log = logging.getLogger("synnefo.daemons.vncauthproxy")

BACKLOG = 1024


class ProxyDaemon:
    """Serves control requests; each successful one opens a ``Forwarding``."""

    def __init__(self, config: ProxyConfig):
        self.config = config
        self.forwardings: dict[int, Forwarding] = {}
        self.control_endpoint: str | tuple[str, int] | None = None
        self._ports = PortPool(*config.port_range)
        self._reserved: set[int] = set()
        self._control: asyncio.Server | None = None
        self._websocket = None
        self.websocket_endpoint: tuple[str, int] | None = None
        self._secret = config.control_secret or None
        self.admission = limits.Admission(config.max_unauthenticated_per_forwarding,
                                          config.max_unauthenticated)

    async def start(self) -> None:
        """Open the control endpoint; ``control_endpoint`` then tells where it listens."""
        asyncio.get_running_loop().set_exception_handler(limits.accept_error_handler())
        self.admission.total = limits.unauthenticated_budget(self.config.max_unauthenticated)
        if self.config.control_socket:
            os.makedirs(os.path.dirname(os.path.abspath(self.config.control_socket)),
                        exist_ok=True)
            self._control = await asyncio.get_running_loop().create_unix_server(
                self._control_connection, self.config.control_socket, backlog=BACKLOG)
            os.chmod(self.config.control_socket, self.config.socket_mode)
            self.control_endpoint = self.config.control_socket
        else:
            host, port = self.config.control_address
            self._control = await asyncio.get_running_loop().create_server(
                self._control_connection, host, port, backlog=BACKLOG)
            self.control_endpoint = self._control.sockets[0].getsockname()[:2]
        await self._start_websocket()
        low, high = self.config.port_range
        log.info("control endpoint %s ready; forwardings listen on %s ports %d-%d, expire after "
                 "%gs; at most %d unauthenticated connections (%d per forwarding)",
                 self.control_endpoint, self.config.listen_address, low, high,
                 self.config.expiry_seconds, self.admission.total, self.admission.per_forwarding)

    async def _start_websocket(self) -> None:
        if self.config.websocket_address is None:
            return
        tls = None
        if self.config.websocket_cert:
            tls = websocket.tls_context(self.config.websocket_cert, self.config.websocket_key)
        self._websocket = await websocket.start(self.waiting, *self.config.websocket_address,
                                                self.config.websocket_origins, tls,
                                                self.config.handshake_timeout)
        self.websocket_endpoint = next(iter(self._websocket.sockets)).getsockname()[:2]
        log.info("WebSocket endpoint %s://%s:%d/vnc/<port> ready for origins %s",
                 "wss" if tls else "ws", *self.websocket_endpoint,
                 " ".join(self.config.websocket_origins))

    def waiting(self, port: int) -> Forwarding | None:
        """The forwarding on ``port`` if it still waits for its client."""
        forwarding = self.forwardings.get(port)
        return forwarding if forwarding is not None and forwarding.state == WAITING else None

    def _control_connection(self) -> ControlConnection:
        return ControlConnection(self._answer, self.config.handshake_timeout)

    async def _answer(self, request: bytes | None) -> bytes:
        """The answer to one request (None: it was longer than the limit)."""
        try:
            if request is None:
                raise ControlError(f"request longer than {control.MAX_REQUEST} bytes")
            return control.ok(await self.open_forwarding(control.parse_request(request,
                                                                               self._secret)))
        except ControlError as exc:
            log.error("control request refused: %s", _printable(str(exc)))
            return control.error(str(exc))

    async def open_forwarding(self, request: control.ForwardingRequest) -> int:
        """Listen for a new forwarding; returns its port. ControlError if impossible."""
        address = await policy.allowed_address(request.destination_address,
                                               request.destination_port,
                                               self.config.allowed_networks)
        destination = Destination(request.destination_address, address, request.destination_port)
        forwarding = Forwarding(destination, request.password, self.config, self._forget,
                                self.admission)
        for port in self._ports.candidates(request.source_port, self._busy):
            if await self._try_listen(forwarding, port, fixed=bool(request.source_port)):
                self.forwardings[forwarding.port] = forwarding
                log.info("forwarding port %d to %s opened", forwarding.port, destination)
                return forwarding.port
        low, high = self.config.port_range
        raise ControlError(f"no free port in {low}-{high}")

    async def _try_listen(self, forwarding: Forwarding, port: int, fixed: bool) -> bool:
        self._reserved.add(port)
        try:
            await forwarding.listen(self.config.listen_address, port)
            return True
        except OSError as exc:
            if fixed:
                raise ControlError(f"cannot listen on port {port}: {exc.strerror}") from None
            return False
        finally:
            self._reserved.discard(port)

    def _busy(self, port: int) -> bool:
        return port in self.forwardings or port in self._reserved

    def _forget(self, forwarding: Forwarding) -> None:
        if self.forwardings.get(forwarding.port) is forwarding:
            del self.forwardings[forwarding.port]

    async def close(self) -> None:
        """Stop taking requests and end every forwarding and relay."""
        if self._control is not None:
            self._control.close()
        if self._websocket is not None:
            self._websocket.close()
        await asyncio.gather(*(f.shutdown() for f in list(self.forwardings.values())))
        if self._websocket is not None:
            await self._websocket.wait_closed()
        if self.config.control_socket:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.config.control_socket)
        log.info("stopped")


def _printable(text: str) -> str:
    """``text`` with control characters escaped, so that a request cannot forge log lines."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


async def serve(daemon: ProxyDaemon, stop: asyncio.Event) -> None:
    """Run ``daemon`` until ``stop`` is set."""
    await daemon.start()
    try:
        await stop.wait()
    finally:
        await daemon.close()
