"""python-novaclient, unmodified, with a keystoneauth password session."""
from __future__ import annotations

import time

import pytest
from keystoneauth1 import session
from keystoneauth1.identity import v3
from novaclient import client, exceptions


def nova_for(live_server, version: str):
    auth = v3.Password(auth_url=f"{live_server.url}/identity/v3", username="demo",
                       password="demo-secret", project_name="demo",
                       user_domain_name="Default", project_domain_name="Default")
    return client.Client(version, session=session.Session(auth=auth))


def wait_status(nova, server_id: str, status: str):
    for _ in range(300):
        server = nova.servers.get(server_id)
        if server.status == status and getattr(server, "OS-EXT-STS:task_state") is None:
            return server
        time.sleep(0.2)
    raise AssertionError(f"server {server_id} stayed {server.status}")


@pytest.mark.parametrize("version", ["2.1", "2.96"])
def test_list_create_show_reboot_delete(live_server, version):
    nova = nova_for(live_server, version)
    assert "m1.tiny" in {f.name for f in nova.flavors.list()}
    extra = {"nics": "none"} if version != "2.1" else {}
    server = nova.servers.create(f"nova-{version}", image=live_server.image_id(), flavor="1",
                                 meta={"role": "test"}, **extra)
    assert server.id in {s.id for s in nova.servers.list()}
    shown = wait_status(nova, server.id, "ACTIVE")
    assert shown.name == f"nova-{version}" and shown.metadata == {"role": "test"}
    server.reboot()
    wait_status(nova, server.id, "ACTIVE")
    server.reboot(reboot_type="HARD")
    wait_status(nova, server.id, "ACTIVE")
    console = nova.servers.get_console_url(server, "novnc")
    url = console["console" if version == "2.1" else "remote_console"]["url"]
    assert url.startswith("http") and "/console/#url=ws" in url
    server.delete()
    for _ in range(300):
        try:
            nova.servers.get(server.id)
        except exceptions.NotFound:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("server was never deleted")
    assert server.id not in {s.id for s in nova.servers.list()}


def test_wrong_password_is_401(live_server):
    auth = v3.Password(auth_url=f"{live_server.url}/identity/v3", username="demo",
                       password="wrong", project_name="demo", user_domain_name="Default",
                       project_domain_name="Default")
    nova = client.Client("2.1", session=session.Session(auth=auth))
    with pytest.raises(Exception) as info:
        nova.servers.list()
    assert "401" in str(info.value) or "Unauthorized" in type(info.value).__name__


@pytest.mark.parametrize("version", ["2.1", "2.2", "2.96"])
def test_keypairs_and_server_with_key_name(live_server, version):
    from synnefo.testing.keys import openssh_public_key
    nova = nova_for(live_server, version)
    name = f"nova-key-{version.replace('.', '-')}"
    if version != "2.96":   # from 2.92 the client must bring the public key
        generated = nova.keypairs.create(f"{name}-gen")
        assert "PRIVATE KEY" in generated.private_key
        nova.keypairs.delete(f"{name}-gen")
    key = openssh_public_key()
    imported = nova.keypairs.create(name, public_key=key)
    assert imported.public_key == key
    assert name in {k.name for k in nova.keypairs.list()}
    extra = {"nics": "none"} if version == "2.96" else {}   # "none" exists from 2.37
    server = nova.servers.create(f"nova-keyed-{version}", image=live_server.image_id(),
                                 flavor="1", key_name=name, **extra)
    shown = wait_status(nova, server.id, "ACTIVE")
    assert shown.key_name == name
    nova.keypairs.delete(name)
    assert name not in {k.name for k in nova.keypairs.list()}
    with pytest.raises(exceptions.BadRequest):
        nova.servers.create("no-such-key", image=live_server.image_id(), flavor="1",
                            key_name=name, **extra)
    server.delete()
