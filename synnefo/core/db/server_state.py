"""The one mapping between a ``servers`` row and the domain's ``ServerState``.

Derived from ``dataclasses.fields(ServerState)``: each field is the column of the same name,
and enum fields are stored as their values. Adding a field to ``ServerState`` without a column
fails loudly (``state_columns`` raises, and tests/core/db/test_server_state.py checks it).
Every reader of a server's state (dispatcher, reconciler, API, CLI) goes through here.
"""
from __future__ import annotations

import enum
import functools
import types
import typing
from dataclasses import fields

from synnefo.core.db.models import Server
from synnefo.core.domain.state import ServerState


def _enum_of(hint) -> type[enum.Enum] | None:
    """The enum class a field holds (``Task | None`` -> ``Task``), or None for plain values."""
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next((a for a in typing.get_args(hint) if _enum_of(a)), None)
    return None


@functools.cache
def _fields() -> tuple[tuple[str, type[enum.Enum] | None], ...]:
    hints = typing.get_type_hints(ServerState)
    return tuple((f.name, _enum_of(hints[f.name])) for f in fields(ServerState))


@functools.cache
def state_columns() -> tuple:
    """The ``Server`` columns that hold a ``ServerState``, in field order."""
    table = Server.__table__.columns
    missing = [name for name, _ in _fields() if name not in table]
    if missing:
        raise LookupError(f"ServerState field(s) {', '.join(missing)} have no servers column")
    return tuple(getattr(Server, name) for name, _ in _fields())


def server_state(row) -> ServerState:
    """The state of a ``Server`` (or of a result row with the same column names)."""
    values = {}
    for name, kind in _fields():
        value = getattr(row, name)
        values[name] = kind(value) if kind is not None and value is not None else value
    return ServerState(**values)


def store_state(server: Server, state: ServerState) -> None:
    """Write ``state`` into the row (only the fields that change: each ORM attribute write
    costs an event and a history entry, and most notifications change two or three)."""
    for name, kind in _fields():
        value = getattr(state, name)
        value = value.value if kind is not None and value is not None else value
        if getattr(server, name) != value:
            setattr(server, name, value)
