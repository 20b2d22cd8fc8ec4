"""Fetching: what the database says (snapshots read with plain column queries) and what each
backend says (one bulk listing, plus ``get_job`` for the jobs the database thinks pending)."""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import sqlalchemy as sa

from synnefo.core.db.models import Flavor, Nic, Server
from synnefo.core.db.server_state import server_state, state_columns
from synnefo.core.domain import drift as dr
from synnefo.core.domain.ganeti import JobInfo, NicInfo
from synnefo.core.errors import BackendError, BackendNotFound
from synnefo.core.services.reconciliation.selection import CHUNK
from synnefo.core.timeutil import as_utc

log = logging.getLogger(__name__)


def flavor_view(flavor: Flavor) -> dr.FlavorView:
    return dr.FlavorView(flavor.id, flavor.name, flavor.vcpus, flavor.ram_mib, flavor.disk_gib)


def snapshot(server: Server) -> dr.ServerSnapshot:
    return dr.ServerSnapshot(id=server.id, backend_id=server.backend_id,
                             state=server_state(server), flavor=flavor_view(server.flavor),
                             nics=tuple(NicInfo.of(n) for n in server.nics),
                             created=as_utc(server.created))


def snapshot_columns() -> tuple:
    """The columns a snapshot reads: identity, the state mapping's columns, the flavor."""
    return (Server.id, Server.backend_id, Server.created, *state_columns(),
            Flavor.id.label("flavor_id"), Flavor.name.label("flavor_name"), Flavor.vcpus,
            Flavor.ram_mib, Flavor.disk_gib)


def load_snapshots(session, ids: list[int]) -> list[dr.ServerSnapshot]:
    """Snapshots of the given servers, read with plain column queries (no ORM objects: 10,000
    servers load in a fraction of the time)."""
    out = []
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        nics: dict[int, list] = {}
        for nic in session.execute(sa.select(Nic).where(Nic.server_id.in_(chunk))
                                   .order_by(Nic.server_id, Nic.index)).scalars():
            nics.setdefault(nic.server_id, []).append(NicInfo.of(nic))
        rows = session.execute(sa.select(*snapshot_columns())
                               .join(Flavor, Server.flavor_id == Flavor.id)
                               .where(Server.id.in_(chunk)))
        out.extend(_snapshot_of_row(row, nics.get(row.id, ())) for row in rows)
    return sorted(out, key=lambda s: s.id)


def _snapshot_of_row(row, nics) -> dr.ServerSnapshot:
    flavor = dr.FlavorView(row.flavor_id, row.flavor_name, row.vcpus, row.ram_mib, row.disk_gib)
    return dr.ServerSnapshot(id=row.id, backend_id=row.backend_id, state=server_state(row),
                             flavor=flavor, nics=tuple(nics), created=as_utc(row.created))


def live_ids_by_backend(session) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {}
    query = sa.select(Server.id, Server.backend_id).where(Server.deleted.is_(False),
                                                         Server.backend_id.is_not(None))
    for server_id, backend_id in session.execute(query):
        found.setdefault(backend_id, set()).add(server_id)
    return found


@dataclass(frozen=True)
class Fetched:
    """One backend's answers, or why there are none."""
    view: dr.BackendView | None
    calls: int = 0
    error: str | None = None


def fetch_view(driver, name: str, job_ids) -> Fetched:
    """One bulk listing plus one get_job per pending job."""
    view = dr.BackendView(name, {i.name: i for i in driver.list_instances()})
    for job_id in job_ids:
        try:
            view.jobs[job_id] = driver.get_job(job_id)
        except BackendNotFound:
            view.jobs[job_id] = JobInfo(job_id, None)
    return Fetched(view, calls=1 + len(job_ids))


def fetch_all(core, backends, pending: dict[int, list[int]]) -> dict[int, Fetched]:
    """Ask every backend at once (a thread each, up to 8): {backend id: Fetched}."""
    def one(backend):
        try:
            return backend.id, fetch_view(core.driver_for(backend), backend.name,
                                          pending.get(backend.id, ()))
        except BackendError as exc:
            log.error("reconcile: backend %s could not be listed: %s", backend.name, exc)
            return backend.id, Fetched(None, error=str(exc) or exc.__class__.__name__)

    if not backends:
        return {}
    with ThreadPoolExecutor(max_workers=min(8, len(backends)),
                            thread_name_prefix="reconcile") as pool:
        return dict(pool.map(one, backends))
