"""Compute API throughput measured from outside: the API against a minimal WSGI floor, under wrk.

Each app runs alone in its own process under waitress (8 threads) and is loaded by ``wrk``
(Debian package ``wrk``; installed by ``scripts/install-test-deps.sh``) with the same
connections and duration. The floor (``benchmarks/api_floor.py``) looks the token up, reads
the user's servers with ONE statement joined to flavor and image, builds the documents and
``json.dumps`` them. Runs go floor, API, floor; the ratio is API req/s over the mean of the two
floors. For each run: req/s, p50 and p99 latency (wrk's), peak RSS of the server process.

Requests (microversion 2.96), on PostgreSQL:

* ``GET /servers/detail`` (1,000 servers of one user) and ``GET /servers/{id}``, on a database
  holding 100,000 servers across 1,000 users (targets: >= 1.0x and >= 0.5x of the floor);
* scale: the same two requests of the API on a database holding only that user's 1,000
  servers (target: the 100,000-server figures within 20% of these), and the first and last
  page of ``/servers/detail?limit=1000&marker=...`` of a user with 10,000 servers, run first,
  last, first (target: the same cost).

The run ends with one ``FIGURE <key> <value> x target <op> <target>`` line per headline
figure: api.detail.ratio, api.show.ratio, api.detail.scale, api.show.scale,
api.pages.last_first.

``--cpu`` prints each app's CPU time per request measured in process (steadier than req/s on
a busy machine), ``--profile detail|show`` the API's cProfile top entries, and ``--explain``
prints the PostgreSQL plans of the API's listing statements (as quoted in
docs/performance.md). Datasets are seeded once with COPY and kept as databases
named ``bench_api_*`` (``benchmarks/api_dataset.py``).

Usage::

    .venv/bin/python benchmarks/api.py [--seconds 5] [--connections 8] [--only detail|show|scale]
    .venv/bin/python benchmarks/api.py --cpu | --profile detail | --profile show | --explain
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import api_dataset

HERE = Path(__file__).resolve()
VERSION = {"OpenStack-API-Version": "compute 2.96"}
BIG = api_dataset.Shape()
SMALL = api_dataset.Shape(mine=1000, total=1000, users=2, pager=0)


# --- the server processes ---------------------------------------------------------------

def serve(kind: str, db_url: str) -> None:
    """Child process: serve ``kind`` (api | floor) on a free port, print the port, run."""
    import waitress.server
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")  # pyramid's import
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # "Task queue depth" noise
    server = waitress.server.create_server(_app(kind, db_url), host="127.0.0.1", port=0,
                                           threads=8)
    print(server.effective_port, flush=True)
    server.run()


def _app(kind: str, db_url: str):
    from synnefo.core.db.engine import make_engine
    if kind == "floor":
        from api_floor import FloorApp
        # Autocommit: two statements need no BEGIN and ROLLBACK round trips around them.
        return FloorApp(make_engine(db_url).execution_options(isolation_level="AUTOCOMMIT"))
    from synnefo.core.app import build_core
    from synnefo.core.settings import parse_settings
    from synnefo.web import make_app
    settings = parse_settings({"synnefo.db_url": db_url, "synnefo.backend_drivers": "fake",
                               "synnefo.console_proxy": "fake"}, environ={})
    return make_app(build_core(settings))


class Server:
    """A server process of one app; ``peak_rss_mib`` reads the kernel's high-water mark."""

    def __init__(self, kind: str, db_url: str):
        self.kind = kind
        self.proc = subprocess.Popen([sys.executable, str(HERE), "--serve", kind, db_url],
                                     stdout=subprocess.PIPE, text=True)
        port = self.proc.stdout.readline().strip()
        if not port.isdigit():
            self.proc.kill()
            raise SystemExit(f"the {kind} server did not start")
        self.url = f"http://127.0.0.1:{port}"

    def peak_rss_mib(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def get(url: str, token: str) -> bytes:
    request = urllib.request.Request(url, headers={**VERSION, "X-Auth-Token": token})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read()


# --- wrk ---------------------------------------------------------------------------------

def wrk(url: str, token: str, args) -> dict:
    """One wrk run; req/s and wrk's p50/p99 in ms. Any non-2xx answer stops the benchmark."""
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", "--latency",
         "--timeout", "30s", "-H", f"X-Auth-Token: {token}",
         "-H", f"OpenStack-API-Version: {VERSION['OpenStack-API-Version']}", url],
        check=True, capture_output=True, text=True).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw failures on {url}:\n{out}")
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
            "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1))}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run(kind: str, db_url: str, path: str, token: str, args) -> dict:
    """Start ``kind`` fresh, warm it up, load it with wrk, record its peak RSS, stop it."""
    server = Server(kind, db_url)
    try:
        for _ in range(3):
            get(server.url + path, token)
        result = wrk(server.url + path, token, args)
        result["rss"] = server.peak_rss_mib()
        return result
    finally:
        server.stop()


def line(label: str, kind: str, r: dict) -> None:
    print(f"{label:34} {kind:6} {r['rps']:9.1f} {r['p50']:9.1f} {r['p99']:9.1f} {r['rss']:8.0f}",
          flush=True)


# --- the checks -----------------------------------------------------------------------------

def same_documents(db_url: str, path: str, token: str) -> None:
    """The API and the floor must answer with the same JSON (up to the host and port)."""
    bodies = []
    for kind in ("api", "floor"):
        server = Server(kind, db_url)
        try:
            bodies.append(json.loads(get(server.url + path, token).decode()
                                     .replace(server.url, "http://HOST")))
        finally:
            server.stop()
    if bodies[0] != bodies[1]:
        raise SystemExit(f"the API and the floor disagree on {path}")


def versus_floor(data, label: str, path: str, args) -> dict:
    same_documents(data.url, path, data.main_token)
    results = []
    for kind in ("floor", "api", "floor"):
        results.append(run(kind, data.url, path, data.main_token, args))
        line(label, kind, results[-1])
    floor = (results[0]["rps"] + results[2]["rps"]) / 2
    ratio = results[1]["rps"] / floor
    print(f"{label:34} api / mean(floor) = {ratio:.2f}x", flush=True)
    return {**results[1], "ratio": ratio}


def scale(big, small, big_results: dict, args) -> dict:
    """The scale figures: each request on 100k servers over 1k, and last page over first."""
    figures = {}
    paths = {"GET /servers/detail": "/compute/v2.1/servers/detail",
             "GET /servers/{id}": f"/compute/v2.1/servers/{small.show_id}"}
    for label, path in paths.items():
        r = run("api", small.url, path, small.main_token, args)
        line(f"{label} (1,000 in db)", "api", r)
        if label in big_results:
            ratio = big_results[label]["rps"] / r["rps"]
            figures[label] = ratio
            print(f"{label + ' 100k/1k':34} {ratio:.2f}x (target >= 0.80x)", flush=True)
    first, last = pages(big)
    results = []
    for name, page in (("first page", first), ("last page", last), ("first page", first)):
        results.append(run("api", big.url, page, big.pager_token, args))
        line(f"detail?limit=1000 {name}", "api", results[-1])
    # First, last, first: the ratio is against the mean of the two first-page runs.
    figures["pages"] = results[1]["rps"] / ((results[0]["rps"] + results[2]["rps"]) / 2)
    print(f"{'last page / mean(first page)':34} {figures['pages']:.2f}x (target: about 1.0x)",
          flush=True)
    return figures


def pages(data) -> tuple[str, str]:
    """The first page and the last full page of the pager user's servers."""
    import sqlalchemy as sa
    engine = sa.create_engine(data.url)
    with engine.connect() as conn:
        ids = conn.scalars(sa.text("SELECT id FROM servers WHERE owner_id = :o AND NOT deleted "
                                   "ORDER BY id DESC"), {"o": data.pager_user}).all()
    engine.dispose()
    base = "/compute/v2.1/servers/detail?limit=1000"
    return base, f"{base}&marker={ids[-1001]}"


def explain(data) -> None:
    """EXPLAIN ANALYZE of the statements the API's listing issues: bench-main's page (1,000
    of 100,000 servers), bench-pager's first and last page (10,000 servers)."""
    import sqlalchemy as sa
    from synnefo.core.app import build_core
    from synnefo.core.db.models import User
    from synnefo.core.services import queries
    from synnefo.core.settings import parse_settings
    core = build_core(parse_settings({"synnefo.db_url": data.url, "synnefo.backend_drivers": "fake",
                                      "synnefo.console_proxy": "fake"}, environ={}))
    first, last = pages(data)
    marker = int(last.rsplit("=", 1)[1])
    for name, user, flt in (("bench-main page", data.main_user, queries.ServerFilter()),
                            ("pager first page", data.pager_user, queries.ServerFilter()),
                            ("pager last page", data.pager_user, queries.ServerFilter(marker=marker))):
        statements = []

        def record(_conn, _cursor, stmt, params, _ctx, _many):
            statements.append((stmt, params))
        sa.event.listen(core.engine, "before_cursor_execute", record)
        with core.uow() as uow:
            queries.server_views(uow.session, uow.session.get(User, user), flt)
        sa.event.remove(core.engine, "before_cursor_execute", record)
        with core.engine.connect() as conn:
            cursor = conn.connection.driver_connection.cursor()
            for stmt, params in statements:
                if not stmt.lstrip().upper().startswith("SELECT"):
                    continue
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + stmt, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                print(f"--- {name}: {' '.join(stmt.split())[:160]}...\n{plan}\n", flush=True)


def _caller(kind: str, data, which: str):
    """A function making one request straight through ``kind``'s WSGI callable: ``detail``,
    ``show``, or (the API only) bench-pager's ``first page`` or ``last page``."""
    from wsgiref.util import setup_testing_defaults
    app = _app(kind, data.url)
    token = data.main_token
    if which in ("first page", "last page"):
        path = pages(data)[which == "last page"]
        token = data.pager_token
    else:
        path = "/compute/v2.1/servers/detail" if which == "detail" else \
            f"/compute/v2.1/servers/{data.show_id}"
    path, _, query = path.partition("?")
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "HTTP_X_AUTH_TOKEN": token,
               "HTTP_OPENSTACK_API_VERSION": "compute 2.96"}
    setup_testing_defaults(environ)

    def call():
        body = b"".join(app(dict(environ), lambda status, headers: None))
        assert body.startswith(b'{"server'), body[:200]
    call()
    return call


class RoundTrips:
    """Counts what psycopg sends the server and waits for: statements (pings included) and
    the BEGIN, COMMIT and ROLLBACK it issues itself. Wraps two psycopg internals, for this
    benchmark only."""

    def __init__(self):
        import psycopg
        self.count = 0
        self._patched = [(psycopg.Connection, "_exec_command"), (psycopg.Cursor, "execute")]
        self._originals = [getattr(cls, name) for cls, name in self._patched]

    def __enter__(self):
        for (cls, name), original in zip(self._patched, self._originals):
            setattr(cls, name, self._counting(original))
        return self

    def __exit__(self, *exc):
        for (cls, name), original in zip(self._patched, self._originals):
            setattr(cls, name, original)

    def _counting(self, original):
        def counted(*args, **kwargs):
            self.count += 1
            return original(*args, **kwargs)
        return counted


def cpu(data) -> None:
    """CPU time per request of each app, in process (no server, no wrk): a figure that load
    on the machine disturbs far less than throughput; and the database round trips of each."""
    print(f"{'request':22} {'app':6} {'CPU ms/request':>15} {'DB round trips/request':>23}")
    for which, count in (("detail", 20), ("show", 300)):
        spent = {}
        for kind in ("floor", "api"):
            call = _caller(kind, data, which)
            with RoundTrips() as trips:
                started = time.process_time()
                for _ in range(count):
                    call()
                spent[kind] = (time.process_time() - started) / count * 1000
            print(f"{which:22} {kind:6} {spent[kind]:15.2f} {trips.count / count:23.1f}",
                  flush=True)
        print(f"{which:22} floor / api = {spent['floor'] / spent['api']:.2f}x", flush=True)
    spent = {}
    for which in ("first page", "last page", "first page"):
        call = _caller("api", data, which)
        started = time.process_time()
        for _ in range(20):
            call()
        spent.setdefault(which, []).append((time.process_time() - started) / 20 * 1000)
        print(f"{'pager ' + which:22} {'api':6} {spent[which][-1]:15.2f}", flush=True)
    ratio = spent["last page"][0] / (sum(spent["first page"]) / 2)
    print(f"{'pager':22} last / mean(first) = {ratio:.2f}x", flush=True)


def profile(data, which: str, count: int) -> None:
    """cProfile of ``count`` requests through the API's WSGI callable (no server, no wrk)."""
    import cProfile
    import io
    import pstats
    call = _caller("api", data, which)
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [call() for _ in range(count)])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


# --- main ---------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--only", choices=("detail", "show", "scale"), action="append")
    parser.add_argument("--explain", action="store_true", help="print the query plans and stop")
    parser.add_argument("--profile", choices=("detail", "show"),
                        help="print a cProfile of the API serving this request and stop")
    parser.add_argument("--cpu", action="store_true",
                        help="print each app's CPU time per request (in process) and stop")
    parser.add_argument("--admin-url", default=api_dataset.ADMIN_URL)
    parser.add_argument("--serve", nargs=2, metavar=("KIND", "DB_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(*args.serve)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run scripts/install-test-deps.sh")
    big = api_dataset.ensure(BIG, args.admin_url)
    if args.explain:
        return explain(big)
    if args.cpu:
        return cpu(big)
    if args.profile:
        return profile(big, args.profile, 20 if args.profile == "detail" else 500)
    only = set(args.only or ("detail", "show", "scale"))
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s; waitress 8 threads; "
          f"PostgreSQL; {os.cpu_count()} CPUs; {BIG.total:,} servers, {BIG.users:,} users")
    print(f"{'request':34} {'app':6} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'RSS MiB':>8}")
    big_results = {}
    if "detail" in only:
        big_results["GET /servers/detail"] = versus_floor(
            big, "GET /servers/detail", "/compute/v2.1/servers/detail", args)
    if "show" in only:
        big_results["GET /servers/{id}"] = versus_floor(
            big, "GET /servers/{id}", f"/compute/v2.1/servers/{big.show_id}", args)
    scales = scale(big, api_dataset.ensure(SMALL, args.admin_url), big_results, args) \
        if "scale" in only else {}
    print_figures(big_results, scales)


def print_figures(big_results: dict, scales: dict) -> None:
    """One ``FIGURE`` line per headline figure measured in this run (the lead's summary)."""
    detail, show = "GET /servers/detail", "GET /servers/{id}"
    figures = [("api.detail.ratio", big_results.get(detail, {}).get("ratio"), ">= 1.0"),
               ("api.show.ratio", big_results.get(show, {}).get("ratio"), ">= 0.5"),
               ("api.detail.scale", scales.get(detail), ">= 0.8"),
               ("api.show.scale", scales.get(show), ">= 0.8"),
               ("api.pages.last_first", scales.get("pages"), "~ 1.0")]
    for key, value, target in figures:
        if value is not None:
            print(f"FIGURE {key} {value:.2f} x target {target}", flush=True)


if __name__ == "__main__":
    main()
