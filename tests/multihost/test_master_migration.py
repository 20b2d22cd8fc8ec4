"""Master migration (issue #16 item 3), as far as one machine allows without a second Ganeti
node: two master candidates, each with its own Ganeti data directory (a copy of the real ssconf
files recorded from Ganeti 3.0, and a job queue into which every job is replicated, as Ganeti
replicates its queue to master candidates), each running ``snf-ganeti-eventd`` with the command
line of its systemd unit. A failover rewrites ``ssconf_master_node`` on both, as
``gnt-cluster master-failover`` does. Messages are read back from the real RabbitMQ and fed, in
arrival order, through the dispatcher's ordering (``synnefo.core.domain.state``) to count which
duplicates it drops.

Not tested here (docs/deployment.md repeats it): a real ``gnt-cluster master-failover`` between
two Ganeti nodes, Ganeti's own queue replication and its timing, and the job files of jobs that
were running on the old master at the moment it died.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

import mhfigures as figures
from ganeti_testlib import FIXTURES, versions, write_ini, write_like_ganeti
from ganeti_testlib import prefix, tap  # noqa: F401 - fixtures
from synnefo.core import messages
from synnefo.core.domain import state as sm
from synnefo.testing.multihost import unit_command

NODES = ("node1.example.test", "node2.example.test")
RECORDED_INSTANCE = b"snf-101"


class Candidate:
    """One master candidate: its Ganeti data dir and its eventd process."""

    def __init__(self, base: Path, node: str, prefix: str):
        self.node, self.dir = node, base / node
        shutil.copytree(Path(FIXTURES) / "ssconf", self.dir)
        (self.dir / "queue").mkdir()
        self.ini = write_ini(base / f"{node}.ini", prefix=prefix, queue_dir=self.dir / "queue",
                             ssconf_dir=self.dir, node_name=node, state=self.dir / "state.sqlite",
                             spool=self.dir / "spool.sqlite", pid_file=self.dir / "eventd.pid",
                             master_check_interval="0.2", retry_interval="0.3",
                             connect_timeout="2")
        self.log = base / f"{node}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(unit_command("snf-ganeti-eventd.service",
                                                      Path(self.ini)),
                                         stdout=out, stderr=subprocess.STDOUT)
        _wait(lambda: "watching" in self.log.read_text(), 30, f"the eventd on {self.node}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)

    def set_master(self, node: str) -> None:
        temp = self.dir / "ssconf_master_node.tmp"
        temp.write_text(node + "\n")
        os.replace(temp, self.dir / "ssconf_master_node")

    def published_jobs(self) -> list[int]:
        found = re.findall(r"eventd\.processor\]? job (\d+) op ", self.log.read_text())
        return [int(job) for job in found]


@pytest.fixture
def candidates(tmp_path, prefix):
    pair = [Candidate(tmp_path, node, prefix) for node in NODES]
    for candidate in pair:
        candidate.set_master(NODES[0])
    yield pair
    for candidate in pair:
        candidate.stop()


def _job(prefix: str, job_id: int) -> bytes:
    """A real Ganeti 3.0 create job (its final version), renumbered, for instance
    ``<prefix><job_id>``: one instance per job keeps the ordering per instance simple."""
    final = versions("create-success")[-1]
    data = Path(final).read_bytes().replace(RECORDED_INSTANCE, f"{prefix}{job_id}".encode())
    job = json.loads(data)
    job["id"] = job_id
    return json.dumps(job).encode()


def replicate(candidates, prefix: str, job_id: int) -> None:
    """A job finished: Ganeti writes it on the master and replicates it to the candidates."""
    for candidate in candidates:
        write_like_ganeti(str(candidate.dir / "queue"), job_id, _job(prefix, job_id))


def test_new_master_publishes_what_the_old_one_had_not(candidates, prefix, tap):
    old, new = candidates
    old.start()
    new.start()
    for job_id in (1, 2, 3):
        replicate(candidates, prefix, job_id)
    first = tap.collect_until(lambda got: {b["jobId"] for b in got} >= {1, 2, 3})
    assert sorted(b["jobId"] for b in first) == [1, 2, 3]
    assert new.published_jobs() == [], "a standby published"

    old.kill()  # the old master dies; jobs 4 and 5 finish there after its last publish
    for job_id in (4, 5):
        replicate(candidates, prefix, job_id)
    assert tap.drain(quiet=1.0) == []
    failover = time.monotonic()
    for candidate in candidates:
        candidate.set_master(new.node)
    after = tap.collect_until(lambda got: {b["jobId"] for b in got} >= {4, 5}, wait=30)
    taken_over = time.monotonic() - failover
    after += tap.drain(quiet=1.5)

    assert sorted(b["jobId"] for b in after if b["jobId"] in (4, 5)) == [4, 5]
    duplicates = [b["jobId"] for b in after if b["jobId"] not in (4, 5)]
    assert set(duplicates) <= {1, 2, 3}, duplicates
    applied, dropped = _through_ordering(first + after)
    assert applied == 5, (applied, dropped)  # each job once
    assert dropped == len(duplicates)        # every republished one is dropped as stale
    figures.record("master failover: new master published the old one's unpublished jobs after",
                   taken_over)
    figures.record("master failover: duplicates republished / dropped by the ordering",
                   f"{len(duplicates)} / {dropped}")

    old.start()  # the old master comes back as a candidate: it stands by
    replicate(candidates, prefix, 6)
    (six,) = tap.collect(1)
    assert six["jobId"] == 6
    assert tap.drain(quiet=1.5) == []
    assert 6 in new.published_jobs() and 6 not in old.published_jobs()


def _through_ordering(bodies: list[dict]) -> tuple[int, int]:
    """Apply the bodies in arrival order with the dispatcher's state machine, per instance;
    (applied, ignored)."""
    states: dict[str, sm.ServerState] = {}
    applied = ignored = 0
    for body in bodies:
        event = sm.OpStatusEvent(
            job_id=body["jobId"], opcode=body["operation"], status=sm.JobStatus(body["status"]),
            event_time=messages.from_event_time(body["event_time"]))
        decision = sm.apply_op_status(states.get(body["instance"], sm.ServerState()), event)
        states[body["instance"]] = decision.state
        applied, ignored = applied + decision.applied, ignored + (not decision.applied)
    return applied, ignored


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")
