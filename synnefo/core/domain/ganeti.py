"""What Ganeti reports, as plain values: instances, their NICs, jobs.

Drivers build these (``synnefo.core.contracts.backend`` re-exports them), the dispatcher builds
NICs from net-status notifications, and reconciliation compares them with the database, so one
NIC type serves listings, notifications and comparison.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NicInfo:
    """One NIC of an instance."""
    index: int
    mac: str | None = None
    ipv4: str | None = None
    ipv6: str | None = None
    link: str | None = None
    network: str | None = None

    @classmethod
    def of(cls, nic) -> "NicInfo":
        """The normalized NIC of anything with these attributes (a row, a listing's NIC):
        empty strings become None and MAC/IPv6 letters lower case, so equal NICs compare equal."""
        return cls(index=nic.index, mac=_norm(nic.mac), ipv4=_norm(nic.ipv4),
                   ipv6=_norm(nic.ipv6), link=_norm(nic.link), network=_norm(nic.network))


def _norm(value):
    # Only colon-separated values (MAC, IPv6) are case-insensitive; names keep their case.
    return value.lower() if isinstance(value, str) and value and ":" in value else (value or None)


def nics_text(nics) -> str:
    """A one-line summary of NICs for reports and logs (``0:mac/ipv4/network; ...``)."""
    return "; ".join(f"{n.index}:{n.mac or '-'}/{n.ipv4 or '-'}/{n.network or n.link or '-'}"
                     for n in nics) or "none"


@dataclass(frozen=True)
class InstanceInfo:
    """One instance as the cluster reports it in a bulk listing.

    ``running`` is the real run state; ``admin_up`` is what the administrator asked for, so that
    ``admin_up and not running`` means "error-down" and ``not admin_up`` means "admin-down".
    """
    name: str
    running: bool
    admin_up: bool
    vcpus: int | None = None
    memory_mib: int | None = None
    nics: tuple[NicInfo, ...] = ()
    status: str | None = None
    primary_node: str | None = None


@dataclass(frozen=True)
class JobInfo:
    """A Ganeti job as the cluster reports it; ``status`` is None for an unknown job id."""
    id: int
    status: str | None
    opcodes: tuple[str, ...] = ()
    op_statuses: tuple[str, ...] = ()
    log_message: str | None = None
    end_time: dt.datetime | None = None
