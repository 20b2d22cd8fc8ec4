"""The backend driver contract: one driver instance talks to one Ganeti cluster.

Drivers are found in the entry-point group ``synnefo.backend_drivers``; the entry-point name is
what a backend row's ``driver`` column and the ``.ini`` enable list refer to. The class is
constructed as ``Driver(backend=BackendInfo, core=Core)``.

Every mutating call submits a Ganeti job and returns its id at once; it never waits for the job.
Errors are domain errors from ``synnefo.core.errors``:

* ``BackendUnavailable``: transient (timeout, connection refused, 5xx);
* ``BackendRefused``: the cluster refused the request; the message is the cluster's reason;
* ``BackendNotFound``: the instance or job does not exist.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field

# Plain values of what Ganeti reports; the domain compares them, drivers return them.
from synnefo.core.domain.ganeti import InstanceInfo, JobInfo, NicInfo  # noqa: F401 (re-exported)
from synnefo.core.errors import SynnefoError


@dataclass(frozen=True)
class BackendInfo:
    """What a driver needs to know about its cluster (from the ``backends`` table)."""
    id: int
    name: str
    driver: str
    rapi_url: str | None = None
    username: str | None = None
    password: str | None = None
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NicSpec:
    """A NIC to create: Ganeti network or link, and an IP (``"pool"`` to take one from the network)."""
    network: str | None = None
    link: str | None = None
    ip: str | None = None
    mode: str | None = None


@dataclass(frozen=True)
class InstanceSpec:
    """Everything needed to create an instance."""
    name: str
    vcpus: int
    ram_mib: int
    disk_gib: int
    image_ref: str
    image_format: str
    password: str
    nics: tuple[NicSpec, ...] = ()
    os_provider: str | None = None
    metadata: dict = field(default_factory=dict)
    # The OS scripts get these through the backend's OS parameters (snf-image: img_personality).
    key_name: str | None = None
    public_keys: tuple[str, ...] = ()          # OpenSSH public keys (or PEM certificates)
    user_data: str | None = None               # base64 text, as the client sent it
    personality: tuple[tuple[str, str], ...] = ()   # (path, base64 contents)
    # The image's metadata; its ``ganeti.*`` keys override the backend's OS settings.
    image_properties: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ConsoleInfo:
    """Where the instance's console listens (``kind`` is ``vnc``, ``spice``, ``msg`` ...)."""
    kind: str
    host: str | None = None
    port: int | None = None
    message: str | None = None


@dataclass(frozen=True)
class ClusterInfo:
    name: str
    software_version: str | None = None
    master: str | None = None
    nodes: int = 0
    memory_total_mib: int | None = None
    memory_free_mib: int | None = None
    vcpus_total: int | None = None
    instances: int | None = None


@dataclass(frozen=True)
class CheckResult:
    """One finding of ``BackendDriver.check``: ``fix`` tells the operator what to change."""
    name: str
    ok: bool
    detail: str
    fix: str | None = None


class BackendDriver(abc.ABC):
    """Talks to one Ganeti cluster on behalf of every process that needs it."""

    def __init__(self, backend: BackendInfo, core=None):
        self.backend = backend
        self.core = core

    @abc.abstractmethod
    def create_instance(self, spec: InstanceSpec) -> int:
        """Submit the creation (and start) of an instance; return the job id."""

    @abc.abstractmethod
    def start_instance(self, name: str) -> int:
        """Submit a startup; return the job id."""

    @abc.abstractmethod
    def shutdown_instance(self, name: str) -> int:
        """Submit a shutdown; return the job id."""

    @abc.abstractmethod
    def reboot_instance(self, name: str, hard: bool = False) -> int:
        """Submit a soft or hard reboot; return the job id."""

    @abc.abstractmethod
    def delete_instance(self, name: str) -> int:
        """Submit the removal of an instance; return the job id."""

    @abc.abstractmethod
    def get_console(self, name: str) -> ConsoleInfo:
        """Where the instance's VNC console listens (primary node and network port)."""

    @abc.abstractmethod
    def list_instances(self) -> list[InstanceInfo]:
        """Every instance of the cluster, in one call (used by reconciliation)."""

    @abc.abstractmethod
    def get_job(self, job_id: int) -> JobInfo:
        """The job's current status (``status`` None if the cluster does not know it)."""

    @abc.abstractmethod
    def cluster_info(self) -> ClusterInfo:
        """Cluster name, version and capacity."""

    def check(self, public_network: str = "") -> list[CheckResult]:
        """Whether this backend can take servers as configured (``snf-manage backend-check``).

        Never raises for a problem of the cluster or the configuration: each becomes a failed
        ``CheckResult``. The default only asks for the cluster's information; drivers add
        their own checks (credentials, OS, disk template, networks).
        """
        try:
            info = self.cluster_info()
        except SynnefoError as exc:
            return [CheckResult("cluster", False, str(exc))]
        return [CheckResult("cluster", True, f"{info.name} ({info.software_version})")]

    def close(self) -> None:
        """Release connections. Optional."""
