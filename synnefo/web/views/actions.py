"""``POST /servers/{id}/action`` and ``POST /servers/{id}/remote-consoles``."""
from __future__ import annotations

from urllib.parse import quote

from pyramid.response import Response
from pyramid.view import view_config

from synnefo.core.errors import InvalidInput
from synnefo.core.services.servers import ServerService
from synnefo.web import response_schemas as rs
from synnefo.web import schemas
from synnefo.web.console import page_url
from synnefo.web.apidoc import documented
from synnefo.web.colander_schema import to_json_schema
from synnefo.web.faults import HTTPFault
from synnefo.web.views.common import api_of, int_id

VNC_TYPES = ("novnc", "xvpvnc")
WEB_TYPES = ("novnc", "vnc-ws")  # answered with the URL of the web console page


def _accepted() -> Response:
    """Nova's empty 202 (JSON content type, no body)."""
    return Response(status=202, content_type="application/json", charset=None)


def _service(request) -> ServerService:
    return ServerService(request.uow, request.registry.core)


def reboot(request, arg):
    body = schemas.load(schemas.RebootBody(), arg)
    _service(request).reboot(request.user, int_id(request), hard=body["type"] == "HARD")
    return _accepted()


def start(request, arg):
    _service(request).start(request.user, int_id(request))
    return _accepted()


def stop(request, arg):
    _service(request).stop(request.user, int_id(request))
    return _accepted()


def get_vnc_console(request, arg):
    if request.microversion >= (2, 6):
        raise HTTPFault(404, "os-getVNCConsole was removed in microversion 2.6; use "
                             "POST /servers/{id}/remote-consoles.")
    kind = schemas.load(schemas.ConsoleBody(), arg)["type"]
    if kind not in VNC_TYPES:
        raise InvalidInput(f"Invalid console type {kind!r}: use one of {', '.join(VNC_TYPES)}.")
    forwarding = _service(request).console(request.user, int_id(request))
    return {"console": {"type": kind, "url": console_url(request, forwarding, kind)}}


def synnefo_console(request, arg):
    kind = schemas.load(schemas.ConsoleBody(), arg)["type"]
    if kind not in ("vnc",) + WEB_TYPES:
        raise InvalidInput(f'Type can only be "vnc" or {" or ".join(map(repr, WEB_TYPES))}.')
    forwarding = _service(request).console(request.user, int_id(request))
    if kind in WEB_TYPES:
        return {"console": {"type": kind, "url": console_url(request, forwarding, kind)}}
    return {"console": {"type": "vnc", "host": forwarding.host, "port": forwarding.port,
                        "password": forwarding.password}}


def console_url(request, forwarding, kind: str) -> str:
    """The web console page for the web types, else a VNC URI (RFC 7869) with the password."""
    if kind in WEB_TYPES:
        if not forwarding.websocket_url:
            raise InvalidInput(f"Unavailable console type {kind}: the console proxy has no "
                               "WebSocket endpoint.")
        return page_url(request, forwarding.websocket_url, forwarding.password)
    return (f"vnc://{forwarding.host}:{forwarding.port}"
            f"?VncPassword={quote(forwarding.password, safe='')}")


ACTIONS = {
    "reboot": reboot, "os-start": start, "start": start, "os-stop": stop, "shutdown": stop,
    "os-getVNCConsole": get_vnc_console, "console": synnefo_console,
}


def action_body_schema() -> dict:
    """One key, the action's name, whose value is checked by that action's colander schema."""
    arguments = {"reboot": to_json_schema(schemas.RebootBody()),
                 "os-getVNCConsole": to_json_schema(schemas.ConsoleBody()),
                 "console": to_json_schema(schemas.ConsoleBody())}
    return {"oneOf": [{"type": "object", "required": [name], "maxProperties": 1,
                       "properties": {name: arguments.get(name, {"type": ["object", "null"]})}}
                      for name in ACTIONS]}


@view_config(route_name="server_action", request_method="POST", renderer="json")
@documented({200: {"anyOf": [rs.CONSOLE_URL, rs.SYNNEFO_CONSOLE]}, 202: rs.EMPTY},
            body=action_body_schema,
            description="reboot, os-start/start, os-stop/shutdown answer 202 with no body; "
                        "os-getVNCConsole (up to 2.5) and console answer 200.")
def server_action(request):
    api_of(request)
    body = request.payload
    if len(body) != 1:
        raise InvalidInput("An action body must be an object with exactly one key, the action "
                           f"name (one of {', '.join(sorted(ACTIONS))}).")
    (name, arg), = body.items()
    if name not in ACTIONS:
        raise InvalidInput(f"There is no such action: {name}")
    if arg is None:
        arg = {}
    if not isinstance(arg, dict):
        raise InvalidInput(f"The argument of action {name} must be an object or null.")
    return ACTIONS[name](request, arg)


@view_config(route_name="remote_consoles", request_method="POST", renderer="json")
@documented({200: rs.REMOTE_CONSOLE}, body=schemas.RemoteConsole)
def remote_consoles(request):
    if request.microversion < (2, 6):
        raise HTTPFault(404, "remote-consoles needs microversion 2.6 or later.")
    api_of(request)
    body = schemas.load(schemas.RemoteConsole(), request.payload)["remote_console"]
    if body["protocol"] != "vnc" or body["type"] not in VNC_TYPES:
        raise InvalidInput(f"Unsupported console protocol/type {body['protocol']}/{body['type']}:"
                           f" only vnc/{' or vnc/'.join(VNC_TYPES)}.")
    forwarding = _service(request).console(request.user, int_id(request))
    return {"remote_console": {"protocol": "vnc", "type": body["type"],
                               "url": console_url(request, forwarding, body["type"])}}
