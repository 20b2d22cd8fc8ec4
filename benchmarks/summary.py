"""All headline speed figures in one run, as the README's performance table.

Runs the benchmark scripts one after another (never two at once: they would measure each
other), collects the ``FIGURE <key> <value> <unit> target <op> <target>`` line each prints at
its end, and prints a Markdown table: figure, value, target, met or not, and the script that
printed it, headed by the machine it ran on (CPUs, model, load average before and after).

    .venv/bin/python benchmarks/summary.py                  # api, dispatcher, hook, vncproxy
    .venv/bin/python benchmarks/summary.py --only hook --only vncproxy
    .venv/bin/python benchmarks/summary.py --with-lab       # + the hook on the real Ganeti lab

A script that fails stops the run with its output, so a figure is never quoted from a broken
measurement. ``--with-lab`` needs ``scripts/ganeti-lab.sh up`` first.
"""
from __future__ import annotations

import argparse
import operator
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = {
    "api": ["api.py"],
    "dispatcher": ["dispatcher.py"],
    "hook": ["hook.py", "--runs", "30"],
    "vncproxy": ["vncproxy.py"],
}
LAB_SCRIPTS = {"ganeti_lab_hook": ["ganeti_lab_hook.py"]}
FIGURE = re.compile(r"^FIGURE (\S+) (\S+) (\S+) target (>=|<=|==|~) (\S+)\s*$")
COMPARE = {">=": operator.ge, "<=": operator.le, "==": operator.eq,
           "~": lambda value, target: abs(value / target - 1) <= 0.2}  # "about": within 20%
LABELS = {
    "api.detail.ratio": "`GET /servers/detail` (1,000 of 100,000 servers, 2.96): API / minimal WSGI floor",
    "api.show.ratio": "`GET /servers/{id}`: API / floor",
    "api.detail.scale": "`GET /servers/detail`, 100,000-server database / 1,000-server one",
    "api.show.scale": "`GET /servers/{id}`, 100,000-server database / 1,000-server one",
    "api.pages.last_first": "`detail?limit=1000&marker=…`, last page / first page (10,000 servers)",
    "dispatcher.batched_vs_bare": "dispatcher, 1 worker, batches of 50 / bare kombu loop committing every 50",
    "dispatcher.two_vs_one": "dispatcher, 2 workers / 1 worker",
    "dispatcher.two_vs_one.jobs": "dispatcher, 2 workers / 1, 10,000 servers, each job's 3 messages back to back",
    "dispatcher.two_vs_one.remote_db": "dispatcher, 2 workers / 1, database behind a 0.5 ms round-trip link",
    "dispatcher.rss_growth": "dispatcher worker peak RSS, 100,000 / 1,000 servers in the table",
    "hook.up.p50": "Ganeti hook, start to exit, broker up (p50)",
    "hook.down.p50": "Ganeti hook, start to exit, broker down: it spools (p50)",
    "hook.ganeti_job.added": "Ganeti hook: time added to a real Ganeti 3.0 job",
    "vnc.relay.tigervnc": "vncauthproxy relay / direct, Xtigervnc 1080p full updates, same client",
    "vnc.relay.stream": "vncauthproxy relay / direct, synthetic RFB stream (relay capacity), same client",
    "vnc.forwardings.serial": "vncauthproxy forwardings set up per second, one at a time",
    "vnc.forwardings.parallel": "vncauthproxy forwardings set up per second, 50 clients at once",
    "vnc.cpu_per_gb": "vncauthproxy CPU per GB relayed",
}


@dataclass(frozen=True)
class Figure:
    key: str
    value: float
    unit: str
    op: str
    target: str
    script: str

    @property
    def met(self) -> str:
        compare = COMPARE.get(self.op)
        if compare is None or self.target == "-":
            return "–"
        return "yes" if compare(self.value, float(self.target)) else "**no**"

    def row(self) -> str:
        unit = "" if self.unit == "-" else self.unit
        value = f"{self.value:.2f}x" if unit == "x" else f"{self.value:g} {unit}".strip()
        target = f"{self.op} {self.target}{unit}" if unit == "x" else f"{self.op} {self.target} {unit}"
        if self.target == "-":
            target = "–"
        return (f"| {LABELS.get(self.key, self.key)} | {value} | {target.strip()} | {self.met} "
                f"| `benchmarks/{self.script}` |")


def parse_figures(output: str, script: str) -> list[Figure]:
    found = []
    for line in output.splitlines():
        match = FIGURE.match(line.strip())
        if match:
            key, value, unit, op, target = match.groups()
            found.append(Figure(key, float(value), unit, op, target, script))
    return found


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(name: str, argv: list[str]) -> list[Figure]:
    print(f"--- {name}: {' '.join(argv)} (load {load()})", file=sys.stderr, flush=True)
    started = time.monotonic()
    result = subprocess.run([sys.executable, str(HERE / argv[0]), *argv[1:]], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sys.stderr.write(result.stdout)
    if result.returncode != 0:
        raise SystemExit(f"benchmarks/{argv[0]} failed (exit {result.returncode}); see above")
    figures = parse_figures(result.stdout, argv[0])
    if not figures:
        raise SystemExit(f"benchmarks/{argv[0]} printed no FIGURE line")
    print(f"--- {name}: {len(figures)} figure(s) in {time.monotonic() - started:.0f} s",
          file=sys.stderr, flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted({**SCRIPTS, **LAB_SCRIPTS}))
    parser.add_argument("--with-lab", action="store_true",
                        help="also measure the hook on the real Ganeti lab")
    args = parser.parse_args()
    chosen = dict(SCRIPTS, **(LAB_SCRIPTS if args.with_lab else {}))
    if args.only:
        chosen = {name: argv for name, argv in {**SCRIPTS, **LAB_SCRIPTS}.items()
                  if name in args.only}
    before = load()
    figures = [figure for name, argv in chosen.items() for figure in run(name, argv)]
    print(f"Machine: {machine()}; load average before {before}, after {load()}.\n")
    print("| figure | value | target | met | printed by |")
    print("|---|---|---|---|---|")
    for figure in figures:
        print(figure.row())


if __name__ == "__main__":
    main()
