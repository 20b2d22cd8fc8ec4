"""The snf-vncauthproxy console script: options from the .ini, clean stop on SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from synnefo.protocols.vncauthproxy import request_forwarding
from synnefo.testing.vnc_fixtures import (SCREEN, screenshot_size, socket_dir,  # noqa: F401
                                          vnc_client, vnc_server)
from synnefo.testing.vncauthproxy import loopback_port_range

SCRIPT = os.path.join(os.path.dirname(sys.executable), "snf-vncauthproxy")

INI = """\
[app:main]
use = egg:synnefo

[synnefo:vncauthproxy]
control_socket = {socket}
listen_address = 127.0.0.1
port_range = {ports}
expiry_seconds = 30

[loggers]
keys = root

[handlers]
keys = stderr

[formatters]
keys = plain

[logger_root]
level = INFO
handlers = stderr

[handler_stderr]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(levelname)s %(name)s %(message)s
"""


def wait_for_socket(path: str, process, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.socket(socket.AF_UNIX) as sock:
                sock.connect(path)
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"snf-vncauthproxy did not open {path}: {process.communicate()}")


@pytest.fixture
def daemon(socket_dir, tmp_path):
    control = f"{socket_dir}/control.sock"
    ini = tmp_path / "synnefo.ini"
    ini.write_text(INI.format(socket=control, ports=loopback_port_range()))
    process = subprocess.Popen([SCRIPT, str(ini), "--expiry-seconds", "20"],
                               stderr=subprocess.PIPE, text=True)
    wait_for_socket(control, process)
    yield process, control
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_daemon_relays_and_stops_cleanly_on_sigterm(daemon, vnc_server, tmp_path):
    process, control = daemon
    port = request_forwarding(control, destination_address=vnc_server.host,
                              destination_port=vnc_server.port, password="pw")
    idle = request_forwarding(control, destination_address=vnc_server.host,
                              destination_port=vnc_server.port, password="pw")
    assert screenshot_size(port, "pw", tmp_path / "screen.png") == SCREEN
    busy = request_forwarding(control, destination_address=vnc_server.host,
                              destination_port=vnc_server.port, password="pw")
    session = vnc_client(busy, "pw")
    session.captureScreen(str(tmp_path / "busy.png"))  # a relay is running during the stop

    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=30)

    assert process.returncode == 0
    assert not os.path.exists(control)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", idle), timeout=5)
    assert f"INFO synnefo.daemons.vncauthproxy forwarding port {port} to 127.0.0.1:" \
           f"{vnc_server.port} opened" in log
    assert "expire after 20s" in log  # the flag overrides the .ini
    assert "stopped" in log


def test_bad_option_exits_with_the_reason(tmp_path):
    result = subprocess.run([SCRIPT, "--control-socket", str(tmp_path / "s"),
                             "--port-range", "9-1"], capture_output=True, text=True, timeout=60)

    assert result.returncode == 2
    assert "port_range" in result.stderr


def _small_nofile():
    import resource
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 128))


def _connect_idle(port: int, count: int) -> list[socket.socket]:
    return [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(count)]


def _refused_at_once(sock: socket.socket) -> bool:
    """True if the proxy closed this connection without greeting it."""
    try:
        return sock.recv(12) == b""
    except ConnectionResetError:
        return True


def test_flooded_forwarding_leaves_control_and_other_forwardings_working(
        socket_dir, tmp_path, vnc_server):
    control = f"{socket_dir}/control.sock"
    ini = tmp_path / "synnefo.ini"
    ini.write_text(INI.format(socket=control, ports=loopback_port_range()))
    process = subprocess.Popen([SCRIPT, str(ini)], stderr=subprocess.PIPE, text=True,
                               preexec_fn=_small_nofile)
    idle = []
    try:
        wait_for_socket(control, process)
        ask = dict(destination_address=vnc_server.host, destination_port=vnc_server.port)
        flooded = request_forwarding(control, password="flooded", **ask)

        idle = _connect_idle(flooded, 200)

        greeted = [sock for sock in idle[:10] if not _refused_at_once(sock)]
        assert len(greeted) == 4  # the per-forwarding cap; the rest were refused at once
        ports = [request_forwarding(control, password=f"pw{i}", **ask) for i in range(20)]
        assert screenshot_size(ports[-1], "pw19", tmp_path / "screen.png") == SCREEN
        with open(f"/proc/{process.pid}/limits") as limits:
            assert any(line.startswith("Max open files") and line.split()[3] == "128"
                       for line in limits)  # raised from 64 to the hard limit at start
    finally:
        for sock in idle:
            sock.close()
        process.send_signal(signal.SIGTERM)
        _, log = process.communicate(timeout=30)

    assert "too many unauthenticated connections" in log
    assert log.count("\n") < 200  # refusals are reported at most once a second
