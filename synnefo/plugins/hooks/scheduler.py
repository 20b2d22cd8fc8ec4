"""The built-in ``select_backend`` hook (entry point ``default-scheduler``).

Picks the enabled backend with the fewest non-deleted servers (ties: the lowest id). It runs
last among ``select_backend`` implementations (``trylast``), so any other plugin that answers wins.
"""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import object_session

from synnefo.core.db.models import Server
from synnefo.core.hookspecs import hookimpl


@hookimpl(trylast=True)
def select_backend(backends, flavor, owner):
    if not backends:
        return None
    counts = _server_counts(object_session(backends[0]), [b.id for b in backends])
    return min(backends, key=lambda b: (counts.get(b.id, 0), b.id))


def _server_counts(session, backend_ids) -> dict[int, int]:
    rows = session.execute(
        sa.select(Server.backend_id, sa.func.count(Server.id))
        .where(Server.backend_id.in_(backend_ids), Server.deleted.is_(False))
        .group_by(Server.backend_id))
    return {backend_id: count for backend_id, count in rows}
