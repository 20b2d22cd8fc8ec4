"""``/os-quota-sets/{project_id}`` (read-only) and the Rackspace-style ``GET /v1.0`` login."""
from __future__ import annotations

from pyramid.response import Response
from pyramid.view import view_config

from synnefo.core.errors import Forbidden, Unauthorized
from synnefo.core.services import accounts, boot_data, quotas
from synnefo.web import response_schemas as rs
from synnefo.web.apidoc import documented
from synnefo.web.views.common import api_of
from synnefo.web.views.identity import password_login


def _limits(request) -> dict:
    user = request.user
    return {"instances": user.max_servers, "cores": user.max_cores, "ram": user.max_ram_mib,
            "metadata_items": request.registry.core.settings.max_metadata_items,
            "key_pairs": request.registry.core.settings.max_keypairs,
            "server_groups": 0, "server_group_members": 0}


def _versioned(api, values: dict, zero) -> dict:
    if not api.at_least(36):
        values.update({k: zero for k in ("fixed_ips", "floating_ips", "security_groups",
                                         "security_group_rules")})
    if not api.at_least(57):
        limits = (boot_data.MAX_FILES, boot_data.MAX_CONTENT_BYTES, boot_data.MAX_PATH_BYTES)
        values.update({k: limit if zero == 0 else {**zero, "limit": limit} for k, limit in zip(
            ("injected_files", "injected_file_content_bytes", "injected_file_path_bytes"),
            limits)})
    return values


def _own_project(request, api) -> None:
    if request.matchdict["project_id"] != api.project_id:
        raise Forbidden("Policy doesn't allow showing the quotas of another project.")


@view_config(route_name="quota_set", request_method="GET", renderer="json")
@view_config(route_name="quota_set_defaults", request_method="GET", renderer="json")
@documented({200: rs.QUOTA_SET})
def quota_set(request):
    api = api_of(request)
    _own_project(request, api)
    values = _versioned(api, _limits(request), 0)
    return {"quota_set": {"id": api.project_id, **values}}


@view_config(route_name="quota_set_detail", request_method="GET", renderer="json")
@documented({200: rs.QUOTA_SET})
def quota_set_detail(request):
    api = api_of(request)
    _own_project(request, api)
    used = quotas.usage(request.uow.session, request.user.id)
    in_use = {"instances": used.servers, "cores": used.cores, "ram": used.ram_mib}
    detail = {k: {"limit": v, "in_use": in_use.get(k, 0), "reserved": 0}
              for k, v in _limits(request).items()}
    detail = _versioned(api, detail, {"limit": 0, "in_use": 0, "reserved": 0})
    return {"quota_set": {"id": api.project_id, **detail}}


@view_config(route_name="legacy_auth", request_method="GET")
@documented({204: rs.EMPTY}, headers={204: {"X-Auth-Token": rs.STRING}},
            description="X-Auth-User and X-Auth-Key headers: a user name and password.")
def legacy_auth(request):
    """``GET /v1.0`` with ``X-Auth-User``/``X-Auth-Key`` (name and password) -> 204 + token."""
    session = request.uow.session
    name, key = request.headers.get("X-Auth-User", ""), request.headers.get("X-Auth-Key", "")
    user = password_login(request, name,
                          lambda s: accounts.authenticate_password(s, name, key))
    if user is None:
        raise Unauthorized("X-Auth-User and X-Auth-Key do not name a user and password.")
    settings = request.registry.core.settings
    token, _ = accounts.issue_token(session, user, settings.token_lifetime_hours)
    response = Response(status=204)
    response.headers.update({
        "X-Auth-Token": token,
        "X-Server-Management-Url": f"{settings.public_url.rstrip('/')}/compute/v2.1",
        "X-Storage-Url": "", "X-CDN-Management-Url": ""})
    return response
