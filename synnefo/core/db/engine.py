"""Engine factory: one place that knows each database's quirks."""
import os

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
    kwargs = {"pool_pre_ping": True, "echo": echo}
    if parsed.get_backend_name() == "mysql":
        kwargs["isolation_level"] = "READ COMMITTED"
    return sa.create_engine(parsed, **kwargs)


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
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
