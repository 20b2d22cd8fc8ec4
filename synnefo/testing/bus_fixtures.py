"""pytest fixtures for bus tests (import them into a test module: ``from ... import *``).

``bus_env`` runs a test twice: on RabbitMQ with PostgreSQL, and on the embedded broker with
SQLite. Each run has its own instance prefix, so its queues are private.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from synnefo.core.app import build_core
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.testing import bus, databases

__all__ = ["bus_postgres", "bus_env", "bus_core", "processes", "rabbitmq_proxy"]


def _unavailable(message: str):
    if databases.in_ci():
        pytest.fail(f"CI needs it: {message}")
    pytest.skip(message)


def migrate_url(url: str) -> str:
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def bus_postgres():
    try:
        url = bus.postgres_database()
    except databases.ServerUnavailable as exc:
        _unavailable(str(exc))
    yield migrate_url(url)
    databases.drop_database(url)


@pytest.fixture
def rabbitmq_proxy():
    """A ``TcpProxy`` in front of the test RabbitMQ: ``cut()`` makes "the broker" go away
    without touching the shared one (``bus.proxied_url(proxy.port)`` reaches it)."""
    from urllib.parse import urlparse
    from synnefo.testing.tcpproxy import TcpProxy
    try:
        bus.check_rabbitmq()
    except bus.BrokerUnavailable as exc:
        _unavailable(str(exc))
    target = urlparse(bus.RABBITMQ_URL)
    proxy = TcpProxy((target.hostname, target.port or 5672)).start()
    yield proxy
    proxy.cut()


@pytest.fixture(params=["rabbitmq", "embedded"])
def bus_env(request, tmp_path):
    kind = request.param
    if kind == "rabbitmq":
        try:
            bus.check_rabbitmq()
        except bus.BrokerUnavailable as exc:
            _unavailable(str(exc))
        db_url = request.getfixturevalue("bus_postgres")
    else:
        db_url = migrate_url(f"sqlite:///{tmp_path}/synnefo.sqlite")
    env = bus.make_env(kind, tmp_path, bus.env_settings(kind, tmp_path, db_url),
                       sections={"synnefo:dispatcher": {"prefetch": 5, "retry_delay": 0.05,
                                                        "max_retries": 1}})
    yield env
    if kind == "rabbitmq":
        bus.delete_topology(env.settings)


@pytest.fixture
def bus_core(bus_env):
    core = build_core(bus_env.settings)
    yield core
    core.close()


class Processes:
    """Dispatcher processes started by a test; whatever is left is killed at teardown."""

    def __init__(self, directory):
        self.directory = directory
        self.started: list[subprocess.Popen] = []

    def spawn(self, args, name: str) -> subprocess.Popen:
        log = open(self.directory / f"{name}.log", "ab")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        self.started.append(proc)
        return proc

    def recording_dispatcher(self, ini, record, name="dispatcher") -> subprocess.Popen:
        return self.spawn([sys.executable, "-m", "synnefo.testing.recording_dispatcher",
                           str(ini), str(record)], name)

    def snf_dispatcher(self, ini, workers: int, name="snf-dispatcher") -> subprocess.Popen:
        script = os.path.join(os.path.dirname(sys.executable), "snf-dispatcher")
        return self.spawn([script, str(ini), "--workers", str(workers)], name)

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    @staticmethod
    def terminate(proc: subprocess.Popen, timeout: float = 60) -> int:
        proc.send_signal(signal.SIGTERM)
        return proc.wait(timeout)

    def kill_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def processes(tmp_path):
    procs = Processes(tmp_path)
    yield procs
    procs.kill_all()
