"""The example handler, loaded through its entry point and fed through the embedded broker."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from synnefo.core import plugins
from synnefo.core.app import build_core
from synnefo.core.contracts.bus import Message
from synnefo.core.db import migrate
from synnefo.core.db.models import ServerMetadata
from synnefo.core.settings import parse_settings
from synnefo.daemons.dispatcher import start_in_process
from synnefo.messaging import admin
from synnefo.testing.bus import seed_servers, wait_for


@pytest.fixture
def core(tmp_path):
    raw = {"db_url": "sqlite:///synnefo.sqlite", "amqp_url": "sqla+sqlite:///broker.sqlite",
           "instance_prefix": "snf-", "hooks": "",
           "message_handlers": "ganeti-op-status example-ganeti-tags",
           "queues.example-ganeti-tags": "ganeti.{prefix}.event.tags"}
    settings = parse_settings({**{f"synnefo.{k}": v for k, v in raw.items()},
                               "here": str(tmp_path)}, environ={})
    core = build_core(settings)
    migrate.upgrade(core.engine)
    yield core
    core.close()


def tags_of(core, server_id):
    with core.uow() as uow:
        return uow.session.scalar(sa.select(ServerMetadata.value).where(
            ServerMetadata.server_id == server_id, ServerMetadata.key == "ganeti_tags"))


def test_the_handler_is_installed_from_this_distribution():
    found = {p.name: p for p in plugins.installed("synnefo.message_handlers")}
    assert found["example-ganeti-tags"].distribution == "synnefo-example-handler"


def test_tags_published_on_the_new_queue_become_metadata_and_bad_ones_are_dead_lettered(core):
    [sid] = seed_servers(core, 1)
    handle = start_in_process(core)
    try:
        core.publisher.publish(Message("ganeti.snf.event.tags", {
            "type": "example-ganeti-tags", "instance": f"snf-{sid}", "tags": ["web", "prod"]}))
        core.publisher.publish(Message("ganeti.snf.event.tags", {
            "type": "example-ganeti-tags", "instance": f"snf-{sid}", "tags": "web"}))
        wait_for(lambda: tags_of(core, sid) == "prod,web", what="the tags")
        with admin.open_bus(core.settings) as (_c, channel, topology):
            wait_for(lambda: admin.depths(channel, topology)[1]["dead_lettered"] == 1,
                     what="the bad message in snf-events-tags-dl")
            assert admin.depths(channel, topology)[1]["queue"] == "snf-events-tags"
    finally:
        handle.stop()
