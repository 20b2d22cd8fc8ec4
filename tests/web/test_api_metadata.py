"""Server metadata with Nova's semantics and limits (the test world allows 5 items)."""
import pytest

S = "/compute/v2.1/servers"


@pytest.fixture
def server(world):
    return f"{S}/{world.create(metadata={'a': '1', 'b': '2'})}/metadata"


def test_get_all_and_one(world, server):
    assert world.get(server).json == {"metadata": {"a": "1", "b": "2"}}
    assert world.get(f"{server}/a").json == {"meta": {"a": "1"}}
    response = world.get(f"{server}/zzz", status=404)
    assert "Metadata item was not found" in response.json["itemNotFound"]["message"]


def test_post_merges(world, server):
    merged = world.post(server, {"metadata": {"b": "two", "c": "3"}}).json
    assert merged == {"metadata": {"a": "1", "b": "two", "c": "3"}}
    assert world.get(server).json == merged


def test_put_replaces_everything(world, server):
    assert world.put(server, {"metadata": {"z": "26"}}).json == {"metadata": {"z": "26"}}
    assert world.get(server).json == {"metadata": {"z": "26"}}
    assert world.put(server, {"metadata": {}}).json == {"metadata": {}}


def test_put_one_key_creates_or_replaces(world, server):
    assert world.put(f"{server}/c", {"meta": {"c": "3"}}).json == {"meta": {"c": "3"}}
    assert world.put(f"{server}/a", {"meta": {"a": "one"}}).json == {"meta": {"a": "one"}}
    assert world.get(server).json["metadata"] == {"a": "one", "b": "2", "c": "3"}


@pytest.mark.parametrize("body,message", [
    ({"meta": {"other": "x"}}, "Request body and URI mismatch"),
    ({"meta": {"c": "x", "d": "y"}}, "too many items"),
    ({"meta": "c"}, "meta"),
    ({"meta": {"c": 3}}, "strings"),
    ({"meta": {"c": "v" * 256}}, "255"),
    ({}, "meta"),
])
def test_put_one_key_rejects_bad_bodies(world, server, body, message):
    response = world.put(f"{server}/c", body, status=400)
    assert message in response.json["badRequest"]["message"]


def test_delete_one_key(world, server):
    world.delete(f"{server}/a", status=204)
    assert world.get(server).json == {"metadata": {"b": "2"}}
    world.delete(f"{server}/a", status=404)


def test_key_and_value_lengths(world, server):
    world.post(server, {"metadata": {"k" * 256: "v"}}, status=400)
    world.post(server, {"metadata": {"": "v"}}, status=400)
    world.post(server, {"metadata": {"k": "v" * 256}}, status=400)
    world.post(server, {"metadata": {"k" * 255: "v" * 255}}, status=200)


def test_too_many_items_is_403_and_changes_nothing(world, server):
    response = world.post(server, {"metadata": {str(i): "x" for i in range(4)}}, status=403)
    assert "Quota exceeded for metadata_items" in response.json["forbidden"]["message"]
    assert world.get(server).json == {"metadata": {"a": "1", "b": "2"}}
    world.put(server, {"metadata": {str(i): "x" for i in range(6)}}, status=403)
    world.put(server, {"metadata": {str(i): "x" for i in range(5)}}, status=200)
    world.put(f"{server}/new", {"meta": {"new": "x"}}, status=403)


def test_too_many_items_at_create_is_403(world):
    body = {"server": {"name": "vm", "imageRef": world.image, "flavorRef": "1",
                       "networks": "none", "metadata": {str(i): "x" for i in range(6)}}}
    world.post(S, body, status=403)
    assert world.get(S).json["servers"] == []


def test_metadata_changes_bump_updated_for_changes_since(world, server):
    server_id = server.split("/")[-2]
    before = world.row(server_id).updated
    world.post(server, {"metadata": {"c": "3"}})
    assert world.row(server_id).updated > before


def test_malformed_metadata_bodies(world, server):
    world.post(server, {"meta": {}}, status=400)
    world.post(server, {"metadata": "x"}, status=400)
    world.app.post(server, "not json", headers=world.headers(), status=400)
