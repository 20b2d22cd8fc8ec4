"""``pserve development.ini`` as shipped (embedded broker, fake backend, in-process dispatcher,
demo data), on a free port in a temporary directory, driven by novaclient with demo/demo."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest
import requests
from keystoneauth1 import session
from keystoneauth1.identity import v3
from novaclient import client

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PSERVE = os.path.join(os.path.dirname(sys.executable), "pserve")
SNF_DISPATCHER = os.path.join(os.path.dirname(sys.executable), "snf-dispatcher")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dev_server(tmp_path, request):
    """``pserve development.ini``; with ``indirect`` param False, the dispatcher is not run in
    the web process but as ``snf-dispatcher development.ini`` beside it (same embedded broker)."""
    in_process = getattr(request, "param", True)
    port = free_port()
    text = open(os.path.join(ROOT, "development.ini"), encoding="utf-8").read()
    text = re.sub(r"listen = .*", f"listen = 127.0.0.1:{port}", text)
    if not in_process:  # the API-only app factory, as in production
        text = re.sub(r"use = egg:synnefo#development", "use = egg:synnefo", text)
        text = re.sub(r"synnefo\.dispatcher_in_process = .*",
                      "synnefo.dispatcher_in_process = false", text)
    text = re.sub(r"synnefo\.public_url = .*", f"synnefo.public_url = http://127.0.0.1:{port}", text)
    text = re.sub(r"synnefo\.instance_prefix = .*", "synnefo.instance_prefix = dev-", text)
    (tmp_path / "var").mkdir()
    (tmp_path / "development.ini").write_text(text)
    log = open(tmp_path / "pserve.log", "w")
    proc = subprocess.Popen([PSERVE, str(tmp_path / "development.ini")], cwd=tmp_path,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    dispatcher = None
    try:
        _wait_until_up(url, proc, tmp_path)
        if not in_process:  # started from elsewhere: the broker path is relative to the .ini
            dispatcher = subprocess.Popen([SNF_DISPATCHER, str(tmp_path / "development.ini")],
                                          cwd="/", stdout=log, stderr=subprocess.STDOUT)
        yield url
    finally:
        for running in filter(None, (dispatcher, proc)):
            running.terminate()
            running.wait(timeout=30)
        log.close()
        shutil.rmtree(tmp_path / "var", ignore_errors=True)


def _wait_until_up(url: str, proc, tmp_path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError("pserve exited:\n" + (tmp_path / "pserve.log").read_text())
        try:
            requests.get(url + "/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("pserve did not answer:\n" + (tmp_path / "pserve.log").read_text())


@pytest.mark.parametrize("dev_server", [True, False], indirect=True,
                         ids=["dispatcher-in-process", "separate-snf-dispatcher"])
def test_development_ini_serves_a_working_api(dev_server):
    assert "versions" in requests.get(dev_server + "/").json()     # what `curl .../` shows
    assert requests.get(dev_server + "/compute/v2.1").json()["version"]["id"] == "v2.1"
    auth = v3.Password(auth_url=f"{dev_server}/identity/v3", username="demo", password="demo",
                       project_name="demo", user_domain_name="Default",
                       project_domain_name="Default")
    nova = client.Client("2.96", session=session.Session(auth=auth))
    image = nova.glance.find_image("cirros")
    server = nova.servers.create("dev-vm", image=image.id, flavor="1", nics="none")
    for _ in range(300):
        server = nova.servers.get(server.id)
        if server.status == "ACTIVE":
            break
        time.sleep(0.1)
    assert server.status == "ACTIVE"
    server.delete()
