"""UTC time helpers: every stored time is UTC."""
import datetime as dt

from synnefo.core.domain.times import UTC, as_utc  # noqa: F401 (re-exported)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(UTC)


def from_ganeti_timestamp(pair) -> dt.datetime | None:
    """Ganeti writes timestamps as [seconds, microseconds] pairs (or null)."""
    if not pair:
        return None
    seconds, micros = pair
    return dt.datetime.fromtimestamp(seconds, UTC) + dt.timedelta(microseconds=micros)


def isoformat(value: dt.datetime | None) -> str | None:
    """OpenStack style: second precision, trailing Z. A naive value is taken as UTC."""
    if value is None:
        return None
    # isoformat() is about twice as fast as strftime(); every listed server shows two of these.
    if value.tzinfo is not None and value.tzinfo is not UTC:
        value = as_utc(value)
    return value.isoformat(timespec="seconds")[:19] + "Z"
