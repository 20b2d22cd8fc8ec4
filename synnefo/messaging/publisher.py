"""The bus Publisher behind ``core.publisher``: persistent JSON messages, confirmed on RabbitMQ.

A broker fail-over (a quorum-queue leader election nacks publishes for a few seconds, a node
loss drops the connection) is ridden out with backed-off retries for ``retry_for`` seconds,
moving to the next URL of ``synnefo.amqp_url`` (``amqp://a;amqp://b``) after each failure.
What still cannot be published is spooled on disk and replayed in order by a background
thread, never dropped. Options: ``synnefo.publisher.*`` (see ``PublisherOptions``).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable

import amqp.exceptions
import colander
import kombu
import kombu.exceptions

from synnefo.core.contracts.bus import Message, Publisher
from synnefo.core.settings import Settings, parse_section
from synnefo.messaging import entities
from synnefo.messaging.connection import connect, one_pass
from synnefo.messaging.spool import Spool, SpoolingPublisher
from synnefo.messaging.topology import build_topology

log = logging.getLogger(__name__)

SECTION = "publisher"
FIRST_DELAY = 0.1  # then doubled up to max_delay: a leader election lasts seconds


@dataclass(frozen=True)
class PublisherOptions:
    retry_for: float        # seconds of retries (with back-off) before a message is spooled
    max_delay: float        # the longest pause between two attempts
    connect_timeout: float  # per broker URL; a dead node costs at most this
    confirm_timeout: float  # how long one publish waits for the broker's confirm
    spool: str              # the spool file (relative paths: to the .ini's directory)
    replay_interval: float  # how often the spool is replayed while it holds messages


class _Schema(colander.MappingSchema):
    positive = colander.Range(min=0.01)
    retry_for = colander.SchemaNode(colander.Float(), missing=15.0, validator=colander.Range(min=0))
    max_delay = colander.SchemaNode(colander.Float(), missing=2.0, validator=positive)
    connect_timeout = colander.SchemaNode(colander.Float(), missing=2.0, validator=positive)
    confirm_timeout = colander.SchemaNode(colander.Float(), missing=5.0, validator=positive)
    spool = colander.SchemaNode(colander.String(), missing="publisher-spool.sqlite")
    replay_interval = colander.SchemaNode(colander.Float(), missing=5.0, validator=positive)


def publisher_options(settings: Settings) -> PublisherOptions:
    """``synnefo.publisher.*`` of the ``.ini`` (each overridable from the environment)."""
    values = parse_section(_Schema(), settings, SECTION)
    values["spool"] = os.path.join(settings.here, values["spool"])
    return PublisherOptions(**values)


class KombuPublisher(Publisher):
    """Declares the whole topology on first use, so nothing is published into the void.

    ``publish`` returns once the broker confirmed the message, or raises after ``retry_for``
    seconds of failed attempts (the ``SpoolingPublisher`` around it then spools).
    """

    def __init__(self, settings: Settings, options: PublisherOptions, *,
                 clock: Callable[[], float] = time.monotonic, sleep=time.sleep):
        self.settings = settings
        self.options = options
        self.topology = build_topology(settings)
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None
        self._outage = False

    def publish(self, message: Message) -> None:
        body = json.dumps(message.body).encode("utf-8")
        with self._lock:
            self._with_retries(lambda: self._ensure_producer().publish(
                body, exchange=message.exchange, routing_key=message.routing_key,
                headers=dict(message.headers), content_type="application/json",
                content_encoding="utf-8", delivery_mode=2, retry=False,
                timeout=self.options.confirm_timeout,
                confirm_timeout=self.options.confirm_timeout))
        log.debug("published %s to %s", message.body.get("type"), message.routing_key)

    def _with_retries(self, attempt: Callable[[], None]) -> None:
        # Once a whole retry window failed, the next attempts (the spool's replays) make one
        # pass over the URLs only, until one succeeds: an outage must not stall every caller.
        window = 0.0 if self._outage else self.options.retry_for
        deadline, delay = self._clock() + window, FIRST_DELAY
        while True:
            try:
                attempt()
                self._outage = False
                return
            except Exception as exc:
                if not self.is_transient(exc):
                    raise  # the broker refused this message (no such exchange...): say so now
                uri = self._forget_connection()
                if self._clock() + delay > deadline:
                    self._outage = True
                    raise
                log.warning("publishing to %s failed (%s: %s); retrying in %.1fs", uri,
                            type(exc).__name__, exc, delay)
                self._sleep(delay)
                delay = min(delay * 2, self.options.max_delay)

    def is_transient(self, exc: BaseException) -> bool:
        """Broker trouble that passes (connection lost, node down, a nack while a quorum queue
        elects its leader), as opposed to a refusal of the message itself."""
        connection_errors = self._connection.connection_errors if self._connection else ()
        return isinstance(exc, connection_errors + (
            amqp.exceptions.MessageNacked, amqp.exceptions.RecoverableChannelError,
            kombu.exceptions.OperationalError, OSError))

    def _ensure_producer(self) -> kombu.Producer:
        if self._producer is None:
            if self._connection is None:
                self._connection = connect(self.settings,
                                           connect_timeout=self.options.connect_timeout)
            # One pass over the URLs (kombu moves to the next one on each failure).
            self._connection.ensure_connection(max_retries=one_pass(self._connection),
                                               interval_start=0, interval_step=0)
            channel = self._connection.channel()
            entities.declare_all(channel, self.topology)
            self._producer = kombu.Producer(channel)
            log.info("publishing to broker %s", self._connection.as_uri())
        return self._producer

    def _forget_connection(self) -> str:
        """Drop a connection that failed; the next attempt starts at the next URL."""
        connection, self._producer = self._connection, None
        if connection is None:
            return self.settings.amqp_url
        uri = connection.as_uri()
        try:
            connection.collect()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close too
            log.debug("error while dropping the broker connection", exc_info=True)
        connection.maybe_switch_next()
        return uri

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.release()
            self._connection = self._producer = None


class SpoolReplayer:
    """A daemon thread that replays a ``SpoolingPublisher``'s spool every ``interval`` seconds
    (the web process may publish nothing more for a long time after an outage)."""

    def __init__(self, publisher: SpoolingPublisher, interval: float):
        self.publisher = publisher
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="snf-spool-replay", daemon=True)

    def start(self) -> "SpoolReplayer":
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.publisher.flush()
            except Exception:  # noqa: BLE001 - a replay thread must keep going, and say why
                log.exception("replaying the spool %s failed", self.publisher.spool.path)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self.interval + 1)


class ResilientPublisher(SpoolingPublisher):
    """The process's publisher: retries in ``KombuPublisher``, then the spool, replayed in the
    background."""

    def __init__(self, settings: Settings, options: PublisherOptions):
        inner = KombuPublisher(settings, options)
        super().__init__(inner, Spool(options.spool, lazy=True),
                         retry_interval=options.replay_interval, is_transient=inner.is_transient)
        self.replayer = SpoolReplayer(self, options.replay_interval).start()

    def close(self) -> None:
        self.replayer.stop()
        super().close()


def make_publisher(core) -> ResilientPublisher:
    """The factory ``Core.publisher`` calls (entry point ``kombu`` of ``synnefo.publishers``)."""
    return ResilientPublisher(core.settings, publisher_options(core.settings))
