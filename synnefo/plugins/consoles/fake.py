"""Console proxy plugin ``fake``: answers like a proxy, relays nothing.

For development and tests of the API only: the forwarding it returns names a host and port
where nothing listens, so a VNC client cannot connect. Options (``[app:main]``):
``synnefo.fake_console.host`` (default 127.0.0.1), ``synnefo.fake_console.first_port``
(default 25000; ports count up from it), ``synnefo.fake_console.fail`` (true: every call
raises BackendUnavailable, to test the API's 503 path), ``synnefo.fake_console.websocket_url``
(default ws://127.0.0.1:6080; empty: no web console).
"""
from __future__ import annotations

import itertools
import threading

import colander

from synnefo.core.contracts.console import ConsoleForwarding, ConsoleProxy
from synnefo.core.errors import BackendUnavailable
from synnefo.core.settings import parse_section
from synnefo.plugins.consoles.vncauthproxy import one_time_password, websocket_path

SECTION = "fake_console"


def _schema() -> colander.MappingSchema:
    schema = colander.MappingSchema()
    schema.add(colander.SchemaNode(colander.String(), name="host", missing="127.0.0.1"))
    schema.add(colander.SchemaNode(colander.Int(), name="first_port", missing=25000,
                                   validator=colander.Range(min=1, max=65535)))
    schema.add(colander.SchemaNode(colander.Boolean(), name="fail", missing=False))
    schema.add(colander.SchemaNode(colander.String(allow_empty=True),
                                   name="websocket_url", missing="ws://127.0.0.1:6080"))
    return schema


class FakeConsoleProxy(ConsoleProxy):
    """Records each request in ``opened``: ``(destination_host, destination_port, forwarding)``."""

    def __init__(self, core=None):
        super().__init__(core)
        options = parse_section(_schema(), core.settings, SECTION)
        self.host, self.fail = options["host"], options["fail"]
        self.websocket_url = options["websocket_url"]
        self._ports = itertools.count(options["first_port"])
        self._lock = threading.Lock()
        self.opened: list[tuple[str, int, ConsoleForwarding]] = []

    def open_forwarding(self, destination_host: str, destination_port: int) -> ConsoleForwarding:
        if self.fail:
            raise BackendUnavailable("Could not allocate VNC console: fake proxy set to fail",
                                     destination=f"{destination_host}:{destination_port}")
        with self._lock:
            port = 1024 + (next(self._ports) - 1024) % (65536 - 1024)
            forwarding = ConsoleForwarding(self.host, port, one_time_password(), "vnc",
                                           websocket_path(self.websocket_url, port))
            self.opened.append((destination_host, destination_port, forwarding))
        return forwarding
