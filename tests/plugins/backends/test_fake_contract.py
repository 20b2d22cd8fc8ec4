"""The fake driver passes the driver contract."""
import pytest

from synnefo.core.contracts import BackendInfo
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.testing.driver_contract import DriverContract


class _FakeControl:
    def __init__(self, driver):
        self.driver = driver

    def settle(self):
        assert self.driver.wait_idle(timeout=30), "the fake cluster did not finish its jobs"

    def add_instance(self, name, **kw):
        self.driver.add_instance(name, **kw)


class TestFakeDriverContract(DriverContract):
    @pytest.fixture
    def driver(self):
        info = BackendInfo(id=1, name="fake1", driver="fake", options={"job_delay": 0})
        driver = FakeDriver(backend=info, core=None, publisher=None)
        yield driver
        driver.close()

    @pytest.fixture
    def cluster(self, driver):
        return _FakeControl(driver)
