"""``key_name``, ``user_data`` and ``personality`` on server create: checked, stored, shown
(``key_name``) and handed to the backend driver in the ``InstanceSpec``."""
import base64

import pytest

from synnefo.core.services import boot_data
from synnefo.testing.keys import openssh_public_key

KP = "/compute/v2.1/os-keypairs"

SERVERS = "/compute/v2.1/servers"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def create_body(**extra) -> dict:
    return {"server": {"name": "vm", "imageRef": "IMAGE", "flavorRef": "1", "networks": "none",
                       **extra}}


def post_create(world, status=202, version="2.96", **extra):
    body = create_body(**extra)
    body["server"]["imageRef"] = world.image
    return world.post(SERVERS, body, version=version, status=status)


def spec_of(world, server_id):
    return world.driver.specs[world.core.naming.instance_name(int(server_id))]


def test_key_name_reaches_the_driver_and_the_server_document(world):
    key = openssh_public_key()
    world.post(KP, {"keypair": {"name": "laptop", "public_key": key}})
    server_id = world.create(key_name="laptop")
    spec = spec_of(world, server_id)
    assert spec.key_name == "laptop" and spec.public_keys == (key,)
    assert world.get(f"{SERVERS}/{server_id}").json["server"]["key_name"] == "laptop"
    world.delete(f"{KP}/laptop", status=204)
    assert world.get(f"{SERVERS}/{server_id}").json["server"]["key_name"] == "laptop"
    plain = world.create(name="plain")
    assert world.get(f"{SERVERS}/{plain}").json["server"]["key_name"] is None
    assert spec_of(world, plain).public_keys == ()


def test_unknown_or_other_users_key_name_is_400(world):
    world.post(KP, {"keypair": {"name": "bobs", "public_key": openssh_public_key()}}, user="bob")
    for name in ("nope", "bobs"):
        response = post_create(world, status=400, key_name=name)
        assert "Invalid key_name" in response.json["badRequest"]["message"]
    assert world.get(f"{SERVERS}/detail").json["servers"] == []


def test_user_data_and_personality_reach_the_driver(world):
    data = b64(b"#cloud-config\nruncmd: [touch /tmp/ok]\n")
    files = [{"path": "/etc/motd", "contents": b64(b"hello")}]
    server_id = post_create(world, version="2.56", user_data=data,
                            personality=files).json["server"]["id"]
    world.settle()
    spec = spec_of(world, server_id)
    assert spec.user_data == data and spec.personality == (("/etc/motd", b64(b"hello")),)
    row = world.row(server_id)
    assert row.user_data == data and row.personality == [["/etc/motd", b64(b"hello")]]


def test_user_data_at_the_limit_passes_and_above_is_413(world):
    at_limit = "A" * (boot_data.MAX_USER_DATA - boot_data.MAX_USER_DATA % 4)
    post_create(world, user_data=at_limit)
    response = post_create(world, status=413, user_data="A" * (boot_data.MAX_USER_DATA + 1))
    assert str(boot_data.MAX_USER_DATA) in response.json["overLimit"]["message"]


@pytest.mark.parametrize("files,limit", [
    ([{"path": f"/f{i}", "contents": ""} for i in range(boot_data.MAX_FILES + 1)],
     boot_data.MAX_FILES),
    ([{"path": "/" + "p" * boot_data.MAX_PATH_BYTES, "contents": ""}], boot_data.MAX_PATH_BYTES),
    ([{"path": "/big", "contents": b64(b"x" * (boot_data.MAX_CONTENT_BYTES + 1))}],
     boot_data.MAX_CONTENT_BYTES),
])
def test_personality_over_a_limit_is_413_naming_it(world, files, limit):
    response = post_create(world, status=413, version="2.56", personality=files)
    assert f"limit is {limit}" in response.json["overLimit"]["message"]
    assert world.get(f"{SERVERS}/detail").json["servers"] == []


@pytest.mark.parametrize("extra,message", [
    ({"user_data": "not base64!"}, "valid base 64"),
    ({"personality": [{"path": "/x", "contents": "%%%"}]}, "cannot be decoded"),
    ({"personality": [{"path": "/x"}]}, "contents"),
    ({"key_name": 5}, "key_name"),
])
def test_malformed_boot_data_is_400(world, extra, message):
    response = post_create(world, status=400, version="2.56", **extra)
    assert message in response.json["badRequest"]["message"]


def test_personality_is_refused_from_2_57(world):
    files = [{"path": "/etc/motd", "contents": b64(b"hi")}]
    response = post_create(world, status=400, version="2.57", personality=files)
    assert "2.57" in response.json["badRequest"]["message"]


def test_limits_show_the_injected_file_limits_before_2_57(world):
    absolute = world.get("/compute/v2.1/limits", version="2.56").json["limits"]["absolute"]
    assert absolute["maxPersonality"] == boot_data.MAX_FILES
    assert absolute["maxPersonalitySize"] == boot_data.MAX_CONTENT_BYTES
    quota = world.get(f"/compute/v2.1/os-quota-sets/{world.alice_id}", version="2.56").json
    assert quota["quota_set"]["injected_file_path_bytes"] == boot_data.MAX_PATH_BYTES
    assert quota["quota_set"]["key_pairs"] == world.core.settings.max_keypairs
