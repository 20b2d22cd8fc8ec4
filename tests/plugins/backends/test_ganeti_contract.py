"""The RAPI driver passes the driver contract against the RAPI simulator over HTTPS."""
import pytest

from synnefo.testing.driver_contract import DriverContract


class _SimulatorControl:
    def __init__(self, simulator):
        self.simulator = simulator

    def settle(self):
        self.simulator.finish_all()

    def add_instance(self, name, **kw):
        self.simulator.add_instance(name, **kw)


class TestGanetiDriverContract(DriverContract):
    @pytest.fixture
    def driver(self, ganeti_driver):
        return ganeti_driver()

    @pytest.fixture
    def cluster(self, simulator):
        return _SimulatorControl(simulator)
