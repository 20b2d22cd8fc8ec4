"""The WebSocket endpoint (RFC 6455, served by ``websockets``): noVNC in a browser reaches a
forwarding.

The path ``/vnc/<port>`` names a forwarding that is still waiting for its client (the port its
native VNC clients would use). The browser then speaks RFB in binary messages and authenticates
with the forwarding's one-time password, exactly as a native client does: the same one-time
use, expiry, failure count and caps on unauthenticated connections. A forwarding that was used,
expired or never existed answers 404 before any WebSocket is opened; an Origin outside
``websocket_origins`` answers 403.
"""
from __future__ import annotations

import asyncio
import http
import re
import ssl

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

PATH = re.compile(r"^/vnc/(\d{1,5})$")
MAX_MESSAGE = 1 << 20  # noVNC sends small input events; a bigger message is an abuse


class MessageReader:
    """The ``StreamReader`` calls a forwarding makes, over a WebSocket's binary messages.

    Reads a message only when the relay asks for data, so a fast sender is held back by
    WebSocket flow control rather than buffered here.
    """

    def __init__(self, ws: ServerConnection):
        self.ws = ws
        self.buffer = bytearray()
        self.eof = False

    async def _fill(self) -> None:
        try:
            message = await self.ws.recv(decode=False)
        except ConnectionClosed:
            self.eof = True
            return
        self.buffer += message

    def _take(self, size: int) -> bytes:
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    async def read(self, size: int) -> bytes:
        if not self.buffer and not self.eof:
            await self._fill()
        return self._take(size)

    async def readexactly(self, size: int) -> bytes:
        while len(self.buffer) < size and not self.eof:
            await self._fill()
        if len(self.buffer) < size:
            raise asyncio.IncompleteReadError(self._take(size), size)
        return self._take(size)


class MessageWriter:
    """The ``StreamWriter`` calls a forwarding makes: each ``drain()`` sends one message."""

    def __init__(self, ws: ServerConnection):
        self.ws = ws
        self.pending = bytearray()

    def write(self, data: bytes) -> None:
        self.pending += data

    async def drain(self) -> None:
        if self.pending:
            data = bytes(self.pending)
            self.pending.clear()
            try:
                await self.ws.send(data)
            except ConnectionClosed as exc:
                raise ConnectionResetError(f"WebSocket closed: {exc}") from None

    def close(self) -> None:
        """Nothing to do: the handler's return closes the WebSocket."""

    def get_extra_info(self, name: str, default=None):
        return self.ws.remote_address if name == "peername" else default


def tls_context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def _binary(connection, offered):
    # websockify's clients may ask for "binary"; noVNC asks for nothing.
    return "binary" if "binary" in offered else None


async def start(lookup, host: str, port: int, origins, tls: ssl.SSLContext | None,
                handshake_timeout: float):
    """Listen for WebSockets; ``lookup(port)`` is the waiting Forwarding for a path, or None.
    A client must finish the HTTP upgrade within ``handshake_timeout`` seconds."""

    def check(connection: ServerConnection, request):
        match = PATH.match(request.path.split("?", 1)[0])
        if not match or lookup(int(match.group(1))) is None:
            return connection.respond(http.HTTPStatus.NOT_FOUND,
                                      "console not available: used, expired or unknown\n")
        return None

    async def handle(ws: ServerConnection) -> None:
        forwarding = lookup(int(PATH.match(ws.request.path.split("?", 1)[0]).group(1)))
        if forwarding is not None:
            await forwarding.serve_client(MessageReader(ws), MessageWriter(ws))

    return await serve(handle, host, port, origins=list(origins), process_request=check,
                       select_subprotocol=_binary, compression=None, max_size=MAX_MESSAGE,
                       ssl=tls, open_timeout=handshake_timeout)
