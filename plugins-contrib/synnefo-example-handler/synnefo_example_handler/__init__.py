"""``example-ganeti-tags``: an instance's Ganeti tags, stored as the server metadata item
``ganeti_tags`` (comma-separated). A made-up message type showing how a third party adds one:
an entry point in ``synnefo.message_handlers`` and two lines in the ``.ini``.

Message: ``{"type": "example-ganeti-tags", "instance": "snf-42", "tags": ["web", "prod"]}``.
"""
from __future__ import annotations

import logging

import colander
import sqlalchemy as sa

from synnefo.core.db.models import Server, ServerMetadata
from synnefo.plugin import HandlerOutcome, HandlerResult, MessageHandler

log = logging.getLogger(__name__)
MESSAGE_TYPE = "example-ganeti-tags"
METADATA_KEY = "ganeti_tags"


def tags_schema() -> colander.SchemaNode:
    tag = colander.SchemaNode(colander.String(), validator=colander.Length(1, 128), name="tag")
    return colander.SchemaNode(
        colander.Mapping(unknown="ignore"),
        colander.SchemaNode(colander.String(), name="type", validator=colander.OneOf([MESSAGE_TYPE])),
        colander.SchemaNode(colander.String(), name="instance"),
        colander.SchemaNode(colander.Sequence(), tag, name="tags"))


class GanetiTagsHandler(MessageHandler):
    def __init__(self, core=None):
        super().__init__(core)
        self.schema = tags_schema()

    def handle(self, uow, payload: dict) -> HandlerResult:
        server_id = self.core.naming.server_id(payload["instance"])
        server = uow.session.scalars(sa.select(Server).where(Server.id == server_id)
                                     .with_for_update()).first() if server_id else None
        if server is None or server.deleted:
            log.info("%s for %r ignored: no such server", MESSAGE_TYPE, payload["instance"])
            return HandlerResult(HandlerOutcome.IGNORED, "no such server", server_id)
        value = ",".join(sorted(set(payload["tags"])))[:255]
        items = {m.key: m for m in server.metadata_items}
        if METADATA_KEY in items:
            items[METADATA_KEY].value = value
        else:
            server.metadata_items.append(ServerMetadata(key=METADATA_KEY, value=value))
        return HandlerResult(HandlerOutcome.APPLIED, "tags", server_id)
