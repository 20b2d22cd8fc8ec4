"""The OpenAPI 3 document of the API, built from the registered routes and views.

Built from what Pyramid actually serves (routes, including those of ``pyramid.includes``
plugins, and the methods of their views), so it cannot drift from the code; ``tests/web/test_openapi.py`` checks it against the live routing table.
"""
from __future__ import annotations

import re

from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config

from synnefo.web import microversions
from synnefo.web.routes import ROUTES, Route

METHOD_ORDER = ("GET", "POST", "PUT", "DELETE")
_PLACEHOLDER = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def openapi_path(pattern: str) -> str:
    """``/{api:...}/servers/{server_id:\\d+}`` -> ``/{api}/servers/{server_id}``."""
    return _PLACEHOLDER.sub(lambda m: "{%s}" % m.group(1), pattern)


def route_methods(registry) -> dict[str, set[str]]:
    """Route name -> the HTTP methods its views accept (GET implies HEAD, not listed)."""
    methods: dict[str, set[str]] = {}
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        route, allowed = view["route_name"], view["request_methods"]
        if route and allowed:
            methods.setdefault(route, set()).update(
                m for m in ([allowed] if isinstance(allowed, str) else allowed) if m != "HEAD")
    return methods


def build_document(registry) -> dict:
    """Every route Pyramid serves, ours and those of ``pyramid.includes`` plugins."""
    methods = route_methods(registry)
    known = {route.name: route for route in ROUTES}
    paths: dict[str, dict] = {}
    for served in registry.getUtility(IRoutesMapper).get_routes():
        route = known.get(served.name) or Route(served.name, served.pattern,
                                                f"Added by a plugin (route {served.name})")
        operations = paths.setdefault(openapi_path(route.pattern), {})
        for method in sorted(methods.get(route.name, ()), key=_method_rank):
            operations[method.lower()] = _operation(route, method)
    return {"openapi": "3.0.3", "info": _info(), "paths": paths,
            "components": {"securitySchemes": {"token": {
                "type": "apiKey", "in": "header", "name": "X-Auth-Token"}}}}


def _method_rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def _info() -> dict:
    return {"title": "synnefo Compute API", "version": str(microversions.MAX),
            "description": "OpenStack Compute v2.1 (microversions "
                           f"{microversions.MIN}..{microversions.MAX}), a Glance v2 read subset "
                           "and a Keystone v3 token subset. {api} is compute/v2.1, v2.1 or "
                           "compute/v2.0 (not microversioned)."}


def _operation(route, method: str) -> dict:
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in _PLACEHOLDER.findall(route.pattern)]
    op = {"operationId": f"{route.name}_{method.lower()}", "summary": route.summary,
          "parameters": params, "responses": {"default": {"description": "OpenStack fault body "
                                                          "on errors"}}}
    if route.auth:
        op["security"] = [{"token": []}]
    return op


@view_config(route_name="openapi", request_method="GET", renderer="json")
def openapi(request):
    return build_document(request.registry)
