"""Ganeti hook start-up: wall time of one ``snf-ganeti-hook`` run, from exec to exit.

Runs the installed console script the way Ganeti does (a fresh process with the recorded
``instance-start`` post-hook environment of a real Ganeti 3.0, ``PWD=/``), ``--runs`` times in
a row, in two situations:

* broker up: RabbitMQ on 127.0.0.1:5672 (target <= 100 ms per run);
* broker down: an AMQP URL nobody listens on, so the message is spooled (target <= 50 ms);

and, for scale, the bare interpreter (``python -I -S -c pass``, ``python -c pass``). Prints
mean, p50 and max in ms. The hook only writes the spool (snf-ganeti-eventd sends from there),
so both situations cost the same; the script checks that every run left its spool entry.

    .venv/bin/python benchmarks/hook.py [--runs 30]
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def write_ini(directory: str, amqp_url: str, node: str) -> str:
    path = os.path.join(directory, f"hook-{'up' if amqp_url == BROKER else 'down'}.ini")
    Path(path).write_text("\n".join([
        "[app:main]", "synnefo.db_url = sqlite:///%(here)s/unused.sqlite",
        f"synnefo.amqp_url = {amqp_url}", f"synnefo.instance_prefix = {PREFIX}", "",
        "[synnefo:eventd]", f"spool = {directory}/spool-{os.path.basename(path)}.sqlite",
        f"node_name = {node}", "declare_topology = false", "hook_connect_timeout = 2", ""]))
    return path


def spooled(config: str) -> int:
    spool = os.path.join(os.path.dirname(config), f"spool-{os.path.basename(config)}.sqlite")
    if not os.path.exists(spool):
        return 0
    with sqlite3.connect(spool) as db:
        return db.execute("SELECT count(*) FROM messages").fetchone()[0]


def timed(argv: list[str], env: dict, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, cwd="/", check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - started) * 1000)
    return times


def report(label: str, times: list[float], target: str = "") -> None:
    print(f"{label:42} {statistics.mean(times):7.1f} {statistics.median(times):7.1f} "
          f"{max(times):7.1f}  {target}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    hook = os.path.join(os.path.dirname(sys.executable), "snf-ganeti-hook")
    with tempfile.TemporaryDirectory() as tmp:
        node = hook_env("x")["GANETI_MASTER"]
        print(f"{args.runs} runs each; ms per run        {'mean':>7} {'p50':>7} {'max':>7}")
        report("python -I -S -c pass", timed([sys.executable, "-I", "-S", "-c", "pass"],
                                             {}, args.runs))
        bare = timed([sys.executable, "-c", "pass"], {}, args.runs)
        report("python -c pass", bare)
        for label, url, target in (("snf-ganeti-hook, broker up", BROKER, "target <= 100 ms"),
                                   ("snf-ganeti-hook, broker down (spools)", UNREACHABLE,
                                    "target <= 50 ms")):
            config = write_ini(tmp, url, node)
            times = timed([hook], hook_env(config), args.runs)
            report(label, times, target)
            print(f"{'':42} {statistics.median(times) / statistics.median(bare):.1f}x the p50 "
                  "of python -c pass", flush=True)
            left = spooled(config)
            expected = args.runs   # the hook only spools; snf-ganeti-eventd sends
            if left != expected:
                raise SystemExit(f"{label}: {left} message(s) in the spool, expected {expected}")


if __name__ == "__main__":
    main()
