"""Reconciling N servers against the RAPI simulator over HTTPS: bulk vs per-server.

Seeds N servers (default 10,000) in a database (a temporary SQLite file, or --db-url), puts
their instances in a RAPI simulator served over HTTPS on loopback, adds a little drift (stale,
unsynced, orphans, one stuck job), then times:

* ``reconcile --all`` (dry run): one bulk listing per backend + get_job per pending job;
* ``reconcile --all --fix-all`` on the same drift;
* a staggered run (``--interval 1``);
* the per-server approach of the original: one ``GET /2/instances/<name>`` per server.

and prints wall time and RAPI requests for each. Usage::

    .venv/bin/python benchmarks/reconcile.py [--servers 10000] [--backends 1] [--db postgresql]
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Backend, Flavor, Nic, Server, User
from synnefo.core.domain.drift import DriftKind
from synnefo.core.services.reconciliation import Reconciler, ReconcileOptions
from synnefo.plugins.backends.ganeti import GanetiDriver
from synnefo.testing import databases, rapi_simulator
from synnefo.testing.rapi_simulator import RapiSimulator, make_tls
from synnefo.testing.reconcile import make_core
from synnefo.core.timeutil import utcnow


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--backends", type=int, default=1)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "mariadb"), default="sqlite",
                        help="a temporary database of this kind (default sqlite)")
    parser.add_argument("--per-server-limit", type=int, default=1000,
                        help="time the per-server approach on this many servers and "
                             "extrapolate (default 1000; 0: all of them)")
    return parser.parse_args()


def seed(core, sims, password_file, ca_file, servers: int) -> list[int]:
    """Backends, a flavor, a user and ``servers`` servers spread over the backends."""
    with core.uow() as uow:
        s = uow.session
        user, flavor = User(name="bench"), Flavor(name="small", vcpus=1, ram_mib=1024, disk_gib=10)
        s.add_all([user, flavor])
        backends = [Backend(name=f"cluster{i}", driver="ganeti", rapi_url=sim.url,
                            username="admin", credentials_ref=f"file:{password_file}",
                            options={"ca_file": ca_file}) for i, sim in enumerate(sims)]
        s.add_all(backends)
        s.flush()
        created = utcnow() - dt.timedelta(days=1)
        rows = [{"owner_id": user.id, "name": f"vm{i}", "flavor_id": flavor.id,
                 "backend_id": backends[i % len(backends)].id, "operstate": "STARTED",
                 "created": created, "updated": created} for i in range(servers)]
        s.execute(sa.insert(Server), rows)
        ids = list(s.scalars(sa.select(Server.id).order_by(Server.id)))
    return ids


def fill_clusters(core, sims, ids) -> None:
    """Every server's instance, running, with one NIC; the DB gets the same NIC."""
    nics = []
    for n, server_id in enumerate(ids):
        name = core.naming.instance_name(server_id)
        sim = sims[n % len(sims)]
        ip = f"10.{server_id >> 16 & 255}.{server_id >> 8 & 255}.{server_id & 255}"
        sim.cluster.add_instance(name, nics=[{"ip": ip}])
        nic = sim.cluster.instances[name]
        nics.append({"server_id": server_id, "index": 0, "mac": nic["nic.macs"][0], "ipv4": ip,
                     "link": nic["nic.links"][0], "network": None})
    with core.uow() as uow:
        uow.session.execute(sa.insert(Nic), nics)


def add_drift(core, sims, ids) -> dict[str, int]:
    """0.5% stale, 0.5% unsynced, 20 orphans per cluster, one stuck job."""
    share = max(1, len(ids) // 200)
    for n, server_id in enumerate(ids[:share]):
        sims[ids.index(server_id) % len(sims)].remove_instance(core.naming.instance_name(server_id))
    for server_id in ids[share:2 * share]:
        sims[ids.index(server_id) % len(sims)].set_state(core.naming.instance_name(server_id),
                                                          running=False, admin_up=False)
    for k, sim in enumerate(sims):
        sim.add_instances(core.naming.instance_name(10_000_000 + 100 * k + i) for i in range(20))
    stuck = ids[-1]
    sim = sims[ids.index(stuck) % len(sims)]
    job = sim.cluster.submit("OP_INSTANCE_REBOOT", core.naming.instance_name(stuck))
    sim.finish_job(job.id)
    with core.uow() as uow:
        row = uow.session.get(Server, stuck)
        row.backend_job_id, row.backend_opcode, row.backend_status = job.id, job.opcode, "running"
    return {"stale": share, "unsynced": share, "orphan": 20 * len(sims), "stuck": 1}


def requests_made(sims) -> int:
    return sum(len(sim.requests) for sim in sims)


def timed_run(core, sims, options) -> tuple[float, int, object]:
    before = requests_made(sims)
    start = time.perf_counter()
    report = Reconciler(core).run(options)
    return time.perf_counter() - start, requests_made(sims) - before, report


def per_server(core, sims, ids, limit: int) -> tuple[float, int, int]:
    """The original's way: one RAPI query per server (here a plain GET, not even a job)."""
    sample = ids[:limit] if limit else ids
    with core.uow() as uow:
        backends = {b.id: b for b in uow.session.scalars(sa.select(Backend))}
        placement = dict(uow.session.execute(sa.select(Server.id, Server.backend_id)).all())
    logging.getLogger("synnefo.plugins.backends.rapi_client").setLevel(logging.CRITICAL)
    before = requests_made(sims)
    start = time.perf_counter()
    for server_id in sample:
        driver: GanetiDriver = core.driver_for(backends[placement[server_id]])
        try:
            driver.rapi.get(f"/2/instances/{core.naming.instance_name(server_id)}")
        except Exception:  # noqa: BLE001 - a stale server answers 404; we only count calls
            pass
    elapsed = time.perf_counter() - start
    return elapsed * len(ids) / len(sample), requests_made(sims) - before, len(sample)


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="snf-bench-"))
    url = (f"sqlite:///{workdir}/bench.sqlite" if args.db == "sqlite"
           else databases.create_database(args.db))
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    tls = make_tls(workdir)
    (workdir / "pw").write_text("secret\n")
    # Answer each request in one segment: the simulator writes headers and body separately,
    # and Nagle's algorithm with delayed ACKs would add ~40 ms to every small answer, which
    # would make the per-server approach look far worse than it is on a real cluster.
    rapi_simulator._Handler.disable_nagle_algorithm = True
    sims = [RapiSimulator(users={"admin": "secret"}).start(tls.server_context)
            for _ in range(args.backends)]
    core = make_core(url, {"ganeti": GanetiDriver})
    try:
        run(args, core, sims, workdir, tls)
    finally:
        core.close()
        for sim in sims:
            sim.stop()
        if args.db != "sqlite":
            databases.drop_database(url)


def run(args, core, sims, workdir, tls) -> None:
    t0 = time.perf_counter()
    ids = seed(core, sims, workdir / "pw", tls.ca_file, args.servers)
    fill_clusters(core, sims, ids)
    drift = add_drift(core, sims, ids)
    print(f"{args.servers} servers on {args.backends} backend(s), database "
          f"{make_engine(core.settings.db_url).dialect.name}; seeded in "
          f"{time.perf_counter() - t0:.1f} s; injected drift {drift}")
    rows = []
    elapsed, calls, report = timed_run(core, sims, ReconcileOptions(all_servers=True))
    found = {k: v["found"] for k, v in report.summary().items() if v["found"]}
    rows.append(("bulk, --all, report only", elapsed, calls, report.servers_checked, found))
    elapsed, calls, report = timed_run(core, sims, ReconcileOptions(
        all_servers=True, fix=frozenset(DriftKind) - {DriftKind.ORPHAN}))
    fixed = {k: v["fixed"] for k, v in report.summary().items() if v["fixed"]}
    rows.append(("bulk, --all, fix all but orphans", elapsed, calls, report.servers_checked, fixed))
    elapsed, calls, report = timed_run(core, sims, ReconcileOptions(interval_min=1))
    rows.append(("bulk, staggered (--interval 1)", elapsed, calls, report.servers_checked, {}))
    elapsed, calls, sampled = per_server(core, sims, ids, args.per_server_limit)
    label = "per server, one GET each" + (f" (extrapolated from {sampled})"
                                          if sampled < len(ids) else "")
    rows.append((label, elapsed, calls * len(ids) // sampled, len(ids), {}))
    print(f"{'approach':50} {'seconds':>8} {'RAPI calls':>11} {'per backend':>12} "
          f"{'servers':>8}  drift")
    for label, seconds, n_calls, checked, extra in rows:
        print(f"{label:50} {seconds:8.2f} {n_calls:11d} {n_calls / len(sims):12.1f} "
              f"{checked:8d}  {extra or ''}")


if __name__ == "__main__":
    main()
