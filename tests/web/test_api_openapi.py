"""The OpenAPI document lists every route and method the app serves."""
import re

from pyramid.interfaces import IRoutesMapper

import webtest

from synnefo.testing.distributions import test_distribution as distribution
from synnefo.web import make_app
from synnefo.web.apidoc import doc_of
from synnefo.web.openapi import openapi_path, route_views
from synnefo.web.routes import ROUTES, route_methods


def test_every_route_and_method_is_documented(world):
    doc = world.app.get("/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    registry = world.app.app.registry
    mapper = registry.getUtility(IRoutesMapper)
    pages = {route.name for route in ROUTES if route.page}   # browser pages, not API operations
    api_routes = [route for route in mapper.get_routes() if route.name not in pages]
    served = {openapi_path(route.pattern) for route in api_routes}
    assert served == set(doc["paths"])
    methods = route_methods(registry)
    for route in api_routes:
        documented = set(doc["paths"][openapi_path(route.pattern)])
        assert {m.lower() for m in methods.get(route.name, ())} <= documented, route.name
    assert "get" in doc["paths"]["/compute/v2.1/servers/{server_id}"]
    assert "delete" in doc["paths"]["/compute/v2.1/servers/{server_id}"]


def test_documented_operations_answer_something_other_than_405(world):
    doc = world.app.get("/openapi.json").json
    for path, operations in doc["paths"].items():
        url = re.sub(r"\{api\}", "compute/v2.1", path)
        url = re.sub(r"\{\w+\}", "1", url)
        for method in operations:
            response = getattr(world.app, method)(url, headers=world.headers(), status="*",
                                                  expect_errors=True)
            assert response.status_int != 405, f"{method.upper()} {url}"


def test_every_route_of_the_table_is_served(world):
    mapper = world.app.app.registry.getUtility(IRoutesMapper)
    assert [r.name for r in ROUTES] == [r.name for r in mapper.get_routes()]
    assert all(route.summary for route in ROUTES)


EXTRA = """
    from pyramid.view import view_config

    def includeme(config):
        config.add_route("x_usage", "/x-usage/{server_id}")
        config.scan(__name__)

    @view_config(route_name="x_usage", renderer="json", request_method="GET")
    def usage(request):
        return {}
"""


def test_routes_added_by_plugins_are_documented(world, tmp_path):
    with distribution(tmp_path / "dist", "snf-x-usage", {}, {"snf_x_usage": EXTRA}):
        app = webtest.TestApp(make_app(world.core, settings={"pyramid.includes": "snf_x_usage"}))
        doc = app.get("/openapi.json").json
    assert "Added by a plugin" in doc["paths"]["/x-usage/{server_id}"]["get"]["summary"]
    assert "/compute/v2.1/servers" in doc["paths"]


def _operations(doc):
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            yield path, method, op


def test_every_view_of_the_route_table_declares_its_responses(world):
    """A route added to ROUTES fails here until its views are ``@documented``."""
    registry = world.app.app.registry
    views = route_views(registry)
    for route in (r for r in ROUTES if not r.page):
        for method in route_methods(registry).get(route.name, ()):
            assert doc_of(views[(route.name, method)]) is not None, f"{method} {route.name}"


def test_the_document_is_openapi_3_1_with_schemas_for_every_operation(world):
    doc = world.app.get("/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    for path, method, op in _operations(doc):
        where = f"{method.upper()} {path}"
        success = [s for s in op["responses"] if s.startswith("2")]
        assert success, where
        for status, response in op["responses"].items():
            if status not in ("202", "204") or "content" in response:
                assert response["content"]["application/json"]["schema"], (where, status)
        if method in ("post", "put"):
            assert op["requestBody"]["content"]["application/json"]["schema"], where
        names = {p["name"] for p in op["parameters"] if p["in"] == "path"}
        assert names == set(re.findall(r"\{(\w+)\}", path)), where
        assert all(p["schema"]["pattern"] for p in op["parameters"] if p["in"] == "path")
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        if path.startswith("/compute/v2.1/"):
            assert {"OpenStack-API-Version", "X-OpenStack-Nova-API-Version"} <= headers, where
            for status in success if op.get("security") else ():   # not version documents
                assert "OpenStack-API-Version" in op["responses"][status]["headers"], where


def test_request_schemas_come_from_the_colander_schemas(world):
    doc = world.app.get("/openapi.json").json
    create = doc["paths"]["/compute/v2.1/servers"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["properties"]["server"]
    assert create["required"] == ["flavorRef", "name"]
    assert create["properties"]["min_count"] == {"type": "integer", "minimum": 1, "maximum": 100}
    query = {p["name"]: p["schema"] for p in doc["paths"]["/compute/v2.1/flavors"]["get"][
        "parameters"] if p["in"] == "query"}
    assert query["minRam"]["maximum"] == 2 ** 31 - 1
    reboot = [o for o in doc["paths"]["/compute/v2.1/servers/{server_id}/action"]["post"][
        "requestBody"]["content"]["application/json"]["schema"]["oneOf"]
        if "reboot" in o["properties"]][0]
    assert reboot["properties"]["reboot"]["properties"]["type"]["enum"] == ["SOFT", "HARD"]
    server_id = doc["paths"]["/compute/v2.1/servers/{server_id}"]["get"]["parameters"][0]
    assert server_id["schema"]["pattern"] == r"^\d+$"


def test_compute_paths_are_served_under_every_alias(world):
    for prefix in ("/compute/v2.1", "/v2.1", "/compute/v2.0"):
        assert world.get(f"{prefix}/flavors").json["flavors"]
