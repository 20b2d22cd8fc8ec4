"""The two RFB handshakes of a forwarding, over asyncio streams.

Facing the user's client the proxy is the server: it offers only VNC authentication and checks
the one-time password. Facing the destination it is the client: it picks "None" when offered,
else VNC authentication with the configured destination password. Both stop right after
SecurityResult, so the client's ClientInit and the server's ServerInit pass through the relay.
"""
from __future__ import annotations

import asyncio
import secrets
import struct

from synnefo.daemons.vncauthproxy import rfb


async def read_exact(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise rfb.RFBError("connection closed during the handshake") from None


async def _read_u32(reader: asyncio.StreamReader) -> int:
    return struct.unpack("!I", await read_exact(reader, 4))[0]


async def _read_reason(reader: asyncio.StreamReader) -> str:
    length = await _read_u32(reader)
    text = await read_exact(reader, min(length, rfb.MAX_REASON))
    return text.decode("utf-8", "replace")


# --- facing the user's VNC client (we are the server) ---------------------------------------

async def greet_client(reader, writer) -> tuple[int, int]:
    """Agree on a version and on VNC authentication; returns the version in use."""
    writer.write(rfb.encode_version(rfb.V3_8))
    await writer.drain()
    version = rfb.common_version(rfb.parse_version(await read_exact(reader, rfb.VERSION_SIZE)))
    if version == rfb.V3_3:
        writer.write(rfb.u32(rfb.SEC_VNC_AUTH))
        return version
    writer.write(bytes([1, rfb.SEC_VNC_AUTH]))
    await writer.drain()
    chosen = (await read_exact(reader, 1))[0]
    if chosen != rfb.SEC_VNC_AUTH:
        reason = "this proxy requires VNC authentication (security type 2)"
        writer.write(rfb.security_result(version, False, reason))
        raise rfb.RFBError(f"client chose security type {chosen}: {reason}")
    return version


async def challenge_client(reader, writer, password: str) -> bool:
    """Send a random challenge; True if the client's answer proves it knows ``password``."""
    challenge = secrets.token_bytes(rfb.CHALLENGE_SIZE)
    writer.write(challenge)
    await writer.drain()
    response = await read_exact(reader, rfb.CHALLENGE_SIZE)
    return rfb.vnc_auth_matches(password, challenge, response)


async def answer_client(writer, version, ok: bool, reason: str = "") -> None:
    writer.write(rfb.security_result(version, ok, reason))
    await writer.drain()


# --- facing the destination VNC server (we are the client) ----------------------------------

async def open_destination(reader, writer, password: str) -> None:
    """Complete the destination's handshake up to SecurityResult; raise RFBError if refused."""
    version = rfb.common_version(rfb.parse_version(await read_exact(reader, rfb.VERSION_SIZE)))
    writer.write(rfb.encode_version(version))
    await writer.drain()
    security = await _choose_security(reader, writer, version, password)
    if security == rfb.SEC_VNC_AUTH:
        challenge = await read_exact(reader, rfb.CHALLENGE_SIZE)
        writer.write(rfb.vnc_auth_response(password, challenge))
        await writer.drain()
    if security == rfb.SEC_VNC_AUTH or version >= rfb.V3_8:
        await _expect_ok(reader, version)


async def _choose_security(reader, writer, version, password: str) -> int:
    if version == rfb.V3_3:
        security = await _read_u32(reader)
        if security == rfb.SEC_INVALID:
            raise rfb.RFBError(f"destination refused the connection: {await _read_reason(reader)}")
        return _usable(bytes([security]) if security < 256 else b"", password)
    count = (await read_exact(reader, 1))[0]
    if count == 0:
        raise rfb.RFBError(f"destination refused the connection: {await _read_reason(reader)}")
    security = _usable(await read_exact(reader, count), password)
    writer.write(bytes([security]))
    await writer.drain()
    return security


def _usable(offered: bytes, password: str) -> int:
    if rfb.SEC_NONE in offered:
        return rfb.SEC_NONE
    if rfb.SEC_VNC_AUTH in offered and password:
        return rfb.SEC_VNC_AUTH
    hint = "" if password else " (set destination_password for VNC authentication)"
    raise rfb.RFBError(f"destination offers security types {list(offered)}, none usable{hint}")


async def _expect_ok(reader, version) -> None:
    if await _read_u32(reader) == rfb.RESULT_OK:
        return
    reason = await _read_reason(reader) if version >= rfb.V3_8 else "authentication failed"
    raise rfb.RFBError(f"destination refused authentication: {reason}")
