"""Which servers a run checks (least recently reconciled first), and marking them checked."""
from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa

from synnefo.core.db.models import Backend, Server

CHUNK = 500


def batch_size(total: int, reconciliation_min: int, interval_min: int) -> int:
    """``ceil(total / reconciliation_min * interval)``, at least one when there are servers."""
    if total <= 0:
        return 0
    return min(total, max(1, math.ceil(total * interval_min / reconciliation_min)))


def _live_servers():
    return sa.select(Server.id).where(Server.deleted.is_(False), Server.backend_id.is_not(None))


def _oldest_first(query):
    never_first = sa.case((Server.reconciled_at.is_(None), 0), else_=1)
    return query.order_by(never_first, Server.reconciled_at, Server.id)


def select_server_ids(session, *, all_servers: bool, reconciliation_min: int,
                      interval_min: int) -> tuple[int, list[int]]:
    """(number of live servers, ids to check): all, or each enabled backend's least recently
    reconciled batch.

    Batches are taken per backend: the servers of a backend that cannot be listed are never
    marked reconciled, so in one shared queue they would stay oldest and fill every batch,
    and no server of the other backends would ever be checked.
    """
    total = session.scalar(sa.select(sa.func.count()).select_from(_live_servers().subquery()))
    if all_servers:
        return total, list(session.scalars(_oldest_first(_live_servers())))
    per_backend = (sa.select(Server.backend_id, sa.func.count())
                   .join(Backend, Server.backend_id == Backend.id)
                   .where(Server.deleted.is_(False), Backend.offline.is_(False))
                   .group_by(Server.backend_id).order_by(Server.backend_id))
    ids: list[int] = []
    for backend_id, count in session.execute(per_backend).all():
        query = _oldest_first(_live_servers().where(Server.backend_id == backend_id))
        ids += session.scalars(query.limit(batch_size(count, reconciliation_min, interval_min)))
    return total, ids


def mark_reconciled(session, server_ids, now: dt.datetime) -> None:
    """Set ``reconciled_at`` without touching ``updated`` (clients poll ``changes-since``).

    Each server gets ``now`` plus its position in microseconds, so the next selections take
    servers in exactly the order they were checked (a queue). With one timestamp for all, ties
    would be broken by id and low ids would be checked more often than the others.
    """
    table = Server.__table__
    stmt = (sa.update(table).where(table.c.id == sa.bindparam("b_id"))
            .values(reconciled_at=sa.bindparam("b_at"), updated=table.c.updated))
    rows = [{"b_id": server_id, "b_at": now + dt.timedelta(microseconds=i)}
            for i, server_id in enumerate(server_ids)]
    for start in range(0, len(rows), CHUNK):
        session.execute(stmt, rows[start:start + CHUNK])
