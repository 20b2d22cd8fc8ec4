"""The one row <-> ServerState mapping: every field has a column, and every field round-trips."""
import dataclasses
import datetime as dt
import enum
import typing

import sqlalchemy as sa

from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Flavor, Server, User
from synnefo.core.db.server_state import server_state, state_columns, store_state
from synnefo.core.domain.state import ServerState

WHEN = dt.datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone.utc)


def _not_default(name: str, hint) -> object:
    """A value unlike the field's default, whatever its type."""
    args = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
    kind = args[0]
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return list(kind)[-1]
    return {bool: True, int: 4242, str: f"{name}-value", dt.datetime: WHEN}[kind]


def full_state() -> ServerState:
    hints = typing.get_type_hints(ServerState)
    return ServerState(**{f.name: _not_default(f.name, hints[f.name])
                          for f in dataclasses.fields(ServerState)})


def test_every_server_state_field_has_a_servers_column():
    columns = set(Server.__table__.columns.keys())
    missing = {f.name for f in dataclasses.fields(ServerState)} - columns
    assert missing == set(), f"ServerState fields without a column: {missing}"
    assert [c.key for c in state_columns()] == [f.name for f in dataclasses.fields(ServerState)]


def test_every_field_round_trips_through_the_database(sqlite_url):
    engine = make_engine(sqlite_url)
    migrate.upgrade(engine)
    state = full_state()
    assert all(getattr(state, f.name) != f.default for f in dataclasses.fields(ServerState))
    try:
        with sa.orm.Session(engine) as session:
            server = Server(owner=User(name="u"), name="vm",
                            flavor=Flavor(name="f", vcpus=1, ram_mib=512, disk_gib=1))
            store_state(server, state)
            session.add(server)
            session.commit()
            server_id = server.id
        with sa.orm.Session(engine) as session:
            assert server_state(session.get(Server, server_id)) == state
            row = session.execute(sa.select(*state_columns()).where(Server.id == server_id)).one()
            assert server_state(row) == state
    finally:
        engine.dispose()

