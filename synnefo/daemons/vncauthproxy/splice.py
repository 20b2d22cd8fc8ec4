"""Zero-copy relay on Linux: bytes go socket -> pipe -> socket with splice(2), never through
Python.

Used once both handshakes are over and both ends are plain TCP/UNIX sockets (a WebSocket
client is not). The sockets are taken from their asyncio transports (reading paused, write
buffer empty) as duplicated descriptors that the event loop watches directly; whatever the
StreamReaders had already buffered is sent first.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket

PIPE_SIZE = 1 << 20  # bytes in flight per direction; Linux grants up to fs.pipe-max-size
FLAGS = getattr(os, "SPLICE_F_MOVE", 1) | getattr(os, "SPLICE_F_NONBLOCK", 2)
F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def available(*pairs) -> bool:
    """True if splice(2) exists and every (reader, writer) pair sits on a real socket."""
    return hasattr(os, "splice") and all(
        isinstance(reader, asyncio.StreamReader) and hasattr(writer, "transport")
        and writer.transport.get_extra_info("socket") is not None for reader, writer in pairs)


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


async def _ready(loop, fd: int, add, remove) -> None:
    future = loop.create_future()
    add(fd, lambda: future.done() or future.set_result(None))
    try:
        await future
    finally:
        remove(fd)


async def _splice_into(loop, fd_in: int, fd_out: int, size: int, wait_for_in: bool) -> int:
    """One splice; waits for readiness instead of blocking. 0 means EOF on a socket."""
    while True:
        try:
            return os.splice(fd_in, fd_out, size, flags=FLAGS)
        except BlockingIOError:
            if wait_for_in:
                await _ready(loop, fd_in, loop.add_reader, loop.remove_reader)
            else:
                await _ready(loop, fd_out, loop.add_writer, loop.remove_writer)


async def pump(source: Detached, target: Detached, moved: list[int], index: int) -> None:
    """Move bytes from ``source`` to ``target`` until EOF or an error."""
    loop = asyncio.get_running_loop()
    if source.pending:
        await loop.sock_sendall(target.sock, source.pending)
        moved[index] += len(source.pending)
    pipe_out, pipe_in = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        with contextlib.suppress(OSError):  # a smaller pipe only means more splices
            fcntl.fcntl(pipe_in, F_SETPIPE_SZ, PIPE_SIZE)
        while size := await _splice_into(loop, source.sock.fileno(), pipe_in, PIPE_SIZE, True):
            while size:
                done = await _splice_into(loop, pipe_out, target.sock.fileno(), size, False)
                size -= done
                moved[index] += done
    finally:
        os.close(pipe_in)
        os.close(pipe_out)
