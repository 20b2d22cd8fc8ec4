"""The pure ``dispatch``: what happens to a message, decided without any broker."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from synnefo.core import messages
from synnefo.core.app import build_core
from synnefo.core.db.models import Server
from synnefo.daemons.dispatcher.dispatch import Action, dispatch, dispatch_batch
from synnefo.messaging import headers as hdr
from synnefo.testing.bus import seed_servers

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


@pytest.fixture
def core(sqlite_url, settings_factory):
    from synnefo.core.db import migrate
    core = build_core(settings_factory(sqlite_url, hooks=""))
    migrate.upgrade(core.engine)
    yield core
    core.close()


@pytest.fixture
def down_core(tmp_path, settings_factory):
    """A core whose database cannot be reached (PostgreSQL on a closed port)."""
    core = build_core(settings_factory("postgresql://postgres@127.0.0.1:9/none", hooks=""))
    yield core
    core.close()


def body(message) -> bytes:
    return json.dumps(message.body).encode()


def create_success(server_id, job=1, seconds=1):
    return messages.op_status(f"snf-{server_id}", "OP_INSTANCE_CREATE", job, "success",
                              T0 + dt.timedelta(seconds=seconds))


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "malformed JSON"),
    (b"\xff\xfe", "malformed JSON"),
    (b"[1, 2]", "a JSON object was expected"),
    (b'{"instance": "snf-1"}', "unknown message type None"),
    (b'{"type": "ganeti-cluster-status"}', "unknown message type 'ganeti-cluster-status'"),
])
def test_bad_input_is_dead_lettered_at_once_with_the_reason(down_core, raw, reason):
    # The database is down: none of these even tries to reach it.
    outcome = dispatch(down_core, raw, {})
    assert outcome.action == Action.DEAD_LETTER and reason in outcome.reason


def test_a_database_outage_requeues_until_the_retry_budget_is_spent(down_core):
    message = body(create_success(1))
    first = dispatch(down_core, message, {}, max_retries=2)
    assert first.action == Action.REQUEUE and "OperationalError" in first.reason
    again = dispatch(down_core, message, {hdr.RETRIES: 1}, max_retries=2)
    assert again.action == Action.REQUEUE
    last = dispatch(down_core, message, {hdr.RETRIES: 2}, max_retries=2)
    assert last.action == Action.DEAD_LETTER
    assert last.reason.startswith("gave up after 2 retries: OperationalError")


def test_a_batch_commits_once_and_acks_everything(core):
    ids = seed_servers(core, 3)
    outcomes = dispatch_batch(core, [(body(create_success(i)), {}) for i in reversed(ids)])
    assert [o.action for o in outcomes] == [Action.ACK] * 3
    with core.uow() as uow:
        assert {uow.session.get(Server, i).operstate for i in ids} == {"STARTED"}


def test_a_batch_locks_its_servers_in_one_statement(core):
    import sqlalchemy as sa
    ids = seed_servers(core, 5)
    selects = []
    listener = lambda *args: selects.append(args[2])  # noqa: E731
    sa.event.listen(core.engine, "before_cursor_execute", listener)
    try:
        items = [(body(create_success(i)), {}) for i in ids]
        items += [(body(create_success(ids[0], job=2, seconds=2)), {})]  # a second for one
        assert [o.action for o in dispatch_batch(core, items)] == [Action.ACK] * 6
    finally:
        sa.event.remove(core.engine, "before_cursor_execute", listener)
    assert len([s for s in selects if s.lstrip().upper().startswith("SELECT")
                and "FROM servers" in s]) == 1
    with core.uow() as uow:
        assert {uow.session.get(Server, i).operstate for i in ids} == {"STARTED"}
        assert uow.session.get(Server, ids[0]).backend_job_id == 2


def test_a_bad_message_in_a_batch_is_dead_lettered_alone(core):
    ids = seed_servers(core, 2)
    items = [(body(create_success(ids[0])), {}), (b"garbage", {}), (body(create_success(ids[1])), {})]
    assert [o.action for o in dispatch_batch(core, items)] == [
        Action.ACK, Action.DEAD_LETTER, Action.ACK]


@pytest.fixture
def locking_core(db_url, settings_factory):
    """A core on a database with row locks (PostgreSQL, MariaDB)."""
    from synnefo.core.db import migrate
    if db_url.startswith("sqlite"):
        pytest.skip("SQLite locks the whole database, not rows")
    core = build_core(settings_factory(db_url, hooks=""))
    migrate.upgrade(core.engine)
    yield core
    core.close()


def test_a_batch_applies_around_a_server_another_dispatcher_holds(locking_core):
    import threading

    import sqlalchemy as sa

    from synnefo.testing.bus import wait_for
    core = locking_core
    ids = seed_servers(core, 3)
    held = ids[1]
    items = [(body(create_success(i)), {}) for i in ids]
    items.append((body(create_success(held, job=2, seconds=2)), {}))

    def operstates():
        with core.engine.connect() as db:
            return dict(db.execute(sa.select(Server.id, Server.operstate)
                                   .where(Server.id.in_(ids))).all())

    done = {}
    with core.engine.connect() as other:
        other.execute(sa.select(Server.id).where(Server.id == held).with_for_update())
        worker = threading.Thread(target=lambda: done.update(outcomes=dispatch_batch(core, items)))
        worker.start()
        # The other servers' messages are committed while the held one is still locked...
        wait_for(lambda: {operstates()[i] for i in (ids[0], ids[2])} == {"STARTED"},
                 what="the servers nobody holds")
        assert operstates()[held] == "BUILD" and worker.is_alive()
        other.rollback()
    # ...and the held server's two, in order, once it is released.
    worker.join(60)
    assert [o.action for o in done["outcomes"]] == [Action.ACK] * 4
    assert set(operstates().values()) == {"STARTED"}
    with core.uow() as uow:
        assert uow.session.get(Server, held).backend_job_id == 2
