"""Engine factory: one place that knows each database's quirks."""
import os
import time

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
           "mysql": "mysql+pymysql", "mariadb": "mysql+pymysql"}


def normalize_url(url: str, here: str = ".") -> sa.URL:
    """Pick our drivers for bare scheme names; resolve relative SQLite paths against ``here``."""
    parsed = make_url(url)
    if parsed.drivername in DRIVERS:
        parsed = parsed.set(drivername=DRIVERS[parsed.drivername])
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        parsed = parsed.set(database=os.path.join(here, parsed.database))
    return parsed


def make_engine(url: str, here: str = ".", echo: bool = False) -> sa.Engine:
    parsed = normalize_url(url, here)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
        return _sqlite_engine(parsed, echo)
    kwargs = {"echo": echo}
    if parsed.get_backend_name() == "mysql":
        kwargs["isolation_level"] = "READ COMMITTED"
    engine = sa.create_engine(parsed, **kwargs)
    _ping_idle_connections(engine, IDLE_PING_SECONDS)
    return engine


IDLE_PING_SECONDS = 1.0


def _ping_idle_connections(engine: sa.Engine, idle_seconds: float) -> None:
    """Ping a pooled connection before reuse only if it sat idle ``idle_seconds`` or longer.

    ``pool_pre_ping`` pings on every checkout: a second round trip for a cached-token
    ``GET /servers/{id}``, whose only statement is its one SELECT. A database restart or an idle timeout on the server leaves
    connections that sat in the pool, and those are pinged and replaced here
    (``DisconnectionError`` makes the pool connect afresh). A connection that dies within a
    second of its last use fails its request instead. SQLAlchemy then invalidates the whole
    pool, so the next requests get new connections.
    """
    @sa.event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn, record):
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn, record, proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # noqa: BLE001 - any failed ping means "connect afresh"
            raise sa.exc.DisconnectionError(f"an idle pooled connection is gone: {exc}") from exc


READS_ONLY = "synnefo_reads_only"   # an execution option of ``reading_engine`` on SQLite


def reading_engine(engine: sa.Engine) -> sa.Engine:
    """The engine for units of work that only read (the API's GET requests).

    No transaction on PostgreSQL and SQLite: no BEGIN and COMMIT round trips around a read, and
    on SQLite no write lock. Under PostgreSQL's READ COMMITTED each statement takes its own
    snapshot anyway, so a read loses no consistency. MySQL/MariaDB keep transactions: switching
    a pooled connection into and out of autocommit costs a round trip each way there."""
    if engine.dialect.name == "mysql":
        return engine
    if engine.dialect.name == "sqlite":
        # pysqlite already leaves transactions to us (``_on_begin``): skipping our BEGIN is
        # enough, where SQLAlchemy's AUTOCOMMIT would reset the connection's mode on check-in.
        return engine.execution_options(**{READS_ONLY: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def _sqlite_engine(url: sa.URL, echo: bool) -> sa.Engine:
    engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let us issue BEGIN ourselves: pysqlite's implicit BEGIN is deferred, and a deferred
        # transaction that later writes fails at once (not after the busy timeout) when
        # another process wrote in between. Several dispatchers share one SQLite file.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if url.database and url.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        if not conn.get_execution_options().get(READS_ONLY):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
