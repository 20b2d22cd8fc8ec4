"""Queues come from the settings: one per enabled message type, each with a dead-letter queue."""
import pytest

from synnefo.core.errors import ConfigurationError
from synnefo.core.settings import parse_settings
from synnefo.messaging import entities
from synnefo.messaging.topology import build_topology


def settings(**raw):
    return parse_settings({f"synnefo.{k}": v for k, v in raw.items()}, environ={})


def test_synnefo_types_get_compatible_queues_and_routing_keys():
    topology = build_topology(settings(instance_prefix="snf-"))
    assert topology.exchange == "ganeti"
    assert [(q.message_type, q.name, q.binding_keys, q.dead_letter) for q in topology.queues] == [
        ("ganeti-op-status", "snf-events-op", ("ganeti.snf.event.op",), "snf-events-op-dl"),
        ("ganeti-net-status", "snf-events-net", ("ganeti.snf.event.net",), "snf-events-net-dl"),
        ("ganeti-create-progress", "snf-events-progress", ("ganeti.snf.event.progress",),
         "snf-events-progress-dl")]


def test_only_enabled_types_get_queues():
    topology = build_topology(settings(instance_prefix="dev1-", message_handlers="ganeti-op-status"))
    assert [q.name for q in topology.queues] == ["dev1-events-op"]


def test_a_third_party_type_gets_its_queue_from_the_ini():
    topology = build_topology(settings(
        instance_prefix="snf-", message_handlers="ganeti-op-status example-ping",
        **{"queues.example-ping": "ganeti.{prefix}.event.ping ganeti.cluster.ping"}))
    ping = topology.by_name("example-ping")
    assert (ping.name, ping.binding_keys) == ("snf-events-ping", ("ganeti.snf.event.ping",
                                                                 "ganeti.cluster.ping"))
    assert topology.by_name("snf-events-ping-dl") is ping


def test_an_enabled_type_without_a_queue_stops_start_up_with_a_hint():
    with pytest.raises(ConfigurationError, match=r"synnefo.queues.example-ping = "):
        build_topology(settings(message_handlers="ganeti-op-status example-ping"))


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
def test_queues_carry_their_type_and_broker_side_dead_lettering(queue_type):
    topology = build_topology(settings(instance_prefix="snf-", queue_type=queue_type))
    spec = topology.queues[0]
    work = entities.work_queue(topology, spec)
    assert work.durable and not work.auto_delete
    assert work.queue_arguments == {"x-queue-type": queue_type, "x-dead-letter-exchange": "",
                                    "x-dead-letter-routing-key": "snf-events-op-dl"}
    assert [(b.exchange.name, b.exchange.type, b.routing_key) for b in work.bindings] == [
        ("ganeti", "topic", "ganeti.snf.event.op")]
    assert entities.dead_letter_queue(topology, spec).queue_arguments == {"x-queue-type": queue_type}
