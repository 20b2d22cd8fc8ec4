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
