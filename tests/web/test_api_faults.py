"""Every fault the API answers, and no 500 for any input a client can send."""
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

C = "/compute/v2.1"


@pytest.mark.parametrize("path", ["/nothing", f"{C}/nothing", f"{C}/servers/abc",
                                  f"{C}/servers/1/nothing", "/compute/v3", "/v2.1x"])
def test_unknown_url_is_404_item_not_found(world, path):
    response = world.get(path, status=404)
    assert response.json == {"itemNotFound": {"code": 404,
                                              "message": "The resource could not be found."}}


@pytest.mark.parametrize("method,path,allowed", [
    ("delete", f"{C}/servers", "GET, HEAD, POST"), ("put", f"{C}/servers/detail", "GET, HEAD"),
    ("post", f"{C}/flavors", "GET, HEAD"), ("delete", f"{C}/flavors/1", "GET, HEAD"),
    ("get", f"{C}/servers/1/action", "POST"), ("post", "/", "GET, HEAD"),
    ("delete", "/identity/v3/auth/tokens", "POST"), ("put", "/image/v2/images", "GET, HEAD"),
    ("post", f"{C}/limits", "GET, HEAD"),
    ("post", f"{C}/servers/1", "DELETE, GET, HEAD, PUT"),
])
def test_wrong_method_is_405_with_allow(world, method, path, allowed):
    response = getattr(world.app, method)(path, headers=world.headers(), status=405)
    assert response.json["badMethod"]["code"] == 405
    assert response.headers["Allow"] == allowed


@pytest.mark.parametrize("method,path,headers", [
    ("post", f"{C}/servers/1/remote-consoles", {}),   # 2.1 has no remote-consoles: 404 if authed
    ("post", f"{C}/servers/1/remote-consoles", {"OpenStack-API-Version": "compute 9.9"}),
    ("post", f"{C}/servers/1/action", {"OpenStack-API-Version": "compute nonsense"}),
    ("delete", f"{C}/servers", {}),                   # a wrong method
    ("get", f"{C}/servers/123456789", {}),            # no such server
    ("put", f"{C}/servers/1/metadata/k", {}),         # no body
])
def test_authentication_is_checked_before_anything_else(world, method, path, headers):
    response = getattr(world.app, method)(path, headers=headers, status="*")
    assert response.status_int == 401
    assert response.json["unauthorized"]["code"] == 401


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b'"text"', b"", b"\xff\xfe"])
def test_malformed_json_is_400(world, body):
    server_id = world.create()
    for path in (f"{C}/servers", f"{C}/servers/{server_id}/action",
                 f"{C}/servers/{server_id}/metadata", "/identity/v3/auth/tokens"):
        response = world.app.post(path, body, headers={**world.headers(),
                                                       "Content-Type": "application/json"},
                                  status=400)
        assert response.json["badRequest"]["code"] == 400


def test_fault_bodies_have_the_openstack_shape(world):
    cases = [world.get(f"{C}/servers/999", status=404),
             world.get(f"{C}/servers", version="9.9", status=406),
             world.app.get(f"{C}/servers", status=401)]
    for response in cases:
        (name, fault), = response.json.items()
        assert set(fault) == {"code", "message"} and fault["code"] == response.status_int
        assert response.content_type == "application/json"


def test_unexpected_errors_are_500_compute_fault_without_internals(world, monkeypatch):
    from synnefo.core.services import queries

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(queries, "list_flavors", broken)
    response = world.get(f"{C}/flavors", status=500)
    assert "secret" not in response.text and response.json["computeFault"]["code"] == 500


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) |
                    st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=3) |
                    st.dictionaries(st.text(max_size=10), inner, max_size=3), max_leaves=8)
SERVER_KEYS = st.sampled_from(["name", "imageRef", "flavorRef", "networks", "metadata",
                               "min_count", "max_count", "block_device_mapping_v2"])
ACTIONS = st.sampled_from(["reboot", "os-start", "os-stop", "start", "shutdown", "console",
                           "os-getVNCConsole", "resize", "type"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(server=st.dictionaries(SERVER_KEYS, JSON, max_size=6), action=ACTIONS, arg=JSON,
       query=st.dictionaries(st.sampled_from(["limit", "marker", "changes-since", "status",
                                              "name", "deleted", "is_public", "minRam"]),
                             st.text(max_size=12), max_size=3))
def test_no_input_gives_a_500(world, server, action, arg, query):
    if not hasattr(world, "fuzz_server"):
        world.fuzz_server = world.create(name="fuzz")
    responses = [
        world.post(f"{C}/servers", {"server": server}, status="*"),
        world.post(f"{C}/servers/{world.fuzz_server}/action", {action: arg}, status="*"),
        world.put(f"{C}/servers/{world.fuzz_server}", {"server": server}, status="*"),
        world.post(f"{C}/servers/{world.fuzz_server}/metadata", {"metadata": arg}, status="*"),
        world.get(f"{C}/servers/detail", params=query, status="*"),
        world.get(f"{C}/flavors/detail", params=query, status="*"),
        world.app.post("/identity/v3/auth/tokens", json.dumps({"auth": arg}),
                       headers={"Content-Type": "application/json"}, status="*"),
    ]
    for response in responses:
        assert response.status_int < 500, response.text
        if response.status_int >= 400:
            (name, fault), = response.json.items()
            assert fault["message"]
    world.settle()
