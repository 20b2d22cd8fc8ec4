"""snf-vncauthproxy end to end: real VNC server (Xtigervnc), the proxy, real client (vncdotool)."""
from __future__ import annotations

import concurrent.futures
import random
import socket
import time

import pytest
from twisted.internet.error import ConnectionRefusedError as TwistedConnectionRefused
from vncdotool.client import AuthenticationError, VNCDoToolClient, VNCDoToolFactory

from synnefo.daemons.vncauthproxy import rfb
from synnefo.protocols.vncauthproxy import ForwardingRefused, request_forwarding
from synnefo.testing.vnc_fixtures import (SCREEN, SERVER_PASSWORD, screenshot_size,  # noqa: F401
                                          socket_dir, start_proxy, vnc_client, vnc_server,
                                          vnc_server_with_password)

PASSWORD = "Ab3dEf9h"


def forward(proxy, server, password=PASSWORD, **kwargs) -> int:
    return request_forwarding(proxy.endpoint, destination_address=server.host,
                              destination_port=server.port, password=password, **kwargs)


def wait_until(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def versioned_factory(version):
    client = type(f"Client{version[0]}{version[1]}", (VNCDoToolClient,),
                  {"MAX_CLIENT_VERSION": version})
    return type(f"Factory{version[0]}{version[1]}", (VNCDoToolFactory,), {"protocol": client})


def open_ports(proxy) -> set[int]:
    return proxy.call(lambda: set(proxy.daemon.forwardings))


def test_screenshot_through_the_proxy_has_the_servers_size(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy()
    port = forward(proxy, vnc_server)

    assert screenshot_size(port, PASSWORD, tmp_path / "screen.png") == SCREEN
    wait_until(lambda: port not in open_ports(proxy))  # the session ended: the port is free


@pytest.mark.parametrize("version", [(3, 3), (3, 7)])
def test_older_rfb_clients_get_through(start_proxy, vnc_server, tmp_path, version):
    proxy = start_proxy()
    port = forward(proxy, vnc_server)

    size = screenshot_size(port, PASSWORD, tmp_path / "screen.png", versioned_factory(version))

    assert size == SCREEN


def test_wrong_password_is_refused_with_reason_and_forwarding_stays(start_proxy, vnc_server,
                                                                     tmp_path, caplog):
    proxy = start_proxy()
    port = forward(proxy, vnc_server)

    with pytest.raises(AuthenticationError, match="authentication failed"):
        vnc_client(port, "wrong-pw").captureScreen(str(tmp_path / "no.png"))
    assert any(r.levelname == "ERROR" and f"port {port}" in r.getMessage()
               and "wrong password" in r.getMessage() for r in caplog.records)

    assert screenshot_size(port, PASSWORD, tmp_path / "screen.png") == SCREEN


def test_forwarding_serves_one_connection(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy()
    port = forward(proxy, vnc_server)
    first = vnc_client(port, PASSWORD)
    first.captureScreen(str(tmp_path / "first.png"))

    with pytest.raises(TwistedConnectionRefused):
        vnc_client(port, PASSWORD).captureScreen(str(tmp_path / "second.png"))
    first.refreshScreen()  # the first session still works
    first.disconnect()


def test_unused_forwarding_expires(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy(expiry_seconds="0.5")
    port = forward(proxy, vnc_server)

    wait_until(lambda: port not in open_ports(proxy))

    assert refuses_connections(port)


def test_too_many_wrong_passwords_close_the_forwarding(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy(max_auth_failures="2")
    port = forward(proxy, vnc_server)
    for attempt in range(2):
        with pytest.raises(AuthenticationError):
            vnc_client(port, f"guess{attempt}").captureScreen(str(tmp_path / "no.png"))

    # The client reads the failure reason before the proxy gets round to closing the port.
    wait_until(lambda: port not in open_ports(proxy))
    assert refuses_connections(port)


def test_forbidden_destination_is_refused(start_proxy, vnc_server):
    proxy = start_proxy(allowed_networks="10.0.0.0/8 192.168.0.0/16")

    with pytest.raises(ForwardingRefused, match="not in the allowed networks"):
        forward(proxy, vnc_server)
    assert proxy.call(lambda: dict(proxy.daemon.forwardings)) == {}


def test_destination_with_vnc_password(start_proxy, vnc_server_with_password, tmp_path):
    proxy = start_proxy(destination_password=SERVER_PASSWORD)
    port = forward(proxy, vnc_server_with_password)

    assert screenshot_size(port, PASSWORD, tmp_path / "screen.png") == SCREEN


def test_destination_refusing_the_proxy_fails_the_client(start_proxy, vnc_server_with_password,
                                                         tmp_path):
    proxy = start_proxy(destination_password="not-this")
    port = forward(proxy, vnc_server_with_password)

    with pytest.raises(AuthenticationError, match="VNC server is unavailable"):
        vnc_client(port, PASSWORD).captureScreen(str(tmp_path / "no.png"))


def test_unreachable_destination_fails_the_client(start_proxy, tmp_path):
    proxy = start_proxy()
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]
    port = request_forwarding(proxy.endpoint, destination_address="127.0.0.1",
                              destination_port=closed_port, password=PASSWORD)

    with pytest.raises(AuthenticationError, match="VNC server is unavailable"):
        vnc_client(port, PASSWORD).captureScreen(str(tmp_path / "no.png"))
    wait_until(lambda: port not in open_ports(proxy))
    assert refuses_connections(port)


def test_flood_of_control_requests(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy()
    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        ports = list(pool.map(lambda i: forward(proxy, vnc_server, password=f"pw{i:05d}"),
                              range(200)))

    assert len(set(ports)) == 200
    assert proxy.call(lambda: len(proxy.daemon.forwardings)) == 200
    assert screenshot_size(ports[123], "pw00123", tmp_path / "screen.png") == SCREEN


def test_a_stalled_client_does_not_stall_others(start_proxy, vnc_server, tmp_path):
    proxy = start_proxy()
    stalled_port, port = forward(proxy, vnc_server), forward(proxy, vnc_server)
    with stalled_session(stalled_port):
        assert screenshot_size(port, PASSWORD, tmp_path / "screen.png") == SCREEN


class stalled_session:
    """An authenticated client that asks for many full screens and never reads them."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)

    def __enter__(self):
        sock = self.sock
        sock.recv(12)
        sock.sendall(rfb.encode_version(rfb.V3_8))
        assert sock.recv(2) == bytes([1, rfb.SEC_VNC_AUTH])
        sock.sendall(bytes([rfb.SEC_VNC_AUTH]))
        sock.sendall(rfb.vnc_auth_response(PASSWORD, _recv_exact(sock, 16)))
        assert _recv_exact(sock, 4) == rfb.u32(rfb.RESULT_OK)
        sock.sendall(b"\x01")  # ClientInit, shared
        request = b"\x03\x00" + (0).to_bytes(4, "big") + SCREEN[0].to_bytes(2, "big") + \
            SCREEN[1].to_bytes(2, "big")
        sock.sendall(request * 200)
        return self

    def __exit__(self, *exc):
        self.sock.close()


def _recv_exact(sock, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, "connection closed"
        data += chunk
    return data


def test_bytes_sent_ahead_of_the_handshake_reach_the_server(start_proxy, vnc_server):
    """A client that pipelines ClientInit and an update request behind its password answer
    gets its screen: the relay forwards what the proxy had already buffered."""
    proxy = start_proxy()
    port = forward(proxy, vnc_server)
    request = b"\x03\x00" + (0).to_bytes(4, "big") + SCREEN[0].to_bytes(2, "big") + \
        SCREEN[1].to_bytes(2, "big")
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        _recv_exact(sock, 12)
        sock.sendall(rfb.encode_version(rfb.V3_8))
        _recv_exact(sock, 2)
        sock.sendall(bytes([rfb.SEC_VNC_AUTH]))
        challenge = _recv_exact(sock, 16)
        sock.sendall(rfb.vnc_auth_response(PASSWORD, challenge) + b"\x01" + request)

        assert _recv_exact(sock, 4) == rfb.u32(rfb.RESULT_OK)
        assert _recv_exact(sock, 4) == SCREEN[0].to_bytes(2, "big") + SCREEN[1].to_bytes(2, "big")
        _recv_exact(sock, 16)  # pixel format
        _recv_exact(sock, int.from_bytes(_recv_exact(sock, 4), "big"))  # desktop name
        assert _recv_exact(sock, 1) == b"\x00"  # a FramebufferUpdate answers the request


class streaming_server:
    """An RFB server (no authentication) that sends ``data`` to each client, then closes."""

    def __init__(self, data: bytes):
        self.data = data
        self.listening = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self.listening.getsockname()
        self.pool = concurrent.futures.ThreadPoolExecutor(4)

    def __enter__(self):
        self.pool.submit(self._serve, 2)
        return self

    def _serve(self, clients: int) -> None:
        for _ in range(clients):
            connection, _ = self.listening.accept()
            self.pool.submit(self._stream, connection)

    def _stream(self, connection) -> None:
        with connection:
            connection.sendall(rfb.encode_version(rfb.V3_8))
            _recv_exact(connection, 12)
            connection.sendall(bytes([1, rfb.SEC_NONE]))
            _recv_exact(connection, 1)
            connection.sendall(rfb.u32(rfb.RESULT_OK) + self.data)

    def __exit__(self, *exc):
        self.listening.close()
        self.pool.shutdown(wait=False, cancel_futures=True)


def _authenticated(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    _recv_exact(sock, 12)
    sock.sendall(rfb.encode_version(rfb.V3_8))
    _recv_exact(sock, 2)
    sock.sendall(bytes([rfb.SEC_VNC_AUTH]))
    sock.sendall(rfb.vnc_auth_response(PASSWORD, _recv_exact(sock, 16)))
    assert _recv_exact(sock, 4) == rfb.u32(rfb.RESULT_OK)
    return sock


def test_a_slow_and_a_fast_viewer_both_get_every_byte_in_order(start_proxy):
    """Relays share the proxy's read buffers; a viewer that reads slowly makes its relay keep
    what it could not send yet, while another relay goes on. Both streams arrive intact."""
    data = random.Random(14).randbytes(24 << 20)
    proxy = start_proxy()
    with streaming_server(data) as server:
        slow, fast = (_authenticated(forward(proxy, server)) for _ in range(2))
        with slow, fast:
            received = {"fast": _recv_exact(fast, len(data))}
            chunks = []
            while sum(map(len, chunks)) < len(data):
                chunks.append(slow.recv(64 << 10))
                time.sleep(0.001)
            received["slow"] = b"".join(chunks)

    assert received == {"fast": data, "slow": data}
