"""The embedded broker: a kombu virtual transport that keeps queues in one SQL database file.

Why not kombu's own ``sqlalchemy`` or ``filesystem`` transports: both hand a message to a
consumer by hiding or deleting it, and put it back only when the consumer closes its channel
cleanly. A worker killed with SIGKILL loses its unacknowledged messages for good. Here a
delivered message stays in its table, *leased* by the consuming process (pid and start time);
an ack deletes it, and any consumer reclaims the leases of processes that no longer exist.
Exchanges and bindings are stored too, so a publisher in one process routes to queues that a
dispatcher in another process declared.

URL: ``sqla+<SQLAlchemy URL>`` (``sqla+sqlite:///synnefo-broker.sqlite``); several processes on
one machine share the file (SQLite in WAL mode, ``BEGIN IMMEDIATE``).
"""
from __future__ import annotations

import json
import os
import threading
import time
from queue import Empty

import psutil
import sqlalchemy as sa
from kombu.transport import virtual

from synnefo.core.db.engine import make_engine

metadata = sa.MetaData()
queues_table = sa.Table(
    "broker_queues", metadata, sa.Column("name", sa.String(255), primary_key=True))
exchanges_table = sa.Table(
    "broker_exchanges", metadata, sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("type", sa.String(16), nullable=False))
bindings_table = sa.Table(
    "broker_bindings", metadata,
    sa.Column("exchange", sa.String(255), primary_key=True),
    sa.Column("routing_key", sa.String(255), primary_key=True),
    sa.Column("queue", sa.String(255), primary_key=True))
messages_table = sa.Table(
    "broker_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("queue", sa.String(255), nullable=False, index=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("owner", sa.String(64), index=True))

RECLAIM_EVERY = 2.0  # seconds between scans for leases of dead processes
_engines: dict[tuple[int, str], sa.Engine] = {}
_engines_lock = threading.Lock()


def process_token(pid: int | None = None) -> str:
    """Identifies a process across pid reuse: ``<pid>:<start time>``."""
    proc = psutil.Process(pid or os.getpid())
    return f"{proc.pid}:{proc.create_time():.3f}"


def is_alive(token: str) -> bool:
    pid = int(token.split(":", 1)[0])
    try:
        return process_token(pid) == token
    except psutil.Error:
        return False


def engine_for(url: str) -> sa.Engine:
    """One engine per process and URL (never shared across fork); creates the tables."""
    key = (os.getpid(), url)
    with _engines_lock:
        if key not in _engines:
            engine = make_engine(url)
            metadata.create_all(engine)
            _engines[key] = engine
        return _engines[key]


class QoS(virtual.QoS):
    """Acks delete the leased row; rejects delete it or release the lease."""

    def ack(self, delivery_tag):
        self.channel.delete_row(delivery_tag)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        if not requeue:
            self.channel.delete_row(delivery_tag)
        super().reject(delivery_tag, requeue=requeue)


class Channel(virtual.Channel):
    QoS = QoS
    do_restore = True

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self.engine = engine_for(connection.client.hostname)
        self.owner = process_token()
        self._last_reclaim = 0.0

    # -- declarations (persistent, so other processes see them) --
    def exchange_declare(self, exchange=None, type="direct", **kwargs):
        super().exchange_declare(exchange, type, **kwargs)
        if exchange and not kwargs.get("passive"):
            self._insert_ignore(exchanges_table, name=exchange, type=type or "direct")

    def queue_bind(self, queue, exchange=None, routing_key="", arguments=None, **kwargs):
        self._insert_ignore(bindings_table, exchange=exchange or "amq.direct",
                            routing_key=routing_key, queue=queue)

    def queue_unbind(self, queue, exchange=None, routing_key="", arguments=None, **kwargs):
        with self.engine.begin() as conn:
            conn.execute(bindings_table.delete().where(
                bindings_table.c.queue == queue, bindings_table.c.exchange == exchange,
                bindings_table.c.routing_key == routing_key))

    def get_table(self, exchange):
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(bindings_table.c.routing_key, bindings_table.c.queue)
                                .where(bindings_table.c.exchange == exchange)).all()
        kind = self.typeof(exchange)
        return [kind.prepare_bind(queue, exchange, key, None) for key, queue in rows]

    def typeof(self, exchange, default="direct"):
        with self.engine.connect() as conn:
            found = conn.scalar(sa.select(exchanges_table.c.type)
                                .where(exchanges_table.c.name == exchange))
        return self.exchange_types[found or default]

    def list_bindings(self):
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(bindings_table)).all()
        return ((r.queue, r.exchange, r.routing_key) for r in rows)

    def queue_delete(self, queue, if_unused=False, if_empty=False, **kwargs):
        if if_empty and self._size(queue):
            return
        self._delete(queue)

    def _new_queue(self, queue, **kwargs):
        self._insert_ignore(queues_table, name=queue)

    def _has_queue(self, queue, **kwargs):
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(queues_table.c.name)
                               .where(queues_table.c.name == queue)) is not None

    def _delete(self, queue, *args, **kwargs):
        with self.engine.begin() as conn:
            conn.execute(messages_table.delete().where(messages_table.c.queue == queue))
            conn.execute(bindings_table.delete().where(bindings_table.c.queue == queue))
            conn.execute(queues_table.delete().where(queues_table.c.name == queue))

    def _insert_ignore(self, table, **values):
        with self.engine.begin() as conn:
            key = [table.c[c.name] == values[c.name] for c in table.primary_key.columns]
            if conn.scalar(sa.select(sa.func.count()).select_from(table).where(*key)) == 0:
                conn.execute(table.insert().values(**values))

    # -- messages --
    def _put(self, queue, message, **kwargs):
        with self.engine.begin() as conn:
            conn.execute(messages_table.insert().values(queue=queue, payload=json.dumps(message)))

    def _get(self, queue, timeout=None):
        self._maybe_reclaim()
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(messages_table.c.id, messages_table.c.payload)
                               .where(messages_table.c.queue == queue,
                                      messages_table.c.owner.is_(None))
                               .order_by(messages_table.c.id).limit(1)).first()
            if row is None:
                raise Empty()
            conn.execute(messages_table.update().where(messages_table.c.id == row.id)
                         .values(owner=self.owner))
        payload = json.loads(row.payload)
        # The row id is the delivery tag, so an ack deletes exactly this row.
        payload["properties"]["delivery_tag"] = str(row.id)
        return payload

    def _size(self, queue):
        with self.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(messages_table).where(
                messages_table.c.queue == queue, messages_table.c.owner.is_(None)))

    def _purge(self, queue):
        with self.engine.begin() as conn:
            return conn.execute(messages_table.delete().where(
                messages_table.c.queue == queue, messages_table.c.owner.is_(None))).rowcount

    def _restore(self, message):
        """Give an unacked message back to its queue (channel closed, or reject with requeue)."""
        payload = message.serializable()
        payload["redelivered"] = True
        with self.engine.begin() as conn:
            conn.execute(messages_table.update()
                         .where(messages_table.c.id == int(message.delivery_tag))
                         .values(owner=None, payload=json.dumps(payload)))

    def delete_row(self, delivery_tag) -> None:
        with self.engine.begin() as conn:
            conn.execute(messages_table.delete().where(messages_table.c.id == int(delivery_tag)))

    def _maybe_reclaim(self) -> None:
        now = time.monotonic()
        if now - self._last_reclaim < RECLAIM_EVERY:
            return
        self._last_reclaim = now
        reclaim_dead_leases(self.engine)


def reclaim_dead_leases(engine: sa.Engine) -> int:
    """Release the messages leased by processes that no longer exist; returns how many."""
    with engine.connect() as conn:
        owners = conn.scalars(sa.select(messages_table.c.owner).distinct()
                              .where(messages_table.c.owner.is_not(None))).all()
    dead = [o for o in owners if not is_alive(o)]
    if not dead:
        return 0
    with engine.begin() as conn:
        return conn.execute(messages_table.update().where(messages_table.c.owner.in_(dead))
                            .values(owner=None)).rowcount


class Transport(virtual.Transport):
    Channel = Channel
    polling_interval = 0.1
    can_parse_url = True
    default_port = 0
    driver_type = "sql"
    driver_name = "synnefo-embedded"
    connection_errors = (sa.exc.OperationalError,)
    channel_errors = (sa.exc.OperationalError,)

    def driver_version(self):
        return sa.__version__
