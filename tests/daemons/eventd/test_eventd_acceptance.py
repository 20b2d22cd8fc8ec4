"""Acceptance: Ganeti writes job files -> snf-ganeti-eventd -> the bus -> the dispatcher -> the DB.

Runs on RabbitMQ (with PostgreSQL) and on the embedded broker (with SQLite), via ``bus_env``.
"""
from __future__ import annotations

import threading

import pytest
import requests
import sqlalchemy as sa

from ganeti_testlib import load_version, versions, write_like_ganeti
from synnefo.core.db.models import Server
from synnefo.core.domain.state import API_STATUS_FROM_OPER_STATE, OperState
from synnefo.daemons.dispatcher import start_in_process
from synnefo.daemons.eventd.cli import build_eventd
from synnefo.daemons.eventd.config import EventdConfig
from synnefo.testing.bus import seed_servers, wait_for
from synnefo.testing.bus_fixtures import *  # noqa: F401,F403 - fixtures
from synnefo.testing.rapi_simulator import RapiSimulator

NODE = "node1.example.test"


@pytest.fixture
def queue_dir(tmp_path):
    ganeti = tmp_path / "ganeti"
    (ganeti / "queue").mkdir(parents=True)
    (ganeti / "ssconf_master_node").write_text(NODE + "\n")
    (ganeti / "ssconf_cluster_name").write_text("cluster.example.test\n")
    return ganeti / "queue"


@pytest.fixture
def pipeline(bus_env, bus_core, queue_dir, tmp_path):
    """eventd (publishing to the test's broker) and the dispatcher, both running."""
    config = EventdConfig(queue_dir=str(queue_dir), ssconf_dir=str(queue_dir.parent),
                          node_name=NODE, state=str(tmp_path / "eventd.sqlite"),
                          spool=str(tmp_path / "spool.sqlite"), master_check_interval=0.2,
                          retry_interval=0.5)
    eventd = build_eventd(bus_env.settings, config)
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=eventd.run, args=(stop, ready.set), daemon=True)
    thread.start()
    assert ready.wait(10)
    dispatcher = start_in_process(bus_core)
    yield bus_core
    dispatcher.stop()
    stop.set()
    thread.join(10)
    eventd.close()


def server_row(core, server_id) -> Server:
    with core.uow() as uow:
        return uow.session.execute(sa.select(Server).where(Server.id == server_id)).scalar_one()


def _as(data: bytes, recorded_name: bytes, instance: str) -> bytes:
    return data.replace(recorded_name, instance.encode())


def test_recorded_create_then_failed_reboot_show_active_with_the_reboot_error(
        pipeline, bus_env, queue_dir):
    core = pipeline
    [server_id] = seed_servers(core, 1)
    instance = core.naming.instance_name(server_id)
    for n, version in enumerate(versions("create-success")):
        write_like_ganeti(str(queue_dir), 6, _as(load_version(version), b"snf-101", instance),
                          writer="luxid" if n < 3 else "job")
    wait_for(lambda: server_row(core, server_id).operstate == OperState.STARTED.value,
             what="the created server to be STARTED")
    for version in versions("hook-pre-veto"):
        write_like_ganeti(str(queue_dir), 31, _as(load_version(version), b"snf-103", instance))
    wait_for(lambda: server_row(core, server_id).backend_status == "error",
             what="the failed reboot to reach the server")
    row = server_row(core, server_id)
    assert API_STATUS_FROM_OPER_STATE[OperState(row.operstate)].value == "ACTIVE"
    assert (row.backend_job_id, row.backend_opcode) == (31, "OP_INSTANCE_REBOOT")
    assert "veto from fixture pre-hook" in row.backend_logmsg


def test_rapi_simulator_jobs_flow_through_eventd_to_the_dispatcher(pipeline, queue_dir):
    core = pipeline
    [server_id] = seed_servers(core, 1)
    instance = core.naming.instance_name(server_id)
    with RapiSimulator(users={"admin": "secret"}, queue_dir=queue_dir,
                       first_job_id=500).start() as sim:
        create = requests.post(f"{sim.url}/2/instances", auth=("admin", "secret"), timeout=10,
                               json={"__version__": 1, "mode": "create",
                                     "instance_name": instance, "os_type": "noop",
                                     "disk_template": "diskless", "disks": [], "nics": [{}]})
        assert create.status_code == 200, create.text
        sim.finish_job(create.json())
        wait_for(lambda: server_row(core, server_id).operstate == OperState.STARTED.value,
                 what="the created server to be STARTED")
        reboot = requests.post(f"{sim.url}/2/instances/{instance}/reboot",
                               auth=("admin", "secret"), timeout=10)
        sim.finish_job(reboot.json(), "error", "the hypervisor said no")
        wait_for(lambda: server_row(core, server_id).backend_job_id == reboot.json()
                 and server_row(core, server_id).backend_status == "error",
                 what="the failed reboot to reach the server")
    row = server_row(core, server_id)
    assert row.operstate == OperState.STARTED.value
    assert "the hypervisor said no" in row.backend_logmsg
