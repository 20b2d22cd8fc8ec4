"""``snf-manage backend-check`` for the ganeti driver: can this cluster take servers as configured?

Each check turns a failure into a ``CheckResult`` whose ``fix`` says what to change: the RAPI
address and TLS verification, the credentials (read and write), the OS the creates will ask
for, the disk template, the placement and the network new servers are attached to. Nothing
is submitted to the cluster.
"""
from __future__ import annotations

import requests

from synnefo.core.contracts import CheckResult
from synnefo.core.contracts.backend import InstanceSpec
from synnefo.core.errors import BackendError, BackendNotFound, BackendRefused
from synnefo.plugins.backends import osparams

CERT_FIX = ("set --option ca_file=/path/to/the/cluster/certificate (a copy of the certificate "
            "part of /var/lib/ganeti/rapi.pem on the master); its name must match the host in "
            "rapi_url")
USERS_FILE = "/var/lib/ganeti/rapi/users"
# A sample server, to render the OS parameter templates before any real create does.
SAMPLE = InstanceSpec(name="snf-check", vcpus=1, ram_mib=1024, disk_gib=10, image_ref="image",
                      image_format="diskdump", password="password")


def run_checks(driver, public_network: str = "") -> list[CheckResult]:
    """Every check, in order; after an unreachable cluster only that failure is reported."""
    reach, info = _reach(driver)
    if not reach.ok:
        return [reach]
    return [reach, _write_access(driver), _os(driver), _disk_template(driver, info),
            _placement(driver), _network(driver, info, public_network)]


def _reach(driver) -> tuple[CheckResult, dict]:
    url = driver.backend.rapi_url
    try:
        info = driver.rapi.get("/2/info")
    except BackendRefused as exc:
        return CheckResult("rapi", False, str(exc), _credentials_fix(driver)), {}
    except BackendNotFound:
        return CheckResult("rapi", False, f"{url} answers, but not as Ganeti RAPI v2 "
                                          f"(/2/info not found)",
                           "set --rapi-url to the master's RAPI, e.g. https://MASTER:5080"), {}
    except BackendError as exc:
        return CheckResult("rapi", False, str(exc), _transport_fix(exc)), {}
    tls = "TLS verified" if driver.options["verify"] else "TLS verification OFF"
    return CheckResult("rapi", True, f"{url}: cluster {info.get('name')}, Ganeti "
                                     f"{info.get('software_version')}, {tls}"), info


def _transport_fix(exc: BackendError) -> str:
    if isinstance(exc.__cause__, requests.exceptions.SSLError):
        return CERT_FIX
    if exc.details.get("status"):
        return "the RAPI daemon failed: see /var/log/ganeti/rapi-daemon.log on the master"
    return ("check --rapi-url (https://MASTER:5080) and that ganeti-rapi runs on the master "
            "and is reachable from this host (firewall, RAPI_ARGS bind address)")


def _credentials_fix(driver) -> str:
    user = driver.backend.username
    if not user:
        return "give the RAPI user: --username NAME --credentials env:VAR|file:/path|setting"
    return (f"check the password of RAPI user {user!r} (the backend's --credentials) against "
            f"{USERS_FILE} on the master")


def _write_access(driver) -> CheckResult:
    # A create without "__version__" is refused with 400 only after authentication and the
    # write permission are checked (401/403 first), and no job is created.
    user = driver.backend.username
    try:
        status, message = driver.rapi.probe("POST", "/2/instances", {})
    except BackendError as exc:
        return CheckResult("credentials", False, str(exc), _transport_fix(exc))
    if status == 400:
        return CheckResult("credentials", True, f"RAPI user {user!r} may submit jobs")
    if status == 403:
        return CheckResult("credentials", False, f"RAPI user {user!r} is read-only",
                           f"give it write access in {USERS_FILE}: '{user} {{HA1}}... write'")
    if status == 401:
        return CheckResult("credentials", False, f"the cluster rejected the RAPI credentials "
                                                 f"for writes (HTTP 401 {message})",
                           _credentials_fix(driver))
    return CheckResult("credentials", False, f"an empty create was answered with HTTP {status} "
                                             f"{message}", "is rapi_url really Ganeti's RAPI?")


def _os(driver) -> CheckResult:
    settings = getattr(driver.core, "settings", None)
    fallback = getattr(settings, "os_provider", None) or "image+default"
    try:
        config = osparams.os_config(driver.options, {}, fallback)
        sent = osparams.build(config, SAMPLE)
    except osparams.OsParamsError as exc:
        return CheckResult("os", False, str(exc), "fix the backend's os_params option")
    available = driver.rapi.get("/2/os")
    params = sorted({*sent.osparams, *sent.osparams_secret}) or ["no OS parameters"]
    if config.os_provider in available:
        return CheckResult("os", True, f"{config.os_provider} exists; creates send "
                                       f"{', '.join(params)}")
    return CheckResult("os", False, _os_problem(config.os_provider, available),
                       "install the OS definition on every node, or set --option "
                       "os_provider=ONE_OF_THE_ABOVE (and os_params for its parameters: "
                       "docs/backends.md)")


def _os_problem(wanted: str, available: list) -> str:
    listed = ", ".join(available) or "none"
    name = wanted.partition("+")[0]
    variants = [n for n in available if n.partition("+")[0] == name]
    if variants and "+" not in wanted:
        return f"OS {wanted} needs a variant: one of {', '.join(variants)}"
    if variants:
        return f"OS {name} has no such variant: {wanted} (the cluster has {', '.join(variants)})"
    return f"OS {wanted} is not on the cluster (GET /2/os lists: {listed})"


def _disk_template(driver, info: dict) -> CheckResult:
    wanted = driver.options["disk_template"]
    enabled = info.get("enabled_disk_templates")
    allowed = (info.get("ipolicy") or {}).get("disk-templates")
    if enabled is not None and wanted not in enabled:
        return CheckResult("disk_template", False, f"disk template {wanted} is not enabled on "
                                                   f"the cluster (enabled: {', '.join(enabled)})",
                           f"set --option disk_template=ONE_OF_THOSE, or enable it: "
                           f"gnt-cluster modify --enabled-disk-templates=...,{wanted}")
    if allowed is not None and wanted not in allowed:
        return CheckResult("disk_template", False, f"the cluster's instance policy does not "
                                                   f"allow disk template {wanted} "
                                                   f"(allowed: {', '.join(allowed)})",
                           f"gnt-cluster modify --ipolicy-disk-templates=...,{wanted}")
    return CheckResult("disk_template", True, f"{wanted} is enabled")


def _placement(driver) -> CheckResult:
    node = driver.options["pnode"]
    if not node:
        return CheckResult("placement", True, f"iallocator {driver.options['iallocator']}")
    nodes = [n["id"] if isinstance(n, dict) else n for n in driver.rapi.get("/2/nodes")]
    if node in nodes:
        return CheckResult("placement", True, f"fixed primary node {node}")
    return CheckResult("placement", False, f"node {node} is not in the cluster (nodes: "
                                           f"{', '.join(nodes)})",
                       "set --option pnode=ONE_OF_THOSE, or leave it empty for the iallocator")


def _network(driver, info: dict, public_network: str) -> CheckResult:
    if not public_network:
        default = (info.get("nicparams") or {}).get("default") or {}
        return CheckResult("network", True, f"no synnefo.public_network: NICs take the "
                                            f"cluster's defaults (mode {default.get('mode')}, "
                                            f"link {default.get('link')})")
    networks = {n["name"]: n for n in driver.rapi.get("/2/networks", params={"bulk": 1})}
    network = networks.get(public_network)
    if network is None:
        return CheckResult("network", False, f"network {public_network} (synnefo.public_network)"
                                             f" is not on the cluster (networks: "
                                             f"{', '.join(sorted(networks)) or 'none'})",
                           f"gnt-network add --network=CIDR --gateway=IP {public_network}, "
                           f"then gnt-network connect; or change synnefo.public_network")
    if not network.get("group_list"):
        return CheckResult("network", False, f"network {public_network} is not connected to "
                                             f"any node group",
                           f"gnt-network connect --nic-parameters=mode=bridged,link=BRIDGE "
                           f"{public_network}")
    return CheckResult("network", True, f"{public_network} {network.get('network')}, "
                                        f"{network.get('free_count')} free addresses")
