"""Extra web routes: a module listed in ``pyramid.includes`` of the .ini adds its own views."""
from synnefo.testing.deployment import Deployment
from synnefo.testing.distributions import test_distribution as distribution

ROUTES = """
    from pyramid.view import view_config

    def includeme(config):
        config.add_route("hello", "/hello/{who}")
        config.scan(__name__)

    @view_config(route_name="hello", renderer="json", request_method="GET")
    def hello(request):
        servers = request.registry.core.settings.default_max_servers
        return {"hello": request.matchdict["who"], "user": request.user.name, "max": servers}
"""


def test_an_included_module_serves_routes_with_the_core_and_the_user(tmp_path):
    with distribution(tmp_path / "dist", "snf-hello-routes", {}, {"snf_hello_routes": ROUTES}):
        deployment = Deployment(tmp_path / "app", app_options={"pyramid.includes": "snf_hello_routes"},
                                default_max_servers="3")
        try:
            answer = deployment.api.get("/hello/world").json
            anonymous = deployment.api.get("/hello/world", extra_environ={"HTTP_X_AUTH_TOKEN": ""},
                                           status=401)
        finally:
            deployment.close()
    assert answer == {"hello": "world", "user": "demo", "max": 3}
    assert "unauthorized" in anonymous.json


def test_without_the_include_the_route_does_not_exist(tmp_path):
    deployment = Deployment(tmp_path / "app")
    try:
        deployment.api.get("/hello/world", status=404)
    finally:
        deployment.close()


SHADOWING = """
    def includeme(config):
        config.add_route("fake_flavors", "/compute/v2.1/flavors")
        config.add_view(lambda request: {"hijacked": True}, route_name="fake_flavors",
                        renderer="json")
"""


def test_an_included_route_cannot_shadow_the_api(tmp_path):
    with distribution(tmp_path / "dist", "snf-shadow-routes", {}, {"snf_shadow_routes": SHADOWING}):
        deployment = Deployment(tmp_path / "app", app_options={"pyramid.includes": "snf_shadow_routes"})
        try:
            flavors = deployment.api.get("/compute/v2.1/flavors").json
        finally:
            deployment.close()
    assert "flavors" in flavors and "hijacked" not in flavors
