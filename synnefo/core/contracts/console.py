"""The console proxy contract (entry-point group ``synnefo.console_proxies``).

Constructed as ``Proxy(core=Core)``; reads its own options from ``core.settings``.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsoleForwarding:
    """Where a user's VNC client connects, and the one-time password it authenticates with.

    ``websocket_url`` is where a browser (noVNC) reaches the same forwarding over WebSocket,
    or "" when the proxy has no WebSocket endpoint.
    """
    host: str
    port: int
    password: str
    type: str = "vnc"
    websocket_url: str = ""


class ConsoleProxy(abc.ABC):
    def __init__(self, core=None):
        self.core = core

    @abc.abstractmethod
    def open_forwarding(self, destination_host: str, destination_port: int) -> ConsoleForwarding:
        """Set up a one-time forwarding to a VNC server; raise BackendUnavailable on failure."""
