"""Benchmark snf-ganeti-eventd: rename-to-RabbitMQ latency and sustained job files per second.

Runs the real ``snf-ganeti-eventd`` console script as a separate process on a temporary queue
directory (it is "the master" through a temporary ssconf dir), writes job files the way Ganeti
does (temp file + rename; content: the recorded Ganeti 3.0 create job, one new job id per
file), and reads the messages back from RabbitMQ on a private queue. Prints:

* latency from each file's rename to the message's arrival in RabbitMQ, one job at a time
  (p50/p90/p99/max);
* job files per second sustained when N files are written as fast as possible;
* with the broker cut (a TCP relay in front of RabbitMQ): job files spooled per second, then
  spooled messages replayed per second once the broker is back.

Usage: .venv/bin/python benchmarks/eventd.py [--latency-jobs 300] [--burst-jobs 3000]
       [--amqp-url amqp://guest:guest@127.0.0.1:5672//]
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kombu

from synnefo.testing.tcpproxy import TcpProxy

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests/fixtures/ganeti-3.0/jobs/create-success/job-6.18-success.json"
NODE = "node1.example.test"


class Tap:
    """A private queue on ``ganeti.<routing prefix>.event.#``; records arrival times by job id."""

    def __init__(self, url: str, prefix: str):
        routing = prefix.split("-", 1)[0]
        self.connection = kombu.Connection(url)
        exchange = kombu.Exchange("ganeti", type="topic", durable=True)
        self.queue = kombu.Queue(f"bench-{routing}", exchange, durable=False,
                                 routing_key=f"ganeti.{routing}.event.#", auto_delete=False)
        self.queue(self.connection.default_channel).declare()
        self.arrived: dict[int, float] = {}
        self._consumer = self.connection.Consumer([self.queue], callbacks=[self._on_message],
                                                  accept=["json"])
        self._consumer.consume()

    def _on_message(self, body, message):
        self.arrived[body["jobId"]] = time.time()
        message.ack()

    def wait_for(self, job_ids, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not set(job_ids) <= self.arrived.keys():
            if time.monotonic() > deadline:
                missing = len(set(job_ids) - self.arrived.keys())
                raise SystemExit(f"{missing} message(s) never arrived")
            try:
                self.connection.drain_events(timeout=0.5)
            except TimeoutError:
                pass

    def close(self) -> None:
        self._consumer.cancel()
        self.queue(self.connection.default_channel).delete()
        self.connection.release()


class JobWriter:
    """Writes ``job-<id>`` like Ganeti's job process: ``job-<id><random>.new`` then rename."""

    def __init__(self, queue_dir: Path, prefix: str):
        self.queue_dir = queue_dir
        self.prefix = prefix
        self.template = json.loads(RECORDED.read_text())
        self.next_id = 1000

    def write(self) -> tuple[int, float]:
        job_id, self.next_id = self.next_id, self.next_id + 1
        job = dict(self.template, id=job_id)
        job["ops"] = [dict(self.template["ops"][0],
                           input=dict(self.template["ops"][0]["input"],
                                      instance_name=f"{self.prefix}{job_id}"))]
        temp = self.queue_dir / f"job-{job_id}{secrets.token_hex(5)}.new"
        temp.write_text(json.dumps(job))
        os.rename(temp, self.queue_dir / f"job-{job_id}")
        return job_id, time.time()


def start_eventd(workdir: Path, amqp_url: str, prefix: str) -> subprocess.Popen:
    ini = workdir / "synnefo.ini"
    ini.write_text(f"""[app:main]
synnefo.amqp_url = {amqp_url}
synnefo.instance_prefix = {prefix}

[synnefo:eventd]
queue_dir = {workdir}/ganeti/queue
ssconf_dir = {workdir}/ganeti
node_name = {NODE}
state = {workdir}/lib/eventd.sqlite
spool = {workdir}/spool/messages.sqlite
retry_interval = 0.5
declare_topology = false

[loggers]
keys = root
[handlers]
keys = null
[formatters]
keys =
[logger_root]
level = WARNING
handlers = null
[handler_null]
class = NullHandler
args = ()
""")
    script = Path(sys.executable).parent / "snf-ganeti-eventd"
    proc = subprocess.Popen([str(script), "-c", str(ini)], cwd="/")
    time.sleep(1.5)  # start-up: imports, watch, catch-up scan of an empty queue
    return proc


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def measure_latency(writer: JobWriter, tap: Tap, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        job_id, renamed = writer.write()
        tap.wait_for([job_id])
        latencies.append((tap.arrived[job_id] - renamed) * 1000)
    return latencies


def measure_burst(writer: JobWriter, tap: Tap, count: int) -> tuple[float, float]:
    started = time.time()
    ids = [writer.write()[0] for _ in range(count)]
    written = time.time()
    tap.wait_for(ids)
    last = max(tap.arrived[i] for i in ids)
    return count / (written - started), count / (last - started)


def measure_outage(writer: JobWriter, tap: Tap, proxy: TcpProxy, spool: Path,
                   count: int) -> tuple[float, float]:
    proxy.cut()
    time.sleep(0.3)
    started = time.time()
    ids = [writer.write()[0] for _ in range(count)]
    while _spooled(spool) < count:
        time.sleep(0.05)
    spool_rate = count / (time.time() - started)
    restored = time.time()
    proxy.restore()
    tap.wait_for(ids)
    return spool_rate, count / (max(tap.arrived[i] for i in ids) - restored)


def _spooled(spool: Path) -> int:
    import sqlite3
    try:
        with sqlite3.connect(spool, timeout=5) as db:
            return db.execute("SELECT count(*) FROM messages").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-jobs", type=int, default=300)
    parser.add_argument("--burst-jobs", type=int, default=3000)
    parser.add_argument("--outage-jobs", type=int, default=1000)
    parser.add_argument("--amqp-url", default="amqp://guest:guest@127.0.0.1:5672//")
    args = parser.parse_args(argv)
    with Setup(args.amqp_url, relay=False) as direct:
        report_direct(args, direct)
    with Setup(args.amqp_url, relay=True) as relayed:
        report_outage(args, relayed)


class Setup:
    """A temporary Ganeti dir, an eventd process and a tap; optionally a cuttable relay
    between eventd and RabbitMQ (the relay runs in this process, so it is only used for the
    outage figures)."""

    def __init__(self, amqp_url: str, relay: bool):
        self.amqp_url, self.relay = amqp_url, relay

    def __enter__(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.work = Path(self._tmp.name)
        (self.work / "ganeti/queue").mkdir(parents=True)
        (self.work / "ganeti/ssconf_master_node").write_text(NODE + "\n")
        (self.work / "ganeti/ssconf_cluster_name").write_text("cluster.example.test\n")
        prefix = f"b{secrets.token_hex(3)}-"
        broker = kombu.Connection(self.amqp_url)
        self.proxy = TcpProxy((broker.hostname, broker.port or 5672)).start()
        url = f"amqp://guest:guest@127.0.0.1:{self.proxy.port}//" if self.relay else self.amqp_url
        self.tap = Tap(self.amqp_url, prefix)
        self.eventd = start_eventd(self.work, url, prefix)
        self.writer = JobWriter(self.work / "ganeti/queue", prefix)
        return self

    def __exit__(self, *exc):
        self.eventd.terminate()
        self.eventd.wait(30)
        self.tap.close()
        self.proxy.cut()
        self._tmp.cleanup()


def report_direct(args, env: Setup) -> None:
    measure_latency(env.writer, env.tap, 20)  # warm-up: connection, page cache
    latencies = measure_latency(env.writer, env.tap, args.latency_jobs)
    print(f"rename -> RabbitMQ latency over {len(latencies)} jobs (one at a time): "
          f"p50 {percentile(latencies, 50):.2f} ms, p90 {percentile(latencies, 90):.2f} ms, "
          f"p99 {percentile(latencies, 99):.2f} ms, max {max(latencies):.2f} ms, "
          f"mean {statistics.mean(latencies):.2f} ms")
    write_rate, sustained = measure_burst(env.writer, env.tap, args.burst_jobs)
    print(f"burst of {args.burst_jobs} job files (written at {write_rate:.0f}/s): "
          f"{sustained:.0f} job files/s sustained, first rename to last arrival")


def report_outage(args, env: Setup) -> None:
    measure_latency(env.writer, env.tap, 5)
    spool_rate, replay_rate = measure_outage(env.writer, env.tap, env.proxy,
                                             env.work / "spool/messages.sqlite",
                                             args.outage_jobs)
    print(f"broker cut, {args.outage_jobs} job files: spooled at {spool_rate:.0f} job files/s; "
          f"replayed at {replay_rate:.0f} messages/s once the broker was back "
          f"(through a Python TCP relay)")


if __name__ == "__main__":
    main()
