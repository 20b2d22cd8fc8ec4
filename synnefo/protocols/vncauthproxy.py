"""The vncauthproxy control protocol, shared by the daemon and the console proxy plugin.

One JSON request per connection, one JSON answer.
Request: ``{"source_port": int, "destination_address": str, "destination_port": int,
"password": str}`` (+ ``"secret"`` on a TCP endpoint), ended by a newline or EOF.
Answer: ``{"status": "OK", "source_port": int}`` or ``{"status": "ERROR", "reason": str}``.

The server side uses ``parse_request``, ``ok`` and ``error``; the client side
``request_forwarding`` (blocking). ``HostPort`` parses a ``host:port`` endpoint setting.
"""
from __future__ import annotations

import functools
import hmac
import json
import socket
from dataclasses import dataclass

import colander

MAX_REQUEST = 64 * 1024


class ControlError(Exception):
    """A request that cannot be honoured; the message goes back to the caller as ``reason``."""


@dataclass(frozen=True)
class ForwardingRequest:
    source_port: int
    destination_address: str
    destination_port: int
    password: str


@functools.cache  # built once: a schema keeps no state between deserializations
def _schema() -> colander.MappingSchema:
    schema = colander.MappingSchema(unknown="ignore")
    port = colander.Range(min=0, max=65535)
    schema.add(colander.SchemaNode(colander.Int(), name="source_port", missing=0, validator=port))
    schema.add(colander.SchemaNode(colander.String(), name="destination_address",
                                   validator=colander.All(colander.Length(min=1, max=255),
                                                          _printable)))
    schema.add(colander.SchemaNode(colander.Int(), name="destination_port",
                                   validator=colander.Range(min=1, max=65535)))
    schema.add(colander.SchemaNode(colander.String(), name="password",
                                   validator=colander.All(colander.Length(min=1, max=8),
                                                          _latin1)))
    return schema


def _latin1(node, value):
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        raise colander.Invalid(node, "must be latin-1 text (VNC passwords are 8 bytes)") from None


def _printable(node, value):
    # A NUL or newline would reach the resolver and the log as is: refuse it here.
    if not value.isprintable() or any(c.isspace() for c in value):
        raise colander.Invalid(node, f"{value[:64]!r} contains control or space characters")


def parse_request(data: bytes, secret: str | None = None) -> ForwardingRequest:
    """Decode and validate one request; ``secret`` is checked when the endpoint has one.

    Every malformed request raises ControlError, so the caller always has an answer to send.
    """
    try:
        return _parse(data, secret)
    except RecursionError:  # json and colander recurse into deeply nested values
        raise ControlError("request is nested too deeply") from None


def _parse(data: bytes, secret: str | None) -> ForwardingRequest:
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ControlError(f"request is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ControlError("request must be a JSON object")
    if secret is not None and not hmac.compare_digest(str(body.get("secret", "")).encode(),
                                                      secret.encode()):
        raise ControlError("authentication failed: wrong or missing secret")
    try:
        return ForwardingRequest(**_schema().deserialize(body))
    except colander.Invalid as exc:
        problems = "; ".join(f"{k}: {m}" for k, m in sorted(exc.asdict().items()))
        raise ControlError(problems) from None


def ok(source_port: int) -> bytes:
    return _encode({"status": "OK", "source_port": source_port})


def error(reason: str) -> bytes:
    return _encode({"status": "ERROR", "reason": reason})


def _encode(body: dict) -> bytes:
    return json.dumps(body).encode() + b"\n"


# --- the client ---------------------------------------------------------------------


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


class HostPort(colander.SchemaType):
    """``host:port`` or ``[v6]:port`` -> (host, port); empty -> None."""

    def deserialize(self, node, cstruct):
        if cstruct in (colander.null, ""):
            return None
        host, sep, port = str(cstruct).rpartition(":")
        if not sep or not port.isdigit() or not host or int(port) > 65535:
            raise colander.Invalid(node, f"{cstruct!r} is not host:port")
        return host.strip("[]"), int(port)
