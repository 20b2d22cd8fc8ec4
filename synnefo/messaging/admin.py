"""Operator views of the queues: depths, dead letters with their reasons, moving them back."""
from __future__ import annotations

import contextlib

import kombu

from synnefo.messaging import entities, transfer
from synnefo.messaging import headers as hdr
from synnefo.messaging.connection import connect
from synnefo.messaging.topology import Topology, build_topology

BODY_PREVIEW = 200


@contextlib.contextmanager
def open_bus(settings):
    """``(channel, topology)`` with the topology declared; the connection closes afterwards."""
    topology = build_topology(settings)
    with connect(settings) as connection:
        channel = connection.channel()
        entities.declare_all(channel, topology)
        yield connection, channel, topology


def message_count(channel, name: str) -> int:
    return channel.queue_declare(queue=name, passive=True).message_count


def depths(channel, topology: Topology) -> list[dict]:
    return [{"type": s.message_type, "queue": s.name, "ready": message_count(channel, s.name),
             "dead_letter_queue": s.dead_letter, "dead_lettered": message_count(channel, s.dead_letter)}
            for s in topology.queues]


def peek_dead_letters(connection: kombu.Connection, topology: Topology, limit: int) -> list[dict]:
    """Read (without removing) up to ``limit`` dead letters per queue, with their reasons."""
    found = []
    channel = connection.channel()
    try:
        for spec in topology.queues:
            queue = entities.dead_letter_queue(topology, spec)(channel)
            for _ in range(limit):
                message = queue.get(no_ack=False)
                if message is None:
                    break
                found.append(_describe(spec.dead_letter, message))
    finally:
        channel.close()  # unacked messages go back to their queues
    return found


def _describe(queue: str, message) -> dict:
    headers = message.headers or {}
    body = message.body.decode("utf-8", "replace") if isinstance(message.body, bytes) else str(message.body)
    return {"queue": queue, "reason": headers.get(hdr.REASON, "(none: rejected by the broker)"),
            "failed_at": headers.get(hdr.FAILED_AT, ""), "origin": headers.get(hdr.ORIGIN_QUEUE, ""),
            "body": body[:BODY_PREVIEW]}


def retry_dead_letters(channel, topology: Topology, queue: str | None = None,
                       limit: int | None = None) -> dict[str, int]:
    """Move dead letters back to their work queues -> {dead-letter queue: moved}.

    At most the messages present when it starts are moved, so one that fails again and comes
    straight back is not looped over.
    """
    specs = [topology.by_name(queue)] if queue else list(topology.queues)
    producer = kombu.Producer(channel)
    moved = {}
    for spec in specs:
        todo = message_count(channel, spec.dead_letter)
        if limit is not None:
            todo = min(todo, limit)
        moved[spec.dead_letter] = _move(entities.dead_letter_queue(topology, spec)(channel),
                                        producer, spec, todo)
    return moved


def _move(queue: kombu.Queue, producer, spec, todo: int) -> int:
    done = 0
    while done < todo:
        message = queue.get(no_ack=False)
        if message is None:
            break
        transfer.bring_back(producer, message, spec.name)
        done += 1
    return done
