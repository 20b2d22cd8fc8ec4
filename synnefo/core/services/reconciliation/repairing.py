"""Repairing: apply the notification that never came (through ``services.notifications``,
so the state machine, the ordering rule and the hooks are the dispatcher's own), replace NICs,
correct a flavor, or delete an orphan in Ganeti. A server that changed since it was read is
skipped."""
from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from synnefo.core.contracts.handler import HandlerOutcome
from synnefo.core.db.models import Backend, Flavor, Server
from synnefo.core.db.server_state import server_state
from synnefo.core.domain import drift as dr
from synnefo.core.domain.ganeti import NicInfo, nics_text
from synnefo.core.errors import BackendError
from synnefo.core.services import notifications as notif
from synnefo.core.services.reconciliation.fetching import snapshot
from synnefo.core.services.reconciliation.report import Progress, Report
from synnefo.core.timeutil import utcnow

log = logging.getLogger(__name__)


class Repairer:
    """Applies the fixes of one run."""

    def __init__(self, core, progress: Progress):
        self.core = core
        self.progress = progress

    def repair(self, report: Report, snaps, backends, fix_kinds, now: dt.datetime) -> None:
        """Fix the recorded drift of the kinds asked for, one server per transaction."""
        todo = [r for r in report.records if r.drift.kind in fix_kinds]
        expected = {s.id: s for s in snaps}
        drivers = {b.name: b for b in backends}
        for done, record in enumerate(todo, 1):
            record.action, record.message = self._fix(record.drift, expected, drivers, now)
            level = logging.ERROR if record.action == "failed" else logging.INFO
            log.log(level, "reconcile: %s %s drift of server %s (%s) on backend %s: %s; %s",
                    record.action, record.drift.kind.value, record.drift.server_id,
                    record.drift.instance, record.drift.backend, record.drift.detail,
                    record.message)
            self.progress("fix", done, len(todo))

    def _fix(self, drift: dr.Drift, expected, backends, now) -> tuple[str, str]:
        fix = drift.fix
        if isinstance(fix, dr.OrphanFix):
            return self._delete_orphan(drift, backends[drift.backend])
        with self.core.uow() as uow:
            server = notif.lock_server(uow.session, drift.server_id)
            snap = expected[drift.server_id]
            # The row moved on since it was read: fixing from an older view could undo it.
            if server is None or snapshot(server) != snap:
                return "skipped", "the server changed since it was checked"
            action, message = self._apply(uow, server, fix, now)
            uow.session.flush()
            expected[drift.server_id] = snapshot(server)
        return action, message

    def _apply(self, uow, server: Server, fix, now) -> tuple[str, str]:
        if isinstance(fix, dr.OpFix):
            return self._apply_op(uow, server, fix, now)
        if isinstance(fix, dr.NicsFix):
            return self._apply_nics(uow, server, fix, now)
        return self._apply_flavor(uow, server, fix)

    def _apply_op(self, uow, server, fix: dr.OpFix, now) -> tuple[str, str]:
        before, task = server.operstate, server.task
        event = dr.fix_event(fix, server_state(server), now)
        result = notif.apply_op_status(uow, self.core, server.id, event)
        what = f"{fix.opcode} {fix.status.value} (job {fix.job_id})"
        if result.outcome != HandlerOutcome.APPLIED:
            return "failed", f"notification {what} not applied: {result.reason}"
        if result.reason == "task ended":
            return "fixed", f"{what} superseded by newer notifications; task {task} cleared"
        after = "deleted" if server.deleted else server.operstate
        return "fixed", f"applied {what}: operstate {before} -> {after}"

    def _apply_nics(self, uow, server, fix: dr.NicsFix, now) -> tuple[str, str]:
        nics = [NicInfo(n.index, n.mac, n.ipv4, n.ipv6, n.link, n.network)
                for n in fix.nics]
        when = dr.after_all((server.nics_event_time,), now)
        result = notif.apply_net_status(uow, server.id, nics, when)
        if result.outcome != HandlerOutcome.APPLIED:
            return "failed", f"NICs not applied: {result.reason}"
        return "fixed", f"NICs replaced by Ganeti's: {nics_text(fix.nics)}"

    @staticmethod
    def _apply_flavor(uow, server, fix: dr.FlavorFix) -> tuple[str, str]:
        if fix.flavor_id is None:
            return "failed", "no flavor has Ganeti's vCPUs, memory and the server's disk"
        before = server.flavor.name
        server.flavor = uow.session.get(Flavor, fix.flavor_id)
        server.updated = utcnow()
        return "fixed", f"flavor {before} -> {server.flavor.name}"

    def _delete_orphan(self, drift: dr.Drift, backend: Backend) -> tuple[str, str]:
        with self.core.uow() as uow:
            alive = uow.session.scalar(sa.select(sa.func.count()).where(
                Server.id == drift.server_id, Server.deleted.is_(False),
                Server.backend_id == backend.id))
        if alive:
            return "skipped", "a live server appeared for this instance"
        try:
            job_id = self.core.driver_for(backend).delete_instance(drift.instance)
        except BackendError as exc:
            return "failed", f"delete refused: {exc}"
        return "fixed", f"deletion submitted to Ganeti (job {job_id})"
