"""Dispatcher throughput: op-status messages from RabbitMQ into PostgreSQL.

Prints messages/s for
* a bare loop on the same broker and database (kombu consume, one UPDATE per message, a commit
  and the acks every ``--batch`` messages);
* ``snf-dispatcher`` (full handler: JSON, colander schema, row lock, state machine, commit, ack)
  with batches of 1 and of ``--batch`` messages per transaction, with 1 and 2 worker processes,
  each with its CPU time per message (workers, their PostgreSQL backends, RabbitMQ), the
  share of a worker's time on a CPU / waiting for one / blocked, and what its backends did;
* the same 1 and 2 batched workers on the original deployment's shape (``--jobs-servers``
  servers, jobs of 3 messages back to back, 4x ``--messages``), and with the database
  ``--db-rtt`` ms away (latency_link.py);
the ratios the targets are about (1 worker batched / bare loop >= 0.5; 2 workers / 1 >= 1.7,
each of the medians of ``--rounds`` alternating 1- and 2-worker runs),
and the peak resident memory of one dispatcher worker with ``--servers`` and with
``--big-servers`` rows in the table (target: flat); then one ``FIGURE`` line per figure.

    .venv/bin/python benchmarks/dispatcher.py [--messages 5000] [--servers 1000] [--burst 0]
                        [--big-servers 100000] [--batch 50] [--prefetch N]
                        [--jobs-servers 10000] [--db-rtt 0.5]
    .venv/bin/python benchmarks/dispatcher.py --quick --burst 3 --servers 10000 --messages 20000
    .venv/bin/python benchmarks/dispatcher.py --remote-only            # only the --db-rtt runs
    .venv/bin/python benchmarks/dispatcher.py --profile --messages 3000   # in process
    .venv/bin/python benchmarks/dispatcher.py --profile-worker --messages 10000

Every worker starts at the same moment: the servers table is locked until each worker's
first batch waits for it, and the clock runs from the unlock to the last server's ``updated``.
Uses a throw-away PostgreSQL database and a unique queue prefix; cleans up after itself.
"""
from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kombu
import psutil
import sqlalchemy as sa

from synnefo.core import messages
from synnefo.core.app import build_core
from synnefo.core.db.engine import make_engine
from synnefo.core.db.models import Server
from synnefo.testing import bus, databases
from synnefo.testing.bus_fixtures import migrate_url

from dispatcher_probe import RunProbe, tree

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def stream(prefix: str, ids: list[int], count: int, burst: int = 0) -> list[messages.Message]:
    """``count`` op-status messages, each newer than the last one for its server.

    ``burst`` 0: one message per job, the servers in turn (spread evenly, so that messages
    close in the queue name different servers). ``burst`` n: each job is on a server picked at
    random and sends its last n statuses (queued, waiting, running, success) back to back, as
    Ganeti does, so that close messages often name the same server.
    """
    if not burst:
        return [messages.op_status(f"{prefix}{ids[i % len(ids)]}", "OP_INSTANCE_STARTUP", i + 1,
                                   "running", T0 + dt.timedelta(microseconds=i))
                for i in range(count)]
    rng, msgs = random.Random(14), []
    statuses = ("queued", "waiting", "running", "success")[-burst:]
    for job in itertools.count(1):
        server = rng.choice(ids)
        msgs += [messages.op_status(f"{prefix}{server}", "OP_INSTANCE_STARTUP", job, status,
                                    T0 + dt.timedelta(microseconds=len(msgs) + n))
                 for n, status in enumerate(statuses)]
        if len(msgs) >= count:
            return msgs[:count]


def last_jobs(prefix: str, msgs) -> int:
    """The sum over servers of the last job id each is sent (job ids only grow): the servers
    table holds that sum when every message was applied."""
    last = {m.body["instance"][len(prefix):]: m.body["jobId"] for m in msgs}
    return sum(last.values())


def publish(connection: kombu.Connection, msgs, exchange: str, key=None) -> None:
    producer = kombu.Producer(connection.channel())
    for m in msgs:
        producer.publish(json.dumps(m.body).encode(), exchange=exchange,
                         routing_key=key or m.routing_key, delivery_mode=2,
                         content_type="application/json", content_encoding="utf-8")


def bare_loop(db_url: str, instance_prefix: str, msgs, batch: int) -> float:
    """kombu consume -> one UPDATE per message; commit, then ack, every ``batch`` messages
    (and when the queue pauses); returns messages/s."""
    engine = make_engine(db_url)
    queue = kombu.Queue(f"{bench_prefix()}bare", durable=True, auto_delete=False)
    conn = kombu.Connection(bus.RABBITMQ_URL, transport_options={"confirm_publish": True})
    queue(conn.channel()).declare()
    publish(conn, msgs, "", queue.name)
    done, started, held = [0], [0.0], []
    db = engine.connect()

    def commit():
        db.commit()
        for message in held:
            message.ack()
        done[0] += len(held)
        held.clear()

    def on_message(message):
        body = json.loads(message.body)
        started[0] = started[0] or time.perf_counter()
        server_id = int(body["instance"][len(instance_prefix):])
        db.execute(sa.update(Server).where(Server.id == server_id)
                   .values(backend_job_id=body["jobId"], backend_status=body["status"]))
        held.append(message)
        if len(held) >= batch:
            commit()

    with kombu.Consumer(conn, [queue], on_message=on_message, prefetch_count=batch * 2):
        while done[0] < len(msgs):
            try:
                conn.drain_events(timeout=0.2)
            except socket.timeout:
                commit()
    db.close()
    elapsed = time.perf_counter() - started[0]
    queue(conn.channel()).delete()
    conn.release()
    engine.dispose()
    return len(msgs) / elapsed


def applied(engine, ids) -> int:
    """The sum of the servers' job ids (see ``last_jobs``)."""
    query = sa.select(sa.func.coalesce(sa.func.sum(Server.backend_job_id), 0)).where(
        Server.id.between(min(ids), max(ids)))
    with engine.connect() as db:
        return db.scalar(query)


def pad(core, rows: int) -> None:
    """Grow the servers table to at least ``rows`` rows (one multi-row INSERT per 10,000)."""
    with core.engine.connect() as db:
        have = db.scalar(sa.select(sa.func.count()).select_from(Server))
    if have >= rows:
        return
    ids = bus.seed_servers(core, 1)   # a user and a flavor to hang the padding on
    with core.engine.begin() as db:
        owner, flavor = db.execute(sa.select(Server.owner_id, Server.flavor_id)
                                   .where(Server.id == ids[0])).one()
        for start in range(have + 1, rows, 10_000):
            db.execute(sa.insert(Server), [
                {"owner_id": owner, "flavor_id": flavor, "name": f"pad{i}", "operstate": "STARTED"}
                for i in range(start, min(start + 10_000, rows))])


def run_dispatcher(env: bus.BusEnv, workers: int, engine, ids, msgs, profile=None,
                   link=None):
    """snf-dispatcher on a full queue -> (messages/s, peak RSS KiB of its largest process,
    sampled every 0.1 s, and the run's ``RunProbe``).

    Start-up is excluded, and every worker starts at the same moment: the servers table is
    locked (``EXCLUSIVE``: reads pass, row locks wait) until each worker's first batch waits
    for it; the clock starts when the lock goes and stops at the last server's ``updated``.
    """
    script = os.path.join(os.path.dirname(sys.executable), "snf-dispatcher")
    peak, expected = 0, last_jobs(env.prefix, msgs)
    with engine.connect() as gate:
        gate.execute(sa.text(f"LOCK TABLE {Server.__tablename__} IN EXCLUSIVE MODE"))
        with open(env.ini.parent / f"dispatcher-{workers}.log", "ab") as log:
            under = [sys.executable, "-c", CPU_PROFILE, str(profile)] if profile else []
            proc = subprocess.Popen([*under, script, str(env.ini), "--workers", str(workers)],
                                    stdout=log, stderr=subprocess.STDOUT)
        while waiting(engine) < workers:
            if proc.poll() is not None:
                raise RuntimeError(f"snf-dispatcher exited with {proc.returncode}")
            peak = max(peak, largest_rss(proc.pid))
            time.sleep(0.05)
        probe = RunProbe(engine, proc.pid, workers, link)
        started = gate.scalar(sa.select(sa.func.clock_timestamp()))
        probe.start()
        gate.commit()
    while applied(engine, ids) < expected:
        peak = max(peak, largest_rss(proc.pid))
        probe.sample()
        time.sleep(0.1)
    probe.sample()
    proc.send_signal(signal.SIGTERM)
    proc.wait(60)
    with engine.connect() as db:
        ended = db.scalar(sa.select(sa.func.max(Server.updated)).where(Server.id.in_(ids)))
    return len(msgs) / (ended - started).total_seconds(), peak / 1024, probe


# cProfile on CPU time (process_time), so that waits and a loaded machine do not count.
CPU_PROFILE = """import cProfile, runpy, sys, time
out, sys.argv = sys.argv[1], sys.argv[2:]
profiler = cProfile.Profile(time.process_time)
try:
    profiler.runcall(runpy.run_path, sys.argv[0], run_name="__main__")
except SystemExit:
    pass
finally:
    profiler.dump_stats(out)
"""


def waiting(engine) -> int:
    """Backends of the run's database waiting for a lock (asked outside the gate's
    transaction, which would see one snapshot of ``pg_stat_activity`` throughout)."""
    with engine.connect() as db:
        return db.scalar(sa.text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                 "current_database() AND wait_event_type = 'Lock'"))


def largest_rss(pid: int) -> int:
    """The resident memory (bytes) of the largest process of the tree: one worker's."""
    try:
        root = psutil.Process(pid)
        return max(p.memory_info().rss for p in [root, *root.children(recursive=True)])
    except psutil.Error:
        return 0


def profile_batches(args, db_url: str) -> None:
    """cProfile of ``dispatch_batch`` in this process (no broker): what a worker does with
    ``--messages`` messages in batches of ``--batch``; wall and CPU time, then top entries."""
    import cProfile
    import io
    import pstats

    from synnefo.daemons.dispatcher.dispatch import dispatch_batch
    from synnefo.core.settings import parse_settings
    prefix = bench_prefix()
    core = build_core(parse_settings({
        "synnefo.db_url": db_url, "synnefo.instance_prefix": prefix, "synnefo.hooks": "",
        "synnefo.message_handlers": "ganeti-op-status"}, environ={}))
    try:
        ids = bus.seed_servers(core, args.servers)
        items = [(json.dumps(m.body).encode(), {}) for m in stream(prefix, ids, args.messages)]
        batches = [items[i:i + args.batch] for i in range(0, len(items), args.batch)]
        profiler = cProfile.Profile()
        wall, cpu = time.perf_counter(), time.process_time()
        profiler.runcall(lambda: [dispatch_batch(core, batch) for batch in batches])
        print(f"{len(items)} messages in batches of {args.batch}: "
              f"{time.perf_counter() - wall:.1f} s wall, {time.process_time() - cpu:.1f} s CPU")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue())
    finally:
        core.close()


def profile_worker(args, db_url: str, tmp: Path) -> None:
    """One batched run of a single worker under cProfile (CPU time): its top entries."""
    import pstats
    bus.check_rabbitmq()
    out = tmp / "worker.prof"
    rate, _, probe = one_run(args, db_url, tmp, 1, args.batch, profile=out)
    print(f"1 worker under cProfile: {rate:.0f} msg/s\n{probe.summary(args.messages)}")
    stats = pstats.Stats(str(out))
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"synnefo/(daemons|core|plugins)", 25)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--prefetch", type=int, default=0,
                        help="a worker's prefetch (default: --batch)")
    parser.add_argument("--burst", type=int, default=0, choices=range(5), metavar="0-4",
                        help="each job sends this many messages back to back, on a random "
                        "server (0: one per job, servers in turn)")
    parser.add_argument("--big-servers", type=int, default=100_000,
                        help="servers in the table for the second RSS figure (0: skip)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="1- and 2-worker runs alternate this many times (1, 2; 2, 1; ...) "
                        "and each ratio is of the medians")
    parser.add_argument("--quick", action="store_true",
                        help="only 1 and 2 workers, batched (no bare loop, no RSS runs)")
    parser.add_argument("--jobs-servers", type=int, default=10_000,
                        help="also run 1 and 2 workers on 4x --messages in jobs of 3 on this "
                        "many servers (0: skip)")
    parser.add_argument("--db-rtt", type=float, default=0.5, metavar="MS",
                        help="also run 1 and 2 workers with the database this far away "
                        "(round trip, ms; 0: skip)")
    parser.add_argument("--remote-only", action="store_true",
                        help="only the runs with the database far away")
    parser.add_argument("--profile-worker", action="store_true",
                        help="cProfile of one snf-dispatcher worker process (RabbitMQ), then stop")
    parser.add_argument("--profile", action="store_true",
                        help="profile dispatch_batch in process (no broker) and stop")
    args = parser.parse_args(argv)
    db_url = migrate_url(databases.create_database("postgresql"))
    try:
        if args.profile:
            return profile_batches(args, db_url)
        if args.profile_worker:
            return profile_worker(args, db_url, Path(tempfile.mkdtemp(prefix="snf-bench-")))
        bus.check_rabbitmq()
        report(args, db_url, Path(tempfile.mkdtemp(prefix="snf-bench-")))
    finally:
        databases.drop_database(db_url)


def report(args, db_url: str, tmp: Path) -> None:
    shape = f"jobs of {args.burst} back to back" if args.burst else "one per job, servers in turn"
    print(f"{args.messages} op-status messages for {args.servers} servers ({shape}), "
          "RabbitMQ -> PostgreSQL")
    figures = []
    if args.remote_only:
        key, value, unit, target = remote_runs(args, db_url, tmp)
        return print(f"FIGURE {key} {value:.2f} {unit} target {target}")
    bare = None if args.quick else bare_run(args, db_url, tmp)
    if bare:
        name = f"bare loop (kombu; UPDATE per msg, commit+acks per {args.batch})"
        print(f"{name:52s} {bare:7.0f} msg/s", flush=True)
    if not args.quick:
        dispatcher_line(args, db_url, tmp, 1, 1, bare=bare)
    one, two = pair_rates(args, db_url, tmp, bare=bare)
    if bare:
        print(f"1 worker, batched / bare loop: {one / bare:.2f}x (target >= 0.5x)")
        figures.append(("dispatcher.batched_vs_bare", one / bare, "x", ">= 0.5"))
    print(f"2 workers / 1 worker: {two / one:.2f}x (target >= 1.7x)", flush=True)
    figures.append(("dispatcher.two_vs_one", two / one, "x", ">= 1.7"))
    if not args.quick and args.big_servers:
        rss = [one_run(args, db_url, tmp, 1, args.batch, table_rows=rows)[1]
               for rows in (args.servers, args.big_servers)]
        for rows, kib in zip((args.servers, args.big_servers), rss):
            print(f"peak RSS of one worker, {rows:,} servers in the table: {kib / 1024:.0f} MiB",
                  flush=True)
        figures.append(("dispatcher.rss_growth", rss[1] / rss[0], "x", "<= 1.1"))
    if not args.quick and args.jobs_servers:
        figures += extra(jobs_runs, args, db_url, tmp)
    if args.db_rtt:
        figures += extra(remote_runs, args, db_url, tmp)
    for key, value, unit, target in figures:
        print(f"FIGURE {key} {value:.2f} {unit} target {target}")


def extra(runs, args, db_url: str, tmp: Path) -> list:
    """The figure of an extra pair of runs, or none (said why) if they failed: the headline
    figures are printed either way."""
    try:
        return [runs(args, db_url, tmp)]
    except Exception as exc:  # noqa: BLE001 - reported, and the other figures still count
        print(f"{runs.__name__} failed: {type(exc).__name__}: {exc}", flush=True)
        return []


def jobs_runs(args, db_url: str, tmp: Path):
    """1 and 2 batched workers on the original deployment's shape: ``--jobs-servers`` servers,
    each job's 3 messages back to back, 4 times ``--messages`` in all."""
    jobs = argparse.Namespace(**{**vars(args), "servers": args.jobs_servers, "burst": 3,
                                 "messages": 4 * args.messages})
    print(f"{jobs.messages} op-status messages for {jobs.servers} servers, jobs of 3 back to back:")
    one, two = pair_rates(jobs, db_url, tmp)
    print(f"2 workers / 1 worker, jobs of 3 on {jobs.servers} servers: {two / one:.2f}x "
          "(target >= 1.7x)", flush=True)
    return ("dispatcher.two_vs_one.jobs", two / one, "x", ">= 1.7")


def remote_runs(args, db_url: str, tmp: Path):
    """1 and 2 batched workers with the database ``--db-rtt`` ms away (round trip), through
    ``latency_link.py``, as LOGIC hosts and the database host are apart in production."""
    port = free_port()
    target = sa.make_url(db_url)
    link = subprocess.Popen([sys.executable, str(Path(__file__).with_name("latency_link.py")),
                             str(port), target.host, str(target.port or 5432), str(args.db_rtt)])
    try:
        far = target.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)
        bus.wait_for(lambda: port_open(port), 10, what="the latency link")
        print(f"the database {args.db_rtt} ms away (latency_link.py; median SELECT 1: "
              f"{select_one_ms(db_url):.2f} ms direct, {select_one_ms(far):.2f} ms through the "
              "link), the broker here:")
        one, two = pair_rates(args, far, tmp, link=link.pid)
    finally:
        for pid in tree(link.pid)[1:]:   # one relay process per connection
            os.kill(pid, signal.SIGKILL)
        link.kill()
        link.wait()
    print(f"2 workers / 1 worker, database {args.db_rtt} ms away: {two / one:.2f}x "
          "(target >= 1.7x)", flush=True)
    return ("dispatcher.two_vs_one.remote_db", two / one, "x", ">= 1.7")


def select_one_ms(db_url: str) -> float:
    """The median time of ``SELECT 1`` (a round trip) over 200 tries, in ms."""
    engine = make_engine(db_url)
    times = []
    with engine.connect() as db:
        for _ in range(200):
            start = time.perf_counter()
            db.exec_driver_sql("SELECT 1").scalar()
            times.append(time.perf_counter() - start)
    engine.dispose()
    return 1e3 * sorted(times)[len(times) // 2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def pair_rates(args, db_url, tmp, bare=None, link=None) -> tuple[float, float]:
    """The median messages/s of 1 and of 2 batched workers over ``--rounds`` rounds, the
    order alternating (1, 2; 2, 1; ...) so that neither count always runs first or on a
    slower stretch of the machine: one run lasts a second or two, and a single pair of runs
    moved the ratio by up to 0.4 on a quiet machine. The first round prints CPU accounting."""
    rates = {1: [], 2: []}
    for round_ in range(args.rounds):
        for workers in (1, 2) if round_ % 2 == 0 else (2, 1):
            rates[workers].append(dispatcher_line(args, db_url, tmp, workers, args.batch,
                                                  bare=bare, link=link, details=round_ == 0))
    one, two = (statistics.median(rates[workers]) for workers in (1, 2))
    runs = "; ".join(f"{workers} worker(s) " + ", ".join(f"{rate:.0f}" for rate in rates[workers])
                     for workers in (1, 2))
    print(f"    medians of {args.rounds} rounds: {one:.0f} and {two:.0f} msg/s ({runs})",
          flush=True)
    return one, two


def dispatcher_line(args, db_url, tmp, workers: int, batch: int, bare=None, link=None,
                    details: bool = True) -> float:
    """One snf-dispatcher run, printed (with its CPU accounting if ``details``); returns
    messages/s."""
    rate, _, probe = one_run(args, db_url, tmp, workers, batch, link=link)
    name = f"snf-dispatcher: {workers} worker(s), {batch} msg per commit"
    versus = f"  {rate / bare:5.2f}x bare" if bare else ""
    accounting = f"\n{probe.summary(args.messages)}" if details else ""
    print(f"{name:52s} {rate:7.0f} msg/s{versus}{accounting}", flush=True)
    if details and workers == 1 and batch > 1:
        cores = probe.cores_without_contention()
        print(f"    one worker's pipeline needs {cores:.2f} cores without queueing: 2 workers "
              f"can reach at most {min(2.0, psutil.cpu_count() / cores):.2f}x on "
              f"{psutil.cpu_count()} cores", flush=True)
    return rate


def bench_prefix() -> str:
    """Not ``t<hex>-``: test sessions delete the queues of that shape they did not see before
    they started, which would pull the queues from under a concurrent benchmark."""
    return f"bench{secrets.token_hex(3)}-"


def deployment(db_url, tmp, name, sections=None) -> bus.BusEnv:
    raw = bus.env_settings("rabbitmq", tmp, db_url, message_handlers="ganeti-op-status",
                           instance_prefix=bench_prefix())
    return bus.make_env("rabbitmq", tmp, raw, name, sections)


def bare_run(args, db_url, tmp) -> float:
    env = deployment(db_url, tmp, "bare.ini")
    core = build_core(env.settings)
    try:
        ids = bus.seed_servers(core, args.servers)
        return bare_loop(db_url, env.prefix, stream(env.prefix, ids, args.messages), args.batch)
    finally:
        core.close()


def one_run(args, db_url, tmp, workers, batch, table_rows: int = 0, profile=None, link=None):
    """One snf-dispatcher run on its own queue and servers; ``table_rows`` pads the servers
    table first (bulk INSERT) so that memory can be compared across table sizes."""
    env = deployment(db_url, tmp, f"bench-{workers}-{batch}-{table_rows}.ini", sections={
        "synnefo:dispatcher": {"prefetch": max(batch, args.prefetch, 10), "batch_size": batch}})
    core = build_core(env.settings)
    try:
        pad(core, table_rows)
        ids = bus.seed_servers(core, args.servers)
        msgs = stream(env.prefix, ids, args.messages, args.burst)
        core.publisher.publish(msgs[0])  # declares the topology
        with kombu.Connection(bus.RABBITMQ_URL, transport_options={"confirm_publish": True}) as conn:
            publish(conn, msgs[1:], "ganeti")
        return run_dispatcher(env, workers, core.engine, ids, msgs, profile, link)
    finally:
        bus.delete_topology(env.settings)
        core.close()


if __name__ == "__main__":
    main()
