"""Backend drivers: bulk listing over HTTPS and job throughput, printed as figures.

* the Ganeti RAPI driver listing N instances (default 10,000) from the RAPI simulator over
  HTTPS: one ``GET /2/instances?bulk=1``, answer size, wall time;
* the RAPI driver submitting M creates one after the other (request round trips);
* the fake driver running M create jobs to the end with ``job_delay = 0`` (jobs per second,
  messages published).

Usage::

    .venv/bin/python benchmarks/backends.py [--instances 10000] [--jobs 500]
"""
from __future__ import annotations

import argparse
import tempfile
import time

from synnefo.core.contracts import BackendInfo
from synnefo.plugins.backends.fake import FakeDriver
from synnefo.plugins.backends.ganeti import GanetiDriver
from synnefo.testing.driver_contract import make_spec
from synnefo.testing.rapi_simulator import RapiSimulator, make_tls


class CountingPublisher:
    def __init__(self):
        self.count = 0

    def publish(self, message):
        self.count += 1


def bench_rapi(instances: int, jobs: int, workdir: str) -> None:
    tls = make_tls(workdir)
    sim = RapiSimulator(users={"admin": "secret"}).start(tls.server_context)
    try:
        sim.add_instances(f"snf-{n}" for n in range(1, instances + 1))
        driver = GanetiDriver(BackendInfo(id=1, name="bench", driver="ganeti", rapi_url=sim.url,
                                          username="admin", password="secret",
                                          options={"ca_file": tls.ca_file}))
        started = time.perf_counter()
        listed = driver.list_instances()
        elapsed = time.perf_counter() - started
        print(f"rapi list_instances: {len(listed)} instances in {elapsed:.2f} s "
              f"({sim.count('GET', '/2/instances')} request)")
        started = time.perf_counter()
        for n in range(jobs):
            driver.create_instance(make_spec(f"snf-new-{n}"))
        elapsed = time.perf_counter() - started
        print(f"rapi create_instance: {jobs} submissions in {elapsed:.2f} s "
              f"({jobs / elapsed:.0f}/s)")
        driver.close()
    finally:
        sim.stop()


def bench_fake(jobs: int) -> None:
    bus = CountingPublisher()
    driver = FakeDriver(BackendInfo(id=1, name="bench", driver="fake", options={"job_delay": 0}),
                        publisher=bus)
    started = time.perf_counter()
    for n in range(jobs):
        driver.create_instance(make_spec(f"snf-{n}"))
    driver.wait_idle(timeout=600)
    elapsed = time.perf_counter() - started
    print(f"fake: {jobs} create jobs finished in {elapsed:.2f} s ({jobs / elapsed:.0f}/s), "
          f"{bus.count} messages published")
    driver.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        bench_rapi(args.instances, args.jobs, workdir)
    bench_fake(args.jobs)


if __name__ == "__main__":
    main()
