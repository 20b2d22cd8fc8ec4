"""Ganeti jobs that are not a plain success: a create that Ganeti refuses, and jobs of
several opcodes (submitted the way ``gnt-debug submit-job`` does, over luxi)."""
from __future__ import annotations

import json
import re

import pytest

from labhelpers import job_ids, new_jobs_for, until

STRICT_MAX_MEMORY = 256   # MiB; the flavor used below (m1.tiny) has 512
BOUNDS = ("min:disk-size=0,cpu-count=1,disk-count=0,memory-size=1,nic-count=0,spindle-use=0/"
          "max:disk-size=1048576,cpu-count=64,disk-count=16,memory-size={max_mem},nic-count=8,"
          "spindle-use=64")


@pytest.fixture
def strict_ipolicy(ganeti_lab):
    """The node group's instance policy allows at most STRICT_MAX_MEMORY MiB, for this test."""
    ganeti_lab.run("gnt-group", "modify", "--ipolicy-bounds-specs",
                   BOUNDS.format(max_mem=STRICT_MAX_MEMORY), "default")
    yield
    ganeti_lab.run("gnt-group", "modify", "--ipolicy-bounds-specs", "default", "default")


@pytest.fixture
def server(stack, api):
    server_id = api.create("lab-jobs")
    api.wait(server_id, "ACTIVE")
    yield server_id
    api.delete(server_id)
    api.wait(server_id, "DELETED")


def test_create_refused_by_the_instance_policy_goes_error_with_ganetis_reason(
        stack, api, rapi, strict_ipolicy):
    before = job_ids(rapi)
    server_id = api.create("lab-too-big")
    server = api.wait(server_id, "ERROR", task_state_clear=False)
    name = stack.instance(server_id)
    [job_id] = new_jobs_for(rapi, before, f"INSTANCE_CREATE({name})")
    error_class, (reason, *_code) = rapi.get(f"/2/jobs/{job_id}")["opresult"][0]
    # hail reports the policy's memory bound as a failed memory fit
    assert error_class == "OpPrereqError" and "FailMem" in reason, reason
    assert reason in server["fault"]["message"], server["fault"]
    assert rapi.instance(name) is None
    api.delete(server_id)
    api.wait(server_id, "DELETED")


def submit_job(ganeti_lab, ops: list[dict]) -> int:
    """One Ganeti job made of ``ops``; waits for it and returns its id."""
    path = ganeti_lab.dir / "run" / f"ops-{len(ops)}-{ops[0].get('instance_name', 'x')}.json"
    path.write_text(json.dumps(ops))
    out = ganeti_lab.run("gnt-debug", "submit-job", str(path), check=False)
    return int(re.search(r"Waiting for job (\d+)", out).group(1))


def test_multi_opcode_job_applies_each_opcode_in_order(stack, api, rapi, ganeti_lab, server):
    name = stack.instance(server)
    ops = [{"OP_ID": "OP_INSTANCE_SHUTDOWN", "instance_name": name},
           {"OP_ID": "OP_INSTANCE_STARTUP", "instance_name": name},
           {"OP_ID": "OP_INSTANCE_SHUTDOWN", "instance_name": name}]
    job = rapi.wait_job(submit_job(ganeti_lab, ops))
    assert job["opstatus"] == ["success"] * 3
    api.wait(server, "SHUTOFF")
    assert rapi.instance(name)["status"] == "ADMIN_down"


def test_multi_opcode_job_failing_halfway_keeps_what_the_first_opcode_did(
        stack, api, rapi, ganeti_lab, server):
    name = stack.instance(server)
    ops = [{"OP_ID": "OP_INSTANCE_SHUTDOWN", "instance_name": name},
           {"OP_ID": "OP_INSTANCE_STARTUP", "instance_name": stack.instance("999999")},
           {"OP_ID": "OP_INSTANCE_STARTUP", "instance_name": name}]
    job = rapi.wait_job(submit_job(ganeti_lab, ops))
    assert job["opstatus"] == ["success", "error", "error"]
    api.wait(server, "SHUTOFF")
    until(lambda: api.server(server)["status"] == "SHUTOFF", "the server did not stay SHUTOFF")
