"""What a reconciliation run was asked to do and what it found and did."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from synnefo.core.domain import drift as dr
from synnefo.core.domain.drift import DriftKind

Progress = Callable[[str, int, int], None]


def no_progress(phase: str, done: int, total: int) -> None:
    """Default progress callback: report nothing."""


@dataclass(frozen=True)
class ReconcileOptions:
    all_servers: bool = False
    interval_min: int = 1
    fix: frozenset = frozenset()
    now: dt.datetime | None = None


@dataclass
class DriftRecord:
    drift: dr.Drift
    action: str = "reported"    # reported | fixed | skipped | failed
    message: str = ""

    def as_dict(self) -> dict:
        d = self.drift
        return {"kind": d.kind.value, "backend": d.backend, "instance": d.instance,
                "server_id": d.server_id, "detail": d.detail, "db": d.db_value,
                "ganeti": d.ganeti_value, "action": self.action, "message": self.message}


@dataclass
class BackendSummary:
    name: str
    servers_checked: int = 0
    instances: int | None = None
    calls: int = 0
    error: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Report:
    """What a run found and did; ``exit_code`` is what ``snf-manage reconcile`` returns."""
    started: dt.datetime
    mode: str
    servers_total: int = 0
    servers_selected: int = 0
    servers_checked: int = 0
    servers_in_flight: int = 0
    backends: list[BackendSummary] = field(default_factory=list)
    records: list[DriftRecord] = field(default_factory=list)
    finished: dt.datetime | None = None

    @property
    def exit_code(self) -> int:
        if any(b.error for b in self.backends):
            return 3
        return 1 if any(r.action != "fixed" for r in self.records) else 0

    def summary(self) -> dict[str, dict[str, int]]:
        out = {k.value: {"found": 0, "fixed": 0} for k in DriftKind}
        for rec in self.records:
            out[rec.drift.kind.value]["found"] += 1
            out[rec.drift.kind.value]["fixed"] += rec.action == "fixed"
        return out

    def as_dict(self) -> dict:
        return {"started": self.started.isoformat(), "mode": self.mode,
                "finished": self.finished.isoformat() if self.finished else None,
                "servers_total": self.servers_total, "servers_selected": self.servers_selected,
                "servers_checked": self.servers_checked,
                "servers_in_flight": self.servers_in_flight,
                "backends": [b.as_dict() for b in self.backends],
                "drift": [r.as_dict() for r in self.records], "summary": self.summary(),
                "in_sync": self.exit_code == 0, "exit_code": self.exit_code}
