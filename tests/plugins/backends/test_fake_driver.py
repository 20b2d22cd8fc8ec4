"""The fake driver: scripted failures, persistence, and the messages Ganeti's side would publish."""
from __future__ import annotations

import logging
import types

import pytest
from backend_testlib import RecordingPublisher

from synnefo.core import plugins
from synnefo.core.contracts import BackendInfo
from synnefo.core.errors import BackendUnavailable, ConfigurationError
from synnefo.core.messages import from_event_time
from synnefo.core.settings import parse_settings
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.testing.driver_contract import make_spec


@pytest.fixture
def bus():
    return RecordingPublisher()


@pytest.fixture
def make_driver(bus):
    made = []

    def make(core=None, publisher=bus, **options):
        options.setdefault("job_delay", 0)
        info = BackendInfo(id=1, name="fake1", driver="fake", options=options)
        made.append(FakeDriver(backend=info, core=core, publisher=publisher))
        return made[-1]

    yield make
    for driver in made:
        driver.close()


def settle(driver):
    assert driver.wait_idle(timeout=30)


def statuses(bus, instance=None):
    return [(b["operation"], b["status"]) for b in bus.bodies("ganeti-op-status")
            if instance is None or b["instance"] == instance]


# -- messages ----------------------------------------------------------------------------------

def test_a_create_publishes_status_progress_then_nics(make_driver, bus):
    driver = make_driver(job_delay=0.01)
    job = driver.create_instance(make_spec("snf-1"))
    settle(driver)
    kinds = [(b["type"], b.get("status") or b.get("progress")) for b in bus.bodies()]
    assert kinds == [("ganeti-op-status", "queued"), ("ganeti-op-status", "running"),
                     ("ganeti-create-progress", 25), ("ganeti-create-progress", 50),
                     ("ganeti-create-progress", 75), ("ganeti-create-progress", 100),
                     ("ganeti-op-status", "success"), ("ganeti-net-status", None)]
    assert {b["jobId"] for b in bus.bodies("ganeti-op-status")} == {job}
    (net,) = bus.bodies("ganeti-net-status")
    (listed,) = driver.list_instances()
    assert [(n["mac"], n["ip"], n["network"]) for n in net["nics"]] == [
        (n.mac, n.ipv4, n.network) for n in listed.nics]


def test_event_times_increase_strictly_and_keys_route_by_prefix(make_driver, bus):
    driver = make_driver()
    driver.create_instance(make_spec("snf-1"))
    driver.reboot_instance("snf-1")
    driver.shutdown_instance("snf-1")
    settle(driver)
    times = [from_event_time(m.body["event_time"]) for m in bus.messages]
    assert all(a < b for a, b in zip(times, times[1:]))
    assert {m.routing_key for m in bus.messages} == {
        "ganeti.snf.event.op", "ganeti.snf.event.progress", "ganeti.snf.event.net"}
    assert {m.exchange for m in bus.messages} == {"ganeti"}


def test_jobs_on_one_instance_run_in_submission_order(make_driver, bus):
    driver = make_driver(job_delay=0.005)
    driver.create_instance(make_spec("snf-1"))
    driver.shutdown_instance("snf-1")
    driver.start_instance("snf-1")
    settle(driver)
    finals = [op for op, status in statuses(bus) if status == "success"]
    assert finals == ["OP_INSTANCE_CREATE", "OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_STARTUP"]
    assert driver.list_instances()[0].running


def test_a_shutdown_reports_no_nics_and_a_start_does(make_driver, bus):
    driver = make_driver()
    driver.add_instance("snf-1", running=True, nics=[{"network": "snf-net", "ip": "pool"}])
    driver.shutdown_instance("snf-1")
    settle(driver)
    assert bus.bodies("ganeti-net-status") == []
    driver.start_instance("snf-1")
    settle(driver)
    (net,) = bus.bodies("ganeti-net-status")
    assert net["instance"] == "snf-1" and net["nics"][0]["ip"]


def test_submitting_never_waits_for_the_job(make_driver, bus):
    driver = make_driver(job_delay=30)
    job = driver.create_instance(make_spec("snf-1"))
    assert driver.get_job(job).status == "queued"
    assert driver.list_instances() == []


# -- scripted trouble --------------------------------------------------------------------------

def test_a_scripted_failure_fails_the_next_job_of_that_operation(make_driver, bus):
    driver = make_driver()
    driver.script_failure("create", "not enough disk space on node1")
    failed = driver.create_instance(make_spec("snf-1"))
    settle(driver)
    assert driver.get_job(failed).status == "error"
    assert driver.get_job(failed).log_message == "OpExecError: not enough disk space on node1"
    assert statuses(bus)[-1] == ("OP_INSTANCE_CREATE", "error")
    assert bus.bodies("ganeti-op-status")[-1]["logmsg"] == (
        "OpExecError: not enough disk space on node1")
    assert bus.bodies("ganeti-net-status") == [] and driver.list_instances() == []
    second = driver.create_instance(make_spec("snf-1"))
    settle(driver)
    assert driver.get_job(second).status == "success"


def test_a_scripted_refusal_raises_at_submission(make_driver, bus):
    driver = make_driver()
    driver.script_refusal("start", BackendUnavailable("cluster master unreachable"))
    with pytest.raises(BackendUnavailable, match="unreachable"):
        driver.start_instance("snf-1")
    settle(driver)
    assert bus.messages == []


def test_scripting_an_unknown_operation_is_an_error(make_driver):
    with pytest.raises(ValueError, match="migrate"):
        make_driver().script_failure("migrate", "x")


def test_like_ganeti_a_reboot_starts_a_stopped_instance(make_driver):
    driver = make_driver()
    driver.add_instance("snf-1", running=False, admin_up=False)
    driver.reboot_instance("snf-1", hard=True)
    settle(driver)
    assert driver.list_instances()[0].running


def test_a_broken_bus_is_logged_and_the_cluster_carries_on(make_driver, caplog):
    class Broken:
        def publish(self, message):
            raise ConnectionError("broker down")

    driver = make_driver(publisher=Broken())
    with caplog.at_level(logging.ERROR):
        job = driver.create_instance(make_spec("snf-1"))
        settle(driver)
    assert driver.get_job(job).status == "success"
    assert "could not publish ganeti-op-status for snf-1" in caplog.text


# -- persistence -------------------------------------------------------------------------------

def test_instances_and_job_ids_survive_a_restart(make_driver, tmp_path):
    state = str(tmp_path / "var" / "fake-ganeti.json")
    first = make_driver(state_file=state)
    old_job = first.create_instance(make_spec("snf-1"))
    settle(first)
    first.close()
    second = make_driver(state_file=state)
    assert [i.name for i in second.list_instances()] == ["snf-1"]
    assert second.get_job(old_job).status == "success"
    assert second.start_instance("snf-1") > old_job


def test_a_job_pending_at_shutdown_finishes_after_the_restart(make_driver, bus, tmp_path):
    state = str(tmp_path / "fake.json")
    first = make_driver(state_file=state, job_delay=30)
    job = first.create_instance(make_spec("snf-1"))
    first.close()
    second = make_driver(state_file=state)
    settle(second)
    assert second.get_job(job).status == "success"
    assert statuses(bus)[-1] == ("OP_INSTANCE_CREATE", "success")


def test_two_processes_sharing_a_state_file_see_each_other(make_driver, tmp_path):
    state = str(tmp_path / "fake.json")
    web, reconciler = make_driver(state_file=state), make_driver(state_file=state)
    first = web.create_instance(make_spec("snf-1"))
    settle(web)
    assert [i.name for i in reconciler.list_instances()] == ["snf-1"]
    assert reconciler.delete_instance("snf-1") != first


# -- options -----------------------------------------------------------------------------------

def _core(tmp_path, publisher=None, **keys):
    raw = {f"synnefo.fake.{k}": v for k, v in keys.items()}
    raw["here"] = str(tmp_path)
    return types.SimpleNamespace(settings=parse_settings(raw, environ={}), publisher=publisher)


def test_options_come_from_the_ini_and_the_backend_row_wins(make_driver, tmp_path, bus):
    core = _core(tmp_path, publisher=bus, job_delay="0", console_port="5999",
                 console_host="127.0.0.2", state_file="var/fake-ganeti.json")
    driver = make_driver(core=core, publisher=None, console_port=6001)
    driver.add_instance("snf-1", running=True)
    console = driver.get_console("snf-1")
    assert (console.host, console.port) == ("127.0.0.2", 6001)
    assert (tmp_path / "var" / "fake-ganeti.json").exists()
    driver.start_instance("snf-1")
    settle(driver)
    assert statuses(bus)[-1] == ("OP_INSTANCE_STARTUP", "success")   # through core.publisher


def test_a_bad_option_stops_start_up_naming_the_key(make_driver, tmp_path):
    with pytest.raises(ConfigurationError, match="job_delay"):
        make_driver(core=_core(tmp_path, job_delay="fast"), job_delay="fast")
    with pytest.raises(ConfigurationError, match="console_port"):
        make_driver(console_port=70000)


def test_cluster_info_counts_memory_of_running_instances(make_driver):
    driver = make_driver(memory_total_mib=4096)
    driver.add_instance("snf-1", running=True, memory_mib=1024)
    driver.add_instance("snf-2", running=False, admin_up=False, memory_mib=2048)
    info = driver.cluster_info()
    assert (info.memory_total_mib, info.memory_free_mib, info.instances) == (4096, 3072, 2)


def test_every_published_message_passes_the_installed_handlers_schemas(make_driver, bus):
    names = ["ganeti-op-status", "ganeti-net-status", "ganeti-create-progress"]
    handlers = plugins.load_plugins(plugins.GROUPS["message_handlers"], names)
    driver = make_driver()
    driver.create_instance(make_spec("snf-1"))
    driver.script_failure("reboot", "hypervisor error")
    driver.reboot_instance("snf-1")
    driver.delete_instance("snf-404")
    settle(driver)
    assert {m.body["type"] for m in bus.messages} == set(names)
    for message in bus.messages:
        handlers[message.body["type"]](core=None).schema.deserialize(message.body)


def test_a_full_address_pool_fails_the_create_job(make_driver, bus):
    driver = make_driver(network="10.9.9.0/30")         # one usable address after the gateway
    first = driver.create_instance(make_spec("snf-1"))
    second = driver.create_instance(make_spec("snf-2"))
    settle(driver)
    assert driver.get_job(first).status == "success"
    assert driver.get_job(second).status == "error"
    assert "Unable to get a free IP address" in driver.get_job(second).log_message
    assert [i.name for i in driver.list_instances()] == ["snf-1"]
