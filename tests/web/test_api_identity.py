"""The Keystone v3 subset and the legacy v1.0 login."""
import pytest

from synnefo.core.services import accounts


def password_auth(name, password, scope=True):
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": name, "domain": {"name": "Default"}, "password": password}}}}}
    if scope:
        body["auth"]["scope"] = {"project": {"name": name, "domain": {"name": "Default"}}}
    return body


def test_identity_version_documents(world):
    assert world.app.get("/identity/v3").json["version"]["id"].startswith("v3")
    assert world.app.get("/identity/v3/").json["version"]["status"] == "stable"
    assert world.app.get("/identity").json["versions"]["values"][0]["id"].startswith("v3")


def test_password_token_works_on_the_compute_api(world):
    response = world.app.post_json("/identity/v3/auth/tokens", password_auth("alice", "alice-pw"),
                                   status=201)
    token = response.headers["X-Subject-Token"]
    body = response.json["token"]
    assert body["user"]["name"] == "alice" and body["project"]["name"] == "alice"
    catalog = {entry["type"]: entry for entry in body["catalog"]}
    assert set(catalog) == {"compute", "image", "identity"}
    urls = {e["interface"]: e["url"] for e in catalog["compute"]["endpoints"]}
    assert urls["public"] == "http://localhost/compute/v2.1"
    listing = world.app.get("/compute/v2.1/servers", headers={"X-Auth-Token": token})
    assert listing.json == {"servers": []}


def test_token_is_stored_hashed(world):
    response = world.app.post_json("/identity/v3/auth/tokens", password_auth("bob", "bob-pw"))
    token = response.headers["X-Subject-Token"]
    with world.core.uow() as uow:
        hashes = [t.token_hash for t in uow.session.scalars(accounts.sa.select(accounts.ApiToken))]
    assert token not in hashes and accounts.hash_token(token) in hashes


def test_token_method_issues_a_new_token(world):
    body = {"auth": {"identity": {"methods": ["token"], "token": {"id": world.bob_token}}}}
    response = world.app.post_json("/identity/v3/auth/tokens", body, status=201)
    assert response.headers["X-Subject-Token"] != world.bob_token
    assert response.json["token"]["user"]["name"] == "bob"


@pytest.mark.parametrize("name,password", [("alice", "wrong"), ("nobody", "x")])
def test_bad_credentials_are_401(world, name, password):
    response = world.app.post_json("/identity/v3/auth/tokens", password_auth(name, password),
                                   status=401)
    assert response.json["unauthorized"]["code"] == 401


@pytest.mark.parametrize("body", [{}, {"auth": {}}, {"auth": {"identity": {"methods": []}}},
                                  {"auth": {"identity": {"methods": ["saml2"]}}}])
def test_malformed_auth_requests_are_400(world, body):
    assert "badRequest" in world.app.post_json("/identity/v3/auth/tokens", body, status=400).json


def test_expired_token_is_401(world):
    with world.core.uow() as uow:
        user = accounts.find_user(uow.session, "alice")
        token, _ = accounts.issue_token(uow.session, user, 1)
        uow.session.flush()
        for row in user.tokens:
            row.expires = row.created.replace(year=2000)
    response = world.app.get("/compute/v2.1/servers", headers={"X-Auth-Token": token}, status=401)
    assert "requires authentication" in response.json["unauthorized"]["message"]


@pytest.mark.parametrize("headers", [{}, {"X-Auth-Token": "notused"}])
def test_missing_or_unknown_token_is_401(world, headers):
    response = world.app.get("/compute/v2.1/servers/detail", headers=headers, status=401)
    assert response.json["unauthorized"]["code"] == 401


def test_legacy_v1_0_login(world):
    response = world.app.get("/v1.0", headers={"X-Auth-User": "alice", "X-Auth-Key": "alice-pw"},
                             status=204)
    assert response.headers["X-Server-Management-Url"] == "http://localhost/compute/v2.1"
    token = response.headers["X-Auth-Token"]
    world.app.get("/compute/v2.1/servers", headers={"X-Auth-Token": token}, status=200)
    world.app.get("/v1.0", headers={"X-Auth-User": "alice", "X-Auth-Key": "no"}, status=401)
