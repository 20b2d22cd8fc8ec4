"""Relay between two plain sockets: non-blocking recv_into/send through one buffer per thread.

Used once both handshakes are over and both ends are plain TCP/UNIX sockets (a WebSocket
client is not). The sockets are taken from their asyncio transports (reading paused, write
buffer empty) as duplicated descriptors that the event loop watches directly; whatever the
StreamReaders had already buffered is sent first.

Why copy rather than splice(2): on loopback, splicing keeps the sender's pages referenced until
the receiver reads them, so the VNC server's kernel cannot recycle its socket page and both ends
spend more CPU than the copy saves (docs/performance.md, "The vncauthproxy relay"). Every
readable source is read into the same buffer and written out at once; only a remainder the
target cannot take is copied aside, and that direction stops reading until it is sent.
"""
from __future__ import annotations

import asyncio
import os
import socket
import threading

BUFFER_SIZE = 4 << 20  # bytes read at once; one buffer per event-loop thread, not per relay
_local = threading.local()


def available(*pairs) -> bool:
    """True if every (reader, writer) pair is an asyncio stream on a real socket with nothing
    left to write (what we send next must not overtake it)."""
    return all(isinstance(reader, asyncio.StreamReader) and hasattr(writer, "transport")
               and writer.transport.get_extra_info("socket") is not None
               and not writer.transport.get_write_buffer_size() for reader, writer in pairs)


class Detached:
    """One side's socket, duplicated out of its transport, and the bytes its reader held."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        writer.transport.pause_reading()
        self.pending = bytes(reader._buffer)  # noqa: SLF001 - no public way to take it
        reader._buffer.clear()  # noqa: SLF001
        self.sock = socket.socket(fileno=os.dup(writer.get_extra_info("socket").fileno()))
        self.sock.setblocking(False)

    def close(self) -> None:
        self.sock.close()


def _buffer() -> memoryview:
    """This thread's read buffer: never referenced once a callback returns, so it is shared."""
    view = getattr(_local, "view", None)
    if view is None:
        view = _local.view = memoryview(bytearray(BUFFER_SIZE))
    return view


class _Direction:
    """Moves bytes from ``source`` to ``target`` in event-loop callbacks until EOF or error."""

    def __init__(self, loop, source: socket.socket, target: socket.socket, moved: list[int],
                 index: int, done: asyncio.Future):
        self.loop, self.source, self.target = loop, source, target
        self.moved, self.index, self.done = moved, index, done
        self.backlog = memoryview(b"")

    def start(self, pending: bytes) -> None:
        if pending:
            self.moved[self.index] += len(pending)
            self._queue(memoryview(pending))
        else:
            self._read_again()

    def stop(self) -> None:
        self.loop.remove_reader(self.source.fileno())
        self.loop.remove_writer(self.target.fileno())

    def _read_again(self) -> None:
        self.loop.remove_writer(self.target.fileno())
        self.loop.add_reader(self.source.fileno(), self._readable)

    def _queue(self, rest: memoryview) -> None:
        """The target is full: keep ``rest`` and stop reading until it is sent."""
        self.backlog = rest
        self.loop.remove_reader(self.source.fileno())
        self.loop.add_writer(self.target.fileno(), self._writable)

    def _readable(self) -> None:
        view = _buffer()
        try:
            size = self.source.recv_into(view)
            if not size:
                return self._end()
            sent = self._send(view[:size])
        except OSError:  # reset, broken pipe...: the relay is over
            return self._end()
        self.moved[self.index] += size
        if sent < size:
            self._queue(memoryview(bytes(view[sent:size])))

    def _writable(self) -> None:
        try:
            self.backlog = self.backlog[self._send(self.backlog):]
        except OSError:
            return self._end()
        if not self.backlog:
            self._read_again()

    def _send(self, data: memoryview) -> int:
        try:
            return self.target.send(data)
        except BlockingIOError:
            return 0

    def _end(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def relay(client: Detached, server: Detached, moved: list[int]) -> None:
    """Relay both ways until either side ends (EOF or error); ``moved`` counts bytes sent
    (client->server, server->client). The caller closes the sockets."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    directions = (_Direction(loop, client.sock, server.sock, moved, 0, done),
                  _Direction(loop, server.sock, client.sock, moved, 1, done))
    try:
        directions[0].start(client.pending)
        directions[1].start(server.pending)
        await done
    finally:
        for direction in directions:
            direction.stop()
