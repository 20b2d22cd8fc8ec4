"""Reconciliation against the real plugins: the fake driver, and the Ganeti RAPI driver talking
HTTPS to the RAPI simulator. Every kind of drift at once; each --fix-* flag fixes its own kind
and nothing else."""
from __future__ import annotations

import uuid

import pytest

from synnefo.core.db.models import Backend, Nic, Server
from synnefo.core.domain.drift import DriftKind
from synnefo.core.services.reconciliation import Reconciler, ReconcileOptions
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.plugins.backends.ganeti import GanetiDriver
from synnefo.testing.rapi_simulator import RapiSimulator, make_tls
from synnefo.testing.reconcile import HookRecorder, Seeder, make_core

ALL = frozenset(DriftKind)


class DroppedBus:
    """A bus that loses every message: the failure reconciliation exists for."""

    def __init__(self):
        self.lost = []

    def publish(self, message):
        self.lost.append(message)

    def close(self):
        pass


class FakeCluster:
    """Drives the fake driver's simulated cluster behind Synnefo's back."""

    def __init__(self, core, seeder):
        self.backend_id = seeder.backend(f"fake-{uuid.uuid4().hex[:6]}", driver="fake",
                                         options={"job_delay": 60})
        self.driver = core.driver_for(_row(core, self.backend_id))

    def add(self, name, **kw):
        self.driver.add_instance(name, **kw)

    def set_state(self, name, **kw):
        self.driver.set_state(name, **kw)

    def finish(self, job_id):
        self.driver.cluster.execute(job_id)   # jobs wait 60 s on their own: run this one now

    def finish_jobs_of(self, name):
        for job in list(self.driver.cluster.jobs.values()):
            if job.instance == name and not job.finished:
                self.finish(job.id)

    def instances(self):
        return {i.name for i in self.driver.list_instances()}


class SimCluster:
    """Drives the RAPI simulator; the Ganeti driver reaches it over HTTPS with basic auth."""

    def __init__(self, core, seeder, sim, tls, password_file):
        self.sim = sim
        self.backend_id = seeder.backend(
            f"rapi-{uuid.uuid4().hex[:6]}", driver="ganeti", rapi_url=sim.url, username="admin",
            credentials_ref=f"file:{password_file}", options={"ca_file": tls.ca_file})
        self.driver = core.driver_for(_row(core, self.backend_id))

    def add(self, name, **kw):
        self.sim.add_instance(name, **kw)

    def set_state(self, name, **kw):
        self.sim.set_state(name, **kw)

    def finish(self, job_id):
        self.sim.finish_job(job_id)

    def finish_jobs_of(self, name):
        for job in self.sim.pending_jobs():
            if job.instance == name:
                self.finish(job.id)

    def instances(self):
        return {i.name for i in self.driver.list_instances()}


def _row(core, backend_id):
    with core.uow() as uow:
        return uow.session.get(Backend, backend_id)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=["fake", "ganeti"])
def env(request, migrated_url, tls, tmp_path):
    recorder = HookRecorder()
    core = make_core(migrated_url, {"fake": FakeDriver, "ganeti": GanetiDriver}, recorder)
    core.set_publisher(DroppedBus())
    seeder = Seeder(core)
    sim = None
    if request.param == "fake":
        cluster = FakeCluster(core, seeder)
    else:
        sim = RapiSimulator(users={"admin": "s3cret"}).start(tls.server_context)
        (tmp_path / "rapi.pw").write_text("s3cret\n")
        cluster = SimCluster(core, seeder, sim, tls, tmp_path / "rapi.pw")
    yield Env(core, seeder, cluster, recorder)
    core.close()
    if sim is not None:
        sim.stop()


class Env:
    def __init__(self, core, seeder, cluster, recorder):
        self.core, self.seeder, self.cluster, self.recorder = core, seeder, cluster, recorder

    def name(self, server_id):
        return self.core.naming.instance_name(server_id)

    def server_like_ganeti(self, flavor="small", **columns) -> int:
        """A server whose instance exists, with the NICs Ganeti reports (in sync)."""
        sid = self.seeder.server(self.cluster.backend_id, flavor=flavor, **columns)
        size = {"small": (1, 1024), "big": (2, 2048)}[flavor]
        self.cluster.add(self.name(sid), vcpus=size[0], memory_mib=size[1],
                         nics=[{"network": None, "ip": f"192.0.2.{sid % 250}"}])
        listed = {i.name: i for i in self.cluster.driver.list_instances()}[self.name(sid)]
        with self.core.uow() as uow:
            uow.session.get(Server, sid).nics = [
                Nic(index=n.index, mac=n.mac, ipv4=n.ipv4, ipv6=n.ipv6, link=n.link,
                    network=n.network) for n in listed.nics]
        return sid

    def run(self, fix=frozenset()):
        return Reconciler(self.core).run(ReconcileOptions(all_servers=True, fix=fix))


def every_drift(env) -> dict:
    """One server (or instance) per kind of drift, plus one in sync and one in flight."""
    ids = {"ok": env.server_like_ganeti()}
    ids["stale"] = env.seeder.server(env.cluster.backend_id)
    ids["orphan"] = 999_000 + ids["ok"]
    env.cluster.add(env.name(ids["orphan"]))
    ids["unsynced"] = env.server_like_ganeti()
    env.cluster.set_state(env.name(ids["unsynced"]), running=False, admin_up=False)
    ids["stuck"] = env.server_like_ganeti()
    job = env.cluster.driver.shutdown_instance(env.name(ids["stuck"]))
    env.cluster.finish(job)
    _pending(env, ids["stuck"], job, "powering-off", "OP_INSTANCE_SHUTDOWN")
    ids["nics"] = env.server_like_ganeti()
    with env.core.uow() as uow:
        uow.session.get(Server, ids["nics"]).nics[0].ipv4 = "203.0.113.77"
    ids["flavor"] = env.server_like_ganeti(flavor="big")
    with env.core.uow() as uow:
        uow.session.get(Server, ids["flavor"]).flavor_id = env.seeder.flavor_ids["small"]
    ids["flight"] = env.server_like_ganeti()
    job = env.cluster.driver.shutdown_instance(env.name(ids["flight"]))
    _pending(env, ids["flight"], job, "powering-off", "OP_INSTANCE_SHUTDOWN")
    env.cluster.set_state(env.name(ids["flight"]), running=False)   # mid-shutdown
    return ids


def _pending(env, sid, job, task, opcode):
    with env.core.uow() as uow:
        row = uow.session.get(Server, sid)
        row.task, row.task_job_id = task, job
        row.backend_job_id, row.backend_opcode, row.backend_status = job, opcode, "queued"


def state(env, sid):
    row = env.seeder.get(sid)
    return (row.operstate, row.deleted, row.task, row.flavor.name,
            tuple(n.ipv4 for n in row.nics))


KIND_OF = {"stale": DriftKind.STALE, "orphan": DriftKind.ORPHAN, "unsynced": DriftKind.UNSYNCED,
           "stuck": DriftKind.STUCK, "nics": DriftKind.NICS, "flavor": DriftKind.FLAVOR}


def test_every_kind_of_drift_is_detected_and_only_reported_by_default(env):
    ids = every_drift(env)
    before = {k: state(env, v) for k, v in ids.items() if k != "orphan"}
    report = env.run()
    found = {(r.drift.kind, r.drift.server_id) for r in report.records}
    assert found == {(kind, ids[key]) for key, kind in KIND_OF.items()}
    assert all(r.action == "reported" for r in report.records)
    assert report.servers_in_flight == 1 and report.exit_code == 1
    assert {k: state(env, ids[k]) for k in before} == before
    assert env.name(ids["orphan"]) in env.cluster.instances()
    unsynced = next(r for r in report.records if r.drift.kind == DriftKind.UNSYNCED)
    assert unsynced.drift.ganeti_value == "admin-down"
    backend = report.backends[0]
    assert backend.calls == 3   # one listing, get_job for the two pending jobs


@pytest.mark.parametrize("key", sorted(KIND_OF))
def test_each_fix_flag_fixes_its_kind_and_leaves_the_others(env, key):
    ids = every_drift(env)
    before = {k: state(env, v) for k, v in ids.items() if k != "orphan"}
    report = env.run(fix={KIND_OF[key]})
    actions = {r.drift.kind: r.action for r in report.records}
    assert actions.pop(KIND_OF[key]) == "fixed"
    assert set(actions.values()) == {"reported"}
    after = {k: state(env, v) for k, v in ids.items() if k != "orphan"}
    changed = {k for k in before if before[k] != after[k]}
    assert changed == ({key} if key != "orphan" else set())
    env.cluster.finish_jobs_of(env.name(ids["orphan"]))   # the deletion job runs in Ganeti
    assert (env.name(ids["orphan"]) in env.cluster.instances()) == (key != "orphan")
    expected = {"stale": ("DESTROYED", True), "unsynced": ("STOPPED", False),
                "stuck": ("STOPPED", False)}
    if key in expected:
        assert after[key][:2] == expected[key]
    if key == "stuck":
        assert after[key][2] is None   # the task is done
    if key == "nics":
        assert after[key][4] != ("203.0.113.77",)
    if key == "flavor":
        assert after[key][3] == "big"
    rerun = env.run()
    assert KIND_OF[key] not in {r.drift.kind for r in rerun.records}


def test_fix_all_brings_everything_in_line_except_the_job_in_flight(env):
    ids = every_drift(env)
    flight = state(env, ids["flight"])
    report = env.run(fix=ALL)
    assert report.exit_code == 0 and {r.action for r in report.records} == {"fixed"}
    assert state(env, ids["flight"]) == flight
    env.cluster.finish_jobs_of(env.name(ids["orphan"]))
    assert env.run().records == []
    changes = {(e.server_id, e.new_operstate) for e in env.recorder.state_changes}
    assert {(ids["stale"], "DESTROYED"), (ids["unsynced"], "STOPPED"),
            (ids["stuck"], "STOPPED")} <= changes


def test_error_down_is_told_from_admin_down_and_fixed_only_with_its_flag(env):
    crashed = env.server_like_ganeti()
    env.cluster.set_state(env.name(crashed), running=False)   # still admin-up: error-down
    report = env.run(fix=ALL - {DriftKind.UNSYNCED})
    (record,) = report.records
    assert (record.drift.kind, record.drift.ganeti_value, record.action) == \
        (DriftKind.UNSYNCED, "error-down", "reported")
    assert state(env, crashed)[0] == "STARTED"
    report = env.run(fix={DriftKind.UNSYNCED})
    assert report.records[0].action == "fixed" and state(env, crashed)[0] == "STOPPED"
    assert "error-down" in env.seeder.get(crashed).backend_logmsg


def test_a_job_vanished_from_ganeti_is_stuck_and_judged_from_the_instance(env):
    removed = env.seeder.server(env.cluster.backend_id, task="deleting", task_job_id=987_654)
    report = env.run(fix=ALL - {DriftKind.STUCK})
    (record,) = report.records
    assert (record.drift.kind, record.action) == (DriftKind.STUCK, "reported")
    assert "gone from Ganeti" in record.drift.detail and report.exit_code == 1
    assert state(env, removed)[1:3] == (False, "deleting")
    report = env.run(fix={DriftKind.STUCK})
    assert report.records[0].action == "fixed" and report.exit_code == 0
    assert state(env, removed)[1:3] == (True, None)
