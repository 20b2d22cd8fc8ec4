"""The ``fake`` console proxy plugin passes the console contract without a daemon."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from synnefo.core import plugins
from synnefo.core.settings import parse_settings
from synnefo.plugins.consoles.fake import FakeConsoleProxy
from synnefo.testing.console_contract import ConsoleProxyContract


def fake_core(**options):
    raw = {f"synnefo.fake_console.{k}": v for k, v in options.items()}
    return SimpleNamespace(settings=parse_settings(raw, environ={}))


class TestFakeConsoleProxy(ConsoleProxyContract):
    @pytest.fixture
    def console_proxy(self):
        return FakeConsoleProxy(core=fake_core(host="console.example.org"))

    @pytest.fixture
    def broken_console_proxy(self):
        return FakeConsoleProxy(core=fake_core(fail="true"))

    @pytest.fixture
    def console_destination(self):
        return ("node1.example.org", 11000)


def test_fake_records_what_it_was_asked():
    proxy = FakeConsoleProxy(core=fake_core(host="console.example.org", first_port="30000"))

    forwarding = proxy.open_forwarding("node1.example.org", 11000)

    assert (forwarding.host, forwarding.port) == ("console.example.org", 30000)
    assert proxy.opened == [("node1.example.org", 11000, forwarding)]


def test_console_proxies_load_through_their_entry_points():
    loaded = plugins.load_plugins(plugins.GROUPS["console_proxies"], ["fake", "vncauthproxy"])

    assert loaded["fake"] is FakeConsoleProxy
    assert loaded["vncauthproxy"].__name__ == "VncAuthProxyConsole"
