"""A server's whole life on a real Ganeti, checked on both sides: the API's status and what
RAPI reports (flavor as beparams, OS, NICs), plus what the OS definition received."""
from __future__ import annotations

from labhelpers import job_ids, new_jobs_for, until
from latencies import timed


def test_create_stop_start_reboot_delete(stack, api, rapi, ganeti_lab):
    server_id = api.create("lab-lifecycle")
    with timed("create -> ACTIVE"):
        server = api.wait(server_id, "ACTIVE")
    name = stack.instance(server_id)
    info = rapi.instance(name)
    assert info["status"] == "running"
    assert info["os"] == ganeti_lab.env["GANETI_LAB_OS_IMAGE"]
    assert (info["beparams"]["vcpus"], info["beparams"]["maxmem"]) == (1, 512)  # m1.tiny
    assert info["nic.networks.names"] == [ganeti_lab.env["GANETI_LAB_NETWORK"]]
    ip = info["nic.ips"][0]
    assert ip.startswith("198.51.100.")
    addresses = [a["addr"] for net in server["addresses"].values() for a in net]
    assert addresses == [ip], server["addresses"]
    received = ganeti_lab.osparams(name)
    assert received["OS_NAME"] == "snf-image" and received["OS_VARIANT"] == "default"
    assert received["OSP_IMG_ID"] == "cirros-0.6.diskdump"
    assert received["OSP_IMG_FORMAT"] == "diskdump"
    assert received.get("OSP_IMG_PASSWD"), "the OS never got the server's password"

    with timed("stop -> SHUTOFF"):
        api.action(server_id, {"os-stop": None})
        api.wait(server_id, "SHUTOFF")
    assert rapi.instance(name)["status"] == "ADMIN_down"

    with timed("start -> ACTIVE"):
        api.action(server_id, {"os-start": None})
        api.wait(server_id, "ACTIVE")
    assert rapi.instance(name)["status"] == "running"

    for kind in ("SOFT", "HARD"):
        before = job_ids(rapi)
        with timed(f"reboot {kind.lower()} -> ACTIVE"):
            api.action(server_id, {"reboot": {"type": kind}})
            api.wait(server_id, "ACTIVE")
        reboots = new_jobs_for(rapi, before, f"INSTANCE_REBOOT({name})")
        assert reboots, f"no {kind} reboot job reached Ganeti"
        job = rapi.wait_job(reboots[0])
        assert job["status"] == "success"
        assert job["ops"][0]["reboot_type"] == kind.lower()
        assert rapi.instance(name)["status"] == "running"

    with timed("delete -> gone"):
        api.delete(server_id)
        api.wait(server_id, "DELETED")
    until(lambda: rapi.instance(name) is None, f"{name} is still in Ganeti")

