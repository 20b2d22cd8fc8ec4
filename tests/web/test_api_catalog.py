"""Flavors, the compute image proxy, Glance v2, limits and quota sets."""
import pytest

C = "/compute/v2.1"


def test_flavor_list_detail_and_show(world):
    brief = world.get(f"{C}/flavors").json["flavors"]
    assert [f["name"] for f in brief] == ["m1.tiny", "m1.big"]
    assert set(brief[0]) == {"id", "name", "links", "description"}
    detail = {f["id"]: f for f in world.get(f"{C}/flavors/detail").json["flavors"]}
    assert detail["2"]["vcpus"] == 8 and detail["2"]["ram"] == 16384 and detail["2"]["disk"] == 100
    assert detail["1"]["os-flavor-access:is_public"] is True
    assert world.get(f"{C}/flavors/1").json["flavor"]["name"] == "m1.tiny"


@pytest.mark.parametrize("query", ["is_public=None", "is_public=True", "is_public=all",
                                   "is_public=false", ""])
def test_private_flavors_stay_hidden_from_users(world, query):
    names = {f["name"] for f in world.get(f"{C}/flavors/detail?{query}").json["flavors"]}
    assert "secret" not in names


def test_flavor_filters_and_errors(world):
    assert [f["name"] for f in world.get(f"{C}/flavors?minRam=1024").json["flavors"]] == ["m1.big"]
    page = world.get(f"{C}/flavors?limit=1").json
    assert len(page["flavors"]) == 1 and "marker=1" in page["flavors_links"][0]["href"]
    assert world.get(f"{C}/flavors?marker=1").json["flavors"][0]["name"] == "m1.big"
    world.get(f"{C}/flavors?is_public=maybe", status=400)
    world.get(f"{C}/flavors?minRam=lots", status=400)
    for name in ("m1.tiny", "3", "999", "99999999999999999999"):
        response = world.get(f"{C}/flavors/{name}", status=404)
        assert "could not be found" in response.json["itemNotFound"]["message"]


def test_compute_image_proxy(world):
    names = {i["name"] for i in world.get(f"{C}/images").json["images"]}
    assert names == {"debian-12", "alice-own"}
    assert {i["name"] for i in world.get(f"{C}/images", user="bob").json["images"]} == {"debian-12"}
    detail = {i["name"]: i for i in world.get(f"{C}/images/detail", version=None).json["images"]}
    assert detail["debian-12"]["status"] == "ACTIVE" and detail["debian-12"]["progress"] == 100
    assert detail["debian-12"]["metadata"] == {"os": "debian"}
    shown = world.get(f"{C}/images/{world.image}").json["image"]
    assert shown["id"] == world.image
    assert world.get(f"{C}/images/{world.image}/metadata").json == {"metadata": {"os": "debian"}}
    assert world.get(f"{C}/images/{world.image}/metadata/os").json == {"meta": {"os": "debian"}}
    world.get(f"{C}/images/{world.image}/metadata/nope", status=404)
    world.get(f"{C}/images/{world.private_image}", user="bob", status=404)
    world.get(f"{C}/images/debian-12", status=404)


def test_glance_versions_and_listing(world):
    for path in ("/image", "/image/", "/image/v2", "/image/v2/"):
        versions = world.app.get(path).json["versions"]
        assert versions[0]["status"] == "CURRENT" and versions[0]["id"].startswith("v2")
    images = world.get("/image/v2/images").json["images"]
    assert {i["name"] for i in images} == {"debian-12", "alice-own"}
    public = {i["name"]: i for i in images}["debian-12"]
    assert public["visibility"] == "public" and public["status"] == "active"
    assert public["os"] == "debian"
    by_name = world.get("/image/v2/images?name=debian-12").json["images"]
    assert [i["id"] for i in by_name] == [world.image]
    by_id = world.get(f"/image/v2/images?id=in%3A{world.image},{world.private_image}",
                      user="bob").json["images"]
    assert [i["id"] for i in by_id] == [world.image]
    assert world.get(f"/image/v2/images/{world.image}").json["name"] == "debian-12"
    world.get("/image/v2/images/debian-12", status=404)
    page = world.get("/image/v2/images?limit=1").json
    assert len(page["images"]) == 1 and page["next"].startswith("/v2/images?")
    world.app.get("/image/v2/images", status=401)


def test_novaclient_glance_path_under_the_compute_endpoint(world):
    assert {i["name"] for i in world.get(f"{C}/v2/images").json["images"]} >= {"debian-12"}


def test_limits_show_quotas_and_usage(world):
    world.create()
    absolute = world.get(f"{C}/limits", version="2.1").json["limits"]["absolute"]
    assert absolute["maxTotalInstances"] == 6 and absolute["totalInstancesUsed"] == 1
    assert absolute["maxTotalCores"] == 8 and absolute["totalCoresUsed"] == 1
    assert absolute["maxTotalRAMSize"] == 4096 and absolute["totalRAMUsed"] == 512
    assert absolute["maxServerMeta"] == 5 and "maxPersonality" in absolute
    limits = world.get(f"{C}/limits").json["limits"]
    assert limits["rate"] == [] and "maxPersonality" not in limits["absolute"]
    assert "maxSecurityGroups" not in limits["absolute"]


@pytest.mark.parametrize("version,image_meta", [("2.1", True), ("2.38", True), ("2.39", False),
                                                ("2.96", False)])
def test_limits_drop_max_image_meta_from_2_39_and_keep_rate(world, version, image_meta):
    limits = world.get(f"{C}/limits", version=version).json["limits"]
    assert limits["rate"] == []
    assert ("maxImageMeta" in limits["absolute"]) is image_meta


def test_flavor_extra_specs(world):
    assert world.get(f"{C}/flavors/1/os-extra_specs").json == {"extra_specs": {}}
    response = world.get(f"{C}/flavors/1/os-extra_specs/hw:cpu_policy", status=404)
    assert "hw:cpu_policy" in response.json["itemNotFound"]["message"]
    world.get(f"{C}/flavors/3/os-extra_specs", status=404)     # private: not visible
    world.get(f"{C}/flavors/999/os-extra_specs", status=404)
    world.app.get(f"{C}/flavors/1/os-extra_specs", status=401)


def test_quota_sets(world):
    world.create()
    project = str(world.alice_id)
    quota = world.get(f"{C}/os-quota-sets/{project}").json["quota_set"]
    assert quota["instances"] == 6 and quota["cores"] == 8 and quota["ram"] == 4096
    assert "injected_files" not in quota and "floating_ips" not in quota
    assert "floating_ips" in world.get(f"{C}/os-quota-sets/{project}", version="2.1").json[
        "quota_set"]
    detail = world.get(f"{C}/os-quota-sets/{project}/detail").json["quota_set"]
    assert detail["instances"] == {"limit": 6, "in_use": 1, "reserved": 0}
    world.get(f"{C}/os-quota-sets/{project}/defaults", status=200)
    world.get(f"{C}/os-quota-sets/{world.bob_id}", status=403)
