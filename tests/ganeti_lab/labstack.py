"""The Synnefo side of the lab tests, deployed as an operator would: one .ini, the API under
waitress, two ``snf-dispatcher`` processes, the eventd running INSIDE the lab, the Ganeti hook
installed with ``snf-manage ganeti-hooks install``, RabbitMQ, and the RAPI driver verifying TLS."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa
import waitress.server

from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.daemons.config import app_section
from synnefo.testing.ganeti_lab import Lab
from synnefo.testing.inifiles import write_ini

API = "/compute/v2.1"
AMQP_URL = os.environ.get("SYNNEFO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
BIN = Path(sys.executable).parent
HOOK_NAME = "50-snf-lab-hook"


def run_dir(prefix: str, keep: int = 3) -> Path:
    """A fresh directory for one session's .ini, logs, eventd state and spool (older runs
    beyond the last ``keep`` are removed)."""
    from synnefo.testing.ganeti_lab import REPO
    runs = REPO / "var" / "ganeti-lab" / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for old in sorted(runs.iterdir(), key=lambda p: p.stat().st_mtime)[:-keep or None]:
        shutil.rmtree(old, ignore_errors=True)
    path = runs / prefix.rstrip("-")
    path.mkdir()
    return path


def lab_settings(lab: Lab, db_url: str, prefix: str, **extra: str) -> dict[str, str]:
    """``synnefo.*`` keys (prefix omitted) of a deployment on the lab's cluster."""
    env = lab.env
    return {
        "db_url": db_url, "amqp_url": AMQP_URL, "instance_prefix": prefix,
        "backend_drivers": "ganeti", "console_proxy": "fake", "hooks": "default-scheduler",
        "seed_demo": "true", "demo_user": "demo", "demo_password": "demo-secret",
        "public_network": env["GANETI_LAB_NETWORK"],
        "backend.name": "lab", "backend.driver": "ganeti",
        "backend.rapi_url": env["GANETI_LAB_RAPI_URL"],
        "backend.username": env["GANETI_LAB_RAPI_USER"],
        "backend.password": env["GANETI_LAB_RAPI_PASSWORD"],
        "default_max_servers": "40", "default_max_cores": "80",
        "ganeti.ca_file": env["GANETI_LAB_CA_FILE"], "ganeti.disk_template": "file",
        "ganeti.os_provider": env["GANETI_LAB_OS_IMAGE"], "ganeti.read_timeout": "60",
        **extra,
    }


def eventd_section(lab: Lab, directory: Path) -> dict[str, str]:
    return {"queue_dir": lab.env["GANETI_LAB_QUEUE_DIR"], "ssconf_dir": "/var/lib/ganeti",
            "node_name": lab.env["GANETI_LAB_NODE"], "state": f"{directory}/eventd-state.sqlite",
            "spool": f"{directory}/eventd-spool.sqlite", "pid_file": f"{directory}/eventd.pid",
            "master_check_interval": "1", "retry_interval": "0.5", "connect_timeout": "2",
            "hook_connect_timeout": "1"}


class Stack:
    """Everything of one deployment; ``close()`` stops what it started."""

    def __init__(self, lab: Lab, directory: Path, db_url: str, prefix: str, **extra: str):
        self.lab, self.dir, self.prefix = lab, directory, prefix
        self.ini = write_ini(directory, lab_settings(lab, db_url, prefix, **extra),
                             sections={"synnefo:eventd": eventd_section(lab, directory),
                                       "synnefo:dispatcher": {"workers": "1"}})
        engine = make_engine(db_url)
        migrate.upgrade(engine)
        engine.dispose()
        self.eventd: subprocess.Popen | None = None
        self.eventd_runs = 0
        self.dispatchers: list[subprocess.Popen] = []
        self._start_api()
        self.install_hook()
        self.start_dispatchers(2)
        self.start_eventd()
        self.api = ApiClient(self.url)

    # -- processes ---------------------------------------------------------------------------

    def _start_api(self) -> None:
        from synnefo.web import main
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        raw = app_section(str(self.ini))
        raw["synnefo.public_url"] = self.url
        self.app = main({"here": str(self.dir)}, **raw)
        self.core = self.app.registry.core
        self.server = waitress.server.create_server(self.app, sockets=[self.sock], threads=16)
        threading.Thread(target=self.server.run, daemon=True).start()

    def _log(self, name: str):
        return open(self.dir / f"{name}.log", "ab")

    def start_dispatchers(self, count: int) -> None:
        for i in range(count):
            self.dispatchers.append(subprocess.Popen(
                [str(BIN / "snf-dispatcher"), "-w", "1", str(self.ini)],
                stdout=self._log(f"dispatcher{i}"), stderr=subprocess.STDOUT))
        for i in range(count):
            self.wait_for_log(f"dispatcher{i}", "consuming from", timeout=60)

    def start_eventd(self) -> None:
        """snf-ganeti-eventd inside the lab (it watches the lab's job queue)."""
        self.eventd_runs += 1
        name = f"eventd{self.eventd_runs}"
        self.eventd = self.lab.popen(str(BIN / "snf-ganeti-eventd"), str(self.ini),
                                     stdout=self._log(name), stderr=subprocess.STDOUT)
        self.wait_for_log(name, ": publishing", timeout=30)

    def stop_eventd(self, sig: int = signal.SIGTERM) -> None:
        if self.eventd and self.eventd.poll() is None:
            self.eventd.send_signal(sig)
            self.eventd.wait(30)
        self.eventd = None

    def install_hook(self) -> None:
        out = self.lab.run(str(BIN / "snf-manage"), "-c", str(self.ini), "ganeti-hooks",
                           "install", "--hooks-dir", self.lab.env["GANETI_LAB_HOOKS_DIR"],
                           "--name", HOOK_NAME, "--force")
        assert "installed" in out, out

    def uninstall_hook(self) -> None:
        self.lab.run(str(BIN / "snf-manage"), "-c", str(self.ini), "ganeti-hooks", "uninstall",
                     "--hooks-dir", self.lab.env["GANETI_LAB_HOOKS_DIR"], "--name", HOOK_NAME,
                     check=False)

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """``snf-manage -c <ini> ARGS`` on the host (as an operator runs it)."""
        result = subprocess.run([str(BIN / "snf-manage"), "-c", str(self.ini), *args],
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode not in (0, 1, 2):
            raise AssertionError(f"snf-manage {' '.join(args)}: exit {result.returncode}\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def wait_for_log(self, name: str, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        path = self.dir / f"{name}.log"
        while time.monotonic() < deadline:
            if path.exists() and text in path.read_text(errors="replace"):
                return
            time.sleep(0.1)
        raise AssertionError(f"{name} never logged {text!r}:\n{path.read_text(errors='replace')[-3000:]}")

    def instance(self, server_id: str) -> str:
        return f"{self.prefix}{server_id}"

    def close(self) -> None:
        self.stop_eventd()
        for proc in self.dispatchers:
            proc.terminate()
        for proc in self.dispatchers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.uninstall_hook()
        self._remove_leftovers()
        self.server.close()
        _delete_queues(self.core.settings)
        self.core.close()


    def _remove_leftovers(self) -> None:
        """Instances of this session that a failed test left in the lab."""
        rapi = self.lab.rapi()
        try:
            for name in rapi.instances():
                if name.startswith(self.prefix):
                    rapi.call("DELETE", f"/2/instances/{name}")
        finally:
            rapi.close()


class ApiClient:
    """The Compute API as the demo user (password login through /identity/v3)."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        token = requests.post(f"{url}/identity/v3/auth/tokens", json={"auth": {"identity": {
            "methods": ["password"], "password": {"user": {"name": "demo",
                                                           "password": "demo-secret"}}}}},
                              timeout=30).headers["X-Subject-Token"]
        self.session.headers.update({"X-Auth-Token": token,
                                     "OpenStack-API-Version": "compute 2.96"})

    def call(self, method: str, path: str, expect: int, **kw):
        response = self.session.request(method, self.url + API + path, timeout=60, **kw)
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def image_id(self, name: str = "cirros") -> str:
        images = self.session.get(f"{self.url}/image/v2/images", timeout=30).json()["images"]
        return next(image["id"] for image in images if image["name"] == name)

    def create(self, name: str, flavor: str = "1", image: str = "cirros") -> str:
        body = {"server": {"name": name, "flavorRef": flavor, "imageRef": self.image_id(image),
                           "networks": "auto"}}
        return self.call("POST", "/servers", 202, json=body)["server"]["id"]

    def server(self, server_id: str) -> dict | None:
        response = self.session.get(f"{self.url}{API}/servers/{server_id}", timeout=30)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        return response.json()["server"]

    def action(self, server_id: str, body: dict) -> None:
        self.call("POST", f"/servers/{server_id}/action", 202, json=body)

    def delete(self, server_id: str) -> None:
        self.call("DELETE", f"/servers/{server_id}", 204)

    def wait(self, server_id: str, status: str | tuple[str, ...], timeout: float = 90.0,
             task_state_clear: bool = True) -> dict:
        """The server once its status is ``status`` (or one of them); ``DELETED`` also
        matches a server gone from the API."""
        wanted = (status,) if isinstance(status, str) else status
        deadline, server = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            server = self.server(server_id)
            if "DELETED" in wanted and (server is None or server["status"] == "DELETED"):
                return server or {"status": "DELETED"}
            if server and server["status"] in wanted and (
                    not task_state_clear or not server.get("OS-EXT-STS:task_state")):
                return server
            time.sleep(0.2)
        raise AssertionError(f"server {server_id} never became {'/'.join(wanted)}: "
                             f"{json.dumps(server, indent=1)[:2000]}")


def _delete_queues(settings) -> None:
    from synnefo.messaging.connection import connect
    from synnefo.messaging.topology import build_topology
    try:
        with connect(settings) as connection:
            channel = connection.channel()
            for spec in build_topology(settings).queues:
                channel.queue_delete(spec.name)
                channel.queue_delete(spec.dead_letter)
    except Exception:  # noqa: BLE001 - hygiene must not fail a run
        pass


def server_rows(core, prefix: str) -> dict:
    """``{server id: operstate}`` straight from the database."""
    from synnefo.core.db.models import Server
    with core.uow() as uow:
        rows = uow.session.execute(sa.select(Server.id, Server.operstate)).all()
    return {str(r.id): r.operstate for r in rows}
