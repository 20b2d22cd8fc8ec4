"""Read-only units of work (the API's GETs) and the pool's ping of idle connections."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from synnefo.core.app import build_core
from synnefo.core.db import engine as engine_module
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import User


@pytest.fixture
def core(migrated_url, settings_factory):
    core = build_core(settings_factory(migrated_url, hooks=""))
    with core.uow() as uow:
        uow.session.add(User(name="reader"))
    yield core
    core.close()


def names(core) -> list[str]:
    with core.engine.connect() as db:
        return db.scalars(sa.select(User.name).order_by(User.name)).all()


def test_a_read_only_unit_of_work_reads_and_refuses_to_write(core):
    with core.uow(read_only=True) as uow:
        assert uow.session.scalar(sa.select(User).where(User.name == "reader")).name == "reader"
    with pytest.raises(RuntimeError, match=r"read-only unit of work tried to write \(1 new"):
        with core.uow(read_only=True) as uow:
            uow.session.add(User(name="writer"))
    with pytest.raises(RuntimeError, match=r"1 changed"):
        with core.uow(read_only=True) as uow:
            uow.session.scalar(sa.select(User)).name = "renamed"
    assert names(core) == ["reader"]


def test_each_read_stands_alone_where_the_database_allows(core):
    """PostgreSQL and SQLite: no transaction around a read-only unit of work's statements
    (no BEGIN and COMMIT round trips). MariaDB keeps one (see ``reading_engine``)."""
    kind = core.engine.dialect.name
    if kind == "mysql":
        with core.uow(read_only=True) as uow:
            assert uow.session.connection().in_transaction()
        return
    if kind == "postgresql":
        with core.uow(read_only=True) as uow:
            db = uow.session.connection()
            first = db.scalar(sa.text("SELECT transaction_timestamp()"))
            db.scalar(sa.text("SELECT pg_sleep(0.01)"))
            assert db.scalar(sa.text("SELECT transaction_timestamp()")) > first
        with core.uow() as uow:   # a writing unit of work: one transaction
            db = uow.session.connection()
            first = db.scalar(sa.text("SELECT transaction_timestamp()"))
            db.scalar(sa.text("SELECT pg_sleep(0.01)"))
            assert db.scalar(sa.text("SELECT transaction_timestamp()")) == first
        return
    # SQLite: a writer holding the database's write lock does not hold up a read.
    writer = core.engine.raw_connection()
    writer.driver_connection.execute("BEGIN IMMEDIATE")
    try:
        read = {}
        reader = threading.Thread(target=lambda: read.update(names=_read_names(core)))
        reader.start()
        reader.join(10)   # a writing unit of work would wait for the lock (busy timeout 30 s)
        assert read.get("names") == ["reader"]
    finally:
        writer.driver_connection.execute("ROLLBACK")
        writer.close()


def _read_names(core) -> list[str]:
    with core.uow(read_only=True) as uow:
        return uow.session.scalars(sa.select(User.name)).all()


def _backend_id(conn) -> int:
    pid = "SELECT pg_backend_pid()" if conn.dialect.name == "postgresql" else "SELECT CONNECTION_ID()"
    return conn.exec_driver_sql(pid).scalar()


def _kill(url: str, backend: int) -> None:
    killer = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with killer.connect() as db:
        if killer.dialect.name == "postgresql":
            db.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
        else:
            db.exec_driver_sql(f"KILL {backend}")
    killer.dispose()


def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(migrated_url,
                                                                         monkeypatch):
    """A database restart or an idle timeout kills the pool's idle connections; the next request
    gets a live one instead of an error. (SQLite has no server to lose.)"""
    if migrated_url.startswith("sqlite"):
        pytest.skip("no server connection on SQLite")
    monkeypatch.setattr(engine_module, "IDLE_PING_SECONDS", 0.0)
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            first = _backend_id(conn)
        _kill(migrated_url, first)
        with engine.connect() as conn:
            assert _backend_id(conn) != first
            assert conn.scalar(sa.select(sa.func.count()).select_from(User)) == 0
    finally:
        engine.dispose()
