"""Copy bytes both ways between two stream pairs until either side closes.

Each direction awaits ``drain()``, so a slow reader only slows its own forwarding: its
socket buffers fill, that one pipe waits, and the event loop keeps serving everyone else.
"""
from __future__ import annotations

import asyncio

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
    tasks = [asyncio.create_task(_pipe(client[0], server[1], moved, 0)),
             asyncio.create_task(_pipe(server[0], client[1], moved, 1))]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        client[1].close()
        server[1].close()
    return moved[0], moved[1]
