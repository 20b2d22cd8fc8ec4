"""eventd end to end: a real inotify watch on a temp queue dir, job files written the way Ganeti
writes them, messages read back from the real RabbitMQ."""
import os
import threading

import pytest

from ganeti_testlib import load_version, recorded_status, versions, write_like_ganeti
from ganeti_testlib import prefix, tap  # noqa: F401 - fixtures
from synnefo.core.settings import parse_settings
from synnefo.daemons.eventd.cli import build_eventd
from synnefo.daemons.eventd.config import EventdConfig
from synnefo.daemons.eventd.watcher import archive_path
from synnefo.messaging.spool import Spool
from synnefo.testing.tcpproxy import TcpProxy

NODE = "node1.example.test"
CLUSTER = "cluster.example.test"


@pytest.fixture
def ganeti(tmp_path):
    """A Ganeti data dir: ``queue/`` and the ssconf files saying we are the master."""
    (tmp_path / "ganeti" / "queue").mkdir(parents=True)
    set_master(tmp_path / "ganeti", NODE)
    (tmp_path / "ganeti" / "ssconf_cluster_name").write_text(CLUSTER + "\n")
    return tmp_path / "ganeti"


def set_master(ganeti_dir, node):
    temp = ganeti_dir / "ssconf_master_node.tmp"
    temp.write_text(node + "\n")
    os.rename(temp, ganeti_dir / "ssconf_master_node")


class RunningEventd:
    def __init__(self, tmp_path, ganeti_dir, prefix, amqp_url):
        self.config = EventdConfig(
            queue_dir=str(ganeti_dir / "queue"), ssconf_dir=str(ganeti_dir), node_name=NODE,
            state=str(tmp_path / "lib" / "eventd.sqlite"),
            spool=str(tmp_path / "spool" / "messages.sqlite"),
            master_check_interval=0.2, retry_interval=0.3, connect_timeout=2,
            declare_topology=False)
        settings = parse_settings({"synnefo.amqp_url": amqp_url,
                                   "synnefo.instance_prefix": prefix}, environ={})
        self.eventd = build_eventd(settings, self.config)
        self.stop = threading.Event()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        assert ready.wait(10)

    def _run(self, ready):
        try:
            self.eventd.run(self.stop, ready.set)
        finally:
            self.eventd.close()

    def close(self):
        self.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive()


@pytest.fixture
def start_eventd(tmp_path, ganeti, prefix):
    running = []

    def start(amqp_url="amqp://guest:guest@127.0.0.1:5672//"):
        running.append(RunningEventd(tmp_path, ganeti, prefix, amqp_url))
        return running[-1]
    yield start
    for eventd in running:
        if eventd.thread.is_alive():
            eventd.close()


def _queue(ganeti):
    return str(ganeti / "queue")


def test_each_status_of_a_create_arrives_once_in_order(ganeti, prefix, tap, start_eventd):
    start_eventd()
    seen = []
    for n, version in enumerate(versions("create-success")):
        write_like_ganeti(_queue(ganeti), 6, load_version(version, prefix),
                          writer="luxid" if n < 3 else "job")
        if recorded_status(version) not in seen:
            seen.append(recorded_status(version))
            (body,) = tap.collect(1)
            assert (body["jobId"], body["status"]) == (6, seen[-1])
    assert seen == ["queued", "waiting", "running", "success"]
    assert tap.drain(quiet=1.0) == []  # 14 more rewrites, nothing republished
    assert body["instance"] == f"{prefix}101" and body["cluster"] == CLUSTER
    assert body["operation"] == "OP_INSTANCE_CREATE"


def test_a_failed_reboot_arrives_with_its_error(ganeti, prefix, tap, start_eventd):
    start_eventd()
    for version in versions("hook-pre-veto"):
        write_like_ganeti(_queue(ganeti), 31, load_version(version, prefix))
    bodies = tap.collect_until(lambda got: got and got[-1]["status"] == "error")
    bodies += tap.drain(quiet=0.5)
    assert bodies[-1]["status"] == "error"
    assert bodies[-1]["logmsg"].startswith("HooksAbort: ")
    assert [b["status"] for b in bodies].count("error") == 1


def test_multi_op_job_publishes_every_op(ganeti, prefix, tap, start_eventd):
    start_eventd()
    for version in versions("multi-op-success"):
        write_like_ganeti(_queue(ganeti), 18, load_version(version, prefix))
    def finals(got):
        return {b["operation"] for b in got if b["status"] == "success"}
    bodies = tap.collect_until(lambda got: len(finals(got)) == 2) + tap.drain(quiet=0.5)
    final = finals(bodies)
    assert final == {"OP_INSTANCE_SHUTDOWN", "OP_INSTANCE_STARTUP"}
    assert len({(b["operation"], b["status"]) for b in bodies}) == len(bodies)


def test_standby_publishes_nothing_then_takes_over_after_failover(ganeti, prefix, tap,
                                                                  start_eventd):
    set_master(ganeti, "node2.example.test")
    start_eventd()
    write_like_ganeti(_queue(ganeti), 6, load_version(versions("create-success")[-1], prefix))
    assert tap.drain(quiet=1.5) == []
    set_master(ganeti, NODE)
    (body,) = tap.collect(1)
    assert (body["jobId"], body["status"]) == (6, "success")


def test_broker_outage_spools_and_replays_once_in_order(ganeti, prefix, tap, start_eventd):
    switch = TcpProxy(("127.0.0.1", 5672)).start()  # a broker outage without stopping RabbitMQ
    try:
        eventd = start_eventd(f"amqp://guest:guest@127.0.0.1:{switch.port}//")
        write_like_ganeti(_queue(ganeti), 6, load_version(versions("create-success")[0], prefix))
        assert tap.collect(1)[0]["status"] == "queued"
        # Cutting between RabbitMQ's routing and its confirm reaching eventd would (rightly)
        # send that message again: delivery is at least once. Cut once it is confirmed.
        _wait_until_handled(eventd, versions("create-success")[0])
        switch.cut()
        for version in versions("create-success")[1:] + versions("multi-op-success"):
            job_id = 6 if "job-6." in version else 18
            write_like_ganeti(_queue(ganeti), job_id, load_version(version, prefix))
            _wait_until_handled(eventd, version)
        spooled = len(Spool(eventd.config.spool))
        assert spooled >= 3
        switch.restore()
        bodies = tap.collect(spooled) + tap.drain(quiet=1.0)
    finally:
        switch.cut()
    assert len(bodies) == spooled
    assert [(b["jobId"], b["status"]) for b in bodies if b["jobId"] == 6] == \
        [(6, "waiting"), (6, "running"), (6, "success")]
    assert len(Spool(eventd.config.spool)) == 0


def _wait_until_handled(eventd, version):
    """Let eventd see each version (it reads the newest content, so writes faster than it
    reads would only skip intermediate statuses, which is not what this test is about)."""
    import time
    deadline = time.monotonic() + 10
    mtime = os.stat(os.path.join(eventd.config.queue_dir, os.path.basename(version)
                                 .split(".")[0])).st_mtime
    while (eventd.eventd.state.checkpoint or 0) < mtime and time.monotonic() < deadline:
        time.sleep(0.02)


def test_jobs_archived_while_nobody_watched_are_found_by_the_start_scan(ganeti, prefix, tap,
                                                                         start_eventd):
    path = write_like_ganeti(_queue(ganeti), 6, load_version(versions("create-success")[-1],
                                                              prefix))
    os.makedirs(os.path.dirname(archive_path(_queue(ganeti), 6)))
    os.rename(path, archive_path(_queue(ganeti), 6))
    start_eventd()
    (body,) = tap.collect(1)
    assert (body["jobId"], body["status"]) == (6, "success")


def test_what_the_hook_spooled_during_an_outage_is_replayed_by_eventd(tmp_path, ganeti, prefix,
                                                                       tap, start_eventd):
    import subprocess

    from ganeti_testlib import hook_env, script, write_ini
    switch = TcpProxy(("127.0.0.1", 5672)).start()
    url = f"amqp://guest:guest@127.0.0.1:{switch.port}//"
    try:
        eventd = start_eventd(url)
        switch.cut()
        ini = write_ini(tmp_path / "hook.ini", prefix=prefix, amqp_url=url, node_name=NODE,
                        spool=eventd.config.spool)
        env = {**hook_env("instance-start.post", prefix), "SYNNEFO_CONFIG": ini}
        assert subprocess.run([script("snf-ganeti-hook")], env=env, cwd="/",
                              timeout=60).returncode == 0
        assert len(Spool(eventd.config.spool)) == 1
        switch.restore()
        (body,) = tap.collect(1)
    finally:
        switch.cut()
    assert (body["type"], body["instance"]) == ("ganeti-net-status", f"{prefix}101")
    assert tap.drain(quiet=1.0) == []
