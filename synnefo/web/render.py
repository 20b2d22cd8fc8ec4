"""JSON shapes of servers, flavors and images, by microversion.

Each function returns exactly the fields of the requested microversion (Tempest's schemas
reject extra ones). ``Api`` carries what every shape needs: base URLs, version, the caller.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, fields
from types import SimpleNamespace

from synnefo.core.db.models import Flavor, Image, Server
from synnefo.core.db.server_state import server_state
from synnefo.core.domain.state import ApiStatus, ServerState, api_status, vm_state
from synnefo.core.timeutil import UTC, as_utc, isoformat
from synnefo.web.microversions import Version

POWER_STATE = {"STARTED": 1, "STOPPED": 4}
PROGRESS_STATUSES = ("ACTIVE", "BUILD")   # Nova shows progress in these only
_ACTIVE = ApiStatus.ACTIVE.value
_FAULT_STATUSES = (ApiStatus.ERROR.value, ApiStatus.DELETED.value)   # documents with a fault


@dataclass(frozen=True)
class Api:
    base: str          # e.g. http://host/compute/v2.1
    root: str          # e.g. http://host/compute (bookmark links)
    version: Version
    project_id: str

    def at_least(self, minor: int) -> bool:
        return self.version.minor >= minor   # the major version is always 2

    def links(self, collection: str, item_id) -> list[dict]:
        return [{"rel": "self", "href": f"{self.base}/{collection}/{item_id}"},
                {"rel": "bookmark", "href": f"{self.root}/{collection}/{item_id}"}]


def micro_iso(value: dt.datetime | None) -> str | None:
    """Nova's launched_at/fault timestamps: microseconds, no zone (naive values are UTC)."""
    if not value:
        return None
    if value.tzinfo is not None:
        value = (value if value.tzinfo is UTC else as_utc(value)).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def server_brief(api: Api, server: Server) -> dict:
    return {"id": str(server.id), "name": server.name, "links": api.links("servers", server.id)}


def server_detail(api: Api, server: Server, *, show: bool = False) -> dict:
    """The document of one server (an ORM ``Server`` or a ``queries.ServerView``)."""
    return _DetailShape(api, show).render(server)


def server_details(api: Api, servers) -> list[dict]:
    """The documents of a listing's servers: what does not vary is worked out once per page."""
    shape = _DetailShape(api, show=False)
    return [shape.render(server) for server in servers]


# The columns api_status() and vm_state() read: the status of a server is a function of
# these alone, so it is computed once per combination (tests/web/test_render_status.py checks this).
_STATUS_COLUMNS = ("operstate", "deleted", "task", "backend_opcode", "backend_status")


@functools.lru_cache(maxsize=1024)
def _statuses(*values) -> tuple[str, str]:
    """(API status, vm_state) of a server whose _STATUS_COLUMNS hold ``values``."""
    row = SimpleNamespace(**{**dict.fromkeys(f.name for f in fields(ServerState)),
                             **dict(zip(_STATUS_COLUMNS, values))})
    state = server_state(row)
    return api_status(state).value, vm_state(state)


class _DetailShape:
    """Renders server documents of one microversion for one caller."""

    def __init__(self, api: Api, show: bool):
        self.api = api
        self.self_prefix = f"{api.base}/servers/"
        self.bookmark_prefix = f"{api.root}/servers/"
        self.flavors: dict = {}    # flavor id -> its document fragment, shared by the page
        self.images: dict = {}     # image id -> its document fragment, shared by the page
        self.before_hostname, self.hostname, self.after_hostname = \
            _versioned_server_fields(api, show)

    def render(self, server) -> dict:
        status, vm = _statuses(server.operstate, server.deleted, server.task,
                               server.backend_opcode, server.backend_status)
        sid = str(server.id)
        project = self.api.project_id
        operstate = server.operstate
        body = {
            "id": sid, "name": server.name, "status": status,
            "tenant_id": project, "user_id": str(server.owner_id),
            "metadata": {item.key: item.value for item in server.metadata_items},
            "hostId": "" if server.backend_id is None else _host_hash(project, server.backend_id),
            "image": self._image(server.image_id), "flavor": self._flavor(server.flavor),
            "created": isoformat(server.created), "updated": isoformat(server.updated),
            "addresses": addresses(server) if server.nics else {},
            "accessIPv4": "", "accessIPv6": "",
            "links": [{"rel": "self", "href": self.self_prefix + sid},
                      {"rel": "bookmark", "href": self.bookmark_prefix + sid}],
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": "nova", "config_drive": "", "key_name": server.key_name,
            "OS-SRV-USG:launched_at": None if operstate == "BUILD" else micro_iso(server.created),
            "OS-SRV-USG:terminated_at": micro_iso(server.deleted_at),
            "OS-EXT-STS:task_state": _task_state(server),
            "OS-EXT-STS:vm_state": vm,
            "OS-EXT-STS:power_state": POWER_STATE.get(operstate, 0),
            "os-extended-volumes:volumes_attached": [],
            "security_groups": [{"name": "default"}],
        }
        if status in PROGRESS_STATUSES:
            body["progress"] = 100 if status == _ACTIVE else server.build_progress
        if status in _FAULT_STATUSES and server.fault_message:
            body["fault"] = {"code": 500, "message": server.fault_message,
                             "created": isoformat(server.updated)}
        body.update(self.before_hostname)
        if self.hostname:
            body["OS-EXT-SRV-ATTR:hostname"] = hostname(server.name)
        body.update(self.after_hostname)
        return body

    def _flavor(self, flavor) -> dict:
        ref = self.flavors.get(flavor.id)
        if ref is None:
            ref = self.flavors[flavor.id] = _flavor_ref(self.api, flavor)
        return ref

    def _image(self, image_id):
        ref = self.images.get(image_id)
        if ref is None:
            ref = self.images[image_id] = _image_ref(self.api, image_id)
        return ref


def _versioned_server_fields(api: Api, show: bool) -> tuple[dict, bool, dict]:
    """The fields later microversions add, which are the same for every server, in order:
    those before the hostname, whether the hostname is shown, those after it."""
    before = {}
    if api.at_least(9):
        before["locked"] = False
    if api.at_least(19):
        before["description"] = None
    if api.at_least(26):
        before["tags"] = []
    if api.at_least(63):
        before["trusted_image_certificates"] = None
    if api.at_least(71) and show:
        before["server_groups"] = []
    if api.at_least(73):
        before["locked_reason"] = None
    after = {"pinned_availability_zone": None} if api.at_least(96) else {}
    return before, api.at_least(90), after


_HOSTNAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_NOT_HOSTNAME = re.compile(r"[^a-z0-9-]+")


def hostname(name: str) -> str:
    if _HOSTNAME.fullmatch(name):   # already a hostname: the common case, and cheap
        return name
    return _NOT_HOSTNAME.sub("-", name.lower()).strip("-")[:63] or "server"


def _task_state(server: Server) -> str | None:
    if server.deleted:
        return None
    if server.operstate == "BUILD":
        return server.task or "spawning"
    return server.task


@functools.lru_cache(maxsize=1024)
def _host_hash(project_id: str, backend_id: int) -> str:
    """Nova's hostId: opaque, stable per (project, host); here the host is the backend."""
    return hashlib.sha224(f"{project_id}backend-{backend_id}".encode()).hexdigest()


def _image_ref(api: Api, image_id: str | None):
    if image_id is None:
        return ""
    return {"id": image_id, "links": [{"rel": "bookmark", "href": f"{api.root}/images/{image_id}"}]}


def _flavor_ref(api: Api, flavor: Flavor) -> dict:
    if api.at_least(47):
        return {"vcpus": flavor.vcpus, "ram": flavor.ram_mib, "disk": flavor.disk_gib,
                "ephemeral": 0, "swap": 0, "original_name": flavor.name, "extra_specs": {}}
    return {"id": str(flavor.id), "links": [
        {"rel": "bookmark", "href": f"{api.root}/flavors/{flavor.id}"}]}


def addresses(server: Server) -> dict:
    result: dict[str, list] = {}
    for nic in server.nics:
        entries = result.setdefault(nic.network or nic.link or "public", [])
        for version, addr in ((4, nic.ipv4), (6, nic.ipv6)):
            if addr:
                entries.append({"version": version, "addr": addr, "OS-EXT-IPS:type": "fixed",
                                "OS-EXT-IPS-MAC:mac_addr": nic.mac})
    return result


def created_server(api: Api, server: Server, password: str) -> dict:
    return {"id": str(server.id), "links": api.links("servers", server.id),
            "OS-DCF:diskConfig": "MANUAL", "security_groups": [{"name": "default"}],
            "adminPass": password}


def flavor_brief(api: Api, flavor: Flavor) -> dict:
    body = {"id": str(flavor.id), "name": flavor.name, "links": api.links("flavors", flavor.id)}
    if api.at_least(55):
        body["description"] = None
    return body


def flavor_detail(api: Api, flavor: Flavor) -> dict:
    body = flavor_brief(api, flavor)
    body.update({"ram": flavor.ram_mib, "disk": flavor.disk_gib, "vcpus": flavor.vcpus,
                 "OS-FLV-EXT-DATA:ephemeral": 0, "OS-FLV-DISABLED:disabled": False,
                 "swap": 0 if api.at_least(75) else "", "rxtx_factor": 1.0,
                 "os-flavor-access:is_public": flavor.public})
    if api.at_least(61):
        body["extra_specs"] = {}
    return body


def image_brief(api: Api, image: Image) -> dict:
    return {"id": image.id, "name": image.name, "links": api.links("images", image.id)}


def image_detail(api: Api, image: Image) -> dict:
    body = image_brief(api, image)
    body.update({"status": image.status, "progress": 100 if image.status == "ACTIVE" else 0,
                 "minDisk": image.min_disk_gib, "minRam": image.min_ram_mib,
                 "created": isoformat(image.created), "updated": isoformat(image.updated),
                 "metadata": {m.key: m.value for m in image.metadata_items},
                 "OS-EXT-IMG-SIZE:size": image.size_bytes or 0})
    return body


def glance_image(base: str, image: Image) -> dict:
    """An image as Glance v2 shows it (``base`` is ``http://host/image``)."""
    props = {m.key: m.value for m in image.metadata_items}
    body = {"id": image.id, "name": image.name, "status": image.status.lower(),
            "visibility": "public" if image.public else "private",
            "owner": str(image.owner_id) if image.owner_id else None, "protected": False,
            "os_hidden": False, "disk_format": "raw" if image.format == "diskdump" else image.format,
            "container_format": "bare", "min_disk": image.min_disk_gib,
            "min_ram": image.min_ram_mib, "size": image.size_bytes, "virtual_size": None,
            "checksum": None, "os_hash_algo": None, "os_hash_value": None, "tags": [],
            "created_at": isoformat(image.created), "updated_at": isoformat(image.updated),
            "self": f"/v2/images/{image.id}", "file": f"/v2/images/{image.id}/file",
            "schema": "/v2/schemas/image"}
    for key, value in props.items():
        body.setdefault(key, value)
    return body
