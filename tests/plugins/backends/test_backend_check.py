"""Wall 3: the ganeti driver's check finds each misconfiguration, and says what to fix."""
from __future__ import annotations

import pytest

from synnefo.testing.rapi_simulator import make_tls


def results(driver, **kw) -> dict:
    return {r.name: r for r in driver.check(**kw)}


def test_a_well_configured_backend_passes_every_check(ganeti_driver, simulator):
    found = results(ganeti_driver(os_provider="snf-image+default"), public_network="snf-net")
    assert [name for name, r in found.items() if not r.ok] == []
    assert set(found) == {"rapi", "credentials", "os", "disk_template", "placement", "network"}
    assert "TLS verified" in found["rapi"].detail
    assert "img_id, img_passwd" in found["os"].detail
    assert simulator.jobs() == []               # a check submits nothing


def test_an_unreachable_url_is_the_only_finding(ganeti_driver):
    found = ganeti_driver(url="https://127.0.0.1:9").check()
    assert [(r.name, r.ok) for r in found] == [("rapi", False)]
    assert "connection failed" in found[0].detail and "--rapi-url" in found[0].fix


def test_an_untrusted_certificate_asks_for_ca_file(ganeti_driver, tmp_path):
    other = make_tls(tmp_path)
    (found,) = ganeti_driver(ca_file=other.ca_file).check()
    assert not found.ok and "certificate verification failed" in found.detail
    assert "--option ca_file=" in found.fix


def test_a_wrong_password_is_named(ganeti_driver):
    (found,) = ganeti_driver(password="wrong").check()
    assert not found.ok and "rejected the RAPI credentials" in found.detail
    assert "'admin'" in found.fix and "/var/lib/ganeti/rapi/users" in found.fix


def test_a_read_only_user_cannot_create(ganeti_driver):
    found = results(ganeti_driver(username="reader", password="readonly"))
    assert found["rapi"].ok
    assert not found["credentials"].ok and "read-only" in found["credentials"].detail
    assert "write" in found["credentials"].fix


@pytest.mark.parametrize("os_provider, problem", [
    ("debootstrap+default", "OS debootstrap+default is not on the cluster (GET /2/os lists: "
                            "image+default, noop, snf-image+default)"),
    ("snf-image", "OS snf-image needs a variant: one of snf-image+default"),
    ("snf-image+nope", "OS snf-image has no such variant: snf-image+nope"),
])
def test_an_os_the_cluster_does_not_have(ganeti_driver, os_provider, problem):
    found = results(ganeti_driver(os_provider=os_provider))["os"]
    assert not found.ok and found.detail.startswith(problem)
    assert "os_provider=" in found.fix


def test_a_no_parameter_os_is_reported_with_what_creates_send(ganeti_driver):
    found = results(ganeti_driver(os_provider="noop", os_params="none",
                                  password_param=""))["os"]
    assert found.ok and found.detail == "noop exists; creates send no OS parameters"


def test_a_disabled_disk_template(ganeti_driver, simulator):
    simulator.cluster.config.enabled_disk_templates = ["file", "diskless"]
    found = results(ganeti_driver(os_provider="noop", os_params="none"))["disk_template"]
    assert not found.ok and "plain is not enabled" in found.detail and "file" in found.detail


def test_a_fixed_node_that_does_not_exist(ganeti_driver):
    found = results(ganeti_driver(pnode="node9.example.test"))["placement"]
    assert not found.ok and "node1.example.test" in found.detail


def test_the_public_network_must_exist_and_be_connected(ganeti_driver, simulator):
    missing = results(ganeti_driver(), public_network="public")["network"]
    assert not missing.ok and "networks: snf-net" in missing.detail
    assert "gnt-network add" in missing.fix
    simulator.cluster.config.unconnected_networks = ("snf-net",)
    loose = results(ganeti_driver(), public_network="snf-net")["network"]
    assert not loose.ok and "gnt-network connect" in loose.fix
