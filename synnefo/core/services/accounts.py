"""Users, password hashes and API tokens (only hashes are stored)."""
from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import logging
import secrets

import sqlalchemy as sa

from synnefo.core.db.models import ApiToken, Image, Keypair, Server, User
from synnefo.core.errors import Conflict, InvalidInput
from synnefo.core.timeutil import utcnow

log = logging.getLogger(__name__)
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    """scrypt with a random salt, in a self-describing string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        **SCRYPT, salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode())


def verify_password(password: str, stored: str | None) -> bool:
    if not stored or not stored.startswith("scrypt$"):
        return False
    _, n, r, p, salt, digest = stored.split("$")
    actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt),
                            n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(actual, base64.b64decode(digest))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(session, name: str, password: str | None = None, **quotas) -> User:
    if not name or len(name) > 255:
        raise InvalidInput("user name must be 1 to 255 characters")
    if session.scalar(sa.select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists")
    user = User(name=name, password_hash=hash_password(password) if password else None,
                **{k: v for k, v in quotas.items() if v is not None})
    session.add(user)
    session.flush()
    return user


def find_user(session, name: str) -> User | None:
    return session.scalar(sa.select(User).where(User.name == name))


def issue_token(session, user: User, lifetime_hours: int) -> tuple[str, ApiToken]:
    """A new random token for the user; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=hash_token(token),
                   expires=utcnow() + dt.timedelta(hours=lifetime_hours))
    session.add(row)
    session.flush()
    return token, row


def authenticate_token(session, token: str | None) -> User | None:
    """The user owning an unexpired, unrevoked token, or None (also for a disabled user).

    Every token check goes through here: a cache of tokens must be kept correct by this
    function (revocation deletes the row; disabling sets ``User.disabled``).
    """
    if not token:
        return None
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.expires <= utcnow() or row.user.disabled:
        return None
    return row.user


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def authenticate_password(session, name: str, password: str) -> User | None:
    """The user if the password is right and the user is enabled, else None.

    The password is hashed whether or not the user exists (against a dummy hash), so the time
    taken does not tell which user names exist.
    """
    return _check_password(find_user(session, name), password)


def authenticate_password_by_id(session, user_id: int | None, password: str) -> User | None:
    """As ``authenticate_password``, for a user given by id (``None``: no such id)."""
    return _check_password(session.get(User, user_id) if user_id is not None else None, password)


def _check_password(user: User | None, password: str) -> User | None:
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    if not verify_password(password, stored) or user is None or not user.password_hash:
        return None
    if user.disabled:
        log.info("login refused: user %s is disabled", user.name)
        return None
    return user


def set_password(session, user: User, password: str) -> int:
    """Change the password and revoke every token of the user; returns how many."""
    user.password_hash = hash_password(password)
    return revoke_tokens(session, user)


def revoke_tokens(session, user: User) -> int:
    """Revoke every token of the user (their rows are deleted); returns how many."""
    result = session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    session.expire(user, ["tokens"])
    return result.rowcount


def revoke_token(session, token: str) -> User | None:
    """Revoke one token; returns its owner, or None if no such token exists."""
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None:
        return None
    user = row.user
    session.delete(row)
    return user


def set_disabled(session, user: User, disabled: bool) -> int:
    """Disable (revoking every token) or enable a user; returns the number of revoked tokens."""
    user.disabled = disabled
    return revoke_tokens(session, user) if disabled else 0


def live_server_ids(session, user: User) -> list[int]:
    return list(session.scalars(sa.select(Server.id).where(Server.owner_id == user.id,
                                                           Server.deleted.is_(False))
                                .order_by(Server.id)))


def purge_user(session, user: User) -> None:
    """Remove the user with their tokens, keypairs and server rows; their images lose their
    owner. The caller has made sure no server of theirs still lives on a backend."""
    session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(sa.delete(Keypair).where(Keypair.user_id == user.id))
    session.execute(sa.update(Image).where(Image.owner_id == user.id).values(owner_id=None))
    for server in session.scalars(sa.select(Server).where(Server.owner_id == user.id)):
        session.delete(server)   # through the ORM: its metadata and NICs go with it
    session.flush()
    session.expire(user)
    session.delete(user)
