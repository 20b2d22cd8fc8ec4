"""Wall 3: backend-add checks the cluster before adding it; backend-check says what to fix."""
import json

import pytest

from synnefo.testing.rapi_simulator import RapiSimulator, make_tls
from managelib import migrated_ini, run


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def simulator(tls):
    sim = RapiSimulator(users={"synnefo": "pw"}).start(tls.server_context)
    yield sim
    sim.stop()


@pytest.fixture
def ini(tmp_path, sqlite_url, monkeypatch):
    monkeypatch.setenv("CLUSTER_PW", "pw")
    return migrated_ini(tmp_path, {"db_url": sqlite_url, "backend_drivers": "fake ganeti",
                                       "console_proxy": "fake", "public_network": "snf-net"})




def add(ini, simulator, tls, *extra, capsys, credentials="env:CLUSTER_PW"):
    return run(ini, "backend-add", "c1", "--rapi-url", simulator.url, "--username", "synnefo",
               "--credentials", credentials, "--option", f"ca_file={tls.ca_file}", *extra,
               capsys=capsys)


def names(ini, capsys) -> list[str]:
    _, out, _ = run(ini, "backend-list", "--json", capsys=capsys)
    return [b["name"] for b in json.loads(out)]


def test_a_good_backend_is_checked_and_added(ini, simulator, tls, capsys):
    # Plain text options need no JSON quoting: ca_file=/path works as is.
    code, out, _ = add(ini, simulator, tls, "--option", "os_provider=snf-image+default",
                       capsys=capsys)
    assert code == 0, out
    assert "backend c1: ok" in out and "TLS verified" in out and "added" in out
    assert names(ini, capsys) == ["c1"]


def test_a_second_backend_for_the_same_cluster_is_refused(ini, simulator, tls, capsys):
    assert add(ini, simulator, tls, capsys=capsys)[0] == 0
    code, out, err = run(ini, "backend-add", "c2", "--rapi-url", simulator.url + "/",
                         "--username", "synnefo", "--credentials", "env:CLUSTER_PW",
                         "--no-check", capsys=capsys)
    assert code != 0 and "'c1' already uses the cluster" in out + err
    assert names(ini, capsys) == ["c1"]


def test_an_unset_credentials_variable_is_named_and_nothing_is_added(ini, simulator, tls,
                                                                      capsys, monkeypatch):
    monkeypatch.delenv("CLUSTER_PW")
    code, out, _ = add(ini, simulator, tls, capsys=capsys)
    assert code == 1
    assert "credentials variable CLUSTER_PW is not set" in out and "export the variable" in out
    assert "NOT added" in out and names(ini, capsys) == []


def test_a_missing_ca_file_is_named(ini, simulator, tls, tmp_path, capsys):
    code, out, _ = run(ini, "backend-add", "c1", "--rapi-url", simulator.url, "--username",
                       "synnefo", "--credentials", "env:CLUSTER_PW", "--option",
                       f"ca_file={tmp_path}/nope.pem", capsys=capsys)
    assert code == 1 and f"ca_file {tmp_path}/nope.pem does not exist" in out


def test_a_fix_by_configuration_alone_then_passes_the_check(ini, simulator, tls, capsys):
    code, out, _ = add(ini, simulator, tls, "--option", "os_provider=debootstrap+default",
                       capsys=capsys)
    assert code == 1 and "OS debootstrap+default is not on the cluster" in out
    assert add(ini, simulator, tls, "--option", "os_provider=debootstrap+default",
               "--no-check", capsys=capsys)[0] == 0
    assert run(ini, "backend-check", "c1", capsys=capsys)[0] == 1
    assert run(ini, "backend-modify", "c1", "--option", "os_provider=noop", "--option",
               "os_params=none", capsys=capsys)[0] == 0
    code, out, _ = run(ini, "backend-check", "c1", "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 0 and report["ok"], out
    assert {c["name"]: c["detail"] for c in report["checks"]}["os"] == \
        "noop exists; creates send no OS parameters"


def test_checking_an_unknown_backend_is_an_error(ini, capsys):
    code, _, err = run(ini, "backend-check", "nope", capsys=capsys)
    assert code == 2 and "nope" in err


def test_a_wrong_address_is_reported_then_fixed_with_backend_modify(ini, simulator, tls, capsys):
    code, out, _ = run(ini, "backend-add", "c1", "--rapi-url", "https://127.0.0.1:9",
                       "--username", "synnefo", "--credentials", "env:CLUSTER_PW", "--option",
                       f"ca_file={tls.ca_file}", "--no-check", capsys=capsys)
    assert code == 0
    code, out, err = run(ini, "backend-check", "c1", capsys=capsys)
    assert code == 1 and "connection failed" in out and "--rapi-url" in out
    assert "Retrying" not in err and "ERROR" not in err    # the report, not transport logs
    assert run(ini, "backend-modify", "c1", "--rapi-url", simulator.url, capsys=capsys)[0] == 0
    code, out, _ = run(ini, "backend-check", "c1", capsys=capsys)
    assert code == 0 and "backend c1: ok" in out
