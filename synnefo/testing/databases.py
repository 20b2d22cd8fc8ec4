"""Throw-away databases for tests: one per test session on each server, dropped afterwards.

Each test session gets its own database (``snf_test_<random>``) so that parallel runs on one
machine never see each other's rows. In CI (``CI=true``) a server that cannot be reached is a
failure; elsewhere the tests that need it are skipped.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from typing import Iterator

import sqlalchemy as sa

from synnefo.core.db.engine import normalize_url

SERVERS = {
    "postgresql": os.environ.get("SYNNEFO_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("SYNNEFO_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


class ServerUnavailable(Exception):
    pass


def create_database(kind: str) -> str:
    """Create a fresh database on the server and return its URL."""
    admin_url = normalize_url(SERVERS[kind])
    name = f"snf_test_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    except sa.exc.OperationalError as exc:
        raise ServerUnavailable(f"{kind} at {admin_url.render_as_string()} is unreachable: {exc}") from exc
    finally:
        engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    parsed = sa.make_url(url)
    admin = parsed.set(database="postgres" if parsed.get_backend_name() == "postgresql" else "mysql")
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if parsed.get_backend_name() == "postgresql":
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {parsed.database} WITH (FORCE)")
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {parsed.database}")
    finally:
        engine.dispose()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@contextlib.contextmanager
def throwaway_database(kind: str) -> Iterator[str]:
    """For a fixture: a fresh database on the ``kind`` server, dropped afterwards. A server that
    cannot be reached fails the test in CI and skips it elsewhere."""
    import pytest
    try:
        url = create_database(kind)
    except ServerUnavailable as exc:
        if in_ci():
            pytest.fail(f"CI needs {kind}: {exc}")
        pytest.skip(str(exc))
    try:
        yield url
    finally:
        drop_database(url)
