"""Small helpers shared by the views."""
from __future__ import annotations

from urllib.parse import urlencode

from pyramid.httpexceptions import HTTPMethodNotAllowed

from synnefo.core.errors import NotFound
from synnefo.core.services.queries import is_db_int
from synnefo.web.render import Api

JSON = "json"


def api_of(request) -> Api:
    base = request.api_base
    return Api(base=base, root=base.rsplit("/", 1)[0], version=request.microversion,
               project_id=str(request.user.id))


def raise_405(context, request):
    raise HTTPMethodNotAllowed()


def int_id(request, name: str = "server_id") -> int:
    """The id in the URL; 404 for one no row can have (e.g. 5,000 digits)."""
    value = request.matchdict[name]
    if not is_db_int(value):
        raise NotFound(f"Instance {value[:20]}{'...' if len(value) > 20 else ''} could not be "
                       "found.")
    return int(value)


def next_link(base: str, collection: str, items: list[dict], limit: int, extra: dict) -> list:
    """Nova's ``<collection>_links``: a ``next`` link when a full page was returned."""
    if not items or len(items) < limit:
        return []
    query = {k: v for k, v in extra.items() if k not in ("marker", "limit")}
    query.update({"limit": limit, "marker": items[-1]["id"]})
    return [{"rel": "next", "href": f"{base}/{collection}?{urlencode(query)}"}]
