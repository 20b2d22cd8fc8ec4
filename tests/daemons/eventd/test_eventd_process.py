"""snf-ganeti-eventd as operators run it: the console script, its .ini, signals, restarts."""
import os
import signal
import subprocess
import threading
import time

import pytest

from ganeti_testlib import (load_version, script, versions, write_ini, write_like_ganeti)
from ganeti_testlib import prefix, tap  # noqa: F401 - fixtures
from synnefo.daemons.eventd.watcher import archive_path

NODE = "node1.example.test"


@pytest.fixture
def ini(tmp_path, prefix):
    ganeti = tmp_path / "ganeti"
    (ganeti / "queue").mkdir(parents=True)
    (ganeti / "ssconf_master_node").write_text(NODE + "\n")
    (ganeti / "ssconf_cluster_name").write_text("cluster.example.test\n")
    # Relative paths are taken from the .ini's directory, not from where eventd is started.
    return write_ini(tmp_path / "synnefo.ini", prefix=prefix, queue_dir="ganeti/queue",
                     ssconf_dir="ganeti", node_name=NODE, state="lib/eventd.sqlite",
                     spool="spool/messages.sqlite", pid_file="run/eventd.pid",
                     master_check_interval="0.2", retry_interval="0.5")


class Eventd:
    """The console script in the foreground, started from ``/`` like systemd would."""

    def __init__(self, ini, *args):
        self.proc = subprocess.Popen([script("snf-ganeti-eventd"), "-c", ini, *args], cwd="/",
                                     stderr=subprocess.PIPE, text=True)
        self.lines = []
        self._publishing = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        assert self._publishing.wait(20), self.lines

    def _read(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            if "publishing" in line:
                self._publishing.set()


def test_killed_eventd_loses_no_update_made_while_it_was_down(tmp_path, ini, prefix, tap):
    queue = str(tmp_path / "ganeti" / "queue")
    create, multi = versions("create-success"), versions("multi-op-success")
    eventd = Eventd(ini)
    write_like_ganeti(queue, 6, load_version(create[0], prefix), writer="luxid")
    assert [b["status"] for b in tap.collect(1)] == ["queued"]
    eventd.proc.kill()
    eventd.proc.wait()

    for version in create[1:]:  # the create finishes while nobody watches
        write_like_ganeti(queue, 6, load_version(version, prefix))
    for version in multi:  # a whole job runs and is archived while nobody watches
        write_like_ganeti(queue, 18, load_version(version, prefix))
    os.makedirs(os.path.dirname(archive_path(queue, 18)))
    os.rename(os.path.join(queue, "job-18"), archive_path(queue, 18))

    restarted = Eventd(ini)
    bodies = tap.collect(3) + tap.drain(quiet=1.0)
    assert sorted((b["jobId"], b["operation"], b["status"]) for b in bodies) == [
        (6, "OP_INSTANCE_CREATE", "success"), (18, "OP_INSTANCE_SHUTDOWN", "success"),
        (18, "OP_INSTANCE_STARTUP", "success")]
    restarted.proc.send_signal(signal.SIGTERM)
    assert restarted.proc.wait(20) == 0
    assert any("stopped" in line for line in restarted.lines)


def test_daemon_mode_writes_a_pid_file_and_stops_on_sigterm(tmp_path, ini, prefix, tap):
    pid_file = tmp_path / "run" / "eventd.pid"
    launcher = subprocess.run([script("snf-ganeti-eventd"), ini, "--daemon"], cwd="/",
                              timeout=30)
    assert launcher.returncode == 0
    pid = _wait_for_pid(pid_file)
    write_like_ganeti(str(tmp_path / "ganeti" / "queue"), 6,
                      load_version(versions("create-success")[-1], prefix))
    assert [b["status"] for b in tap.collect(1)] == ["success"]
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 20
    while (pid_file.exists() or _alive(pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_file.exists()
    assert not _alive(pid)


def test_a_bad_config_stops_with_a_clear_error(tmp_path, prefix):
    bad = write_ini(tmp_path / "bad.ini", prefix=prefix, retry_interval="soon")
    result = subprocess.run([script("snf-ganeti-eventd"), "-c", bad], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert "retry_interval" in result.stderr


def test_a_missing_queue_dir_is_an_error_naming_it(tmp_path, prefix):
    bad = write_ini(tmp_path / "bad.ini", prefix=prefix, queue_dir=str(tmp_path / "nowhere"),
                    state=str(tmp_path / "s.sqlite"), spool=str(tmp_path / "p.sqlite"))
    result = subprocess.run([script("snf-ganeti-eventd"), "-c", bad], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 1
    assert "nowhere" in result.stderr


def _wait_for_pid(pid_file):
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if pid_file.exists() and pid_file.read_text().strip():
            return int(pid_file.read_text().strip())
        time.sleep(0.05)
    raise AssertionError(f"{pid_file} never appeared")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_stale_pid_file_left_by_kill_9_does_not_block_the_next_start(tmp_path, ini, prefix,
                                                                       tap):
    pid_file = tmp_path / "run" / "eventd.pid"
    pid_file.parent.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file.write_text(f"{dead.pid}\n")
    started = subprocess.run([script("snf-ganeti-eventd"), ini, "--daemon"], timeout=30)
    assert started.returncode == 0
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (not pid_file.exists()
                                           or pid_file.read_text().strip() == str(dead.pid)):
        time.sleep(0.05)
    pid = _wait_for_pid(pid_file)
    assert pid != dead.pid
    second = subprocess.run([script("snf-ganeti-eventd"), ini, "--daemon"], capture_output=True,
                            text=True, timeout=30)
    assert second.returncode == 1 and f"already running as pid {pid}" in second.stderr
    os.kill(pid, signal.SIGTERM)
    while (pid_file.exists() or _alive(pid)) and time.monotonic() < deadline + 20:
        time.sleep(0.05)
    assert not _alive(pid)
