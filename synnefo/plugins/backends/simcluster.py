"""A simulated Ganeti cluster: instances and jobs kept in Ganeti's own shapes.

Shared by the fake driver (which runs jobs on a timer and publishes notifications) and the RAPI
simulator used in tests (which serves the same data over HTTPS and writes job files). Instances
are stored exactly as ``GET /2/instances/<name>`` answers them and jobs as ``GET /2/jobs/<id>``
does, so both consumers parse them with the real driver's parser. The class is not thread-safe;
its owners lock around it.

Prerequisite checks follow Ganeti 3.0 (see ``fixtures/ganeti-3.0``): an unknown instance or a
duplicate name fails the *job*, not the submission; starting a running instance or stopping a
stopped one succeeds; rebooting a stopped instance starts it. A create is checked against the
cluster's OS definitions (``ClusterConfig.os_definitions``) with Ganeti's messages: an unknown
OS, a missing or unknown variant, or an OS parameter the OS does not declare fails the job.
"""
from __future__ import annotations

import copy
import ipaddress
import itertools
import time
import uuid
from dataclasses import asdict, dataclass, field

OP_CREATE = "OP_INSTANCE_CREATE"
OP_STARTUP = "OP_INSTANCE_STARTUP"
OP_SHUTDOWN = "OP_INSTANCE_SHUTDOWN"
OP_REBOOT = "OP_INSTANCE_REBOOT"
OP_REMOVE = "OP_INSTANCE_REMOVE"
FINAL_STATUSES = frozenset({"success", "error", "canceled"})
RLIB2_HANDLER = {OP_CREATE: "instances", OP_STARTUP: "instances_name_startup",
                 OP_SHUTDOWN: "instances_name_shutdown", OP_REBOOT: "instances_name_reboot",
                 OP_REMOVE: "instances_name"}


class PrerequisiteFailed(Exception):
    """An opcode's prerequisite does not hold; the job ends in ``OpPrereqError``."""

    def __init__(self, message: str, code: str = "wrong_state"):
        super().__init__(message)
        self.result = ["OpPrereqError", [message, code]]


class Clock:
    """Ganeti ``[seconds, microseconds]`` timestamps that increase strictly."""

    def __init__(self):
        self._last = 0

    def now(self) -> list[int]:
        micros = max(int(time.time() * 1_000_000), self._last + 1)
        self._last = micros
        return [micros // 1_000_000, micros % 1_000_000]


@dataclass
class Job:
    """A single-opcode Ganeti job (every job Synnefo submits has one opcode)."""
    id: int
    opcode: str
    instance: str | None
    input: dict
    status: str = "queued"
    result: object = None
    log: list = field(default_factory=list)
    received_ts: list | None = None
    start_ts: list | None = None
    exec_ts: list | None = None
    end_ts: list | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_STATUSES

    def rapi(self) -> dict:
        """The ``GET /2/jobs/<id>`` answer."""
        target = f"({self.instance})" if self.instance else ""
        return {"id": self.id, "ops": [copy.deepcopy(self.input)], "status": self.status,
                "summary": [f"{self.opcode[3:]}{target}"], "opstatus": [self.status],
                "received_ts": self.received_ts, "start_ts": self.start_ts,
                "end_ts": self.end_ts, "oplog": [copy.deepcopy(self.log)],
                "opresult": [copy.deepcopy(self.result)]}

    def last_log(self) -> str | None:
        return self.log[-1][3] if self.log else None


# snf-image's parameters.list; its variants.list has "default".
SNF_IMAGE_PARAMETERS = ("img_id", "img_format", "img_passwd", "img_properties",
                        "img_personality", "config_url")


def default_os_definitions() -> dict:
    """OS name -> {"variants": [...], "parameters": [...]}: a no-parameter OS and snf-image."""
    snf = {"variants": ["default"], "parameters": list(SNF_IMAGE_PARAMETERS)}
    return {"noop": {"variants": [], "parameters": []}, "image": dict(snf),
            "snf-image": dict(snf)}


@dataclass
class ClusterConfig:
    name: str = "cluster.example.test"
    master: str = "node1.example.test"
    software_version: str = "3.0.2"
    memory_total_mib: int = 65536
    vcpus_total: int = 32
    default_link: str = "gnt-br0"
    networks: dict = field(default_factory=lambda: {"snf-net": "198.51.100.192/26"})
    mac_prefix: str = "aa:00:00"
    first_network_port: int = 11000
    os_definitions: dict = field(default_factory=default_os_definitions)
    enabled_disk_templates: list = field(
        default_factory=lambda: ["plain", "drbd", "file", "diskless"])
    unconnected_networks: tuple = ()       # networks in no node group (gnt-network connect)

    def os_names(self) -> list[str]:
        """What ``GET /2/os`` lists: ``name`` or ``name+variant`` for each variant."""
        return sorted(f"{name}+{v}" if v else name
                      for name, d in self.os_definitions.items() for v in d["variants"] or [""])


class SimulatedCluster:
    def __init__(self, config: ClusterConfig | None = None, clock: Clock | None = None):
        self.config = config or ClusterConfig()
        self.clock = clock or Clock()
        self.instances: dict[str, dict] = {}
        self.jobs: dict[int, Job] = {}
        self.next_job_id = 1
        self.next_mac = 1
        self.next_port = self.config.first_network_port

    # -- jobs --------------------------------------------------------------------------------

    def submit(self, opcode: str, instance: str | None, params: dict | None = None) -> Job:
        """Queue a job, as luxid does on submission."""
        job = Job(id=self.next_job_id, opcode=opcode, instance=instance, input={},
                  received_ts=self.clock.now())
        job.input = self._op_input(job, self.redacted(params or {}))
        self.next_job_id += 1
        self.jobs[job.id] = job
        return job

    def _op_input(self, job: Job, params: dict) -> dict:
        ns = job.received_ts[0] * 1_000_000_000 + job.received_ts[1] * 1000
        handler = RLIB2_HANDLER.get(job.opcode, "unknown")
        reason = [[f"gnt:library:rlib2:{handler}", "", ns],
                  [f"gnt:opcode:{job.opcode[3:].lower()}", f"job={job.id};index=0", ns]]
        base = {"dry_run": False, "debug_level": 0, "priority": 0, "depends": None,
                "comment": None, "reason": reason, "OP_ID": job.opcode}
        if job.instance is not None:
            base["instance_name"] = job.instance
        return {**base, **params}

    @staticmethod
    def redacted(params: dict) -> dict:
        """What Ganeti writes to its job files: secret OS parameters as ``<redacted>``."""
        secret = params.get("osparams_secret")
        if not secret:
            return params
        return {**params, "osparams_secret": {k: "<redacted>" for k in secret}}

    def advance(self, job_id: int, status: str) -> Job:
        """Move a job to ``waiting`` or ``running`` (timestamps as Ganeti sets them)."""
        job = self.jobs[job_id]
        job.status = status
        if job.start_ts is None:
            job.start_ts = self.clock.now()
        if status == "running" and job.exec_ts is None:
            job.exec_ts = self.clock.now()
        return job

    def add_log(self, job_id: int, message: str) -> Job:
        job = self.jobs[job_id]
        serial = (job.log[-1][0] + 1) if job.log else 1
        job.log.append([serial, self.clock.now(), "message", message])
        return job

    def execute(self, job_id: int, fail_message: str | None = None) -> Job:
        """Run the job's opcode: check prerequisites, apply the effect, end the job."""
        job = self.jobs[job_id]
        if job.start_ts is None:
            self.advance(job_id, "running")
        error = (["OpExecError", [fail_message]] if fail_message is not None
                 else self._prerequisite_error(job))
        if error is None:
            try:
                job.result = self._apply(job)
                return self._end(job, "success")
            except PrerequisiteFailed as exc:
                error = exc.result
        job.result = error
        return self._end(job, "error")

    def cancel(self, job_id: int) -> Job:
        job = self.jobs[job_id]
        job.result = ["OpExecError", ["Job canceled by request"]]
        return self._end(job, "canceled")

    def _end(self, job: Job, status: str) -> Job:
        job.status = status
        job.end_ts = self.clock.now()
        return job

    def _prerequisite_error(self, job: Job):
        exists = job.instance in self.instances
        if job.opcode == OP_CREATE and exists:
            return ["OpPrereqError", [f"Instance '{job.instance}' is already in the cluster",
                                      "already_exists"]]
        if job.opcode != OP_CREATE and job.instance is not None and not exists:
            return ["OpPrereqError", [f"Instance '{job.instance}' not known", "unknown_entity"]]
        if job.opcode == OP_CREATE:
            return self._os_error(job.input)
        return None

    def _os_error(self, params: dict):
        """Ganeti's ``CheckOSParams`` on the only node (``backend.ValidateOS``)."""
        if "os_type" not in params:
            return None
        reason = os_problem(self.config.os_definitions, params["os_type"],
                            [*(params.get("osparams") or {}),
                             *(params.get("osparams_private") or {}),
                             *(params.get("osparams_secret") or {})],
                            bool(params.get("force_variant")))
        if reason is None:
            return None
        return ["OpExecError", [f"OS Parameters validation failed on node "
                                f"{self.config.master}: {reason}"]]

    def _apply(self, job: Job):
        if job.opcode == OP_CREATE:
            self.instances[job.instance] = self._new_instance(job.instance, job.input)
            started = bool(job.input.get("start", True))
            self.set_state(job.instance, running=started, admin_up=started)
            return [self.config.master]
        if job.opcode == OP_REMOVE:
            del self.instances[job.instance]
        elif job.opcode == OP_SHUTDOWN:
            self.set_state(job.instance, running=False, admin_up=False)
        elif job.opcode in (OP_STARTUP, OP_REBOOT):
            self.set_state(job.instance, running=True, admin_up=True)
        return None

    # -- instances ---------------------------------------------------------------------------

    def add_instance(self, name: str, *, vcpus: int = 1, memory_mib: int = 1024,
                     disk_mib: int = 1024, nics: list[dict] | None = None, running: bool = True,
                     admin_up: bool | None = None, os: str = "noop",
                     disk_template: str = "plain") -> dict:
        """Put an instance in the cluster directly (no job), as a test's starting point."""
        params = {"beparams": {"vcpus": vcpus, "maxmem": memory_mib, "minmem": memory_mib},
                  "disks": [{"size": disk_mib}], "nics": nics if nics is not None else [{}],
                  "os_type": os, "disk_template": disk_template}
        self.instances[name] = self._new_instance(name, params)
        self.set_state(name, running=running, admin_up=running if admin_up is None else admin_up)
        return self.instances[name]

    def set_state(self, name: str, *, running: bool | None = None,
                  admin_up: bool | None = None) -> None:
        data = self.instances[name]
        if running is not None:
            data["oper_state"] = running
        if admin_up is not None:
            data["admin_state"] = "up" if admin_up else "down"
        data["status"] = _status(data["admin_state"] == "up", data["oper_state"])
        data["oper_ram"] = data["beparams"]["maxmem"] if data["oper_state"] else None
        data["oper_vcpus"] = data["beparams"]["vcpus"] if data["oper_state"] else None
        data["serial_no"] += 1
        data["mtime"] = time.time()

    def _new_instance(self, name: str, params: dict) -> dict:
        beparams = params.get("beparams") or {}
        memory = beparams.get("maxmem") or beparams.get("memory") or 128
        nics = [self._nic(n) for n in params.get("nics") or []]
        disks = [d.get("size", 0) for d in params.get("disks") or []]
        port = self.next_port
        self.next_port += 1
        return {
            "name": name, "admin_state": "up", "os": params.get("os_type") or params.get("os"),
            "pnode": self.config.master, "snodes": [],
            "disk_template": params.get("disk_template", "plain"),
            "nic.ips": [n["ip"] for n in nics], "nic.macs": [n["mac"] for n in nics],
            "nic.modes": [n["mode"] for n in nics], "nic.uuids": [n["uuid"] for n in nics],
            "nic.names": [None for _ in nics], "nic.links": [n["link"] for n in nics],
            "nic.networks": [n["network_uuid"] for n in nics],
            "nic.networks.names": [n["network"] for n in nics],
            "nic.bridges": [n["link"] for n in nics], "network_port": port,
            "disk.sizes": disks, "disk.spindles": [None for _ in disks],
            "disk_usage": sum(disks),
            "disk.uuids": [_uuid(name, "disk", i) for i in range(len(disks))],
            "disk.names": [None for _ in disks],
            "beparams": {"minmem": beparams.get("minmem", memory), "maxmem": memory,
                         "vcpus": beparams.get("vcpus", 1), "auto_balance": True,
                         "always_failover": False, "spindle_use": 1, "memory": memory},
            "hvparams": {}, "oper_state": True, "oper_ram": memory,
            "oper_vcpus": beparams.get("vcpus", 1), "status": "running",
            "custom_hvparams": {}, "custom_beparams": dict(beparams),
            "custom_nicparams": [{k: v for k, v in n.items() if k in ("mode", "link")}
                                 for n in nics],
            "ctime": time.time(), "mtime": time.time(), "uuid": _uuid(name, "instance", 0),
            "serial_no": 1, "tags": list(params.get("tags") or []),
        }

    def _nic(self, spec: dict) -> dict:
        network = spec.get("network") or None
        index = self.next_mac
        self.next_mac += 1
        mac = spec.get("mac") or f"{self.config.mac_prefix}:{index >> 16 & 255:02x}:" \
                                  f"{index >> 8 & 255:02x}:{index & 255:02x}"
        return {"mac": mac, "ip": self._ip(spec.get("ip"), network), "network": network,
                "mode": spec.get("mode") or "bridged",
                "link": spec.get("link") or self.config.default_link,
                "network_uuid": _uuid(network, "network", 0) if network else None,
                "uuid": _uuid(mac, "nic", 0)}

    def _ip(self, requested: str | None, network: str | None) -> str | None:
        if requested != "pool":
            return requested or None
        subnet = ipaddress.ip_network(self.config.networks.get(network or "", "") or
                                      next(iter(self.config.networks.values())))
        taken = {ip for data in self.instances.values() for ip in data["nic.ips"] if ip}
        for host in itertools.islice(subnet.hosts(), 1, None):  # the first host is the gateway
            if str(host) not in taken:
                return str(host)
        raise PrerequisiteFailed(f"Unable to get a free IP address from network "
                                 f"'{network or 'default'}' ({subnet})", "insufficient_resources")

    # -- persistence -------------------------------------------------------------------------

    def to_json(self, keep_jobs: int = 1000) -> dict:
        kept = sorted(self.jobs)[-keep_jobs:]
        return {"version": 1, "next_job_id": self.next_job_id, "next_mac": self.next_mac,
                "next_port": self.next_port, "instances": self.instances,
                "jobs": [asdict(self.jobs[i]) for i in kept]}

    def load_json(self, data: dict) -> None:
        self.instances = data.get("instances", {})
        self.jobs = {j["id"]: Job(**j) for j in data.get("jobs", [])}
        self.next_job_id = data.get("next_job_id", 1)
        self.next_mac = data.get("next_mac", 1)
        self.next_port = data.get("next_port", self.config.first_network_port)


def os_problem(definitions: dict, os_type: str, parameters, force_variant=False) -> str | None:
    """Why Ganeti would refuse ``os_type`` with these parameter names (None: it accepts)."""
    name, _, variant = os_type.partition("+")
    definition = definitions.get(name)
    if definition is None:
        return f"Directory for OS {name} not found in search path"
    variants = definition["variants"]
    if not force_variant and not variants and variant:
        return f"OS '{name}' does not support variants ('{variant}' passed)"
    if not force_variant and variants and not variant:
        return f"OS name '{os_type}' must include a variant"
    if not force_variant and variants and variant not in variants:
        return f"OS '{name}' does not support variant '{variant}'"
    unknown = sorted(set(parameters) - set(definition["parameters"]))
    if unknown:
        return (f"The following parameters are not supported by the OS {name}: "
                f"{', '.join(unknown)}")
    return None


def _status(admin_up: bool, running: bool) -> str:
    if admin_up:
        return "running" if running else "ERROR_down"
    return "ERROR_up" if running else "ADMIN_down"


def _uuid(seed: str, kind: str, index: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"synnefo-sim:{kind}:{seed}:{index}"))
