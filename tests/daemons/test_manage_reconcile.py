"""snf-manage reconcile end to end: a real .ini, the fake backend sharing its state file with the
test, reports for people and machines, exit codes, the progress bar only on a terminal."""
from __future__ import annotations

import argparse
import io
import json

import pytest

from synnefo.core.contracts import BackendInfo
from synnefo.daemons.manage import main, reconcile
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.testing.inifiles import write_ini
from synnefo.testing.reconcile import Seeder, make_core


class NoBus:
    def publish(self, message):
        pass

    def close(self):
        pass


@pytest.fixture
def deployment(tmp_path, db_url):
    ini = write_ini(tmp_path, {"db_url": db_url, "backend_drivers": "fake ganeti",
                               "console_proxy": "fake",
                               "amqp_url": f"sqla+sqlite:///{tmp_path}/broker.sqlite"})
    assert main(["-c", str(ini), "db", "upgrade"]) == 0
    core = make_core(db_url, {"fake": FakeDriver})
    core.set_publisher(NoBus())
    seeder = Seeder(core)
    options = {"state_file": str(tmp_path / "cluster.json"), "job_delay": 60}
    backend_id = seeder.backend("c1", driver="fake", options=options)
    cluster = FakeDriver(BackendInfo(backend_id, "c1", "fake", options=options), core=None)
    yield Deployment(str(ini), core, seeder, backend_id, cluster)
    cluster.close()
    core.close()


class Deployment:
    def __init__(self, ini, core, seeder, backend_id, cluster):
        self.ini, self.core, self.seeder = ini, core, seeder
        self.backend_id, self.cluster = backend_id, cluster

    def server(self, operstate="STARTED", instance=True, **state) -> int:
        sid = self.seeder.server(self.backend_id, operstate)
        if instance:
            self.cluster.add_instance(self.core.naming.instance_name(sid), nics=[], **state)
        return sid

    def reconcile(self, capsys, *args):
        capsys.readouterr()
        code = main(["-c", self.ini, "reconcile", *args])
        out = capsys.readouterr()
        return code, out.out, out.err


def test_in_sync_exits_0_with_a_summary_table(deployment, capsys):
    deployment.server()
    code, out, err = deployment.reconcile(capsys, "--all")
    assert code == 0
    assert "in sync" in out and "1 of 1 live servers checked" in out
    assert "comparing servers" not in err   # stderr is not a terminal: no progress bar


def test_drift_is_reported_as_json_and_exits_1(deployment, capsys):
    stale = deployment.server(instance=False)
    down = deployment.server(running=False, admin_up=True)
    code, out, _ = deployment.reconcile(capsys, "--all", "--json")
    assert code == 1
    report = json.loads(out)
    assert set(report) >= {"started", "finished", "mode", "servers_total", "servers_checked",
                           "backends", "drift", "summary", "in_sync", "exit_code"}
    assert report["mode"] == "all" and report["exit_code"] == 1 and not report["in_sync"]
    by_server = {d["server_id"]: d for d in report["drift"]}
    assert by_server[stale]["kind"] == "stale" and by_server[stale]["action"] == "reported"
    assert by_server[down]["kind"] == "unsynced" and by_server[down]["ganeti"] == "error-down"
    assert report["summary"]["stale"] == {"found": 1, "fixed": 0}
    assert report["backends"] == [{"name": "c1", "servers_checked": 2, "instances": 1,
                                   "calls": 1, "error": None}]
    assert not deployment.seeder.get(stale).deleted


def test_fix_flags_repair_and_a_second_run_is_clean(deployment, capsys):
    stale = deployment.server(instance=False)
    down = deployment.server(running=False, admin_up=False)
    code, out, err = deployment.reconcile(capsys, "--all", "--fix-stale")
    assert code == 1 and "fixed" in out and "reported" in out
    assert f"fixed stale drift of server {stale}" in err   # the INFO log names the fix
    assert deployment.seeder.get(stale).deleted
    assert deployment.seeder.get(down).operstate == "STARTED"
    code, _, _ = deployment.reconcile(capsys, "--all", "--fix-all")
    assert code == 0 and deployment.seeder.get(down).operstate == "STOPPED"
    assert deployment.reconcile(capsys, "--all")[0] == 0


def test_orphans_are_deleted_in_ganeti_only_with_fix_orphans(deployment, capsys):
    deployment.cluster.add_instance("snf-424242")
    deployment.cluster.add_instance("someone-else-1")
    code, out, _ = deployment.reconcile(capsys, "--all", "--fix-stale", "--fix-unsynced")
    assert code == 1 and "snf-424242" in out and "reported" in out
    code, out, _ = deployment.reconcile(capsys, "--all", "--fix-orphans", "--json")
    (drift,) = json.loads(out)["drift"]
    assert (drift["instance"], drift["action"], code) == ("snf-424242", "fixed", 0)
    deployment.cluster.list_instances()   # reloads the shared state file
    removes = [j for j in deployment.cluster.cluster.jobs.values()
               if j.opcode == "OP_INSTANCE_REMOVE"]
    assert [j.instance for j in removes] == ["snf-424242"]


def test_staggered_mode_checks_the_batch_for_its_interval(deployment, capsys):
    for _ in range(40):
        deployment.server()
    code, out, _ = deployment.reconcile(capsys, "--interval", "5", "--json")
    report = json.loads(out)
    assert code == 0 and report["mode"] == "staggered"
    assert (report["servers_total"], report["servers_checked"]) == (40, 7)   # ceil(40/30*5)


def test_an_unreachable_backend_exits_3(deployment, capsys):
    deployment.server()
    deployment.seeder.backend("down", driver="ganeti", rapi_url="https://127.0.0.1:9",
                              options={"retries": 0, "connect_timeout": 2})
    code, out, err = deployment.reconcile(capsys, "--all", "--fix-all")
    assert code == 3 and "backend down" in out and "error" in out
    assert "backend down could not be listed" in err


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_interval_is_a_usage_error(deployment, capsys, value):
    with pytest.raises(SystemExit) as exc:
        main(["-c", deployment.ini, "reconcile", "--interval", value])
    assert exc.value.code == 2 and "interval" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_is_drawn_on_a_terminal_only(deployment):
    for _ in range(3):
        deployment.server()

    class Ctx:
        core = deployment.core

    args = argparse.Namespace(all_servers=True, interval=1, fix=None, fix_all=False, json=True)
    terminal, pipe, out = Terminal(), io.StringIO(), io.StringIO()
    assert reconcile.run(args, Ctx, stdout=out, stderr=terminal) == 0
    assert reconcile.run(args, Ctx, stdout=out, stderr=pipe) == 0
    assert "comparing servers" in terminal.getvalue() and pipe.getvalue() == ""
