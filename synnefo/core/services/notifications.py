"""Applying Ganeti's notifications to the database.

Used by the dispatcher's handlers and by reconciliation (which applies the notification that
never came), so both go through the same state machine and the same hooks.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from synnefo.core.contracts.handler import HandlerOutcome, HandlerResult
from synnefo.core.db.models import Nic, Server
from synnefo.core.db.server_state import server_state, store_state
from synnefo.core.domain import state as sm
from synnefo.core.domain.ganeti import NicInfo
from synnefo.core.events import BackendJobFinished, VmStateChanged
from synnefo.core.timeutil import utcnow


BUILDING_STATES = (sm.OperState.BUILD.value, sm.OperState.ERROR.value)


_LOCKED = "synnefo.locked_servers"   # session.info key: {id: Server} locked by lock_servers


def lock_server(session, server_id: int) -> Server | None:
    """Load a server row locked for update (several dispatchers may race for it)."""
    locked = session.info.get(_LOCKED, {})
    if server_id in locked:
        return locked[server_id]   # locked and loaded by lock_servers: no query
    return session.scalars(sa.select(Server).where(Server.id == server_id).with_for_update()).first()


def lock_servers(session, server_ids, skip_locked: bool = False) -> set[int]:
    """Lock and load many server rows in ONE statement, in id order (so that concurrent
    batches lock in the same order); ``lock_server`` then finds them without a round trip.
    For the dispatcher's batches, whose transaction is this session's only one.

    Returns the ids locked. ``skip_locked``: rows another transaction holds are passed over
    instead of waited for (``SKIP LOCKED``); they are then indistinguishable from absent rows,
    so the caller must leave their messages for another transaction."""
    ids = sorted(set(server_ids))
    if not ids:
        return set()
    rows = session.scalars(sa.select(Server).where(Server.id.in_(ids)).order_by(Server.id)
                           .with_for_update(skip_locked=skip_locked)).all()
    locked = session.info.setdefault(_LOCKED, {})
    if not skip_locked:
        locked.update(dict.fromkeys(ids))   # absent ones too: None, as lock_server would say
    locked.update({server.id: server for server in rows})   # (and kept alive for the batch)
    return {server.id for server in rows}


def apply_op_status(uow, core, server_id: int, event: sm.OpStatusEvent) -> HandlerResult:
    """Apply one op-status notification to a server; hooks fire after commit."""
    server = lock_server(uow.session, server_id)
    if server is None:
        return HandlerResult(HandlerOutcome.IGNORED, "server purged or unknown", server_id)
    old = server_state(server)
    decision = sm.apply_op_status(old, event)
    if not decision.applied:
        return HandlerResult(HandlerOutcome.IGNORED, decision.reason, server_id)
    store_state(server, decision.state)
    _after_transition(server, old, decision.state, event)
    _fire_hooks(uow, core, server, old, event)
    return HandlerResult(HandlerOutcome.APPLIED, decision.reason, server_id)


def _after_transition(server: Server, old: sm.ServerState, new: sm.ServerState,
                      event: sm.OpStatusEvent) -> None:
    if server.operstate not in BUILDING_STATES:
        # Built, whichever notification said so first (a later job can overtake the create's).
        server.build_progress = 100
    if new.deleted and not old.deleted:
        # Both from the notifications, not the clock, so that arrival order does not matter:
        # deleted when Ganeti says so, and no NICs nor NIC time (later net-status is ignored).
        server.deleted_at = new.state_event_time or utcnow()
        server.nics.clear()
        server.nics_event_time = None
    server.updated = utcnow()


def _fire_hooks(uow, core, server: Server, old: sm.ServerState, event: sm.OpStatusEvent) -> None:
    if server.operstate != old.operstate.value or server.deleted != old.deleted:
        changed = VmStateChanged(
            server_id=server.id, owner_id=server.owner_id, old_operstate=old.operstate.value,
            new_operstate=server.operstate, deleted=server.deleted, job_id=event.job_id,
            opcode=event.opcode, event_time=event.event_time)
        uow.after_commit(lambda: core.hooks.vm_state_changed(event=changed))
    if event.status.is_final:
        finished = BackendJobFinished(
            server_id=server.id, job_id=event.job_id, opcode=event.opcode,
            status=event.status.value, logmsg=event.logmsg, event_time=event.event_time)
        uow.after_commit(lambda: core.hooks.backend_job_finished(event=finished))


def apply_net_status(uow, server_id: int, nics: list[NicInfo],
                     event_time: dt.datetime) -> HandlerResult:
    """Replace a server's NICs, unless a newer net-status was already applied."""
    server = lock_server(uow.session, server_id)
    if server is None or server.deleted:
        return HandlerResult(HandlerOutcome.IGNORED, "server purged or deleted", server_id)
    if server.nics_event_time is not None and event_time <= server.nics_event_time:
        return HandlerResult(HandlerOutcome.IGNORED, "stale", server_id)
    server.nics.clear()
    uow.session.flush()
    server.nics.extend(Nic(index=n.index, mac=n.mac, ipv4=n.ipv4 or None, ipv6=n.ipv6 or None,
                           link=n.link, network=n.network) for n in nics)
    server.nics_event_time = event_time
    server.updated = utcnow()
    return HandlerResult(HandlerOutcome.APPLIED, "nics", server_id)


def apply_create_progress(uow, server_id: int, progress: float) -> HandlerResult:
    """Record build progress (clamped to 0..100, never going back) until the server is built.

    A failed create (ERROR) still takes progress that arrives late, so that the result does not
    depend on arrival order."""
    server = lock_server(uow.session, server_id)
    if server is None or server.operstate not in BUILDING_STATES or server.deleted:
        return HandlerResult(HandlerOutcome.IGNORED, "not building", server_id)
    value = max(0, min(100, int(progress)))
    if value <= server.build_progress:
        return HandlerResult(HandlerOutcome.IGNORED, "stale", server_id)
    server.build_progress = value
    server.updated = utcnow()
    return HandlerResult(HandlerOutcome.APPLIED, "progress", server_id)
