"""Each backend row gets its own driver, built from the installed plugins by ``core.driver_for``."""
import pytest

from synnefo.core import plugins
from synnefo.core.db.models import Backend
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.plugins.backends.ganeti import GanetiDriver
from synnefo.testing.driver_contract import make_spec
from synnefo.testing.rapi_simulator import RapiSimulator
from synnefo.testing.reconcile import make_core


@pytest.fixture
def second_simulator(tls):
    sim = RapiSimulator(users={"synnefo": "other-secret"}).start(tls.server_context)
    yield sim
    sim.stop()


def test_the_entry_points_name_both_drivers():
    loaded = plugins.load_plugins(plugins.GROUPS["backend_drivers"], ["fake", "ganeti"])
    assert loaded == {"fake": FakeDriver, "ganeti": GanetiDriver}


def test_two_clusters_two_drivers_each_with_its_own_credentials(
        simulator, second_simulator, tls, sqlite_url, monkeypatch):
    monkeypatch.setenv("T_CLUSTER2_PASSWORD", "other-secret")
    loaded = plugins.load_plugins(plugins.GROUPS["backend_drivers"], ["fake", "ganeti"])
    core = make_core(sqlite_url, loaded, **{"backend.password": "secret"})
    one = Backend(id=1, name="one", driver="ganeti", rapi_url=simulator.url, username="admin",
                  credentials_ref="setting", options={"ca_file": tls.ca_file})
    two = Backend(id=2, name="two", driver="ganeti", rapi_url=second_simulator.url,
                  username="synnefo", credentials_ref="env:T_CLUSTER2_PASSWORD",
                  options={"ca_file": tls.ca_file})
    try:
        assert core.driver_for(one) is core.driver_for(one)
        core.driver_for(two).create_instance(make_spec("snf-2"))
        core.driver_for(one).create_instance(make_spec("snf-1"))
        assert [j.instance for j in simulator.jobs()] == ["snf-1"]
        assert [j.instance for j in second_simulator.jobs()] == ["snf-2"]
    finally:
        core.close()
