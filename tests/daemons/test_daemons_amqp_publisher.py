"""The Ganeti-side publisher declares the deployment's queues, so nothing is lost before the
dispatcher's first start (real RabbitMQ)."""
import json

import kombu

from ganeti_testlib import BROKER_URL, broker_available, settings_for, unique_prefix
from synnefo.core import messages
from synnefo.core.timeutil import utcnow
from synnefo.daemons.amqp_publisher import make_amqp_publisher
from synnefo.messaging.topology import build_topology


def test_a_message_published_before_any_dispatcher_waits_in_its_queue():
    broker_available()
    prefix = unique_prefix()
    settings = settings_for(prefix)
    publisher = make_amqp_publisher(settings, connect_timeout=2)
    topology = build_topology(settings)
    try:
        publisher.publish(messages.op_status(f"{prefix}7", "OP_INSTANCE_STARTUP", 70, "success",
                                             utcnow()))
        publisher.close()
        with kombu.Connection(BROKER_URL) as connection:  # confirmed, so already queued
            raw = connection.default_channel.basic_get(
                topology.by_name("ganeti-op-status").name, no_ack=True)
            body = json.loads(raw.body)
    finally:
        with kombu.Connection(BROKER_URL) as connection:
            channel = connection.default_channel
            for spec in topology.queues:
                channel.queue_delete(spec.name)
                channel.queue_delete(spec.dead_letter)
    assert (body["instance"], body["jobId"], body["status"]) == (f"{prefix}7", 70, "success")
