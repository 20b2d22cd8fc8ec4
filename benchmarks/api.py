"""Compute API throughput: the Pyramid app beside a bare WSGI app doing the same SQL and JSON.

Both apps run under waitress on loopback (8 threads each) against the same database holding
1,000 servers of one user. 8 concurrent clients (keep-alive sessions) request

* ``GET /compute/v2.1/servers/detail`` (microversion 2.96, all 1,000 servers), and
* ``GET /compute/v2.1/servers/{id}``,

and the script prints requests/s, p50 and p99 latency for each, and the API's throughput as a
percentage of the bare app's (target: at least 50%). The bare app is plain WSGI over SQLAlchemy
Core: it authenticates the token with the same queries, reads the servers with the same
statements (servers joined to flavors, metadata and NICs with ``IN``) and writes the rows out
as byte-for-byte the same JSON (the script checks that before measuring).

Usage::

    .venv/bin/python benchmarks/api.py [--servers 1000] [--seconds 5] [--clients 8]
                                       [--db-url postgresql://postgres@127.0.0.1/dbname]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import secrets
import socket
import statistics
import tempfile
import threading
import time

import requests
import sqlalchemy as sa
import waitress.server

from synnefo.core.app import build_core
from synnefo.core.db import migrate
from synnefo.core.db.models import ApiToken, Backend, Flavor, Nic, Server, ServerMetadata, User
from synnefo.core.services import accounts, catalog
from synnefo.core.settings import parse_settings
from synnefo.core.timeutil import as_utc, isoformat, utcnow
from synnefo.web import make_app

HEADERS = {"OpenStack-API-Version": "compute 2.96"}


def build(db_url: str, servers: int):
    settings = parse_settings({"synnefo.db_url": db_url, "synnefo.backend_drivers": "fake",
                               "synnefo.console_proxy": "fake",
                               "synnefo.instance_prefix": f"b{secrets.token_hex(3)}-"}, environ={})
    core = build_core(settings)
    migrate.upgrade(core.engine)
    with core.uow() as uow:
        s = uow.session
        user = accounts.create_user(s, f"bench{secrets.token_hex(3)}", max_servers=servers)
        flavor = catalog.create_flavor(s, f"bench-{secrets.token_hex(3)}", 1, 512, 1)
        image = catalog.register_image(s, "bench-image", "bench.diskdump")
        backend = catalog.add_backend(s, f"bench-{secrets.token_hex(3)}", "fake")
        s.add_all(_servers(user, flavor, image, backend, servers))
        token, _ = accounts.issue_token(s, user, 24)
    return core, token


def _servers(user, flavor, image, backend: Backend, count: int):
    for i in range(count):
        server = Server(owner_id=user.id, name=f"bench-{i}", flavor=flavor, image=image,
                        backend_id=backend.id, operstate="STARTED", build_progress=100)
        server.metadata_items = [ServerMetadata(key="role", value=f"r{i % 7}")]
        yield server


class BareApp:
    """Plain WSGI and SQLAlchemy Core: the same SQL statements the API issues (token, user,
    servers joined to flavors, then metadata and NICs with ``IN``), rows turned straight into
    the same JSON. No ORM objects, no framework: the floor the API is measured against."""

    def __init__(self, core):
        self.engine = core.engine

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        base = f"http://{environ['HTTP_HOST']}/compute"
        with self.engine.connect() as conn:
            user = self._user(conn, environ.get("HTTP_X_AUTH_TOKEN") or "")
            if user is None:
                start_response("401 Unauthorized", [("Content-Type", "application/json")])
                return [b"{}"]
            body = self._body(conn, user, path, base)
        data = json.dumps(body, separators=(",", ":")).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _user(conn, token: str):
        row = conn.execute(sa.select(ApiToken.user_id, ApiToken.expires).where(
            ApiToken.token_hash == accounts.hash_token(token))).first()
        if row is None or row.expires <= utcnow():
            return None
        return conn.execute(sa.select(User).where(User.id == row.user_id)).first()

    def _body(self, conn, user, path: str, base: str) -> dict:
        query = sa.select(Server.__table__, Flavor.__table__.c.vcpus, Flavor.__table__.c.ram_mib,
                          Flavor.__table__.c.disk_gib, Flavor.__table__.c.name.label("fname")) \
            .join(Flavor, Server.flavor_id == Flavor.id) \
            .where(Server.owner_id == user.id, Server.deleted.is_(False))
        if path.endswith("/detail"):
            rows = conn.execute(query.order_by(Server.id.desc()).limit(1000)).all()
        else:
            rows = conn.execute(query.where(Server.id == int(path.rsplit("/", 1)[1]))).all()
        ids = [r.id for r in rows]
        meta, nics = self._children(conn, ids)
        items = [bare_server(base, str(user.id), r, meta.get(r.id, {}), nics.get(r.id, []),
                             show=not path.endswith("/detail")) for r in rows]
        if not path.endswith("/detail"):
            return {"server": items[0]}
        body = {"servers": items}
        if len(items) == 1000:
            body["servers_links"] = [{"rel": "next", "href": f"{base}/v2.1/servers/detail?"
                                                             f"limit=1000&marker={items[-1]['id']}"}]
        return body

    @staticmethod
    def _children(conn, ids):
        meta: dict[int, dict] = {}
        for sid, key, value in conn.execute(
                sa.select(ServerMetadata.server_id, ServerMetadata.key, ServerMetadata.value)
                .where(ServerMetadata.server_id.in_(ids)).order_by(ServerMetadata.key)):
            meta.setdefault(sid, {})[key] = value
        nics: dict[int, list] = {}
        for nic in conn.execute(sa.select(Nic.__table__).where(Nic.server_id.in_(ids))
                                .order_by(Nic.index)):
            nics.setdefault(nic.server_id, []).append(nic)
        return meta, nics


def bare_server(base: str, project: str, r, meta: dict, nics: list, show: bool) -> dict:
    """The 2.96 server document of an ACTIVE server, written out by hand."""
    links = [{"rel": "self", "href": f"{base}/v2.1/servers/{r.id}"},
             {"rel": "bookmark", "href": f"{base}/servers/{r.id}"}]
    addresses: dict = {}
    for nic in nics:
        entries = addresses.setdefault(nic.network or nic.link or "public", [])
        for version, addr in ((4, nic.ipv4), (6, nic.ipv6)):
            if addr:
                entries.append({"version": version, "addr": addr, "OS-EXT-IPS:type": "fixed",
                                "OS-EXT-IPS-MAC:mac_addr": nic.mac})
    host = hashlib.sha224(f"{project}backend-{r.backend_id}".encode()).hexdigest()
    body = {
        "id": str(r.id), "name": r.name, "status": "ACTIVE", "tenant_id": project,
        "user_id": str(r.owner_id), "metadata": meta, "hostId": host,
        "image": {"id": r.image_id, "links": [{"rel": "bookmark",
                                               "href": f"{base}/images/{r.image_id}"}]},
        "flavor": {"vcpus": r.vcpus, "ram": r.ram_mib, "disk": r.disk_gib, "ephemeral": 0,
                   "swap": 0, "original_name": r.fname, "extra_specs": {}},
        "created": isoformat(r.created), "updated": isoformat(r.updated),
        "addresses": addresses, "accessIPv4": "", "accessIPv6": "", "links": links,
        "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": "nova",
        "config_drive": "", "key_name": None,
        "OS-SRV-USG:launched_at": as_utc(r.created).strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "OS-SRV-USG:terminated_at": None, "OS-EXT-STS:task_state": None,
        "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:power_state": 1,
        "os-extended-volumes:volumes_attached": [], "security_groups": [{"name": "default"}],
        "progress": 100, "locked": False, "description": None, "tags": [],
        "trusted_image_certificates": None,
    }
    if show:
        body["server_groups"] = []
    body.update({"locked_reason": None, "OS-EXT-SRV-ATTR:hostname": r.name,
                 "pinned_availability_zone": None})
    return body


def serve(app):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = waitress.server.create_server(app, sockets=[sock], threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}"


def measure(url: str, token: str, clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        session = requests.Session()
        mine = []
        while time.monotonic() < deadline:
            start = time.perf_counter()
            response = session.get(url, headers={**HEADERS, "X-Auth-Token": token})
            mine.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text
        with lock:
            latencies.extend(mine)
    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000, "n": len(latencies)}


def same_json(api_url: str, bare_url: str, path: str, token: str) -> None:
    headers = {**HEADERS, "X-Auth-Token": token}
    api = requests.get(api_url + path, headers=headers)
    bare = requests.get(bare_url + path, headers=headers)
    normalise = lambda text, url: text.replace(url, "http://HOST")  # noqa: E731
    if normalise(api.text, api_url) != normalise(bare.text, bare_url):
        raise SystemExit(f"the two apps disagree on {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)   # "Task queue depth" noise
    db_url = args.db_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    core, token = build(db_url, args.servers)
    _, api_url = serve(make_app(core))
    _, bare_url = serve(BareApp(core))
    with core.uow() as uow:
        one = uow.session.scalar(sa.select(sa.func.max(Server.id)))
    paths = {"GET /servers/detail": "/compute/v2.1/servers/detail",
             "GET /servers/{id}": f"/compute/v2.1/servers/{one}"}
    print(f"{args.servers} servers, {args.clients} clients, {args.seconds:.0f} s per run, "
          f"database {core.engine.dialect.name}")
    print(f"{'request':22} {'app':6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for label, path in paths.items():
        same_json(api_url, bare_url, path, token)
        results = {}
        for name, url in (("api", api_url), ("bare", bare_url)):
            results[name] = r = measure(url + path, token, args.clients, args.seconds)
            print(f"{label:22} {name:6} {r['rps']:8.1f} {r['p50']:8.1f} {r['p99']:8.1f}")
        ratio = 100 * results["api"]["rps"] / results["bare"]["rps"]
        print(f"{label:22} api/bare throughput: {ratio:.0f}% (target >= 50%)")
    # The waitress servers run in daemon threads and end with the process.


if __name__ == "__main__":
    main()
