"""The token cache: a hit costs no query, and a revoked token stops working within the bound
(SQLite, PostgreSQL, MariaDB)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from synnefo.core.app import build_core
from synnefo.core.db.models import ApiToken, User
from synnefo.core.services import accounts
from synnefo.core.services.token_cache import TokenCache, authenticate
from synnefo.core.settings import parse_settings


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def world(migrated_url):
    core = build_core(parse_settings({"synnefo.db_url": migrated_url,
                                      "synnefo.backend_drivers": "fake"}, environ={}))
    with core.uow() as uow:
        user = accounts.create_user(uow.session, "alice", max_servers=3)
        token, _ = accounts.issue_token(uow.session, user, 1)
    yield core, token
    core.close()


def _login(core, cache, token):
    """Authenticate in a fresh unit of work; the user's (id, name, max_servers) and the
    number of SQL statements it took."""
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(core.engine, "before_cursor_execute", listener)
    try:
        with core.uow() as uow:
            user = authenticate(cache, uow.session, token)
            seen = None if user is None else (user.id, user.name, user.max_servers)
    finally:
        sa.event.remove(core.engine, "before_cursor_execute", listener)
    return seen, len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def _revoke(core, token):
    with core.uow() as uow:
        uow.session.execute(sa.delete(ApiToken).where(
            ApiToken.token_hash == accounts.hash_token(token)))


def test_a_cached_token_needs_no_query_and_revocation_shows_after_the_bound(world):
    core, token = world
    clock = Clock()
    cache = TokenCache(5, clock=clock)
    first, queries = _login(core, cache, token)
    assert first[1:] == ("alice", 3) and queries >= 1
    assert _login(core, cache, token) == (first, 0)
    _revoke(core, token)
    clock.now += 4.9   # within the documented bound the process still honours it
    assert _login(core, cache, token)[0] == first
    clock.now += 0.2
    assert _login(core, cache, token)[0] is None


def test_without_the_cache_revocation_is_immediate(world):
    core, token = world
    cache = TokenCache(0)
    assert not cache.enabled
    assert _login(core, cache, token)[0][1] == "alice"
    _revoke(core, token)
    assert _login(core, cache, token)[0] is None


def test_a_cached_user_is_a_live_row_of_the_session(world):
    core, token = world
    cache = TokenCache(5, clock=Clock())
    _login(core, cache, token)
    with core.uow() as uow:
        user = authenticate(cache, uow.session, token)
        assert uow.session.get(User, user.id) is user
        user.max_servers = 7
    with core.uow() as uow:
        assert uow.session.get(User, user.id).max_servers == 7


def test_wrong_and_missing_tokens_are_not_cached(world):
    core, _token = world
    cache = TokenCache(5, clock=Clock())
    assert _login(core, cache, "nope")[0] is None
    assert _login(core, cache, "nope")[1] >= 1   # looked up again, not remembered
    assert _login(core, cache, None)[0] is None


def test_the_cache_is_bounded():
    cache = TokenCache(5, max_entries=2, clock=Clock())
    for i in range(3):
        cache.put(f"k{i}", User(id=i, name=f"u{i}"), None)
    assert cache.get("k0") is None and cache.get("k2") is not None
