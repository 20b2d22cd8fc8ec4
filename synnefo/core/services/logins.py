"""Login throttling, as Keystone's lockout: failed logins counted per user name and per client
address in the database, so that every WEBSERVER process sees the same count.

A subject (a user name, or a client address) is locked while ``limit`` of its failures are
younger than ``lockout_duration`` seconds; it is free again when the oldest of those turns that
old. While locked, no password is checked (so a lock cannot be used to test passwords either).
A successful login clears the user name's failures, not the address's (one valid account must
not let an address guess other users' passwords).
"""
from __future__ import annotations

import datetime as dt
import math

import sqlalchemy as sa

from synnefo.core.db.models import LoginFailure
from synnefo.core.errors import Throttled
from synnefo.core.timeutil import utcnow

USER, ADDRESS = "user", "address"
MAX_SUBJECT = 255


class LoginThrottle:
    """Throttling decisions of one unit of work (the login request's)."""

    def __init__(self, uow, core):
        self.uow = uow
        self.session = uow.session
        settings = core.settings
        self.window = dt.timedelta(seconds=settings.lockout_duration)
        self.limits = {USER: settings.lockout_failure_attempts,
                       ADDRESS: settings.lockout_address_failure_attempts}

    def check(self, name: str, address: str | None) -> None:
        """Raise ``Throttled`` (with the seconds to wait) if the name or address is locked."""
        now = utcnow()
        waits = [self._wait(scope, subject, now) for scope, subject in self._subjects(name, address)]
        wait = max(waits, default=0)
        if wait > 0:
            raise Throttled("Too many failed login attempts; try again in "
                            f"{wait} seconds.", retry_after=wait)

    def failed(self, name: str, address: str | None) -> None:
        """Count a failure and commit it at once: the request itself will be rolled back."""
        now = utcnow()
        self.session.execute(sa.delete(LoginFailure).where(LoginFailure.at <= now - self.window))
        for scope, subject in self._subjects(name, address):
            self.session.add(LoginFailure(scope=scope, subject=subject, at=now))
        self.uow.commit()

    def succeeded(self, name: str) -> None:
        self.session.execute(sa.delete(LoginFailure).where(
            LoginFailure.scope == USER, LoginFailure.subject == _subject(name)))

    def _subjects(self, name: str, address: str | None):
        if self.limits[USER]:
            yield USER, _subject(name)
        if self.limits[ADDRESS] and address:
            yield ADDRESS, _subject(address)

    def _wait(self, scope: str, subject: str, now: dt.datetime) -> int:
        """Seconds until fewer than ``limit`` failures of the subject are inside the window."""
        limit = self.limits[scope]
        times = self.session.scalars(
            sa.select(LoginFailure.at)
            .where(LoginFailure.scope == scope, LoginFailure.subject == subject,
                   LoginFailure.at > now - self.window)
            .order_by(LoginFailure.at.desc()).limit(limit)).all()
        if len(times) < limit:
            return 0
        return max(1, math.ceil((times[-1] + self.window - now).total_seconds()))


def _subject(text: str) -> str:
    return text[:MAX_SUBJECT]
