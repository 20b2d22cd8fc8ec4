"""Server metadata with Nova's semantics and limits.

* ``update`` merges (POST), ``replace`` swaps the whole set (PUT), ``set_item`` creates or
  replaces one key, ``delete_item`` removes one (NotFound if missing).
* Keys are 1..255 characters, values 0..255 (InvalidInput); more than
  ``settings.max_metadata_items`` items is QuotaExceeded, as in Nova.
"""
from __future__ import annotations

from synnefo.core.db.models import Server, ServerMetadata
from synnefo.core.errors import InvalidInput, NotFound, QuotaExceeded
from synnefo.core.timeutil import utcnow

MAX_LENGTH = 255


def as_dict(server: Server) -> dict[str, str]:
    return {item.key: item.value for item in server.metadata_items}


def validate(items: dict, limit: int) -> dict[str, str]:
    """Check types, lengths and count; return the items as str -> str."""
    if not isinstance(items, dict):
        raise InvalidInput("Metadata must be an object of string keys and values.")
    for key, value in items.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInput("Metadata keys and values must be strings.")
        if not 1 <= len(key) <= MAX_LENGTH:
            raise InvalidInput(f"Metadata property key must be 1 to {MAX_LENGTH} characters.")
        if len(value) > MAX_LENGTH:
            raise InvalidInput(f"Metadata property value greater than {MAX_LENGTH} characters.")
    check_count(len(items), limit)
    return dict(items)


def check_count(count: int, limit: int) -> None:
    if count > limit:
        raise QuotaExceeded(f"Quota exceeded for metadata_items: Requested {count}, "
                            f"but the limit is {limit} metadata items per server.")


def update(server: Server, items: dict, limit: int) -> dict[str, str]:
    """Merge ``items`` into the server's metadata (Nova's POST)."""
    merged = as_dict(server)
    merged.update(validate(items, limit))
    return _store(server, merged, limit)


def replace(server: Server, items: dict, limit: int) -> dict[str, str]:
    """Replace the whole metadata set (Nova's PUT)."""
    return _store(server, validate(items, limit), limit)


def set_item(server: Server, key: str, value, limit: int) -> dict[str, str]:
    """Create or replace one key; returns ``{key: value}``."""
    merged = as_dict(server)
    merged[key] = value
    validate({key: value}, limit)
    _store(server, merged, limit)
    return {key: value}


def get_item(server: Server, key: str) -> str:
    for item in server.metadata_items:
        if item.key == key:
            return item.value
    raise NotFound("Metadata item was not found")


def delete_item(server: Server, key: str) -> None:
    get_item(server, key)
    server.metadata_items = [i for i in server.metadata_items if i.key != key]
    server.updated = utcnow()


def _store(server: Server, items: dict[str, str], limit: int) -> dict[str, str]:
    check_count(len(items), limit)
    existing = {item.key: item for item in server.metadata_items}
    keep = []
    for key, value in items.items():
        item = existing.get(key) or ServerMetadata(key=key)
        item.value = value
        keep.append(item)
    server.metadata_items = keep
    server.updated = utcnow()
    return items
