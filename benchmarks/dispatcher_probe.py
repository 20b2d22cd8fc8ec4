"""Where a dispatcher run spends the machine: CPU time and PostgreSQL wait states, sampled.

``RunProbe`` is polled by ``benchmarks/dispatcher.py`` while a run drains its queue:

* CPU time (``/proc/<pid>/schedstat``) of the dispatcher's process tree, of the
  PostgreSQL backends connected to the run's database (the benchmark's own poller excluded)
  and of RabbitMQ's ``beam.smp`` (shared with whatever else uses the broker), between
  ``start()`` and the last ``sample()``; and the whole machine's busy cores over that time;
* what the dispatcher's backends were doing at each sample (``pg_stat_activity``): running a
  statement, waiting for a row lock, writing WAL, or waiting for the client (the worker)
  inside or between transactions.
"""
from __future__ import annotations

import collections
import os
import time
from dataclasses import dataclass, field

import psutil
import sqlalchemy as sa

ACTIVITY = sa.text(
    "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND backend_type = 'client backend'")


def sched_seconds(pid: int) -> tuple[float, float] | None:
    """(on a CPU, runnable but waiting for a CPU) since the process started, from
    ``/proc/<pid>/task/*/schedstat`` (every thread: RabbitMQ's has many): the second is what
    a loaded machine adds."""
    running = waiting = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as fh:
                on_cpu, queued, _ = fh.read().split()
            running, waiting = running + int(on_cpu), waiting + int(queued)
    except (OSError, ValueError):
        return None
    return running / 1e9, waiting / 1e9


def beam_pid() -> int | None:
    for proc in psutil.process_iter(["name"]):
        if proc.info["name"] == "beam.smp":
            return proc.pid
    return None


def tree(pid: int) -> list[int]:
    try:
        root = psutil.Process(pid)
        return [root.pid, *(p.pid for p in root.children(recursive=True))]
    except psutil.Error:
        return []


def state_of(row) -> str:
    """One word for what a backend is doing."""
    if row.wait_event_type == "Lock":
        return "row lock"
    if row.wait_event_type in ("IO", "LWLock") and "WAL" in (row.wait_event or ""):
        return "WAL"
    if row.state == "active":
        return "statement"
    if row.state == "idle in transaction":
        return "client (in tx)"
    return "client (idle)"


@dataclass
class Meter:
    """First and last CPU reading of each process of one group."""
    first: dict = field(default_factory=dict)
    last: dict = field(default_factory=dict)

    def read(self, pids) -> None:
        for pid in pids:
            value = sched_seconds(pid)
            if value is not None:
                self.first.setdefault(pid, value)
                self.last[pid] = value

    @property
    def seconds(self) -> float:
        """CPU time used."""
        return sum(self.last[pid][0] - self.first[pid][0] for pid in self.last)

    @property
    def runnable(self) -> float:
        """Time spent ready to run while every CPU was taken."""
        return sum(self.last[pid][1] - self.first[pid][1] for pid in self.last)


class RunProbe:
    """Sample with ``sample()``; ``start()`` marks the beginning of the measured interval."""

    def __init__(self, engine, root_pid: int, workers: int, link: int | None = None):
        self.engine, self.root_pid, self.workers, self.link = engine, root_pid, workers, link
        self.groups = {"dispatcher": Meter(), "postgres": Meter(), "rabbitmq": Meter()}
        if link:
            self.groups["link"] = Meter()
        self.states: collections.Counter = collections.Counter()
        self.started = None
        self._beam = beam_pid()
        self._machine = None

    def start(self) -> None:
        self.groups = {name: Meter() for name in self.groups}
        self.states.clear()
        self.started = time.perf_counter()
        self._machine = psutil.cpu_times()
        self.sample(states=False)   # the workers still wait for the benchmark's gate

    def sample(self, states: bool = True) -> None:
        if self.started is None:
            return
        with self.engine.connect() as db:
            rows = db.execute(ACTIVITY).all()
        self.groups["dispatcher"].read(tree(self.root_pid))
        self.groups["postgres"].read(r.pid for r in rows)
        self.groups["rabbitmq"].read([self._beam] if self._beam else [])
        if self.link:
            self.groups["link"].read(tree(self.link))
        if states:
            self.states.update(state_of(r) for r in rows)
        self.wall = time.perf_counter() - self.started
        self.machine_busy = busy(psutil.cpu_times()) - busy(self._machine)

    def summary(self, messages: int) -> str:
        """CPU per message by group, cores in use, and backend states (share of samples)."""
        cpu = {name: meter.seconds for name, meter in self.groups.items()}
        total = sum(cpu.values())
        parts = ", ".join(f"{name} {1e3 * s / messages:.2f}" for name, s in cpu.items())
        states = sum(self.states.values()) or 1
        waits = ", ".join(f"{name} {100 * n / states:.0f}%"
                          for name, n in self.states.most_common())
        worker = self.groups["dispatcher"]
        span = self.wall * self.workers
        cpu_share, queued = worker.seconds / span, worker.runnable / span
        return (f"    CPU ms/msg: {parts}; total {1e3 * total / messages:.2f}\n"
                f"    a worker's time: on a CPU {100 * cpu_share:.0f}%, waiting for a CPU "
                f"{100 * queued:.0f}%, blocked (database, broker) "
                f"{100 * (1 - cpu_share - queued):.0f}%\n"
                f"    cores busy: these {total / self.wall:.2f}, whole machine "
                f"{self.machine_busy / self.wall:.2f} of {psutil.cpu_count()}\n"
                f"    dispatcher's PostgreSQL backends: {waits}")

    def cores_without_contention(self) -> float:
        """The cores this run's processes would keep busy if none ever waited for a CPU:
        their CPU time over the workers' time on a CPU or blocked (queueing removed).
        ``cpu_count() / this`` bounds what more workers could gain on this machine."""
        worker = self.groups["dispatcher"]
        busy_or_blocked = self.wall * self.workers - worker.runnable
        return sum(m.seconds for m in self.groups.values()) / (busy_or_blocked / self.workers)


def busy(times) -> float:
    return sum(times) - times.idle - getattr(times, "iowait", 0.0) - getattr(times, "guest", 0.0) \
        - getattr(times, "guest_nice", 0.0)
