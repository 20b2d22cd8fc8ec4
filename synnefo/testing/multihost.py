"""A multi-host Synnefo deployment on one machine: every host is a network namespace on a
bridge (192.0.2.0/24, a documentation prefix), each runs the project's own commands with its own
``.ini`` built on ``production.ini`` through ``use = config:``. ``docs/deployment.md`` describes it.

Hosts: ``db`` (a PostgreSQL cluster of its own), ``mq1..mq3`` (a RabbitMQ cluster joined with
``rabbitmqctl join_cluster``), ``web1``/``web2`` (``pserve`` + ``snf-vncauthproxy``), ``lb``
(HAProxy with health checks), ``logic1``/``logic2`` (``snf-dispatcher``) and ``ganeti`` (the lab
of ``scripts/ganeti-lab.sh``, its network namespace joined to the bridge, running the eventd and
the hook). The machine's own PostgreSQL and RabbitMQ are not touched; the bridge lives in a
``switch`` namespace of its own, so the host's network is not touched either.

Nothing runs at import time. ``Hosts`` builds the namespaces and starts the engines;
``synnefo.testing.multihost_deployment.Deployment`` puts Synnefo's roles on them.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from synnefo.testing.ganeti_lab import REPO, Lab

SUBNET = "192.0.2"
ADDRESSES = {"lb": 5, "db": 10, "mq1": 11, "mq2": 12, "mq3": 13, "web1": 21, "web2": 22,
             "logic1": 31, "logic2": 32, "ganeti": 50}
API_PORT = 8080
BIN = Path(sys.executable).parent
RABBIT = Path("/usr/lib/rabbitmq/bin")
# Each command runs in its host's network namespace, with its own hostname (UTS namespace) and
# the deployment's hosts file bind-mounted over /etc/hosts (in a private mount namespace).
ENTER = 'hostname "$0" && mount --bind "$1" /etc/hosts && shift && exec "$@"'


class HostsUnavailable(Exception):
    """The hosts cannot be built here; the message says why (a skip, or a CI failure)."""


def ip(host: str) -> str:
    return f"{SUBNET}.{ADDRESSES[host]}"


def preconditions() -> str | None:
    """Why this machine cannot build the hosts (``None`` when it may)."""
    if os.geteuid() != 0:
        return "the multi-host test needs root (network namespaces)"
    for tool in ("ip", "unshare", "haproxy", "socat", "runuser"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"the multi-host test needs {tool} (scripts/install-test-deps.sh installs it)"
    if not (RABBIT / "rabbitmq-server").exists():
        return "the multi-host test needs Debian's rabbitmq-server package"
    if _pg_bin() is None:
        return "the multi-host test needs PostgreSQL's initdb/pg_ctl"
    return None


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@dataclass
class Hosts:
    """The namespaces and processes of one deployment under ``directory``."""

    directory: Path
    tag: str
    lab: Lab
    procs: dict[str, list[subprocess.Popen]] = field(default_factory=dict)

    # -- namespaces ------------------------------------------------------------------------

    def ns(self, host: str) -> str:
        return f"mh{self.tag}-{host}"

    def command(self, host: str, *argv: str) -> list[str]:
        """``argv`` as run on ``host`` (the pid of the Popen is that of ``argv`` itself)."""
        if host == "ganeti":
            return self.lab.command(*argv)
        return ["ip", "netns", "exec", self.ns(host), "unshare", "--uts", "--", "sh", "-c",
                ENTER, host, str(self.directory / "hosts"), *argv]

    def run(self, host: str, *argv: str, timeout: float = 120, check: bool = True,
            env: dict | None = None) -> str:
        result = subprocess.run(self.command(host, *argv), capture_output=True, text=True,
                                timeout=timeout, env=env)
        if check and result.returncode != 0:
            raise HostsUnavailable(f"on {host}: {' '.join(argv)} exited {result.returncode}: "
                                   f"{(result.stderr or result.stdout).strip()[-1500:]}")
        return result.stdout

    def start(self, host: str, name: str, *argv: str, env: dict | None = None) -> subprocess.Popen:
        """Start a long-running ``argv`` on ``host``; output goes to ``<host>/<name>.log``."""
        log = open(self.dir(host) / f"{name}.log", "ab")
        proc = subprocess.Popen(self.command(host, *argv), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        log.close()
        self.procs.setdefault(host, []).append(proc)
        return proc

    def dir(self, host: str) -> Path:
        path = self.directory / host
        path.mkdir(exist_ok=True)
        return path

    def build_network(self) -> None:
        sweep_stale()
        OWNERS.mkdir(parents=True, exist_ok=True)
        (OWNERS / self.tag).write_text(str(os.getpid()))
        hosts = [f"127.0.0.1 localhost"] + [f"{ip(h)} {h}" for h in ADDRESSES]
        (self.directory / "hosts").write_text("\n".join(hosts) + "\n")
        switch = self.ns("switch")
        _sh("ip", "netns", "add", switch)
        _sh("ip", "-n", switch, "link", "add", "br0", "type", "bridge")
        _sh("ip", "-n", switch, "link", "set", "br0", "up")
        for host in ADDRESSES:
            if host == "ganeti":
                target, dev = str(self.lab.holder_pid()), "mh0"
            else:
                _sh("ip", "netns", "add", self.ns(host))
                target, dev = self.ns(host), "eth0"
            port = f"p-{host}"
            _sh("ip", "-n", switch, "link", "add", port, "type", "veth", "peer", "name", dev,
                "netns", target)
            _sh("ip", "-n", switch, "link", "set", port, "master", "br0", "up")
            where = ["-n", self.ns(host)] if host != "ganeti" else None
            inside = (["ip", *where] if where else self.lab.command("ip"))
            _sh(*inside, "addr", "add", f"{ip(host)}/24", "dev", dev)
            _sh(*inside, "link", "set", dev, "up")
            if where:
                _sh(*inside, "link", "set", "lo", "up")

    def pids(self, host: str) -> list[int]:
        """Every process in ``host``'s network namespace."""
        if host == "ganeti":
            raise ValueError("the lab's processes belong to scripts/ganeti-lab.sh")
        out = subprocess.run(["ip", "netns", "pids", self.ns(host)], capture_output=True,
                             text=True).stdout
        return [int(p) for p in out.split()]

    def kill_host(self, host: str) -> None:
        """SIGKILL everything on ``host`` (the machine dies)."""
        for pid in self.pids(host):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        wait_until(lambda: not self.pids(host), 20, f"{host}'s processes to die")
        for proc in self.procs.pop(host, []):
            proc.wait(10)

    def close(self) -> None:
        """Stop every process of every host, remove the namespaces (the lab stays)."""
        for proc in self.procs.get("ganeti", []):
            if proc.poll() is None:
                proc.kill()
        for host in ADDRESSES:
            if host != "ganeti" and _netns_exists(self.ns(host)):
                self.kill_host(host)
                subprocess.run(["ip", "netns", "del", self.ns(host)], check=False)
        if _netns_exists(self.ns("switch")):
            subprocess.run(["ip", "netns", "del", self.ns("switch")], check=False)
        if self.lab is not None:
            subprocess.run(self.lab.command("ip", "link", "del", "mh0"), check=False,
                           capture_output=True)
        (OWNERS / self.tag).unlink(missing_ok=True)
        # The data (about 50 MB a run) goes; each host's .ini and logs stay for reading.
        pg_dir = Path(tempfile.gettempdir()) / f"multihost-{self.tag}-db"
        if (pg_dir / "postgres.log").exists():
            shutil.copy(pg_dir / "postgres.log", self.dir("db") / "postgres.log")
        for data in [pg_dir, *(self.directory / h / "mnesia" for h in ("mq1", "mq2", "mq3"))]:
            shutil.rmtree(data, ignore_errors=True)

    # -- db --------------------------------------------------------------------------------

    @property
    def pg_dir(self) -> Path:
        """PostgreSQL's data, socket and log: a directory of its own under /tmp, owned by
        ``postgres`` (the checkout may not be traversable by that user)."""
        path = Path(tempfile.gettempdir()) / f"multihost-{self.tag}-db"
        if not path.exists():
            path.mkdir(mode=0o700)
            shutil.chown(path, "postgres", "postgres")
        return path

    def pg_ctl(self, *args: str) -> None:
        # -l: without it the postmaster inherits (and holds open) our stdout pipe.
        self.run("db", "runuser", "-u", "postgres", "--", str(_pg_bin() / "pg_ctl"), "-D",
                 str(self.pg_dir / "data"), "-l", str(self.pg_dir / "postgres.log"), "-w",
                 "-t", "60", *args)

    def start_postgres(self) -> None:
        data, sock = self.pg_dir / "data", self.pg_dir
        if not data.exists():
            self.run("db", "runuser", "-u", "postgres", "--", str(_pg_bin() / "initdb"),
                     "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
            with open(data / "pg_hba.conf", "a") as fh:
                fh.write(f"host all all {SUBNET}.0/24 trust\n")
        self.pg_ctl("-o", f"-c listen_addresses={ip('db')} -c unix_socket_directories={sock} "
                          "-c max_connections=200 -c fsync=off", "start")

    def restart_postgres(self) -> None:
        self.pg_ctl("-m", "fast", "restart")

    def create_database(self) -> None:
        self.run("db", "runuser", "-u", "postgres", "--", str(_pg_bin() / "psql"), "-h",
                 str(self.pg_dir), "-c", "CREATE DATABASE synnefo")

    @property
    def db_url(self) -> str:
        return f"postgresql+psycopg://postgres@{ip('db')}:5432/synnefo"

    # -- mq --------------------------------------------------------------------------------

    def rabbit_env(self, host: str) -> dict:
        base = self.dir(host)
        return {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(base), "LANG": "C.UTF-8",
                "RABBITMQ_NODENAME": f"rabbit@{host}",
                "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
                "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
                "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
                "RABBITMQ_LOG_BASE": str(base / "log"),
                "RABBITMQ_PID_FILE": str(base / "rabbit.pid")}

    def start_rabbit(self, host: str) -> None:
        base = self.dir(host)
        if not (base / "rabbitmq.conf").exists():
            cookie = self.directory / "erlang.cookie"
            if not cookie.exists():
                cookie.write_text(os.urandom(16).hex().upper())
            shutil.copy(cookie, base / ".erlang.cookie")
            os.chmod(base / ".erlang.cookie", 0o400)
            (base / "rabbitmq-env.conf").write_text("")
            (base / "enabled_plugins").write_text("[].\n")
            (base / "rabbitmq.conf").write_text(
                f"listeners.tcp.default = {ip(host)}:5672\nloopback_users = none\n"
                "log.console = true\nlog.console.level = info\nlog.file = false\n"
                "cluster_partition_handling = pause_minority\n")
        self.start(host, "rabbitmq", str(RABBIT / "rabbitmq-server"), env=self.rabbit_env(host))

    def rabbitmqctl(self, host: str, *args: str, timeout: float = 120) -> str:
        return self.run(host, str(RABBIT / "rabbitmqctl"), "-n", f"rabbit@{host}", *args,
                        env=self.rabbit_env(host), timeout=timeout)

    def wait_rabbit(self, host: str, timeout: float = 150) -> None:
        """Until the node runs (``await_startup`` fails at once while the VM is still booting)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.rabbitmqctl(host, "await_startup", "--timeout", "60", timeout=90)
                return
            except HostsUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)

    def build_rabbit_cluster(self) -> None:
        for host in ("mq1", "mq2", "mq3"):
            self.start_rabbit(host)
        for host in ("mq1", "mq2", "mq3"):
            self.wait_rabbit(host)
        for host in ("mq2", "mq3"):
            self.rabbitmqctl(host, "stop_app")
            self.rabbitmqctl(host, "join_cluster", "rabbit@mq1")
            self.rabbitmqctl(host, "start_app")
        status = json.loads(self.rabbitmqctl("mq1", "cluster_status", "--formatter", "json"))
        running = sorted(status.get("running_nodes", []))
        if running != ["rabbit@mq1", "rabbit@mq2", "rabbit@mq3"]:
            raise HostsUnavailable(f"the RabbitMQ cluster runs {running}")

    def beam_pid(self, host: str) -> int | None:
        for pid in self.pids(host):
            try:
                if b"beam.smp" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                continue
        return None

    def kill_rabbit(self, host: str) -> None:
        """SIGKILL the node's Erlang VM (epmd stays, as it would on a host whose broker died)."""
        pid = self.beam_pid(host)
        if pid:
            os.kill(pid, signal.SIGKILL)
        wait_until(lambda: self.beam_pid(host) is None, 20, f"{host}'s broker to die")

    def queues(self) -> list[dict]:
        """``name``, ``leader``, ``members``, ``messages`` of every queue (asked of a live node)."""
        for host in ("mq1", "mq2", "mq3"):
            if self.beam_pid(host):
                try:
                    return json.loads(self.rabbitmqctl(
                        host, "list_queues", "name", "type", "leader", "members", "messages",
                        "--formatter", "json", timeout=60))
                except HostsUnavailable:
                    continue
        raise HostsUnavailable("no RabbitMQ node answers")

    @property
    def amqp_url(self) -> str:
        return ";".join(f"amqp://guest:guest@{ip(h)}:5672//" for h in ("mq1", "mq2", "mq3"))

    # -- web, lb, logic, ganeti --------------------------------------------------------------

    def start_web(self, host: str, ini: Path) -> None:
        rapi_port = self.lab.rapi_url.rsplit(":", 1)[1]
        # RAPI listens on the lab's loopback; its unix-socket forward is re-exposed on this
        # host's loopback, so the certificate (SAN IP:127.0.0.1) verifies unchanged.
        self.start(host, "rapi-forward", "socat",
                   f"TCP-LISTEN:{rapi_port},bind=127.0.0.1,reuseaddr,fork",
                   f"UNIX-CONNECT:{self.lab.dir / 'run' / 'rapi.sock'}")
        self.start(host, "vncauthproxy", *unit_command("snf-vncauthproxy.service", ini))
        self.start(host, "pserve", *unit_command("snf-web.service", ini))

    def start_lb(self) -> Path:
        sock = self.dir("lb") / "lb.sock"
        cfg = self.dir("lb") / "haproxy.cfg"
        servers = "\n".join(
            f"    server {h} {ip(h)}:{API_PORT} check inter 300 fall 2 rise 2" for h in ("web1", "web2"))
        cfg.write_text(f"""global
    log stderr format short local0 info
defaults
    mode http
    log global
    option httplog
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
frontend api
    bind {ip('lb')}:{API_PORT}
    bind unix@{sock} mode 666
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /
    http-check expect rstatus ^(200|300)$
{servers}
""")
        self.start("lb", "haproxy", "haproxy", "-db", "-f", str(cfg))
        wait_until(sock.exists, 20, "haproxy's socket")
        return sock

    def start_dispatcher(self, host: str, ini: Path) -> None:
        self.start(host, "dispatcher", *unit_command("snf-dispatcher.service", ini))

    def start_eventd(self, ini: Path) -> subprocess.Popen:
        return self.start("ganeti", "eventd", *unit_command("snf-ganeti-eventd.service", ini))


def unit_command(unit: str, ini: Path) -> list[str]:
    """The ``ExecStart`` of ``deploy/systemd/<unit>``, with this virtualenv's scripts for
    ``/opt/synnefo/bin`` and ``ini`` for ``/etc/synnefo/synnefo.ini``: each role starts exactly
    as its unit starts it."""
    text = (REPO / "deploy" / "systemd" / unit).read_text()
    line = next(l for l in text.splitlines() if l.startswith("ExecStart="))
    argv = shlex.split(line.split("=", 1)[1])
    mapped = {"/etc/synnefo/synnefo.ini": str(ini)}
    return [mapped.get(arg, str(BIN / Path(arg).name) if arg.startswith("/opt/synnefo/bin/")
                       else arg) for arg in argv]


OWNERS = REPO / "var" / "multihost" / "owners"


def sweep_stale() -> None:
    """Remove the namespaces (and their processes) of runs whose test process is gone, e.g.
    a pytest killed before its teardown. A run is ``owners/<tag>`` holding its owner's pid."""
    for entry in sorted(Path("/run/netns").glob("mh*-*")):
        tag = entry.name[2:].split("-", 1)[0]
        owner = OWNERS / tag
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            continue  # not ours to judge
        if Path(f"/proc/{pid}").exists():
            continue
        for proc in subprocess.run(["ip", "netns", "pids", entry.name], capture_output=True,
                                   text=True).stdout.split():
            try:
                os.kill(int(proc), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", entry.name], check=False)
    for owner in OWNERS.glob("*") if OWNERS.exists() else ():
        if not any(Path("/run/netns").glob(f"mh{owner.name}-*")):
            owner.unlink(missing_ok=True)


def _sh(*argv: str) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        raise HostsUnavailable(f"{' '.join(argv)}: {result.stderr.strip()}")


def _netns_exists(name: str) -> bool:
    return Path(f"/run/netns/{name}").exists()


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise HostsUnavailable(f"timed out waiting for {what}")
