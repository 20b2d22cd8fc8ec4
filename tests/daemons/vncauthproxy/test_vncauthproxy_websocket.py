"""The WebSocket endpoint of snf-vncauthproxy: RFB over RFC 6455 to a real Xtigervnc."""
from __future__ import annotations

import ssl
import struct

import pytest
import trustme
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from synnefo.core.errors import ConfigurationError
from synnefo.daemons.vncauthproxy import rfb
from synnefo.daemons.vncauthproxy.config import parse_config
from synnefo.protocols.vncauthproxy import request_forwarding
from synnefo.testing.vnc_fixtures import SCREEN, socket_dir, start_proxy, vnc_server  # noqa: F401

PASSWORD = "Ws3cr3t!"
ORIGIN = "http://console.example"


def ws_proxy(start_proxy, **options):
    return start_proxy(websocket_address="127.0.0.1:0", websocket_origins=ORIGIN, **options)


def forward(proxy, server) -> int:
    return request_forwarding(proxy.endpoint, destination_address=server.host,
                              destination_port=server.port, password=PASSWORD)


def url(proxy, port: int, scheme: str = "ws") -> str:
    host, ws_port = proxy.daemon.websocket_endpoint
    return f"{scheme}://{host}:{ws_port}/vnc/{port}"


class MessageStream:
    """Reads RFB bytes from WebSocket messages, however the proxy split them."""

    def __init__(self, ws):
        self.ws, self.buffer = ws, b""

    def read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.buffer += self.ws.recv(timeout=30)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def server_init_size(ws, password: str) -> tuple[int, int]:
    """Run the RFB 3.8 handshake with VNC authentication; the ServerInit's screen size."""
    stream = MessageStream(ws)
    assert stream.read(12) == rfb.encode_version(rfb.V3_8)
    ws.send(rfb.encode_version(rfb.V3_8))
    assert stream.read(2) == bytes([1, rfb.SEC_VNC_AUTH])
    ws.send(bytes([rfb.SEC_VNC_AUTH]))
    ws.send(rfb.vnc_auth_response(password, stream.read(16)))
    assert stream.read(4) == rfb.u32(rfb.RESULT_OK)
    ws.send(b"\x01")  # ClientInit, shared
    return struct.unpack("!HH", stream.read(4))


def test_browser_path_reaches_the_vnc_server_once(start_proxy, vnc_server):
    proxy = ws_proxy(start_proxy)
    port = forward(proxy, vnc_server)

    with connect(url(proxy, port), origin=ORIGIN) as ws:
        assert server_init_size(ws, PASSWORD) == SCREEN
        with pytest.raises(InvalidStatus) as used:  # one-time: no second client
            connect(url(proxy, port), origin=ORIGIN)
    assert used.value.response.status_code == 404


def test_wrong_origin_and_unknown_forwarding_are_refused(start_proxy, vnc_server):
    proxy = ws_proxy(start_proxy)
    port = forward(proxy, vnc_server)

    with pytest.raises(InvalidStatus) as foreign:
        connect(url(proxy, port), origin="https://evil.example")
    with pytest.raises(InvalidStatus) as unknown:
        connect(url(proxy, port + 1 if port + 1 != port else port - 1), origin=ORIGIN)
    assert foreign.value.response.status_code == 403
    assert unknown.value.response.status_code == 404
    with connect(url(proxy, port), origin=ORIGIN) as ws:  # the forwarding is still unused
        assert server_init_size(ws, PASSWORD) == SCREEN


def test_wrong_password_over_websocket_counts_as_a_failure(start_proxy, vnc_server):
    proxy = ws_proxy(start_proxy, max_auth_failures="1")
    port = forward(proxy, vnc_server)

    with connect(url(proxy, port), origin=ORIGIN) as ws:
        stream = MessageStream(ws)
        stream.read(12)
        ws.send(rfb.encode_version(rfb.V3_8))
        stream.read(2)
        ws.send(bytes([rfb.SEC_VNC_AUTH]))
        ws.send(rfb.vnc_auth_response("guess", stream.read(16)))
        assert stream.read(4) == rfb.u32(rfb.RESULT_FAILED)

    with pytest.raises(InvalidStatus):  # max_auth_failures reached: the forwarding is gone
        connect(url(proxy, port), origin=ORIGIN)


def test_tls_websocket(start_proxy, vnc_server, tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_pem.write_to_path(tmp_path / "key.pem")
    cert.cert_chain_pems[0].write_to_path(tmp_path / "cert.pem")
    proxy = ws_proxy(start_proxy, websocket_cert=tmp_path / "cert.pem",
                     websocket_key=tmp_path / "key.pem")
    port = forward(proxy, vnc_server)
    client = ssl.create_default_context()
    ca.configure_trust(client)

    with connect(url(proxy, port, "wss"), origin=ORIGIN, ssl=client) as ws:
        assert server_init_size(ws, PASSWORD) == SCREEN


@pytest.mark.parametrize("raw, problem", [
    ({"websocket_address": "127.0.0.1:6080"}, "needs websocket_origins"),
    ({"websocket_address": "127.0.0.1:6080", "websocket_origins": ORIGIN,
      "websocket_cert": "/etc/cert.pem"}, "both websocket_cert and websocket_key"),
])
def test_websocket_options_are_checked(raw, problem):
    with pytest.raises(ConfigurationError, match=problem):
        parse_config({"control_socket": "/tmp/x", **raw}, environ={})
