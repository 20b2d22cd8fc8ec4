"""The deployment on the hosts of ``synnefo.testing.multihost``: each host's ``.ini`` (only its
changes on top of ``production.ini``, through ``use = config:``), each role started with its
systemd unit's command line, the hook installed in the Ganeti lab, the load balancer forwarded
to this machine's loopback. ``python -m synnefo.testing.multihost_deployment`` keeps one up.
"""
from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from synnefo.testing.ganeti_lab import REPO, Lab
from synnefo.testing.multihost import (
    ADDRESSES, API_PORT, BIN, Hosts, HostsUnavailable, ip, preconditions, wait_until)


def host_ini(base: Path, path: Path, settings: dict[str, str], sections: dict[str, dict],
             listen: str, log_file: Path | None = None) -> Path:
    """An .ini holding only this host's changes on top of ``production.ini``; logs to stderr,
    or appended to ``log_file`` (several processes share it, e.g. the eventd and the hook)."""
    handler = (f"class = FileHandler\nargs = ({str(log_file)!r}, 'a')" if log_file
               else "class = StreamHandler\nargs = (sys.stderr,)")
    lines = ["[app:main]", f"use = config:{base}#main"]
    lines += [f"synnefo.{k} = {v}" for k, v in settings.items()]
    for name, values in sections.items():
        lines += ["", f"[{name}]"] + [f"{k} = {v}" for k, v in values.items()]
    lines += ["", "[server:main]", "use = egg:waitress#main", f"listen = {listen}",
              "threads = 8", "",
              "[loggers]", "keys = root", "", "[handlers]", "keys = console", "",
              "[formatters]", "keys = generic", "", "[logger_root]", "level = INFO",
              "handlers = console", "", "[handler_console]", handler, "level = NOTSET", "formatter = generic", "",
              "[formatter_generic]", "format = %(asctime)s %(levelname)s [%(name)s] %(message)s",
              ""]
    path.write_text("\n".join(lines))
    return path


PRODUCTION_INI = REPO / "production.ini"
HOOK_NAME = "50-snf-multihost-hook"
SYNNEFO_HOSTS = ("web1", "web2", "logic1", "logic2", "ganeti")


class Deployment:
    """Every role on its host, started with its systemd unit's command line
    (``pserve FILE``, ``snf-vncauthproxy FILE``, ``snf-dispatcher FILE``,
    ``snf-ganeti-eventd FILE``). ``url`` is the load balancer, forwarded to this machine's
    loopback: the only address clients use."""

    def __init__(self, directory: Path, tag: str, lab: Lab, prefix: str):
        self.hosts = Hosts(directory, tag, lab)
        self.lab, self.prefix, self.dir = lab, prefix, directory
        self.url = ""
        self.ini: dict[str, Path] = {}
        self.client_forward: subprocess.Popen | None = None

    def build(self) -> None:
        hosts = self.hosts
        hosts.build_network()
        hosts.start_postgres()
        hosts.create_database()
        hosts.build_rabbit_cluster()
        sock = hosts.start_lb()
        self.url = self._forward_lb(sock)
        for host in SYNNEFO_HOSTS:
            self.ini[host] = self._write_ini(host)
        hosts.run("web1", str(BIN / "snf-manage"), "-c", str(self.ini["web1"]), "db", "upgrade")
        for host in ("web1", "web2"):  # one after the other: the first seeds the database
            self.start_web(host)
        for host in ("logic1", "logic2"):
            self.start_dispatcher(host)
        self.install_hook()
        self.start_eventd()

    def _forward_lb(self, sock: Path) -> str:
        port = _free_port()
        self.client_forward = subprocess.Popen(
            ["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", f"UNIX-CONNECT:{sock}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        return f"http://127.0.0.1:{port}"

    def settings(self) -> dict[str, str]:
        env = self.lab.env
        return {
            "db_url": self.hosts.db_url, "amqp_url": self.hosts.amqp_url,
            "queue_type": "quorum", "instance_prefix": self.prefix, "public_url": self.url,
            "seed_demo": "true", "demo_user": "demo", "demo_password": "demo-secret",
            "public_network": env["GANETI_LAB_NETWORK"], "backend.name": "lab",
            "backend.driver": "ganeti",
            "backend.rapi_url": env["GANETI_LAB_RAPI_URL"],
            "backend.username": env["GANETI_LAB_RAPI_USER"],
            "backend.password": env["GANETI_LAB_RAPI_PASSWORD"],
            "ganeti.ca_file": env["GANETI_LAB_CA_FILE"], "ganeti.disk_template": "file",
            "ganeti.os_provider": env["GANETI_LAB_OS_IMAGE"], "ganeti.read_timeout": "60",
            "default_max_servers": "40", "default_max_cores": "80",
        }

    def _write_ini(self, host: str) -> Path:
        base = self.hosts.dir(host)
        settings = self.settings()
        settings["vncauthproxy.control_socket"] = f"{base}/vncauthproxy.sock"
        settings["vncauthproxy.public_host"] = ip(host)
        env = self.lab.env
        sections = {
            "synnefo:dispatcher": {"workers": "1"},
            "synnefo:vncauthproxy": {"control_socket": f"{base}/vncauthproxy.sock"},
            "synnefo:eventd": {
                "queue_dir": env["GANETI_LAB_QUEUE_DIR"], "ssconf_dir": "/var/lib/ganeti",
                "node_name": env["GANETI_LAB_NODE"], "state": f"{base}/eventd-state.sqlite",
                "spool": f"{base}/eventd-spool.sqlite", "pid_file": f"{base}/eventd.pid",
                "master_check_interval": "1", "retry_interval": "0.5", "connect_timeout": "2",
                "hook_connect_timeout": "1"},
        }
        listen = f"{ip(host)}:{API_PORT}" if host != "ganeti" else "127.0.0.1:0"
        log_file = base / "synnefo.log" if host == "ganeti" else None
        return host_ini(PRODUCTION_INI, base / f"{host}.ini", settings, sections, listen,
                        log_file)

    # -- roles ---------------------------------------------------------------------------------

    def start_web(self, host: str) -> None:
        self.hosts.start_web(host, self.ini[host])
        wait_until(lambda: self.web_answers(host), 90, f"the API on {host}")

    def web_answers(self, host: str) -> bool:
        out = self.hosts.run(host, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                             "--max-time", "2", f"http://{ip(host)}:{API_PORT}/", check=False)
        return out.strip() in ("200", "300")

    def start_dispatcher(self, host: str) -> None:
        self.hosts.start_dispatcher(host, self.ini[host])
        wait_until(lambda: "consuming from" in self.log(host, "dispatcher"), 90,
              f"the dispatcher on {host}")

    def start_eventd(self) -> None:
        before = self.log("ganeti", "synnefo").count(": publishing")
        self.hosts.start_eventd(self.ini["ganeti"])
        wait_until(lambda: self.log("ganeti", "synnefo").count(": publishing") > before, 60,
              "the eventd")

    def install_hook(self) -> None:
        out = self.hosts.run("ganeti", str(BIN / "snf-manage"), "-c", str(self.ini["ganeti"]),
                             "ganeti-hooks", "install", "--hooks-dir",
                             self.lab.env["GANETI_LAB_HOOKS_DIR"], "--name", HOOK_NAME, "--force")
        if "installed" not in out:
            raise HostsUnavailable(f"hook install: {out}")

    def log(self, host: str, name: str) -> str:
        path = self.hosts.dir(host) / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        if self.client_forward and self.client_forward.poll() is None:
            self.client_forward.kill()
        if "ganeti" in self.ini:
            self.hosts.run("ganeti", str(BIN / "snf-manage"), "-c", str(self.ini["ganeti"]),
                           "ganeti-hooks", "uninstall", "--hooks-dir",
                           self.lab.env["GANETI_LAB_HOOKS_DIR"], "--name", HOOK_NAME,
                           check=False)
        self.hosts.close()


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    """``python -m synnefo.testing.multihost_deployment``: build the deployment, print where it is, keep
    it until Ctrl-C (or SIGTERM), then take it down. Needs root; reuses or brings up the lab."""
    import argparse
    import secrets

    from synnefo.testing.ganeti_lab import LabUnavailable, bring_up

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.parse_args(argv)
    reason = preconditions()
    if reason:
        print(f"multihost: {reason}", file=sys.stderr)
        return 2
    tag = secrets.token_hex(2)
    directory = REPO / "var" / "multihost" / f"run-{tag}"
    directory.mkdir(parents=True)
    try:
        deployment = Deployment(directory, tag, bring_up(), f"mh{secrets.token_hex(3)}-")
    except LabUnavailable as exc:
        print(f"multihost: {exc}", file=sys.stderr)
        return 2
    try:
        deployment.build()
        print(f"up: API (through lb) {deployment.url}  user demo / demo-secret\n"
              f"files: {directory}\nhosts: "
              + ", ".join(f"{h} {ip(h)} (ip netns exec {deployment.hosts.ns(h)} ...)"
                          for h in ADDRESSES if h != "ganeti"), flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.pause()
    except (KeyboardInterrupt, SystemExit):
        pass
    except HostsUnavailable as exc:
        print(f"multihost: {exc}", file=sys.stderr)
        return 1
    finally:
        deployment.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
