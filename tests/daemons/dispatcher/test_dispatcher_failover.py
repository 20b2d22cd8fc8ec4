"""A dispatcher whose broker node goes away moves to the next URL of ``synnefo.amqp_url`` at
once, loses nothing, and its log names the broker it actually uses (the node is a TCP proxy in
front of the real RabbitMQ, cut by the test; the shared broker is never restarted)."""
from __future__ import annotations

import datetime as dt
import logging
import time
from urllib.parse import urlparse

import sqlalchemy as sa

from synnefo.core import messages
from synnefo.core.app import build_core
from synnefo.core.db.models import Server
from synnefo.daemons.dispatcher import start_in_process
from synnefo.testing import bus
from synnefo.testing.bus_fixtures import bus_postgres, rabbitmq_proxy  # noqa: F401 - fixtures

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def started(core, ids) -> bool:
    with core.uow() as uow:
        states = uow.session.scalars(sa.select(Server.operstate).where(Server.id.in_(ids))).all()
    return set(states) == {"STARTED"}


def publish_creates(publisher, ids, prefix) -> None:
    for sid in ids:
        publisher.publish(messages.op_status(f"{prefix}{sid}", "OP_INSTANCE_CREATE", sid,
                                             "success", T0))


def test_the_dispatcher_moves_to_the_next_broker_url_and_names_it(tmp_path, bus_postgres,
                                                                   rabbitmq_proxy, caplog):
    caplog.set_level(logging.INFO, logger="synnefo.daemons.dispatcher")
    first, live = bus.proxied_url(rabbitmq_proxy.port), bus.RABBITMQ_URL
    env = bus.make_env("rabbitmq", tmp_path, bus.env_settings(
        "rabbitmq", tmp_path, bus_postgres, amqp_url=f"{first};{live}"))
    core = build_core(env.settings)
    sender = build_core(env.settings.replace(amqp_url=live))  # publishes beside the cut
    ids = bus.seed_servers(core, 6)
    handle = start_in_process(core)
    try:
        publish_creates(sender.publisher, ids[:3], env.prefix)
        bus.wait_for(lambda: started(core, ids[:3]), what="servers before the cut")
        rabbitmq_proxy.cut()
        cut_at = time.monotonic()
        publish_creates(sender.publisher, ids[3:], env.prefix)
        bus.wait_for(lambda: started(core, ids[3:]), what="servers after the cut")
        print(f"dispatcher fail-over: messages applied {time.monotonic() - cut_at:.2f}s "
              "after the broker node went away")
    finally:
        handle.stop()
        sender.close()
        core.close()
        bus.delete_topology(env.settings.replace(amqp_url=live))
    connected = [r.getMessage() for r in caplog.records
                 if r.getMessage().startswith("connected to broker")]
    assert f":{rabbitmq_proxy.port}/" in connected[0]
    assert f":{urlparse(live).port or 5672}/" in connected[-1]
