"""Unit of work: one session, one transaction, and callbacks that run after a successful commit."""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class ReadOnlySession(Session):
    """The session of a read-only unit of work. Its connection may be in autocommit, where each
    flushed statement would commit on its own, so a flush with changes is refused."""

    def flush(self, objects=None) -> None:
        if self.new or self.dirty or self.deleted:
            raise RuntimeError("a read-only unit of work tried to write "
                               f"({len(self.new)} new, {len(self.dirty)} changed, "
                               f"{len(self.deleted)} deleted)")
        super().flush(objects)


class UnitOfWork:
    """``with core.uow() as uow:`` commits on success, rolls back on error, then runs callbacks.

    Callbacks registered with ``after_commit`` run only if the commit succeeded; their failures
    are logged, never raised (facts about committed state must not undo it).
    """

    def __init__(self, session_factory: sessionmaker):
        self._session_factory = session_factory
        self.session: Session | None = None
        self._callbacks: list[Callable[[], None]] = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

    def after_commit(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def commit(self) -> None:
        self.session.commit()
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.exception("after-commit callback %r failed", callback)

    def rollback(self) -> None:
        self.session.rollback()
        self._callbacks = []
