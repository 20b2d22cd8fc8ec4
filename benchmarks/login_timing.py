"""Login timing: does a wrong password take as long for an unknown user name as for a real one?

Runs the API in-process (WebTest) on a throw-away SQLite database with login throttling off and
posts ``--rounds`` wrong-password logins to ``POST /identity/v3/auth/tokens`` for a real user
and as many for an unknown one, interleaved, and prints the median and p90 time of each and
their ratio (both pay one scrypt hash, so the ratio should be close to 1).

Usage::

    .venv/bin/python benchmarks/login_timing.py [--rounds 40]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import webtest

from synnefo.core.app import build_core
from synnefo.core.db import migrate
from synnefo.core.db.engine import make_engine
from synnefo.core.services import accounts
from synnefo.core.settings import parse_settings
from synnefo.web import make_app


def build(directory: str):
    url = f"sqlite:///{directory}/bench.sqlite"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    raw = {"synnefo.db_url": url, "synnefo.backend_drivers": "fake",
           "synnefo.console_proxy": "fake", "synnefo.lockout_failure_attempts": "0",
           "synnefo.lockout_address_failure_attempts": "0"}
    core = build_core(parse_settings(raw, environ={}))
    with core.uow() as uow:
        accounts.create_user(uow.session, "alice", "right")
    return core, webtest.TestApp(make_app(core))


def body(name: str) -> dict:
    return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": name, "domain": {"name": "Default"}, "password": "wrong"}}}}}


def timed(app, name: str) -> float:
    start = time.perf_counter()
    app.post_json("/identity/v3/auth/tokens", body(name), status=401)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        core, app = build(directory)
        timed(app, "nobody")   # warm-up (the dummy hash is made on first use)
        times = {"existing user": [], "unknown user": []}
        for _ in range(args.rounds):
            times["existing user"].append(timed(app, "alice"))
            times["unknown user"].append(timed(app, "nobody"))
        core.close()
    for label, values in times.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{label:>14}: median {statistics.median(values):6.1f} ms  p90 {p90:6.1f} ms")
    ratio = statistics.median(times["unknown user"]) / statistics.median(times["existing user"])
    print(f"unknown/existing median ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
