"""``ganeti-op-status``: a Ganeti job's opcode changed status; apply the VM state machine."""
from __future__ import annotations

import colander

from synnefo.core import messages
from synnefo.core.contracts.handler import HandlerResult, MessageHandler
from synnefo.core.domain import state as sm
from synnefo.core.services.notifications import apply_op_status
from synnefo.plugins.handlers import schemas
from synnefo.plugins.handlers.common import not_ours


def op_status_schema() -> colander.SchemaNode:
    return schemas.message_schema(
        messages.OP_STATUS,
        schemas.required_string("operation"),
        colander.SchemaNode(colander.Int(), name="jobId", validator=colander.Range(min=0)),
        schemas.required_string("status", validator=colander.OneOf([s.value for s in sm.JobStatus])),
        schemas.optional_string("logmsg"),
        schemas.event_time())


class OpStatusHandler(MessageHandler):
    """Stores the job's status; a success moves the operstate, a failed create means ERROR."""

    def __init__(self, core=None):
        super().__init__(core)
        self.schema = op_status_schema()

    def handle(self, uow, payload: dict) -> HandlerResult:
        server_id = self.core.naming.server_id(payload["instance"])
        if server_id is None:
            return not_ours(messages.OP_STATUS, payload["instance"])
        event = sm.OpStatusEvent(
            job_id=payload["jobId"], opcode=payload["operation"],
            status=sm.JobStatus(payload["status"]), logmsg=payload["logmsg"],
            event_time=messages.from_event_time(payload["event_time"]))
        return apply_op_status(uow, self.core, server_id, event)
