"""Reconciliation against the backend contract: each kind of drift detected, reported, fixed
with the right flag and left alone without it (SQLite, PostgreSQL, MariaDB)."""
from __future__ import annotations

import datetime as dt
import logging
import uuid

import pytest

from synnefo.core.contracts.backend import InstanceInfo, JobInfo, NicInfo
from synnefo.core.domain import state as sm
from synnefo.core.domain.drift import DriftKind
from synnefo.core.errors import BackendUnavailable
from synnefo.core.services import notifications as notif
from synnefo.core.services.reconciliation import Reconciler, ReconcileOptions
from synnefo.core.timeutil import utcnow
from synnefo.testing.reconcile import DictDriver, HookRecorder, Seeder, make_core

ALL = frozenset(DriftKind)


@pytest.fixture
def world(migrated_url):
    """A core on a migrated database with one in-memory backend named uniquely per test."""
    recorder = HookRecorder()
    core = make_core(migrated_url, {"memory": DictDriver}, recorder)
    seeder = Seeder(core)
    name = f"b-{uuid.uuid4().hex[:8]}"
    backend_id = seeder.backend(name)
    yield World(core, seeder, recorder, backend_id, DictDriver.cluster(name))
    DictDriver.clusters.pop(name, None)
    core.close()


class World:
    def __init__(self, core, seeder, recorder, backend_id, cluster):
        self.core, self.seeder, self.recorder = core, seeder, recorder
        self.backend_id, self.cluster = backend_id, cluster

    def server(self, operstate="STARTED", **kw) -> int:
        return self.seeder.server(self.backend_id, operstate, **kw)

    def instance(self, server_id, running=True, admin_up=True, vcpus=1, memory=1024, nics=()):
        name = self.core.naming.instance_name(server_id)
        self.cluster["instances"][name] = InstanceInfo(name, running, admin_up, vcpus, memory,
                                                       tuple(nics))
        return name

    def run(self, fix=frozenset(), **kw):
        return Reconciler(self.core).run(ReconcileOptions(all_servers=True, fix=fix, **kw))

    def get(self, server_id):
        return self.seeder.get(server_id)


def kinds(report):
    return sorted(r.drift.kind.value for r in report.records)


def test_a_server_in_sync_reports_nothing_and_is_marked_reconciled(world):
    sid = world.server()
    world.instance(sid)
    before = world.get(sid)
    report = world.run()
    assert report.records == [] and report.exit_code == 0 and report.servers_checked == 1
    after = world.get(sid)
    assert after.reconciled_at is not None
    assert after.updated == before.updated   # changes-since pollers see nothing new


# -- stale ----------------------------------------------------------------------------------

def test_stale_server_is_reported_and_left_alone_without_its_flag(world):
    sid = world.server()
    report = world.run(fix=ALL - {DriftKind.STALE})
    assert kinds(report) == ["stale"] and report.exit_code == 1
    assert report.records[0].action == "reported"
    assert not world.get(sid).deleted


def test_stale_server_is_deleted_with_fix_stale_and_hooks_hear_it(world):
    sid = world.server()
    report = world.run(fix={DriftKind.STALE})
    assert report.records[0].action == "fixed" and report.exit_code == 0
    row = world.get(sid)
    assert row.deleted and row.operstate == "DESTROYED" and row.deleted_at is not None
    (change,) = world.recorder.state_changes
    assert (change.server_id, change.old_operstate, change.new_operstate, change.deleted) == \
        (sid, "STARTED", "DESTROYED", True)


def test_a_building_server_missing_in_ganeti_becomes_error(world):
    sid = world.server("BUILD")
    world.run(fix={DriftKind.STALE})
    row = world.get(sid)
    assert row.operstate == "ERROR" and not row.deleted and "never appeared" in row.fault_message


def test_failed_and_just_created_servers_missing_in_ganeti_are_not_stale(world):
    world.server("ERROR")
    world.server("BUILD", created=utcnow())
    assert world.run(fix=ALL).records == []


def test_a_just_created_server_whose_create_succeeded_is_stale_at_once(world):
    # The grace is for a create job not yet recorded; this one succeeded, then the instance went.
    sid = world.server(created=utcnow(), backend_job_id=3, backend_opcode="OP_INSTANCE_CREATE",
                       backend_status="success", backend_event_time=T_JOB,
                       state_event_time=T_JOB, state_job_id=3)
    report = world.run(fix={DriftKind.STALE})
    assert kinds(report) == ["stale"]
    assert world.get(sid).deleted


def test_a_just_created_server_whose_create_job_is_queued_is_left_alone(world):
    world.server("BUILD", created=utcnow(), task_job_id=4)
    world.cluster["jobs"][4] = JobInfo(4, "queued", ("OP_INSTANCE_CREATE",))
    report = world.run(fix=ALL)
    assert report.records == [] and report.servers_in_flight == 1


def test_a_just_created_server_whose_create_job_failed_unnoticed_becomes_error(world):
    sid = world.server("BUILD", created=utcnow(), task_job_id=4)
    world.cluster["jobs"][4] = JobInfo(4, "error", ("OP_INSTANCE_CREATE",),
                                       log_message="no such OS", end_time=T_JOB)
    report = world.run(fix={DriftKind.STUCK})
    assert kinds(report) == ["stuck"]
    row = world.get(sid)
    assert (row.operstate, row.fault_message, row.task_job_id) == ("ERROR", "no such OS", None)


# -- orphans --------------------------------------------------------------------------------

def _orphans(world):
    deleted = world.server(deleted=True, operstate="DESTROYED")
    world.instance(deleted)
    world.instance(987654)   # our prefix, no row at all
    world.cluster["instances"]["other-1"] = InstanceInfo("other-1", True, True)
    return {world.core.naming.instance_name(deleted), world.core.naming.instance_name(987654)}


def test_orphans_are_reported_but_not_deleted_without_fix_orphans(world):
    names = _orphans(world)
    report = world.run(fix=ALL - {DriftKind.ORPHAN})
    assert {r.drift.instance for r in report.records} == names
    assert all(r.drift.kind == DriftKind.ORPHAN and r.action == "reported" for r in report.records)
    assert names <= set(world.cluster["instances"])
    assert not [c for c in world.cluster["calls"] if c[0] == "OP_INSTANCE_REMOVE"]


def test_orphans_are_deleted_in_ganeti_with_fix_orphans_and_foreign_names_are_kept(world):
    names = _orphans(world)
    report = world.run(fix={DriftKind.ORPHAN})
    assert all(r.action == "fixed" for r in report.records) and report.exit_code == 0
    assert set(world.cluster["instances"]) == {"other-1"}
    assert {c[1] for c in world.cluster["calls"] if c[0] == "OP_INSTANCE_REMOVE"} == names


# -- unsynced -------------------------------------------------------------------------------

@pytest.mark.parametrize("operstate, running, admin_up, expected, ganeti", [
    ("STOPPED", True, True, "STARTED", "running"),
    ("ERROR", True, True, "STARTED", "running"),
    ("STARTED", False, False, "STOPPED", "admin-down"),
    ("STARTED", False, True, "STOPPED", "error-down"),
])
def test_unsynced_run_state(world, operstate, running, admin_up, expected, ganeti):
    sid = world.server(operstate)
    world.instance(sid, running=running, admin_up=admin_up)
    report = world.run(fix=ALL - {DriftKind.UNSYNCED})
    (record,) = report.records
    assert (record.drift.kind, record.drift.ganeti_value, record.action) == \
        (DriftKind.UNSYNCED, ganeti, "reported")
    assert world.get(sid).operstate == operstate
    report = world.run(fix={DriftKind.UNSYNCED})
    assert report.records[0].action == "fixed"
    row = world.get(sid)
    assert row.operstate == expected and ganeti in row.backend_logmsg
    assert world.recorder.state_changes[-1].new_operstate == expected
    assert world.run().records == []


def test_a_build_server_running_in_ganeti_completes_its_build(world):
    sid = world.server("BUILD")
    world.instance(sid)
    world.run(fix={DriftKind.UNSYNCED})
    row = world.get(sid)
    assert row.operstate == "STARTED" and row.build_progress == 100


@pytest.mark.parametrize("operstate", ["BUILD", "ERROR", "STOPPED"])
def test_down_instances_of_servers_not_started_are_in_sync(world, operstate):
    sid = world.server(operstate)
    world.instance(sid, running=False, admin_up=False)
    assert world.run(fix=ALL).records == []
    assert world.get(sid).operstate == operstate


# -- stuck jobs -----------------------------------------------------------------------------

T_JOB = dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc)


def _stuck_shutdown(world):
    sid = world.server(task="powering-off", task_job_id=7, backend_job_id=7,
                       backend_opcode="OP_INSTANCE_SHUTDOWN", backend_status="running",
                       backend_event_time=T_JOB)
    world.instance(sid, running=False, admin_up=False)
    world.cluster["jobs"][7] = JobInfo(7, "success", ("OP_INSTANCE_SHUTDOWN",),
                                       end_time=T_JOB + dt.timedelta(seconds=5))
    return sid


def test_stuck_job_is_reported_and_left_alone_without_fix_stuck(world):
    sid = _stuck_shutdown(world)
    report = world.run(fix=ALL - {DriftKind.STUCK})
    assert kinds(report) == ["stuck"] and report.records[0].action == "reported"
    row = world.get(sid)
    assert (row.operstate, row.backend_status, row.task) == ("STARTED", "running", "powering-off")


def test_stuck_job_gets_its_missing_notification_with_fix_stuck(world):
    sid = _stuck_shutdown(world)
    report = world.run(fix={DriftKind.STUCK})
    assert report.records[0].action == "fixed" and report.exit_code == 0
    row = world.get(sid)
    assert (row.operstate, row.backend_status, row.task, row.backend_job_id) == \
        ("STOPPED", "success", None, 7)
    assert row.backend_event_time == T_JOB + dt.timedelta(seconds=5)   # Ganeti's own end time
    (finished,) = world.recorder.jobs_finished
    assert (finished.job_id, finished.opcode, finished.status) == \
        (7, "OP_INSTANCE_SHUTDOWN", "success")


def test_a_stuck_job_superseded_by_a_newer_notification_only_ends_its_task(world):
    later = T_JOB + dt.timedelta(seconds=10)
    sid = world.server(task="powering-off", task_job_id=7, backend_job_id=8,
                       backend_opcode="OP_INSTANCE_STARTUP", backend_status="success",
                       backend_event_time=later, state_event_time=later, state_job_id=8)
    world.instance(sid)
    world.cluster["jobs"][7] = JobInfo(7, "success", ("OP_INSTANCE_SHUTDOWN",),
                                       end_time=T_JOB + dt.timedelta(seconds=5))
    report = world.run(fix={DriftKind.STUCK})
    assert kinds(report) == ["stuck"] and "superseded" in report.records[0].message
    row = world.get(sid)
    assert (row.operstate, row.task, row.backend_job_id) == ("STARTED", None, 8)
    assert world.run().records == []


def test_a_vanished_job_is_judged_from_the_instance(world):
    sid = world.server(task="deleting", task_job_id=9)
    report = world.run(fix={DriftKind.STUCK})
    assert kinds(report) == ["stuck"] and "gone from Ganeti" in report.records[0].drift.detail
    row = world.get(sid)
    assert row.deleted and row.task is None


def test_a_vanished_startup_that_did_not_happen_is_an_error(world):
    sid = world.server("STOPPED", task="powering-on", task_job_id=11)
    world.instance(sid, running=False, admin_up=False)
    world.run(fix={DriftKind.STUCK})
    row = world.get(sid)
    assert (row.operstate, row.task, row.backend_status) == ("STOPPED", None, "error")


def test_a_job_genuinely_in_flight_leaves_the_server_alone(world):
    sid = world.server(task="powering-off", task_job_id=7, backend_job_id=7,
                       backend_opcode="OP_INSTANCE_SHUTDOWN", backend_status="running",
                       backend_event_time=T_JOB)
    world.instance(sid, running=False, admin_up=False, vcpus=4)
    world.cluster["jobs"][7] = JobInfo(7, "running", ("OP_INSTANCE_SHUTDOWN",))
    report = world.run(fix=ALL)
    assert report.records == [] and report.servers_in_flight == 1
    row = world.get(sid)
    assert (row.operstate, row.backend_status, row.task) == ("STARTED", "running", "powering-off")


# -- NICs and flavors -----------------------------------------------------------------------

NIC = NicInfo(0, mac="aa:00:00:00:00:01", ipv4="192.0.2.10", network="net1", link="br0")


def test_unsynced_nics_are_reported_then_replaced_by_ganeti_s(world):
    sid = world.server(nics=[{"index": 0, "mac": "aa:00:00:00:00:99", "ipv4": "192.0.2.99"}])
    world.instance(sid, nics=[NIC])
    report = world.run(fix=ALL - {DriftKind.NICS})
    assert kinds(report) == ["nics"] and world.get(sid).nics[0].ipv4 == "192.0.2.99"
    world.run(fix={DriftKind.NICS})
    (nic,) = world.get(sid).nics
    assert (nic.mac, nic.ipv4, nic.network, nic.link) == (NIC.mac, NIC.ipv4, "net1", "br0")
    assert world.run().records == []


def test_an_ipv6_address_ganeti_does_not_keep_is_not_drift(world):
    sid = world.server(nics=[{"index": 0, "mac": NIC.mac, "ipv4": NIC.ipv4, "network": "net1",
                              "link": "br0", "ipv6": "2001:db8::a800:ff:fe00:1"}])
    world.instance(sid, nics=[NIC])
    assert world.run(fix=ALL).records == []
    assert world.get(sid).nics[0].ipv6 == "2001:db8::a800:ff:fe00:1"


def test_flavor_drift_moves_the_server_to_the_matching_flavor(world):
    sid = world.server()
    world.instance(sid, vcpus=2, memory=2048)
    report = world.run(fix=ALL - {DriftKind.FLAVOR})
    assert kinds(report) == ["flavor"] and "matches flavor big" in report.records[0].drift.detail
    assert world.get(sid).flavor.name == "small"
    world.run(fix={DriftKind.FLAVOR})
    assert world.get(sid).flavor.name == "big"


def test_flavor_drift_without_a_matching_flavor_stays_reported(world):
    sid = world.server()
    world.instance(sid, vcpus=3, memory=3000)
    report = world.run(fix=ALL)
    assert report.records[0].action == "failed" and report.exit_code == 1
    assert world.get(sid).flavor.name == "small"


# -- ordering, races, failures, calls, logs ---------------------------------------------------

def test_a_fix_wins_over_a_stored_event_time_from_a_clock_ahead_of_ours(world):
    future = utcnow() + dt.timedelta(hours=1)
    sid = world.server(backend_job_id=5, backend_opcode="OP_INSTANCE_STARTUP",
                       backend_status="success", backend_event_time=future)
    world.instance(sid, running=False, admin_up=False)
    world.run(fix={DriftKind.UNSYNCED})
    row = world.get(sid)
    assert row.operstate == "STOPPED" and row.backend_event_time > future


def test_late_notifications_older_than_the_fix_are_ignored_newer_ones_applied(world):
    sid = world.server(backend_job_id=5, backend_opcode="OP_INSTANCE_STARTUP",
                       backend_status="running", backend_event_time=T_JOB)
    world.instance(sid, running=False, admin_up=False)
    world.cluster["jobs"][5] = JobInfo(5, "success", ("OP_INSTANCE_STARTUP",))
    world.run(fix=ALL)
    assert world.get(sid).operstate == "STOPPED"
    late = sm.OpStatusEvent(5, "OP_INSTANCE_STARTUP", sm.JobStatus.SUCCESS,
                            T_JOB + dt.timedelta(seconds=1))
    with world.core.uow() as uow:
        assert notif.apply_op_status(uow, world.core, sid, late).reason == "stale"
    newer = sm.OpStatusEvent(6, "OP_INSTANCE_STARTUP", sm.JobStatus.SUCCESS,
                             utcnow() + dt.timedelta(seconds=1))
    with world.core.uow() as uow:
        notif.apply_op_status(uow, world.core, sid, newer)
    assert world.get(sid).operstate == "STARTED"


def test_a_server_changed_by_a_notification_during_the_run_is_skipped(world):
    sid = world.server()

    def notification_arrives(phase, done, total):
        if phase == "compare" and done == total:
            with world.core.uow() as uow:
                notif.apply_op_status(uow, world.core, sid, sm.OpStatusEvent(
                    3, "OP_INSTANCE_SHUTDOWN", sm.JobStatus.SUCCESS, utcnow()))

    report = Reconciler(world.core, progress=notification_arrives).run(
        ReconcileOptions(all_servers=True, fix=ALL))
    assert report.records[0].action == "skipped"
    row = world.get(sid)
    assert row.operstate == "STOPPED" and not row.deleted


class DownDriver(DictDriver):
    def list_instances(self):
        raise BackendUnavailable("connection refused")


def test_an_unreachable_backend_is_reported_and_its_servers_untouched(world):
    down_id = world.seeder.backend(f"down-{uuid.uuid4().hex[:6]}", driver="down")
    world.core.driver_classes["down"] = DownDriver
    sid = world.seeder.server(down_id)
    ok = world.server()
    world.instance(ok)
    report = world.run(fix=ALL)
    assert report.exit_code == 3 and report.records == []
    assert [b.error for b in report.backends if b.error] == ["connection refused"]
    row = world.get(sid)
    assert not row.deleted and row.reconciled_at is None
    assert world.get(ok).reconciled_at is not None


def test_one_listing_per_backend_and_get_job_only_for_pending_jobs(world):
    other = f"b2-{uuid.uuid4().hex[:6]}"
    other_id = world.seeder.backend(other)
    for _ in range(20):
        world.instance(world.server())
        sid = world.seeder.server(other_id)
        DictDriver.cluster(other)["instances"][world.core.naming.instance_name(sid)] = \
            InstanceInfo(world.core.naming.instance_name(sid), True, True, 1, 1024)
    pending = world.server(backend_job_id=77, backend_opcode="OP_INSTANCE_REBOOT",
                           backend_status="queued", backend_event_time=T_JOB)
    world.instance(pending)
    world.cluster["jobs"][77] = JobInfo(77, "queued", ("OP_INSTANCE_REBOOT",))
    report = world.run()
    assert report.servers_checked == 41 and report.records == [] and report.servers_in_flight == 1
    assert world.cluster["calls"] == [("list_instances", None), ("get_job", 77)]
    assert DictDriver.cluster(other)["calls"] == [("list_instances", None)]
    assert sorted(b.calls for b in report.backends) == [1, 2]
    DictDriver.clusters.pop(other, None)


def test_each_fix_is_logged_with_server_backend_and_change(world, caplog):
    sid = world.server()
    world.instance(sid, running=False, admin_up=False)
    with caplog.at_level(logging.INFO, logger="synnefo.core.services.reconciliation"):
        world.run(fix={DriftKind.UNSYNCED})
    (line,) = [r.getMessage() for r in caplog.records if "fixed unsynced" in r.getMessage()]
    backend = world.get(sid).backend.name
    assert f"server {sid}" in line and backend in line and "STARTED -> STOPPED" in line
