"""Pure time helpers (no clock: callers pass ``now``)."""
import datetime as dt

UTC = dt.timezone.utc


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Treat a naive datetime as UTC; convert an aware one to UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
