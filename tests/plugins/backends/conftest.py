"""Fixtures for backend driver tests: TLS material, a RAPI simulator, Ganeti drivers."""
from __future__ import annotations

import pytest
from backend_testlib import USERS

from synnefo.core.contracts import BackendInfo
from synnefo.plugins.backends.ganeti import GanetiDriver
from synnefo.testing.rapi_simulator import RapiSimulator, make_tls


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def simulator(tls, tmp_path):
    sim = RapiSimulator(users=USERS, read_only_users=("reader",), queue_dir=tmp_path / "queue")
    sim.start(tls.server_context)
    yield sim
    sim.stop()


@pytest.fixture
def ganeti_driver(simulator, tls):
    """``ganeti_driver(**options)``: a driver at the simulator, trusting its CA by default."""
    made = []

    def make(username="admin", password="secret", url=None, **options):
        options.setdefault("ca_file", tls.ca_file)
        info = BackendInfo(id=1, name="cluster1", driver="ganeti", rapi_url=url or simulator.url,
                           username=username, password=password, options=options)
        made.append(GanetiDriver(backend=info, core=None))
        return made[-1]

    yield make
    for driver in made:
        driver.close()
