"""``core.publisher``: persistent JSON on the ganeti exchange, routed to the right queue."""
from __future__ import annotations

import datetime as dt
import json

import amqp
import kombu
import pytest

from synnefo.core import messages
from synnefo.core.contracts.bus import Message
from synnefo.core.app import build_core
from synnefo.messaging import entities
from synnefo.messaging.connection import connect
from synnefo.messaging.topology import build_topology
from synnefo.testing import bus, databases
from synnefo.testing.bus_fixtures import *  # noqa: F401,F403 - fixtures

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def get(settings, queue_name):
    with connect(settings) as connection:
        message = kombu.Queue(queue_name)(connection.channel()).get(no_ack=True)
        return message and (json.loads(message.body), message.properties.get("delivery_mode"))


def test_each_type_reaches_its_own_queue_as_persistent_json(bus_env, bus_core):
    prefix, p = bus_env.prefix, bus_env.prefix.split("-")[0]
    op = messages.op_status(f"{prefix}7", "OP_INSTANCE_STARTUP", 3, "running", T0, logmsg="go")
    net = messages.net_status(f"{prefix}7", [{"index": 0, "mac": "aa:00:00:00:00:01"}], T0)
    for message in (op, net):
        bus_core.publisher.publish(message)
    assert get(bus_env.settings, f"{p}-events-op") == (op.body, 2)
    assert get(bus_env.settings, f"{p}-events-net") == (net.body, 2)
    assert get(bus_env.settings, f"{p}-events-progress") is None
    assert op.body["event_time"] == [int(T0.timestamp()), 0]


def test_quorum_queues_are_declared_as_quorum_queues_on_rabbitmq(tmp_path):
    try:
        bus.check_rabbitmq()
    except bus.BrokerUnavailable as exc:
        if databases.in_ci():
            pytest.fail(f"CI needs it: {exc}")
        pytest.skip(str(exc))
    env = bus.make_env("rabbitmq", tmp_path, bus.env_settings(
        "rabbitmq", tmp_path, f"sqlite:///{tmp_path}/db.sqlite", queue_type="quorum"))
    core = build_core(env.settings)
    try:
        core.publisher.publish(messages.op_status(f"{env.prefix}1", "OP_INSTANCE_STARTUP", 1,
                                                  "running", T0))
        topology = build_topology(env.settings.replace(queue_type="classic"))
        with connect(env.settings) as connection:
            classic = entities.work_queue(topology, topology.queues[0])
            with pytest.raises(amqp.exceptions.PreconditionFailed, match="x-queue-type"):
                classic(connection.channel()).declare()
    finally:
        core.close()
        bus.delete_topology(env.settings)


def test_a_publish_the_broker_refuses_raises_instead_of_vanishing(bus_env, bus_core):
    """Publisher confirms: without them RabbitMQ's refusal would arrive after publish returned."""
    if bus_env.kind != "rabbitmq":
        pytest.skip("publisher confirms are a RabbitMQ feature")
    message = messages.op_status(f"{bus_env.prefix}7", "OP_INSTANCE_STARTUP", 3, "running", T0)
    bus_core.publisher.publish(message)
    refused = Message(message.routing_key, message.body,
                      exchange=f"{bus_env.prefix}no-such-exchange")
    with pytest.raises(amqp.exceptions.NotFound, match="no-such-exchange"):
        bus_core.publisher.publish(refused)
