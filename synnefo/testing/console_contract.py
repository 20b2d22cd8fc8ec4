"""Contract tests every console proxy plugin passes (the fake one included).

Subclass ``ConsoleProxyContract`` in a test module and provide three fixtures:
``console_proxy`` (a working proxy), ``broken_console_proxy`` (one whose forwarding fails,
e.g. its daemon is down) and ``console_destination`` ((host, port) of a VNC server).
"""
from __future__ import annotations

import pytest

from synnefo.core.contracts.console import ConsoleForwarding, ConsoleProxy
from synnefo.core.errors import BackendUnavailable


class ConsoleProxyContract:
    def test_is_a_console_proxy(self, console_proxy):
        assert isinstance(console_proxy, ConsoleProxy)

    def test_forwarding_names_host_port_and_an_8_character_password(self, console_proxy,
                                                                    console_destination):
        forwarding = console_proxy.open_forwarding(*console_destination)

        assert isinstance(forwarding, ConsoleForwarding)
        assert forwarding.type == "vnc"
        assert forwarding.host
        assert 0 < forwarding.port < 65536
        assert len(forwarding.password) == 8 and forwarding.password.isascii()

    def test_each_forwarding_has_its_own_port_and_password(self, console_proxy,
                                                           console_destination):
        forwardings = [console_proxy.open_forwarding(*console_destination) for _ in range(5)]

        assert len({f.port for f in forwardings}) == 5
        assert len({f.password for f in forwardings}) == 5

    def test_failure_is_backend_unavailable(self, broken_console_proxy, console_destination):
        with pytest.raises(BackendUnavailable):
            broken_console_proxy.open_forwarding(*console_destination)
