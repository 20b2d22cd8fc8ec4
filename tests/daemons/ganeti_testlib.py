"""Helpers for the Ganeti-side tests: recorded job files, Ganeti-style writes, a broker tap."""
from __future__ import annotations

import os
import re
import secrets
import socket
import time

import kombu
import pytest

from synnefo.testing import databases

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ganeti-3.0")
JOBS = os.path.join(FIXTURES, "jobs")
HOOKS = os.path.join(FIXTURES, "hooks")
BROKER_URL = os.environ.get("SYNNEFO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
UNREACHABLE_URL = "amqp://guest:guest@127.0.0.1:1//"


def unique_prefix() -> str:
    """An instance prefix no other test (or helper) uses: ``t<hex>-``."""
    return f"t{secrets.token_hex(4)}-"


def versions(scenario: str) -> list[str]:
    """Paths of every recorded version of a scenario's job files, in the order Ganeti wrote
    them (``job-<id>.<n>-<status>.json``, sorted by id then numerically by ``n``)."""
    pattern = re.compile(r"^job-(\d+)\.(\d+)-(\w+)\.json$")
    found = []
    for name in os.listdir(os.path.join(JOBS, scenario)):
        match = pattern.match(name)
        if match:
            found.append((int(match.group(1)), int(match.group(2)), name))
    return [os.path.join(JOBS, scenario, name) for _, _, name in sorted(found)]


def recorded_status(path: str) -> str:
    return re.match(r"^job-\d+\.\d+-(\w+)\.json$", os.path.basename(path)).group(1)


def load_version(path: str, prefix: str = "snf-") -> bytes:
    """The recorded bytes, with the instance prefix ``snf-`` swapped for a test's own."""
    with open(path, "rb") as fh:
        data = fh.read()
    return data if prefix == "snf-" else data.replace(b"snf-", prefix.encode())


def write_like_ganeti(queue_dir: str, job_id: int, data: bytes, writer: str = "job") -> str:
    """Write ``job-<id>`` the way Ganeti does: a temp file, then a rename onto the final name.
    ``writer='luxid'`` uses luxid's ``job-<id>-<pid>-<n>.tmp``, ``'job'`` the job process's
    ``job-<id><random>.new``."""
    if writer == "luxid":
        temp = os.path.join(queue_dir, f"job-{job_id}-{os.getpid()}-{secrets.randbelow(99)}.tmp")
    else:
        temp = os.path.join(queue_dir, f"job-{job_id}{secrets.token_hex(5)}.new")
    with open(temp, "wb") as fh:
        fh.write(data)
    final = os.path.join(queue_dir, f"job-{job_id}")
    os.rename(temp, final)
    return final


def hook_env(name: str, prefix: str = "snf-") -> dict[str, str]:
    """A recorded hook environment (``hooks/<name>.env``), prefix swapped like ``load_version``."""
    env = {}
    with open(os.path.join(HOOKS, f"{name}.env"), encoding="utf-8") as fh:
        for line in fh:
            key, _, value = line.rstrip("\n").partition("=")
            env[key] = value.replace("snf-", prefix)
    return env


def broker_available(url: str = BROKER_URL) -> None:
    """Skip (or fail in CI) when RabbitMQ is not running."""
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=2):
            return
    except OSError as exc:
        if databases.in_ci():
            pytest.fail(f"CI needs RabbitMQ at {url}: {exc}")
        pytest.skip(f"RabbitMQ not reachable: {exc}")


class BrokerTap:
    """A private queue bound to ``ganeti.<routing prefix>.event.#``: what eventd/hook sent."""

    def __init__(self, instance_prefix: str, url: str = BROKER_URL):
        routing = instance_prefix.split("-", 1)[0]
        self.connection = kombu.Connection(url)
        exchange = kombu.Exchange("ganeti", type="topic", durable=True)
        self.queue = kombu.Queue(f"test-tap-{routing}-{secrets.token_hex(3)}", exchange,
                                 routing_key=f"ganeti.{routing}.event.#", durable=False,
                                 auto_delete=False)
        self.queue(self.connection.default_channel).declare()
        self._simple = self.connection.SimpleQueue(self.queue)

    def collect(self, count: int, wait: float = 20.0) -> list[dict]:
        """Up to ``count`` message bodies, waiting at most ``wait`` seconds in total."""
        bodies, deadline = [], time.monotonic() + wait
        while len(bodies) < count and time.monotonic() < deadline:
            try:
                message = self._simple.get(block=True, timeout=0.2)
            except self._simple.Empty:
                continue
            bodies.append(message.payload)
            message.ack()
        return bodies

    def collect_until(self, done, wait: float = 20.0) -> list[dict]:
        """Bodies until ``done(bodies)`` is true (or ``wait`` seconds have passed)."""
        bodies, deadline = [], time.monotonic() + wait
        while not done(bodies) and time.monotonic() < deadline:
            bodies += self.collect(1, wait=max(0.0, deadline - time.monotonic()))
        return bodies

    def drain(self, quiet: float = 1.0) -> list[dict]:
        """Everything that arrives until the queue has been quiet for ``quiet`` seconds."""
        bodies = []
        while True:
            try:
                message = self._simple.get(block=True, timeout=quiet)
            except self._simple.Empty:
                return bodies
            bodies.append(message.payload)
            message.ack()

    def close(self) -> None:
        try:
            self._simple.close()
            self.queue(self.connection.default_channel).delete()
        finally:
            self.connection.release()


def settings_for(prefix: str, amqp_url: str = BROKER_URL):
    from synnefo.core.settings import parse_settings
    return parse_settings({"synnefo.amqp_url": amqp_url, "synnefo.instance_prefix": prefix},
                          environ={})


def side_publisher(prefix: str, amqp_url: str = BROKER_URL):
    """The Ganeti-side publisher, without declaring durable queues for a throw-away prefix."""
    from synnefo.daemons.amqp_publisher import make_amqp_publisher
    return make_amqp_publisher(settings_for(prefix, amqp_url), connect_timeout=2,
                               declare_topology=False)


def write_ini(path, *, prefix: str, amqp_url: str = BROKER_URL, **eventd_options) -> str:
    """A minimal .ini with ``[app:main]`` and ``[synnefo:eventd]`` as an operator writes it
    (``declare_topology`` off unless given: tests must not leave durable queues behind)."""
    eventd_options.setdefault("declare_topology", "false")
    lines = ["[app:main]", "synnefo.db_url = sqlite:///%(here)s/unused.sqlite",
             f"synnefo.amqp_url = {amqp_url}", f"synnefo.instance_prefix = {prefix}", "",
             "[synnefo:eventd]"]
    lines += [f"{key} = {value}" for key, value in eventd_options.items()]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return str(path)


def script(name: str) -> str:
    """A console script installed next to this Python (``snf-ganeti-eventd`` ...)."""
    import sys
    return os.path.join(os.path.dirname(sys.executable), name)


# -- fixtures shared by the eventd, spool and hook tests (import them by name) --

@pytest.fixture
def prefix():
    """A unique instance prefix, so that this test's queues are its own."""
    return unique_prefix()


@pytest.fixture
def tap(prefix):
    """A queue on the real broker that receives what is published for ``prefix``."""
    broker_available()
    tap = BrokerTap(prefix)
    yield tap
    tap.close()

