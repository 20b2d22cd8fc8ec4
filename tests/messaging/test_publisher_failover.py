"""``core.publisher`` through a broker that goes away (a TCP proxy in front of the real RabbitMQ
is cut, so the shared broker is never restarted): retries ride out a short cut, a long one
spools, the spool is replayed in order, nothing is lost, and the logs name the live URL."""
from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import urlparse

import kombu
import pytest

from synnefo.core import messages
from synnefo.core.app import build_core
from synnefo.core.contracts.bus import Message
from synnefo.core.timeutil import utcnow
from synnefo.messaging.connection import connect
from synnefo.testing import bus
from synnefo.testing.bus_fixtures import rabbitmq_proxy  # noqa: F401 - fixture used below
from synnefo.testing.tcpproxy import TcpProxy

DIRECT = bus.RABBITMQ_URL


@pytest.fixture
def proxy(rabbitmq_proxy) -> TcpProxy:
    return rabbitmq_proxy


def through(proxy: TcpProxy) -> str:
    return bus.proxied_url(proxy.port)


@pytest.fixture
def make_core(tmp_path):
    made = []

    def make(amqp_url: str, **publisher_options):
        raw = bus.env_settings("rabbitmq", tmp_path, f"sqlite:///{tmp_path}/db.sqlite",
                               amqp_url=amqp_url,
                               **{f"publisher.{k}": str(v) for k, v in publisher_options.items()})
        env = bus.make_env("rabbitmq", tmp_path, raw)
        core = build_core(env.settings)
        made.append((core, env))
        return core, env

    yield make
    for core, env in made:
        core.close()
        bus.delete_topology(env.settings.replace(amqp_url=DIRECT))


def op(env, n: int):
    return messages.op_status(f"{env.prefix}{n}", "OP_INSTANCE_STARTUP", n, "success", utcnow())


def drain_job_ids(env) -> list[int]:
    """Every message in the op queue, in queue order (read directly, not through the proxy)."""
    found = []
    with connect(env.settings.replace(amqp_url=DIRECT)) as connection:
        queue = kombu.Queue(f"{env.prefix.split('-')[0]}-events-op")(connection.channel())
        while (message := queue.get(no_ack=True)) is not None:
            found.append(json.loads(message.body)["jobId"])
    return found


def test_a_short_cut_is_ridden_out_by_retries_and_nothing_is_lost(proxy, make_core):
    core, env = make_core(through(proxy), retry_for=60)
    for n in range(1, 4):
        core.publisher.publish(op(env, n))
    proxy.cut()
    during = threading.Thread(target=lambda: [core.publisher.publish(op(env, n))
                                              for n in range(4, 7)])
    during.start()
    time.sleep(1.0)  # a leader election lasts seconds: the publish above is retrying meanwhile
    proxy.restore()
    during.join(60)
    assert not during.is_alive()
    assert core.publisher.pending == 0          # retried, not spooled
    assert drain_job_ids(env) == [1, 2, 3, 4, 5, 6]


def test_a_long_cut_spools_and_the_spool_is_replayed_in_order(proxy, make_core, tmp_path):
    core, env = make_core(through(proxy), retry_for=0.3, replay_interval=0.2,
                          spool="spool/publisher.sqlite")
    core.publisher.publish(op(env, 1))
    proxy.cut()
    for n in range(2, 6):
        core.publisher.publish(op(env, n))      # returns: the message waits in the spool
    assert core.publisher.pending == 4
    assert (tmp_path / "spool" / "publisher.sqlite").exists()
    proxy.restore()
    bus.wait_for(lambda: core.publisher.pending == 0, timeout=60, what="the spool to drain")
    assert drain_job_ids(env) == [1, 2, 3, 4, 5]


def test_with_several_urls_the_publisher_moves_on_and_names_the_live_one(proxy, make_core,
                                                                          caplog):
    caplog.set_level(logging.INFO, logger="synnefo.messaging")
    first = through(proxy)
    core, env = make_core(f"{first};{DIRECT}", retry_for=30)
    core.publisher.publish(op(env, 1))
    proxy.cut()                                 # the first node is gone for good
    core.publisher.publish(op(env, 2))
    connected = [r.getMessage() for r in caplog.records if "publishing to broker" in r.getMessage()]
    assert f":{proxy.port}/" in connected[0]
    assert f":{urlparse(DIRECT).port or 5672}/" in connected[-1]
    assert drain_job_ids(env) == [1, 2]


def test_a_message_the_broker_refuses_is_raised_not_spooled(proxy, make_core):
    core, env = make_core(through(proxy), retry_for=30)
    refused = Message(op(env, 1).routing_key, op(env, 1).body,
                               exchange=f"{env.prefix}no-such-exchange")
    with pytest.raises(Exception, match="no-such-exchange"):
        core.publisher.publish(refused)
    assert core.publisher.pending == 0
