"""The backend driver contract as pytest tests: every driver's tests subclass ``DriverContract``.

A subclass provides two fixtures:

* ``driver``: the ``BackendDriver`` under test, talking to a fresh, empty cluster;
* ``cluster``: an object controlling that cluster, with ``settle()`` (run every submitted job
  to its end, the way Ganeti would) and ``add_instance(name, running=..., admin_up=...)``
  (put an instance there behind the driver's back).

Example (``tests/plugins/backends/test_fake_contract.py``)::

    class TestFakeDriver(DriverContract):
        @pytest.fixture
        def driver(self): ...
        @pytest.fixture
        def cluster(self, driver): ...

Instance names follow Synnefo's ``<prefix><id>`` rule (``snf-101``).
"""
from __future__ import annotations

import re

import pytest

from synnefo.core.contracts import BackendDriver, InstanceInfo, InstanceSpec
from synnefo.core.contracts.backend import NicSpec
from synnefo.core.errors import BackendNotFound, BackendRefused

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def make_spec(name: str, **kw) -> InstanceSpec:
    """A small instance: 2 vCPUs, 1 GiB RAM, 5 GiB disk, one NIC with an address from the pool."""
    values = dict(name=name, vcpus=2, ram_mib=1024, disk_gib=5, image_ref="debian-12",
                  image_format="diskdump", password="s3cret-pw",
                  nics=(NicSpec(network="snf-net", ip="pool"),))
    values.update(kw)
    return InstanceSpec(**values)


class DriverContract:
    """What every backend driver does, whatever cluster it talks to."""

    # -- helpers -----------------------------------------------------------------------------

    def created(self, driver, cluster, name: str, **kw) -> InstanceInfo:
        job = driver.create_instance(make_spec(name, **kw))
        cluster.settle()
        assert driver.get_job(job).status == "success"
        return self.listed(driver, name)

    @staticmethod
    def listed(driver: BackendDriver, name: str) -> InstanceInfo | None:
        return {i.name: i for i in driver.list_instances()}.get(name)

    # -- creation ----------------------------------------------------------------------------

    def test_create_submits_a_job_and_the_instance_comes_up(self, driver, cluster):
        job = driver.create_instance(make_spec("snf-101"))
        assert isinstance(job, int)
        cluster.settle()
        info = driver.get_job(job)
        assert (info.status, info.opcodes) == ("success", ("OP_INSTANCE_CREATE",))
        assert info.end_time is not None
        instance = self.listed(driver, "snf-101")
        assert (instance.running, instance.admin_up) == (True, True)
        assert (instance.vcpus, instance.memory_mib) == (2, 1024)

    def test_a_created_instance_reports_its_nic_with_mac_and_ip(self, driver, cluster):
        instance = self.created(driver, cluster, "snf-102")
        assert len(instance.nics) == 1
        nic = instance.nics[0]
        assert nic.index == 0 and MAC.match(nic.mac) and nic.ipv4

    def test_job_ids_are_distinct_and_increase(self, driver, cluster):
        ids = [driver.create_instance(make_spec(f"snf-{n}")) for n in (201, 202, 203)]
        assert ids == sorted(set(ids))

    def test_creating_an_existing_name_fails_in_the_job(self, driver, cluster):
        self.created(driver, cluster, "snf-103")
        job = driver.create_instance(make_spec("snf-103"))
        cluster.settle()
        info = driver.get_job(job)
        assert info.status == "error" and "snf-103" in info.log_message

    # -- power -------------------------------------------------------------------------------

    def test_shutdown_then_start(self, driver, cluster):
        self.created(driver, cluster, "snf-104")
        job = driver.shutdown_instance("snf-104")
        cluster.settle()
        assert driver.get_job(job).status == "success"
        down = self.listed(driver, "snf-104")
        assert (down.running, down.admin_up) == (False, False)
        job = driver.start_instance("snf-104")
        cluster.settle()
        assert driver.get_job(job).status == "success"
        assert self.listed(driver, "snf-104").running

    @pytest.mark.parametrize("hard", [False, True])
    def test_reboot_leaves_the_instance_running(self, driver, cluster, hard):
        self.created(driver, cluster, "snf-105")
        job = driver.reboot_instance("snf-105", hard=hard)
        cluster.settle()
        assert driver.get_job(job).opcodes == ("OP_INSTANCE_REBOOT",)
        assert driver.get_job(job).status == "success"
        assert self.listed(driver, "snf-105").running

    def test_starting_an_unknown_instance_fails_in_the_job(self, driver, cluster):
        job = driver.start_instance("snf-999")
        cluster.settle()
        info = driver.get_job(job)
        assert info.status == "error" and "snf-999" in info.log_message

    # -- deletion ----------------------------------------------------------------------------

    def test_delete_removes_the_instance(self, driver, cluster):
        self.created(driver, cluster, "snf-106")
        job = driver.delete_instance("snf-106")
        cluster.settle()
        assert driver.get_job(job).status == "success"
        assert self.listed(driver, "snf-106") is None

    def test_deleting_an_unknown_instance_gives_a_job_that_fails(self, driver, cluster):
        job = driver.delete_instance("snf-998")
        assert isinstance(job, int)
        cluster.settle()
        info = driver.get_job(job)
        assert info.status == "error" and "snf-998" in info.log_message

    # -- jobs --------------------------------------------------------------------------------

    def test_an_unknown_job_has_no_status(self, driver, cluster):
        assert driver.get_job(987654).status is None

    # -- listing -----------------------------------------------------------------------------

    def test_listing_shows_run_state_and_admin_state(self, driver, cluster):
        cluster.add_instance("snf-301", running=True)
        cluster.add_instance("snf-302", running=False, admin_up=False)
        cluster.add_instance("snf-303", running=False, admin_up=True)
        states = {i.name: (i.running, i.admin_up) for i in driver.list_instances()}
        assert states == {"snf-301": (True, True), "snf-302": (False, False),
                          "snf-303": (False, True)}

    def test_an_empty_cluster_lists_nothing(self, driver, cluster):
        assert driver.list_instances() == []

    # -- console -----------------------------------------------------------------------------

    def test_console_of_a_running_instance(self, driver, cluster):
        self.created(driver, cluster, "snf-107")
        console = driver.get_console("snf-107")
        assert console.kind == "vnc" and console.host and console.port > 0

    def test_console_of_a_stopped_instance_is_refused(self, driver, cluster):
        cluster.add_instance("snf-108", running=False, admin_up=False)
        with pytest.raises(BackendRefused, match="not running"):
            driver.get_console("snf-108")

    def test_console_of_an_unknown_instance_is_not_found(self, driver, cluster):
        with pytest.raises(BackendNotFound):
            driver.get_console("snf-997")

    # -- cluster -----------------------------------------------------------------------------

    def test_cluster_info_reports_capacity_and_instances(self, driver, cluster):
        cluster.add_instance("snf-401", running=True)
        cluster.add_instance("snf-402", running=False, admin_up=False)
        info = driver.cluster_info()
        assert info.name and info.master and info.nodes >= 1
        assert info.instances == 2
        assert 0 <= info.memory_free_mib <= info.memory_total_mib
