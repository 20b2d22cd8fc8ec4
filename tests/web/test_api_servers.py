"""``/servers``: create, list, show, rename, delete, against the fake backend."""
import pytest
import sqlalchemy as sa

from synnefo.core.db.models import Server
from synnefo.core.errors import BackendNotFound, BackendRefused, BackendUnavailable, Forbidden
from synnefo.core.hookspecs import hookimpl
from synnefo.core.services import catalog

S = "/compute/v2.1/servers"


def body(world, **extra):
    server = {"name": "vm1", "imageRef": world.image, "flavorRef": "1", "networks": "none"}
    server.update(extra)
    return {"server": server}


def test_create_answers_202_with_location_and_password(world_factory):
    world = world_factory(**{"fake.job_delay": "0.5"})
    response = world.post(S, body(world), status=202)
    server = response.json["server"]
    assert response.headers["Location"] == f"http://localhost{S}/{server['id']}"
    assert len(server["adminPass"]) >= 8 and server["links"][0]["rel"] == "self"
    row = world.row(server["id"])
    assert row.operstate == "BUILD" and row.task_job_id is not None
    shown = world.get(f"{S}/{server['id']}").json["server"]
    assert shown["status"] == "BUILD" and shown["OS-EXT-STS:task_state"] == "spawning"
    assert 0 <= shown["progress"] < 100
    world.settle()
    shown = world.get(f"{S}/{server['id']}").json["server"]
    assert shown["status"] == "ACTIVE" and shown["progress"] == 100
    assert shown["OS-EXT-STS:vm_state"] == "active" and shown["OS-EXT-STS:task_state"] is None
    assert world.row(server["id"]).task_job_id is None


@pytest.mark.parametrize("extra", [
    {"flavorRef": 1},
    {"flavorRef": "http://localhost/compute/flavors/1"},
    {"networks": "auto"},
    {"networks": [{"uuid": "public"}]},
    {"min_count": 1, "max_count": 1},
    {"metadata": {"purpose": "web"}},
    {"imageRef": "", "block_device_mapping_v2": [
        {"uuid": "IMAGE", "boot_index": 0, "source_type": "image",
         "destination_type": "local", "delete_on_termination": True}]},
    {"key_name": None, "security_groups": [{"name": "default"}], "user_data": "",
     "availability_zone": "nova", "config_drive": False},
])
def test_create_tolerates_what_clients_send(world, extra):
    for bdm in extra.get("block_device_mapping_v2", []):
        bdm["uuid"] = world.image
    server_id = world.post(S, body(world, **extra), status=202).json["server"]["id"]
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["image"]["id"] == world.image
    assert shown["metadata"] == extra.get("metadata", {})


def test_networks_are_required_from_2_37(world):
    no_networks = {"server": {"name": "vm", "imageRef": world.image, "flavorRef": "1"}}
    response = world.post(S, no_networks, version="2.37", status=400)
    assert "networks" in response.json["badRequest"]["message"]
    world.post(S, no_networks, version="2.36", status=202)


@pytest.mark.parametrize("extra,message", [
    ({"name": ""}, "name"),
    ({"name": 42}, "name"),
    ({"name": "x" * 256}, "name"),
    ({"flavorRef": "999"}, "Flavor 999 could not be found"),
    ({"flavorRef": "3"}, "Flavor 3 could not be found"),     # private flavor
    ({"flavorRef": None}, "flavorRef"),
    ({"imageRef": "no-such-image"}, "Image no-such-image could not be found"),
    ({"imageRef": ""}, "imageRef"),
    ({"metadata": ["a"]}, "metadata"),
    ({"metadata": {"k": 1}}, "strings"),
    ({"networks": "everything"}, "networks"),
    ({"min_count": 0}, "min_count"),
    ({"min_count": 2, "max_count": 1}, "min_count"),
    ({"block_device_mapping_v2": [{"uuid": "IMAGE", "source_type": "image",
                                   "destination_type": "volume", "boot_index": 0}],
      "imageRef": ""}, "local"),
])
def test_create_rejects_bad_input_with_400(world, extra, message):
    for bdm in extra.get("block_device_mapping_v2", []):
        bdm["uuid"] = world.image
    response = world.post(S, body(world, **extra), status=400)
    assert message in response.json["badRequest"]["message"]
    assert world.get(S).json["servers"] == []


def test_create_with_missing_server_key_is_400(world):
    assert "badRequest" in world.post(S, {"name": "vm"}, status=400).json


def test_another_users_private_image_cannot_be_used(world):
    response = world.post(S, body(world, imageRef=world.private_image), user="bob", status=400)
    assert "could not be found" in response.json["badRequest"]["message"]
    world.post(S, body(world, imageRef=world.private_image), user="alice", status=202)


def test_max_count_creates_several_servers(world):
    world.post(S, body(world, min_count=1, max_count=2), status=202)
    assert len(world.get(S).json["servers"]) == 2


def test_backend_failure_puts_the_server_in_error_with_its_message(world):
    world.driver.script_failure("create", "Not enough memory on node1")
    server_id = world.create(name="doomed")
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["status"] == "ERROR"
    assert "Not enough memory on node1" in shown["fault"]["message"]
    assert shown["fault"]["code"] == 500


@pytest.mark.parametrize("error", [BackendRefused("cluster says no: disk template"),
                                   BackendUnavailable("connection refused")])
def test_backend_refusing_the_submission_gives_error_not_loss(world, error):
    world.driver.script_refusal("create", error)
    server_id = world.post(S, body(world), status=202).json["server"]["id"]
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["status"] == "ERROR" and error.message in shown["fault"]["message"]
    with world.core.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count(Server.id))) == 1
    world.delete(f"{S}/{server_id}", status=204)
    world.get(f"{S}/{server_id}", status=404)


def test_no_enabled_backend_gives_error(world):
    with world.core.uow() as uow:
        for backend in catalog.list_backends(uow.session):
            backend.drained = True
    server_id = world.post(S, body(world), status=202).json["server"]["id"]
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["status"] == "ERROR" and "No valid host" in shown["fault"]["message"]


def test_default_scheduler_picks_the_backend_with_fewest_servers(world):
    with world.core.uow() as uow:
        second = catalog.add_backend(uow.session, "fake2", "fake").id
        offline = catalog.add_backend(uow.session, "fake3", "fake")
        offline.offline = True
    first = world.create(settle=False)
    other = world.create(settle=False)
    third = world.create(settle=False)
    backends = [world.row(i).backend_id for i in (first, other, third)]
    assert backends[0] != backends[1] and second in backends[:2]
    assert all(b in (world.backend_id, second) for b in backends)


def test_list_and_detail(world):
    ids = [world.create(name=f"vm{i}") for i in range(3)]
    brief = world.get(S).json["servers"]
    assert [s["id"] for s in brief] == list(reversed(ids))
    assert set(brief[0]) == {"id", "name", "links"}
    detail = world.get(f"{S}/detail").json["servers"]
    assert {s["status"] for s in detail} == {"ACTIVE"}


def test_filters_name_and_status(world):
    web = world.create(name="web-1")
    world.create(name="db-1")
    assert [s["id"] for s in world.get(f"{S}/detail?name=web").json["servers"]] == [web]
    world.post(f"{S}/{web}/action", {"os-stop": None}, status=202)
    world.settle()
    assert [s["id"] for s in world.get(f"{S}?status=SHUTOFF").json["servers"]] == [web]
    assert len(world.get(f"{S}?status=active").json["servers"]) == 1
    assert world.get(f"{S}?status=SHELVED").json["servers"] == []    # as Nova: no match
    assert world.get(f"{S}?name=%25").json["servers"] == []   # LIKE wildcards are literal


def test_pagination_with_limit_marker_and_links(world):
    ids = [world.create(name=f"vm{i}", settle=False) for i in range(5)]
    world.settle()
    page = world.get(f"{S}/detail?limit=2").json
    assert [s["id"] for s in page["servers"]] == [ids[4], ids[3]]
    next_href = page["servers_links"][0]["href"]
    assert page["servers_links"][0]["rel"] == "next" and f"marker={ids[3]}" in next_href
    page2 = world.get(next_href.replace("http://localhost", "")).json
    assert [s["id"] for s in page2["servers"]] == [ids[2], ids[1]]
    last = world.get(f"{S}?limit=2&marker={ids[1]}").json
    assert [s["id"] for s in last["servers"]] == [ids[0]] and "servers_links" not in last
    assert world.get(f"{S}?limit=0").json["servers"] == []
    assert "marker [999] not found" in world.get(f"{S}?marker=999", status=400).json[
        "badRequest"]["message"]
    world.get(f"{S}?limit=-1", status=400)
    world.get(f"{S}?limit=abc", status=400)


def test_changes_since_reports_deleted_servers(world):
    keep = world.create(name="keep")
    gone = world.create(name="gone")
    world.delete(f"{S}/{gone}", status=204)
    world.settle()
    assert [s["id"] for s in world.get(S).json["servers"]] == [keep]
    since = world.get(f"{S}/detail?changes-since=2000-01-01T00:00:00Z").json["servers"]
    assert {s["id"]: s["status"] for s in since} == {keep: "ACTIVE", gone: "DELETED"}
    assert world.get(f"{S}?changes-since=2999-01-01T00:00:00Z").json["servers"] == []
    assert "changes-since" in world.get(f"{S}?changes-since=yesterday", status=400).json[
        "badRequest"]["message"]


def test_changes_since_picks_up_later_changes_only(world):
    first = world.create(name="a")
    marker = world.row(first).updated.isoformat()
    second = world.create(name="b")
    from urllib.parse import quote
    changed = world.get(f"{S}?changes-since={quote(marker)}").json["servers"]
    assert second in {s["id"] for s in changed}


def test_deleted_filter(world):
    keep = world.create(name="keep")
    gone = world.create(name="gone")
    world.delete(f"{S}/{gone}", status=204)
    world.settle()
    assert [s["id"] for s in world.get(f"{S}/detail?deleted=False").json["servers"]] == [keep]
    assert [s["id"] for s in world.get(f"{S}/detail?deleted=True").json["servers"]] == [gone]


def test_rename(world):
    server_id = world.create()
    shown = world.put(f"{S}/{server_id}", {"server": {"name": "renamed"}}).json["server"]
    assert shown["name"] == "renamed"
    assert world.get(f"{S}/{server_id}").json["server"]["name"] == "renamed"
    world.put(f"{S}/{server_id}", {"server": {"name": ""}}, status=400)
    world.put(f"{S}/{server_id}", {"name": "x"}, status=400)


def test_delete_keeps_the_server_visible_as_deleting_until_the_backend_confirms(world_factory):
    world = world_factory(**{"fake.job_delay": "0.5"})
    server_id = world.create()
    world.delete(f"{S}/{server_id}", status=204)
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["OS-EXT-STS:task_state"] == "deleting" and shown["status"] == "ACTIVE"
    world.delete(f"{S}/{server_id}", status=204)    # again: still deleting, no new job
    world.settle()
    assert "itemNotFound" in world.get(f"{S}/{server_id}", status=404).json
    world.delete(f"{S}/{server_id}", status=404)
    assert world.driver.list_instances() == []


def test_delete_while_building_is_allowed(world):
    server_id = world.create(settle=False)
    world.delete(f"{S}/{server_id}", status=204)
    world.settle()
    world.get(f"{S}/{server_id}", status=404)


def test_delete_failure_at_the_backend_is_503_and_the_server_stays(world):
    server_id = world.create()
    world.driver.script_refusal("delete", BackendUnavailable("RAPI timed out"))
    response = world.delete(f"{S}/{server_id}", status=503)
    assert "RAPI timed out" in response.json["serviceUnavailable"]["message"]
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["status"] == "ACTIVE" and shown["OS-EXT-STS:task_state"] is None


def test_delete_of_an_instance_the_backend_does_not_know_completes(world):
    server_id = world.create()
    world.driver.script_refusal("delete", BackendNotFound("instance not found"))
    world.delete(f"{S}/{server_id}", status=204)
    world.get(f"{S}/{server_id}", status=404)


def test_progress_follows_the_build(world_factory):
    world = world_factory(**{"fake.job_delay": "1", "fake.progress_steps": "4"})
    server_id = world.create(settle=False)
    seen = set()
    while True:
        shown = world.get(f"{S}/{server_id}").json["server"]
        if shown["status"] != "BUILD":
            break
        seen.add(shown["progress"])
        world.driver.wait_idle(0.05)
    assert shown["status"] == "ACTIVE" and shown["progress"] == 100
    assert seen & {25, 50, 75}, seen


class Veto:
    """A hook plugin that vetoes creates named 'forbidden' and every reboot."""

    @hookimpl
    def before_server_create(self, uow, owner, flavor, image, name):
        if name == "forbidden":
            raise Forbidden(f"servers may not be called {name!r} here")

    @hookimpl
    def before_server_action(self, uow, server, action):
        if action == "reboot":
            raise Forbidden("reboots are frozen for maintenance")


def test_before_hooks_can_veto_and_nothing_happens(world):
    world.core.plugin_manager.register(Veto(), name="veto")
    response = world.post(S, body(world, name="forbidden"), status=403)
    assert "may not be called" in response.json["forbidden"]["message"]
    assert world.get(S).json["servers"] == [] and world.driver.list_instances() == []
    server_id = world.create(name="fine")
    response = world.post(f"{S}/{server_id}/action", {"reboot": {"type": "SOFT"}}, status=403)
    assert "frozen" in response.json["forbidden"]["message"]
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["status"] == "ACTIVE" and shown["OS-EXT-STS:task_state"] is None


def test_addresses_by_network(world):
    from synnefo.core.db.models import Nic
    server_id = world.create(networks="none")
    with world.core.uow() as uow:
        uow.session.query(Nic).filter(Nic.server_id == int(server_id)).delete()
        uow.session.add(Nic(server_id=int(server_id), index=0, mac="aa:00:00:00:00:01",
                            ipv4="192.0.2.7", ipv6="2001:db8::7", network="public"))
    expected = [{"version": 4, "addr": "192.0.2.7", "OS-EXT-IPS:type": "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": "aa:00:00:00:00:01"},
                {"version": 6, "addr": "2001:db8::7", "OS-EXT-IPS:type": "fixed",
                 "OS-EXT-IPS-MAC:mac_addr": "aa:00:00:00:00:01"}]
    assert world.get(f"{S}/{server_id}/ips").json == {"addresses": {"public": expected}}
    assert world.get(f"{S}/{server_id}/ips/public").json == {"public": expected}
    assert world.get(f"{S}/{server_id}").json["server"]["addresses"] == {"public": expected}
    world.get(f"{S}/{server_id}/ips/private", status=404)
    world.get(f"{S}/{server_id}/ips", user="bob", status=404)


def test_request_id_headers(world):
    response = world.get(S)
    assert response.headers["x-openstack-request-id"].startswith("req-")
    assert response.headers["x-compute-request-id"] == response.headers["x-openstack-request-id"]
