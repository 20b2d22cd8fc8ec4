"""Colander schemas -> JSON Schema (2020-12), so that the OpenAPI document says what
``web.schemas`` checks, from the same source.

A node may carry ``json_schema={...}``: keywords merged over what its type and validators give
(for checks colander only knows as functions, such as "not blank").
"""
from __future__ import annotations

import colander

from synnefo.web import schemas


def to_json_schema(node: colander.SchemaNode) -> dict:
    """The JSON Schema of ``node`` (a mapping, a sequence or a scalar node)."""
    typ = node.typ
    if isinstance(typ, colander.Mapping):
        result = _object(node)
    elif isinstance(typ, colander.Sequence):
        result = {"type": "array", "items": to_json_schema(node.children[0])}
    else:
        result = dict(_scalar(typ))
    for validator in _validators(node.validator):
        result.update(_validator_keywords(validator, result.get("type")))
    result.update(getattr(node, "json_schema", None) or {})
    return result


def query_parameters(node: colander.SchemaNode) -> list[dict]:
    """OpenAPI query parameters from a query-string mapping schema (all optional)."""
    return [{"name": child.name, "in": "query", "required": False,
             "schema": to_json_schema(child)} for child in node.children]


def _object(node) -> dict:
    properties = {child.name: to_json_schema(child) for child in node.children}
    required = sorted(c.name for c in node.children if c.missing is colander.required)
    result = {"type": "object", "properties": properties}
    if required:
        result["required"] = required
    return result


NO_NUL = "^[^\\x00]*$"
SCALARS = [  # most specific first
    (schemas.BoundedInt, lambda t: {"type": "integer", "minimum": t.min, "maximum": t.max}),
    (schemas.Text, lambda t: {"type": "string", "pattern": NO_NUL}),
    (colander.String, lambda t: {"type": "string"}),
    (colander.Int, lambda t: {"type": "integer"}),
    (colander.DateTime, lambda t: {"type": "string", "format": "date-time"}),
    (schemas.IdRef, lambda t: {"type": ["string", "integer"]}),
    (schemas.Networks, lambda t: {"anyOf": [{"enum": ["auto", "none"]},
                                            {"type": "array", "items": {"type": "object"}}]}),
    (schemas.AnyMapping, lambda t: {"type": "object"}),
    (schemas.PublicFilter, lambda t: {"type": "string", "enum": [
        "true", "false", "none", "all", *schemas.TRUE[1:], *schemas.FALSE[1:]]}),
    (schemas.LooseBool, lambda t: {"type": "string", "enum": [*schemas.TRUE, *schemas.FALSE]}),
]


def _scalar(typ) -> dict:
    for cls, make in SCALARS:
        if isinstance(typ, cls):
            return make(typ)
    return {}


def _validators(validator) -> list:
    if validator is None:
        return []
    if isinstance(validator, colander.All):
        return [v for inner in validator.validators for v in _validators(inner)]
    return [validator]


def _validator_keywords(validator, json_type) -> dict:
    if isinstance(validator, colander.Length):
        low, high = ("minItems", "maxItems") if json_type == "array" else ("minLength",
                                                                            "maxLength")
        return {k: v for k, v in ((low, validator.min), (high, validator.max)) if v is not None}
    if isinstance(validator, colander.OneOf):
        return {"enum": list(validator.choices)}
    if isinstance(validator, colander.Range):
        return {k: v for k, v in (("minimum", validator.min), ("maximum", validator.max))
                if v is not None}
    return {}
