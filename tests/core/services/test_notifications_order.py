"""Order independence of the stored row: every column of a server and of its NICs ends the same
whatever order (and however many duplicates) the dispatcher applies its notifications in."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Nic, Server
from synnefo.core.domain import state as sm
from synnefo.core.domain.ganeti import NicInfo
from synnefo.core.domain.state import Opcode
from synnefo.core.services import notifications as notif
from synnefo.testing.reconcile import Seeder, make_core

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
# ``updated`` is when the row last changed, for clients' changes-since: wall-clock bookkeeping,
# not something the notifications say. Every other column is compared.
NOT_COMPARED = {"id", "created", "updated"}
JOB_KINDS = [Opcode.STARTUP.value, Opcode.SHUTDOWN.value, Opcode.REBOOT.value,
             Opcode.SET_PARAMS.value, "OP_INSTANCE_MIGRATE"]
TASK_OF_OPCODE = {Opcode.STARTUP.value: sm.Task.POWERING_ON,
                  Opcode.SHUTDOWN.value: sm.Task.POWERING_OFF,
                  Opcode.REBOOT.value: sm.Task.REBOOTING, Opcode.REMOVE.value: sm.Task.DELETING}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('order')}/order.sqlite"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    core = make_core(url, {})
    seeder = Seeder(core)
    yield core, seeder, seeder.backend("b1")
    core.close()


def at(seconds: int) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


nics = st.lists(st.builds(lambda i, ip: NicInfo(i, mac=f"aa:00:00:00:00:{i:02x}",
                                                  ipv4=f"192.0.2.{ip}", network="net1"),
                          st.integers(0, 2), st.integers(1, 250)),
                max_size=3, unique_by=lambda n: n.index)


@st.composite
def lives(draw):
    """A server's notifications as Ganeti can produce them: a create (with progress), maybe
    sequential jobs, maybe a remove; net-status at distinct times; and the API's task for one
    of the jobs (recorded before its notifications arrive), or none."""
    created = draw(st.sampled_from(["success", "success", "error", "canceled"]))
    jobs = [(Opcode.CREATE.value, created)]
    if created == "success":
        jobs += draw(st.lists(st.tuples(st.sampled_from(JOB_KINDS),
                                        st.sampled_from(["success", "error"])), max_size=4))
    if draw(st.booleans()):
        jobs.append((Opcode.REMOVE.value, draw(st.sampled_from(["success", "error"]))
                     if created == "success" else "error"))
    events, clock = [], 0
    for job_id, (opcode, final) in enumerate(jobs, start=1):
        for status in ("queued", "running", final):
            clock += draw(st.integers(0, 2))
            events.append(("op", sm.OpStatusEvent(job_id, opcode, sm.JobStatus(status),
                                                  at(clock), f"{opcode} {status}")))
    times = draw(st.lists(st.integers(0, clock + 2), unique=True, max_size=3))
    events += [("net", (draw(nics), at(t))) for t in times]
    events += [("progress", p) for p in draw(st.lists(st.integers(0, 100), max_size=3))]
    tasks = [(job_id, TASK_OF_OPCODE[op]) for job_id, (op, _) in enumerate(jobs, start=1)
             if op in TASK_OF_OPCODE]
    task = draw(st.sampled_from([None] + tasks))
    return events, task


def apply(core, server_id, item) -> None:
    kind, payload = item
    with core.uow() as uow:
        if kind == "op":
            notif.apply_op_status(uow, core, server_id, payload)
        elif kind == "net":
            notif.apply_net_status(uow, server_id, *payload)
        else:
            notif.apply_create_progress(uow, server_id, payload)


def stored(core, server_id) -> tuple[dict, list]:
    """Every compared column of the server, and every column of its NICs but the keys."""
    with core.uow() as uow:
        server = uow.session.get(Server, server_id)
        row = {c.key: getattr(server, c.key) for c in Server.__table__.columns
               if c.key not in NOT_COMPARED}
        nic_rows = [{c.key: getattr(n, c.key) for c in Nic.__table__.columns
                     if c.key not in ("id", "server_id")} for n in server.nics]
    return row, nic_rows


def life(world, task, items) -> tuple[dict, list]:
    core, seeder, backend_id = world
    task_columns = {"task": task[1].value, "task_job_id": task[0]} if task else {}
    server_id = seeder.server(backend_id, "BUILD", created=T0, **task_columns)
    for item in items:
        apply(core, server_id, item)
    return stored(core, server_id)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lives(), st.randoms(use_true_random=False), st.integers(0, 4))
def test_the_whole_row_ends_the_same_in_any_order_with_duplicates(world, life_, rnd, dupes):
    items, task = life_
    expected = life(world, task, items)
    noisy = items + [rnd.choice(items) for _ in range(dupes)]
    rnd.shuffle(noisy)
    assert life(world, task, noisy) == expected
    assert expected[0]["task"] is None   # every job finished, so no task is left


def test_a_removal_leaves_the_same_nic_time_whether_net_status_came_before_or_after(world):
    removal = ("op", sm.OpStatusEvent(2, Opcode.REMOVE.value, sm.JobStatus.SUCCESS, at(5)))
    created = ("op", sm.OpStatusEvent(1, Opcode.CREATE.value, sm.JobStatus.SUCCESS, at(1)))
    net = ("net", ([NicInfo(0, mac="aa:00:00:00:00:01")], at(3)))
    before = life(world, None, [created, net, removal])
    after = life(world, None, [created, removal, net])
    assert before == after
    assert before[0]["deleted"] and before[1] == []
    assert before[0]["deleted_at"] == at(5)   # when Ganeti removed it
