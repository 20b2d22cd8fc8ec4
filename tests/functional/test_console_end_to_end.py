"""A console end to end: the API (waitress, fake backend, real dispatcher) with the
``vncauthproxy`` console proxy plugin, a real snf-vncauthproxy and a real Xtigervnc that the fake
driver's ``console_host``/``console_port`` point at. A real VNC client (vncdotool) takes a
screenshot with nothing but what the API answered."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import openstack
import pytest
import requests

from synnefo.testing.vnc_fixtures import (SCREEN, screenshot_size, socket_dir,  # noqa: F401
                                          start_proxy, vnc_server)


@pytest.fixture
def console_server(make_live_server, start_proxy, vnc_server):
    return make_live_server(**{
        "synnefo.console_proxy": "vncauthproxy",
        "synnefo.vncauthproxy.control_socket": start_proxy().endpoint,
        "synnefo.vncauthproxy.public_host": "127.0.0.1",
        "synnefo.fake.console_host": vnc_server.host,
        "synnefo.fake.console_port": str(vnc_server.port),
    })


@pytest.fixture
def conn(console_server):
    connection = openstack.connect(
        auth_url=f"{console_server.url}/identity/v3", username="demo", password="demo-secret",
        project_name="demo", user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", load_yaml_config=False, load_envvars=False)
    yield connection
    connection.close()


def from_url(url: str) -> tuple[str, int, str]:
    """Host, port and password of a ``vnc://host:port?VncPassword=...`` console URL."""
    parts = urlsplit(url)
    assert parts.scheme == "vnc"
    return parts.hostname, parts.port, parse_qs(parts.query)["VncPassword"][0]


def test_every_console_route_lets_a_vnc_client_see_the_screen(conn, console_server, tmp_path):
    c = conn.compute
    server = c.create_server(name="console-vm", image_id=console_server.image_id(),
                             flavor_id="1", networks="none")
    server = c.wait_for_server(server, status="ACTIVE", wait=60, interval=0.2)
    api = f"{console_server.url}/compute/v2.1/servers/{server.id}"
    token = {"X-Auth-Token": conn.session.get_token()}

    host, port, password = from_url(c.create_console(server, console_type="xvpvnc")["url"])
    assert host == "127.0.0.1"
    assert screenshot_size(port, password, tmp_path / "remote.png") == SCREEN

    legacy = requests.post(f"{api}/action", json={"os-getVNCConsole": {"type": "xvpvnc"}},
                           headers={**token, "OpenStack-API-Version": "compute 2.5"})
    assert legacy.status_code == 200, legacy.text
    _, port, password = from_url(legacy.json()["console"]["url"])
    assert screenshot_size(port, password, tmp_path / "legacy.png") == SCREEN

    synnefo = requests.post(f"{api}/action", json={"console": {"type": "vnc"}}, headers=token)
    assert synnefo.status_code == 200, synnefo.text
    console = synnefo.json()["console"]
    assert (console["type"], console["host"]) == ("vnc", "127.0.0.1")
    assert screenshot_size(console["port"], console["password"], tmp_path / "snf.png") == SCREEN

    c.stop_server(server)
    c.wait_for_server(server, status="SHUTOFF", wait=60, interval=0.2)
    stopped = requests.post(f"{api}/action", json={"console": {"type": "vnc"}}, headers=token)
    assert stopped.status_code == 409
    assert "Cannot 'console'" in stopped.json()["conflictingRequest"]["message"]
    c.delete_server(server)
    c.wait_for_delete(server, wait=60, interval=0.2)
