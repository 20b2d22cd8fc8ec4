"""RFB (VNC) protocol pieces the proxy needs: versions, security types, VNC authentication.

References: RFC 6143 (RFB 3.8) §7.1-7.2; versions 3.3 and 3.7 differ only in the security
handshake (3.3: the server picks the type; 3.7: no failure reason in SecurityResult).
"""
from __future__ import annotations

import hmac
import re
import struct

from Crypto.Cipher import DES

V3_3, V3_7, V3_8 = (3, 3), (3, 7), (3, 8)
SEC_INVALID, SEC_NONE, SEC_VNC_AUTH = 0, 1, 2
RESULT_OK, RESULT_FAILED = 0, 1
CHALLENGE_SIZE = 16
VERSION_SIZE = 12
MAX_REASON = 4096
_VERSION_RE = re.compile(rb"^RFB (\d{3})\.(\d{3})\n$")


class RFBError(Exception):
    """The peer broke the protocol or refused us; the message is the reason."""


def encode_version(version: tuple[int, int]) -> bytes:
    return b"RFB %03d.%03d\n" % version


def parse_version(line: bytes) -> tuple[int, int]:
    """The version of a ProtocolVersion message (12 bytes)."""
    match = _VERSION_RE.match(line)
    if not match:
        raise RFBError(f"not an RFB protocol version: {line[:12]!r}")
    return int(match.group(1)), int(match.group(2))


def common_version(offered: tuple[int, int]) -> tuple[int, int]:
    """The version we speak with a peer that offered ``offered`` (RFC 6143 §7.1.1).

    Anything below 3.7 (and odd values such as Apple's 3.889 above 3.8) is handled as the
    nearest version we know; unknown versions between known ones round down.
    """
    if offered >= V3_8:
        return V3_8
    if offered >= V3_7:
        return V3_7
    return V3_3


def vnc_auth_key(password: str) -> bytes:
    """The DES key of VNC authentication: the password's first 8 bytes, each bit-reversed."""
    raw = password.encode("latin-1")[:8].ljust(8, b"\0")
    return bytes(int(f"{byte:08b}"[::-1], 2) for byte in raw)


def vnc_auth_response(password: str, challenge: bytes) -> bytes:
    """The 16-byte answer a client gives to ``challenge`` when it knows ``password``."""
    return DES.new(vnc_auth_key(password), DES.MODE_ECB).encrypt(challenge)


def vnc_auth_matches(password: str, challenge: bytes, response: bytes) -> bool:
    return hmac.compare_digest(vnc_auth_response(password, challenge), response)


def u32(value: int) -> bytes:
    return struct.pack("!I", value)


def security_result(version: tuple[int, int], ok: bool, reason: str = "") -> bytes:
    """A SecurityResult message; only 3.8 carries the failure reason."""
    if ok:
        return u32(RESULT_OK)
    if version >= V3_8:
        text = reason.encode("utf-8", "replace")[:MAX_REASON]
        return u32(RESULT_FAILED) + u32(len(text)) + text
    return u32(RESULT_FAILED)

