"""Frozen event objects passed to after-commit hooks."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class VmStateChanged:
    server_id: int
    owner_id: int
    old_operstate: str
    new_operstate: str
    deleted: bool
    job_id: int | None
    opcode: str | None
    event_time: dt.datetime | None


@dataclass(frozen=True)
class BackendJobFinished:
    server_id: int
    job_id: int
    opcode: str
    status: str
    logmsg: str | None
    event_time: dt.datetime | None
