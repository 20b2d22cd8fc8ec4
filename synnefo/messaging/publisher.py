"""The bus Publisher behind ``core.publisher``: persistent JSON messages, confirmed on RabbitMQ."""
from __future__ import annotations

import json
import logging
import threading

import kombu

from synnefo.core.contracts.bus import Message, Publisher
from synnefo.messaging import entities
from synnefo.messaging.connection import connect
from synnefo.messaging.topology import build_topology

log = logging.getLogger(__name__)


class KombuPublisher(Publisher):
    """Declares the whole topology on first use, so nothing is published into the void."""

    def __init__(self, settings, max_retries: int = 3):
        self.settings = settings
        self.topology = build_topology(settings)
        self.max_retries = max_retries
        self._lock = threading.Lock()
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def publish(self, message: Message) -> None:
        body = json.dumps(message.body).encode("utf-8")
        with self._lock:
            producer = self._ensure_producer()
            publish = self._connection.ensure(producer, producer.publish,
                                              max_retries=self.max_retries)
            publish(body, exchange=message.exchange, routing_key=message.routing_key,
                    headers=dict(message.headers), content_type="application/json",
                    content_encoding="utf-8", delivery_mode=2)
        log.debug("published %s to %s", message.body.get("type"), message.routing_key)

    def _ensure_producer(self) -> kombu.Producer:
        if self._producer is None:
            self._connection = connect(self.settings)
            self._connection.ensure_connection(max_retries=self.max_retries)
            channel = self._connection.channel()
            entities.declare_all(channel, self.topology)
            self._producer = kombu.Producer(channel)
        return self._producer

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.release()
            self._connection = self._producer = None


def make_publisher(core) -> KombuPublisher:
    """The factory ``Core.publisher`` calls (entry point ``kombu`` of ``synnefo.publishers``)."""
    return KombuPublisher(core.settings)
