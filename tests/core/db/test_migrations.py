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


def _insert_0001_server(engine) -> None:
    """A user, a flavor and a server as revision 0001 stored them (with ``suspended``)."""
    when = dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc)
    meta = sa.MetaData()
    meta.reflect(engine, only=["users", "flavors", "servers"])
    users, flavors, servers = (meta.tables[n] for n in ("users", "flavors", "servers"))
    with engine.begin() as conn:
        conn.execute(users.insert().values(id=1, name="u", is_admin=False, max_servers=1,
                                           max_cores=1, max_ram_mib=1, max_disk_gib=1,
                                           created=when, updated=when))
        conn.execute(flavors.insert().values(id=1, name="f", vcpus=1, ram_mib=512, disk_gib=1,
                                             public=True, created=when))
        conn.execute(servers.insert().values(id=7, owner_id=1, name="vm", flavor_id=1,
                                             operstate="STARTED", deleted=False, suspended=False,
                                             build_progress=100, created=when, updated=when))


def test_0002_drops_suspended_keeping_servers_and_downgrades(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0001")
        _insert_0001_server(engine)
        migrate.upgrade(engine, "0002")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("servers")}
        assert "suspended" not in columns
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name, operstate FROM servers")).all() == [
                ("vm", "STARTED")]
        migrate.downgrade(engine, "0001")
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name, suspended FROM servers")).all() == [
                ("vm", False)]
    finally:
        engine.dispose()
