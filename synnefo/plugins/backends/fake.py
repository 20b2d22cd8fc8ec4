"""The fake driver: a simulated Ganeti cluster for development and tests.

Jobs go ``queued`` -> ``running`` -> ``success``/``error`` on a background thread, ``job_delay``
seconds apart, and the driver publishes what Ganeti's side would: ``ganeti-op-status`` for every
status change (as eventd does), ``ganeti-create-progress`` while an instance is created, and
``ganeti-net-status`` with the NICs after a create, start or reboot succeeds (as the hook does).
Jobs on one instance run one after the other, like Ganeti's instance locks.

Options (``synnefo.fake.*`` in the ``.ini``, overridden by the backend row's ``options``):
``job_delay`` (0.2 s), ``state_file`` (empty: in memory only), ``console_host``/``console_port``
(where ``get_console`` points), ``cluster_name``, ``master``, ``memory_total_mib``,
``vcpus_total``, ``network`` (the subnet ``"ip": "pool"`` NICs draw from), ``progress_steps``.

For tests: ``script_failure("create", "message")`` makes the next create's job fail with that
message; ``script_refusal("start", BackendUnavailable(...))`` makes the next submission raise;
``wait_idle()`` waits for every scheduled job; ``specs`` maps each created instance name to the
``InstanceSpec`` it was created with (keys, user data, injected files included);
``add_instance``/``set_state``/``remove_instance`` change the cluster behind Synnefo's back (for
reconciliation tests).
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import defaultdict, deque
from functools import partial

import colander

from synnefo.core import messages
from synnefo.core.contracts import (
    BackendDriver, BackendInfo, CheckResult, ClusterInfo, ConsoleInfo, InstanceInfo, InstanceSpec,
    JobInfo,
)
from synnefo.core.errors import BackendNotFound, BackendRefused
from synnefo.core.timeutil import from_ganeti_timestamp
from synnefo.plugins.backends import ganeti_answers as answers
from synnefo.plugins.backends import ganeti_check, osparams
from synnefo.plugins.backends import simcluster as sim
from synnefo.plugins.backends.ganeti import nic_params, os_request
from synnefo.plugins.backends.options import driver_options, option
from synnefo.plugins.backends.statefile import StateFile
from synnefo.plugins.backends.timeline import Timeline

log = logging.getLogger(__name__)

OPCODES = {"create": sim.OP_CREATE, "start": sim.OP_STARTUP, "shutdown": sim.OP_SHUTDOWN,
           "reboot": sim.OP_REBOOT, "delete": sim.OP_REMOVE}
NET_REPORTING_OPCODES = frozenset({sim.OP_CREATE, sim.OP_STARTUP, sim.OP_REBOOT})


class FakeOptions(colander.MappingSchema):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        f, i, s = colander.Float, colander.Int, colander.String
        for node in (option(f(), "job_delay", 0.2, colander.Range(min=0, max=60)),
                     option(s(allow_empty=True), "state_file", ""),
                     option(s(), "console_host", "127.0.0.1"),
                     option(i(), "console_port", 5900, colander.Range(min=1, max=65535)),
                     option(s(allow_empty=True), "cluster_name", ""),
                     option(s(), "master", "node1.fake.invalid"),
                     option(i(), "memory_total_mib", 262144, colander.Range(min=1)),
                     option(i(), "vcpus_total", 64, colander.Range(min=1)),
                     option(s(), "network", "198.18.0.0/16"),
                     option(i(), "progress_steps", 4, colander.Range(min=0, max=100)),
                     *osparams.option_nodes()):
            self.add(node)


class FakeDriver(BackendDriver):
    """A Ganeti cluster simulated in this process (its state optionally in a shared file)."""

    def __init__(self, backend: BackendInfo, core=None, publisher=None):
        super().__init__(backend, core)
        self.options = driver_options(FakeOptions(), backend, core, "fake")
        self._publisher = publisher
        self._lock = threading.RLock()
        self._failures: dict[str, deque] = defaultdict(deque)
        self._refusals: dict[str, deque] = defaultdict(deque)
        self._job_failures: dict[int, str] = {}
        self._tail: dict[str | None, float] = {}
        self.specs: dict[str, InstanceSpec] = {}
        self._timeline = Timeline(f"fake-{backend.name}")
        self.cluster = sim.SimulatedCluster(self._cluster_config())
        self._state = self._state_file()
        self._resume_unfinished()

    def _cluster_config(self) -> sim.ClusterConfig:
        o = self.options
        return sim.ClusterConfig(name=o["cluster_name"] or f"{self.backend.name}.fake.invalid",
                                 master=o["master"], software_version="3.0.2-fake",
                                 memory_total_mib=o["memory_total_mib"],
                                 vcpus_total=o["vcpus_total"],
                                 networks={"fake-net": o["network"]})

    def _state_file(self) -> StateFile | None:
        path = self.options["state_file"]
        if not path:
            return None
        here = getattr(getattr(self.core, "settings", None), "here", ".")
        return StateFile(os.path.join(here, path))

    # -- the contract: mutating calls ---------------------------------------------------------

    def create_instance(self, spec: InstanceSpec) -> int:
        params = {"mode": "create", "beparams": {"vcpus": spec.vcpus, "maxmem": spec.ram_mib,
                                                 "minmem": spec.ram_mib},
                  "disks": [{"size": spec.disk_gib * 1024}], "disk_template": "plain",
                  "nics": [nic_params(n) for n in spec.nics], "start": True}
        # The same OS settings as the real driver, so that the simulated cluster checks them.
        params.update(os_request(self.options, self.core, spec, self.backend.name).body())
        self.specs[spec.name] = spec
        return self._submit("create", spec.name, params)

    def start_instance(self, name: str) -> int:
        return self._submit("start", name, {})

    def shutdown_instance(self, name: str) -> int:
        return self._submit("shutdown", name, {"timeout": 120})

    def reboot_instance(self, name: str, hard: bool = False) -> int:
        return self._submit("reboot", name, {"reboot_type": "hard" if hard else "soft"})

    def delete_instance(self, name: str) -> int:
        return self._submit("delete", name, {"shutdown_timeout": 120})

    # -- the contract: reads -----------------------------------------------------------------

    def list_instances(self) -> list[InstanceInfo]:
        with self._locked():
            return [answers.instance_info(data) for data in self.cluster.instances.values()]

    def get_job(self, job_id: int) -> JobInfo:
        with self._locked():
            job = self.cluster.jobs.get(int(job_id))
            return answers.job_info(job.rapi()) if job else JobInfo(id=int(job_id), status=None)

    def get_console(self, name: str) -> ConsoleInfo:
        with self._locked():
            data = self.cluster.instances.get(name)
        if data is None:
            raise BackendNotFound(f"backend {self.backend.name}: instance {name} not found")
        if not answers.is_running(data):
            raise BackendRefused(f"instance {name} is not running", instance=name)
        return ConsoleInfo(kind="vnc", host=self.options["console_host"],
                           port=self.options["console_port"])

    def cluster_info(self) -> ClusterInfo:
        with self._locked():
            running = [d for d in self.cluster.instances.values() if d["oper_state"]]
            config = self.cluster.config
            used = sum(d["beparams"]["maxmem"] for d in running)
            return ClusterInfo(name=config.name, software_version=config.software_version,
                               master=config.master, nodes=1,
                               memory_total_mib=config.memory_total_mib,
                               memory_free_mib=max(config.memory_total_mib - used, 0),
                               vcpus_total=config.vcpus_total,
                               instances=len(self.cluster.instances))

    def check(self, public_network: str = "") -> list[CheckResult]:
        """The cluster, and whether its OS definitions accept what creates would send."""
        results = super().check(public_network)
        try:
            sent = os_request(self.options, self.core, ganeti_check.SAMPLE, self.backend.name)
        except BackendRefused as exc:
            return results + [CheckResult("os", False, str(exc), "fix the os_params option")]
        problem = sim.os_problem(self.cluster.config.os_definitions, sent.os_type,
                                 [*sent.osparams, *sent.osparams_secret])
        if problem is None:
            return results + [CheckResult("os", True, f"{sent.os_type} accepts the parameters")]
        return results + [CheckResult("os", False, problem, "set the os_provider and os_params "
                                                            "options (docs/backends.md)")]

    def close(self) -> None:
        self._timeline.close()

    # -- test controls -----------------------------------------------------------------------

    def script_failure(self, operation: str, message: str) -> None:
        """The next job of ``operation`` (create, start, shutdown, reboot, delete) fails."""
        self._failures[_operation(operation)].append(message)

    def script_refusal(self, operation: str, error: Exception) -> None:
        """The next submission of ``operation`` raises ``error`` (e.g. BackendUnavailable)."""
        self._refusals[_operation(operation)].append(error)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until every submitted job has finished and its messages are published."""
        return self._timeline.wait_idle(timeout)

    def add_instance(self, name: str, **kw) -> None:
        with self._locked(save=True):
            self.cluster.add_instance(name, **kw)

    def set_state(self, name: str, *, running=None, admin_up=None) -> None:
        with self._locked(save=True):
            self.cluster.set_state(name, running=running, admin_up=admin_up)

    def remove_instance(self, name: str) -> None:
        with self._locked(save=True):
            self.cluster.instances.pop(name, None)

    # -- jobs --------------------------------------------------------------------------------

    def _submit(self, operation: str, instance: str, params: dict) -> int:
        if self._refusals[operation]:
            raise self._refusals[operation].popleft()
        with self._locked(save=True):
            job = self.cluster.submit(OPCODES[operation], instance, params)
            if self._failures[operation]:
                self._job_failures[job.id] = self._failures[operation].popleft()
        log.info("backend %s: %s of %s submitted as job %s", self.backend.name, operation,
                 instance, job.id)
        self._schedule(job, time.monotonic())
        return job.id

    def _schedule(self, job: sim.Job, now: float) -> None:
        delay = self.options["job_delay"]
        with self._lock:
            run_at = max(now, self._tail.get(job.instance, now)) + delay
            end_at = run_at + delay
            self._tail[job.instance] = end_at
        if job.status == "queued":
            self._timeline.call_at(now, partial(self._announce, job.id))
        self._timeline.call_at(run_at, partial(self._run, job.id))
        if job.opcode == sim.OP_CREATE:
            self._schedule_progress(job, run_at, delay)
        self._timeline.call_at(end_at, partial(self._finish, job.id))

    def _schedule_progress(self, job: sim.Job, start: float, span: float) -> None:
        steps = self.options["progress_steps"]
        for step in range(1, steps + 1):
            due = start + span * step / (steps + 1)
            self._timeline.call_at(due, partial(self._progress, job.id, 100 * step // steps))

    def _resume_unfinished(self) -> None:
        with self._locked():
            unfinished = [j for j in self.cluster.jobs.values() if not j.finished]
        for job in sorted(unfinished, key=lambda j: j.id):
            log.info("backend %s: resuming job %s (%s %s)", self.backend.name, job.id,
                     job.opcode, job.instance)
            self._schedule(job, time.monotonic())

    def _announce(self, job_id: int) -> None:
        # Stamped now, not with received_ts: a job of another instance may have published a
        # later stamp since this one was queued, and event times must increase as published.
        with self._locked():
            job = self.cluster.jobs[job_id]
            stamp = self.cluster.clock.now()
        self._publish_status(job, stamp)

    def _run(self, job_id: int) -> None:
        with self._locked(save=True):
            job = self.cluster.jobs[job_id]
            if job.finished or job.status == "running":
                return
            self.cluster.advance(job_id, "running")
            if job.opcode == sim.OP_CREATE:
                self.cluster.add_log(job_id, f" - INFO: Selected nodes for instance {job.instance}"
                                             f" via iallocator hail: {self.cluster.config.master}")
        self._publish_status(job, job.exec_ts)

    def _progress(self, job_id: int, percent: int) -> None:
        with self._locked():
            job = self.cluster.jobs[job_id]
            if job.finished:
                return
            stamp = self.cluster.clock.now()
        self._publish(messages.create_progress(job.instance, percent, _time(stamp),
                                               cluster=self.cluster.config.name))

    def _finish(self, job_id: int) -> None:
        with self._locked(save=True):
            job = self.cluster.jobs[job_id]
            if job.finished:
                return
            self.cluster.execute(job_id, self._job_failures.pop(job_id, None))
            nics = self._nics(job)
        log.info("backend %s: job %s %s %s: %s", self.backend.name, job.id, job.opcode,
                 job.instance, job.status)
        self._publish_status(job, job.end_ts)
        if nics is not None:
            self._publish(messages.net_status(job.instance, nics, _time(self._stamp()),
                                              cluster=self.cluster.config.name))

    def _nics(self, job: sim.Job) -> list[dict] | None:
        if job.status != "success" or job.opcode not in NET_REPORTING_OPCODES:
            return None
        info = answers.instance_info(self.cluster.instances[job.instance])
        return [{"index": n.index, "mac": n.mac, "ip": n.ipv4, "ipv6": n.ipv6, "link": n.link,
                 "network": n.network} for n in info.nics]

    def _stamp(self) -> list[int]:
        with self._lock:
            return self.cluster.clock.now()

    # -- publishing and state ----------------------------------------------------------------

    def _publish_status(self, job: sim.Job, stamp) -> None:
        logmsg = answers.job_message(job.rapi()) if job.status == "error" else job.last_log()
        self._publish(messages.op_status(job.instance, job.opcode, job.id, job.status,
                                         _time(stamp), logmsg=logmsg,
                                         cluster=self.cluster.config.name))

    def _publish(self, message) -> None:
        try:
            publisher = self._publisher or getattr(self.core, "publisher", None)
            if publisher is None:
                log.debug("backend %s: no bus, dropping %s", self.backend.name,
                          message.body["type"])
                return
            publisher.publish(message)
        except Exception:  # the bus is an edge; reconciliation repairs what is lost here
            log.exception("backend %s: could not publish %s for %s", self.backend.name,
                          message.body["type"], message.body.get("instance"))

    @contextlib.contextmanager
    def _locked(self, save: bool = False):
        with self._lock, (self._state.locked() if self._state else contextlib.nullcontext()):
            self._reload()
            yield
            if save and self._state is not None:
                self._state.save(self.cluster.to_json())

    def _reload(self) -> None:
        data = self._state.load_if_changed() if self._state is not None else None
        if data is not None:
            self.cluster.load_json(data)


def _operation(name: str) -> str:
    if name not in OPCODES:
        raise ValueError(f"unknown operation {name!r} (one of {', '.join(OPCODES)})")
    return name


def _time(stamp):
    return from_ganeti_timestamp(stamp)
