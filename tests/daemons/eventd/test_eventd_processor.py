"""Job file -> messages, with the real persisted dedupe state (publisher: an in-memory recorder)."""
import os

import pytest

from ganeti_testlib import load_version, versions, write_like_ganeti
from synnefo.core.contracts.bus import Publisher
from synnefo.daemons.eventd.processor import JobFileProcessor
from synnefo.daemons.eventd.state import EventdState
from synnefo.daemons.eventd.watcher import archive_path, scan


class Recorder(Publisher):
    def __init__(self):
        self.sent = []

    def publish(self, message):
        self.sent.append(message)


@pytest.fixture
def queue_dir(tmp_path):
    path = tmp_path / "queue"
    path.mkdir()
    return str(path)


def _processor(tmp_path, recorder, **kw):
    state = EventdState(str(tmp_path / "state" / "eventd.sqlite"))
    return JobFileProcessor(recorder, state, lambda: "cluster.example.test", **kw)


def test_every_status_of_a_create_is_published_once_in_order(tmp_path, queue_dir):
    recorder = Recorder()
    processor = _processor(tmp_path, recorder)
    for version in versions("create-success"):
        processor.handle(write_like_ganeti(queue_dir, 6, load_version(version)))
    assert [m.body["status"] for m in recorder.sent] == ["queued", "waiting", "running", "success"]
    assert {m.body["cluster"] for m in recorder.sent} == {"cluster.example.test"}


def test_a_restarted_processor_does_not_republish(tmp_path, queue_dir):
    path = write_like_ganeti(queue_dir, 6, load_version(versions("create-success")[-1]))
    first, second = Recorder(), Recorder()
    _processor(tmp_path, first).handle(path)
    _processor(tmp_path, second).handle(path)
    assert [m.body["status"] for m in first.sent] == ["success"]
    assert second.sent == []


def test_multi_op_job_publishes_one_message_per_instance_op(tmp_path, queue_dir):
    recorder = Recorder()
    processor = _processor(tmp_path, recorder)
    for version in versions("multi-op-success"):
        processor.handle(write_like_ganeti(queue_dir, 18, load_version(version)))
    by_op = {}
    for message in recorder.sent:
        by_op.setdefault(message.body["operation"], []).append(message.body["status"])
    assert by_op == {"OP_INSTANCE_SHUTDOWN": ["queued", "waiting", "running", "success"],
                     "OP_INSTANCE_STARTUP": ["queued", "waiting", "running", "success"]}


def test_vanished_and_half_written_files_are_skipped(tmp_path, queue_dir):
    recorder = Recorder()
    processor = _processor(tmp_path, recorder)
    assert processor.handle(os.path.join(queue_dir, "job-77")).published == 0
    half = load_version(versions("create-success")[-1])
    path = write_like_ganeti(queue_dir, 6, half[: len(half) // 3])
    assert processor.handle(path).published == 0
    assert recorder.sent == []
    path = write_like_ganeti(queue_dir, 6, half)
    assert processor.handle(path).published == 1


def test_a_job_archived_before_it_was_read_is_read_from_the_archive(tmp_path, queue_dir):
    recorder = Recorder()
    path = write_like_ganeti(queue_dir, 6, load_version(versions("create-success")[-1]))
    os.makedirs(os.path.dirname(archive_path(queue_dir, 6)))
    os.rename(path, archive_path(queue_dir, 6))
    assert _processor(tmp_path, recorder).handle(path).published == 1
    assert recorder.sent[0].body["jobId"] == 6


def test_instances_of_other_deployments_are_not_published(tmp_path, queue_dir):
    recorder = Recorder()
    processor = _processor(tmp_path, recorder, instance_filter=lambda name: name.startswith("x-"))
    processor.handle(write_like_ganeti(queue_dir, 6, load_version(versions("create-success")[-1])))
    assert recorder.sent == []


def test_scan_finds_queue_and_archive_files_changed_since_a_time(queue_dir):
    data = load_version(versions("create-success")[-1])
    old = write_like_ganeti(queue_dir, 5, data)
    os.utime(old, (1000, 1000))
    new = write_like_ganeti(queue_dir, 6, data)
    archived = archive_path(queue_dir, 12345)
    os.makedirs(os.path.dirname(archived))
    os.rename(write_like_ganeti(queue_dir, 12345, data), archived)
    write_like_ganeti(queue_dir, 7, data, writer="luxid")
    open(os.path.join(queue_dir, "job-8x1y2z.new"), "wb").close()
    found = [path for _, path in scan(queue_dir, 2000)]
    assert sorted(found) == sorted([new, archived, os.path.join(queue_dir, "job-7")])


def test_the_watch_reports_only_final_job_names_and_notices_its_dir_vanishing(queue_dir):
    from synnefo.daemons.eventd.watcher import QueueWatcher
    watcher = QueueWatcher(queue_dir)
    try:
        data = load_version(versions("create-success")[0])
        write_like_ganeti(queue_dir, 22, data, writer="luxid")
        write_like_ganeti(queue_dir, 220, data)
        with open(os.path.join(queue_dir, "serial-1-1.tmp"), "w") as fh:
            fh.write("220\n")
        os.rename(os.path.join(queue_dir, "serial-1-1.tmp"), os.path.join(queue_dir, "serial"))
        assert watcher.read(timeout=2) == [os.path.join(queue_dir, "job-22"),
                                           os.path.join(queue_dir, "job-220")]
        for name in os.listdir(queue_dir):
            os.unlink(os.path.join(queue_dir, name))
        os.rmdir(queue_dir)
        with pytest.raises(OSError, match="was removed"):
            watcher.read(timeout=2)
    finally:
        watcher.close()


def test_the_watch_also_reports_a_job_file_written_in_place(queue_dir):
    from synnefo.daemons.eventd.watcher import QueueWatcher
    watcher = QueueWatcher(queue_dir)
    try:
        with open(os.path.join(queue_dir, "job-23"), "wb") as fh:  # no temp file, no rename
            fh.write(load_version(versions("create-success")[0]))
        assert watcher.read(timeout=2) == [os.path.join(queue_dir, "job-23")]
    finally:
        watcher.close()
