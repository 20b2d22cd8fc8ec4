"""The built-in handlers, driven through ``dispatch`` against each database."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from synnefo.core import messages
from synnefo.core.app import build_core
from synnefo.core.db.models import Server
from synnefo.core.hookspecs import hookimpl
from synnefo.daemons.dispatcher.dispatch import Action, dispatch
from synnefo.testing.bus import seed_servers

T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


class Events:
    def __init__(self):
        self.changed, self.finished = [], []

    @hookimpl
    def vm_state_changed(self, event):
        self.changed.append(event)

    @hookimpl
    def backend_job_finished(self, event):
        self.finished.append(event)


@pytest.fixture
def events():
    return Events()


@pytest.fixture
def core(migrated_url, settings_factory, events):
    core = build_core(settings_factory(migrated_url, hooks="", instance_prefix="snf-"),
                      extra_hook_plugins=[("events", events)])
    yield core
    core.close()


@pytest.fixture
def server_id(core):
    return seed_servers(core, 1)[0]


def send(core, message) -> object:
    body = message.body if isinstance(message, messages.Message) else message
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return dispatch(core, raw, {})


def load(core, server_id) -> Server:
    with core.uow() as uow:
        server = uow.session.get(Server, server_id)
        server.nics  # noqa: B018 - load before the session closes
        return server


def op(server_id, opcode, job, status, seconds, logmsg=None):
    return messages.op_status(f"snf-{server_id}", opcode, job, status,
                              T0 + dt.timedelta(seconds=seconds), logmsg=logmsg)


def test_successful_create_starts_the_server_and_fires_hooks_after_commit(core, server_id, events):
    assert send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "running", 1)).action == Action.ACK
    assert load(core, server_id).operstate == "BUILD"
    assert send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "success", 2)).action == Action.ACK
    server = load(core, server_id)
    assert (server.operstate, server.backend_job_id, server.backend_status) == ("STARTED", 7, "success")
    assert server.build_progress == 100
    assert [(e.old_operstate, e.new_operstate) for e in events.changed] == [("BUILD", "STARTED")]
    assert [(e.job_id, e.status) for e in events.finished] == [(7, "success")]


class SeesTheDatabase:
    """A hook plugin that reads the server from a fresh unit of work when it is called."""

    def __init__(self):
        self.core, self.seen = None, []

    @hookimpl
    def vm_state_changed(self, event):
        with self.core.uow() as uow:
            self.seen.append(uow.session.get(Server, event.server_id).operstate)


def test_hooks_fire_after_the_commit_with_frozen_events(migrated_url, settings_factory, events):
    watcher = SeesTheDatabase()
    core = build_core(settings_factory(migrated_url, hooks="", instance_prefix="snf-"),
                      extra_hook_plugins=[("events", events), ("watcher", watcher)])
    watcher.core = core
    try:
        [server_id] = seed_servers(core, 1)
        send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "success", 1))
    finally:
        core.close()
    assert watcher.seen == ["STARTED"]  # committed: another transaction already sees it
    for event in events.changed + events.finished:
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.job_id = 99


def test_failed_create_puts_the_server_in_error_with_the_log_message_as_fault(core, server_id):
    send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "error", 1, logmsg="disk full on node2"))
    server = load(core, server_id)
    assert (server.operstate, server.fault_message) == ("ERROR", "disk full on node2")


def test_successful_remove_marks_the_server_deleted(core, server_id):
    send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "success", 1))
    send(core, op(server_id, "OP_INSTANCE_REMOVE", 8, "success", 2))
    server = load(core, server_id)
    assert (server.operstate, server.deleted) == ("DESTROYED", True)
    assert server.deleted_at is not None


def test_stale_and_duplicate_notifications_change_nothing(core, server_id, events):
    send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "success", 5))
    send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "success", 5))
    send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "running", 4))
    server = load(core, server_id)
    assert (server.operstate, server.backend_status) == ("STARTED", "success")
    assert len(events.finished) == 1


def test_net_status_replaces_the_nics_and_ignores_older_reports(core, server_id):
    nics = [{"index": 0, "mac": "aa:00:00:00:00:01", "ip": "192.0.2.10", "link": "br0"},
            {"mac": "aa:00:00:00:00:02", "ip": "", "ipv6": "2001:db8::2", "network": "private"}]
    send(core, messages.net_status(f"snf-{server_id}", nics, T0 + dt.timedelta(seconds=2)))
    send(core, messages.net_status(f"snf-{server_id}", [{"mac": "aa:00:00:00:00:09"}],
                                   T0 + dt.timedelta(seconds=1)))
    got = [(n.index, n.mac, n.ipv4, n.ipv6, n.link, n.network) for n in load(core, server_id).nics]
    assert got == [(0, "aa:00:00:00:00:01", "192.0.2.10", None, "br0", None),
                   (1, "aa:00:00:00:00:02", None, "2001:db8::2", None, "private")]


@pytest.mark.parametrize("reported, stored", [(37.6, 37), (250, 100), (-5, 0)])
def test_create_progress_is_clamped(core, server_id, reported, stored):
    send(core, messages.create_progress(f"snf-{server_id}", reported, T0))
    assert load(core, server_id).build_progress == stored


def test_synnefo_06_progress_messages_are_understood(core, server_id):
    send(core, {"type": "ganeti-create-progress", "instance": f"snf-{server_id}",
                "rprogress": 40.0, "wprogress": 39.0})
    assert load(core, server_id).build_progress == 40


@pytest.mark.parametrize("instance", ["other-5", "snf-abc", "snf-012", "ganeti-master"])
def test_other_instances_are_acked_and_ignored(core, server_id, instance, caplog):
    message = messages.op_status(instance, "OP_INSTANCE_CREATE", 1, "success", T0)
    caplog.set_level("INFO")
    assert send(core, message).action == Action.ACK
    assert f"{instance!r}" in caplog.text and "not one of our instances" in caplog.text
    assert load(core, server_id).operstate == "BUILD"


def test_a_purged_server_is_acked_and_ignored(core, server_id):
    with core.uow() as uow:
        uow.session.execute(sa.delete(Server).where(Server.id == server_id))
    assert send(core, op(server_id, "OP_INSTANCE_CREATE", 7, "success", 1)).action == Action.ACK
    assert send(core, messages.net_status(f"snf-{server_id}", [], T0)).action == Action.ACK


@pytest.mark.parametrize("body, reason", [
    ({"type": "ganeti-op-status", "instance": "snf-1", "operation": "OP_INSTANCE_CREATE",
      "jobId": "seven", "status": "success", "event_time": [1, 0]}, "jobId"),
    ({"type": "ganeti-op-status", "instance": "snf-1", "operation": "OP_INSTANCE_CREATE",
      "jobId": 7, "status": "exploded", "event_time": [1, 0]}, "status"),
    ({"type": "ganeti-op-status", "instance": "snf-1", "operation": "OP_INSTANCE_CREATE",
      "jobId": 7, "status": "success"}, "event_time"),
    ({"type": "ganeti-net-status", "instance": "snf-1", "nics": [{"mac": "zz"}],
      "event_time": [1, 0]}, "not a MAC address"),
    ({"type": "ganeti-net-status", "instance": "snf-1", "nics": "eth0", "event_time": [1, 0]}, "nics"),
    ({"type": "ganeti-create-progress", "instance": "snf-1"}, "progress"),
    ({"type": "ganeti-create-progress", "instance": "snf-1", "progress": "NaN"}, "not a number"),
])
def test_payloads_failing_their_schema_are_dead_lettered_before_the_database(core, server_id,
                                                                            body, reason):
    body = {**body, "instance": f"snf-{server_id}"}
    outcome = send(core, body)
    assert outcome.action == Action.DEAD_LETTER
    assert outcome.reason.startswith(f"invalid {body['type']}") and reason in outcome.reason
    assert load(core, server_id).operstate == "BUILD"
