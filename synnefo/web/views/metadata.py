"""``/servers/{id}/metadata[/{key}]`` with Nova's semantics, and image metadata (read-only)."""
from __future__ import annotations

from pyramid.httpexceptions import HTTPNoContent
from pyramid.view import view_config

from synnefo.core.errors import InvalidInput, NotFound
from synnefo.core.services import metadata as meta
from synnefo.core.services import queries
from synnefo.web.apidoc import documented
from synnefo.web import response_schemas as rs
from synnefo.web import schemas
from synnefo.web.views.common import api_of, int_id


def _server(request, lock: bool = False):
    api_of(request)
    return queries.get_server(request.uow.session, request.user, int_id(request), lock=lock)


def _limit(request) -> int:
    return request.registry.core.settings.max_metadata_items


@view_config(route_name="server_metadata", request_method="GET", renderer="json")
@documented({200: rs.METADATA})
def list_metadata(request):
    return {"metadata": meta.as_dict(_server(request))}


@view_config(route_name="server_metadata", request_method="POST", renderer="json")
@documented({200: rs.METADATA}, body=schemas.MetadataBody)
def update_metadata(request):
    items = schemas.load(schemas.MetadataBody(), request.payload)["metadata"]
    server = _server(request, lock=True)
    return {"metadata": meta.update(server, items, _limit(request))}


@view_config(route_name="server_metadata", request_method="PUT", renderer="json")
@documented({200: rs.METADATA}, body=schemas.MetadataBody)
def replace_metadata(request):
    items = schemas.load(schemas.MetadataBody(), request.payload)["metadata"]
    server = _server(request, lock=True)
    return {"metadata": meta.replace(server, items, _limit(request))}


@view_config(route_name="server_metadata_item", request_method="GET", renderer="json")
@documented({200: rs.META_ITEM})
def show_item(request):
    key = request.matchdict["key"]
    return {"meta": {key: meta.get_item(_server(request), key)}}


@view_config(route_name="server_metadata_item", request_method="PUT", renderer="json")
@documented({200: rs.META_ITEM}, body=schemas.MetaItemBody)
def set_item(request):
    key = request.matchdict["key"]
    items = schemas.load(schemas.MetaItemBody(), request.payload)["meta"]
    if len(items) > 1:
        raise InvalidInput("Request body contains too many items")
    if key not in items:
        raise InvalidInput("Request body and URI mismatch")
    server = _server(request, lock=True)
    return {"meta": meta.set_item(server, key, items[key], _limit(request))}


@view_config(route_name="server_metadata_item", request_method="DELETE")
@documented({204: rs.EMPTY})
def delete_item(request):
    meta.delete_item(_server(request, lock=True), request.matchdict["key"])
    return HTTPNoContent()


def _image_metadata(request) -> dict:
    api_of(request)
    image = queries.get_image(request.uow.session, request.user, request.matchdict["image_id"])
    return {m.key: m.value for m in image.metadata_items}


@view_config(route_name="image_metadata", request_method="GET", renderer="json")
@documented({200: rs.METADATA})
def image_metadata(request):
    return {"metadata": _image_metadata(request)}


@view_config(route_name="image_metadata_item", request_method="GET", renderer="json")
@documented({200: rs.META_ITEM})
def image_metadata_item(request):
    key = request.matchdict["key"]
    items = _image_metadata(request)
    if key not in items:
        raise NotFound("Metadata item was not found")
    return {"meta": {key: items[key]}}
