"""``synnefo.token_cache_seconds``: how long a revoked token may still be honoured."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from conftest import _world
from synnefo.core.db.models import ApiToken


def _revoke_all(world) -> None:
    with world.core.uow() as uow:
        uow.session.execute(sa.delete(ApiToken))


@pytest.fixture
def uncached_world(sqlite_url):
    w = _world(sqlite_url, token_cache_seconds="0")
    yield w
    w.core.close()


def test_with_the_cache_off_a_revoked_token_is_refused_at_once(uncached_world):
    uncached_world.get("/compute/v2.1/servers", status=200)
    _revoke_all(uncached_world)
    uncached_world.get("/compute/v2.1/servers", status=401)


def test_by_default_a_revoked_token_is_honoured_for_a_few_seconds_at_most(world):
    assert world.core.settings.token_cache_seconds == 5
    world.get("/compute/v2.1/servers", status=200)
    _revoke_all(world)
    world.get("/compute/v2.1/servers", status=200)   # cached: within the documented bound
    world.app.app.registry.token_cache.clear()       # ... which has passed
    world.get("/compute/v2.1/servers", status=401)
