"""Pure job-file logic against the job files recorded from a real Ganeti 3.0 cluster."""
import datetime as dt
import json

import pytest

from ganeti_testlib import load_version, recorded_status, versions
from synnefo.daemons.eventd import jobs


def _job(path):
    return jobs.parse_job(load_version(path))


def _at(pair):
    return dt.datetime.fromtimestamp(pair[0], dt.timezone.utc).replace(microsecond=pair[1])


def test_create_job_yields_one_event_per_version_with_growing_status():
    seen = [jobs.op_events(_job(p)) for p in versions("create-success")]
    assert all(len(events) == 1 for events in seen)
    statuses = [events[0].status for events in seen]
    assert statuses[0] == "queued" and statuses[-1] == "success"
    assert "waiting" in statuses and "running" in statuses
    first = seen[0][0]
    assert (first.job_id, first.index, first.instance, first.opcode) == \
        (6, 0, "snf-101", "OP_INSTANCE_CREATE")


def test_event_time_comes_from_the_job_timestamps_that_match_the_status():
    raw = [json.loads(load_version(p)) for p in versions("create-success")]
    queued, final = raw[0], raw[-1]
    running = next(j for j in raw if j["ops"][0]["status"] == "running")
    waiting = next(j for j in raw if j["ops"][0]["status"] == "waiting")
    assert jobs.op_events(queued)[0].event_time == _at(queued["received_timestamp"])
    assert jobs.op_events(waiting)[0].event_time == _at(waiting["ops"][0]["start_timestamp"])
    assert jobs.op_events(running)[0].event_time == _at(running["ops"][0]["exec_timestamp"])
    assert jobs.op_events(final)[0].event_time == _at(final["ops"][0]["end_timestamp"])


def test_logmsg_is_the_last_log_line_of_the_op():
    final = _job(versions("create-success")[-1])
    event = jobs.op_events(final)[0]
    assert event.logmsg == final["ops"][0]["log"][-1][3]


def test_failed_op_reports_its_error_even_when_the_log_is_empty():
    vetoed = jobs.op_events(_job(versions("hook-pre-veto")[-1]))[0]
    assert vetoed.status == "error" and vetoed.opcode == "OP_INSTANCE_REBOOT"
    assert vetoed.logmsg.startswith("HooksAbort: ")
    assert "veto from fixture pre-hook for snf-103" in vetoed.logmsg
    bad_os = jobs.op_events(_job(versions("create-fail-unknown-os")[-1]))[0]
    assert bad_os.logmsg.startswith("OpExecError: OS Parameters validation failed")


def test_multi_op_job_reports_every_instance_op_and_skips_the_delay():
    events = jobs.op_events(_job(versions("multi-op-success")[-1]))
    assert [(e.index, e.opcode, e.status) for e in events] == [
        (0, "OP_INSTANCE_SHUTDOWN", "success"), (1, "OP_INSTANCE_STARTUP", "success")]


def test_multi_op_failure_reports_the_failed_op_with_the_job_end_time():
    job = _job(versions("multi-op-fail")[-1])
    (event,) = jobs.op_events(job)
    assert (event.index, event.instance, event.status) == (1, "snf-999", "error")
    assert event.logmsg == "OpPrereqError: Instance 'snf-999' not known"
    assert event.event_time == _at(job["ops"][1]["end_timestamp"])


def test_a_job_between_two_ops_is_queued_but_each_op_keeps_its_own_status():
    between = [p for p in versions("multi-op-success") if recorded_status(p) == "queued"][-1]
    events = jobs.op_events(_job(between))
    assert [e.status for e in events][0] == "success"


@pytest.mark.parametrize("scenario", ["other-op-os-diagnose", "delay-canceled"])
def test_jobs_that_touch_no_instance_give_no_event(scenario):
    for path in versions(scenario):
        assert jobs.op_events(_job(path)) == []


def test_query_data_on_a_one_item_instances_list_is_reported():
    (event,) = jobs.op_events(_job(versions("instance-info-query")[-1]))
    assert (event.instance, event.opcode) == ("snf-101", "OP_INSTANCE_QUERY_DATA")


def test_query_on_several_instances_is_skipped():
    job = _job(versions("instance-info-query")[-1])
    job["ops"][0]["input"]["instances"] = ["snf-101", "snf-103"]
    assert jobs.op_events(job) == []


def test_message_carries_the_wire_format():
    event = jobs.op_events(_job(versions("create-success")[-1]))[0]
    message = event.to_message("cluster.example.test")
    assert message.exchange == "ganeti"
    assert message.routing_key == "ganeti.snf.event.op"
    assert message.body == {
        "type": "ganeti-op-status", "instance": "snf-101", "operation": "OP_INSTANCE_CREATE",
        "jobId": 6, "status": "success", "logmsg": event.logmsg,
        "event_time": [int(event.event_time.timestamp()), event.event_time.microsecond],
        "cluster": "cluster.example.test"}


@pytest.mark.parametrize("data", [b"", b'{"id": 6, "ops": [{"input"', b"[1, 2]", b'{"id": "6"}',
                                  b"\xff\xfe"])
def test_half_written_or_foreign_files_are_rejected_cleanly(data):
    with pytest.raises(jobs.BadJobFile):
        jobs.parse_job(data)


def test_truncated_recorded_file_is_rejected():
    data = load_version(versions("create-success")[-1])
    with pytest.raises(jobs.BadJobFile):
        jobs.parse_job(data[: len(data) // 2])


@pytest.mark.parametrize("name, job_id", [
    ("job-22", 22), ("job-200", 200), ("job-22adw9lkgy.new", None),
    ("job-200a8g5i0q.new", None), ("job-6-27001-3.tmp", None), ("serial", None),
    ("serial-27001-1.tmp", None), ("job-", None), ("xjob-1", None), ("job-1\n", None)])
def test_only_final_job_file_names_are_accepted(name, job_id):
    assert jobs.job_id_of(name) == job_id
