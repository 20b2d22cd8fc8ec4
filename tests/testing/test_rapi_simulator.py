"""The RAPI simulator answers like the recorded Ganeti 3.0.2 cluster and writes its job files."""
from __future__ import annotations

import json
import os

import pytest
import requests
from inotify_simple import INotify, flags

from synnefo.testing.rapi_simulator import RapiSimulator, make_tls

RAPI = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ganeti-3.0", "rapi")
JOBS = os.path.join(os.path.dirname(__file__), "..", "fixtures", "ganeti-3.0", "jobs")


def recorded(name: str) -> dict:
    with open(os.path.join(RAPI, f"{name}.json"), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def sim(tls, tmp_path):
    simulator = RapiSimulator(users={"admin": "secret", "reader": "ro"},
                              read_only_users=("reader",), queue_dir=tmp_path / "queue")
    simulator.start(tls.server_context)
    yield simulator
    simulator.stop()


@pytest.fixture
def rapi(sim, tls):
    """``rapi(method, path, json=..., auth=...)`` -> requests.Response."""
    def call(method, path, auth=("admin", "secret"), **kw):
        return requests.request(method, sim.url + path, auth=auth, verify=tls.ca_file,
                                timeout=10, **kw)
    return call


@pytest.mark.parametrize("name, auth", [
    ("error-400-bad-body-mode", ("admin", "secret")),
    ("error-400-missing-version", ("admin", "secret")),
    ("error-401-no-auth", None),
    ("error-401-wrong-password", ("admin", "nope")),
    ("error-403-read-only-user-write", ("reader", "ro")),
    ("error-404-unknown-instance", ("admin", "secret")),
    ("error-404-unknown-resource", ("admin", "secret")),
    ("error-501-delete-on-read-only-resource", ("admin", "secret")),
])
def test_errors_have_ganetis_status_and_body(rapi, sim, name, auth):
    sim.add_instance("snf-101")
    exchange = recorded(name)
    kw = {"json": exchange["request_body"]} if "request_body" in exchange else {}
    response = rapi(exchange["method"], exchange["path"], auth=auth, **kw)
    assert response.status_code == exchange["status"]
    assert response.headers["content-type"] == "application/json"
    assert response.json() == exchange["body"]


def test_invalid_json_is_a_400(rapi):
    response = rapi("POST", "/2/instances", data=b"{not json")
    expected = recorded("error-400-invalid-json")["body"]
    assert (response.status_code, response.json()) == (400, expected)


def test_an_unknown_job_is_200_with_every_field_null(rapi):
    assert rapi("GET", "/2/jobs/999999").json() == recorded("get-job-unknown-id")["body"]


def test_instances_and_jobs_have_the_recorded_shapes(rapi, sim):
    exchange = recorded("post-instances-create")
    job = rapi("POST", "/2/instances", json=exchange["request_body"]).json()
    assert isinstance(job, int)
    queued = rapi("GET", f"/2/jobs/{job}").json()
    assert set(queued) == set(recorded("get-job-create-success-queued")["body"])
    assert (queued["status"], queued["summary"]) == ("queued", ["INSTANCE_CREATE(snf-101)"])
    sim.finish_job(job)
    instance = rapi("GET", "/2/instances/snf-101").json()
    assert set(instance) == set(recorded("get-instance")["body"])
    assert (instance["nic.ips"], instance["nic.macs"], instance["nic.networks.names"]) == (
        ["198.51.100.201", "198.51.100.150"], ["aa:00:00:5e:01:01", "aa:00:00:5e:01:02"],
        ["snf-net", None])
    listing = rapi("GET", "/2/instances").json()
    assert listing == [{"id": "snf-101", "uri": "/2/instances/snf-101"}]


def test_a_write_on_an_unknown_instance_is_accepted_and_its_job_fails(rapi, sim):
    exchange = recorded("put-startup-unknown-instance")
    job = rapi("PUT", exchange["path"]).json()
    sim.finish_all()
    body = rapi("GET", f"/2/jobs/{job}").json()
    assert (body["status"], body["opresult"]) == (
        "error", recorded("get-job-failed")["body"]["opresult"])


def test_the_console_of_a_stopped_instance_is_a_503(rapi, sim):
    sim.add_instance("snf-101", running=False, admin_up=False)
    exchange = recorded("get-instance-console-stopped")
    response = rapi("GET", exchange["path"])
    assert (response.status_code, response.json()) == (503, exchange["body"])
    assert rapi("GET", "/2/instances/snf-101").json()["status"] == "ADMIN_down"


def test_cancelling_a_queued_job(rapi, sim):
    job = rapi("PUT", "/2/instances/snf-101/shutdown").json()
    assert rapi("DELETE", f"/2/jobs/{job}").json() == [True, f"Dequeued job {job}"]
    assert rapi("GET", f"/2/jobs/{job}").json()["status"] == "canceled"


def test_version_features_and_info(rapi):
    assert rapi("GET", "/version").json() == recorded("get-version")["body"]
    assert set(rapi("GET", "/2/features").json()) == set(recorded("get-features")["body"])
    node = rapi("GET", "/2/nodes?bulk=1").json()[0]
    assert set(recorded("get-nodes-bulk")["body"][0]) <= set(node)


# -- job files ---------------------------------------------------------------------------------

def test_job_files_appear_only_by_rename_and_in_ganetis_format(rapi, sim, tmp_path):
    queue = tmp_path / "queue"
    watch = INotify()
    watch.add_watch(str(queue), flags.MOVED_TO | flags.CLOSE_WRITE)
    job = rapi("PUT", "/2/instances/snf-101/startup").json()
    sim.add_instance("snf-101", running=False, admin_up=False)
    sim.finish_job(job)
    events = watch.read(timeout=1000)
    renamed = [e.name for e in events if e.mask & flags.MOVED_TO]
    written = {e.name for e in events if e.mask & flags.CLOSE_WRITE}
    assert renamed.count(f"job-{job}") == 4                   # queued, waiting, running, success
    assert f"job-{job}" not in written and "serial" in renamed
    assert sorted(os.listdir(queue)) == [f"job-{job}", "serial"]
    final = json.loads((queue / f"job-{job}").read_text())
    with open(os.path.join(JOBS, "create-success", "job-6.18-success.json")) as f:
        recorded_final = json.load(f)
    assert set(final) == set(recorded_final)
    assert set(final["ops"][0]) == set(recorded_final["ops"][0])
    assert final["ops"][0]["status"] == "success" and final["end_timestamp"]
    assert (queue / "serial").read_text() == f"{job}\n"


def test_the_queued_version_is_compact_like_luxids(rapi, sim, tmp_path):
    job = rapi("PUT", "/2/instances/snf-101/startup").json()
    text = (tmp_path / "queue" / f"job-{job}").read_text()
    assert text.startswith(f'{{"id":{job},"ops":[{{"input":') and ", " not in text
    assert json.loads(text)["ops"][0]["status"] == "queued"


def test_log_lines_and_archiving(rapi, sim, tmp_path):
    job = rapi("PUT", "/2/instances/snf-101/shutdown").json()
    sim.advance_job(job, "running", log_message=" - INFO: doing it")
    data = json.loads((tmp_path / "queue" / f"job-{job}").read_text())
    assert data["ops"][0]["log"][0][2:] == ["message", " - INFO: doing it"]
    archived = sim.archive_job(job)
    assert archived == str(tmp_path / "queue" / "archive" / "0" / f"job-{job}")
    assert not (tmp_path / "queue" / f"job-{job}").exists()
