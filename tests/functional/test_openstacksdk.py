"""openstacksdk, unmodified, with password authentication through /identity/v3."""
from __future__ import annotations

import time

import openstack
import requests
import pytest


@pytest.fixture
def conn(live_server):
    connection = openstack.connect(
        auth_url=f"{live_server.url}/identity/v3", username="demo", password="demo-secret",
        project_name="demo", user_domain_name="Default", project_domain_name="Default",
        region_name="RegionOne", load_yaml_config=False, load_envvars=False)
    yield connection
    connection.close()


def settle(c, server, status):
    """Wait (re-reading the server first) until it has ``status`` and no task in progress."""
    for _ in range(300):
        current = c.get_server(server)
        if current.status == status and current.task_state is None:
            return current
        time.sleep(0.2)
    raise AssertionError(f"server {server.id} stayed {current.status}/{current.task_state}")


def test_server_lifecycle(conn, live_server):
    c = conn.compute
    assert {f.name for f in c.flavors()} >= {"m1.tiny", "m1.small"}
    assert "cirros" in {i.name for i in c.images()}
    server = c.create_server(name="sdk-vm", image_id=live_server.image_id(), flavor_id="1",
                             networks="none")
    server = c.wait_for_server(server, status="ACTIVE", wait=60, interval=0.2)
    assert server.flavor.original_name == "m1.tiny"
    c.reboot_server(server, "SOFT")
    assert c.get_server(server).status in ("REBOOT", "ACTIVE")
    settle(c, server, "ACTIVE")
    console = c.create_console(server, console_type="novnc")
    assert console["url"].startswith(f"{live_server.url}/console/#url=ws")
    c.stop_server(server)
    settle(c, server, "SHUTOFF")
    c.start_server(server)
    settle(c, server, "ACTIVE")
    c.delete_server(server)
    c.wait_for_delete(server, wait=60, interval=0.2)
    assert c.find_server("sdk-vm") is None


@pytest.mark.parametrize("prefix", ["/v2.1", "/compute/v2.0"])
def test_token_and_endpoint_override_recipe(live_server, prefix):
    """The spec's recipe: a token plus endpoint overrides; v2.0 is not microversioned, so the
    SDK falls back to the os-getVNCConsole action there."""
    token = requests.post(f"{live_server.url}/identity/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "demo", "password": "demo-secret"}}}}}).headers["X-Subject-Token"]
    endpoint = live_server.url + prefix
    conn = openstack.connect(auth_type="admin_token", auth={"endpoint": endpoint, "token": token},
                             compute_endpoint_override=endpoint,
                             image_endpoint_override=f"{live_server.url}/image/v2",
                             load_yaml_config=False, load_envvars=False)
    c = conn.compute
    server = c.create_server(name=f"override{prefix.replace('/', '-')}",
                             image_id=live_server.image_id(), flavor_id="1", networks="none")
    settle(c, server, "ACTIVE")
    assert c.create_console(server, console_type="novnc")["url"].startswith(
        f"{live_server.url}/console/#url=ws")
    c.delete_server(server)
    c.wait_for_delete(server, wait=60, interval=0.2)
    conn.close()


def test_keypairs_and_server_with_key_name(conn, live_server):
    from synnefo.testing.keys import openssh_public_key
    c = conn.compute
    generated = c.create_keypair(name="sdk-gen")
    assert generated.private_key and generated.fingerprint
    key = openssh_public_key()
    imported = c.create_keypair(name="sdk-imported", public_key=key)
    assert imported.public_key == key
    assert {"sdk-gen", "sdk-imported"} <= {k.name for k in c.keypairs()}
    server = c.create_server(name="sdk-keyed", image_id=live_server.image_id(), flavor_id="1",
                             networks="none", key_name="sdk-imported",
                             user_data="I2Nsb3VkLWNvbmZpZwo=")
    server = c.wait_for_server(server, status="ACTIVE", wait=60, interval=0.2)
    assert server.key_name == "sdk-imported"
    c.delete_keypair("sdk-gen")
    c.delete_keypair("sdk-imported")
    assert not {"sdk-gen", "sdk-imported"} & {k.name for k in c.keypairs()}
    assert c.get_server(server).key_name == "sdk-imported"
    c.delete_server(server)
    c.wait_for_delete(server, wait=60, interval=0.2)
