"""Copy bytes both ways between two stream pairs until either side closes.

Each direction waits for its own sockets (``drain()``, or readiness on the socket path), so a
slow reader only slows its own forwarding: its socket buffers fill, that one direction waits,
and the event loop keeps serving everyone else. Two plain sockets are relayed by
``sockets.py`` (large reads into one shared buffer, no asyncio transports or tasks per chunk);
anything else (a WebSocket client) goes through the streams.
"""
from __future__ import annotations

import asyncio

from synnefo.daemons.vncauthproxy import sockets

CHUNK = 256 * 1024


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, moved: list[int],
                index: int) -> None:
    while data := await reader.read(CHUNK):
        writer.write(data)
        moved[index] += len(data)
        await writer.drain()


async def relay(client: tuple, server: tuple) -> tuple[int, int]:
    """Relay (reader, writer) pairs; returns bytes sent (client->server, server->client).

    Ends when either direction ends (EOF or error): RFB has no use for half-closed links.
    Both writers are closed on return.
    """
    moved = [0, 0]
    detached = []
    try:
        if sockets.available(client, server):
            detached = [sockets.Detached(*client), sockets.Detached(*server)]
            await sockets.relay(detached[0], detached[1], moved)
        else:
            await _first_to_end((_pipe(client[0], server[1], moved, 0),
                                 _pipe(server[0], client[1], moved, 1)))
    finally:
        for side in detached:
            side.close()
        client[1].close()
        server[1].close()
    return moved[0], moved[1]


async def _first_to_end(pipes) -> None:
    tasks = [asyncio.create_task(pipe) for pipe in pipes]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
