"""A Keystone v3 subset at ``/identity``: version documents and ``POST /v3/auth/tokens``.

Password (by user name or id) and token methods are supported; the project is the user's own
(project name = user name). The catalog lists compute, image and identity at
``settings.public_url``.
"""
from __future__ import annotations

import secrets

from pyramid.response import Response
from pyramid.view import view_config

from synnefo.core.errors import InvalidInput, Unauthorized
from synnefo.core.db.models import User
from synnefo.core.services import accounts
from synnefo.core.services.logins import LoginThrottle
from synnefo.core.services.queries import is_db_int
from synnefo.core.timeutil import utcnow
from synnefo.web import response_schemas as rs
from synnefo.web import schemas
from synnefo.web.apidoc import documented

DOMAIN = {"id": "default", "name": "Default"}
REGION = "RegionOne"
SERVICES = (("compute", "nova", "compute/v2.1"), ("image", "glance", "image"),
            ("identity", "keystone", "identity/v3"))


def _v3_doc(request) -> dict:
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": f"{request.application_url}/identity/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v3+json"}]}


@view_config(route_name="identity_versions", request_method="GET", renderer="json")
@documented({200: rs.IDENTITY_VERSIONS})
def identity_versions(request):
    return {"versions": {"values": [_v3_doc(request)]}}


@view_config(route_name="identity_v3", request_method="GET", renderer="json")
@view_config(route_name="identity_v3_slash", request_method="GET", renderer="json")
@documented({200: rs.IDENTITY_V3})
def identity_v3(request):
    return {"version": _v3_doc(request)}


@view_config(route_name="auth_tokens", request_method="POST")
@documented({201: rs.TOKEN}, body=schemas.AuthRequest,
            headers={201: {"X-Subject-Token": rs.STRING}})
def issue_token(request):
    identity = schemas.load(schemas.AuthRequest(), request.payload)["auth"]["identity"]
    session = request.uow.session
    user = _authenticate(request, identity)
    lifetime = request.registry.core.settings.token_lifetime_hours
    token, row = accounts.issue_token(session, user, lifetime)
    body = {"token": _token_body(request, user, row, identity["methods"])}
    response = Response(status=201, json_body=body)
    response.headers["X-Subject-Token"] = token
    return response


def _authenticate(request, identity: dict):
    methods = identity["methods"]
    session = request.uow.session
    if "password" in methods and "password" in identity:
        user = _by_password(request, identity["password"]["user"])
    elif "token" in methods and "token" in identity:
        user = accounts.authenticate_token(session, identity["token"]["id"])
    else:
        raise InvalidInput("Only the password and token authentication methods are supported, "
                           "and the method's object must be given.")
    if user is None:
        raise Unauthorized("The request you have made requires authentication.")
    return user


def _by_password(request, spec: dict):
    name, user_id = spec.get("name"), spec.get("id")
    if name is None and not user_id:
        raise InvalidInput("The password method needs a user name or id.")
    # One count per user, whether it is named by name or by id.
    subject = name if name is not None else _name_of(request.uow.session, user_id)
    return password_login(request, subject, lambda session: (
        accounts.authenticate_password(session, name, spec["password"]) if name is not None
        else accounts.authenticate_password_by_id(
            session, int(user_id) if is_db_int(user_id) else None, spec["password"])))


def _name_of(session, user_id: str) -> str:
    user = session.get(User, int(user_id)) if is_db_int(user_id) else None
    return user.name if user is not None else f"#{user_id}"


def password_login(request, subject: str, check):
    """``check(session)`` under login throttling of ``subject`` and the client's address.

    429 while locked; a failure is counted (and committed) before the 401 goes out.
    """
    throttle = LoginThrottle(request.uow, request.registry.core)
    throttle.check(subject, request.remote_addr)
    user = check(request.uow.session)
    if user is None:
        throttle.failed(subject, request.remote_addr)
    else:
        throttle.succeeded(subject)
    return user


def _token_body(request, user, row, methods) -> dict:
    public = request.registry.core.settings.public_url.rstrip("/")
    return {
        "methods": list(methods), "expires_at": _iso(row.expires), "issued_at": _iso(utcnow()),
        "audit_ids": [secrets.token_urlsafe(16)],
        "user": {"id": str(user.id), "name": user.name, "domain": DOMAIN,
                 "password_expires_at": None},
        "project": {"id": str(user.id), "name": user.name, "domain": DOMAIN},
        "roles": [{"id": "member", "name": "member"}]
                 + ([{"id": "admin", "name": "admin"}] if user.is_admin else []),
        "catalog": [_service(public, *svc) for svc in SERVICES],
    }


def _service(public: str, kind: str, name: str, path: str) -> dict:
    return {"type": kind, "name": name, "id": kind, "endpoints": [
        {"id": f"{kind}-{iface}", "interface": iface, "region": REGION, "region_id": REGION,
         "url": f"{public}/{path}"} for iface in ("public", "internal")]}


def _iso(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
