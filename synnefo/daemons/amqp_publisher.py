"""The Ganeti side's publisher: like ``synnefo.messaging``'s, but every wait is bounded.

Persistent JSON messages with publisher confirms; on connecting it declares the deployment's
topology (``synnefo.messaging.entities.declare_all``) so a message published before the
dispatcher ever ran still lands in its queue. Unlike the web/dispatcher publisher it never
retries and never waits without a limit (connect, confirm): it runs inside Ganeti's hook
budget or eventd's loop, and the caller (``SpoolingPublisher``) decides what a failure means.
"""
from __future__ import annotations

import json
import logging
from typing import Callable

import kombu

from synnefo.core.contracts.bus import Message, Publisher
from synnefo.core.settings import Settings

log = logging.getLogger(__name__)


class AmqpPublisher(Publisher):
    """Publishes ``Message``s over one lazily opened kombu connection."""

    def __init__(self, connect: Callable[[], kombu.Connection], *,
                 declare: Callable[[object], None] = lambda channel: None,
                 confirm_timeout: float = 5.0):
        self._connect = connect
        self._declare = declare
        self._confirm_timeout = confirm_timeout
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def publish(self, message: Message) -> None:
        producer = self._ensure_producer()
        try:
            producer.publish(json.dumps(message.body).encode("utf-8"),
                             exchange=message.exchange, routing_key=message.routing_key,
                             headers=dict(message.headers), content_type="application/json",
                             content_encoding="utf-8", delivery_mode=2, retry=False,
                             timeout=self._confirm_timeout,
                             confirm_timeout=self._confirm_timeout)
        except BaseException:
            self.close()  # a half-dead connection must not be reused
            raise

    def _ensure_producer(self) -> kombu.Producer:
        if self._producer is None:
            connection = self._connect()
            try:
                # One attempt per URL of synnefo.amqp_url, at once (a dead node costs the
                # connect timeout); the spool, not kombu, decides when to try again.
                connection.ensure_connection(max_retries=max(len(connection.alt or ()) - 1, 0),
                                             interval_start=0, interval_step=0)
                channel = connection.channel()
                self._declare(channel)
            except BaseException:
                connection.release()
                raise
            self._connection = connection
            self._producer = kombu.Producer(channel)
            log.info("connected to broker %s", connection.as_uri())
        return self._producer

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail too
                log.debug("error while closing the broker connection", exc_info=True)


def make_amqp_publisher(settings: Settings, *, connect_timeout: float = 3.0,
                        confirm_timeout: float = 5.0,
                        declare_topology: bool = True) -> AmqpPublisher:
    """The publisher eventd and the hook use, for the broker and topology of ``settings``."""
    return AmqpPublisher(lambda: _connection(settings, connect_timeout),
                         declare=_topology_declarer(settings) if declare_topology else
                         _exchange_declarer(), confirm_timeout=confirm_timeout)


def _connection(settings: Settings, connect_timeout: float) -> kombu.Connection:
    from synnefo.messaging.connection import connect, is_embedded
    if is_embedded(settings.amqp_url):
        return connect(settings)
    return kombu.Connection(settings.amqp_url, connect_timeout=connect_timeout,
                            transport_options={"confirm_publish": True})


def _topology_declarer(settings: Settings) -> Callable[[object], None]:
    from synnefo.messaging import entities
    from synnefo.messaging.topology import build_topology
    topology = build_topology(settings)
    return lambda channel: entities.declare_all(channel, topology)


def _exchange_declarer() -> Callable[[object], None]:
    from synnefo.core import messages
    exchange = kombu.Exchange(messages.EXCHANGE, type="topic", durable=True, auto_delete=False)
    return lambda channel: exchange(channel).declare()
