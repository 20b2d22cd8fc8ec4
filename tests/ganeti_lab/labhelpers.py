"""Small helpers shared by the lab test modules."""
from __future__ import annotations

import json
import time

import sqlalchemy as sa


def until(predicate, message: str, timeout: float = 60.0, interval: float = 0.2):
    """Wait until ``predicate()`` is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message)


def job_ids(rapi) -> set[int]:
    return {int(j["id"]) for j in rapi.get("/2/jobs")}


def new_jobs_for(rapi, before: set[int], summary: str) -> list[int]:
    """Jobs submitted since ``before`` whose summary is ``summary`` (e.g. INSTANCE_REBOOT(x))."""
    return sorted(j for j in job_ids(rapi) - before
                  if rapi.get(f"/2/jobs/{j}")["summary"] == [summary])


def reconcile(stack, *flags: str) -> dict:
    """``snf-manage reconcile --all --json FLAGS`` on the host; the parsed report."""
    result = stack.manage("reconcile", "--all", "--json", *flags)
    try:
        return json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"reconcile printed no JSON: {result.stdout}\n{result.stderr}") from None


def drift_for(report: dict, instance: str) -> list[dict]:
    return [d for d in report["drift"] if d["instance"] == instance]


def rapi_create(rapi, lab, name: str, start: bool = True) -> int:
    """Create an instance straight over RAPI (out of band), like an operator would."""
    body = {"__version__": 1, "mode": "create", "instance_name": name, "disk_template": "diskless",
            "disks": [], "nics": [{}], "os_type": lab.env["GANETI_LAB_OS_IMAGE"],
            "osparams": {"img_id": "oob", "img_format": "diskdump", "img_passwd": "x"},
            "beparams": {"vcpus": 1, "maxmem": 128, "minmem": 128}, "name_check": False,
            "ip_check": False, "start": start, "iallocator": "hail"}
    return int(rapi.call("POST", "/2/instances", json=body))


def backdate(core, server_id: str, minutes: int = 10) -> None:
    """Make a server look older than reconcile's create grace period."""
    from synnefo.core.db.models import Server
    with core.uow() as uow:
        uow.session.execute(sa.update(Server).where(Server.id == int(server_id)).values(
            created=sa.func.now() - sa.text(f"interval '{int(minutes)} minutes'")))
