"""RAPI answers of Ganeti 3.0 (recorded) and of Ganeti 2.x (older shapes) are both understood."""
import datetime as dt

import pytest
from backend_testlib import rapi_fixture

from synnefo.plugins.backends import ganeti_answers as answers


def test_a_recorded_running_instance_with_two_nics():
    info = answers.instance_info(rapi_fixture("get-instance")["body"])
    assert (info.name, info.running, info.admin_up, info.status) == (
        "snf-101", True, True, "running")
    assert (info.vcpus, info.memory_mib, info.primary_node) == (1, 256, "node1.example.test")
    assert [(n.index, n.mac, n.ipv4, n.link, n.network) for n in info.nics] == [
        (0, "aa:00:00:5e:01:01", "198.51.100.201", "gnt-br0", "snf-net"),
        (1, "aa:00:00:5e:01:02", "198.51.100.150", "gnt-br0", None)]


def test_a_recorded_instance_after_shutdown_is_admin_down():
    info = answers.instance_info(rapi_fixture("get-instance-after-shutdown")["body"])
    assert (info.running, info.admin_up, info.status) == (False, False, "ADMIN_down")


def test_the_recorded_bulk_listing():
    listed = [answers.instance_info(d) for d in rapi_fixture("get-instances-bulk")["body"]]
    assert [(i.name, len(i.nics), i.nics[0].ipv4) for i in listed] == [
        ("snf-101", 2, "198.51.100.201"), ("snf-103", 1, None)]


@pytest.mark.parametrize("status, running, admin_up", [
    ("running", True, True), ("ADMIN_down", False, False), ("ERROR_down", False, True),
    ("ERROR_up", True, False), ("ERROR_nodedown", False, True), ("ERROR_wrongnode", True, True),
    ("USER_down", False, False), ("ADMIN_offline", False, False)])
def test_ganeti_2_answers_without_oper_state_use_the_status(status, running, admin_up):
    old = {"name": "snf-1", "status": status, "beparams": {"memory": 512, "vcpus": 2},
           "nic.macs": ["aa:00:00:00:00:01"], "nic.ips": ["10.0.0.2"], "nic.bridges": ["br0"]}
    info = answers.instance_info(old)
    assert (info.running, info.admin_up) == (running, admin_up)
    assert (info.memory_mib, info.vcpus, info.nics[0].link, info.nics[0].network) == (
        512, 2, "br0", None)


def test_ganeti_2_boolean_admin_state():
    info = answers.instance_info({"name": "snf-1", "admin_state": False, "oper_state": True,
                                  "status": "ERROR_up"})
    assert (info.running, info.admin_up, info.nics) == (True, False, ())


def test_a_recorded_failed_job_carries_ganetis_reason():
    job = answers.job_info(rapi_fixture("get-job-failed")["body"])
    assert (job.id, job.status, job.opcodes) == (17, "error", ("OP_INSTANCE_STARTUP",))
    assert job.log_message == "OpPrereqError: Instance 'snf-999' not known"
    assert job.end_time == dt.datetime.fromtimestamp(1795618551, dt.timezone.utc).replace(
        microsecond=193783)


def test_a_recorded_successful_job_reports_its_last_log_line():
    job = answers.job_info(rapi_fixture("get-job-archived")["body"])
    assert (job.status, job.op_statuses) == ("success", ("success",))
    assert job.log_message == "* starting instance..."


def test_a_recorded_multi_op_job_that_failed_in_its_second_op():
    job = answers.job_info(rapi_fixture("get-job-multi-op-fail")["body"])
    assert job.status == "error" and job.op_statuses[:2] == ("success", "error")
    assert job.log_message and "Preceding opcode failed" not in job.log_message


def test_an_unknown_job_is_200_with_nulls_and_has_no_status():
    job = answers.job_info(rapi_fixture("get-job-unknown-id")["body"])
    assert (job.id, job.status, job.opcodes, job.end_time) == (999999, None, (), None)


def test_the_ganeti_2_waitlock_status_is_waiting():
    job = answers.job_info({"id": 5, "status": "waitlock", "opstatus": ["waitlock"],
                            "ops": [{"OP_ID": "OP_INSTANCE_STARTUP"}]})
    assert (job.status, job.op_statuses) == ("waiting", ("waiting",))


def test_a_hooks_abort_keeps_its_details():
    text = answers.error_text(["HooksAbort", [["node", "60-veto", "veto from fixture"]]])
    assert text.startswith("HooksAbort") and "veto from fixture" in text


def test_the_recorded_cluster_and_nodes():
    info = answers.cluster_info(rapi_fixture("get-info")["body"],
                                rapi_fixture("get-nodes-bulk")["body"])
    assert (info.name, info.software_version, info.master, info.nodes) == (
        "cluster.example.test", "3.0.2", "node1.example.test", 1)
    assert (info.memory_total_mib, info.memory_free_mib, info.vcpus_total) == (24105, 23182, 2)
