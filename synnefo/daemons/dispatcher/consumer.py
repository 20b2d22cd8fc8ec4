"""The thin kombu adapter: deliveries in, ``dispatch_batch`` outcomes out as acks and moves.

Nothing is acked before its transaction committed. A lost connection drops the uncommitted
batch (the broker redelivers it) and kombu's ``ConsumerMixin`` reconnects; a batch committed but
not yet acked is redelivered too, and its handlers then find it stale. Reconnecting tries the
next URL of ``synnefo.amqp_url`` at once and pauses only after a whole round of URLs failed
(0, 0.5, 1 ... ``reconnect_max`` seconds), so a dead node costs about a second, not kombu's
default 2, 4, 6 ... 30 s; the logs name the URL actually tried or in use.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import time

import kombu
from kombu.mixins import ConsumerMixin
from kombu.transport import virtual

from synnefo.daemons.dispatcher.dispatch import Action, dispatch_batch
from synnefo.daemons.dispatcher.options import DispatcherOptions
from synnefo.messaging import entities, transfer
from synnefo.messaging import headers as hdr
from synnefo.messaging.topology import QueueSpec, Topology

log = logging.getLogger(__name__)


def _acks_whole_batch(settled) -> bool:
    """Whether one ``multiple`` ack of the batch's last delivery settles the whole batch.

    Only when every outcome is ACK, and only on AMQP: there it acks every earlier delivery of
    the channel, and those are all in this batch or settled before (a batch is the oldest
    deliveries, in delivery order). kombu's virtual transports (the embedded broker) ignore
    ``multiple`` and would ack the last message only."""
    return (all(outcome.action == Action.ACK for _, outcome in settled)
            and not isinstance(settled[-1][0][1].channel, virtual.Channel))


class DispatcherConsumer(ConsumerMixin):
    def __init__(self, core, connection: kombu.Connection, topology: Topology,
                 options: DispatcherOptions):
        self.core = core
        self.connection = connection
        self.topology = topology
        self.options = options
        self.pending: list[tuple[QueueSpec, kombu.Message]] = []
        self.busy = False
        self.consuming = False
        self._delivered = False
        self._producer: kombu.Producer | None = None
        self._live: kombu.Connection | None = None   # the clone kombu actually connected

    @contextlib.contextmanager
    def establish_connection(self):
        with self.create_connection() as conn:
            self._live = conn
            conn.ensure_connection(self.on_connection_error, self.connect_max_retries,
                                   interval_start=0, interval_step=0.5,
                                   interval_max=self.options.reconnect_max)
            yield conn

    # -- kombu ConsumerMixin hooks --
    def get_consumers(self, Consumer, channel):
        # On every (re)connection: a node that lost the definitions gets them back first.
        entities.declare_all(channel, self.topology)
        self._producer = kombu.Producer(channel)
        self.pending = []
        return [Consumer(queues=[entities.work_queue(self.topology, spec)],
                         on_message=functools.partial(self.on_message, spec),
                         prefetch_count=self.options.prefetch)
                for spec in self.topology.queues]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        self.consuming = True
        log.info("consuming from %s on %s", ", ".join(q.name for q in self.topology.queues),
                 connection.as_uri())

    def on_consume_end(self, connection, channel):
        # Stopping: the consumers are cancelled but the channel is still open, so whatever was
        # delivered meanwhile is applied and acked rather than handed back.
        self.flush()
        self.consuming = False

    def on_connection_error(self, exc, interval):
        # Called before kombu switches to the next URL: ``_live`` names the one that failed.
        self.consuming = False
        log.error("broker %s unreachable (%s); retrying in %.1fs", self._uri(), exc, interval)

    def on_connection_revived(self):
        log.info("connected to broker %s", self._uri())

    def _uri(self) -> str:
        return (self._live or self.connection).as_uri()

    def on_iteration(self):
        if self.pending and not self._delivered:
            self.flush()
        self._delivered = False

    # -- our part --
    def on_message(self, spec: QueueSpec, message: kombu.Message) -> None:
        self.pending.append((spec, message))
        self._delivered = True
        # ``busy``: a commit in ``flush`` may drain more deliveries; they join the next batch.
        if len(self.pending) >= self.options.batch_size and not self.busy:
            self.flush()

    def flush(self) -> None:
        """Apply the pending messages in one transaction, then settle each with the broker."""
        while self.pending and not self.busy:
            batch, self.pending = self.pending[:self.options.batch_size], self.pending[self.options.batch_size:]
            self.busy = True
            try:
                outcomes = dispatch_batch(self.core, [(m.body, m.headers) for _, m in batch],
                                          self.options.max_retries)
                self._settle(list(zip(batch, outcomes)))
            finally:
                self.busy = False

    def _settle(self, settled) -> None:
        if _acks_whole_batch(settled):
            # One frame for the batch instead of one per message (the broker's CPU and ours).
            settled[-1][0][1].ack(multiple=True)
            return
        retry = []
        for (spec, message), outcome in settled:
            if outcome.action == Action.ACK:
                message.ack()
            elif outcome.action == Action.DEAD_LETTER:
                log.error("dead-lettering a message from %s to %s: %s", spec.name,
                          spec.dead_letter, outcome.reason)
                transfer.dead_letter(self._producer, message, spec.name, outcome.reason)
            else:
                retry.append((spec, message))
        if retry:
            self._back_off(max(hdr.retries(m.headers) for _, m in retry))
            for spec, message in retry:
                transfer.requeue(self._producer, message, spec.name)

    def _back_off(self, retries: int) -> None:
        delay = min(self.options.retry_delay * 2 ** retries, self.options.retry_delay_max)
        log.info("backing off %.1fs before requeueing", delay)
        deadline = time.monotonic() + delay
        while not self.should_stop and time.monotonic() < deadline:
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def stop(self) -> None:
        self.should_stop = True
