"""A Ganeti RAPI v2 simulator for tests: HTTPS on loopback, Ganeti 3.0's shapes and status codes.

It answers the calls the Ganeti driver makes (instances, bulk listing, create, startup,
shutdown, reboot, delete, jobs, info, nodes, features), checks basic auth (401 on bad
credentials, 403 for writes by a read-only user), and writes job files into a queue directory
as Ganeti does. Jobs stay where a test puts them: ``finish_job``/``finish_all`` run them.

    sim = RapiSimulator(users={"admin": "secret"}, queue_dir=tmp_path / "queue")
    sim.start(tls.server_context)          # see make_tls(); port 0 on 127.0.0.1
    sim.add_instance("snf-1", running=True)
    ...                                     # drive a GanetiDriver at sim.url
    sim.finish_all()
    sim.stop()

Scripted trouble: ``script_error("POST", "/2/instances", 400, "message")``,
``script_delay("GET", "/2/info", 2.0)``. Every request is recorded in ``requests``.
The shapes come from ``fixtures/ganeti-3.0/rapi`` (recorded from a real Ganeti 3.0.2).
"""
from __future__ import annotations

import base64
import html
import ipaddress
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from synnefo.plugins.backends import simcluster as sim
from synnefo.testing.ganeti_queue import JobQueueWriter

log = logging.getLogger(__name__)

FEATURES = ["instance-reinstall-reqv1", "node-migrate-reqv1", "instance-create-reqv1",
            "node-evac-res1"]
CREATE_MODES = ("create", "import", "remote-import")
CREATE_REQUIRED = ("instance_name", "disk_template", "disks", "nics")
CREATE_PARAMS = frozenset({
    "mode", "instance_name", "os_type", "osparams", "osparams_private", "osparams_secret",
    "disk_template", "disks", "nics", "beparams", "hvparams", "hypervisor", "iallocator",
    "pnode", "snode", "name_check", "ip_check", "conflicts_check", "start", "wait_for_sync",
    "tags", "file_driver", "file_storage_dir", "force_variant", "no_install", "identify_defaults",
    "src_node", "src_path", "source_handshake", "source_x509_ca", "source_instance_name",
    "opportunistic_locking", "ignore_ipolicy", "dry_run", "instance_communication",
    "helper_startup_timeout", "helper_shutdown_timeout", "compress", "forthcoming", "commit",
})
EXPLAIN = {400: "Bad request syntax or unsupported method",
           401: "No permission -- see authorization schemes",
           403: "Request forbidden -- authorization will not help",
           404: "Nothing matches the given URI",
           500: "Server got itself in trouble",
           501: "Server does not support this operation",
           502: "Invalid responses from another server/proxy.",
           503: "The server cannot process the request due to a high load",
           504: "The gateway server did not receive a timely response"}
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}


class HttpError(Exception):
    def __init__(self, status: int, message: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message or REASONS.get(status, "Error")


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict
    body: object
    user: str | None


@dataclass(frozen=True)
class SubmittedJob:
    """A job as the simulator holds it; ``body`` is the JSON the client sent."""
    id: int
    opcode: str
    instance: str | None
    status: str
    body: object
    query: dict


@dataclass
class _Script:
    method: str
    pattern: re.Pattern
    status: int | None
    message: str | None
    delay: float
    times: int


@dataclass(frozen=True)
class TlsFiles:
    """A CA and a server certificate for 127.0.0.1/localhost, made with ``trustme``."""
    ca_file: str
    server_context: object


def make_tls(directory) -> TlsFiles:
    """Issue a throw-away CA and server certificate; the CA's PEM is written to ``directory``."""
    import ssl

    import trustme  # test dependency: imported only when a test asks for certificates
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    path = Path(directory) / f"rapi-ca-{id(ca):x}.pem"
    ca.cert_pem.write_to_path(str(path))
    return TlsFiles(ca_file=str(path), server_context=context)


class RapiSimulator:
    def __init__(self, *, users: dict[str, str] | None = None, read_only_users=(),
                 queue_dir=None, cluster: sim.ClusterConfig | None = None,
                 first_job_id: int = 1):
        self.users = dict(users if users is not None else {"admin": "secret"})
        self.read_only_users = frozenset(read_only_users)
        self.cluster = sim.SimulatedCluster(cluster)
        self.cluster.next_job_id = first_job_id
        self.queue = JobQueueWriter(queue_dir) if queue_dir is not None else None
        self.requests: list[RecordedRequest] = []
        self._bodies: dict[int, tuple[object, dict]] = {}
        self._scripts: list[_Script] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._routes = _routes(self)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, ssl_context=None) -> "RapiSimulator":
        """Listen on 127.0.0.1, a free port; HTTPS when ``ssl_context`` is given."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.simulator = self
        if ssl_context is not None:
            server.socket = ssl_context.wrap_socket(server.socket, server_side=True,
                                                    do_handshake_on_connect=False)
        self._server = server
        self._scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,),
                                        name="rapi-simulator", daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- cluster state -----------------------------------------------------------------------

    def add_instance(self, name: str, **kw) -> None:
        """Add an instance directly (kw: vcpus, memory_mib, disk_mib, nics, running, admin_up)."""
        with self._lock:
            self.cluster.add_instance(name, **kw)

    def add_instances(self, names, **kw) -> None:
        with self._lock:
            for name in names:
                self.cluster.add_instance(name, **kw)

    def set_state(self, name: str, *, running=None, admin_up=None) -> None:
        with self._lock:
            self.cluster.set_state(name, running=running, admin_up=admin_up)

    def remove_instance(self, name: str) -> None:
        with self._lock:
            self.cluster.instances.pop(name, None)

    def instance(self, name: str) -> dict | None:
        with self._lock:
            data = self.cluster.instances.get(name)
            return json.loads(json.dumps(data)) if data is not None else None

    # -- jobs --------------------------------------------------------------------------------

    def jobs(self) -> list[SubmittedJob]:
        with self._lock:
            return [self._submitted(job) for job in self.cluster.jobs.values()]

    def pending_jobs(self) -> list[SubmittedJob]:
        return [job for job in self.jobs() if job.status not in sim.FINAL_STATUSES]

    def advance_job(self, job_id: int, status: str, log_message: str | None = None) -> None:
        """Move a job to ``waiting``/``running``, optionally adding an oplog line; writes a file."""
        with self._lock:
            job = self.cluster.advance(job_id, status)
            if log_message is not None:
                self.cluster.add_log(job_id, log_message)
            self._write(job)

    def finish_job(self, job_id: int, status: str = "success",
                   message: str | None = None) -> SubmittedJob:
        """Run a job to its end like Ganeti (waiting, running, then success or error).

        With ``status="error"`` the job fails with ``message``; otherwise the job's own
        prerequisites decide (an unknown instance fails it, as in Ganeti).
        """
        with self._lock:
            job = self.cluster.jobs[job_id]
            if job.finished:
                return self._submitted(job)
            for step in ("waiting", "running"):
                self._write(self.cluster.advance(job_id, step))
            failure = (message or "Job failed") if status == "error" else None
            job = self.cluster.execute(job_id, failure)
            self._write(job)
            return self._submitted(job)

    def finish_all(self) -> list[SubmittedJob]:
        """Finish every pending job in submission order."""
        return [self.finish_job(job.id) for job in sorted(self.pending_jobs(), key=lambda j: j.id)]

    def cancel_job(self, job_id: int) -> None:
        with self._lock:
            self._write(self.cluster.cancel(job_id))

    def archive_job(self, job_id: int) -> str:
        with self._lock:
            return self.queue.archive(job_id)

    def _write(self, job: sim.Job) -> None:
        if self.queue is not None:
            self.queue.write(job)

    def _submitted(self, job: sim.Job) -> SubmittedJob:
        body, query = self._bodies.get(job.id, (None, {}))
        return SubmittedJob(id=job.id, opcode=job.opcode, instance=job.instance,
                            status=job.status, body=body, query=query)

    # -- scripted trouble --------------------------------------------------------------------

    def script_error(self, method: str, path: str, status: int, message: str | None = None,
                     times: int = 1) -> None:
        """The next ``times`` requests matching (method, path regex) get this error."""
        self._add_script(method, path, status, message, 0.0, times)

    def script_delay(self, method: str, path: str, seconds: float, times: int = 1) -> None:
        """The next ``times`` matching requests are answered only after ``seconds``."""
        self._add_script(method, path, None, None, seconds, times)

    def _add_script(self, method, path, status, message, delay, times) -> None:
        with self._lock:
            self._scripts.append(_Script(method.upper(), re.compile(f"^{path}$"), status,
                                         message, delay, times))

    def _take_script(self, method: str, path: str) -> _Script | None:
        with self._lock:
            for script in self._scripts:
                if script.method == method and script.pattern.match(path) and script.times > 0:
                    script.times -= 1
                    return script
        return None

    def count(self, method: str, path: str) -> int:
        """How many requests matched (method, path regex)."""
        pattern = re.compile(f"^{path}$")
        return sum(1 for r in self.requests if r.method == method and pattern.match(r.path))

    # -- request handling --------------------------------------------------------------------

    def handle(self, method: str, target: str, headers, raw: bytes) -> tuple[int, str, dict]:
        """Answer one request: (status, JSON text, extra headers)."""
        split = urlsplit(target)
        path, query = unquote(split.path), parse_qs(split.query)
        user = self._user(headers)
        body = _parse_body(raw)
        with self._lock:
            self.requests.append(RecordedRequest(method, path, query, body, user))
        try:
            return 200, self._answer(method, path, query, body, user), {}
        except HttpError as exc:
            extra = {"WWW-Authenticate": 'Basic realm="Ganeti Remote API"'} \
                if exc.status == 401 else {}
            return exc.status, json.dumps({"code": exc.status, "message": html.escape(exc.message),
                                           "explain": EXPLAIN.get(exc.status, "")}), extra

    def _answer(self, method, path, query, body, user):
        script = self._take_script(method, path)
        if script is not None:
            time.sleep(script.delay)
            if script.status is not None:
                raise HttpError(script.status, script.message)
        if user is None:
            raise HttpError(401)
        if isinstance(body, _BadJson):
            raise HttpError(400, "Unable to parse JSON data")
        handler, args = self._route(method, path)
        if method != "GET" and user in self.read_only_users:
            raise HttpError(403)
        with self._lock:     # serialize under the lock: the answer may be live state
            return json.dumps(handler(query, body, *args))

    def _route(self, method: str, path: str):
        known = False
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match:
                known = True
                if route_method == method:
                    return handler, match.groups()
        if known:
            raise HttpError(501, f"Method {method} is unsupported for path {path}")
        raise HttpError(404)

    def _user(self, headers) -> str | None:
        value = headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return None
        try:
            name, _, password = base64.b64decode(value[6:]).decode().partition(":")
        except ValueError:
            return None
        return name if name in self.users and self.users[name] == password else None

    # -- RAPI resources ----------------------------------------------------------------------

    def get_version(self, query, body):
        return 2

    def get_info(self, query, body):
        config = self.cluster.config
        return {"software_version": config.software_version, "protocol_version": 3000000,
                "config_version": 3000000, "os_api_version": 20, "export_version": 0,
                "vcs_version": f"(ganeti) version {config.software_version}",
                "architecture": ["64bits", "x86_64"], "name": config.name,
                "master": config.master, "default_hypervisor": "kvm",
                "enabled_hypervisors": ["kvm"], "hvparams": {}, "os_hvp": {},
                "beparams": {}, "osparams": {}, "ndparams": {},
                "ipolicy": {"disk-templates": list(config.enabled_disk_templates)},
                "nicparams": {"default": {"mode": "bridged", "link": config.default_link,
                                          "vlan": ""}},
                "enabled_disk_templates": list(config.enabled_disk_templates),
                "default_iallocator": "hail",
                "diskparams": {}, "candidate_pool_size": 10, "file_storage_dir": "",
                "maintain_node_health": False, "uid_pool": [], "tags": [],
                "uuid": "3c1b3c1d-0000-4000-8000-000000000001", "ctime": 0, "mtime": 0}

    def get_features(self, query, body):
        return list(FEATURES)

    def get_os(self, query, body):
        return self.cluster.config.os_names()

    def get_nodes(self, query, body):
        node = self._node()
        if _flag(query, "bulk"):
            return [node]
        return [{"id": node["name"], "uri": f"/2/nodes/{node['name']}"}]

    def _node(self) -> dict:
        config, instances = self.cluster.config, self.cluster.instances
        used = sum(d["beparams"]["maxmem"] for d in instances.values() if d["oper_state"])
        return {"name": config.master, "offline": False, "master_candidate": True,
                "drained": False, "dtotal": 258019, "dfree": 81362, "sptotal": None,
                "spfree": None, "mtotal": config.memory_total_mib, "mnode": 163,
                "mfree": max(config.memory_total_mib - used, 0),
                "pinst_cnt": len(instances), "sinst_cnt": 0, "ctotal": config.vcpus_total,
                "cnos": config.vcpus_total, "cnodes": 1, "csockets": 1, "pip": "198.51.100.10",
                "sip": "198.51.100.10", "role": "M", "pinst_list": sorted(instances),
                "sinst_list": [], "master_capable": True, "vm_capable": True, "ndparams": {},
                "group.uuid": "41f4f3fc-29a0-4f67-a155-d25deb558be0", "ctime": 0, "mtime": 0,
                "uuid": "13da75fa-37d9-48bd-ae62-c23faf6c041f", "serial_no": 1, "tags": []}

    def get_networks(self, query, body):
        config = self.cluster.config
        networks = [self._network(name, cidr) for name, cidr in sorted(config.networks.items())]
        if _flag(query, "bulk"):
            return networks
        return [{"name": n["name"], "uri": f"/2/networks/{n['name']}"} for n in networks]

    def _network(self, name: str, cidr: str) -> dict:
        config = self.cluster.config
        groups = [] if name in config.unconnected_networks else \
            [["default", "bridged", config.default_link, ""]]
        used = sum(1 for d in self.cluster.instances.values()
                   for net in d["nic.networks.names"] if net == name)
        size = ipaddress.ip_network(cidr).num_addresses
        return {"name": name, "network": cidr, "gateway": None, "network6": None,
                "gateway6": None, "mac_prefix": None, "free_count": max(size - 3 - used, 0),
                "reserved_count": 3 + used, "group_list": groups, "tags": [],
                "inst_list": sorted(n for n, d in self.cluster.instances.items()
                                    if name in d["nic.networks.names"])}

    def get_instances(self, query, body):
        if _flag(query, "bulk"):
            return list(self.cluster.instances.values())
        return [{"id": name, "uri": f"/2/instances/{name}"} for name in self.cluster.instances]

    def get_instance(self, query, body, name):
        return self._instance(name)

    def _instance(self, name: str) -> dict:
        if name not in self.cluster.instances:
            raise HttpError(404)
        return self.cluster.instances[name]

    def get_console(self, query, body, name):
        data = self._instance(name)
        if not data["oper_state"]:
            raise HttpError(503, "Instance console unavailable")
        port = data["network_port"]
        # Ganeti answers with the cluster-wide VNC bind address, not the node's.
        return {"instance": name, "kind": "vnc", "host": "0.0.0.0", "port": port,
                "display": port - 5900}

    def post_instances(self, query, body):
        params = _create_params(body)
        return self._submit(sim.OP_CREATE, params.pop("instance_name"), params, body, query)

    def put_startup(self, query, body, name):
        return self._submit(sim.OP_STARTUP, name, {"force": False}, body, query)

    def put_shutdown(self, query, body, name):
        return self._submit(sim.OP_SHUTDOWN, name, {"timeout": 120}, body, query)

    def post_reboot(self, query, body, name):
        kind = (query.get("type") or ["soft"])[0]
        if kind not in ("soft", "hard", "full"):
            raise HttpError(400, f"Invalid reboot type: {kind}")
        return self._submit(sim.OP_REBOOT, name, {"reboot_type": kind}, body, query)

    def delete_instance(self, query, body, name):
        return self._submit(sim.OP_REMOVE, name, {"shutdown_timeout": 120}, body, query)

    def _submit(self, opcode, name, params, body, query) -> int:
        job = self.cluster.submit(opcode, name, params)
        self._bodies[job.id] = (body, query)
        if self.queue is not None:
            self.queue.write(job)
            self.queue.write_serial(job.id)
        return job.id

    def get_jobs(self, query, body):
        jobs = sorted(self.cluster.jobs.values(), key=lambda j: j.id)
        if _flag(query, "bulk"):
            return [job.rapi() for job in jobs]
        return [{"id": job.id, "uri": f"/2/jobs/{job.id}"} for job in jobs]

    def get_job(self, query, body, job_id):
        job = self.cluster.jobs.get(int(job_id))
        if job is None:     # Ganeti answers an unknown id with 200 and every field null
            return {key: None for key in sim.Job(0, "OP_X", None, {}).rapi()} | {"id": int(job_id)}
        return job.rapi()

    def delete_job(self, query, body, job_id):
        job = self.cluster.jobs.get(int(job_id))
        if job is None or job.status != "queued":
            return [False, f"Job {job_id} is no longer waiting in the queue"]
        self.cancel_job(job.id)
        return [True, f"Dequeued job {job_id}"]


def _routes(s: RapiSimulator):
    name = r"/2/instances/([^/]+)"
    table = [("GET", r"/version", s.get_version), ("GET", r"/2/info", s.get_info),
             ("GET", r"/2/features", s.get_features), ("GET", r"/2/os", s.get_os),
             ("GET", r"/2/nodes", s.get_nodes), ("GET", r"/2/instances", s.get_instances),
             ("GET", r"/2/networks", s.get_networks),
             ("POST", r"/2/instances", s.post_instances), ("GET", name, s.get_instance),
             ("DELETE", name, s.delete_instance), ("GET", name + "/console", s.get_console),
             ("PUT", name + "/startup", s.put_startup), ("PUT", name + "/shutdown", s.put_shutdown),
             ("POST", name + "/reboot", s.post_reboot), ("GET", r"/2/jobs", s.get_jobs),
             ("GET", r"/2/jobs/(\d+)", s.get_job), ("DELETE", r"/2/jobs/(\d+)", s.delete_job)]
    return [(method, re.compile(f"^{path}$"), handler) for method, path, handler in table]


class _BadJson:
    """Marks a request body that is not JSON."""


def _parse_body(raw: bytes):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return _BadJson()


def _flag(query: dict, key: str) -> bool:
    return (query.get(key) or ["0"])[0] in ("1", "true", "True")


def _invalid(message: str) -> HttpError:
    return HttpError(400, f"Invalid body parameters: ({message!r}, 'wrong_input')")


def _create_params(body) -> dict:
    """Validate a create body like rlib2 does (request-data version 1 only)."""
    if not isinstance(body, dict):
        raise HttpError(400, "Invalid body contents, not a dictionary")
    if body.get("__version__", 0) != 1:
        raise HttpError(400, f"Instance creation request version {body.get('__version__', 0)} "
                             f"is no longer supported")
    params = {k: v for k, v in body.items() if k != "__version__"}
    for old, new in (("name", "instance_name"), ("os", "os_type")):
        if old in params:
            params[new] = params.pop(old)
    unknown = sorted(set(params) - CREATE_PARAMS)
    if unknown:
        raise HttpError(400, f"Invalid body parameters: Object OpInstanceCreate doesn't support "
                             f"the parameter '{unknown[0]}'")
    _check_create(params)
    return params


def _check_create(params: dict) -> None:
    if params.get("mode") not in CREATE_MODES:
        raise _invalid("Parameter 'OP_INSTANCE_CREATE.mode' fails validation")
    for key in CREATE_REQUIRED:
        if key not in params:
            raise _invalid(f"Required field 'OP_INSTANCE_CREATE.{key}' missing")
    disks_ok = isinstance(params["disks"], list) and all(
        isinstance(d, dict) and isinstance(d.get("size"), int) and d["size"] > 0
        for d in params["disks"])
    if not disks_ok:
        raise _invalid("Parameter 'OP_INSTANCE_CREATE.disks' fails validation")
    if not (isinstance(params["nics"], list) and all(isinstance(n, dict) for n in params["nics"])):
        raise _invalid("Parameter 'OP_INSTANCE_CREATE.nics' fails validation")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: RapiSimulator

    def handle_error(self, request, client_address):
        log.debug("rapi simulator: connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Ganeti-RAPI-simulator"
    disable_nagle_algorithm = True    # headers and body go out in two writes: no 40 ms stalls

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_PUT(self):
        self._serve("PUT")

    def do_DELETE(self):
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, text, extra = self.server.simulator.handle(method, self.path, self.headers, raw)
        payload = text.encode()
        self.send_response(status, REASONS.get(status))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, header in extra.items():
            self.send_header(key, header)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, fmt, *args):
        log.debug("rapi simulator: " + fmt, *args)
