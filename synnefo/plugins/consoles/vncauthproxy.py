"""Console proxy plugin ``vncauthproxy``: one-time forwardings through snf-vncauthproxy.

Options (``[app:main]``, parsed here): ``synnefo.vncauthproxy.control_socket`` (UNIX path) or
``synnefo.vncauthproxy.control_address`` (host:port) with ``control_secret``;
``public_host`` (what users' VNC clients connect to; default: this host's FQDN);
``timeout`` (seconds for one control request, default 5); ``websocket_url`` (the daemon's
WebSocket endpoint as browsers reach it, e.g. ``wss://cloud.example.org:6080``; empty: no
web console).
"""
from __future__ import annotations

import logging
import secrets
import socket
import string

import colander

from synnefo.core.contracts.console import ConsoleForwarding, ConsoleProxy
from synnefo.core.errors import BackendUnavailable, ConfigurationError
from synnefo.core.settings import parse_section
from synnefo.protocols.vncauthproxy import ForwardingRefused, request_forwarding
from synnefo.protocols.vncauthproxy import HostPort

log = logging.getLogger(__name__)

SECTION = "vncauthproxy"
PASSWORD_ALPHABET = string.ascii_letters + string.digits
PASSWORD_LENGTH = 8  # VNC authentication uses the first 8 bytes of a password


def one_time_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def _schema() -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(colander.SchemaNode(colander.String(), name="control_socket", missing=""))
    schema.add(colander.SchemaNode(HostPort(), name="control_address", missing=None))
    schema.add(colander.SchemaNode(colander.String(), name="control_secret", missing=""))
    schema.add(colander.SchemaNode(colander.String(), name="public_host", missing=""))
    schema.add(colander.SchemaNode(colander.Float(), name="timeout", missing=5.0,
                                   validator=colander.Range(min=0.001)))
    schema.add(colander.SchemaNode(colander.String(), name="websocket_url", missing="",
                                   validator=colander.Regex(r"^(wss?://[^/?#\s]+)?$",
                                                            "must be ws://host:port or "
                                                            "wss://host:port")))
    return schema


def websocket_path(base: str, port: int) -> str:
    """The WebSocket URL of the forwarding on ``port`` ("" without a WebSocket endpoint)."""
    return f"{base}/vnc/{port}" if base else ""


class VncAuthProxyConsole(ConsoleProxy):
    """Asks the local snf-vncauthproxy for a forwarding with a fresh one-time password."""

    def __init__(self, core=None):
        super().__init__(core)
        options = parse_section(_schema(), core.settings, SECTION)
        if bool(options["control_socket"]) == bool(options["control_address"]):
            raise ConfigurationError(f"synnefo.{SECTION}: set exactly one of control_socket or "
                                     "control_address")
        self.endpoint = options["control_socket"] or options["control_address"]
        self.secret = options["control_secret"] or None
        self.public_host = options["public_host"] or socket.getfqdn()
        self.timeout = options["timeout"]
        self.websocket_url = options["websocket_url"]

    def open_forwarding(self, destination_host: str, destination_port: int) -> ConsoleForwarding:
        password = one_time_password()
        try:
            port = request_forwarding(self.endpoint, destination_address=destination_host,
                                      destination_port=destination_port, password=password,
                                      secret=self.secret, timeout=self.timeout)
        except ForwardingRefused as exc:
            raise self._unavailable(destination_host, destination_port, str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise self._unavailable(destination_host, destination_port,
                                    f"cannot reach the proxy at {self.endpoint}: {exc}") from exc
        log.info("console forwarding %s:%d -> %s:%d opened", self.public_host, port,
                 destination_host, destination_port)
        return ConsoleForwarding(host=self.public_host, port=port, password=password, type="vnc",
                                 websocket_url=websocket_path(self.websocket_url, port))

    def _unavailable(self, host: str, port: int, reason: str) -> BackendUnavailable:
        log.error("console forwarding to %s:%d failed: %s", host, port, reason)
        return BackendUnavailable(f"Could not allocate VNC console: {reason}",
                                  destination=f"{host}:{port}")
