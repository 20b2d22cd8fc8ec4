"""A minimal Glance v2 read API at ``/image`` so that the ``openstack`` CLI resolves images."""
from __future__ import annotations

from urllib.parse import urlencode

from pyramid.view import view_config

from synnefo.core.services import queries
from synnefo.web.apidoc import documented
from synnefo.web import render, schemas
from synnefo.web import response_schemas as rs

MAX_LIMIT = 1000


def versions_doc(request) -> dict:
    href = f"{request.application_url}/image/v2/"
    return {"versions": [{"id": f"v2.{n}", "status": "CURRENT" if n == 16 else "SUPPORTED",
                          "links": [{"rel": "self", "href": href}]} for n in (16, 15, 0)]}


@view_config(route_name="image_versions", request_method="GET", renderer="json")
@view_config(route_name="image_versions_slash", request_method="GET", renderer="json")
@view_config(route_name="image_v2", request_method="GET", renderer="json")
@view_config(route_name="image_v2_slash", request_method="GET", renderer="json")
@documented({200: rs.VERSIONS})
def image_versions(request):
    return versions_doc(request)


@view_config(route_name="glance_images", request_method="GET", renderer="json")
@view_config(route_name="nova_glance_images", request_method="GET", renderer="json")
@documented({200: rs.GLANCE_IMAGES}, query=schemas.ImageListQuery)
def glance_images(request):
    raw = schemas.query_dict(request)
    query = schemas.load(schemas.ImageListQuery(), raw)
    limit = min(query.get("limit", MAX_LIMIT), MAX_LIMIT)
    ids = _ids(query.get("id"))
    images = queries.list_images(request.uow.session, request.user, name=query.get("name"),
                                 ids=ids, limit=limit, marker=query.get("marker"))
    body = {"images": [render.glance_image(request.application_url, i) for i in images],
            "first": "/v2/images", "schema": "/v2/schemas/images"}
    if images and len(images) == limit:
        more = {k: v for k, v in raw.items() if k != "marker"}
        more["marker"] = images[-1].id
        body["next"] = f"/v2/images?{urlencode(more)}"
    return body


def _ids(value: str | None):
    """``id=in:a,b`` (or a plain ``id=a``) -> the list of ids."""
    if value is None:
        return None
    if value.startswith("in:"):
        value = value[3:]
    return [part.strip().strip('"') for part in value.split(",") if part.strip()]


@view_config(route_name="glance_image", request_method="GET", renderer="json")
@documented({200: rs.GLANCE_IMAGE})
def glance_image(request):
    image = queries.get_image(request.uow.session, request.user, request.matchdict["image_id"])
    return render.glance_image(request.application_url, image)
