"""Migrations apply on SQLite, PostgreSQL and MariaDB, and produce exactly the models' schema."""
import datetime as dt

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Base, Flavor, Server, User


def _diff(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, Base.metadata)


def test_upgrade_matches_models(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _diff(engine) == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_downgrade_empties(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine)
        migrate.upgrade(engine)
        migrate.downgrade(engine, "base")
        tables = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
    finally:
        engine.dispose()


def test_times_round_trip_with_microseconds_in_utc(migrated_url):
    engine = make_engine(migrated_url)
    when = dt.datetime(2026, 3, 4, 5, 6, 7, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    try:
        with sa.orm.Session(engine) as session:
            user = User(name="alice")
            flavor = Flavor(name="f", vcpus=1, ram_mib=512, disk_gib=1)
            server = Server(owner=user, name="vm", flavor=flavor, backend_event_time=when)
            session.add(server)
            session.commit()
            server_id = server.id
        with sa.orm.Session(engine) as session:
            stored = session.get(Server, server_id).backend_event_time
        assert stored == when and stored.tzinfo is not None
        assert stored.utcoffset() == dt.timedelta(0)
    finally:
        engine.dispose()
