"""Keypairs (Nova's ``os-keypairs``): per user, isolated like servers, named uniquely per user.

Names follow Nova: 1 to 255 characters of letters, digits, space, ``_`` and ``-``; from
microversion 2.92 also ``@`` and ``.`` (the caller says which rule applies). Listing is by name,
with a name as the paging marker (Nova 2.35).
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from synnefo.core.db.models import Keypair, User
from synnefo.core.errors import Conflict, InvalidInput, NotFound, QuotaExceeded
from synnefo.core.services import keymaterial

NAME = re.compile(r"^[a-zA-Z0-9 _-]{1,255}$")
NAME_292 = re.compile(r"^[a-zA-Z0-9 _@.-]{1,255}$")
TYPES = (keymaterial.SSH, keymaterial.X509)


def check_name(name: str, extended: bool = False) -> None:
    pattern = NAME_292 if extended else NAME
    if not isinstance(name, str) or not pattern.match(name) or not name.strip():
        allowed = "letters, digits, spaces, '_', '-'" + (", '@' and '.'" if extended else "")
        raise InvalidInput(f"Keypair name {name!r} is invalid: it must be 1 to 255 characters "
                           f"of {allowed}, and not only spaces.")


class KeypairService:
    """Keypair operations in one unit of work; ``owner`` is whose keys they are."""

    def __init__(self, uow, core):
        self.session = uow.session
        self.settings = core.settings

    def create(self, owner: User, name: str, key_type: str | None = None,
               public_key: str | None = None, extended_names: bool = False):
        """Import ``public_key``, or generate a pair. Returns ``(keypair, private_key or None)``."""
        check_name(name, extended_names)
        if key_type is not None and key_type not in TYPES:
            raise InvalidInput(f"Keypair type {key_type!r} is invalid: use 'ssh' or 'x509'.")
        self._check_quota_and_name(owner, name)
        material = (keymaterial.parse_public_key(key_type or keymaterial.SSH, public_key)
                    if public_key is not None else keymaterial.generate(key_type, owner.name))
        row = Keypair(user_id=owner.id, name=name, type=key_type or keymaterial.SSH,
                      public_key=material.public_key, fingerprint=material.fingerprint)
        try:
            with self.session.begin_nested():   # a concurrent create of the same name
                self.session.add(row)
        except sa.exc.IntegrityError:
            raise Conflict(f"Key pair '{name}' already exists.") from None
        return row, material.private_key

    def _check_quota_and_name(self, owner: User, name: str) -> None:
        if self.get_or_none(owner.id, name) is not None:
            raise Conflict(f"Key pair '{name}' already exists.")
        count = self.session.scalar(sa.select(sa.func.count(Keypair.id))
                                    .where(Keypair.user_id == owner.id))
        if count >= self.settings.max_keypairs:
            raise QuotaExceeded(f"Quota exceeded, too many key pairs (at most "
                                f"{self.settings.max_keypairs}).")

    def get_or_none(self, user_id: int, name: str) -> Keypair | None:
        return self.session.scalar(sa.select(Keypair).where(Keypair.user_id == user_id,
                                                            Keypair.name == name))

    def get(self, user_id: int, name: str) -> Keypair:
        row = self.get_or_none(user_id, name)
        if row is None:
            raise NotFound(f"Keypair {name} not found for user {user_id}.")
        return row

    def delete(self, user_id: int, name: str) -> None:
        self.session.delete(self.get(user_id, name))

    def list(self, user_id: int, limit: int | None = None, marker: str | None = None):
        query = sa.select(Keypair).where(Keypair.user_id == user_id).order_by(Keypair.name)
        if marker is not None:
            if self.get_or_none(user_id, marker) is None:
                raise InvalidInput(f"Marker {marker} could not be found.")
            query = query.where(Keypair.name > marker)
        if limit is not None:
            query = query.limit(limit)
        return list(self.session.scalars(query))
