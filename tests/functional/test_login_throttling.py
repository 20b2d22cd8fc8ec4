"""Login throttling shared by two WEBSERVER processes (``pserve``, real waitress) on one
PostgreSQL database: failures sent to either count towards one lock."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests

from synnefo.daemons.manage import main as snf_manage
from synnefo.testing import databases
from synnefo.testing.inifiles import write_ini

PSERVE = os.path.join(os.path.dirname(sys.executable), "pserve")
ATTEMPTS = 5


@pytest.fixture
def pg_url():
    with databases.throwaway_database("postgresql") as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_webserver(tmp_path, pg_url, index: int):
    port = free_port()
    directory = tmp_path / f"web{index}"
    directory.mkdir()
    ini = write_ini(directory, {
        "db_url": pg_url, "amqp_url": f"sqla+sqlite:///{directory}/broker.sqlite",
        "backend_drivers": "fake", "console_proxy": "fake",
        "lockout_failure_attempts": str(ATTEMPTS), "lockout_address_failure_attempts": "0",
        "lockout_duration": "600", "public_url": f"http://127.0.0.1:{port}"})
    ini.write_text(ini.read_text().replace("listen = 127.0.0.1:0", f"listen = 127.0.0.1:{port}"))
    log = open(directory / "pserve.log", "w")
    proc = subprocess.Popen([PSERVE, str(ini)], cwd=directory, stdout=log,
                            stderr=subprocess.STDOUT)
    return proc, log, f"http://127.0.0.1:{port}", ini


def wait_up(url: str, proc, log_path) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError("pserve exited:\n" + log_path.read_text())
        try:
            requests.get(url + "/identity/v3", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("pserve did not answer:\n" + log_path.read_text())


@pytest.fixture
def two_webservers(tmp_path, pg_url):
    started = [start_webserver(tmp_path, pg_url, i) for i in (1, 2)]
    try:
        assert snf_manage(["-c", str(started[0][3]), "db", "upgrade"]) == 0
        assert snf_manage(["-c", str(started[0][3]), "user-create", "alice",
                           "--password", "right"]) == 0
        for index, (proc, _, url, ini) in enumerate(started):
            wait_up(url, proc, ini.parent / "pserve.log")
        yield [url for _, _, url, _ in started]
    finally:
        for proc, log, _, _ in started:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()


def login(url: str, password: str) -> requests.Response:
    return requests.post(f"{url}/identity/v3/auth/tokens", timeout=30, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": "alice", "domain": {"name": "Default"}, "password": password}}}}})


def test_failures_on_either_webserver_count_towards_one_lock(two_webservers):
    first, second = two_webservers
    assert login(first, "right").status_code == 201
    for attempt in range(ATTEMPTS):
        assert login(two_webservers[attempt % 2], "guess").status_code == 401
    for url in (first, second):
        locked = login(url, "right")
        assert locked.status_code == 429, locked.text
        assert 0 < int(locked.headers["Retry-After"]) <= 600
        assert locked.json()["overLimit"]["code"] == 429
