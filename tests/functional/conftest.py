"""A real API server on loopback: waitress + the fake backend + a real in-process dispatcher
consuming from RabbitMQ (queues named after a unique instance prefix, so parallel runs do not
meet). Clients under test talk to it over HTTP with password authentication."""
from __future__ import annotations

import os
import secrets
import socket
import threading

import pytest
import waitress.server

from synnefo.testing import databases
from synnefo.devserver import main

RABBIT_URL = os.environ.get("SYNNEFO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _require_rabbitmq() -> None:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError as exc:
        if databases.in_ci():
            pytest.fail(f"CI needs RabbitMQ on 127.0.0.1:5672: {exc}")
        pytest.skip(f"RabbitMQ is not reachable: {exc}")


class LiveServer:
    """``extra_settings`` (full ``synnefo.*`` keys) go on top of the defaults below."""

    def __init__(self, tmp_path, **extra_settings):
        _require_rabbitmq()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        settings = {**self._settings(tmp_path), **extra_settings}
        self.app = main({"here": str(tmp_path)}, **settings)
        self.core = self.app.registry.core
        self.server = waitress.server.create_server(self.app, sockets=[self.sock], threads=8)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def _settings(self, tmp_path) -> dict:
        return {
            "synnefo.db_url": f"sqlite:///{tmp_path}/api.sqlite",
            "synnefo.amqp_url": RABBIT_URL,
            "synnefo.instance_prefix": f"t{secrets.token_hex(4)}-",
            "synnefo.backend_drivers": "fake", "synnefo.console_proxy": "fake",
            "synnefo.hooks": "default-scheduler audit-log",
            "synnefo.dispatcher_in_process": "true", "synnefo.seed_demo": "true",
            "synnefo.demo_user": "demo", "synnefo.demo_password": "demo-secret",
            "synnefo.public_url": self.url,
            "synnefo.backend.name": "fake1", "synnefo.backend.driver": "fake",
            "synnefo.fake.job_delay": "0.1",
        }

    def stop(self) -> None:
        self.server.close()
        dispatcher = getattr(self.app.registry, "dispatcher", None)
        if dispatcher is not None:
            dispatcher.stop()
        _delete_queues(self.core.settings)
        self.core.close()

    def image_id(self, name: str = "cirros") -> str:
        import sqlalchemy as sa
        from synnefo.core.db.models import Image
        with self.core.uow() as uow:
            return uow.session.scalar(sa.select(Image.id).where(Image.name == name))


def _delete_queues(settings) -> None:
    """This run's queues (named after its unique prefix) are of no use to anyone afterwards."""
    from synnefo.messaging.connection import connect
    from synnefo.messaging.topology import build_topology
    with connect(settings) as connection:
        channel = connection.channel()
        for spec in build_topology(settings).queues:
            channel.queue_delete(spec.name)
            channel.queue_delete(spec.dead_letter)


@pytest.fixture
def make_live_server(tmp_path_factory):
    """``make_live_server(**extra_settings) -> LiveServer``, stopped after the test."""
    servers = []

    def make(**extra_settings):
        servers.append(LiveServer(tmp_path_factory.mktemp("api"), **extra_settings))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("api"))
    yield server
    server.stop()
