"""``ganeti-net-status``: the instance's NICs as Ganeti reports them; replace the server's NICs."""
from __future__ import annotations

import colander

from synnefo.core import messages
from synnefo.core.contracts import NicInfo
from synnefo.core.contracts.handler import HandlerResult, MessageHandler
from synnefo.core.services.notifications import apply_net_status
from synnefo.plugins.handlers import schemas
from synnefo.plugins.handlers.common import not_ours

MAC = r"^([0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5})?$"


def nic_schema() -> colander.SchemaNode:
    return colander.SchemaNode(
        colander.Mapping(unknown="ignore"),
        colander.SchemaNode(colander.Int(), name="index", missing=None,
                            validator=colander.Range(min=0)),
        colander.SchemaNode(colander.String(allow_empty=True), name="mac", missing=None,
                            validator=colander.Regex(MAC, "not a MAC address")),
        schemas.optional_string("ip"), schemas.optional_string("ipv6"),
        schemas.optional_string("link"), schemas.optional_string("network"),
        name="nic")


def net_status_schema() -> colander.SchemaNode:
    return schemas.message_schema(
        messages.NET_STATUS,
        colander.SchemaNode(colander.Sequence(), nic_schema(), name="nics"),
        schemas.event_time())


def nic_updates(nics: list[dict]) -> list[NicInfo]:
    """NICs in Ganeti's order; a NIC without ``index`` takes its position in the list."""
    return [NicInfo(index=nic["index"] if nic["index"] is not None else position,
                    mac=nic["mac"] or None, ipv4=nic["ip"] or None, ipv6=nic["ipv6"] or None,
                    link=nic["link"], network=nic["network"])
            for position, nic in enumerate(nics)]


class NetStatusHandler(MessageHandler):
    def __init__(self, core=None):
        super().__init__(core)
        self.schema = net_status_schema()

    def handle(self, uow, payload: dict) -> HandlerResult:
        server_id = self.core.naming.server_id(payload["instance"])
        if server_id is None:
            return not_ours(messages.NET_STATUS, payload["instance"])
        return apply_net_status(uow, server_id, nic_updates(payload["nics"]),
                                messages.from_event_time(payload["event_time"]))
