"""Ganeti hook start-up: wall time of one hook run, from exec to exit.

Installs the hook the way an operator does (``ganeti_hook_install.install``: the
``/bin/sh`` wrapper that starts the venv's Python with ``-I -S``) into a temporary hooks
directory and runs that wrapper the way Ganeti does (a fresh process with the recorded
``instance-start`` post-hook environment of a real Ganeti 3.0, bare ``PATH``, ``PWD=/``),
``--runs`` times in a row, in two situations:

* broker up: RabbitMQ on 127.0.0.1:5672 (target <= 100 ms per run);
* broker down: an AMQP URL nobody listens on, so the message is spooled (target <= 50 ms);

and, for scale, the bare interpreter (``python -I -S -c pass``, ``python -c pass``) and the
``snf-ganeti-hook`` console script (the venv's Python with ``site``: what a hand-written
wrapper or ``--hook-script`` runs). The ``.ini`` has a ``[loggers]`` section, as an
operator's does. Prints mean, p50 and max of the wall time in ms, and the p50 of the CPU time
(user + system), which the load of a shared machine disturbs much less. The hook only writes
the spool (snf-ganeti-eventd sends from there), so both situations cost the same; the script
checks that every run left its spool entry.

    .venv/bin/python benchmarks/hook.py [--runs 30]
"""
from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synnefo.daemons.ganeti_hook_install import install
from synnefo.testing.inifiles import LOGGING

ROOT = Path(__file__).resolve().parent.parent
HOOK_ENV = ROOT / "tests" / "fixtures" / "ganeti-3.0" / "hooks" / "instance-start.post.env"
BROKER = os.environ.get("SYNNEFO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
UNREACHABLE = "amqp://guest:guest@127.0.0.1:1//"
PREFIX = "benchhook-"


def hook_env(config: str) -> dict[str, str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "SYNNEFO_CONFIG": config}
    for line in HOOK_ENV.read_text().splitlines():
        key, _, value = line.partition("=")
        env[key] = value.replace("snf-", PREFIX)
    return env


def write_ini(directory: str, name: str, amqp_url: str, node: str) -> str:
    path = os.path.join(directory, f"hook-{name}.ini")
    Path(path).write_text("\n".join([
        "[app:main]", "synnefo.db_url = sqlite:///%(here)s/unused.sqlite",
        f"synnefo.amqp_url = {amqp_url}", f"synnefo.instance_prefix = {PREFIX}", "",
        "[synnefo:eventd]", f"spool = {directory}/spool-{os.path.basename(path)}.sqlite",
        f"node_name = {node}", "declare_topology = false", "hook_connect_timeout = 2",
        LOGGING]))
    return path


def installed_hook(directory: str, name: str, config: str) -> str:
    """The wrapper ``snf-manage ganeti-hooks install`` writes, as Ganeti finds it."""
    (path,) = [p for p in install(os.path.join(directory, f"hooks-{name}"), config=config)
               if "instance-start-post.d" in p]
    return path


def spooled(config: str) -> int:
    spool = os.path.join(os.path.dirname(config), f"spool-{os.path.basename(config)}.sqlite")
    if not os.path.exists(spool):
        return 0
    with sqlite3.connect(spool) as db:
        return db.execute("SELECT count(*) FROM messages").fetchone()[0]


class Runs(list):
    """Wall times in ms, and ``cpu``: the CPU time (user + system) of each run in ms, which
    other processes on a loaded machine disturb much less than the wall time."""

    def __init__(self):
        super().__init__()
        self.cpu: list[float] = []


def timed(argv: list[str], env: dict, runs: int) -> Runs:
    times = Runs()
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd="/", check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.cpu.append((after.ru_utime + after.ru_stime - before.ru_utime
                          - before.ru_stime) * 1000)
    return times


def report(label: str, times: Runs, target: str = "") -> None:
    print(f"{label:42} {statistics.mean(times):7.1f} {statistics.median(times):7.1f} "
          f"{max(times):7.1f} {statistics.median(times.cpu):7.1f}  {target}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    script = os.path.join(os.path.dirname(sys.executable), "snf-ganeti-hook")
    p50 = {}
    with tempfile.TemporaryDirectory() as tmp:
        node = hook_env("x")["GANETI_MASTER"]
        print(f"{args.runs} runs each; ms per run        {'mean':>7} {'p50':>7} {'max':>7} "
              f"{'cpu p50':>7}")
        report("python -I -S -c pass", timed([sys.executable, "-I", "-S", "-c", "pass"],
                                             {}, args.runs))
        bare = timed([sys.executable, "-c", "pass"], {}, args.runs)
        report("python -c pass", bare)
        for key, label, url, target in (
                ("up", "installed hook, broker up", BROKER, 100),
                ("down", "installed hook, broker down (spools)", UNREACHABLE, 50),
                ("script", "snf-ganeti-hook console script", UNREACHABLE, None)):
            config = write_ini(tmp, key, url, node)
            argv = [script] if key == "script" else [installed_hook(tmp, key, config)]
            times = timed(argv, hook_env(config), args.runs)
            p50[key] = statistics.median(times)
            report(label, times, f"target <= {target} ms" if target else "")
            print(f"{'':42} {p50[key] / statistics.median(bare):.1f}x the p50 "
                  "of python -c pass", flush=True)
            left = spooled(config)
            expected = args.runs   # the hook only spools; snf-ganeti-eventd sends
            if left != expected:
                raise SystemExit(f"{label}: {left} message(s) in the spool, expected {expected}")
    print(f"FIGURE hook.up.p50 {p50['up']:.1f} ms target <= 100")
    print(f"FIGURE hook.down.p50 {p50['down']:.1f} ms target <= 50")


if __name__ == "__main__":
    main()
