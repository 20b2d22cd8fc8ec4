"""Column types that behave the same on SQLite, PostgreSQL and MySQL/MariaDB."""
import datetime as dt
import json

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from synnefo.core.timeutil import UTC


class UTCDateTime(sa.types.TypeDecorator):
    """Stored as naive UTC with microseconds (MySQL needs fsp=6); read back timezone-aware."""
    impl = sa.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if isinstance(value, dt.datetime) else value


class JSONText(sa.types.TypeDecorator):
    """A JSON document stored as text (portable, and small here)."""
    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value, sort_keys=True)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(value)
