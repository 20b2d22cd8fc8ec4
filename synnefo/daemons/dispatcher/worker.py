"""One dispatcher worker: a consumer loop over the broker connection, stopped gracefully."""
from __future__ import annotations

import logging
import signal
import threading

from synnefo.daemons.dispatcher.consumer import DispatcherConsumer
from synnefo.daemons.dispatcher.options import DispatcherOptions
from synnefo.messaging.connection import connect
from synnefo.messaging.topology import build_topology

log = logging.getLogger(__name__)


def make_consumer(core, options: DispatcherOptions) -> DispatcherConsumer:
    connection = connect(core.settings, connect_timeout=options.connect_timeout)
    return DispatcherConsumer(core, connection, build_topology(core.settings), options)


def run_consumer(consumer: DispatcherConsumer) -> None:
    """Consume until ``consumer.stop()``; the batch in hand is finished first."""
    try:
        try:
            # drain_events wakes every idle_flush seconds, so a partial batch is applied as
            # soon as the traffic pauses instead of waiting for the batch to fill.
            consumer.run(safety_interval=consumer.options.idle_flush)
        except SystemExit:
            pass
        _settle_leftovers(consumer)
    finally:
        consumer.connection.release()
    log.info("dispatcher worker stopped")


def _settle_leftovers(consumer: DispatcherConsumer) -> None:
    """Apply what was delivered but not yet applied; if the broker is gone, it redelivers."""
    if not consumer.pending:
        return
    errors = consumer.connection.connection_errors + consumer.connection.channel_errors
    try:
        consumer.flush()
    except errors as exc:
        log.warning("could not settle %d delivered messages (%s); the broker will redeliver them",
                    len(consumer.pending), exc)


def run_worker(core, options: DispatcherOptions) -> None:
    """The body of a worker process: SIGTERM/SIGINT stop it after the message in hand."""
    consumer = make_consumer(core, options)

    def on_signal(signum, _frame):
        log.info("signal %d: stopping after the message in hand", signum)
        consumer.stop()
        if not consumer.consuming and not consumer.busy:
            # Waiting for the broker to come back: nothing in hand, leave at once.
            raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    run_consumer(consumer)


class InProcessDispatcher:
    """A dispatcher consuming in a daemon thread of another process (the web server)."""

    def __init__(self, consumer: DispatcherConsumer):
        self.consumer = consumer
        self.thread = threading.Thread(target=self._run, name="snf-dispatcher", daemon=True)

    def _run(self) -> None:
        try:
            run_consumer(self.consumer)
        except Exception:  # noqa: BLE001 - a thread must say why it died
            log.exception("in-process dispatcher died")

    def stop(self, timeout: float = 10.0) -> None:
        self.consumer.stop()
        self.thread.join(timeout)


def start_in_process(core, options: DispatcherOptions | None = None) -> InProcessDispatcher:
    """Start consuming in a daemon thread; returns a handle whose ``stop()`` ends it."""
    from synnefo.daemons.dispatcher.options import parse_options
    options = options or parse_options({}, core.settings, workers=1)
    handle = InProcessDispatcher(make_consumer(core, options))
    handle.thread.start()
    log.info("dispatcher running inside this process")
    return handle
