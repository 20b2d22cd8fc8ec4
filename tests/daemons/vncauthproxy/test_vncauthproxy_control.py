"""The control endpoint of snf-vncauthproxy (UNIX and TCP) and its options."""
from __future__ import annotations

import json
import socket

import pytest

from synnefo.core.errors import ConfigurationError
from synnefo.protocols.vncauthproxy import (MAX_REQUEST, ForwardingRefused, exchange,
                                            request_forwarding)
from synnefo.daemons.vncauthproxy.config import parse_config
from synnefo.testing.vnc_fixtures import socket_dir, start_proxy  # noqa: F401

SECRET = "s3cret-for-tests"


def ask(proxy, **overrides):
    request = {"destination_address": "127.0.0.1", "destination_port": 5900,
               "password": "12345678", "secret": SECRET}
    request.update(overrides)
    return request_forwarding(proxy.endpoint, **{k: v for k, v in request.items()
                                                 if k != "secret"},
                              secret=request["secret"])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return False
    return True


def test_tcp_control_with_the_secret_opens_a_forwarding(start_proxy):
    proxy = start_proxy(control_address="127.0.0.1:0", control_secret=SECRET)

    port = ask(proxy)

    assert listening(port)


def test_tcp_control_with_a_wrong_secret_is_refused(start_proxy):
    proxy = start_proxy(control_address="127.0.0.1:0", control_secret=SECRET)

    with pytest.raises(ForwardingRefused, match="authentication failed"):
        ask(proxy, secret="guess")
    with pytest.raises(ForwardingRefused, match="authentication failed"):
        ask(proxy, secret=None)
    assert proxy.call(lambda: len(proxy.daemon.forwardings)) == 0


def test_request_ended_by_eof_without_newline(start_proxy):
    proxy = start_proxy()
    body = {"source_port": 0, "destination_address": "127.0.0.1", "destination_port": 5900,
            "password": "abc"}
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(proxy.endpoint)
        sock.sendall(json.dumps(body).encode())
        sock.shutdown(socket.SHUT_WR)
        answer = json.loads(sock.makefile("rb").readline())

    assert answer["status"] == "OK" and listening(answer["source_port"])


@pytest.mark.parametrize("raw, reason", [
    (b"not json\n", "not JSON"),
    (b"[1, 2]\n", "JSON object"),
    (b'{"destination_port": 5900, "password": "x"}\n', "destination_address"),
    (b'{"destination_address": "127.0.0.1", "destination_port": 0, "password": "x"}\n',
     "destination_port"),
    (b'{"destination_address": "127.0.0.1", "destination_port": 5900, "password": ""}\n',
     "password"),
    (b'{"destination_address": "127.0.0.1", "destination_port": 5900, "password": "123456789"}\n',
     "password"),
    (b'{"destination_address": "no-such-host.invalid", "destination_port": 5900, '
     b'"password": "x"}\n', "cannot resolve"),
    (b"[" * 30_000 + b"]" * 30_000 + b"\n", "nested too deeply"),
    (b'{"destination_address": ' + b"[" * 900 + b"]" * 900 +
     b', "destination_port": 5900, "password": "x"}\n', "destination_address"),
    (b'{"destination_address": "127.0.0.1\\u0000junk", "destination_port": 5900, '
     b'"password": "x"}\n', "control or space characters"),
    (b'{"destination_address": "127.0.0.1\\njunk", "destination_port": 5900, '
     b'"password": "x"}\n', "control or space characters"),
])
def test_bad_requests_get_a_reason(start_proxy, raw, reason):
    proxy = start_proxy()

    answer = exchange(proxy.endpoint, raw, timeout=10)

    assert answer["status"] == "ERROR" and reason in answer["reason"]


@pytest.mark.parametrize("ending", [b"\n", b""])
def test_a_request_over_the_limit_gets_a_reason(start_proxy, ending):
    proxy = start_proxy()

    answer = exchange(proxy.endpoint, b"x" * (MAX_REQUEST + 10) + ending, timeout=10)

    assert answer == {"status": "ERROR", "reason": f"request longer than {MAX_REQUEST} bytes"}


def test_requested_source_port(start_proxy):
    proxy = start_proxy()
    low, high = proxy.daemon.config.port_range
    wanted = next(p for p in range(high, low, -1) if not listening(p))

    assert ask(proxy, source_port=wanted) == wanted
    with pytest.raises(ForwardingRefused, match="already forwarding"):
        ask(proxy, source_port=wanted)
    with pytest.raises(ForwardingRefused, match="outside the range"):
        ask(proxy, source_port=low - 1)


def test_full_port_range_is_an_error(start_proxy):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proxy = start_proxy(port_range=f"{port}-{port}")

        with pytest.raises(ForwardingRefused, match=f"no free port in {port}-{port}"):
            ask(proxy)


def test_proxy_down_is_an_oserror(socket_dir):
    with pytest.raises(OSError):
        request_forwarding(f"{socket_dir}/nobody.sock", destination_address="127.0.0.1",
                           destination_port=5900, password="x", timeout=2)


@pytest.mark.parametrize("raw, problem", [
    ({}, "exactly one of control_socket"),
    ({"control_socket": "/tmp/x", "control_address": "127.0.0.1:1"}, "exactly one"),
    ({"control_address": "127.0.0.1:1"}, "needs control_secret"),
    ({"control_socket": "/tmp/x", "port_range": "30000-20000"}, "port_range"),
    ({"control_socket": "/tmp/x", "allowed_networks": "10.0.0.0/33"}, "allowed_networks"),
    ({"control_socket": "/tmp/x", "expiry_seconds": "soon"}, "expiry_seconds"),
    ({"control_address": "localhost", "control_secret": "x"}, "control_address"),
])
def test_bad_options_are_named(raw, problem):
    with pytest.raises(ConfigurationError, match=problem):
        parse_config(raw, environ={})


def test_options_from_ini_env_and_flags():
    raw = {"control_address": "127.0.0.1:24999", "port_range": "25000-25100", "here": "/etc"}
    environ = {"SYNNEFO_VNCAUTHPROXY_CONTROL_SECRET": "from-env",
               "SYNNEFO_VNCAUTHPROXY_PORT_RANGE": "26000-26100"}

    config = parse_config(raw, environ=environ, overrides={"port_range": "27000-27100",
                                                          "expiry_seconds": None})

    assert config.control_address == ("127.0.0.1", 24999)
    assert config.control_secret == "from-env"
    assert config.port_range == (27000, 27100)
    assert config.expiry_seconds == 60.0
    assert [str(n) for n in config.allowed_networks][:2] == ["127.0.0.0/8", "::1/128"]


def test_refused_destination_is_logged_escaped(start_proxy, caplog):
    proxy = start_proxy()
    raw = (b'{"destination_address": "127.0.0.1\\u0000junk", "destination_port": 5900, '
           b'"password": "x"}\n')

    exchange(proxy.endpoint, raw, timeout=10)

    lines = [r.getMessage() for r in caplog.records if "control request refused" in r.getMessage()]
    assert lines and all("\x00" not in line for line in lines)
    assert "127.0.0.1\\x00junk" in lines[0]


def test_control_timeout_is_logged_with_its_reason(start_proxy, caplog):
    proxy = start_proxy(handshake_timeout="0.2")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(proxy.endpoint)
        sock.settimeout(10)
        assert sock.recv(1) == b""  # the proxy gives up on a silent client

    assert any(r.getMessage() == "control connection failed: TimeoutError"
               for r in caplog.records)


def test_control_socket_directory_is_created(start_proxy, socket_dir):
    proxy = start_proxy(control_socket=f"{socket_dir}/run/control.sock")

    assert listening(ask(proxy, secret=None))
