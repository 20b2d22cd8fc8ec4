"""The real Ganeti lab (``scripts/ganeti-lab.sh``) seen from Python: bring it up or reuse it,
run commands inside it, and talk to its RAPI the way the driver does (TLS verified, basic auth).

``docs/ganeti-lab.md`` describes the lab. Nothing here runs at import time.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "ganeti-lab.sh"
UP_TIMEOUT = 300.0


class LabUnavailable(Exception):
    """The lab cannot come up here; the message says why (for a skip or a CI failure)."""


@dataclass(frozen=True)
class Lab:
    """One running lab, as described by its ``lab.env``."""

    env: dict

    @property
    def dir(self) -> Path:
        return Path(self.env["GANETI_LAB_DIR"])

    @property
    def rapi_url(self) -> str:
        return self.env["GANETI_LAB_RAPI_URL"]

    @property
    def auth(self) -> tuple[str, str]:
        return self.env["GANETI_LAB_RAPI_USER"], self.env["GANETI_LAB_RAPI_PASSWORD"]

    @property
    def ca_file(self) -> str:
        return self.env["GANETI_LAB_CA_FILE"]

    def holder_pid(self) -> int:
        return int((self.dir / "holder.pid").read_text().strip())

    def command(self, *argv: str) -> list[str]:
        """``argv`` wrapped so that it runs inside the lab's namespaces. No fork: the pid of a
        process started with it is the pid of ``argv`` itself (so a test can SIGKILL it)."""
        return ["nsenter", "-t", str(self.holder_pid()), "-u", "-m", "-n", "--", *argv]

    def run(self, *argv: str, check: bool = True, timeout: float = 120.0) -> str:
        """Run ``argv`` inside the lab; its stdout. A failure raises with its stderr."""
        result = subprocess.run(self.command(*argv), capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"in the lab: {' '.join(argv)} exited {result.returncode}: "
                               f"{result.stderr.strip() or result.stdout.strip()}")
        return result.stdout

    def popen(self, *argv: str, **kw) -> subprocess.Popen:
        return subprocess.Popen(self.command(*argv), **kw)

    def script(self, *args: str, timeout: float = UP_TIMEOUT) -> str:
        """Run ``scripts/ganeti-lab.sh ARGS`` (``amqp off`` ...); its output."""
        return _run_script(*args, timeout=timeout, lab_dir=self.dir)

    def rapi(self) -> "Rapi":
        return Rapi(self.rapi_url, self.auth, self.ca_file)

    def osparams(self, instance: str) -> dict[str, str]:
        """What the lab's OS create script received for ``instance`` (``{}`` if it never ran)."""
        path = Path(self.env["GANETI_LAB_OSPARAMS_DIR"]) / f"{instance}.env"
        if not path.exists():
            return {}
        return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


class Rapi:
    """A tiny RAPI client for the tests' own checks (the driver under test has its own)."""

    def __init__(self, url: str, auth: tuple[str, str], ca_file: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()
        self.session.auth = auth
        self.ca_file = ca_file

    def request(self, method: str, path: str, **kw) -> requests.Response:
        # verify per request: a session-level value loses to REQUESTS_CA_BUNDLE.
        return self.session.request(method, self.url + path, timeout=30, verify=self.ca_file,
                                    **kw)

    def call(self, method: str, path: str, **kw):
        response = self.request(method, path, **kw)
        response.raise_for_status()
        return response.json()

    def get(self, path: str, **kw):
        return self.call("GET", path, **kw)

    def instance(self, name: str) -> dict | None:
        response = self.request("GET", f"/2/instances/{name}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        return response.json()

    def instances(self) -> list[str]:
        return [item["id"] for item in self.get("/2/instances")]

    def wait_job(self, job_id: int, timeout: float = 120.0) -> dict:
        """The job once it has finished (success, error or canceled)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(f"/2/jobs/{int(job_id)}")
            if job["status"] in ("success", "error", "canceled"):
                return job
            time.sleep(0.2)
        raise TimeoutError(f"Ganeti job {job_id} did not finish in {timeout} s")

    def close(self) -> None:
        self.session.close()


def read_env(path: Path) -> dict:
    env = {}
    for line in path.read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep:
            env[key.strip()] = value.strip()
    return env


def _run_script(*args: str, timeout: float, lab_dir: Path | None = None) -> str:
    env = dict(os.environ)
    if lab_dir is not None:
        env["GANETI_LAB_DIR"] = str(lab_dir)
    try:
        result = subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                                timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise LabUnavailable(f"scripts/ganeti-lab.sh {' '.join(args)} took more than "
                             f"{timeout:.0f} s") from None
    if result.returncode != 0:
        raise LabUnavailable(f"scripts/ganeti-lab.sh {' '.join(args)} failed "
                             f"(exit {result.returncode}): {result.stderr.strip()[-2000:]}")
    return result.stdout + result.stderr


def preconditions() -> str | None:
    """Why this machine cannot run the lab at all (``None`` when it may)."""
    if os.name != "posix" or not os.path.exists("/proc/self/ns/net"):
        return "the Ganeti lab needs Linux namespaces"
    if os.geteuid() != 0:
        return "the Ganeti lab needs root (namespaces, bind mounts, Ganeti's daemons)"
    if not os.path.exists("/usr/bin/apt-get") and not os.path.exists("/usr/sbin/gnt-cluster"):
        return "the Ganeti lab needs Debian's ganeti package (and apt-get to install it)"
    return None


def is_up(lab_dir: Path | None = None) -> bool:
    """True when a lab is up and answering (``ganeti-lab.sh status``)."""
    if preconditions():
        return False
    try:
        _run_script("status", timeout=30, lab_dir=lab_dir)
    except LabUnavailable:
        return False
    return True


def bring_up(lab_dir: Path | None = None) -> Lab:
    """Bring the lab up, or reuse a healthy one; raises ``LabUnavailable`` with the reason."""
    reason = preconditions()
    if reason:
        raise LabUnavailable(reason)
    _run_script("up", timeout=UP_TIMEOUT, lab_dir=lab_dir)
    env_dir = lab_dir or Path(os.environ.get("GANETI_LAB_DIR", REPO / "var" / "ganeti-lab"))
    return Lab(read_env(Path(env_dir) / "lab.env"))
