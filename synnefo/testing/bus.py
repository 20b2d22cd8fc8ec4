"""Test helpers for the message bus: brokers, throw-away topologies, server rows, waiting.

Each test gets its own instance prefix (``t<hex>-``), so its queues on the shared RabbitMQ are
its own; ``delete_topology`` removes them afterwards. In CI (``CI=true``) an unreachable
RabbitMQ fails the test instead of skipping it.
"""
from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from synnefo.core.settings import Settings, parse_settings
from synnefo.testing import databases
from synnefo.testing.inifiles import write_ini

RABBITMQ_URL = os.environ.get("SYNNEFO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


class BrokerUnavailable(Exception):
    pass


def check_rabbitmq(url: str = RABBITMQ_URL) -> str:
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 5672), timeout=3).close()
    except OSError as exc:
        raise BrokerUnavailable(f"RabbitMQ at {parsed.hostname}:{parsed.port} is unreachable: {exc}")
    return url


def proxied_url(proxy_port: int, url: str = RABBITMQ_URL) -> str:
    """``url`` with its port replaced by a ``TcpProxy``'s (a broker a test can cut)."""
    port = urlparse(url).port or 5672
    return url.replace(f":{port}", f":{proxy_port}", 1)


def unique_prefix() -> str:
    return f"t{secrets.token_hex(4)}-"


@dataclass
class BusEnv:
    """One test's deployment: settings, the .ini daemons read, its broker kind."""
    kind: str                 # "rabbitmq" or "embedded"
    settings: Settings
    ini: Path
    raw: dict
    sections: dict | None = None

    @property
    def prefix(self) -> str:
        return self.settings.instance_prefix

    def with_settings(self, directory: Path, name: str, **changes) -> "BusEnv":
        """The same deployment with some ``synnefo.*`` keys changed (new .ini)."""
        return make_env(self.kind, directory, {**self.raw, **changes}, name, self.sections)


def make_env(kind: str, directory: Path, raw: dict, ini_name: str = "test.ini",
             sections: dict | None = None) -> BusEnv:
    values = {f"synnefo.{k}": v for k, v in raw.items()}
    settings = parse_settings({**values, "here": str(directory)}, environ={})
    ini = write_ini(directory, raw, sections, name=ini_name)
    return BusEnv(kind, settings, ini, dict(raw), sections)


def env_settings(kind: str, directory: Path, db_url: str, **extra) -> dict:
    amqp = RABBITMQ_URL if kind == "rabbitmq" else "sqla+sqlite:///broker.sqlite"
    return {"db_url": db_url, "amqp_url": amqp, "instance_prefix": unique_prefix(),
            "hooks": "", **extra}


def delete_topology(settings: Settings) -> None:
    """Delete a test's queues (work and dead-letter) from the broker."""
    from synnefo.messaging import entities
    from synnefo.messaging.connection import connect
    from synnefo.messaging.topology import build_topology
    topology = build_topology(settings)
    with connect(settings) as connection:
        channel = connection.channel()
        for spec in topology.queues:
            entities.work_queue(topology, spec)(channel).delete()
            entities.dead_letter_queue(topology, spec)(channel).delete()


def postgres_database() -> str:
    """A fresh PostgreSQL database (drop it with ``databases.drop_database``)."""
    return databases.create_database("postgresql")


def seed_servers(core, count: int) -> list[int]:
    """``count`` servers in BUILD owned by a fresh user; returns their ids in creation order."""
    from synnefo.core.db.models import Flavor, Server, User
    tag = secrets.token_hex(4)
    with core.uow() as uow:
        user = User(name=f"user-{tag}")
        flavor = Flavor(name=f"flavor-{tag}", vcpus=1, ram_mib=512, disk_gib=1)
        uow.session.add_all([user, flavor])
        uow.session.flush()
        servers = [Server(owner_id=user.id, flavor_id=flavor.id, name=f"vm{i}") for i in range(count)]
        uow.session.add_all(servers)
        uow.session.flush()
        return [s.id for s in servers]


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2, what: str = "condition"):
    """Poll until ``predicate()`` is truthy; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:.0f}s")
        time.sleep(interval)
