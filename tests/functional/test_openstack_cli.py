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
    assert console["url"].startswith("vnc://") and console["type"] == "novnc"
    cli("server", "delete", "--wait", "cli-vm", parse=False)
    assert "cli-vm" not in {s["Name"] for s in cli("server", "list")}
