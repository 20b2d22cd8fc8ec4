"""Helpers for reconciliation tests: a core without console/handler plugins, a hook recorder,
an in-memory contract driver, and a seeder for servers in any state."""
from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.orm import sessionmaker

from synnefo.core import plugins
from synnefo.core.app import Core
from synnefo.core.contracts.backend import (BackendDriver, ClusterInfo, ConsoleInfo, InstanceInfo,
                                            JobInfo)
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Backend, Flavor, Nic, Server, User
from synnefo.core.domain.naming import InstanceNaming
from synnefo.core.hookspecs import hookimpl
from synnefo.core.settings import parse_settings
from synnefo.core.timeutil import utcnow


class HookRecorder:
    """A hook plugin that remembers every fact it is told."""

    def __init__(self):
        self.state_changes = []
        self.jobs_finished = []

    @hookimpl
    def vm_state_changed(self, event):
        self.state_changes.append(event)

    @hookimpl
    def backend_job_finished(self, event):
        self.jobs_finished.append(event)


def make_core(db_url: str, driver_classes: dict, recorder: HookRecorder | None = None,
              **overrides) -> Core:
    """A Core with only what reconciliation needs (drivers, hooks, naming, database)."""
    raw = {"synnefo.db_url": db_url, "synnefo.hooks": ""}
    raw.update({f"synnefo.{k}": str(v) for k, v in overrides.items()})
    settings = parse_settings(raw, environ={})
    extra = [("recorder", recorder)] if recorder is not None else []
    pm = plugins.build_plugin_manager((), extra)
    engine = make_engine(settings.db_url)
    return Core(settings=settings, engine=engine,
                session_factory=sessionmaker(engine, expire_on_commit=False),
                plugin_manager=pm, hooks=plugins.Hooks(pm),
                naming=InstanceNaming(settings.instance_prefix),
                driver_classes=dict(driver_classes), console_proxy=None, handlers={})


class DictDriver(BackendDriver):
    """The backend contract over two dicts (instances, jobs), shared per backend name.

    Counts calls so tests can show one listing per backend. Mutating calls are recorded and
    delete_instance really removes the instance.
    """
    clusters: dict[str, dict] = {}

    @classmethod
    def cluster(cls, name: str) -> dict:
        return cls.clusters.setdefault(name, {"instances": {}, "jobs": {}, "calls": [],
                                              "next_job": itertools.count(1000)})

    @property
    def _c(self) -> dict:
        return self.cluster(self.backend.name)

    def _job(self, what: str, name: str) -> int:
        job_id = next(self._c["next_job"])
        self._c["calls"].append((what, name))
        self._c["jobs"][job_id] = JobInfo(job_id, "success", (what,))
        return job_id

    def create_instance(self, spec) -> int:
        self._c["instances"][spec.name] = InstanceInfo(spec.name, True, True, spec.vcpus,
                                                       spec.ram_mib)
        return self._job("OP_INSTANCE_CREATE", spec.name)

    def start_instance(self, name):
        return self._job("OP_INSTANCE_STARTUP", name)

    def shutdown_instance(self, name):
        return self._job("OP_INSTANCE_SHUTDOWN", name)

    def reboot_instance(self, name, hard=False):
        return self._job("OP_INSTANCE_REBOOT", name)

    def delete_instance(self, name):
        self._c["instances"].pop(name, None)
        return self._job("OP_INSTANCE_REMOVE", name)

    def get_console(self, name):
        return ConsoleInfo("msg", message="no console")

    def list_instances(self):
        self._c["calls"].append(("list_instances", None))
        return list(self._c["instances"].values())

    def get_job(self, job_id):
        self._c["calls"].append(("get_job", job_id))
        return self._c["jobs"].get(job_id, JobInfo(job_id, None))

    def cluster_info(self):
        return ClusterInfo(self.backend.name)


class Seeder:
    """Creates users, flavors, backends and servers directly in the database."""

    def __init__(self, core: Core):
        self.core = core
        with core.uow() as uow:
            user = User(name="alice")
            uow.session.add(user)
            self.flavors = [Flavor(name="small", vcpus=1, ram_mib=1024, disk_gib=10),
                            Flavor(name="big", vcpus=2, ram_mib=2048, disk_gib=10)]
            uow.session.add_all(self.flavors)
            uow.session.flush()
            self.user_id = user.id
            self.flavor_ids = {f.name: f.id for f in self.flavors}

    def backend(self, name: str, driver: str = "memory", **kw) -> int:
        with self.core.uow() as uow:
            row = Backend(name=name, driver=driver, **kw)
            uow.session.add(row)
            uow.session.flush()
            return row.id

    def server(self, backend_id: int | None, operstate: str = "STARTED", flavor: str = "small",
               nics=(), created: dt.datetime | None = None, **columns) -> int:
        with self.core.uow() as uow:
            row = Server(owner_id=self.user_id, name="vm", flavor_id=self.flavor_ids[flavor],
                         backend_id=backend_id, operstate=operstate, **columns)
            row.created = created or utcnow() - dt.timedelta(hours=1)
            row.nics = [Nic(**n) for n in nics]
            uow.session.add(row)
            uow.session.flush()
            return row.id

    def get(self, server_id: int) -> Server:
        with self.core.uow() as uow:
            row = uow.session.get(Server, server_id)
            _ = row.nics, row.flavor, row.backend
            return row
