"""Moving raw messages between queues: requeue with a retry count, dead-letter, bring back.

Each move publishes the copy first (confirmed on RabbitMQ) and acks the original afterwards, so
a crash in between duplicates a message rather than losing it; duplicates are harmless because
handlers ignore notifications that are not newer than what they already applied.
"""
from __future__ import annotations

import kombu

from synnefo.core.timeutil import utcnow
from synnefo.messaging import headers as hdr


def republish(producer: kombu.Producer, message, queue_name: str, headers: dict) -> None:
    """Publish ``message``'s body unchanged, straight to ``queue_name`` (default exchange)."""
    producer.publish(message.body, exchange="", routing_key=queue_name, headers=headers,
                     content_type=message.content_type or "application/json",
                     content_encoding=message.content_encoding or "utf-8",
                     delivery_mode=2, retry=False)


def requeue(producer, message, queue_name: str) -> None:
    republish(producer, message, queue_name, hdr.for_retry(message.headers, queue_name))
    message.ack()


def dead_letter(producer, message, queue_name: str, reason: str) -> None:
    headers = hdr.for_dead_letter(message.headers, queue_name, reason, utcnow().isoformat())
    republish(producer, message, queue_name + "-dl", headers)
    message.ack()


def bring_back(producer, message, default_queue: str) -> str:
    """Send a dead-lettered message back to the queue it came from; returns that queue."""
    origin = (message.headers or {}).get(hdr.ORIGIN_QUEUE) or default_queue
    republish(producer, message, origin, hdr.cleaned(message.headers))
    message.ack()
    return origin
