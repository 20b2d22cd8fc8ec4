"""Version documents and microversion negotiation."""
import pytest

from synnefo.web import microversions


@pytest.mark.parametrize("path", ["/", "/compute", "/compute/"])
def test_versions_list_needs_no_auth(world, path):
    versions = {v["id"]: v for v in world.app.get(path).json["versions"]}
    assert versions["v2.1"]["version"] == str(microversions.MAX)
    assert versions["v2.1"]["min_version"] == "2.1"
    assert versions["v2.0"]["version"] == ""
    assert versions["v2.1"]["links"][0]["href"] == "http://localhost/compute/v2.1/"


@pytest.mark.parametrize("path", ["/compute/v2.1", "/compute/v2.1/", "/v2.1", "/v2.1/"])
def test_version_document(world, path):
    doc = world.app.get(path).json["version"]
    assert doc["id"] == "v2.1" and doc["status"] == "CURRENT"
    assert doc["version"] == "2.96" and doc["min_version"] == "2.1"
    assert doc["links"][0]["href"].endswith("/v2.1/")


def test_legacy_v2_0_is_not_microversioned(world):
    response = world.app.get("/compute/v2.0/", headers={"OpenStack-API-Version": "compute 2.50"})
    assert response.json["version"]["version"] == ""
    assert "OpenStack-API-Version" not in response.headers
    servers = world.get("/compute/v2.0/servers/detail", version="2.96")
    assert "OpenStack-API-Version" not in servers.headers


def test_default_is_2_1_and_both_headers_are_echoed_with_vary(world):
    response = world.get("/compute/v2.1/servers", version=None)
    assert response.headers["OpenStack-API-Version"] == "compute 2.1"
    assert response.headers["X-OpenStack-Nova-API-Version"] == "2.1"
    assert "OpenStack-API-Version" in response.headers["Vary"]
    assert "X-OpenStack-Nova-API-Version" in response.headers["Vary"]


def test_legacy_header_and_latest(world):
    headers = {"X-Auth-Token": world.alice_token, "X-OpenStack-Nova-API-Version": "2.37"}
    assert world.app.get("/v2.1/flavors", headers=headers).headers[
        "OpenStack-API-Version"] == "compute 2.37"
    headers = {"X-Auth-Token": world.alice_token, "OpenStack-API-Version": "compute latest"}
    assert world.app.get("/v2.1/flavors", headers=headers).headers[
        "X-OpenStack-Nova-API-Version"] == str(microversions.MAX)


def test_new_header_wins_and_other_services_are_ignored(world):
    headers = {"X-Auth-Token": world.alice_token, "X-OpenStack-Nova-API-Version": "2.3",
               "OpenStack-API-Version": "volume 3.10, compute 2.40"}
    response = world.app.get("/v2.1/flavors", headers=headers)
    assert response.headers["X-OpenStack-Nova-API-Version"] == "2.40"


@pytest.mark.parametrize("version", ["2.0", "2.97", "3.1", "1.1"])
def test_unsupported_version_is_406(world, version):
    response = world.get("/compute/v2.1/servers", version=version, status=406)
    assert response.json["computeFault"]["code"] == 406
    assert "not supported" in response.json["computeFault"]["message"]


@pytest.mark.parametrize("version", ["abc", "2", "2.x", "02.1"])
def test_malformed_version_is_400(world, version):
    response = world.get("/compute/v2.1/servers", version=version, status=400)
    assert "invalid format" in response.json["badRequest"]["message"]


def test_response_fields_follow_the_microversion(world):
    server_id = world.create()
    old = world.get(f"/compute/v2.1/servers/{server_id}", version="2.1").json["server"]
    assert old["flavor"]["id"] == "1" and "original_name" not in old["flavor"]
    for field in ("locked", "description", "tags", "server_groups", "locked_reason",
                  "OS-EXT-SRV-ATTR:hostname", "pinned_availability_zone"):
        assert field not in old
    mid = world.get(f"/compute/v2.1/servers/{server_id}", version="2.47").json["server"]
    assert mid["flavor"]["original_name"] == "m1.tiny" and mid["locked"] is False
    assert "server_groups" not in mid and "locked_reason" not in mid
    new = world.get(f"/compute/v2.1/servers/{server_id}", version="2.96").json["server"]
    assert new["pinned_availability_zone"] is None and new["server_groups"] == []
    listed = world.get("/compute/v2.1/servers/detail", version="2.96").json["servers"][0]
    assert "server_groups" not in listed   # 2.71 adds it to show, not to the listing


def test_flavor_fields_follow_the_microversion(world):
    old = world.get("/compute/v2.1/flavors/1", version="2.1").json["flavor"]
    assert old["swap"] == "" and "description" not in old and "extra_specs" not in old
    new = world.get("/compute/v2.1/flavors/1", version="2.75").json["flavor"]
    assert new["swap"] == 0 and new["description"] is None and new["extra_specs"] == {}
