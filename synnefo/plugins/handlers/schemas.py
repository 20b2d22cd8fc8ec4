"""colander building blocks shared by the built-in message schemas."""
from __future__ import annotations

import colander

MAX_SECONDS = 2 ** 33  # far beyond any real job timestamp, small enough for datetime


def optional_string(name: str) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(allow_empty=True), name=name, missing=None)


def required_string(name: str, **kw) -> colander.SchemaNode:
    return colander.SchemaNode(colander.String(), name=name, **kw)


def event_time(missing=colander.required) -> colander.SchemaNode:
    """Ganeti's ``[seconds, microseconds]`` timestamp."""
    return colander.SchemaNode(
        colander.Tuple(), colander.SchemaNode(colander.Int(), name="seconds", validator=colander.Range(0, MAX_SECONDS)),
        colander.SchemaNode(colander.Int(), name="microseconds", validator=colander.Range(0, 999_999)),
        name="event_time", missing=missing)


def message_schema(message_type: str, *children) -> colander.SchemaNode:
    """A mapping with ``type`` (must equal ``message_type``) and ``instance``; other keys ignored."""
    return colander.SchemaNode(
        colander.Mapping(unknown="ignore"),
        required_string("type", validator=colander.OneOf([message_type])),
        required_string("instance"),
        optional_string("cluster"),
        *children)
