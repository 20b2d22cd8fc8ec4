"""A representative run of the API on SQLite, PostgreSQL and MariaDB."""
S = "/compute/v2.1/servers"


def test_server_lifecycle_on_every_database(any_db_world):
    world = any_db_world
    token = world.app.post_json("/identity/v3/auth/tokens", {"auth": {"identity": {
        "methods": ["password"], "password": {"user": {"name": "alice", "password": "alice-pw"}}}}},
        status=201).headers["X-Subject-Token"]
    world.app.get(S, headers={"X-Auth-Token": token}, status=200)
    ids = [world.create(name=f"vm{i}", metadata={"i": str(i)}, settle=False) for i in range(3)]
    world.settle()
    page = world.get(f"{S}/detail?limit=2").json
    assert [s["id"] for s in page["servers"]] == [ids[2], ids[1]]
    assert {s["status"] for s in page["servers"]} == {"ACTIVE"}
    world.post(f"{S}/{ids[0]}/action", {"reboot": {"type": "HARD"}}, status=202)
    world.settle()
    world.post(f"{S}/{ids[0]}/action", {"os-start": None}, status=409)
    world.put(f"{S}/{ids[0]}/metadata/k", {"meta": {"k": "v"}})
    assert world.get(f"{S}/{ids[0]}/metadata").json["metadata"] == {"i": "0", "k": "v"}
    world.delete(f"{S}/{ids[1]}", status=204)
    world.settle()
    world.get(f"{S}/{ids[1]}", status=404)
    since = world.get(f"{S}/detail?changes-since=2000-01-01T00:00:00Z").json["servers"]
    assert {s["id"]: s["status"] for s in since}[ids[1]] == "DELETED"
    for i in range(4):
        world.create(name=f"more{i}", settle=False)
    world.settle()
    body = {"server": {"name": "x", "imageRef": world.image, "flavorRef": "1", "networks": "none"}}
    assert "Quota exceeded for instances" in world.post(S, body, status=403).json["forbidden"][
        "message"]
    world.get(f"{S}/{ids[0]}", user="bob", status=404)
    for huge in ("2147483648", "99999999999999999999999"):
        world.get(f"{S}/{huge}", status=404)
        world.post(f"{S}/{huge}/action", {"os-start": None}, status=404)
        world.get(f"{S}/{huge}/metadata", status=404)
        world.get(f"/compute/v2.1/flavors/{huge}", status=404)
    assert world.get(f"{S}?name=more&limit=10").json["servers"][0]["name"] == "more3"


def test_password_auth_by_user_id_on_every_database(any_db_world):
    world = any_db_world
    for user_id, status in ((str(world.alice_id), 201), ("99999999999999999999", 401),
                            ("abc", 401)):
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "id": user_id, "password": "alice-pw"}}}}}
        world.app.post_json("/identity/v3/auth/tokens", body, status=status)
