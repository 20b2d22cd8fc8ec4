"""The ``vncauthproxy`` console proxy plugin against a real snf-vncauthproxy and VNC server."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from synnefo.core.errors import BackendUnavailable, ConfigurationError
from synnefo.core.settings import parse_settings
from synnefo.plugins.consoles.vncauthproxy import VncAuthProxyConsole
from synnefo.testing.console_contract import ConsoleProxyContract
from synnefo.testing.vnc_fixtures import (SCREEN, screenshot_size, socket_dir,  # noqa: F401
                                          start_proxy, vnc_server)

SECRET = "plugin-test-secret"


def core_for(**options):
    raw = {f"synnefo.vncauthproxy.{k}": v for k, v in options.items()}
    return SimpleNamespace(settings=parse_settings(raw, environ={}))


def plugin_for(proxy, **options) -> VncAuthProxyConsole:
    if isinstance(proxy.endpoint, str):
        options.setdefault("control_socket", proxy.endpoint)
    else:
        options.setdefault("control_address", "%s:%d" % proxy.endpoint)
    return VncAuthProxyConsole(core=core_for(public_host="console.example.org", **options))


class TestVncAuthProxyConsole(ConsoleProxyContract):
    @pytest.fixture
    def console_proxy(self, start_proxy):
        return plugin_for(start_proxy())

    @pytest.fixture
    def broken_console_proxy(self, socket_dir):
        return VncAuthProxyConsole(core=core_for(control_socket=f"{socket_dir}/down.sock"))

    @pytest.fixture
    def console_destination(self, vnc_server):
        return (vnc_server.host, vnc_server.port)


def test_users_client_gets_the_screen_with_the_answered_password(start_proxy, vnc_server,
                                                                  tmp_path):
    console = plugin_for(start_proxy())

    forwarding = console.open_forwarding(vnc_server.host, vnc_server.port)

    assert forwarding.host == "console.example.org"
    assert screenshot_size(forwarding.port, forwarding.password, tmp_path / "s.png") == SCREEN


def test_tcp_control_with_secret(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy(control_address="127.0.0.1:0", control_secret=SECRET)
    console = plugin_for(proxy, control_secret=SECRET)

    forwarding = console.open_forwarding(vnc_server.host, vnc_server.port)

    assert screenshot_size(forwarding.port, forwarding.password, tmp_path / "s.png") == SCREEN


def test_wrong_secret_is_backend_unavailable_with_the_reason(start_proxy, vnc_server):
    proxy = start_proxy(control_address="127.0.0.1:0", control_secret=SECRET)
    console = plugin_for(proxy, control_secret="wrong")

    with pytest.raises(BackendUnavailable, match="authentication failed"):
        console.open_forwarding(vnc_server.host, vnc_server.port)


def test_forbidden_destination_is_backend_unavailable(start_proxy):
    console = plugin_for(start_proxy(allowed_networks="10.0.0.0/8"))

    with pytest.raises(BackendUnavailable, match="not in the allowed networks"):
        console.open_forwarding("127.0.0.1", 5900)


@pytest.mark.parametrize("options", [{}, {"control_socket": "/x", "control_address": "h:1"},
                                     {"control_socket": "/x", "timeout": "never"}])
def test_bad_options_stop_start_up(options):
    with pytest.raises(ConfigurationError):
        VncAuthProxyConsole(core=core_for(**options))
