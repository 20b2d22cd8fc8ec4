"""Blocking client of the control endpoint (what the console proxy plugin and tools use)."""
from __future__ import annotations

import json
import socket

from synnefo.daemons.vncauthproxy.control import MAX_REQUEST


class ForwardingRefused(Exception):
    """The proxy answered with an error status; the message is its reason."""


def request_forwarding(endpoint, *, destination_address: str, destination_port: int,
                       password: str, source_port: int = 0, secret: str | None = None,
                       timeout: float = 5.0) -> int:
    """Ask the proxy at ``endpoint`` (UNIX path or (host, port)) for a forwarding.

    Returns the port it listens on. Raises ForwardingRefused with the proxy's reason,
    OSError/TimeoutError if the proxy cannot be reached, ValueError on a garbled answer.
    """
    body = {"source_port": source_port, "destination_address": destination_address,
            "destination_port": destination_port, "password": password}
    if secret is not None:
        body["secret"] = secret
    answer = exchange(endpoint, json.dumps(body).encode() + b"\n", timeout)
    if answer.get("status") != "OK":
        raise ForwardingRefused(answer.get("reason") or f"status {answer.get('status')!r}")
    return int(answer["source_port"])


def exchange(endpoint, request: bytes, timeout: float) -> dict:
    """Send one raw request and read the JSON answer (until newline or EOF)."""
    with _connect(endpoint, timeout) as sock:
        sock.sendall(request)
        data = _read_line(sock)
    try:
        answer = json.loads(data)
    except ValueError:
        raise ValueError(f"the proxy answered something that is not JSON: {data[:200]!r}") from None
    if not isinstance(answer, dict):
        raise ValueError(f"the proxy answered {answer!r}, not an object")
    return answer


def _connect(endpoint, timeout: float) -> socket.socket:
    if isinstance(endpoint, str):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(endpoint)
        except OSError:
            sock.close()
            raise
        return sock
    return socket.create_connection(endpoint, timeout=timeout)


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data and len(data) < MAX_REQUEST:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0]
