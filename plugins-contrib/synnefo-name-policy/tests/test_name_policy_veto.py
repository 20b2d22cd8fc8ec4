"""``name-policy``: names that do not match the configured regex are refused with a 400."""
import pytest

from synnefo.core import plugins
from synnefo.core.errors import ConfigurationError

ENABLED = "default-scheduler name-policy"


def test_both_plugins_are_installed_from_this_distribution():
    found = {p.name: p for p in plugins.installed("synnefo.hooks")}
    assert found["name-policy"].distribution == "synnefo-name-policy"
    assert found["jsonl-audit"].value == "synnefo_name_policy.audit:JsonlAudit"


def test_a_name_outside_the_policy_is_refused_and_nothing_is_created(deploy):
    deployment = deploy(hooks=ENABLED)
    response = deployment.create_server("Web Server 1", status=400)
    message = response.json["badRequest"]["message"]
    assert "'Web Server 1'" in message and "naming policy" in message
    assert deployment.api.get("/compute/v2.1/servers").json["servers"] == []


def test_a_name_inside_the_policy_is_accepted(deploy):
    deployment = deploy(hooks=ENABLED)
    server = deployment.create_server("web-1").json["server"]
    deployment.settle()
    shown = deployment.api.get(f"/compute/v2.1/servers/{server['id']}").json["server"]
    assert shown["name"] == "web-1" and shown["status"] == "ACTIVE"


def test_the_pattern_comes_from_the_ini(deploy):
    deployment = deploy(hooks=ENABLED, **{"name_policy.pattern": r"(web|db)-[0-9]+"})
    deployment.create_server("db-7")
    message = deployment.create_server("cache-7", status=400).json["badRequest"]["message"]
    assert "(web|db)-[0-9]+" in message


def test_installed_but_not_listed_in_synnefo_hooks_means_disabled(deploy):
    deployment = deploy(hooks="default-scheduler", **{"name_policy.pattern": "never"})
    deployment.create_server("Web Server 1")
    assert "name-policy" not in dict(deployment.core.plugin_manager.list_name_plugin())


def test_a_bad_pattern_stops_start_up_naming_the_key(deploy):
    with pytest.raises(ConfigurationError, match=r"synnefo\.name_policy\.pattern"):
        deploy(hooks=ENABLED, **{"name_policy.pattern": "web-("})
