"""The message handler contract (entry-point group ``synnefo.message_handlers``).

The entry-point *name* is the message type it handles (``ganeti-op-status``); the object is a
class constructed as ``Handler(core=Core)``. The dispatcher validates the payload with
``schema`` (a colander schema) before calling ``handle``; a payload that fails it is
dead-lettered with the schema's message.
"""
from __future__ import annotations

import abc
import enum
from dataclasses import dataclass

import colander


class HandlerOutcome(str, enum.Enum):
    APPLIED = "applied"      # state changed and committed
    IGNORED = "ignored"      # nothing to do (stale, duplicate, not our instance, purged server)


@dataclass(frozen=True)
class HandlerResult:
    outcome: HandlerOutcome
    reason: str = ""
    server_id: int | None = None


class MessageHandler(abc.ABC):
    schema: colander.SchemaNode

    def __init__(self, core=None):
        self.core = core

    @abc.abstractmethod
    def handle(self, uow, payload: dict) -> HandlerResult:
        """Apply a validated payload inside the unit of work ``uow`` (the caller commits).

        Raise ``InvalidMessage`` for a payload that can never be applied; any other exception
        means "try again later" (e.g. the database is down).

        The dispatcher may apply several messages in one unit of work with autoflush off (it
        commits in batches, and acks nothing before the commit): a handler that reads back rows
        it has just changed must call ``uow.session.flush()`` first.
        """
