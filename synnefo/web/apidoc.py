"""What a view declares about its operation for the OpenAPI document, next to the view itself.

``@documented(responses={200: SCHEMA}, body=ColanderSchema, query=ColanderSchema)`` records the
success statuses with their JSON Schemas (``None``: no body), and the colander schemas that
validate the request; ``openapi`` turns those into JSON Schemas, so that the document and the
validation cannot disagree. Every view of ``web.routes.ROUTES`` must be documented (a test
checks it); fault statuses are added by ``openapi`` for every operation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import colander

ATTRIBUTE = "__synnefo_apidoc__"


@dataclass(frozen=True)
class OperationDoc:
    responses: dict[int, dict | None]
    body: colander.SchemaNode | dict | Callable[[], dict] | None = None
    query: colander.SchemaNode | None = None
    description: str = ""
    headers: dict[int, dict] = field(default_factory=dict)


def documented(responses: dict[int, dict | None], *, body=None, query=None,
               description: str = "", headers: dict[int, dict] | None = None):
    """Declare a view's success responses and request schemas.

    ``body`` is a colander schema (class or instance), a JSON Schema, or a function returning
    one; ``query`` a colander mapping schema of the query string.
    ``headers`` maps a status to the response headers it always carries (name -> JSON Schema).
    """
    doc = OperationDoc(responses=dict(responses), body=_instance(body), query=_instance(query),
                       description=description, headers=dict(headers or {}))

    def mark(view):
        setattr(view, ATTRIBUTE, doc)
        return view
    return mark


def doc_of(view) -> OperationDoc | None:
    """The declaration of ``view`` (a function, or a class of a class-based view), if any."""
    return getattr(view, ATTRIBUTE, None)


def _instance(schema):
    return schema() if isinstance(schema, type) else schema
