"""The ``audit-log`` hook plugin: one INFO line per server state change and finished job."""
from __future__ import annotations

import logging

from synnefo.core.hookspecs import hookimpl

log = logging.getLogger("synnefo.audit")


@hookimpl
def vm_state_changed(event):
    log.info("server %s (owner %s): %s -> %s%s (job %s %s)", event.server_id, event.owner_id,
             event.old_operstate, event.new_operstate, " deleted" if event.deleted else "",
             event.job_id, event.opcode)


@hookimpl
def backend_job_finished(event):
    log.info("server %s: job %s %s finished %s%s", event.server_id, event.job_id, event.opcode,
             event.status, f": {event.logmsg}" if event.logmsg else "")
