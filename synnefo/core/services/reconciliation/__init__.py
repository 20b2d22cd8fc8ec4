"""Reconciliation: bring the database back in line with Ganeti.

One run selects servers (all of them, or the least recently reconciled batch), lists every
enabled backend once (backends in parallel), asks ``get_job`` only about the jobs the database
still thinks are pending, compares (``synnefo.core.domain.drift``) and, for the kinds the caller
asked to fix, applies the missing notification through ``services.notifications`` so the state
machine, the ordering rule and the hooks are the dispatcher's own. Servers with a job genuinely
in flight in Ganeti are left alone. Orphans are deleted in Ganeti only when asked.

The package has one module per step: ``selection`` (which servers), ``fetching`` (database
snapshots and backend answers), ``comparing`` (drift), ``repairing`` (fixes), ``report``.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from synnefo.core.db.models import Backend, Flavor
from synnefo.core.domain import drift as dr
from synnefo.core.services.reconciliation.comparing import CREATE_GRACE, Comparer
from synnefo.core.services.reconciliation.fetching import (
    Fetched, fetch_all, fetch_view, flavor_view, live_ids_by_backend, load_snapshots, snapshot)
from synnefo.core.services.reconciliation.repairing import Repairer
from synnefo.core.services.reconciliation.report import (
    BackendSummary, DriftRecord, Progress, ReconcileOptions, Report, no_progress)
from synnefo.core.services.reconciliation.selection import (
    batch_size, mark_reconciled, select_server_ids)
from synnefo.core.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

__all__ = [
    "CREATE_GRACE", "BackendSummary", "DriftRecord", "Fetched", "Progress", "ReconcileOptions",
    "Reconciler", "Report", "batch_size", "fetch_all", "fetch_view", "load_snapshots",
    "mark_reconciled", "select_server_ids", "snapshot",
]


class Reconciler:
    """One reconciliation run over a core (database, drivers, hooks)."""

    def __init__(self, core, progress: Progress = no_progress):
        self.core = core
        self.progress = progress

    def run(self, options: ReconcileOptions) -> Report:
        now = as_utc(options.now) or utcnow()
        report = Report(started=now, mode="all" if options.all_servers else "staggered")
        # The database is read before Ganeti is asked: a notification applied after this read
        # changes the row, and the fix of that server is then skipped (see repairing). Read after the
        # listing, such a notification could be overwritten by an older view of Ganeti.
        with self.core.uow() as uow:
            snaps, backends, live, flavors = self._read(uow.session, options, report)
        pending = self._pending_jobs(snaps)
        views = fetch_all(self.core, backends, pending)
        checked = Comparer(self.core.naming, self.progress).compare(
            report, snaps, backends, views, live, flavors, now)
        Repairer(self.core, self.progress).repair(report, snaps, backends, options.fix, now)
        with self.core.uow() as uow:
            mark_reconciled(uow.session, checked, now)
        report.finished = utcnow()
        log.info("reconcile: %d of %d servers checked, %d drift(s) found, %d fixed",
                 report.servers_checked, report.servers_total, len(report.records),
                 sum(r.action == "fixed" for r in report.records))
        return report

    def _read(self, session, options, report):
        report.servers_total, ids = select_server_ids(
            session, all_servers=options.all_servers, interval_min=options.interval_min,
            reconciliation_min=self.core.settings.reconciliation_min)
        report.servers_selected = len(ids)
        backends = list(session.scalars(sa.select(Backend).where(Backend.offline.is_(False))
                                        .order_by(Backend.id)))
        flavors = [flavor_view(f) for f in session.scalars(sa.select(Flavor).order_by(Flavor.id))]
        return load_snapshots(session, ids), backends, live_ids_by_backend(session), flavors

    @staticmethod
    def _pending_jobs(snaps) -> dict[int, list[int]]:
        pending: dict[int, list[int]] = {}
        for snap in snaps:
            pending.setdefault(snap.backend_id, []).extend(dr.pending_job_ids(snap.state))
        return {k: sorted(set(v)) for k, v in pending.items()}
