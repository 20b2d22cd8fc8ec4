"""Relay between two plain sockets: non-blocking recv_into/send through one buffer per thread.

Used once both handshakes are over and both ends are plain TCP/UNIX sockets (a WebSocket
client is not). The sockets are taken from their asyncio transports (reading paused, write
buffer empty) as duplicated descriptors that the event loop watches directly; whatever the
StreamReaders had already buffered is sent first.

Why copy rather than splice(2): on loopback, splicing keeps the sender's pages referenced until
the receiver reads them, so the VNC server's kernel cannot recycle its socket page and both ends
spend more CPU than the copy saves (docs/performance.md, "The vncauthproxy relay"). Every
readable source is read into the event loop's current buffer and written out at once; a
direction whose target cannot take it all stops reading and keeps the rest where it lies
(``_Buffers``) until it is sent.
"""
from __future__ import annotations

import asyncio
import os
import socket
import threading

BUFFER_SIZE = 4 << 20  # bytes read at once; buffers belong to the event loop, not to relays
LENDABLE = 4  # buffers kept by blocked directions at most; beyond, their rest is copied
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


class _Buffers:
    """The read buffers of one event-loop thread.

    Every direction reads into ``current`` and sends at once, so one buffer serves all relays.
    A direction whose target cannot take everything keeps that buffer until the rest has gone
    (no copy) and the others read into another one; past ``LENDABLE`` such directions the rest
    is copied instead, so the memory stays bounded whatever the number of consoles.
    """

    def __init__(self):
        self._current: memoryview | None = None
        self._spare: list[memoryview] = []
        self._lent = 0

    def current(self) -> memoryview:
        if self._current is None:
            self._current = self._spare.pop() if self._spare else memoryview(
                bytearray(BUFFER_SIZE))
        return self._current

    def lend(self) -> memoryview | None:
        """Take the current buffer out of use; None if too many are out already."""
        if self._lent >= LENDABLE:
            return None
        self._lent += 1
        lent, self._current = self._current, None
        return lent

    def give_back(self, buffer: memoryview) -> None:
        self._lent -= 1
        if not self._spare:
            self._spare.append(buffer)


def _buffers() -> _Buffers:
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = _Buffers()
    return buffers


class _Direction:
    """Moves bytes from ``source`` to ``target`` in event-loop callbacks until EOF or error."""

    def __init__(self, loop, source: socket.socket, target: socket.socket, moved: list[int],
                 index: int, done: asyncio.Future):
        self.loop, self.source, self.target = loop, source, target
        self.moved, self.index, self.done = moved, index, done
        self.backlog = memoryview(b"")
        self.lent: memoryview | None = None  # the buffer ``backlog`` lies in, if not a copy

    def start(self, pending: bytes) -> None:
        if pending:
            self.moved[self.index] += len(pending)
            self._queue(memoryview(pending))
        else:
            self._read_again()

    def stop(self) -> None:
        self.loop.remove_reader(self.source.fileno())
        self.loop.remove_writer(self.target.fileno())
        self._release()

    def _release(self) -> None:
        if self.lent is not None:
            _buffers().give_back(self.lent)
            self.lent = None

    def _read_again(self) -> None:
        self._release()
        self.loop.remove_writer(self.target.fileno())
        self.loop.add_reader(self.source.fileno(), self._readable)

    def _queue(self, rest: memoryview) -> None:
        """The target is full: keep ``rest`` and stop reading until it is sent."""
        self.backlog = rest
        self.loop.remove_reader(self.source.fileno())
        self.loop.add_writer(self.target.fileno(), self._writable)

    def _keep(self, view: memoryview, start: int, end: int) -> None:
        self.lent = _buffers().lend()
        self._queue(view[start:end] if self.lent is not None else memoryview(
            bytes(view[start:end])))

    def _readable(self) -> None:
        view = _buffers().current()
        try:
            size = self.source.recv_into(view)
            if not size:
                return self._end()
            sent = self._send(view[:size])
        except BlockingIOError:  # a readiness report with nothing to read after all
            return None
        except OSError:  # reset, broken pipe...: the relay is over
            return self._end()
        self.moved[self.index] += size
        if sent < size:
            self._keep(view, sent, size)

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
