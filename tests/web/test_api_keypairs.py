"""``/os-keypairs``: generate, import, list, show, delete; microversions 2.2, 2.10, 2.35, 2.92."""
import pytest
from cryptography.hazmat.primitives import serialization

from synnefo.core.services import accounts
from synnefo.testing.keys import md5_fingerprint, openssh_public_key

KP = "/compute/v2.1/os-keypairs"


def test_generated_ed25519_key_pairs_with_its_public_key(world):
    body = world.post(KP, {"keypair": {"name": "gen"}}, version="2.91", status=201).json["keypair"]
    private = serialization.load_ssh_private_key(body["private_key"].encode(), None)
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH).decode()
    assert body["public_key"].startswith(public)
    assert body["fingerprint"] == md5_fingerprint(body["public_key"])
    assert body["type"] == "ssh" and body["user_id"] == str(world.alice_id)
    shown = world.get(f"{KP}/gen").json["keypair"]
    assert "private_key" not in shown and shown["public_key"] == body["public_key"]


def test_explicit_ssh_type_generates_rsa_and_x509_a_certificate(world):
    rsa = world.post(KP, {"keypair": {"name": "r", "type": "ssh"}}, version="2.2").json["keypair"]
    assert rsa["public_key"].startswith("ssh-rsa ")
    assert "RSA PRIVATE KEY" in rsa["private_key"]
    cert = world.post(KP, {"keypair": {"name": "c", "type": "x509"}}, version="2.2").json["keypair"]
    assert cert["public_key"].startswith("-----BEGIN CERTIFICATE-----") and cert["type"] == "x509"
    imported = world.post(KP, {"keypair": {"name": "c2", "type": "x509",
                                           "public_key": cert["public_key"]}},
                          version="2.2").json["keypair"]
    assert imported["fingerprint"] == cert["fingerprint"]


def test_import_keeps_the_key_and_nova_fingerprint(world):
    key = openssh_public_key()
    body = world.post(KP, {"keypair": {"name": "mine", "public_key": key}}).json["keypair"]
    assert body["public_key"] == key and "private_key" not in body
    assert body["fingerprint"] == md5_fingerprint(key)


@pytest.mark.parametrize("key", ["ssh-rsa AAAAnotbase64!!", "not a key", "ssh-ed25519",
                                 "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])
def test_malformed_public_key_is_400(world, key):
    response = world.post(KP, {"keypair": {"name": "bad", "public_key": key}}, status=400)
    assert "Keypair data is invalid" in response.json["badRequest"]["message"]
    assert world.get(KP).json["keypairs"] == []


@pytest.mark.parametrize("name,version", [("a/b", "2.96"), ("", "2.96"), ("x" * 256, "2.96"),
                                          ("a@b.c", "2.91"), ("   ", "2.96"), ("é", "2.96")])
def test_bad_names_are_400(world, name, version):
    body = {"keypair": {"name": name, "public_key": openssh_public_key()}}
    response = world.post(KP, body, version=version, status=400)
    assert "name" in response.json["badRequest"]["message"]


def test_at_and_dot_are_allowed_from_2_92(world):
    body = {"keypair": {"name": "me@host.example", "public_key": openssh_public_key()}}
    assert world.post(KP, body, version="2.92", status=201).json["keypair"]["name"] == body["keypair"]["name"]


def test_2_92_requires_a_public_key(world):
    response = world.post(KP, {"keypair": {"name": "gen"}}, version="2.92", status=400)
    assert "public_key" in response.json["badRequest"]["message"]


def test_duplicate_name_is_409_but_other_users_may_use_it(world):
    key = openssh_public_key()
    world.post(KP, {"keypair": {"name": "k", "public_key": key}})
    response = world.post(KP, {"keypair": {"name": "k", "public_key": key}}, status=409)
    assert "already exists" in response.json["conflictingRequest"]["message"]
    world.post(KP, {"keypair": {"name": "k", "public_key": key}}, user="bob", status=201)


def test_keys_are_isolated_between_users(world):
    world.post(KP, {"keypair": {"name": "secret", "public_key": openssh_public_key()}})
    assert world.get(KP, user="bob").json["keypairs"] == []
    world.get(f"{KP}/secret", user="bob", status=404)
    world.delete(f"{KP}/secret", user="bob", status=404)
    world.get(f"{KP}/secret", status=200)


def test_user_id_query_is_for_admins_only(world):
    world.post(KP, {"keypair": {"name": "bobs", "public_key": openssh_public_key()}}, user="bob")
    response = world.get(f"{KP}?user_id={world.bob_id}", version="2.10", status=403)
    assert "forbidden" in response.json
    with world.core.uow() as uow:
        accounts.find_user(uow.session, "alice").is_admin = True
    world.app.app.registry.token_cache.clear()   # the role counts once the cache lets go
    names = [k["keypair"]["name"] for k in
             world.get(f"{KP}?user_id={world.bob_id}", version="2.10").json["keypairs"]]
    assert names == ["bobs"]
    assert world.get(f"{KP}?user_id={world.bob_id}", version="2.9").json["keypairs"] == []
    world.post(KP, {"keypair": {"name": "forbob", "user_id": str(world.bob_id),
                                "public_key": openssh_public_key()}}, version="2.10")
    world.get(f"{KP}/forbob", user="bob")
    world.delete(f"{KP}/forbob?user_id={world.bob_id}", version="2.10", status=204)
    world.get(f"{KP}/forbob", user="bob", status=404)


def test_paging_by_name_from_2_35(world):
    for name in ("d", "b", "a", "c", "e"):
        world.post(KP, {"keypair": {"name": name, "public_key": openssh_public_key()}})
    page = world.get(f"{KP}?limit=2", version="2.35").json
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["a", "b"]
    assert page["keypairs_links"][0]["href"].endswith("os-keypairs?limit=2&marker=b")
    page = world.get(f"{KP}?limit=2&marker=d", version="2.35").json
    assert [k["keypair"]["name"] for k in page["keypairs"]] == ["e"]
    assert "keypairs_links" not in page
    world.get(f"{KP}?marker=zzz", version="2.35", status=400)
    assert len(world.get(f"{KP}?limit=2", version="2.34").json["keypairs"]) == 5


def test_shapes_and_statuses_by_microversion(world):
    key = openssh_public_key()
    old = world.post(KP, {"keypair": {"name": "old", "public_key": key, "type": "x509"}},
                     version="2.1", status=200).json["keypair"]
    assert "type" not in old
    assert set(world.get(KP, version="2.1").json["keypairs"][0]["keypair"]) == {
        "name", "public_key", "fingerprint"}
    shown = world.get(f"{KP}/old", version="2.1").json["keypair"]
    assert set(shown) == {"name", "public_key", "fingerprint", "user_id", "id", "created_at",
                          "updated_at", "deleted", "deleted_at"}
    world.delete(f"{KP}/old", version="2.1", status=202)
    world.post(KP, {"keypair": {"name": "new", "public_key": key}}, version="2.2", status=201)
    world.delete(f"{KP}/new", version="2.2", status=204)
    assert world.get(KP).json["keypairs"] == []


def test_bad_type_is_400_and_quota_is_403(world_factory):
    world = world_factory(max_keypairs="1")
    world.post(KP, {"keypair": {"name": "a", "type": "pgp"}}, version="2.2", status=400)
    world.post(KP, {"keypair": {"name": "a", "public_key": openssh_public_key()}})
    response = world.post(KP, {"keypair": {"name": "b", "public_key": openssh_public_key()}},
                          status=403)
    assert "too many key pairs" in response.json["forbidden"]["message"]
    assert world.get("/compute/v2.1/limits").json["limits"]["absolute"]["maxTotalKeypairs"] == 1


def test_keypairs_and_key_name_on_every_database(any_db_world):
    world = any_db_world
    key = openssh_public_key()
    for name in ("b", "a"):
        world.post(KP, {"keypair": {"name": name, "public_key": key}})
    world.post(KP, {"keypair": {"name": "a", "public_key": key}}, status=409)
    page = world.get(f"{KP}?limit=1&marker=a", version="2.35").json["keypairs"]
    assert [k["keypair"]["name"] for k in page] == ["b"]
    server_id = world.create(key_name="a")
    assert world.get(f"/compute/v2.1/servers/{server_id}").json["server"]["key_name"] == "a"
