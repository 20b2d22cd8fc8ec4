"""The Ganeti side when things break: the broker out of reach (the hook spools, the eventd
replays) and an eventd SIGKILLed in the middle of a job."""
from __future__ import annotations

import json
import signal
import sqlite3

import pytest

from labhelpers import until


@pytest.fixture
def server(stack, api):
    server_id = api.create("lab-resilience")
    api.wait(server_id, "ACTIVE")
    yield server_id
    api.delete(server_id)
    api.wait(server_id, "DELETED")


def spooled(stack) -> list[dict]:
    """Bodies waiting in the Ganeti side's spool (shared by the hook and the eventd)."""
    path = stack.dir / "eventd-spool.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [json.loads(row[0]) for row in db.execute("SELECT body FROM messages ORDER BY id")]


def test_hook_spools_while_the_broker_is_unreachable_and_eventd_replays(
        stack, api, rapi, ganeti_lab, server):
    name = stack.instance(server)
    stack.stop_eventd()            # only the hook can tell the story while the broker is gone
    ganeti_lab.script("amqp", "off")
    try:
        api.action(server, {"os-stop": None})
        until(lambda: rapi.instance(name)["status"] == "ADMIN_down", "the stop never ran")
        hook_messages = until(
            lambda: [b for b in spooled(stack) if b.get("instance") == name],
            f"the hook spooled nothing for {name}")
        assert hook_messages[-1]["type"] == "ganeti-net-status"
        assert api.server(server)["status"] == "ACTIVE"   # nothing reached the dispatchers
    finally:
        ganeti_lab.script("amqp", "on")
        stack.start_eventd()
    api.wait(server, "SHUTOFF")
    until(lambda: not spooled(stack), "the spool was never replayed")


def test_eventd_sigkilled_mid_job_catches_up_after_restart(stack, api, rapi, ganeti_lab):
    server_id = api.create("lab-sigkill")
    name = stack.instance(server_id)
    log = stack.dir / f"eventd{stack.eventd_runs}.log"
    until(lambda: f"OP_INSTANCE_CREATE {name}: running" in log.read_text(),
          "eventd never saw the create running", interval=0.05)
    stack.stop_eventd(signal.SIGKILL)
    until(lambda: (rapi.instance(name) or {}).get("status") == "running",
          "the create never finished in Ganeti")
    assert api.server(server_id)["status"] == "BUILD"
    stack.start_eventd()
    api.wait(server_id, "ACTIVE")
    api.delete(server_id)
    api.wait(server_id, "DELETED")
