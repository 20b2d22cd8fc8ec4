"""Colander schemas for every request body and query string of the API.

Unknown keys are ignored (clients send many optional Nova fields we have no use for); known
keys are checked for type and range. ``load(schema, data)`` raises ``colander.Invalid``, which
``web.faults`` answers with 400 badRequest.

Every string a client sends (body, metadata keys and values, query parameters) is checked here
for what no database column can store: NUL and lone surrogates. Every integer is bounded to what
an INTEGER column holds, so nothing out of range reaches the database.
"""
from __future__ import annotations

import datetime as dt

import colander

from synnefo.core.timeutil import UTC

SERVER_STATUSES = ("BUILD", "ACTIVE", "SHUTOFF", "REBOOT", "HARD_REBOOT", "ERROR", "DELETED")
TRUE = ("true", "1", "yes", "on", "t", "y")
FALSE = ("false", "0", "no", "off", "f", "n")


DB_INT_MAX = 2 ** 31 - 1
UNSTORABLE = "must not contain a NUL control character or a lone surrogate"


def load(schema: colander.SchemaNode, data):
    return schema.deserialize(data)


def storable(text: str) -> bool:
    """False for text with NUL or a lone surrogate (neither PostgreSQL nor UTF-8 stores them)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_storable(node, value) -> None:
    """Raise ``colander.Invalid`` if any string in ``value`` (keys included) is not storable."""
    stack = [value]
    while stack:   # iterative: a deeply nested value must not exhaust the stack
        item = stack.pop()
        if isinstance(item, str) and not storable(item):
            shown = repr(item if len(item) <= 40 else item[:40] + "...")
            raise colander.Invalid(node, f"{UNSTORABLE}: {shown}")
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def query_dict(request) -> dict[str, str]:
    """The query string with the last value of repeated parameters."""
    return {key: request.GET.getall(key)[-1] for key in request.GET}


class Text(colander.String):
    """A string the database can store (no NUL, no lone surrogate); used for query parameters."""

    def deserialize(self, node, cstruct):
        value = super().deserialize(node, cstruct)
        if isinstance(value, str):
            check_storable(node, value)
        return value


class StrictString(Text):
    """A JSON string (numbers are not silently turned into strings; "" stays "")."""

    def __init__(self, allow_empty=True, **kw):
        super().__init__(allow_empty=allow_empty, **kw)

    def deserialize(self, node, cstruct):
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, f"{cstruct!r} is not a string")
        return super().deserialize(node, cstruct)


class NullableString(StrictString):
    """A string, or JSON null for "not given" (clients send ``"key_name": null``)."""

    def deserialize(self, node, cstruct):
        return colander.null if cstruct is None else super().deserialize(node, cstruct)
class BoundedInt(colander.Int):
    """An integer that fits an INTEGER column (``min``..``max``, at most 2**31-1)."""

    def __init__(self, min: int = 0, max: int = DB_INT_MAX):
        super().__init__()
        self.min, self.max = min, max

    def deserialize(self, node, cstruct):
        if isinstance(cstruct, bool):
            raise colander.Invalid(node, f"{cstruct!r} is not an integer")
        if isinstance(cstruct, str) and len(cstruct.strip()) > len(str(self.max)) + 1:
            raise colander.Invalid(node, f"must be at most {self.max} (the value is too long)")
        value = super().deserialize(node, cstruct)
        if value is not colander.null and not self.min <= value <= self.max:
            raise colander.Invalid(node, f"{value} is out of range: it must be between "
                                         f"{self.min} and {self.max}")
        return value


class IdRef(colander.SchemaType):
    """An id given as an integer, a string, or a link whose last path segment is the id."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if isinstance(cstruct, bool) or not isinstance(cstruct, (int, str)):
            raise colander.Invalid(node, f"{cstruct!r} is not an id")
        value = str(cstruct).strip().rstrip("/").rsplit("/", 1)[-1]
        check_storable(node, value)
        return value


class Networks(colander.SchemaType):
    """``"auto"``, ``"none"`` or a list of ``{"uuid"|"port"|"fixed_ip": ...}`` objects."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if cstruct in ("auto", "none"):
            return cstruct
        if isinstance(cstruct, list) and all(isinstance(n, dict) for n in cstruct):
            check_storable(node, cstruct)
            return [{k: str(v) for k, v in n.items() if isinstance(v, (str, int))}
                    for n in cstruct]
        raise colander.Invalid(node, 'must be "auto", "none" or a list of network objects')


class AnyMapping(colander.SchemaType):
    """A JSON object, checked in detail by the service (e.g. metadata limits)."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return colander.null
        if not isinstance(cstruct, dict):
            raise colander.Invalid(node, "must be an object")
        check_storable(node, cstruct)
        return cstruct


class LooseBool(colander.SchemaType):
    """Query-string booleans: true/false/1/0/yes/no, any case."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null or cstruct == "":
            return colander.null
        if isinstance(cstruct, bool):
            return cstruct
        text = str(cstruct).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise colander.Invalid(node, f"{cstruct!r} is not a boolean")


class PublicFilter(colander.SchemaType):
    """``is_public``: true/false, or none/all for every flavor."""

    def deserialize(self, node, cstruct):
        if cstruct is colander.null:
            return True
        text = str(cstruct).strip().lower()
        if text in ("none", "all"):
            return None
        try:
            return LooseBool().deserialize(node, text)
        except colander.Invalid:
            raise colander.Invalid(node, f"Invalid is_public filter [{cstruct}]") from None


class UpperString(Text):
    def deserialize(self, node, cstruct):
        value = super().deserialize(node, cstruct)
        return value.upper() if isinstance(value, str) else value


def _node(typ, name, missing=colander.drop, validator=None, **kw):
    """A node; ``json_schema={...}`` adds what the OpenAPI document cannot infer."""
    return colander.SchemaNode(typ, name=name, missing=missing, validator=validator, **kw)


NAME = colander.Length(min=1, max=255)
NAME_SCHEMA = {"pattern": "^[^\\x00]*[^\\s\\x00][^\\x00]*$"}   # not blank, no NUL
METADATA_SCHEMA = {"additionalProperties": {"type": "string", "maxLength": 255,
                                            "pattern": "^[^\\x00]*$"},
                   "propertyNames": {"minLength": 1, "maxLength": 255, "pattern": "^[^\\x00]*$"}}


def _name_validator(node, value):
    NAME(node, value)
    if value.strip() == "":
        raise colander.Invalid(node, "name must not be blank")


class BlockDevice(colander.MappingSchema):
    uuid = _node(StrictString(), "uuid")
    source_type = _node(StrictString(), "source_type")
    destination_type = _node(StrictString(), "destination_type")
    boot_index = _node(BoundedInt(min=-1), "boot_index")


class PersonalityFile(colander.MappingSchema):
    path = _node(StrictString(), "path", colander.required)
    contents = _node(StrictString(), "contents", colander.required)


class ServerCreateBody(colander.MappingSchema):
    name = _node(StrictString(), "name", colander.required, _name_validator,
                 json_schema=NAME_SCHEMA | {"minLength": 1, "maxLength": 255})
    imageRef = _node(IdRef(), "imageRef", "")
    flavorRef = _node(IdRef(), "flavorRef", colander.required)
    metadata = _node(AnyMapping(), "metadata", {}, json_schema=METADATA_SCHEMA)
    networks = _node(Networks(), "networks")
    min_count = _node(BoundedInt(1, 100), "min_count", 1)
    max_count = _node(BoundedInt(1, 100), "max_count", colander.drop)
    block_device_mapping_v2 = colander.SchemaNode(colander.Sequence(), BlockDevice(),
                                                  name="block_device_mapping_v2", missing=[])
    key_name = _node(NullableString(), "key_name")
    user_data = _node(NullableString(), "user_data")
    personality = colander.SchemaNode(colander.Sequence(), PersonalityFile(),
                                      name="personality", missing=colander.drop)


class ServerCreate(colander.MappingSchema):
    server = ServerCreateBody()


class ServerUpdateBody(colander.MappingSchema):
    name = _node(StrictString(), "name", colander.drop, _name_validator,
                 json_schema=NAME_SCHEMA | {"minLength": 1, "maxLength": 255})
    description = _node(Text(allow_empty=True), "description")


class ServerUpdate(colander.MappingSchema):
    server = ServerUpdateBody()


class RebootBody(colander.MappingSchema):
    type = _node(UpperString(), "type", colander.required, colander.OneOf(("SOFT", "HARD")))


class ConsoleBody(colander.MappingSchema):
    type = _node(StrictString(), "type", colander.required)


class RemoteConsoleBody(colander.MappingSchema):
    protocol = _node(StrictString(), "protocol", colander.required,
                     colander.OneOf(("vnc", "spice", "rdp", "serial", "mks")))
    type = _node(StrictString(), "type", colander.required)


class RemoteConsole(colander.MappingSchema):
    remote_console = RemoteConsoleBody()


class MetadataBody(colander.MappingSchema):
    metadata = _node(AnyMapping(), "metadata", colander.required, json_schema=METADATA_SCHEMA)


class MetaItemBody(colander.MappingSchema):
    meta = _node(AnyMapping(), "meta", colander.required,
                 json_schema=METADATA_SCHEMA | {"minProperties": 1, "maxProperties": 1})


class ServerListQuery(colander.MappingSchema):
    name = _node(Text(), "name")
    status = _node(UpperString(), "status")
    changes_since = _node(colander.DateTime(default_tzinfo=UTC), "changes-since")
    deleted = _node(LooseBool(), "deleted")
    limit = _node(BoundedInt(), "limit")
    marker = _node(BoundedInt(min=1), "marker")


class FlavorListQuery(colander.MappingSchema):
    is_public = _node(PublicFilter(), "is_public", True)
    minRam = _node(BoundedInt(), "minRam", 0)
    minDisk = _node(BoundedInt(), "minDisk", 0)
    limit = _node(BoundedInt(), "limit")
    marker = _node(BoundedInt(min=1), "marker")


class ImageListQuery(colander.MappingSchema):
    name = _node(Text(), "name")
    id = _node(Text(), "id")
    limit = _node(BoundedInt(), "limit")
    marker = _node(Text(), "marker")


class KeypairBody(colander.MappingSchema):
    name = _node(StrictString(), "name", colander.required)
    public_key = _node(StrictString(), "public_key")
    type = _node(StrictString(), "type")
    user_id = _node(StrictString(), "user_id")


class KeypairCreate(colander.MappingSchema):
    keypair = KeypairBody()


class KeypairListQuery(colander.MappingSchema):
    user_id = _node(colander.String(), "user_id")
    limit = _node(colander.Int(), "limit", colander.drop, colander.Range(min=0))
    marker = _node(colander.String(), "marker")


class PasswordUser(colander.MappingSchema):
    name = _node(StrictString(), "name")
    id = _node(StrictString(), "id")
    password = _node(StrictString(), "password", colander.required)


class PasswordMethod(colander.MappingSchema):
    user = PasswordUser()


class TokenMethod(colander.MappingSchema):
    id = _node(StrictString(), "id", colander.required)


class Identity(colander.MappingSchema):
    methods = colander.SchemaNode(colander.Sequence(), colander.SchemaNode(StrictString()),
                                  name="methods", validator=colander.Length(min=1))
    password = PasswordMethod(missing=colander.drop)
    token = TokenMethod(missing=colander.drop)


class AuthBody(colander.MappingSchema):
    identity = Identity()
    scope = _node(AnyMapping(), "scope")


class AuthRequest(colander.MappingSchema):
    auth = AuthBody()


def parse_changes_since(value: dt.datetime) -> dt.datetime:
    return value.astimezone(UTC)
