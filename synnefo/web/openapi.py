"""The OpenAPI 3.1 document of the API, built from the registered routes and views.

Built from what Pyramid actually serves (routes, including those of ``pyramid.includes``
plugins, and the methods of their views), so it cannot drift from the code. Each view's
``apidoc.documented`` declaration gives its success responses and its request schemas (taken
from the colander schemas that validate the request); faults are added to every operation.
``tests/web/test_api_openapi.py`` checks the document against the live routing table, and
``tests/functional/test_schemathesis.py`` fuzzes a real server with it.
"""
from __future__ import annotations

import re

import colander

from pyramid.interfaces import IRoutesMapper
from pyramid.view import view_config

from synnefo.web import apidoc, microversions, response_schemas
from synnefo.web.apidoc import documented
from synnefo.web.colander_schema import query_parameters, to_json_schema
from synnefo.web.routes import API, ROUTES, Route, route_methods

METHOD_ORDER = ("GET", "POST", "PUT", "DELETE")
COMPUTE_PREFIX = "compute/v2.1"   # the catalog's endpoint; /v2.1 and /compute/v2.0 are aliases
FAULT_STATUSES = (400, 401, 403, 404, 406, 409, 413, 429, 503)
_PLACEHOLDER = re.compile(r"\{(\w+)(?::((?:[^{}]|\{[^}]*\})*))?\}")
MINOR = "([1-9]|[1-8][0-9]|9[0-6])"
ECHOED = {  # what every successful compute answer carries (microversions.echo)
    microversions.NEW_HEADER: {"type": "string", "pattern": r"^compute 2\.\d+$"},
    microversions.LEGACY_HEADER: {"type": "string", "pattern": r"^2\.\d+$"},
}
VERSION_HEADERS = [
    {"name": microversions.NEW_HEADER, "in": "header", "required": False,
     "description": "compute X.Y (or latest): the microversion (wins over the legacy header)",
     "schema": {"type": "string", "pattern": f"^compute (2\\.{MINOR}|latest)$"}},
    {"name": microversions.LEGACY_HEADER, "in": "header", "required": False,
     "description": "X.Y (or latest): the legacy microversion header",
     "schema": {"type": "string", "pattern": f"^(2\\.{MINOR}|latest)$"}},
]


def openapi_path(pattern: str) -> str:
    """``/{api:...}/servers/{server_id:\\d+}`` -> ``/compute/v2.1/servers/{server_id}``."""
    if pattern.startswith(API):
        pattern = "/" + COMPUTE_PREFIX + pattern[len(API):]
    return _PLACEHOLDER.sub(lambda m: "{%s}" % m.group(1), pattern)


def path_parameters(pattern: str) -> list[dict]:
    """Each ``{name[:regex]}`` of a route pattern, with its regex as the schema's pattern."""
    if pattern.startswith(API):
        pattern = pattern[len(API):]
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "string", "pattern": f"^{regex or '[^/]+'}$"}}
            for name, regex in _PLACEHOLDER.findall(pattern)]


def route_views(registry) -> dict[tuple[str, str], object]:
    """(route name, method) -> the view callable serving it."""
    views = {}
    for item in registry.introspector.get_category("views") or []:
        view = item["introspectable"]
        methods = view["request_methods"]
        for method in ([methods] if isinstance(methods, str) else methods or ()):
            views.setdefault((view["route_name"], method), view["callable"])
    return views


def build_document(registry) -> dict:
    """Every route Pyramid serves, ours and those of ``pyramid.includes`` plugins."""
    methods, views = route_methods(registry), route_views(registry)
    known = {route.name: route for route in ROUTES}
    paths: dict[str, dict] = {}
    for served in registry.getUtility(IRoutesMapper).get_routes():
        route = known.get(served.name) or Route(served.name, served.pattern,
                                                f"Added by a plugin (route {served.name})")
        if route.page:
            continue
        operations = paths.setdefault(openapi_path(route.pattern), {})
        for method in sorted(methods.get(route.name, ()), key=_method_rank):
            doc = apidoc.doc_of(views.get((route.name, method)))
            operations[method.lower()] = operation(route, method, doc)
    return {"openapi": "3.1.0", "info": _info(), "paths": paths,
            "components": {"schemas": {"Fault": response_schemas.FAULT},
                           "securitySchemes": {"token": {
                               "type": "apiKey", "in": "header", "name": "X-Auth-Token"}}}}


def _method_rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def _info() -> dict:
    return {"title": "synnefo Compute API", "version": str(microversions.MAX),
            "description": "OpenStack Compute v2.1 (microversions "
                           f"{microversions.MIN}..{microversions.MAX}), a Glance v2 read subset "
                           "and a Keystone v3 token subset. Every /compute/v2.1 path is also "
                           "served at /v2.1 and, not microversioned, at /compute/v2.0."}


def operation(route: Route, method: str, doc: apidoc.OperationDoc | None) -> dict:
    """One OpenAPI operation; an undeclared (plugin) view gets a generic one."""
    params = path_parameters(route.pattern)
    if route.pattern.startswith(API):
        params += VERSION_HEADERS
    op = {"operationId": f"{route.name}_{method.lower()}", "summary": route.summary,
          "parameters": params, "responses": _fault_responses()}
    if doc is None:
        op["responses"]["default"] = {"description": "Not documented by its plugin"}
    else:
        # Version documents answer whatever microversion is asked for, and echo none.
        compute = route.auth and route.pattern.startswith(API)
        _apply(op, doc, ECHOED if compute else {})
    if route.auth:
        op["security"] = [{"token": []}]
    return op


def _apply(op: dict, doc: apidoc.OperationDoc, echoed: dict) -> None:
    if doc.description:
        op["description"] = doc.description
    if doc.query is not None:
        op["parameters"] += query_parameters(doc.query)
    if doc.body is not None:
        schema = _body_schema(doc.body)
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": schema}}}
    for status, schema in doc.responses.items():
        headers = {**echoed, **doc.headers.get(status, {})}
        op["responses"][str(status)] = _response(status, schema, headers)


def _body_schema(body) -> dict:
    """A colander schema, a JSON Schema, or a function building one (when the document is)."""
    if isinstance(body, colander.SchemaNode):
        return to_json_schema(body)
    return body() if callable(body) else body


def _response(status: int, schema: dict | None, headers: dict | None) -> dict:
    response = {"description": "Success" if status < 300 else "Answer"}
    if schema is not None:
        response["content"] = {"application/json": {"schema": schema}}
    if headers:
        response["headers"] = {name: {"required": True, "schema": value}
                               for name, value in headers.items()}
    return response


def _fault_responses() -> dict:
    fault = {"description": "An OpenStack fault body saying what was wrong",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Fault"}}}}
    return {str(status): dict(fault) for status in FAULT_STATUSES}


@view_config(route_name="openapi", request_method="GET", renderer="json")
@documented({200: response_schemas.OPENAPI})
def openapi(request):
    return build_document(request.registry)
