"""Users, password hashes and API tokens (only hashes are stored)."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

import sqlalchemy as sa

from synnefo.core.db.models import ApiToken, User
from synnefo.core.errors import Conflict, InvalidInput
from synnefo.core.timeutil import utcnow

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
    """The user owning an unexpired token, or None."""
    if not token:
        return None
    row = session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.expires <= utcnow():
        return None
    return row.user


def authenticate_password(session, name: str, password: str) -> User | None:
    user = find_user(session, name)
    if user is None or not verify_password(password, user.password_hash):
        return None
    return user
