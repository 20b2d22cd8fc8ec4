"""Tenant isolation: another user's server answers 404 on every server route."""
import pytest

S = "/compute/v2.1/servers"

ROUTES = [
    ("get", "{s}", None), ("put", "{s}", {"server": {"name": "mine"}}), ("delete", "{s}", None),
    ("post", "{s}/action", {"reboot": {"type": "HARD"}}), ("post", "{s}/action", {"os-stop": None}),
    ("post", "{s}/action", {"os-start": None}), ("post", "{s}/action", {"console": {"type": "vnc"}}),
    ("post", "{s}/remote-consoles", {"remote_console": {"protocol": "vnc", "type": "novnc"}}),
    ("get", "{s}/ips", None), ("get", "{s}/ips/public", None), ("get", "{s}/metadata", None), ("post", "{s}/metadata", {"metadata": {"x": "y"}}),
    ("put", "{s}/metadata", {"metadata": {}}), ("get", "{s}/metadata/a", None),
    ("put", "{s}/metadata/a", {"meta": {"a": "b"}}), ("delete", "{s}/metadata/a", None),
]


@pytest.mark.parametrize("method,path,body", ROUTES)
def test_other_users_servers_are_invisible(world, method, path, body):
    if not hasattr(world, "alices"):
        world.alices = world.create(metadata={"a": "1"})
    url = f"{S}/" + path.format(s=world.alices)
    call = getattr(world, method)
    response = call(url, body, user="bob", status=404) if body is not None else \
        call(url, user="bob", status=404)
    assert "itemNotFound" in response.json
    shown = world.get(f"{S}/{world.alices}").json["server"]
    assert shown["name"] == "vm" and shown["metadata"] == {"a": "1"}
    assert shown["status"] == "ACTIVE" and shown["OS-EXT-STS:task_state"] is None


def test_listings_show_only_own_servers(world):
    world.create(name="alice-vm")
    bobs = world.create(name="bob-vm", user="bob")
    for path in (S, f"{S}/detail", f"{S}/detail?changes-since=2000-01-01T00:00:00Z",
                 f"{S}?name=vm"):
        assert [s["id"] for s in world.get(path, user="bob").json["servers"]] == [bobs]
    world.get(f"{S}?marker={bobs}", status=400)   # a marker of another user is unknown


def test_quota_usage_is_per_user(world):
    world.create(name="alice-vm")
    limits = world.get("/compute/v2.1/limits", user="bob").json["limits"]["absolute"]
    assert limits["totalInstancesUsed"] == 0
