"""The ``openstack`` CLI, unmodified, with a plain clouds.yaml (password auth via /identity/v3)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

OPENSTACK = os.path.join(os.path.dirname(sys.executable), "openstack")

CLOUDS_YAML = """\
clouds:
  synnefo:
    auth:
      auth_url: {url}/identity/v3
      username: demo
      password: demo-secret
      project_name: demo
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
"""


@pytest.fixture(scope="module")
def cli(live_server, tmp_path_factory):
    config = tmp_path_factory.mktemp("cli") / "clouds.yaml"
    config.write_text(CLOUDS_YAML.format(url=live_server.url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(OS_CLIENT_CONFIG_FILE=str(config), OS_CLOUD="synnefo")

    def run(*args, parse=True):
        cmd = [OPENSTACK, *args] + (["-f", "json"] if parse else [])
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stderr}"
        return json.loads(done.stdout) if parse and done.stdout.strip() else done.stdout
    return run


def test_catalogue_listings(cli):
    assert {"m1.tiny", "m1.small"} <= {f["Name"] for f in cli("flavor", "list")}
    assert {"cirros", "debian-12"} <= {i["Name"] for i in cli("image", "list")}


def test_flavor_show(cli):
    shown = cli("flavor", "show", "m1.tiny")
    assert shown["name"] == "m1.tiny" and shown["properties"] in ({}, "")


def test_server_create_list_show_console_delete(cli):
    created = cli("server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--nic", "none",
                  "--wait", "cli-vm")
    assert created["status"] == "ACTIVE"
    listed = {s["Name"]: s for s in cli("server", "list")}
    assert listed["cli-vm"]["Status"] == "ACTIVE" and listed["cli-vm"]["Image"] == "cirros"
    shown = cli("server", "show", "cli-vm")
    assert shown["id"] == created["id"] and shown["flavor"]["name"] == "m1.tiny"
    console = cli("console", "url", "show", "cli-vm")
    assert "/console/#url=ws" in console["url"] and console["type"] == "novnc"
    assert console["url"].startswith("http")
    cli("server", "delete", "--wait", "cli-vm", parse=False)
    assert "cli-vm" not in {s["Name"] for s in cli("server", "list")}


def test_keypair_create_import_list_and_server_with_key(cli, tmp_path):
    from synnefo.testing.keys import md5_fingerprint, openssh_public_key
    private = tmp_path / "cli-key.pem"
    generated = cli("keypair", "create", "--private-key", str(private), "cli-key")
    assert generated["name"] == "cli-key"
    assert "PRIVATE KEY" in private.read_text()
    public = tmp_path / "imported.pub"
    public.write_text(openssh_public_key() + "\n")
    imported = cli("keypair", "create", "--public-key", str(public), "cli-imported")
    assert imported["fingerprint"] == md5_fingerprint(public.read_text())
    assert {"cli-key", "cli-imported"} <= {k["Name"] for k in cli("keypair", "list")}
    created = cli("server", "create", "--image", "cirros", "--flavor", "m1.tiny", "--nic", "none",
                  "--key-name", "cli-key", "--wait", "cli-keyed")
    assert created["key_name"] == "cli-key"
    cli("keypair", "delete", "cli-key", "cli-imported", parse=False)
    assert not {"cli-key", "cli-imported"} & {k["Name"] for k in cli("keypair", "list")}
    assert cli("server", "show", "cli-keyed")["key_name"] == "cli-key"
    cli("server", "delete", "--wait", "cli-keyed", parse=False)
