"""Wall 1: the OS and its parameters come from configuration (backend options, image metadata).

The simulated cluster validates a create the way Ganeti 3.0 does (an OS that does not declare
a parameter refuses it), so each test checks what the cluster does with the body, not only the
body itself.
"""
from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from backend_testlib import RecordingPublisher

from synnefo.core.contracts import BackendInfo, InstanceSpec
from synnefo.core.errors import BackendRefused, ConfigurationError
from synnefo.plugins.backends import osparams
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.testing.driver_contract import make_spec


def run_create(driver, simulator, spec):
    job = driver.create_instance(spec)
    simulator.finish_all()
    return driver.get_job(job)


def test_the_default_snf_image_parameters_are_refused_by_an_os_without_parameters(
        ganeti_driver, simulator):
    # Before: the driver always sent img_* and nothing could change that.
    job = run_create(ganeti_driver(os_provider="noop"), simulator, make_spec("snf-1"))
    assert job.status == "error"
    assert job.log_message == ("OpExecError: OS Parameters validation failed on node "
                               "node1.example.test: "
                               "The following parameters are not supported by the OS noop: "
                               "img_format, img_id, img_passwd")


def test_a_no_parameter_os_works_after_a_configuration_change_alone(ganeti_driver, simulator):
    driver = ganeti_driver(os_provider="noop", os_params="none")
    job = run_create(driver, simulator, make_spec("snf-1"))
    assert job.status == "success"
    body = simulator.jobs()[0].body
    assert (body["os_type"], body["osparams"], "osparams_secret" in body) == ("noop", {}, False)
    assert simulator.instance("snf-1")["os"] == "noop"


def test_snf_image_gets_its_parameters_by_default(ganeti_driver, simulator):
    spec = make_spec("snf-2", image_ref="debian-12-ref", image_format="ext3dump", password="pw",
                     image_properties={"OSFAMILY": "linux", "ROOT_PARTITION": "1"})
    job = run_create(ganeti_driver(os_provider="snf-image+default"), simulator, spec)
    assert job.status == "success"
    assert simulator.jobs()[0].body["osparams"] == {
        "img_id": "debian-12-ref", "img_format": "ext3dump", "img_passwd": "pw",
        "img_properties": '{"OSFAMILY":"linux","ROOT_PARTITION":"1"}'}


def test_templates_reach_image_flavor_and_server_fields(ganeti_driver, simulator):
    simulator.cluster.config.os_definitions["debootstrap"] = {
        "variants": ["default", "minimal"], "parameters": ["hostname", "memory", "suite"]}
    templates = {"hostname": "{{ name }}.example.org", "memory": "{{ ram_mib * 2 }}",
                 "suite": "{{ image_properties.suite | default('bookworm') }}"}
    driver = ganeti_driver(os_provider="debootstrap+minimal", os_params=json.dumps(templates))
    job = run_create(driver, simulator, make_spec("snf-3", ram_mib=512,
                                                  image_properties={"suite": "trixie"}))
    assert job.status == "success"
    assert simulator.jobs()[0].body["osparams"] == {
        "hostname": "snf-3.example.org", "memory": "1024", "suite": "trixie"}


def test_an_unknown_variant_is_refused_with_ganetis_message(ganeti_driver, simulator):
    job = run_create(ganeti_driver(os_provider="snf-image+nope"), simulator, make_spec("snf-4"))
    assert job.status == "error"
    assert job.log_message.endswith("OS 'snf-image' does not support variant 'nope'")


def test_an_image_overrides_the_backends_os(ganeti_driver, simulator):
    driver = ganeti_driver(os_provider="snf-image+default")
    spec = make_spec("snf-5", image_properties={"ganeti.os_provider": "noop",
                                                "ganeti.os_params": "none"})
    assert run_create(driver, simulator, spec).status == "success"
    assert simulator.instance("snf-5")["os"] == "noop"
    assert simulator.jobs()[0].body["osparams"] == {}


def test_the_password_parameter_is_configurable_and_can_be_secret(ganeti_driver, simulator):
    simulator.cluster.config.os_definitions["inhouse"] = {"variants": [],
                                                          "parameters": ["root_pw", "image"]}
    driver = ganeti_driver(os_provider="inhouse", os_params='{"image": "{{ image_ref }}"}',
                           password_param="root_pw", secret_password="true")
    assert run_create(driver, simulator, make_spec("snf-6", password="pw-6")).status == "success"
    body = simulator.jobs()[0].body
    assert (body["osparams"], body["osparams_secret"]) == ({"image": "debian-12"},
                                                           {"root_pw": "pw-6"})
    # As Ganeti, the job's own record never shows the secret.
    assert driver.get_job(1).status == "success"
    assert "pw-6" not in json.dumps(simulator.cluster.jobs[1].rapi())


def test_an_empty_password_parameter_sends_no_password(ganeti_driver, simulator):
    driver = ganeti_driver(os_provider="snf-image+default", password_param="")
    assert run_create(driver, simulator, make_spec("snf-7")).status == "success"
    assert "img_passwd" not in simulator.jobs()[0].body["osparams"]


def test_a_template_with_a_syntax_error_stops_the_driver_at_start_up(ganeti_driver):
    with pytest.raises(ConfigurationError, match=r"cluster1.*os_params.*OS parameter img_id"):
        ganeti_driver(os_params='{"img_id": "{{ image_ref "}')


def test_an_unknown_preset_is_named_in_the_error(ganeti_driver):
    with pytest.raises(ConfigurationError, match="'snf-imag' is neither a preset"):
        ganeti_driver(os_params="snf-imag")


def test_a_template_naming_an_unknown_field_refuses_the_create(ganeti_driver, simulator):
    driver = ganeti_driver(os_provider="snf-image+default",
                           os_params='{"img_id": "{{ imageref }}"}')
    with pytest.raises(BackendRefused, match="OS parameter img_id.*'imageref' is undefined"):
        driver.create_instance(make_spec("snf-8"))
    assert simulator.jobs() == []


def test_keys_user_data_and_personality_become_snf_images_personality(ganeti_driver, simulator):
    motd = base64.b64encode(b"hello\n").decode()
    cloud = base64.b64encode(b"#cloud-config\n").decode()
    spec = dataclasses.replace(make_spec("snf-9"), key_name="k1",
                               public_keys=("ssh-ed25519 AAAA k1",), user_data=cloud,
                               personality=(("/etc/motd", motd),))
    driver = ganeti_driver(os_provider="snf-image+default")
    assert run_create(driver, simulator, spec).status == "success"
    files = json.loads(simulator.jobs()[0].body["osparams"]["img_personality"])
    contents = {f["path"]: base64.b64decode(f["contents"]).decode() for f in files}
    assert contents == {"/etc/motd": "hello\n",
                        "/root/.ssh/authorized_keys": "ssh-ed25519 AAAA k1\n",
                        "/var/lib/cloud/seed/nocloud/user-data": "#cloud-config\n",
                        "/var/lib/cloud/seed/nocloud/meta-data": "instance-id: snf-9\n"}
    # Any new field is usable in a template without code changes.
    context = osparams.template_context(spec)
    assert context["key_name"] == "k1" and context["spec"] is spec


def test_with_secret_parameters_user_data_and_keys_stay_out_of_the_job(ganeti_driver, simulator):
    secret = base64.b64encode(b"#cloud-config\npassword: s3cret-user-data\n").decode()
    spec = dataclasses.replace(make_spec("snf-10"), public_keys=("ssh-ed25519 AAAA k2",),
                               user_data=secret)
    driver = ganeti_driver(os_provider="snf-image+default", secret_password="true")
    assert run_create(driver, simulator, spec).status == "success"
    body = simulator.jobs()[0].body
    assert "img_personality" not in body["osparams"]
    assert {"img_personality", "img_passwd"} <= set(body["osparams_secret"])
    assert secret not in json.dumps(simulator.cluster.jobs[1].rapi())


def test_the_rapi_simulator_lists_its_os_definitions_as_ganeti_does(ganeti_driver, simulator):
    assert ganeti_driver().rapi.get("/2/os") == ["image+default", "noop", "snf-image+default"]


# -- the fake driver: the same settings, the same checks ---------------------------------------

def fake(**options):
    info = BackendInfo(id=1, name="fake1", driver="fake", options={"job_delay": 0, **options})
    return FakeDriver(backend=info, core=None, publisher=RecordingPublisher())


@pytest.mark.parametrize("options, status", [
    ({"os_provider": "noop"}, "error"),
    ({"os_provider": "noop", "os_params": "none"}, "success"),
    ({"os_provider": "snf-image+default"}, "success"),
])
def test_the_fake_cluster_validates_os_parameters_like_ganeti(options, status):
    driver = fake(**options)
    try:
        job = driver.create_instance(make_spec("snf-1"))
        assert driver.wait_idle(timeout=30)
        assert driver.get_job(job).status == status
    finally:
        driver.close()


def test_the_fake_drivers_check_reports_what_its_cluster_would_refuse():
    refused, accepted = fake(os_provider="noop"), fake(os_provider="noop", os_params="none")
    try:
        (os_check,) = [r for r in refused.check() if r.name == "os"]
        assert not os_check.ok and os_check.detail == (
            "The following parameters are not supported by the OS noop: "
            "img_format, img_id, img_passwd")
        assert all(r.ok for r in accepted.check())
    finally:
        refused.close()
        accepted.close()
