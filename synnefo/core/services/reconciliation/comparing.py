"""Comparing: every selected server against its backend's answers (``domain.drift`` does the
judging), plus the orphans of each backend; the findings become the report's records."""
from __future__ import annotations

import datetime as dt

from synnefo.core.domain import drift as dr
from synnefo.core.services.reconciliation.fetching import Fetched
from synnefo.core.services.reconciliation.report import (BackendSummary, DriftRecord, Progress,
                                                         Report)

# A server younger than this may not have its create job recorded yet: never call it stale.
CREATE_GRACE = dt.timedelta(minutes=2)


class Comparer:
    """Fills a report with the drift found in the fetched answers."""

    def __init__(self, naming, progress: Progress):
        self.naming = naming
        self.progress = progress

    def compare(self, report: Report, snaps, backends, views: dict[int, Fetched], live,
                flavors, now: dt.datetime) -> list[int]:
        """Record every drift; return the ids of the servers whose backend answered."""
        summaries = {b.id: BackendSummary(b.name) for b in backends}
        report.backends = list(summaries.values())
        for backend_id, fetched in views.items():
            self._orphans(report, summaries[backend_id], fetched, live.get(backend_id, set()))
        checked = []
        for done, snap in enumerate(snaps, 1):
            fetched = views.get(snap.backend_id)
            if fetched is not None and fetched.view is not None:
                checked.append(snap.id)
                summaries[snap.backend_id].servers_checked += 1
                self._compare_one(report, snap, fetched.view, flavors, now)
            self.progress("compare", done, len(snaps))
        report.servers_checked = len(checked)
        return checked

    def _orphans(self, report, summary: BackendSummary, fetched: Fetched, live_ids) -> None:
        summary.calls, summary.error = fetched.calls, fetched.error
        if fetched.view is not None:
            summary.instances = len(fetched.view.instances)
            orphans = dr.find_orphans(fetched.view, self.naming, live_ids)
            report.records += [DriftRecord(d) for d in orphans]

    def _compare_one(self, report, snap, view, flavors, now) -> None:
        name = self.naming.instance_name(snap.id)
        verdict = dr.compare_server(snap, name, view, flavors, now,
                                    grace_cutoff=now - CREATE_GRACE)
        report.servers_in_flight += verdict.in_flight
        report.records += [DriftRecord(d) for d in verdict.drifts]
