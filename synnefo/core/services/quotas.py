"""Per-user quotas: servers, cores, RAM and disk of the user's non-deleted servers."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from synnefo.core.db.models import Flavor, Server, User
from synnefo.core.errors import QuotaExceeded

# Nova's names for the resources, as its quota messages spell them.
RESOURCES = (("instances", "servers", "max_servers"), ("cores", "cores", "max_cores"),
             ("ram", "ram_mib", "max_ram_mib"), ("disk", "disk_gib", "max_disk_gib"))


@dataclass(frozen=True)
class Usage:
    servers: int = 0
    cores: int = 0
    ram_mib: int = 0
    disk_gib: int = 0


def usage(session, owner_id: int) -> Usage:
    """What the user's non-deleted servers use (a server being deleted still counts)."""
    row = session.execute(
        sa.select(sa.func.count(Server.id), sa.func.coalesce(sa.func.sum(Flavor.vcpus), 0),
                  sa.func.coalesce(sa.func.sum(Flavor.ram_mib), 0),
                  sa.func.coalesce(sa.func.sum(Flavor.disk_gib), 0))
        .join(Flavor, Server.flavor_id == Flavor.id)
        .where(Server.owner_id == owner_id, Server.deleted.is_(False))).one()
    return Usage(*(int(v) for v in row))


def allowed_count(session, owner: User, flavor: Flavor, wanted: int) -> int:
    """How many of ``wanted`` servers of ``flavor`` the quota allows (0..wanted)."""
    used = usage(session, owner.id)
    room = [owner.max_servers - used.servers,
            _room(owner.max_cores - used.cores, flavor.vcpus),
            _room(owner.max_ram_mib - used.ram_mib, flavor.ram_mib),
            _room(owner.max_disk_gib - used.disk_gib, flavor.disk_gib)]
    return max(0, min([wanted] + room))


def _room(free: int, each: int) -> int:
    return free // each if each > 0 else 1 << 30


def check_create(session, owner: User, flavor: Flavor, count: int = 1) -> None:
    """Raise QuotaExceeded with Nova's message if ``count`` more servers do not fit."""
    used = usage(session, owner.id)
    requested = {"servers": count, "cores": flavor.vcpus * count,
                 "ram_mib": flavor.ram_mib * count, "disk_gib": flavor.disk_gib * count}
    overs = [(nova, attr, limit) for nova, attr, limit in RESOURCES
             if getattr(used, attr) + requested[attr] > getattr(owner, limit)]
    if overs:
        raise QuotaExceeded(_message(overs, used, requested, owner))


def _message(overs, used: Usage, requested: dict, owner: User) -> str:
    names = ", ".join(nova for nova, _, _ in overs)
    req = ", ".join(str(requested[attr]) for _, attr, _ in overs)
    used_s = ", ".join(str(getattr(used, attr)) for _, attr, _ in overs)
    allowed = ", ".join(str(getattr(owner, limit)) for _, _, limit in overs)
    return (f"Quota exceeded for {names}: Requested {req}, but already used {used_s} "
            f"of {allowed} {names}")
