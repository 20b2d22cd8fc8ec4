"""The RAPI driver against the simulator: TLS, timeouts, retries, error mapping, the create body."""
from __future__ import annotations

import dataclasses
import html
import types
from concurrent.futures import ThreadPoolExecutor

import pytest
from backend_testlib import rapi_fixture

from synnefo.core.contracts import BackendInfo
from synnefo.core.contracts.backend import NicSpec
from synnefo.core.errors import (
    BackendNotFound, BackendRefused, BackendUnavailable, ConfigurationError,
)
from synnefo.core.settings import parse_settings
from synnefo.plugins.backends.ganeti import GanetiDriver
from synnefo.testing.driver_contract import make_spec
from synnefo.testing.rapi_simulator import make_tls


# -- TLS ---------------------------------------------------------------------------------------

def test_an_untrusted_certificate_is_refused_before_anything_is_sent(ganeti_driver, simulator):
    driver = ganeti_driver(ca_file="")          # verify against the system CAs only
    with pytest.raises(BackendUnavailable, match="certificate verification failed"):
        driver.list_instances()
    assert simulator.requests == []


def test_the_configured_ca_wins_over_requests_ca_bundle(ganeti_driver, simulator, tmp_path,
                                                        monkeypatch):
    other_ca = make_tls(tmp_path)               # a CA that did not sign the simulator's cert
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", other_ca.ca_file)
    simulator.add_instance("snf-1")
    assert [i.name for i in ganeti_driver().list_instances()] == ["snf-1"]


def test_a_ca_bundle_that_did_not_sign_the_cluster_certificate_fails(ganeti_driver, tmp_path):
    driver = ganeti_driver(ca_file=make_tls(tmp_path).ca_file)
    with pytest.raises(BackendUnavailable, match="ca_file"):
        driver.cluster_info()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_the_operator_may_turn_verification_off(ganeti_driver, simulator):
    driver = ganeti_driver(ca_file="", verify="false")
    assert driver.cluster_info().name == "cluster.example.test"


# -- timeouts, 5xx and retries -------------------------------------------------------------------

def test_a_write_that_times_out_is_unavailable_and_not_resent(ganeti_driver, simulator):
    simulator.script_delay("POST", "/2/instances", 2.0)
    driver = ganeti_driver(read_timeout=0.3, retries=3)
    with pytest.raises(BackendUnavailable, match="timed out"):
        driver.create_instance(make_spec("snf-1"))
    assert simulator.count("POST", "/2/instances") == 1


def test_a_read_that_times_out_once_is_retried(ganeti_driver, simulator):
    simulator.script_delay("GET", "/2/info", 2.0)
    driver = ganeti_driver(read_timeout=0.3, retries=2, backoff=0)
    assert driver.cluster_info().master == "node1.example.test"
    assert simulator.count("GET", "/2/info") == 2


def test_a_5xx_on_a_write_is_unavailable_and_not_retried(ganeti_driver, simulator):
    simulator.script_error("PUT", "/2/instances/snf-1/startup", 503, "Service Unavailable")
    with pytest.raises(BackendUnavailable, match="503"):
        ganeti_driver(retries=3, backoff=0).start_instance("snf-1")
    assert simulator.count("PUT", "/2/instances/snf-1/startup") == 1
    assert simulator.jobs() == []


def test_a_500_is_unavailable(ganeti_driver, simulator):
    simulator.script_error("POST", "/2/instances", 500, "Internal error")
    with pytest.raises(BackendUnavailable, match="500 Internal error"):
        ganeti_driver().create_instance(make_spec("snf-1"))


def test_reads_are_retried_on_503_until_the_budget_is_spent(ganeti_driver, simulator):
    simulator.script_error("GET", "/2/instances", 503, times=1)
    assert ganeti_driver(retries=2, backoff=0).list_instances() == []
    simulator.script_error("GET", "/2/instances", 503, times=10)
    with pytest.raises(BackendUnavailable):
        ganeti_driver(retries=2, backoff=0).list_instances()
    assert simulator.count("GET", "/2/instances") == 2 + 3


def test_a_refused_connection_is_unavailable(ganeti_driver, simulator):
    url = simulator.url
    simulator.stop()
    with pytest.raises(BackendUnavailable, match="connection failed"):
        ganeti_driver(url=url, retries=0).shutdown_instance("snf-1")


# -- 4xx -----------------------------------------------------------------------------------------

def test_a_400_is_refused_with_ganetis_message_unescaped(ganeti_driver, simulator):
    recorded = rapi_fixture("error-400-bad-body-mode")["body"]["message"]
    simulator.script_error("POST", "/2/instances", 400, html.unescape(recorded))
    with pytest.raises(BackendRefused) as caught:
        ganeti_driver().create_instance(make_spec("snf-1"))
    assert caught.value.message == (
        "Invalid body parameters: (\"Parameter 'OP_INSTANCE_CREATE.mode' fails validation\", "
        "'wrong_input')")


def test_wrong_credentials_are_refused_with_a_clear_message(ganeti_driver):
    with pytest.raises(BackendRefused, match="rejected the RAPI credentials.*401"):
        ganeti_driver(password="wrong").list_instances()


def test_a_read_only_user_cannot_submit_jobs(ganeti_driver, simulator):
    simulator.add_instance("snf-1")
    driver = ganeti_driver(username="reader", password="readonly")
    assert len(driver.list_instances()) == 1
    with pytest.raises(BackendRefused, match="403"):
        driver.reboot_instance("snf-1")


def test_an_unknown_instance_is_not_found(ganeti_driver):
    with pytest.raises(BackendNotFound, match="snf-404"):
        ganeti_driver().get_console("snf-404")


# -- the create body -----------------------------------------------------------------------------

def test_the_create_body_follows_the_flavor_and_the_image(ganeti_driver, simulator):
    spec = make_spec("snf-7", vcpus=4, ram_mib=2048, disk_gib=20, image_ref="img-1234",
                     image_format="diskdump", password="pw-1",
                     nics=(NicSpec(network="snf-net", ip="pool"),
                           NicSpec(link="br-private", mode="bridged")))
    job = ganeti_driver().create_instance(spec)
    (submitted,) = simulator.jobs()
    assert submitted.id == job and submitted.opcode == "OP_INSTANCE_CREATE"
    assert submitted.body == {
        "__version__": 1, "mode": "create", "instance_name": "snf-7", "disk_template": "plain",
        "disks": [{"size": 20480}],
        "nics": [{"network": "snf-net", "ip": "pool"}, {"link": "br-private", "mode": "bridged"}],
        "os_type": "image+default",
        "osparams": {"img_id": "img-1234", "img_passwd": "pw-1", "img_format": "diskdump"},
        "beparams": {"vcpus": 4, "maxmem": 2048, "minmem": 2048},
        "iallocator": "hail", "name_check": False, "ip_check": False, "start": True}


def test_the_password_can_be_kept_out_of_ganetis_job_files(simulator, tls):
    info = BackendInfo(id=3, name="c3", driver="ganeti", rapi_url=simulator.url,
                       username="admin", password="secret",
                       options={"ca_file": tls.ca_file, "secret_password": True})
    body = GanetiDriver(backend=info).create_body(make_spec("snf-9", password="pw-9"))
    assert body["osparams_secret"] == {"img_passwd": "pw-9"}
    assert "img_passwd" not in body["osparams"]


def test_create_body_options_from_settings_and_backend(simulator, tls):
    settings = parse_settings({"synnefo.os_provider": "snf-image+default",
                               "synnefo.ganeti.disk_template": "drbd",
                               "synnefo.ganeti.pnode": "node9.example.test"}, environ={})
    info = BackendInfo(id=2, name="c2", driver="ganeti", rapi_url=simulator.url,
                       username="admin", password="secret",
                       options={"ca_file": tls.ca_file, "disk_template": "file"})
    driver = GanetiDriver(backend=info, core=types.SimpleNamespace(settings=settings))
    body = driver.create_body(make_spec("snf-8", nics=()))
    assert (body["disk_template"], body["pnode"], body["os_type"]) == (
        "file", "node9.example.test", "snf-image+default")
    assert "iallocator" not in body and body["nics"] == []
    assert driver.create_body(make_spec("snf-8", nics=(NicSpec(),)))["nics"] == [{}]
    cluster_os = dataclasses.replace(info, options={"os_provider": "cluster-os+v"})
    with_option = GanetiDriver(backend=cluster_os, core=None)
    assert with_option.create_body(make_spec("snf-8", os_provider="spec-os"))["os_type"] == \
        "cluster-os+v"
    assert driver.create_body(make_spec("snf-8", os_provider="spec-os"))["os_type"] == "spec-os"


def test_the_simulator_accepts_the_body_the_driver_sends(ganeti_driver, simulator):
    driver = ganeti_driver()
    job = driver.create_instance(make_spec("snf-9", disk_gib=1))
    simulator.finish_all()
    assert driver.get_job(job).status == "success"
    assert simulator.instance("snf-9")["disk.sizes"] == [1024]


# -- console -------------------------------------------------------------------------------------

def test_the_console_is_the_primary_node_and_the_instance_port(ganeti_driver, simulator):
    simulator.add_instance("snf-5")
    console = ganeti_driver().get_console("snf-5")
    assert (console.host, console.port) == ("node1.example.test",
                                            simulator.instance("snf-5")["network_port"])
    assert simulator.count("GET", "/2/instances/snf-5/console") == 0


# -- scale and configuration ---------------------------------------------------------------------

def test_ten_thousand_instances_are_listed_in_one_call(ganeti_driver, simulator):
    simulator.add_instances([f"snf-{n}" for n in range(1, 10_001)], running=True)
    instances = ganeti_driver().list_instances()
    assert len(instances) == 10_000 and instances[-1].name == "snf-10000"
    assert simulator.count("GET", "/2/instances") == 1


def test_a_bad_option_names_the_key_and_the_backend():
    info = BackendInfo(id=1, name="c1", driver="ganeti", rapi_url="https://x:5080",
                       options={"read_timeout": "soon"})
    with pytest.raises(ConfigurationError, match="c1.*read_timeout"):
        GanetiDriver(backend=info)


@pytest.mark.parametrize("url", [None, "", "ganeti-master.example.org:5080", "ftp://x"])
def test_a_backend_without_a_usable_rapi_url_is_a_configuration_error(url):
    with pytest.raises(ConfigurationError, match="rapi_url like https://"):
        GanetiDriver(backend=BackendInfo(id=1, name="c1", driver="ganeti", rapi_url=url))


def test_a_read_that_keeps_timing_out_is_unavailable(ganeti_driver, simulator):
    simulator.script_delay("GET", "/2/jobs/1", 2.0, times=2)
    with pytest.raises(BackendUnavailable, match="timed out"):
        ganeti_driver(read_timeout=0.3, retries=1, backoff=0).get_job(1)
    assert simulator.count("GET", "/2/jobs/1") == 2


def test_one_driver_serves_many_threads(ganeti_driver, simulator):
    driver = ganeti_driver()
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = list(pool.map(lambda n: driver.create_instance(make_spec(f"snf-{n}")), range(40)))
    assert sorted(jobs) == sorted({j.id for j in simulator.jobs()})
    simulator.finish_all()
    assert len(driver.list_instances()) == 40


def test_ganeti_2_answers_an_unknown_job_with_404_and_it_has_no_status(ganeti_driver, simulator):
    simulator.script_error("GET", "/2/jobs/5", 404)
    assert ganeti_driver().get_job(5).status is None


def test_a_missing_ca_file_is_a_configuration_error(tmp_path):
    info = BackendInfo(id=1, name="c1", driver="ganeti", rapi_url="https://x:5080",
                       options={"ca_file": str(tmp_path / "nowhere.pem")})
    with pytest.raises(ConfigurationError, match="nowhere.pem does not exist"):
        GanetiDriver(backend=info)
