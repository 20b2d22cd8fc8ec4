"""The control protocol: one JSON request per connection, one JSON answer.

Request: ``{"source_port": int, "destination_address": str, "destination_port": int,
"password": str}`` (+ ``"secret"`` on a TCP endpoint), ended by a newline or EOF.
Answer: ``{"status": "OK", "source_port": int}`` or ``{"status": "ERROR", "reason": str}``.
"""
from __future__ import annotations

import hmac
import json
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


def _schema() -> colander.MappingSchema:
    schema = colander.MappingSchema(unknown="ignore")
    port = colander.Range(min=0, max=65535)
    schema.add(colander.SchemaNode(colander.Int(), name="source_port", missing=0, validator=port))
    schema.add(colander.SchemaNode(colander.String(), name="destination_address",
                                   validator=colander.Length(min=1, max=255)))
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


def parse_request(data: bytes, secret: str | None = None) -> ForwardingRequest:
    """Decode and validate one request; ``secret`` is checked when the endpoint has one."""
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
