"""The Ganeti RAPI driver: one instance talks to one cluster over RAPI v2 (HTTPS, basic auth).

Options (``docs/backends.md`` is the operator reference) come from the backend row's ``options``,
falling back to ``synnefo.ganeti.*`` in the ``.ini``:

* ``ca_file``: the cluster's certificate (``/var/lib/ganeti/rapi.pem``) or CA bundle;
* ``verify`` (default true): false turns certificate verification off;
* ``connect_timeout`` (5 s), ``read_timeout`` (30 s), ``retries`` (3, GETs only), ``backoff``;
* ``disk_template`` (``plain``), ``iallocator`` (``hail``) or a fixed ``pnode``;
* the OS and its parameters: ``os_provider``, ``os_params``, ``password_param`` and
  ``secret_password`` (see ``osparams``; an image's ``ganeti.*`` metadata overrides them).
"""
from __future__ import annotations

import logging
import os
from urllib.parse import quote, urlsplit

import colander

from synnefo.core.contracts import (
    BackendDriver, BackendInfo, CheckResult, ClusterInfo, ConsoleInfo, InstanceInfo, InstanceSpec,
    JobInfo,
)
from synnefo.core.errors import BackendNotFound, BackendRefused, ConfigurationError
from synnefo.plugins.backends import ganeti_answers as answers
from synnefo.plugins.backends import ganeti_check, osparams
from synnefo.plugins.backends.options import boolean, driver_options, option
from synnefo.plugins.backends.rapi_client import RapiClient, RapiConfig

log = logging.getLogger(__name__)

DEFAULT_OS_PROVIDER = "image+default"


class GanetiOptions(colander.MappingSchema):
    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        f, i, s = colander.Float, colander.Int, colander.String
        positive = colander.Range(min=0.001)
        for node in (option(s(allow_empty=True), "ca_file", ""),
                     option(boolean(), "verify", True),
                     option(f(), "connect_timeout", 5.0, positive),
                     option(f(), "read_timeout", 30.0, positive),
                     option(i(), "retries", 3, colander.Range(min=0, max=10)),
                     option(f(), "backoff", 0.2, colander.Range(min=0)),
                     option(s(), "disk_template", "plain"),
                     option(s(), "iallocator", "hail"),
                     option(s(allow_empty=True), "pnode", ""),
                     *osparams.option_nodes()):
            self.add(node)


class GanetiDriver(BackendDriver):
    """Submits Ganeti jobs over RAPI; never waits for them."""

    def __init__(self, backend: BackendInfo, core=None):
        super().__init__(backend, core)
        _check_url(backend)
        self.options = driver_options(GanetiOptions(), backend, core, "ganeti")
        self.rapi = RapiClient(self._rapi_config())

    def _rapi_config(self) -> RapiConfig:
        o = self.options
        if o["verify"] and o["ca_file"] and not os.path.isfile(o["ca_file"]):
            raise ConfigurationError(f"backend {self.backend.name!r}: ca_file {o['ca_file']} "
                                     f"does not exist")
        verify = (o["ca_file"] or True) if o["verify"] else False
        if not o["verify"]:
            log.warning("backend %s: TLS certificate verification is OFF", self.backend.name)
        return RapiConfig(base_url=self.backend.rapi_url, username=self.backend.username,
                          password=self.backend.password, verify=verify,
                          connect_timeout=o["connect_timeout"], read_timeout=o["read_timeout"],
                          retries=o["retries"], backoff=o["backoff"],
                          label=f"backend {self.backend.name}")

    # -- mutating calls: each returns the job id Ganeti answered -----------------------------

    def create_instance(self, spec: InstanceSpec) -> int:
        job_id = int(self.rapi.post("/2/instances", self.create_body(spec)))
        log.info("backend %s: create %s submitted as job %s", self.backend.name, spec.name, job_id)
        return job_id

    def start_instance(self, name: str) -> int:
        return self._submit("startup", name, self.rapi.put, f"{_path(name)}/startup")

    def shutdown_instance(self, name: str) -> int:
        return self._submit("shutdown", name, self.rapi.put, f"{_path(name)}/shutdown")

    def reboot_instance(self, name: str, hard: bool = False) -> int:
        kind = "hard" if hard else "soft"
        return self._submit(f"{kind} reboot", name, self.rapi.post, f"{_path(name)}/reboot",
                            params={"type": kind})

    def delete_instance(self, name: str) -> int:
        return self._submit("removal", name, self.rapi.delete, _path(name))

    def _submit(self, what: str, name: str, call, path: str, **kw) -> int:
        job_id = int(call(path, **kw))
        log.info("backend %s: %s of %s submitted as job %s", self.backend.name, what, name, job_id)
        return job_id

    def create_body(self, spec: InstanceSpec) -> dict:
        """The ``POST /2/instances`` body, request-data version 1."""
        body = {"__version__": 1, "mode": "create", "instance_name": spec.name,
                "disk_template": self.options["disk_template"],
                "disks": [{"size": spec.disk_gib * 1024}],
                "nics": [nic_params(n) for n in spec.nics],
                "beparams": {"vcpus": spec.vcpus, "maxmem": spec.ram_mib, "minmem": spec.ram_mib},
                "name_check": False, "ip_check": False, "start": True}
        body.update(os_request(self.options, self.core, spec, self.backend.name).body())
        body.update(self._placement())
        return body

    def _placement(self) -> dict:
        if self.options["pnode"]:
            return {"pnode": self.options["pnode"]}
        return {"iallocator": self.options["iallocator"]}

    # -- reads -------------------------------------------------------------------------------

    def list_instances(self) -> list[InstanceInfo]:
        return [answers.instance_info(item) for item in self.rapi.get("/2/instances",
                                                                     params={"bulk": 1})]

    def get_job(self, job_id: int) -> JobInfo:
        # Ganeti 3 answers an unknown job with 200 and nulls; Ganeti 2 with a 404.
        try:
            return answers.job_info(self.rapi.get(f"/2/jobs/{int(job_id)}"))
        except BackendNotFound:
            return JobInfo(id=int(job_id), status=None)

    def get_console(self, name: str) -> ConsoleInfo:
        # /console answers with the cluster-wide VNC bind address, useless to a proxy: the
        # instance's primary node and network port are where its VNC server really listens.
        data = self.rapi.get(_path(name))
        if not answers.is_running(data):
            raise BackendRefused(f"instance {name} is not running", instance=name)
        if not data.get("network_port") or not data.get("pnode"):
            raise BackendRefused(f"instance {name} has no VNC console (no network port)",
                                 instance=name)
        return ConsoleInfo(kind="vnc", host=data["pnode"], port=int(data["network_port"]))

    def check(self, public_network: str = "") -> list[CheckResult]:
        """RAPI, TLS, credentials, OS, disk template, placement and network (see ganeti_check)."""
        return ganeti_check.run_checks(self, public_network)

    def cluster_info(self) -> ClusterInfo:
        return answers.cluster_info(self.rapi.get("/2/info"),
                                    self.rapi.get("/2/nodes", params={"bulk": 1}))

    def close(self) -> None:
        self.rapi.close()


def os_request(options: dict, core, spec: InstanceSpec, backend: str) -> osparams.OsRequest:
    """The OS and OS parameters of a create; a template that fails is the cluster's refusal
    to take the request (the server goes to ERROR with the reason)."""
    # The backend's own option is the most specific: this cluster's OS definition.
    settings = getattr(core, "settings", None)
    fallback = spec.os_provider or getattr(settings, "os_provider", None) or DEFAULT_OS_PROVIDER
    try:
        config = osparams.os_config(options, spec.image_properties, fallback)
        return osparams.build(config, spec)
    except osparams.OsParamsError as exc:
        raise BackendRefused(f"backend {backend}: {exc}", instance=spec.name) from None


def _check_url(backend: BackendInfo) -> None:
    url = urlsplit(backend.rapi_url or "")
    if url.scheme not in ("https", "http") or not url.hostname:
        raise ConfigurationError(f"backend {backend.name!r}: the ganeti driver needs rapi_url "
                                 f"like https://ganeti-master.example.org:5080, not "
                                 f"{backend.rapi_url!r}")
    if url.scheme == "http":
        log.warning("backend %s: RAPI over plain HTTP (%s)", backend.name, backend.rapi_url)


def _path(name: str) -> str:
    return f"/2/instances/{quote(name, safe='')}"


def nic_params(nic) -> dict:
    """A ``NicSpec`` as a Ganeti NIC definition (unset fields take the cluster's defaults, so
    ``NicSpec()`` is one NIC with the cluster's default mode and link)."""
    fields = {"network": nic.network, "link": nic.link, "ip": nic.ip, "mode": nic.mode}
    return {k: v for k, v in fields.items() if v}
