"""The embedded broker: shared by processes, and nothing lost when a consumer is killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import kombu
import pytest

from synnefo.messaging import embedded
from synnefo.testing.bus import wait_for


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path}/broker.sqlite"


def connection(url):
    return kombu.Connection(url, transport=embedded.Transport)


def declare(channel):
    exchange = kombu.Exchange("ganeti", "topic", durable=True)
    queue = kombu.Queue("q-op", exchange, routing_key="ganeti.t.event.op")
    queue(channel).declare()
    return exchange


def run(script: str, url: str) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import sys, time, kombu
        from synnefo.messaging import embedded
        conn = kombu.Connection({url!r}, transport=embedded.Transport)
        channel = conn.channel()
    """) + textwrap.dedent(script)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_bindings_declared_in_one_process_route_messages_published_in_another(url):
    with connection(url) as conn:
        declare(conn.channel())
    publisher = run("""
        kombu.Producer(channel).publish(b"hello", exchange="ganeti", routing_key="ganeti.t.event.op")
        print("sent", flush=True)
    """, url)
    assert publisher.communicate(timeout=60)[0].strip() == "sent"
    with connection(url) as conn:
        message = conn.channel().basic_get("q-op")
        assert message.body == b"hello"
        assert message.delivery_info["routing_key"] == "ganeti.t.event.op"


def test_a_message_held_by_a_killed_consumer_is_delivered_again(url):
    with connection(url) as conn:
        channel = conn.channel()
        declare(channel)
        kombu.Producer(channel).publish(b"precious", exchange="ganeti", routing_key="ganeti.t.event.op")
    consumer = run("""
        message = channel.basic_get("q-op")
        print(message.body.decode(), flush=True)
        time.sleep(600)
    """, url)
    assert consumer.stdout.readline().strip() == "precious"
    with connection(url) as conn:
        assert conn.channel().basic_get("q-op") is None  # leased by the live consumer
    os.kill(consumer.pid, signal.SIGKILL)
    consumer.wait()
    with connection(url) as conn:
        message = wait_for(lambda: conn.channel().basic_get("q-op"), timeout=30,
                           what="the killed consumer's message to come back")
        assert message.body == b"precious"


def test_ack_removes_and_reject_with_requeue_returns(url):
    with connection(url) as conn:
        channel = conn.channel()
        declare(channel)
        producer = kombu.Producer(channel)
        for body in (b"one", b"two"):
            producer.publish(body, exchange="ganeti", routing_key="ganeti.t.event.op")
        first = channel.basic_get("q-op")
        first.ack()
        second = channel.basic_get("q-op")
        second.reject(requeue=True)
        again = channel.basic_get("q-op")
        assert (first.body, again.body) == (b"one", b"two")
        again.ack()
        assert channel.queue_declare("q-op", passive=True).message_count == 0


def test_unacked_messages_return_when_the_channel_closes(url):
    with connection(url) as conn:
        channel = conn.channel()
        declare(channel)
        kombu.Producer(channel).publish(b"x", exchange="ganeti", routing_key="ganeti.t.event.op")
        assert channel.basic_get("q-op").body == b"x"
        channel.close()
        assert conn.channel().basic_get("q-op").body == b"x"
