"""``ganeti-create-progress``: how far the image copy of a building server has got."""
from __future__ import annotations

import math

import colander

from synnefo.core import messages
from synnefo.core.contracts.handler import HandlerResult, MessageHandler
from synnefo.core.services.notifications import apply_create_progress
from synnefo.plugins.handlers import schemas
from synnefo.plugins.handlers.common import not_ours


def _finite(node, value):
    if value is not None and not math.isfinite(value):
        raise colander.Invalid(node, f"{value!r} is not a number")


def _has_progress(node, value):
    if value["progress"] is None and value["rprogress"] is None:
        raise colander.Invalid(node, "needs 'progress' (or Synnefo 0.6's 'rprogress')")


def progress_schema() -> colander.SchemaNode:
    node = schemas.message_schema(
        messages.CREATE_PROGRESS,
        colander.SchemaNode(colander.Float(), name="progress", missing=None, validator=_finite),
        colander.SchemaNode(colander.Float(), name="rprogress", missing=None, validator=_finite),
        schemas.event_time(missing=None))
    node.validator = _has_progress
    return node


class CreateProgressHandler(MessageHandler):
    """Records the build percentage (the service clamps it to 0..100 and never goes back)."""

    def __init__(self, core=None):
        super().__init__(core)
        self.schema = progress_schema()

    def handle(self, uow, payload: dict) -> HandlerResult:
        server_id = self.core.naming.server_id(payload["instance"])
        if server_id is None:
            return not_ours(messages.CREATE_PROGRESS, payload["instance"])
        progress = payload["progress"] if payload["progress"] is not None else payload["rprogress"]
        return apply_create_progress(uow, server_id, progress)
