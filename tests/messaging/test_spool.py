"""The spool: broker down -> spooled; broker back -> replayed once, in order (real RabbitMQ)."""
import multiprocessing

import pytest

from ganeti_testlib import (BROKER_URL, UNREACHABLE_URL, side_publisher)
from ganeti_testlib import prefix, tap  # noqa: F401 - fixtures
from synnefo.core.contracts.bus import Publisher
from synnefo.core import messages
from synnefo.core.timeutil import utcnow
from synnefo.messaging.spool import Spool, SpoolingPublisher


def _message(prefix, n):
    return messages.op_status(f"{prefix}{n}", "OP_INSTANCE_STARTUP", n, "success", utcnow())


def _spooling(prefix, url, spool_path, **kw):
    return SpoolingPublisher(side_publisher(prefix, url), Spool(spool_path), **kw)


def test_spool_keeps_order_and_survives_reopening(tmp_path, prefix):
    path = str(tmp_path / "spool" / "messages.sqlite")
    spool = Spool(path)
    ids = [spool.append(_message(prefix, n)) for n in range(1, 6)]
    spool.remove(ids[0])
    spool.close()
    reopened = Spool(path)
    assert [m.body["jobId"] for _, m in reopened.peek()] == [2, 3, 4, 5]
    assert reopened.peek()[0][1].routing_key == _message(prefix, 2).routing_key


def test_broker_down_spools_then_replays_once_in_order(tmp_path, prefix, tap):
    path = str(tmp_path / "spool.sqlite")
    down = _spooling(prefix, UNREACHABLE_URL, path, retry_interval=0)
    for n in range(1, 21):
        down.publish(_message(prefix, n))
    assert down.pending == 20
    down.close()
    assert tap.drain(quiet=0.5) == []

    up = _spooling(prefix, BROKER_URL, path)  # a restarted process: the spool file is all it shares
    up.publish(_message(prefix, 21))  # must queue behind the spooled ones, not overtake them
    assert up.pending == 0
    received = tap.collect(21) + tap.drain(quiet=0.5)
    assert [body["jobId"] for body in received] == list(range(1, 22))
    up.close()


def test_each_replayed_message_is_logged_with_its_instance(tmp_path, prefix, tap, caplog):
    path = str(tmp_path / "spool.sqlite")
    spool = Spool(path)  # as snf-ganeti-hook leaves it: spooled, for the eventd to send
    spool.append(_message(prefix, 7))
    spool.close()
    up = _spooling(prefix, BROKER_URL, path)
    with caplog.at_level("INFO", logger="synnefo.messaging.spool"):
        assert up.flush() == 1
    up.close()
    assert tap.collect(1)[0]["instance"] == f"{prefix}7"
    sent = [r.getMessage() for r in caplog.records if r.getMessage().startswith("sent spooled")]
    assert sent == [f"sent spooled {_message(prefix, 7).routing_key} {prefix}7 (spool id 1)"]


def test_after_a_failure_the_broker_is_left_alone_until_the_retry_interval(tmp_path, prefix):
    clock = [100.0]
    attempts = []

    class Counting(Publisher):
        inner = side_publisher(prefix, UNREACHABLE_URL)

        def publish(self, message):
            attempts.append(message)
            self.inner.publish(message)

    publisher = SpoolingPublisher(Counting(),
                                  Spool(str(tmp_path / "s.sqlite")), retry_interval=30,
                                  clock=lambda: clock[0])
    for n in range(1, 4):
        publisher.publish(_message(prefix, n))
    assert len(attempts) == 1 and publisher.pending == 3
    clock[0] += 31
    assert publisher.flush() == 0
    assert len(attempts) == 2 and publisher.pending == 3


def _append_many(path, prefix, worker, count):
    spool = Spool(path)
    for n in range(count):
        spool.append(_message(prefix, worker * 1000 + n))
    spool.close()


def test_several_processes_can_append_to_one_spool(tmp_path, prefix):
    path = str(tmp_path / "shared.sqlite")
    Spool(path).close()
    workers = [multiprocessing.get_context("fork").Process(
        target=_append_many, args=(path, prefix, w, 50)) for w in (1, 2, 3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    job_ids = [m.body["jobId"] for _, m in Spool(path).peek(1000)]
    assert sorted(job_ids) == sorted(w * 1000 + n for w in (1, 2, 3) for n in range(50))
    for worker in (1, 2, 3):  # each writer's own messages stay in its order
        mine = [j for j in job_ids if j // 1000 == worker]
        assert mine == sorted(mine)
