"""The floor of ``benchmarks/api.py``: the least any implementation of the two requests must do.

A plain WSGI callable over a SQLAlchemy Core connection pool in autocommit (two round trips
to the database per request, no transaction), written without looking at the API's
statements: look the token up (one statement, token joined to its user), read the
servers with ONE statement (the page of the user's servers joined to flavor, image, metadata
and NICs), build the 2.96 documents by hand and serialise them with stdlib ``json.dumps``.
It serves only what the benchmark asks (ACTIVE servers, ``/servers/detail`` and
``/servers/{id}``) and answers 404 to anything else.
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from synnefo.core.timeutil import as_utc, isoformat, utcnow

TOKEN = sa.text("SELECT u.id FROM api_tokens t JOIN users u ON u.id = t.user_id "
                "WHERE t.token_hash = :hash AND t.expires > :now")
SERVERS = """
WITH page AS (SELECT * FROM servers WHERE owner_id = :owner AND NOT deleted {where}
              ORDER BY id DESC LIMIT :limit)
SELECT p.id, p.name, p.owner_id, p.image_id, p.backend_id, p.created, p.updated,
       f.vcpus, f.ram_mib, f.disk_gib, f.name AS flavor_name, i.id AS image,
       m.key, m.value, n.mac, n.ipv4, n.ipv6, n.link, n.network
FROM page p JOIN flavors f ON f.id = p.flavor_id LEFT JOIN images i ON i.id = p.image_id
LEFT JOIN server_metadata m ON m.server_id = p.id LEFT JOIN nics n ON n.server_id = p.id
ORDER BY p.id DESC, m.key, n."index"
"""
DETAIL = sa.text(SERVERS.format(where=""))
SHOW = sa.text(SERVERS.format(where="AND id = :id"))
PAGE = 1000


class FloorApp:
    def __init__(self, engine: sa.Engine):
        self.engine = engine

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        tail = path.rsplit("/", 1)[1]
        if tail != "detail" and not tail.isdigit():
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        root = f"http://{environ['HTTP_HOST']}/compute"
        with self.engine.connect() as conn:
            user = conn.scalar(TOKEN, {"hash": hashlib.sha256(
                environ.get("HTTP_X_AUTH_TOKEN", "").encode()).hexdigest(), "now": utcnow()})
            if user is None:
                start_response("401 Unauthorized", [("Content-Length", "0")])
                return [b""]
            if tail == "detail":
                rows = conn.execute(DETAIL, {"owner": user, "limit": PAGE}).all()
            else:
                rows = conn.execute(SHOW, {"owner": user, "limit": 1, "id": int(tail)}).all()
        docs = documents(root, str(user), rows, show=tail != "detail")
        if tail != "detail" and not docs:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        body = {"server": docs[0]} if tail != "detail" else _listing(root, docs)
        data = json.dumps(body, separators=(",", ":")).encode()
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(data)))])
        return [data]


def _listing(root: str, docs: list[dict]) -> dict:
    body = {"servers": docs}
    if len(docs) == PAGE:
        body["servers_links"] = [{"rel": "next", "href": f"{root}/v2.1/servers/detail?"
                                                         f"limit={PAGE}&marker={docs[-1]['id']}"}]
    return body


def documents(root: str, project: str, rows, show: bool) -> list[dict]:
    """One document per server; the joined rows of one server are consecutive."""
    docs: list[dict] = []
    current = None
    for r in rows:
        if current is None or current["id"] != str(r.id):
            current = server(root, project, r, show)
            docs.append(current)
        if r.key is not None:
            current["metadata"][r.key] = r.value
        if r.mac is not None and not any(a["OS-EXT-IPS-MAC:mac_addr"] == r.mac
                                         for a in current["addresses"].get(r.network, [])):
            _address(current["addresses"], r)
    return docs


def _address(addresses: dict, r) -> None:
    entries = addresses.setdefault(r.network or r.link or "public", [])
    for version, addr in ((4, r.ipv4), (6, r.ipv6)):
        if addr:
            entries.append({"version": version, "addr": addr, "OS-EXT-IPS:type": "fixed",
                            "OS-EXT-IPS-MAC:mac_addr": r.mac})


def server(root: str, project: str, r, show: bool) -> dict:
    """The 2.96 document of an ACTIVE server (metadata and addresses filled in by the caller)."""
    created = as_utc(r.created)
    body = {
        "id": str(r.id), "name": r.name, "status": "ACTIVE", "tenant_id": project,
        "user_id": str(r.owner_id), "metadata": {},
        "hostId": hashlib.sha224(f"{project}backend-{r.backend_id}".encode()).hexdigest(),
        "image": {"id": r.image, "links": [{"rel": "bookmark", "href": f"{root}/images/{r.image}"}]}
        if r.image else "",
        "flavor": {"vcpus": r.vcpus, "ram": r.ram_mib, "disk": r.disk_gib, "ephemeral": 0,
                   "swap": 0, "original_name": r.flavor_name, "extra_specs": {}},
        "created": isoformat(created), "updated": isoformat(r.updated), "addresses": {},
        "accessIPv4": "", "accessIPv6": "",
        "links": [{"rel": "self", "href": f"{root}/v2.1/servers/{r.id}"},
                  {"rel": "bookmark", "href": f"{root}/servers/{r.id}"}],
        "OS-DCF:diskConfig": "MANUAL", "OS-EXT-AZ:availability_zone": "nova",
        "config_drive": "", "key_name": None,
        "OS-SRV-USG:launched_at": created.strftime("%Y-%m-%dT%H:%M:%S.%f"),
        "OS-SRV-USG:terminated_at": None, "OS-EXT-STS:task_state": None,
        "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:power_state": 1,
        "os-extended-volumes:volumes_attached": [], "security_groups": [{"name": "default"}],
        "progress": 100, "locked": False, "description": None, "tags": [],
        "trusted_image_certificates": None, "locked_reason": None,
        "OS-EXT-SRV-ATTR:hostname": r.name, "pinned_availability_zone": None,
    }
    if show:
        body["server_groups"] = []
    return body
