"""The ``jsonl-audit`` hook plugin: one JSON line per state change and per finished job.

Option ``synnefo.jsonl_audit.path`` (default ``audit.jsonl``, relative to the ``.ini``'s
directory). Each line is the event's fields plus ``"hook"``; times are ISO 8601. Each line is
appended with a single ``O_APPEND`` write, so several processes can share the file.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from pathlib import Path

import colander

from synnefo.plugin import hookimpl, parse_section

SECTION = "jsonl_audit"


class JsonlAuditSchema(colander.MappingSchema):
    path = colander.SchemaNode(colander.String(), missing="audit.jsonl",
                               validator=colander.Length(min=1))


class JsonlAudit:
    """Built once per process with the settings (``cls(settings=settings)``)."""

    def __init__(self, settings):
        options = parse_section(JsonlAuditSchema(), settings, SECTION)
        self.path = Path(settings.here) / options["path"]

    @hookimpl
    def vm_state_changed(self, event):
        self._write("vm_state_changed", event)

    @hookimpl
    def backend_job_finished(self, event):
        self._write("backend_job_finished", event)

    def _write(self, hook: str, event) -> None:
        line = json.dumps({"hook": hook, **dataclasses.asdict(event)}, default=_iso,
                          sort_keys=True) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())  # one O_APPEND write: lines never interleave
        finally:
            os.close(fd)


def _iso(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"{value!r} is not JSON serialisable")
