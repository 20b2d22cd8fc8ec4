"""``POST /servers/{id}/action`` and remote consoles."""
from urllib.parse import quote

import pytest

from synnefo.core.errors import BackendUnavailable

S = "/compute/v2.1/servers"


def action(world, server_id, body, status=202, **kw):
    return world.post(f"{S}/{server_id}/action", body, status=status, **kw)


def status_of(world, server_id):
    server = world.get(f"{S}/{server_id}").json["server"]
    return server["status"], server["OS-EXT-STS:task_state"]


def test_actions_show_transitional_states_until_the_backend_confirms(world_factory):
    world = world_factory(**{"fake.job_delay": "0.5"})
    server_id = world.create()
    steps = [({"reboot": {"type": "SOFT"}}, ("REBOOT", "rebooting"), ("ACTIVE", None)),
             ({"reboot": {"type": "hard"}}, ("HARD_REBOOT", "rebooting_hard"), ("ACTIVE", None)),
             ({"os-stop": None}, ("ACTIVE", "powering-off"), ("SHUTOFF", None)),
             ({"os-start": {}}, ("SHUTOFF", "powering-on"), ("ACTIVE", None))]
    for body, during, after in steps:
        assert action(world, server_id, body).body == b""
        assert status_of(world, server_id) == during
        world.settle()
        assert status_of(world, server_id) == after


@pytest.mark.parametrize("kind", ["SOFT", "HARD"])
def test_reboot_submits_a_reboot_job(world, kind):
    server_id = world.create()
    action(world, server_id, {"reboot": {"type": kind}})
    world.settle()
    assert status_of(world, server_id) == ("ACTIVE", None)
    assert world.row(server_id).backend_opcode == "OP_INSTANCE_REBOOT"


@pytest.mark.parametrize("stop,start", [("os-stop", "os-start"), ("shutdown", "start")])
def test_stop_then_start(world, stop, start):
    server_id = world.create()
    action(world, server_id, {stop: None})
    world.settle()
    assert status_of(world, server_id) == ("SHUTOFF", None)
    shown = world.get(f"{S}/{server_id}").json["server"]
    assert shown["OS-EXT-STS:power_state"] == 4 and shown["OS-EXT-STS:vm_state"] == "stopped"
    assert "progress" not in shown   # Nova shows progress for ACTIVE and BUILD only
    action(world, server_id, {start: {}})
    world.settle()
    assert status_of(world, server_id) == ("ACTIVE", None)


def test_start_on_a_running_server_is_409(world):
    server_id = world.create()
    response = action(world, server_id, {"os-start": None}, status=409)
    assert "Cannot 'start' instance" in response.json["conflictingRequest"]["message"]
    assert "active" in response.json["conflictingRequest"]["message"]


def test_stop_and_soft_reboot_on_a_stopped_server_are_409_but_hard_reboot_works(world):
    server_id = world.create()
    action(world, server_id, {"os-stop": None})
    world.settle()
    action(world, server_id, {"os-stop": None}, status=409)
    action(world, server_id, {"reboot": {"type": "SOFT"}}, status=409)
    action(world, server_id, {"reboot": {"type": "HARD"}})
    world.settle()
    assert status_of(world, server_id) == ("ACTIVE", None)


def test_any_action_but_delete_while_building_is_409(world_factory):
    world = world_factory(**{"fake.job_delay": "1"})
    server_id = world.create(settle=False)
    for body in ({"reboot": {"type": "SOFT"}}, {"os-stop": None}, {"os-start": None},
                 {"console": {"type": "vnc"}}):
        response = action(world, server_id, body, status=409)
        assert "building" in response.json["conflictingRequest"]["message"]
    world.delete(f"{S}/{server_id}", status=204)


def test_actions_on_a_server_being_deleted_or_deleted_are_409(world_factory):
    world = world_factory(**{"fake.job_delay": "0.5"})
    server_id = world.create()
    world.delete(f"{S}/{server_id}", status=204)
    response = action(world, server_id, {"reboot": {"type": "HARD"}}, status=409)
    assert "being deleted" in response.json["conflictingRequest"]["message"]
    world.settle()
    response = action(world, server_id, {"os-start": None}, status=409)
    assert "has been deleted" in response.json["conflictingRequest"]["message"]


def test_console_while_hard_rebooting_works_as_in_nova_but_not_when_stopped(world_factory):
    world = world_factory(**{"fake.job_delay": "0.5"})
    server_id = world.create()
    action(world, server_id, {"reboot": {"type": "HARD"}})
    assert status_of(world, server_id) == ("HARD_REBOOT", "rebooting_hard")
    action(world, server_id, {"console": {"type": "vnc"}}, status=200)
    world.settle()
    action(world, server_id, {"os-stop": None})
    world.settle()
    response = action(world, server_id, {"console": {"type": "vnc"}}, status=409)
    assert response.json["conflictingRequest"]["message"]


def test_second_action_while_one_is_pending_is_409(world_factory):
    world = world_factory(**{"fake.job_delay": "0.5"})
    server_id = world.create()
    action(world, server_id, {"os-stop": None})
    response = action(world, server_id, {"reboot": {"type": "SOFT"}}, status=409)
    assert "task_state powering-off" in response.json["conflictingRequest"]["message"]


def test_backend_unavailable_on_an_action_is_503_and_nothing_is_pending(world):
    server_id = world.create()
    world.driver.script_refusal("reboot", BackendUnavailable("RAPI connection refused"))
    response = action(world, server_id, {"reboot": {"type": "SOFT"}}, status=503)
    assert "RAPI connection refused" in response.json["serviceUnavailable"]["message"]
    assert status_of(world, server_id) == ("ACTIVE", None)


@pytest.mark.parametrize("body,message", [
    ({}, "exactly one key"),
    ({"reboot": {"type": "SOFT"}, "os-stop": None}, "exactly one key"),
    ({"fly": {}}, "no such action: fly"),
    ({"reboot": {"type": "GENTLE"}}, "type"),
    ({"reboot": {}}, "type"),
    ({"reboot": "SOFT"}, "must be an object"),
    ({"console": {"type": "spice"}}, 'Type can only be "vnc"'),
])
def test_malformed_actions_are_400(world, body, message):
    server_id = world.create()
    response = action(world, server_id, body, status=400)
    assert message in response.json["badRequest"]["message"]


def test_synnefo_console_action(world_factory):
    world = world_factory(**{"fake.console_host": "192.0.2.7", "fake.console_port": "11000"})
    server_id = world.create()
    console = action(world, server_id, {"console": {"type": "vnc"}}, status=200).json["console"]
    assert console["type"] == "vnc" and console["host"] and console["port"] > 0
    assert len(console["password"]) >= 8
    opened = world.core.console_proxy.opened[-1]
    assert opened[:2] == ("192.0.2.7", 11000)   # where the backend driver says the VNC is
    assert opened[2].port == console["port"] and opened[2].password == console["password"]


@pytest.mark.parametrize("kind", ["novnc", "vnc-ws"])
def test_synnefo_console_action_web_types(world, kind):
    server_id = world.create()
    console = action(world, server_id, {"console": {"type": kind}}, status=200).json["console"]
    forwarding = world.core.console_proxy.opened[-1][2]
    assert console == {"type": kind, "url": "http://localhost/console/#url=" +
                       quote(forwarding.websocket_url, safe="") +
                       f"&password={forwarding.password}"}
    action(world, server_id, {"console": {"type": "spice"}}, status=400)


def test_web_console_without_websocket_endpoint_is_400(world_factory):
    world = world_factory(**{"fake_console.websocket_url": ""})
    server_id = world.create()
    response = action(world, server_id, {"console": {"type": "novnc"}}, status=400)
    assert "Unavailable console type novnc" in response.json["badRequest"]["message"]


def test_console_page_is_served_with_a_strict_policy(world):
    page = world.app.get("/console/", status=200)
    assert "app/console.js" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "import RFB" in world.app.get("/console/app/console.js", status=200).text
    assert "export default class RFB" in world.app.get("/console/novnc/core/rfb.js").text
    world.app.get("/console/elsewhere/x.js", status=404)
    world.app.get("/console/app/../../__init__.py", status=404)
    world.app.post("/console/", status=405)


def test_get_vnc_console_up_to_2_5(world):
    server_id = world.create()
    console = action(world, server_id, {"os-getVNCConsole": {"type": "novnc"}}, status=200,
                     version="2.5").json["console"]
    forwarding = world.core.console_proxy.opened[-1][2]
    assert console["type"] == "novnc"
    assert console["url"] == ("http://localhost/console/#url=" +
                              quote(forwarding.websocket_url, safe="") +
                              f"&password={forwarding.password}")
    native = action(world, server_id, {"os-getVNCConsole": {"type": "xvpvnc"}}, status=200,
                    version="2.5").json["console"]
    forwarding = world.core.console_proxy.opened[-1][2]
    assert native["url"] == (f"vnc://{forwarding.host}:{forwarding.port}"
                             f"?VncPassword={forwarding.password}")
    action(world, server_id, {"os-getVNCConsole": {"type": "novnc"}}, status=404, version="2.6")
    action(world, server_id, {"os-getVNCConsole": {"type": "spice-html5"}}, status=400,
           version="2.1")


def test_remote_consoles_from_2_6(world):
    server_id = world.create()
    body = {"remote_console": {"protocol": "vnc", "type": "novnc"}}
    console = world.post(f"{S}/{server_id}/remote-consoles", body).json["remote_console"]
    assert console["protocol"] == "vnc"
    assert console["url"].startswith("http://localhost/console/#url=ws")
    world.post(f"{S}/{server_id}/remote-consoles", body, version="2.5", status=404)
    bad = {"remote_console": {"protocol": "spice", "type": "spice-html5"}}
    world.post(f"{S}/{server_id}/remote-consoles", bad, status=400)
    world.post(f"{S}/{server_id}/remote-consoles", {"remote_console": {}}, status=400)


@pytest.mark.parametrize("route,body,version", [
    ("action", {"console": {"type": "vnc"}}, "2.1"),
    ("action", {"os-getVNCConsole": {"type": "novnc"}}, "2.5"),
    ("remote-consoles", {"remote_console": {"protocol": "vnc", "type": "novnc"}}, "2.6"),
])
def test_console_of_a_stopped_server_is_409(world, route, body, version):
    server_id = world.create()
    action(world, server_id, {"os-stop": None})
    world.settle()
    response = world.post(f"{S}/{server_id}/{route}", body, status=409, version=version)
    assert "Cannot 'console'" in response.json["conflictingRequest"]["message"]
    assert world.core.console_proxy.opened == []


def test_console_proxy_failure_is_503(world_factory):
    world = world_factory(**{"fake_console.fail": "true"})
    server_id = world.create()
    response = action(world, server_id, {"console": {"type": "vnc"}}, status=503)
    assert "Could not allocate VNC console" in response.json["serviceUnavailable"]["message"]


def test_actions_on_a_server_that_never_reached_a_backend_are_409(world):
    from synnefo.core.services import catalog
    with world.core.uow() as uow:
        for backend in catalog.list_backends(uow.session):
            backend.drained = True
    server_id = world.create()
    assert status_of(world, server_id) == ("ERROR", None)
    for body in ({"reboot": {"type": "HARD"}}, {"os-stop": None}):
        response = action(world, server_id, body, status=409)
        assert "not on any backend" in response.json["conflictingRequest"]["message"]
    assert status_of(world, server_id) == ("ERROR", None)
    world.delete(f"{S}/{server_id}", status=204)
    world.get(f"{S}/{server_id}", status=404)
