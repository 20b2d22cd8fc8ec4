"""The OpenAPI document lists every route and method the app serves."""
import re

from pyramid.interfaces import IRoutesMapper

import webtest

from synnefo.testing.distributions import test_distribution as distribution
from synnefo.web import make_app
from synnefo.web.openapi import openapi_path, route_methods
from synnefo.web.routes import ROUTES


def test_every_route_and_method_is_documented(world):
    doc = world.app.get("/openapi.json").json
    assert doc["openapi"].startswith("3.")
    registry = world.app.app.registry
    mapper = registry.getUtility(IRoutesMapper)
    served = {openapi_path(route.pattern) for route in mapper.get_routes()}
    assert served == set(doc["paths"])
    methods = route_methods(registry)
    for route in mapper.get_routes():
        documented = set(doc["paths"][openapi_path(route.pattern)])
        assert {m.lower() for m in methods.get(route.name, ())} <= documented, route.name
    assert "get" in doc["paths"]["/{api}/servers/{server_id}"]
    assert "delete" in doc["paths"]["/{api}/servers/{server_id}"]


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
    assert "/{api}/servers" in doc["paths"]
