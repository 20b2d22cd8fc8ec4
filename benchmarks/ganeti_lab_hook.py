"""What snf-ganeti-hook costs a real Ganeti job (issue #13, wall 5), measured in the Ganeti lab.

Brings the lab up (or reuses it: ``scripts/ganeti-lab.sh up``), creates one diskless instance
straight over RAPI, then runs ``--pairs`` rounds of three shutdown + startup pairs: one without
a hook, one with an empty one (the same wrapper running ``/bin/true``: what Ganeti's hooks
machinery costs any hook), one with the hook installed (``snf-manage ganeti-hooks install``
inside the lab; the hook writes its message into the spool, which snf-ganeti-eventd sends; no
eventd runs here). Interleaved, so that the load of a shared machine falls on all three alike.
For each job it takes Ganeti's own figure, ``end_ts - start_ts`` from ``GET /2/jobs/<id>``, and
prints the medians and the differences per job. Ganeti waits for post hooks, so the difference
is what the hook adds to every job.

Usage (root, like the lab)::

    .venv/bin/python benchmarks/ganeti_lab_hook.py [--pairs 10]
"""
from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

from synnefo.testing.ganeti_lab import bring_up
from synnefo.testing.inifiles import write_ini

BIN = Path(sys.executable).parent
HOOK_NAME = "50-snf-bench-hook"


def job_seconds(rapi, job_id) -> float:
    job = rapi.wait_job(job_id)
    assert job["status"] == "success", job
    (start_s, start_us), (end_s, end_us) = job["start_ts"], job["end_ts"]
    return (end_s - start_s) + (end_us - start_us) / 1e6


def pairs(rapi, name: str, count: int) -> list[float]:
    seconds = []
    for _ in range(count):
        for action in ("shutdown", "startup"):
            seconds.append(job_seconds(rapi, rapi.call("PUT", f"/2/instances/{name}/{action}")))
    return seconds


def create(rapi, lab, name: str) -> None:
    body = {"__version__": 1, "mode": "create", "instance_name": name,
            "disk_template": "diskless", "disks": [], "nics": [{}],
            "os_type": lab.env["GANETI_LAB_OS_NOPARAMS"], "beparams": {"maxmem": 128,
                                                                      "minmem": 128},
            "name_check": False, "ip_check": False, "start": True, "iallocator": "hail"}
    job_seconds(rapi, rapi.call("POST", "/2/instances", json=body))


def spooled(path: Path) -> int:
    import sqlite3
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM messages").fetchone()[0]


def hook(lab, ini: Path, action: str, *options: str) -> None:
    lab.run(str(BIN / "snf-manage"), "-c", str(ini), "ganeti-hooks", action, "--hooks-dir",
            lab.env["GANETI_LAB_HOOKS_DIR"], "--name", HOOK_NAME, *options)


def hooked_pairs(rapi, lab, ini: Path, name: str, count: int, *options: str) -> list[float]:
    hook(lab, ini, "install", *options)
    try:
        return pairs(rapi, name, count)
    finally:
        hook(lab, ini, "uninstall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    lab = bring_up()
    rapi = lab.rapi()
    prefix = f"bench{secrets.token_hex(3)}-"
    name = f"{prefix}1"
    with tempfile.TemporaryDirectory() as tmp:
        ini = write_ini(Path(tmp), {"amqp_url": lab.env["GANETI_LAB_AMQP_URL"],
                                    "instance_prefix": prefix},
                        sections={"synnefo:eventd": {"spool": f"{tmp}/spool.sqlite",
                                                     "node_name": lab.env["GANETI_LAB_NODE"],
                                                     "declare_topology": "false"}})
        create(rapi, lab, name)
        try:
            without, empty, with_hook = [], [], []
            for _ in range(args.pairs):
                without += pairs(rapi, name, 1)
                empty += hooked_pairs(rapi, lab, ini, name, 1, "--hook-script", "/bin/true")
                with_hook += hooked_pairs(rapi, lab, ini, name, 1)
            left = spooled(Path(tmp) / "spool.sqlite")
        finally:
            job_seconds(rapi, rapi.call("DELETE", f"/2/instances/{name}"))
            rapi.close()
    a, e, b = (statistics.median(without), statistics.median(empty),
               statistics.median(with_hook))
    print(f"Ganeti job duration (shutdown/startup, {len(without)} jobs each, median):")
    print(f"  without a hook        {a:6.3f} s")
    print(f"  with an empty hook    {e:6.3f} s  (/bin/true: Ganeti's cost of any hook)")
    print(f"  with the hook         {b:6.3f} s")
    print(f"  the hook adds         {(b - a) * 1000:6.0f} ms per job "
          f"({(b - e) * 1000:.0f} ms more than an empty hook)")
    print(f"  ({left} message(s) spooled by the hook, one per hooked job, for snf-ganeti-eventd)")
    if left != len(with_hook):
        raise SystemExit(f"expected {len(with_hook)} spooled message(s), found {left}")
    print(f"FIGURE hook.ganeti_job.added {(b - a) * 1000:.0f} ms target <= 100")


if __name__ == "__main__":
    main()
