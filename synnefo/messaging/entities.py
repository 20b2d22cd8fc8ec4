"""kombu entities (exchange, queues, dead-letter queues) for a Topology."""
from __future__ import annotations

import kombu

from synnefo.messaging.topology import QueueSpec, Topology


def exchange(topology: Topology) -> kombu.Exchange:
    return kombu.Exchange(topology.exchange, type="topic", durable=True, auto_delete=False)


def queue_arguments(topology: Topology, spec: QueueSpec | None = None) -> dict:
    """Queue type everywhere; broker-side dead-lettering (a safety net) on work queues.

    The dispatcher dead-letters explicitly (publishes to ``<queue>-dl`` with the reason in a
    header, then acks) so the reason is kept and the embedded broker behaves the same; the
    ``x-dead-letter-*`` arguments catch what RabbitMQ itself rejects (quorum delivery limits).
    """
    args = {"x-queue-type": topology.queue_type}
    if spec is not None:
        args.update({"x-dead-letter-exchange": "", "x-dead-letter-routing-key": spec.dead_letter})
    return args


def work_queue(topology: Topology, spec: QueueSpec) -> kombu.Queue:
    ex = exchange(topology)
    return kombu.Queue(spec.name, durable=True, auto_delete=False,
                       bindings=[kombu.binding(ex, routing_key=key) for key in spec.binding_keys],
                       queue_arguments=queue_arguments(topology, spec))


def dead_letter_queue(topology: Topology, spec: QueueSpec) -> kombu.Queue:
    return kombu.Queue(spec.dead_letter, exchange=kombu.Exchange(""), routing_key=spec.dead_letter,
                       durable=True, auto_delete=False, queue_arguments=queue_arguments(topology))


def declare_all(channel, topology: Topology) -> None:
    """Declare the exchange, every work queue with its bindings, and every dead-letter queue."""
    exchange(topology)(channel).declare()
    for spec in topology.queues:
        work_queue(topology, spec)(channel).declare()
        dead_letter_queue(topology, spec)(channel).declare()
