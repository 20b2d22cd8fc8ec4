"""Changes made straight over RAPI (out of band), and drift that only reconcile can repair."""
from __future__ import annotations

import pytest

from labhelpers import backdate, drift_for, rapi_create, reconcile, until
from latencies import timed


@pytest.fixture
def server(stack, api):
    """An ACTIVE server, deleted afterwards (if still there)."""
    server_id = api.create("lab-oob")
    api.wait(server_id, "ACTIVE")
    yield server_id
    if (api.server(server_id) or {}).get("status") not in (None, "DELETED"):
        api.delete(server_id)
        api.wait(server_id, "DELETED")


@pytest.fixture
def eventd_down(stack):
    """The eventd stopped for the test, started again afterwards (it then catches up)."""
    stack.stop_eventd()
    yield
    stack.start_eventd()


def test_shutdown_and_startup_over_rapi_reach_the_api(stack, api, rapi, server):
    name = stack.instance(server)
    with timed("out-of-band shutdown -> SHUTOFF"):
        rapi.wait_job(rapi.call("PUT", f"/2/instances/{name}/shutdown"))
        api.wait(server, "SHUTOFF")
    with timed("out-of-band startup -> ACTIVE"):
        rapi.wait_job(rapi.call("PUT", f"/2/instances/{name}/startup"))
        api.wait(server, "ACTIVE")


def test_stop_while_eventd_is_down_is_repaired_by_reconcile(stack, api, rapi, server,
                                                             eventd_down):
    name = stack.instance(server)
    job = rapi.wait_job(rapi.call("PUT", f"/2/instances/{name}/shutdown"))
    assert job["status"] == "success"
    assert api.server(server)["status"] == "ACTIVE"   # nobody told the database

    report = reconcile(stack, "--fix-unsynced")
    [drift] = drift_for(report, name)
    assert (drift["kind"], drift["ganeti"], drift["action"]) == ("unsynced", "admin-down", "fixed")
    api.wait(server, "SHUTOFF")


def test_crashed_instance_is_repaired_by_reconcile(stack, api, rapi, server, ganeti_lab):
    """The fake hypervisor's running instances are files: removing one is a crash."""
    name = stack.instance(server)
    ganeti_lab.run("rm", f"{ganeti_lab.env['GANETI_LAB_FAKE_HV_DIR']}/{name}")
    until(lambda: rapi.instance(name)["status"] == "ERROR_down",
          f"Ganeti never noticed that {name} crashed")

    report = reconcile(stack, "--fix-unsynced")
    [drift] = drift_for(report, name)
    assert (drift["kind"], drift["ganeti"], drift["action"]) == ("unsynced", "error-down", "fixed")
    api.wait(server, "SHUTOFF")


def test_instance_removed_while_eventd_is_down_is_marked_deleted(stack, api, rapi, server,
                                                                 eventd_down):
    name = stack.instance(server)
    backdate(stack.core, server)   # older than reconcile's grace period for fresh creates
    job = rapi.wait_job(rapi.call("DELETE", f"/2/instances/{name}"))
    assert job["status"] == "success"
    assert api.server(server)["status"] == "ACTIVE"

    report = reconcile(stack, "--fix-stale")
    [drift] = drift_for(report, name)
    assert (drift["kind"], drift["ganeti"], drift["action"]) == ("stale", "missing", "fixed")
    api.wait(server, "DELETED")


def test_orphan_instance_is_removed_by_reconcile(stack, api, rapi, ganeti_lab):
    name = stack.instance("987654")   # our prefix, but no server has this id
    assert rapi.wait_job(rapi_create(rapi, ganeti_lab, name))["status"] == "success"

    report = reconcile(stack, "--fix-orphans")
    [drift] = drift_for(report, name)
    assert (drift["kind"], drift["action"]) == ("orphan", "fixed")
    until(lambda: rapi.instance(name) is None, f"reconcile did not remove the orphan {name}")
