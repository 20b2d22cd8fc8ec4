"""Shared fixtures. Database tests run on SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from synnefo.core.app import build_core
from synnefo.core.db import migrate
from synnefo.core.settings import parse_settings
from synnefo.testing import databases

DB_KINDS = ("sqlite", "postgresql", "mariadb")


def _server_db(kind):
    try:
        return databases.create_database(kind)
    except databases.ServerUnavailable as exc:
        if databases.in_ci():
            pytest.fail(f"CI needs {kind}: {exc}")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def server_databases():
    """One fresh database per server kind for the whole session (created on first use)."""
    created: dict[str, str] = {}
    yield created
    for url in created.values():
        databases.drop_database(url)


@pytest.fixture(params=DB_KINDS)
def db_url(request, tmp_path, server_databases):
    """An empty database URL, once per kind."""
    kind = request.param
    if kind == "sqlite":
        return f"sqlite:///{tmp_path}/test.sqlite"
    if kind not in server_databases:
        server_databases[kind] = _server_db(kind)
    url = server_databases[kind]
    _wipe(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path}/test.sqlite"


def _wipe(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.begin() as conn:
            if engine.dialect.name == "mysql":
                conn.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
            meta.drop_all(conn)
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    finally:
        engine.dispose()


def make_settings(db_url: str, **overrides) -> "Settings":  # noqa: F821
    raw = {"synnefo.db_url": db_url}
    raw.update({f"synnefo.{k}": v for k, v in overrides.items()})
    return parse_settings(raw, environ={})


@pytest.fixture
def settings_factory():
    return make_settings


@pytest.fixture
def migrated_url(db_url):
    """A database URL with the schema at head."""
    engine = sa.create_engine(db_url)
    from synnefo.core.db.engine import make_engine
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    engine.dispose()
    return db_url


# -- RabbitMQ hygiene: test queues are named after a random instance prefix ("t<hex>-...");
# whatever a test left behind is deleted when the session ends, so repeated runs on one broker
# do not pile up queues. Only queues without consumers go (another session's live queues stay),
# and SYNNEFO_TEST_KEEP_QUEUES=1 turns the clean-up off for sessions sharing a broker.

TEST_QUEUE = __import__("re").compile(r"^(t[0-9a-f]{6,8}-|test-tap-)")


def _rabbit_queue_names() -> set[str]:
    import shutil
    import subprocess
    if not shutil.which("rabbitmqctl"):
        return set()
    result = subprocess.run(["rabbitmqctl", "-q", "list_queues", "name"], capture_output=True,
                            text=True, timeout=60)
    return {line.strip() for line in result.stdout.splitlines()[1:] if line.strip()}


@pytest.fixture(scope="session", autouse=True)
def _delete_test_queues_at_the_end():
    if os.environ.get("SYNNEFO_TEST_KEEP_QUEUES") == "1":
        yield
        return
    try:
        before = _rabbit_queue_names()
    except Exception:  # noqa: BLE001 - hygiene must never fail a run
        before = None
    yield
    if before is None:
        return
    try:
        leftovers = sorted(q for q in _rabbit_queue_names() - before if TEST_QUEUE.match(q))
        if leftovers:
            import kombu
            with kombu.Connection("amqp://guest:guest@127.0.0.1:5672//", connect_timeout=5) as conn:
                for name in leftovers:
                    try:
                        conn.channel().queue_delete(name, if_unused=True)
                    except Exception:  # noqa: BLE001 - in use by another session: keep it
                        pass
    except Exception:  # noqa: BLE001
        pass
