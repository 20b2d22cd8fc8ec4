"""The dispatcher against a real broker: in-process, as a daemon, dead letters and queue-retry."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import kombu
import sqlalchemy as sa

from synnefo.core import messages
from synnefo.core.contracts.bus import Message
from synnefo.core.db.models import Server
from synnefo.daemons.dispatcher import start_in_process
from synnefo.messaging import admin
from synnefo.messaging.connection import connect
from synnefo.testing.bus import seed_servers, wait_for
from synnefo.testing.bus_fixtures import *  # noqa: F401,F403 - fixtures

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def operstates(core, ids) -> dict[int, str]:
    with core.uow() as uow:
        rows = uow.session.execute(sa.select(Server.id, Server.operstate).where(Server.id.in_(ids)))
        return dict(rows.all())


def all_started(core, ids):
    return set(operstates(core, ids).values()) == {"STARTED"}


def publish_creates(core, ids, prefix):
    for sid in ids:
        core.publisher.publish(messages.op_status(f"{prefix}{sid}", "OP_INSTANCE_CREATE", sid,
                                                  "success", T0))


def depths(settings) -> dict[str, int]:
    with admin.open_bus(settings) as (_conn, channel, topology):
        return {row[key]: row[count] for row in admin.depths(channel, topology)
                for key, count in (("queue", "ready"), ("dead_letter_queue", "dead_lettered"))}


def manage(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synnefo.daemons.manage", "-c", str(env.ini), *args],
                          capture_output=True, text=True, timeout=120)


def test_the_dispatcher_runs_inside_another_process(bus_env, bus_core):
    ids = seed_servers(bus_core, 5)
    handle = start_in_process(bus_core)
    try:
        publish_creates(bus_core, ids, bus_env.prefix)
        wait_for(lambda: all_started(bus_core, ids), what="servers to start")
    finally:
        handle.stop()
    assert not handle.thread.is_alive()


def test_snf_dispatcher_with_two_workers_applies_everything_and_stops_on_sigterm(
        bus_env, bus_core, processes):
    ids = seed_servers(bus_core, 30)
    publish_creates(bus_core, ids, bus_env.prefix)
    proc = processes.snf_dispatcher(bus_env.ini, workers=2)
    wait_for(lambda: all_started(bus_core, ids), what="servers to start")
    assert processes.terminate(proc) == 0
    log = processes.log("snf-dispatcher")
    assert log.count("started dispatcher worker") == 2
    assert log.count("dispatcher worker stopped") >= 2
    assert depths(bus_env.settings)[f"{bus_env.prefix.split('-')[0]}-events-op"] == 0


def bad_messages(prefix: str, purged: int) -> list[tuple[bytes | dict, str | None]]:
    """(body, expected dead-letter reason or None if it must simply be acked)."""
    p = prefix.split("-")[0]
    return [
        (b"{this is not json", "malformed JSON"),
        ({"type": "ganeti-mystery", "instance": f"{prefix}1"}, "unknown message type 'ganeti-mystery'"),
        ({"type": "ganeti-op-status", "instance": f"{prefix}1", "operation": "OP_INSTANCE_STARTUP",
          "jobId": -4, "status": "success", "event_time": [1, 0]}, "invalid ganeti-op-status: jobId"),
        ({"type": "ganeti-op-status", "instance": f"zz{p}-1", "operation": "OP_INSTANCE_STARTUP",
          "jobId": 4, "status": "success", "event_time": [1, 0]}, None),
        ({"type": "ganeti-op-status", "instance": f"{prefix}{purged}", "operation": "OP_INSTANCE_STARTUP",
          "jobId": 4, "status": "success", "event_time": [1, 0]}, None),
    ]


def publish_raw(core, routing_key: str, body) -> None:
    if isinstance(body, dict):
        core.publisher.publish(Message(routing_key, body))
        return
    with connect(core.settings) as connection:
        kombu.Producer(connection.channel()).publish(body, exchange="ganeti",
                                                     routing_key=routing_key, delivery_mode=2)


def test_bad_input_is_dead_lettered_with_its_reason_and_queue_retry_brings_it_back(
        bus_env, bus_core, processes):
    [purged] = seed_servers(bus_core, 1)
    with bus_core.uow() as uow:
        uow.session.execute(sa.delete(Server).where(Server.id == purged))
    prefix, key = bus_env.prefix, f"ganeti.{bus_env.prefix.split('-')[0]}.event.op"
    cases = bad_messages(prefix, purged)
    bus_core.publisher.publish(Message(key, {"type": "ganeti-op-status"}))  # schema: missing keys
    for body, _ in cases:
        publish_raw(bus_core, key, body)
    op_queue, dl_queue = f"{prefix.split('-')[0]}-events-op", f"{prefix.split('-')[0]}-events-op-dl"
    proc = processes.snf_dispatcher(bus_env.ini, workers=1)
    expected = sorted([r for _, r in cases if r] + ["invalid ganeti-op-status"])
    wait_for(lambda: depths(bus_env.settings)[dl_queue] == len(expected), what="dead letters")
    wait_for(lambda: "not one of our instances" in processes.log("snf-dispatcher")
             and "ignored (server purged" in processes.log("snf-dispatcher"), what="acks")
    assert processes.terminate(proc) == 0
    assert depths(bus_env.settings)[op_queue] == 0

    inspected = manage(bus_env, "queue-inspect", "--json")
    assert inspected.returncode == 0, inspected.stderr
    report = json.loads(inspected.stdout)
    letters = [d for d in report["dead_letters"] if d["queue"] == dl_queue]
    assert len(letters) == len(expected)
    for reason in expected:
        assert any(d["reason"].startswith(reason) for d in letters), (reason, letters)
    assert all(d["origin"] == op_queue for d in letters)
    assert {r["queue"]: r["dead_lettered"] for r in report["queues"]}[op_queue] == len(expected)

    table = manage(bus_env, "queue-inspect")  # what an operator reads on a terminal
    assert table.returncode == 0, table.stderr
    assert dl_queue in table.stdout and "REASON" in table.stdout
    assert all(reason in table.stdout for reason in expected)

    retried = manage(bus_env, "queue-retry", "--queue", "ganeti-op-status", "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout) == [{"dead_letter_queue": dl_queue, "moved": len(expected)}]
    assert depths(bus_env.settings)[dl_queue] == 0
    assert depths(bus_env.settings)[op_queue] == len(expected)


def test_messages_dead_lettered_during_a_database_outage_are_applied_after_queue_retry(
        bus_env, bus_core, processes, tmp_path):
    ids = seed_servers(bus_core, 3)
    down = bus_env.with_settings(tmp_path, "down.ini", db_url=_unreachable(bus_env))
    publish_creates(bus_core, ids, bus_env.prefix)
    dl_queue = f"{bus_env.prefix.split('-')[0]}-events-op-dl"
    proc = processes.snf_dispatcher(down.ini, workers=1, name="down")
    wait_for(lambda: depths(bus_env.settings)[dl_queue] == 3, what="dead letters")
    assert processes.terminate(proc) == 0
    assert "gave up after 1 retries" in processes.log("down")
    assert operstates(bus_core, ids) == {i: "BUILD" for i in ids}

    assert manage(bus_env, "queue-retry").returncode == 0
    proc = processes.snf_dispatcher(bus_env.ini, workers=1, name="up")
    wait_for(lambda: all_started(bus_core, ids), what="servers to start")
    assert processes.terminate(proc) == 0


def _unreachable(env) -> str:
    if env.kind == "rabbitmq":
        return "postgresql://postgres@127.0.0.1:9/nowhere"
    return "sqlite:///no/such/directory/synnefo.sqlite"
