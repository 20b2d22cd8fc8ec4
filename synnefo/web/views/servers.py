"""``/servers``: list, detail, create, show, rename, delete."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent
from pyramid.view import view_config

from synnefo.core.errors import InvalidInput, NotFound
from synnefo.core.services import queries
from synnefo.core.services.servers import CreateRequest, ServerService
from synnefo.web.apidoc import documented
from synnefo.web import render, schemas
from synnefo.web import response_schemas as rs
from synnefo.web.views.common import api_of, int_id, next_link

MAX_LIMIT = 1000


def _filter(request) -> tuple[queries.ServerFilter, dict]:
    raw = schemas.query_dict(request)
    query = schemas.load(schemas.ServerListQuery(), raw)
    limit = min(query.get("limit", MAX_LIMIT), MAX_LIMIT)
    since = query.get("changes-since")
    flt = queries.ServerFilter(
        name=query.get("name") or None, status=query.get("status"),
        changes_since=schemas.parse_changes_since(since) if since else None,
        deleted=query.get("deleted"), limit=limit, marker=query.get("marker"))
    return flt, raw


def _listing(request, detail: bool) -> dict:
    api = api_of(request)
    flt, raw = _filter(request)
    # Like Nova, a status no server can have matches nothing (it is not an error).
    wanted = flt.limit and (flt.status is None or flt.status in schemas.SERVER_STATUSES)
    servers = queries.server_views(request.uow.session, request.user, flt) if wanted else []
    if detail:
        items = render.server_details(api, servers)
    else:
        items = [render.server_brief(api, s) for s in servers]
    body = {"servers": items}
    path = "servers/detail" if detail else "servers"
    links = next_link(api.base, path, items, flt.limit, raw)
    if links:
        body["servers_links"] = links
    return body


@view_config(route_name="servers", request_method="GET", renderer="json")
@documented({200: rs.SERVER_LIST}, query=schemas.ServerListQuery)
def list_servers(request):
    return _listing(request, detail=False)


@view_config(route_name="servers_detail", request_method="GET", renderer="json")
@documented({200: rs.SERVER_DETAIL_LIST}, query=schemas.ServerListQuery)
def list_servers_detail(request):
    return _listing(request, detail=True)


@view_config(route_name="server", request_method="GET", renderer="json")
@documented({200: rs.SERVER_SHOW})
def show_server(request):
    api = api_of(request)
    views = queries.server_views(request.uow.session, request.user,
                                 server_id=int_id(request))
    if not views:
        raise NotFound(f"Instance {request.matchdict['server_id']} could not be found.")
    return {"server": render.server_detail(api, views[0], show=True)}


@view_config(route_name="server_ips", request_method="GET", renderer="json")
@documented({200: rs.SERVER_ADDRESSES})
def server_ips(request):
    api_of(request)
    server = queries.get_server(request.uow.session, request.user, int_id(request))
    return {"addresses": render.addresses(server)}


@view_config(route_name="server_ips_network", request_method="GET", renderer="json")
@documented({200: rs.NETWORK_ADDRESSES})
def server_ips_network(request):
    api_of(request)
    server = queries.get_server(request.uow.session, request.user, int_id(request))
    network = request.matchdict["network"]
    addresses = render.addresses(server)
    if network not in addresses:
        raise NotFound(f"Instance {server.id} is not attached to network {network}.")
    return {network: addresses[network]}


@view_config(route_name="servers", request_method="POST", renderer="json")
@documented({202: rs.SERVER_CREATED}, body=schemas.ServerCreate,
            headers={202: {"Location": rs.STRING}})
def create_server(request):
    api = api_of(request)
    body = schemas.load(schemas.ServerCreate(), request.payload)["server"]
    req = _create_request(request, body)
    created = ServerService(request.uow, request.registry.core).create(request.user, req)
    server, password = created[0]
    request.response.status = 202
    request.response.headers["Location"] = f"{api.base}/servers/{server.id}"
    return {"server": render.created_server(api, server, password)}


def _create_request(request, body: dict) -> CreateRequest:
    networks = body.get("networks")
    if networks is None and request.microversion >= (2, 37):
        raise InvalidInput("Invalid input for field/attribute networks: 'networks' is a "
                           "required property (microversion 2.37 and later).")
    image_id = body["imageRef"] or _boot_image(body["block_device_mapping_v2"])
    if not image_id:
        raise InvalidInput("Missing imageRef attribute (or an image in block_device_mapping_v2).")
    min_count = body["min_count"]
    max_count = body.get("max_count", min_count)
    if max_count < min_count:
        raise InvalidInput("min_count must be <= max_count")
    if "personality" in body and request.microversion >= (2, 57):
        raise InvalidInput("Invalid input for field/attribute server: 'personality' was removed "
                           "in microversion 2.57 (use user_data).")
    return CreateRequest(name=body["name"], flavor_id=body["flavorRef"], image_id=image_id,
                         metadata=body["metadata"], networks=networks or "auto",
                         min_count=min_count, max_count=max_count,
                         key_name=body.get("key_name"), user_data=body.get("user_data") or None,
                         personality=tuple((f["path"], f["contents"])
                                           for f in body.get("personality", ())))


def _boot_image(mappings: list[dict]) -> str:
    for bdm in mappings:
        if bdm.get("source_type") == "image" and bdm.get("boot_index", 0) == 0 and bdm.get("uuid"):
            if bdm.get("destination_type", "local") != "local":
                raise InvalidInput("Only local disks created from an image are supported "
                                   "(destination_type 'local').")
            return bdm["uuid"]
    return ""


@view_config(route_name="server", request_method="PUT", renderer="json")
@documented({200: rs.SERVER_SHOW}, body=schemas.ServerUpdate)
def update_server(request):
    api = api_of(request)
    body = schemas.load(schemas.ServerUpdate(), request.payload)["server"]
    service = ServerService(request.uow, request.registry.core)
    if "name" in body:
        server = service.rename(request.user, int_id(request), body["name"])
    else:
        server = queries.get_server(request.uow.session, request.user, int_id(request))
    return {"server": render.server_detail(api, server, show=True)}


@view_config(route_name="server", request_method="DELETE")
@documented({204: rs.EMPTY})
def delete_server(request):
    api_of(request)
    ServerService(request.uow, request.registry.core).delete(request.user, int_id(request))
    return HTTPNoContent()
