"""pytest fixtures for console tests: a real VNC server, a real proxy daemon, a real VNC client.

Import the fixtures into a test module (``from synnefo.testing.vnc_fixtures import *``).
A missing Xtigervnc skips locally and fails in CI (``CI=true``).
"""
from __future__ import annotations

import shutil
import tempfile

import pytest

from synnefo.testing import vncserver
from synnefo.testing.databases import in_ci
from synnefo.testing.vncauthproxy import ThreadedProxy, loopback_config

SCREEN = (800, 600)
SERVER_PASSWORD = "srv-pw42"
CLIENT_TIMEOUT = 30


def require_vnc_server() -> None:
    if vncserver.available():
        return
    message = f"{vncserver.BINARY} is missing: run scripts/install-test-deps.sh"
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def _started(**kwargs) -> vncserver.VncServer:
    require_vnc_server()
    try:
        return vncserver.start(*SCREEN, **kwargs)
    except vncserver.VncServerUnavailable as exc:
        if in_ci():
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def vnc_server():
    """Xtigervnc without authentication, SCREEN pixels, on loopback."""
    server = _started()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def vnc_server_with_password():
    """Xtigervnc with VNC authentication (password SERVER_PASSWORD)."""
    server = _started(password=SERVER_PASSWORD)
    yield server
    server.stop()


@pytest.fixture
def socket_dir():
    """A short directory for UNIX sockets (paths are limited to 108 bytes)."""
    path = tempfile.mkdtemp(prefix="snf-vap-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_proxy(socket_dir):
    """``start_proxy(**options) -> ThreadedProxy`` (UNIX control socket unless told otherwise)."""
    proxies = []

    def start(**options):
        if "control_address" not in options:
            options.setdefault("control_socket", f"{socket_dir}/control.sock")
        proxy = ThreadedProxy(loopback_config(**options)).start()
        proxies.append(proxy)
        return proxy

    yield start
    for proxy in proxies:
        proxy.stop()


def vnc_client(port: int, password: str, factory_class=None):
    """A vncdotool client connected (in its reactor thread) to 127.0.0.1:port."""
    from vncdotool import api
    from vncdotool.client import VNCDoToolFactory
    return api.connect(f"127.0.0.1::{port}", password=password, timeout=CLIENT_TIMEOUT,
                       factory_class=factory_class or VNCDoToolFactory)


def screenshot_size(port: int, password: str, path, factory_class=None) -> tuple[int, int]:
    """Capture the screen through 127.0.0.1:port with vncdotool; the PNG's pixel size."""
    from PIL import Image
    client = vnc_client(port, password, factory_class)
    client.captureScreen(str(path))
    client.disconnect()
    with Image.open(path) as image:
        return image.size
