"""``/os-keypairs``: create or import, list, show and delete a user's keypairs.

Microversions as Nova: 2.2 adds ``type`` (and 201/204 statuses), 2.10 lets admins act for
another user (``user_id``), 2.35 pages the listing (``limit``, ``marker``, ``keypairs_links``),
2.92 requires ``public_key`` (no more server-side generation) and allows ``@`` and ``.`` in names.
"""
from __future__ import annotations

from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPNoContent
from pyramid.response import Response
from pyramid.view import view_config

from synnefo.core.db.models import Keypair, User
from synnefo.core.errors import Forbidden, InvalidInput, NotFound
from synnefo.core.services.keypairs import KeypairService
from synnefo.core.services.queries import is_db_int
from synnefo.web import response_schemas as rs
from synnefo.web import schemas
from synnefo.web.apidoc import documented
from synnefo.web.render import Api, micro_iso
from synnefo.web.views.common import api_of


def _service(request) -> KeypairService:
    return KeypairService(request.uow, request.registry.core)


def _owner(request, api: Api, user_id: str | None) -> User:
    """The caller, or (admins, 2.10+) the user named by ``user_id``."""
    if user_id is None or not api.at_least(10) or user_id == str(request.user.id):
        return request.user
    if not request.user.is_admin:
        raise Forbidden("Policy doesn't allow os_compute_api:os-keypairs to be performed "
                        "for another user.")
    user = request.uow.session.get(User, int(user_id)) if is_db_int(user_id) else None
    if user is None:
        raise NotFound(f"User {user_id} could not be found.")
    return user


def _entry(api: Api, row: Keypair) -> dict:
    body = {"name": row.name, "public_key": row.public_key, "fingerprint": row.fingerprint}
    if api.at_least(2):
        body["type"] = row.type
    return body


@view_config(route_name="keypairs", request_method="GET", renderer="json")
@documented({200: rs.KEYPAIR_LIST}, query=schemas.KeypairListQuery)
def list_keypairs(request):
    api = api_of(request)
    raw = schemas.query_dict(request)
    query = schemas.load(schemas.KeypairListQuery(), raw)
    owner = _owner(request, api, query.get("user_id"))
    paged = api.at_least(35)
    limit = query.get("limit") if paged else None
    rows = _service(request).list(owner.id, limit, query.get("marker") if paged else None)
    body = {"keypairs": [{"keypair": _entry(api, row)} for row in rows]}
    if paged and limit and len(rows) == limit:
        extra = {k: v for k, v in raw.items() if k not in ("limit", "marker")}
        href = f"{api.base}/os-keypairs?{urlencode({**extra, 'limit': limit, 'marker': rows[-1].name})}"
        body["keypairs_links"] = [{"rel": "next", "href": href}]
    return body


@view_config(route_name="keypairs", request_method="POST", renderer="json")
@documented({200: rs.KEYPAIR_CREATED, 201: rs.KEYPAIR_CREATED}, body=schemas.KeypairCreate)
def create_keypair(request):
    api = api_of(request)
    body = schemas.load(schemas.KeypairCreate(), request.payload)["keypair"]
    if api.at_least(92) and body.get("public_key") is None:
        raise InvalidInput("Invalid input for field/attribute keypair: 'public_key' is a "
                           "required property (microversion 2.92 and later).")
    owner = _owner(request, api, body.get("user_id"))
    row, private_key = _service(request).create(
        owner, body["name"], body.get("type") if api.at_least(2) else None,
        body.get("public_key"), extended_names=api.at_least(92))
    keypair = {**_entry(api, row), "user_id": str(owner.id)}
    if private_key is not None:
        keypair["private_key"] = private_key
    request.response.status = 201 if api.at_least(2) else 200
    return {"keypair": keypair}


@view_config(route_name="keypair", request_method="GET", renderer="json")
@documented({200: rs.KEYPAIR_SHOW}, query=schemas.KeypairListQuery)
def show_keypair(request):
    api = api_of(request)
    query = schemas.load(schemas.KeypairListQuery(), schemas.query_dict(request))
    owner = _owner(request, api, query.get("user_id"))
    row = _service(request).get(owner.id, request.matchdict["keypair_name"])
    return {"keypair": {**_entry(api, row), "user_id": str(owner.id), "id": row.id,
                        "created_at": micro_iso(row.created), "updated_at": None,
                        "deleted": False, "deleted_at": None}}


@view_config(route_name="keypair", request_method="DELETE")
@documented({202: rs.EMPTY, 204: rs.EMPTY}, query=schemas.KeypairListQuery)
def delete_keypair(request):
    api = api_of(request)
    query = schemas.load(schemas.KeypairListQuery(), schemas.query_dict(request))
    owner = _owner(request, api, query.get("user_id"))
    _service(request).delete(owner.id, request.matchdict["keypair_name"])
    if api.at_least(2):
        return HTTPNoContent()
    return Response(status=202, content_type="application/json", charset=None)
