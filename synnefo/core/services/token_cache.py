"""A short-lived, bounded in-process cache of authenticated tokens, keyed by the token's hash.

Looking a token up costs a database round trip on every API request. The cache keeps, per
token hash, a detached copy of the user's row for at most ``seconds`` (and never past the
token's own expiry); a hit puts that copy into the request's session with
``Session.merge(load=False)``, without a query. The bound is the price: a token revoked or
a user disabled or changed in the database is still honoured by a process that cached it,
for at most ``seconds`` (``synnefo.token_cache_seconds``; 0 turns the cache off).
"""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Callable

import cachetools
import sqlalchemy as sa
from sqlalchemy.orm import make_transient_to_detached

from synnefo.core.db.models import ApiToken, User
from synnefo.core.services import accounts
from synnefo.core.timeutil import utcnow

MAX_ENTRIES = 10_000


class TokenCache:
    """Token hash -> (detached user copy, token expiry); thread-safe, LRU-bounded, TTL'd."""

    def __init__(self, seconds: float, max_entries: int = MAX_ENTRIES,
                 clock: Callable[[], float] = time.monotonic):
        self.seconds = seconds
        self._entries = cachetools.TTLCache(max_entries, seconds, timer=clock) if seconds else None
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._entries is not None

    def get(self, key: str):
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, user: User, expires: dt.datetime) -> None:
        with self._lock:
            self._entries[key] = (_detached_copy(user), expires)

    def clear(self) -> None:
        if self.enabled:
            with self._lock:
                self._entries.clear()


def authenticate(cache: TokenCache, session, token: str | None) -> User | None:
    """``accounts.authenticate_token`` through the cache: the token's user, or None."""
    if not cache.enabled or not token:
        return accounts.authenticate_token(session, token)
    key = accounts.hash_token(token)
    hit = cache.get(key)
    if hit is not None and hit[1] > utcnow():
        return session.merge(hit[0], load=False)
    user = accounts.authenticate_token(session, token)
    if user is not None:
        expires = session.scalar(sa.select(ApiToken.expires).where(ApiToken.token_hash == key))
        cache.put(key, user, expires)
    return user


def _detached_copy(user: User) -> User:
    """A copy of the user's loaded columns, in the detached state that ``merge`` accepts."""
    copy = User(**{c.key: getattr(user, c.key) for c in sa.inspect(User).column_attrs})
    make_transient_to_detached(copy)
    return copy
